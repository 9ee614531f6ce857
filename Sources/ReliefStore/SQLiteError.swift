import CSQLite

/// A failed SQLite call: its extended result code, SQLite's message and what we were doing.
/// Converted to a `StoreError` at the Journal boundary, where transience is decided.
struct SQLiteError: Error, CustomStringConvertible {
    var code: Int32
    var message: String
    var context: String

    var primaryCode: Int32 { code & 0xFF }

    var description: String {
        let name = String(cString: sqlite3_errstr(code))
        return "\(context): \(message) (sqlite \(code), \(name))"
    }

    /// Conditions an operator can clear without touching the data: disk full, I/O errors, a file
    /// made read-only or unreadable, a lock held too long, memory pressure. Everything else
    /// (constraint violations, corruption, SQL errors) means the request or the file is wrong.
    var isTransient: Bool {
        switch primaryCode {
        case SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_CANTOPEN,
             SQLITE_PERM, SQLITE_NOMEM, SQLITE_PROTOCOL, SQLITE_INTERRUPT:
            return true
        default:
            return false
        }
    }

    var storeError: StoreError { StoreError(description, isTransient: isTransient) }
}
