#if canImport(Glibc)
import Glibc
#endif
import ReliefCore

/// `audit export`: the journal with its hash chain as JSON lines, for an outside auditor to check
/// with `deploy/verify-journal` (docs/storage.md "Exported journal"). The first line is a header
/// (`format`, `genesis`); then one line per entry in seq order: `seq`, `time` (milliseconds),
/// `actor`, `kind`, `body` (the journal body exactly as stored, as a JSON string) and `hash`.
/// Bodies hold personal data (rosters): the file is created 0600, never over an existing file
/// or through a symlink.
public enum JournalExport {
    public static let format = "reliefd-journal-export-1"

    public struct Report: Sendable, Equatable {
        public var entries: Int
        public var lastSeq: Int64
        public var lastHash: String
    }

    /// Writes the rows `produce` hands over (in seq order) to a new file at `path`.
    static func write(to path: String, _ produce: (_ emit: (Int64, Int64, String, String, String, String) throws -> Void) throws -> Void) throws -> Report {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError("cannot create \(path): \(String(cString: strerror(errno)))", isTransient: false) }
        var done = false
        defer {
            close(fd)
            if !done { unlink(path) }
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        func flush() throws {
            var offset = 0
            while offset < buffer.count {
                let written = buffer[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw StoreError("cannot write \(path): \(String(cString: strerror(errno)))", isTransient: false)
                }
                offset += written
            }
            buffer.removeAll(keepingCapacity: true)
        }
        var header = FlatJSON()
        header.set("format", format)
        header.set("genesis", String(repeating: "0", count: 64))
        header.encode(into: &buffer)
        buffer.append(0x0A)
        var report = Report(entries: 0, lastSeq: 0, lastHash: String(repeating: "0", count: 64))
        try produce { seq, time, actor, kind, body, hash in
            var line = FlatJSON()
            line.set("seq", seq); line.set("time", time); line.set("actor", actor); line.set("kind", kind)
            line.set("body", body); line.set("hash", hash)
            line.encode(into: &buffer)
            buffer.append(0x0A)
            report.entries += 1
            report.lastSeq = seq
            report.lastHash = hash
            if buffer.count >= 1 << 20 { try flush() }
        }
        try flush()
        guard fsync(fd) == 0 else { throw StoreError("cannot sync \(path): \(String(cString: strerror(errno)))", isTransient: false) }
        done = true
        return report
    }
}

extension SQLiteJournal {
    /// The journal of the SQLite store at `path` (opened read-only) exported to `file`.
    public static func export(path: String, to file: String) throws -> JournalExport.Report {
        guard FileIdentity.of(path: path) != nil else { throw StoreError("no SQLite store at \(path)", isTransient: false) }
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            defer { connection.close() }
            try connection.setBusyTimeout(milliseconds: SQLiteSession.busyTimeoutMilliseconds)
            // One read transaction: the rows of one moment, however long the writing takes.
            let rows = try connection.prepare("SELECT seq, time, actor, kind, body, hash FROM journal ORDER BY seq")
            defer { rows.finalize() }
            return try JournalExport.write(to: file) { emit in
                while try rows.step() {
                    try emit(rows.int64(0), rows.int64(1), rows.text(2) ?? "", rows.text(3) ?? "", rows.text(4) ?? "", rows.text(5) ?? "")
                }
            }
        } catch let error as SQLiteError {
            throw StoreError("exporting the journal of sqlite:\(path): \(error.storeError.message)", isTransient: false)
        }
    }
}

extension PostgresJournal {
    /// This store's journal exported to `file`, read in pages up to the seq it ends at when asked.
    public func export(to file: String) throws -> JournalExport.Report {
        let tail = try self.tail().seq
        return try JournalExport.write(to: file) { emit in
            var after: Int64 = 0
            while after < tail {
                let rows = try query("SELECT seq, time, actor, kind, body, hash FROM journal WHERE seq > $1::bigint AND seq <= $2::bigint ORDER BY seq LIMIT 1000",
                                     [String(after), String(tail)])
                guard rows.count > 0 else { break }
                for row in 0..<rows.count {
                    after = Int64(rows[row, 0] ?? "") ?? after
                    try emit(after, Int64(rows[row, 1] ?? "") ?? 0, rows[row, 2] ?? "", rows[row, 3] ?? "", rows[row, 4] ?? "", rows[row, 5] ?? "")
                }
            }
        }
    }
}
