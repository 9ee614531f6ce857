#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Who reads stderr, which decides the line's start (`LogfmtLine.format`).
public enum LogDestination: Sendable, Equatable {
    /// A terminal, a file or a pipe: each line carries its own time.
    case stream
    /// systemd's journal: each line starts with its syslog priority (`<4>`), which journald strips
    /// and keeps as the entry's priority (`journalctl -p warning`), and has no time, since journald
    /// stamps every line itself.
    case journal

    /// The destination of a stderr whose device and inode (fstat(2)'s `st_dev`, `st_ino`) are
    /// `device` and `inode`: the journal only when `JOURNAL_STREAM` names that very file. A child
    /// inherits `JOURNAL_STREAM` even when its stderr was redirected elsewhere, so the variable alone
    /// proves nothing; systemd.exec(5) says to compare it with the descriptor, as done here.
    public static func of(environment: [String: String], device: UInt64, inode: UInt64) -> LogDestination {
        guard let value = environment["JOURNAL_STREAM"], let stream = JournalStream(value),
              stream.device == device, stream.inode == inode else { return .stream }
        return .journal
    }

    /// The destination of file descriptor `fd` (stderr unless a test passes another): `.stream`
    /// when it cannot be examined.
    public static func of(descriptor fd: Int32, environment: [String: String]) -> LogDestination {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .stream }
        return of(environment: environment, device: UInt64(truncatingIfNeeded: info.st_dev), inode: UInt64(truncatingIfNeeded: info.st_ino))
    }
}

/// The value systemd puts in `JOURNAL_STREAM` when it connects stdout or stderr to the journal:
/// the stream's device and inode numbers in decimal, `DEV:INODE` (systemd.exec(5)).
public struct JournalStream: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// Nil unless `text` is exactly two decimal numbers around one colon.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
              let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return nil }
        self.init(device: device, inode: inode)
    }
}
