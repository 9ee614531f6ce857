import CSQLite

/// One open SQLite database handle and its single owner. Closed exactly once, with
/// `sqlite3_close_v2` (which waits for any statement still alive to be finalized). Used from one
/// thread at a time, so the handle is opened without SQLite's internal mutex.
final class SQLiteConnection {
    private(set) var handle: OpaquePointer?
    let path: String

    /// `readOnly`: for audits, which must neither create a missing file nor migrate an old one.
    init(path: String, readOnly: Bool = false) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            // SQLite allocates a handle even when opening fails; it still has to be closed.
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message, context: "opening \(path)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { close() }

    /// Idempotent.
    func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    var isOpen: Bool { handle != nil }

    /// Frees the pages this connection's cache holds and no statement is using
    /// (sqlite3_db_release_memory). After reading a whole snapshot or every table once, the cache
    /// is full of pages no later work reads again: 32 MB the daemon would otherwise keep.
    func releaseCache() {
        if let handle { sqlite3_db_release_memory(handle) }
    }

    /// Bytes of memory the connection's page cache holds (SQLITE_DBSTATUS_CACHE_USED).
    var cacheUsed: Int {
        guard let handle else { return 0 }
        var current: Int32 = 0, highwater: Int32 = 0
        sqlite3_db_status(handle, SQLITE_DBSTATUS_CACHE_USED, &current, &highwater, 0)
        return Int(current)
    }

    /// Runs one or more statements that return no rows (schema, pragmas, transaction control on
    /// cold paths).
    func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        defer { sqlite3_free(errorMessage) }
        guard rc == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? lastMessage
            throw SQLiteError(code: rc, message: message, context: "running \(sql.prefix(80))")
        }
    }

    func prepare(_ sql: String) throws -> SQLiteStatement {
        try SQLiteStatement(connection: self, sql: sql)
    }

    /// The first column of the first row, as text (`PRAGMA journal_mode`, …).
    func scalarText(_ sql: String) throws -> String? {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        return try statement.step() ? statement.text(0) : nil
    }

    func scalarInt(_ sql: String) throws -> Int64? {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        return try statement.step() && !statement.isNull(0) ? statement.int64(0) : nil
    }

    func setBusyTimeout(milliseconds: Int32) throws {
        let rc = sqlite3_busy_timeout(handle, milliseconds)
        guard rc == SQLITE_OK else { throw error(rc, "setting busy timeout") }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int32 { sqlite3_changes(handle) }

    /// True while a transaction is open (SQLite may roll one back by itself after some errors).
    var isInTransaction: Bool { handle != nil && sqlite3_get_autocommit(handle) == 0 }

    var lastMessage: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "database closed" }

    func error(_ rc: Int32, _ context: String) -> SQLiteError {
        // Prefer the extended code SQLite recorded (SQLITE_IOERR_FSYNC rather than SQLITE_IOERR).
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? rc
        let code = (extended & 0xFF) == (rc & 0xFF) ? extended : rc
        return SQLiteError(code: code, message: lastMessage, context: context)
    }
}
