#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a whole input file (or stdin for `-`) as bytes, without Foundation.
enum FileText {
    static func read(_ path: String) throws(UsageError) -> [UInt8] {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw UsageError("cannot open \(path): \(errnoText(errno))") }
        defer { if fd != 0 { close(fd) } }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes.append(contentsOf: buffer[0..<count])
            } else if count == 0 {
                return bytes
            } else if errno != EINTR {
                throw UsageError("cannot read \(path): \(errnoText(errno))")
            }
        }
    }

    /// Writes all of `bytes` to `path` (created or truncated, mode 0600 since it may hold personal
    /// data), or to stdout for nil or `-`.
    static func write(_ bytes: [UInt8], to path: String?) throws(UsageError) {
        let toStdout = path == nil || path == "-"
        let fd = toStdout ? 1 : open(path!, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw UsageError("cannot create \(path!): \(errnoText(errno))") }
        defer { if !toStdout { close(fd) } }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw UsageError("cannot write \(toStdout ? "stdout" : path!): \(errnoText(errno))")
            }
            offset += written
        }
    }
}
