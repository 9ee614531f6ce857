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
    /// data), or to stdout for nil or `-`. See `Writer`.
    static func write(_ bytes: [UInt8], to path: String?) throws(UsageError) {
        let writer = try Writer(path)
        defer { writer.close() }
        try writer.write(bytes)
    }

    /// A file written in parts (an export of many rows), or stdout for nil or `-`: created or
    /// truncated with mode 0600, since it may hold personal data.
    ///
    /// A symlink at `path` is refused, not followed: in a directory others can write (a shared
    /// /tmp), one planted there would otherwise have the export written wherever it points, with
    /// our permissions. An existing file is narrowed to 0600 too, since O_CREAT's mode only
    /// applies to a file it creates.
    struct Writer {
        private let fd: Int32
        private let name: String
        private let toStdout: Bool

        init(_ path: String?) throws(UsageError) {
            guard let path, path != "-" else {
                (fd, name, toStdout) = (1, "stdout", true)
                return
            }
            let opened = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0o600)
            guard opened >= 0 else {
                let code = errno
                var info = stat()
                if code == ELOOP, lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
                    throw UsageError("\(path) is a symbolic link; refusing to write through it (give the path of a regular file, or - for stdout)")
                }
                throw UsageError("cannot create \(path): \(errnoText(code))")
            }
            (fd, name, toStdout) = (opened, path, false)
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                let code = errno
                close()
                throw UsageError("cannot inspect \(path): \(errnoText(code))")
            }
            if (info.st_mode & S_IFMT) == S_IFREG, (info.st_mode & 0o077) != 0, fchmod(fd, 0o600) != 0 {
                let code = errno
                close()
                throw UsageError("cannot make \(path) private (mode 0600): \(errnoText(code))")
            }
        }

        /// Writes all of `bytes`.
        func write(_ bytes: [UInt8]) throws(UsageError) {
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw UsageError("cannot write \(name): \(errnoText(errno))")
                }
                offset += written
            }
        }

        func close() {
            if !toStdout { _ = Glibc.close(fd) }
        }
    }
}
