import Logging

/// One open database file: the connection, the identity of the file it opened, the hot-path
/// statements and the projector. Owns all of them; `close()` finalizes every statement and then
/// closes the connection. The journal replaces its session when the file has to be reopened.
final class SQLiteSession {
    let connection: SQLiteConnection
    /// The file this connection writes to; compared with the path before each commit.
    let identity: FileIdentity
    let projector: SQLiteProjector
    let begin: SQLiteStatement
    let commit: SQLiteStatement
    let rollback: SQLiteStatement
    let appendEntry: SQLiteStatement
    let hashAtSeq: SQLiteStatement
    /// The schema version the file had before this session migrated it.
    let foundVersion: Int64

    static let busyTimeoutMilliseconds: Int32 = 5_000

    init(path: String, logger: Logger) throws {
        let connection = try SQLiteConnection(path: path)
        do {
            // WAL: readers (sqlite3, backups) never block the writer. FULL: every commit is fsync'd
            // before COMMIT returns, which is what lets the daemon answer OK.
            let mode = try connection.scalarText("PRAGMA journal_mode = WAL")
            guard mode?.lowercased() == "wal" else {
                throw StoreError("database \(path) refused WAL mode (journal_mode=\(mode ?? "?")); "
                                 + "is it on a filesystem without shared memory support?", isTransient: false)
            }
            try connection.execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON")
            // A large import (100 000 volunteers in one batch) inserts into the volunteers b-tree in
            // key order, not append order; with SQLite's 2 MB default cache the transaction keeps
            // re-reading its own pages from the WAL. 32 MB is allocated only as pages are used.
            try connection.execute("PRAGMA cache_size = -32768")
            try connection.setBusyTimeout(milliseconds: SQLiteSession.busyTimeoutMilliseconds)
            foundVersion = try SQLiteSchema.migrate(connection, logger: logger)
            guard let identity = FileIdentity.of(path: path) else {
                throw StoreError("database file \(path) vanished while it was being opened")
            }
            self.identity = identity
            begin = try connection.prepare("BEGIN IMMEDIATE")
            commit = try connection.prepare("COMMIT")
            rollback = try connection.prepare("ROLLBACK")
            appendEntry = try connection.prepare(
                "INSERT INTO journal (seq, time, actor, kind, body, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            hashAtSeq = try connection.prepare("SELECT hash FROM journal WHERE seq = ?1")
            projector = try SQLiteProjector(connection: connection)
        } catch {
            connection.close()
            throw error
        }
        self.connection = connection
    }

    deinit { close() }

    /// Finalizes every statement, then closes the connection. Idempotent.
    func close() {
        guard connection.isOpen else { return }
        projector.finalize()
        for statement in [begin, commit, rollback, appendEntry, hashAtSeq] { statement.finalize() }
        connection.close()
    }

    /// True while the path still names the file this session opened.
    func fileIsInPlace(path: String) -> Bool { FileIdentity.of(path: path) == identity }

    /// Rolls back whatever transaction an error left open; SQLite may already have done so.
    func rollbackIfNeeded() {
        guard connection.isInTransaction else { return }
        do {
            try rollback.execute()
        } catch {
            // Nothing more can be done here; the next probe reopens the file if it stays broken.
        }
    }

    /// The hash of the journal row `seq` (the genesis hash for 0), or nil when there is no such row.
    func hash(atSeq seq: Int64) throws -> [UInt8]? {
        if seq == 0 { return HashChain.genesis }
        defer { hashAtSeq.reset() }
        hashAtSeq.bind(1, seq)
        guard try hashAtSeq.step() else { return nil }
        return hashAtSeq.withText(0) { Array($0) }
    }

    /// The last journal row's seq and hash (0 and the genesis hash when the journal is empty).
    func tail() throws -> (seq: Int64, hash: [UInt8]) {
        let statement = try connection.prepare("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")
        defer { statement.finalize() }
        guard try statement.step() else { return (0, HashChain.genesis) }
        let seq = statement.int64(0)
        let hash = statement.withText(1) { Array($0) }
        guard hash.count == 64 else {
            throw StoreError("journal entry seq \(seq) has a malformed hash; the journal was altered or damaged", isTransient: false)
        }
        return (seq, hash)
    }
}
