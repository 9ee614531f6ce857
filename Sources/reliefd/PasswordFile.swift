#if canImport(Glibc)
import Glibc
#endif

/// The PostgreSQL password from a file (`store_password_file`, `reliefd migrate --password-file`),
/// so it is never on the command line (`ps`), in the URL (logs, `info`) or in the environment.
enum PasswordFile {
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the password: the file's content without its final line break. Refused unless it is
    /// a regular file owned by the user reliefd runs as and readable by nobody else (0600 or
    /// 0400): a password others can read is no longer a secret, and a file someone else owns
    /// could be swapped for theirs.
    static func read(_ path: String, key: String) throws(Problem) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw Problem(description: "cannot open \(key) \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // Checked on the open file, so what is checked is what is read.
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Problem(description: "cannot inspect \(key) \(path): \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw Problem(description: "\(key) \(path) is not a regular file; expected a file holding the password")
        }
        guard info.st_uid == geteuid() else {
            throw Problem(description: "\(key) \(path) belongs to uid \(info.st_uid); expected the user reliefd runs as (uid \(geteuid())): chown it to that user")
        }
        guard info.st_mode & 0o077 == 0 else {
            let mode = "0" + String(info.st_mode & 0o777, radix: 8)
            throw Problem(description: "\(key) \(path) is mode \(mode), readable or writable by others; expected 0600 or 0400: chmod 600 \(path)")
        }
        guard info.st_size <= 4096 else {
            throw Problem(description: "\(key) \(path) is \(info.st_size) bytes; expected the password alone (at most 4096 bytes)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var count = 0
        while count < bytes.count {
            let read = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if read == 0 { break }
            if read < 0 {
                if errno == EINTR { continue }
                throw Problem(description: "cannot read \(key) \(path): \(String(cString: strerror(errno)))")
            }
            count += read
        }
        var content = bytes[..<count]
        if content.last == UInt8(ascii: "\n") { content = content.dropLast() }
        if content.last == UInt8(ascii: "\r") { content = content.dropLast() }
        guard !content.isEmpty else { throw Problem(description: "\(key) \(path) is empty; expected the password on its one line") }
        guard !content.contains(0), !content.contains(UInt8(ascii: "\n")), let password = String(validating: content, as: UTF8.self) else {
            throw Problem(description: "\(key) \(path) holds more than one line or bytes that are not UTF-8 text; expected the password alone on one line")
        }
        return password
    }
}
