#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which file a path names right now (device and inode). SQLite keeps writing into a database
/// file that was unlinked or replaced while open, so the journal compares this before each commit:
/// one `stat` per batch.
struct FileIdentity: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64

    /// nil when the path does not name a file now (removed, or its directory is unreadable).
    static func of(path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}
