import CLibUV

/// libuv, done one way everywhere.
///
/// Results: a handle that could not be set up stops the start with the call and libuv's own words,
/// instead of being used half made.
///
/// Handles: every libuv handle reliefd makes is owned the same way. Its memory comes from
/// `allocate`; once its `uv_*_init` succeeded (`open`), its `data` holds its owner object, retained;
/// `close` hands it to `uv_close`, whose callback releases the owner and frees the memory. So a
/// handle and the object its callbacks reach live exactly until libuv is done with the handle,
/// whatever order things are closed in, and a callback can never reach a freed owner. Memory of a
/// handle whose init failed, or that was never opened, goes back with `free`.
enum UV {
    static func check(_ status: Int32, _ call: String) throws {
        guard status == 0 else { throw Server.StartError(description: "\(call) failed: \(message(status))") }
    }

    static func message(_ status: Int32) -> String {
        "\(String(cString: uv_err_name(status))) (\(String(cString: uv_strerror(status))))"
    }

    /// Memory for a handle of type `H`, not yet initialised.
    static func allocate<H>(_ type: H.Type) -> UnsafeMutablePointer<H> {
        allocate(bytes: MemoryLayout<H>.size).assumingMemoryBound(to: H.self)
    }

    /// Memory for a handle of one of several types (`bytes`: the largest), not yet initialised.
    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        return raw
    }

    /// Initialises `handle` with `initialize` (a `uv_*_init` call named `call`) and, when it
    /// succeeds, makes `owner` its owner. On failure the error names the call; the memory is still
    /// the caller's, to `free`.
    static func open<H>(_ handle: UnsafeMutablePointer<H>, owner: AnyObject, _ call: String,
                        _ initialize: (UnsafeMutablePointer<H>) -> Int32) throws {
        try check(initialize(handle), call)
        own(UnsafeMutableRawPointer(handle), by: owner)
    }

    /// Makes `owner` the owner of an initialised handle: retained in its `data` until `close`.
    static func own(_ handle: UnsafeMutableRawPointer, by owner: AnyObject) {
        let base = handle.assumingMemoryBound(to: uv_handle_t.self)
        precondition(base.pointee.data == nil, "a handle has one owner")
        base.pointee.data = Unmanaged.passRetained(owner).toOpaque()
    }

    /// The owner of the handle a callback was called for.
    static func owner<O: AnyObject>(of handle: UnsafeMutableRawPointer?, as _: O.Type = O.self) -> O {
        Unmanaged<O>.fromOpaque(handle!.assumingMemoryBound(to: uv_handle_t.self).pointee.data!).takeUnretainedValue()
    }

    /// Closes an initialised handle: once libuv is done with it, its owner (if any) is released and
    /// its memory freed. Closing twice is a bug libuv would not forgive: callers keep track.
    static func close(_ handle: UnsafeMutableRawPointer) {
        let base = handle.assumingMemoryBound(to: uv_handle_t.self)
        precondition(uv_is_closing(base) == 0, "a handle closed twice")
        uv_close(base) { handle in
            if let data = handle!.pointee.data {
                handle!.pointee.data = nil
                Unmanaged<AnyObject>.fromOpaque(data).release()
            }
            UnsafeMutableRawPointer(handle!).deallocate()
        }
    }

    /// Frees the memory of a handle that was never initialised (or whose init failed).
    static func free(_ handle: UnsafeMutableRawPointer) {
        handle.deallocate()
    }
}
