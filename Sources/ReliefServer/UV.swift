import CLibUV

/// libuv results, checked the same way everywhere: a handle that could not be set up stops the
/// start with the call and libuv's own words, instead of being used half made.
enum UV {
    static func check(_ status: Int32, _ call: String) throws {
        guard status == 0 else { throw Server.StartError(description: "\(call) failed: \(message(status))") }
    }

    static func message(_ status: Int32) -> String {
        "\(String(cString: uv_err_name(status))) (\(String(cString: uv_strerror(status))))"
    }
}
