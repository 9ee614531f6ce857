import CSQLite

/// One prepared statement, owned by whoever holds this object and finalized exactly once (in
/// `finalize()` or `deinit`). Statements are prepared once and reset after each use, never
/// re-prepared on the hot path. Binding errors (a string over SQLite's size limit) are remembered
/// and thrown by the next `step`, so binds stay cheap and non-throwing.
final class SQLiteStatement {
    private var handle: OpaquePointer?
    /// Keeps the connection alive for as long as this statement exists.
    let connection: SQLiteConnection
    let sql: String
    private var bindError: Int32 = SQLITE_OK

    init(connection: SQLiteConnection, sql: String) throws {
        self.connection = connection
        self.sql = sql
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw connection.error(rc, "preparing \(sql)")
        }
        handle = statement
    }

    deinit { finalize() }

    func finalize() {
        if let handle { sqlite3_finalize(handle) }
        handle = nil
    }

    // MARK: binding (1-based indexes, like SQLite)

    func bind(_ index: Int32, _ value: Int64) { check(sqlite3_bind_int64(handle, index, value)) }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { bind(index, value) } else { bindNull(index) }
    }

    func bind(_ index: Int32, _ value: Double) { check(sqlite3_bind_double(handle, index, value)) }

    func bind(_ index: Int32, _ value: String) {
        var value = value
        value.withUTF8 { bytes in
            bind(index, text: UnsafeRawBufferPointer(bytes))
        }
    }

    func bind(_ index: Int32, _ value: String?) {
        if let value { bind(index, value) } else { bindNull(index) }
    }

    /// Binds UTF-8 bytes as TEXT; SQLite copies them, so the buffer may change after this returns.
    func bind(_ index: Int32, text bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Int(Int32.max) else { bindError = SQLITE_TOOBIG; return }
        // A zero-length buffer may have a nil base address; SQLite would then bind NULL, not ''.
        let base = bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
        check(sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count),
                                reliefd_sqlite_transient()))
    }

    func bindNull(_ index: Int32) { check(sqlite3_bind_null(handle, index)) }

    private func check(_ rc: Int32) {
        if rc != SQLITE_OK && bindError == SQLITE_OK { bindError = rc }
    }

    // MARK: stepping

    /// Advances the statement: true when a row is available, false when done.
    func step() throws -> Bool {
        if bindError != SQLITE_OK {
            let rc = bindError
            bindError = SQLITE_OK
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errstr(rc)), context: "binding \(sql)")
        }
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc: throw connection.error(rc, "running \(sql)")
        }
    }

    /// Runs a statement that returns no rows, then resets it for the next use.
    func execute() throws {
        defer { reset() }
        while try step() {}
    }

    /// Makes the statement ready to run again. Bindings stay; every use rebinds all parameters.
    func reset() {
        // The return value repeats the last step's error, which `step` already reported.
        sqlite3_reset(handle)
    }

    // MARK: columns (0-based)

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    var columnCount: Int32 { sqlite3_column_count(handle) }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    /// SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT or SQLITE_BLOB.
    func columnType(_ column: Int32) -> Int32 { sqlite3_column_type(handle, column) }

    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// The column's UTF-8 bytes without copying; valid only inside `body` (until the next step).
    func withText<R>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let pointer = sqlite3_column_text(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        return try body(UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count))
    }
}
