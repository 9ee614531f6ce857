import CSQLite

/// One column value as SQLite stores it. Rows of the roster tables are built as arrays of these so
/// that the same description of a row serves the insert (`bind(row:)`) and the drift check at
/// load (`columnsEqual`): what is written is by construction what is compared.
enum SQLiteValue: Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    init(_ value: String?) { self = value.map(SQLiteValue.text) ?? .null }
    init(_ value: Int64?) { self = value.map(SQLiteValue.integer) ?? .null }
}

extension SQLiteStatement {
    func bind(_ index: Int32, _ value: SQLiteValue) {
        switch value {
        case .null: bindNull(index)
        case .integer(let number): bind(index, number)
        case .real(let number): bind(index, number)
        case .text(let string): bind(index, string)
        }
    }

    /// Binds `row` to parameters `first`, `first + 1`, …
    func bind(row: [SQLiteValue], from first: Int32 = 1) {
        for (offset, value) in row.enumerated() { bind(first + Int32(offset), value) }
    }

    func value(_ column: Int32) -> SQLiteValue {
        switch columnType(column) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(int64(column))
        case SQLITE_FLOAT: return .real(double(column))
        default: return .text(text(column) ?? "")
        }
    }

    /// True when the current row's columns `first`, `first + 1`, … hold exactly `row`.
    func columnsEqual(_ row: [SQLiteValue], from first: Int32 = 0) -> Bool {
        for (offset, expected) in row.enumerated() {
            let column = first + Int32(offset)
            switch expected {
            case .null:
                guard columnType(column) == SQLITE_NULL else { return false }
            case .integer(let number):
                guard columnType(column) == SQLITE_INTEGER, int64(column) == number else { return false }
            case .real(let number):
                guard columnType(column) == SQLITE_FLOAT, double(column) == number else { return false }
            case .text(let string):
                // Byte for byte: Swift's String == would equate canonically equivalent spellings.
                guard columnType(column) == SQLITE_TEXT, withText(column, { $0.elementsEqual(string.utf8) }) else { return false }
            }
        }
        return true
    }
}
