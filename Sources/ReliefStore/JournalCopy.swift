import Logging
import ReliefCore

/// `reliefd migrate --from sqlite:PATH --to postgres://…`: copies an operation from the embedded
/// store into an empty PostgreSQL database, row for row (the journal with its hashes, then the
/// snapshots), in one transaction, while holding the leader lock so no reliefd writes meanwhile.
/// The database's trigger projects every entry as it lands, so the current-state tables are built
/// in the same transaction. Then it checks: the same number of entries, the same last hash, the
/// chain recomputed over the copy, and the state loaded from the copy equal to the source's.
public enum JournalCopy {
    public struct Report: Sendable, CustomStringConvertible {
        public var entries: Int
        public var snapshots: Int
        public var lastHash: String
        public var description: String { "copied \(entries) entries and \(snapshots) snapshots; last hash \(lastHash)" }
    }

    /// Rows per job inside the one transaction (a bound on memory, not on atomicity).
    static let rowsPerJob = 5_000

    public static func copy(from source: SQLiteJournal, to target: PostgresJournal, logger: Logger) throws -> Report {
        let sourceState = try source.load()
        let entries = try source.verifyChain().entries
        guard let session = source.session else { throw StoreError("source store is not open", isTransient: false) }

        guard try target.tryLeaderLock() else {
            throw StoreError("\(target.location) is in use: a reliefd holds its leader lock; stop it first", isTransient: false)
        }
        let existing = try target.load()
        guard existing.lastSeq == 0 else {
            throw StoreError("\(target.location) already holds \(existing.lastSeq) journal entries; migrate only into an empty database",
                             isTransient: false)
        }

        try target.run([PGConnection.Statement("BEGIN"), PGConnection.Statement("SET LOCAL reliefd.notify = 'off'")], "starting the copy")
        var copied = 0
        do {
            var batch: [PGConnection.Statement] = []
            batch.reserveCapacity(rowsPerJob)
            try source.forEachRow { seq, time, actor, kind, body, hash in
                batch.append(PGConnection.Statement(PostgresStore.appendSQL, [
                    String(seq), String(time), String(decoding: actor, as: UTF8.self), String(decoding: kind, as: UTF8.self),
                    String(decoding: body, as: UTF8.self), String(decoding: hash, as: UTF8.self),
                ], prepareAs: "reliefd_append"))
                if batch.count == rowsPerJob {
                    try target.run(batch, "copying entries up to \(seq)")
                    copied += batch.count
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty {
                try target.run(batch, "copying the last entries")
                copied += batch.count
            }
            var snapshots = 0
            let rows = try session.connection.prepare("SELECT seq, hash, taken_at, format, body, \(try SQLiteJournal.partsColumn(session.connection)) FROM snapshots ORDER BY seq")
            defer { rows.finalize() }
            while try rows.step() {
                let body = rows.int64(5) > 0
                    ? String(decoding: try SQLiteJournal.snapshotBody(seq: rows.int64(0), parts: rows.int64(5), session.connection), as: UTF8.self)
                    : rows.text(4)
                try target.run([PGConnection.Statement("INSERT INTO snapshots (seq, hash, taken_at, format, body) VALUES ($1, $2, $3, $4, $5)",
                                                       [String(rows.int64(0)), rows.text(1), String(rows.int64(2)), rows.text(3), body])],
                               "copying the snapshot at seq \(rows.int64(0))")
                snapshots += 1
            }
            let results = try target.run([PGConnection.Statement("COMMIT")], "committing the copy")
            guard PostgresStore.committed(results) else { throw StoreError("the copy did not commit", isTransient: false) }
            logger.info("journal copied", metadata: ["entries": "\(copied)", "snapshots": "\(snapshots)"])

            // Check the copy as a reader would.
            guard copied == entries else { throw StoreError("copied \(copied) entries but the source holds \(entries)", isTransient: false) }
            let copiedCount = try target.verifyChain().entries
            guard copiedCount == entries else {
                throw StoreError("the target holds \(copiedCount) entries, the source \(entries)", isTransient: false)
            }
            let sourceTail = try session.tail()
            let targetTail = try target.tail()
            guard targetTail.seq == sourceTail.seq, Array(targetTail.hash.utf8) == sourceTail.hash else {
                throw StoreError("last entry differs: source seq \(sourceTail.seq) hash \(String(decoding: sourceTail.hash, as: UTF8.self)), "
                                 + "target seq \(targetTail.seq) hash \(targetTail.hash)", isTransient: false)
            }
            let loaded = try target.load()
            guard loaded.snapshotText() == sourceState.snapshotText() else {
                throw StoreError("the state loaded from the copy differs from the source's", isTransient: false)
            }
            return Report(entries: copied, snapshots: snapshots, lastHash: targetTail.hash)
        } catch {
            _ = try? target.run([PGConnection.Statement("ROLLBACK")], "rolling back the copy")
            throw error
        }
    }
}
