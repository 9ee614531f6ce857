// ReliefCSV: the spreadsheet side of reliefctl (import and export of rosters and travel times),
// a library of its own so the fuzz targets (Tests/Fuzz) can reach it. Pure: no I/O.

/// RFC 4180 CSV, as spreadsheets export it: fields separated by commas, records by CRLF or LF;
/// a field in double quotes may hold commas, line breaks and doubled quotes (`""`). Pure: no I/O.
public enum CSV {
    /// One record and the physical line (counted from 1) it starts on.
    public struct Record: Equatable, Sendable {
        public var line: Int
        public var fields: [String]

        public init(line: Int, fields: [String]) {
            self.line = line
            self.fields = fields
        }
    }

    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }

        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }
    }

    /// Parses the whole text. Blank lines are skipped; a UTF-8 byte-order mark at the start is ignored.
    public static func parse(_ bytes: [UInt8]) throws(Failure) -> [Record] {
        var reader = Reader(bytes)
        var records: [Record] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    /// Reads records one at a time, so a large file can be sent while it is still being read.
    /// After a failure the reader is at the end: the rest of the file cannot be framed reliably.
    public struct Reader {
        private let bytes: [UInt8]
        private var index: Int
        /// The physical line the reader is on.
        private var line = 1

        public init(_ bytes: [UInt8]) {
            self.bytes = bytes
            index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        }

        /// The next non-blank record, or nil at the end.
        public mutating func next() throws(Failure) -> Record? {
            do {
                while index < bytes.count {
                    if let record = try record() { return record }
                }
                return nil
            } catch {
                index = bytes.count
                throw error
            }
        }

        /// Reads one physical record (nil for a blank line).
        private mutating func record() throws(Failure) -> Record? {
            var fields: [String] = []
            var field: [UInt8] = []
            let recordLine = line
            /// The record has something (a comma, a quote, a character): it is not a blank line.
            var recordStarted = false
            /// The current field has a character or was quoted.
            var fieldStarted = false
            let count = bytes.count

            func text(_ field: [UInt8]) throws(Failure) -> String {
                guard let string = String(validating: field, as: UTF8.self) else {
                    throw Failure(line: recordLine, message: "invalid UTF-8; save the file as UTF-8 CSV")
                }
                return string
            }

            while index < count {
                let byte = bytes[index]
                if byte == 0x22 { // quote
                    guard field.isEmpty && !fieldStarted else {
                        throw Failure(line: line, message: "quote inside an unquoted field; quote the whole field and double the quote (\"\")")
                    }
                    fieldStarted = true
                    recordStarted = true
                    let openedOn = line
                    index += 1
                    var closed = false
                    while index < count {
                        let inner = bytes[index]
                        if inner == 0x22 {
                            if index + 1 < count, bytes[index + 1] == 0x22 {
                                field.append(0x22)
                                index += 2
                                continue
                            }
                            index += 1
                            closed = true
                            break
                        }
                        if inner == 0x0A { line += 1 }
                        field.append(inner)
                        index += 1
                    }
                    guard closed else {
                        throw Failure(line: openedOn, message: "unbalanced quote: the quoted field that opens on this line never closes")
                    }
                    if index < count, bytes[index] != 0x2C, bytes[index] != 0x0A, bytes[index] != 0x0D {
                        throw Failure(line: line, message: "unexpected character after a closing quote; expected a comma or the end of the line")
                    }
                    continue
                }
                switch byte {
                case 0x2C: // comma
                    fields.append(try text(field))
                    field.removeAll(keepingCapacity: true)
                    fieldStarted = false
                    recordStarted = true
                    index += 1
                case 0x0D, 0x0A:
                    index += 1
                    if byte == 0x0D, index < count, bytes[index] == 0x0A { index += 1 }
                    line += 1
                    fields.append(try text(field))
                    return recordStarted ? Record(line: recordLine, fields: fields) : nil
                default:
                    field.append(byte)
                    fieldStarted = true
                    recordStarted = true
                    index += 1
                }
            }
            fields.append(try text(field))
            return recordStarted ? Record(line: recordLine, fields: fields) : nil
        }
    }

    public static func parse(_ text: String) throws(Failure) -> [Record] { try parse(Array(text.utf8)) }

    /// One field as RFC 4180 writes it: quoted when it holds a comma, quote, CR or LF, or starts or
    /// ends with a space (which some readers would trim).
    public static func field(_ value: String) -> String {
        let needsQuotes = value.utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }
            || value.first == " " || value.last == " "
        guard needsQuotes else { return value }
        return "\"" + value.replacingQuotes() + "\""
    }

    /// One record with CRLF.
    public static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    // MARK: formula injection

    /// A cell a spreadsheet would run as a formula (OWASP, "CSV Injection"): one that starts with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return — also after any number of `'`, so that the
    /// quote `neutralised` adds can always be told from one the value had.
    static func startsFormula(_ value: String) -> Bool {
        for byte in value.utf8 where byte != 0x27 {
            return byte == 0x3D || byte == 0x2B || byte == 0x2D || byte == 0x40 || byte == 0x09 || byte == 0x0D
        }
        return false
    }

    /// Whether `value` is a plain decimal number: an optional sign, digits, an optional fraction
    /// and exponent (`-5`, `-33.7`, `1e6`). Not `inf`, `nan` or hexadecimal, as Double would read.
    public static func isPlainNumber(_ value: String) -> Bool {
        var bytes = value.utf8[...]
        func digits() -> Int {
            var count = 0
            while let byte = bytes.first, byte >= 0x30, byte <= 0x39 { bytes = bytes.dropFirst(); count += 1 }
            return count
        }
        if let sign = bytes.first, sign == 0x2B || sign == 0x2D { bytes = bytes.dropFirst() }
        var count = digits()
        if bytes.first == 0x2E {
            bytes = bytes.dropFirst()
            count += digits()
        }
        guard count > 0 else { return false }
        if let e = bytes.first, e == 0x65 || e == 0x45 {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == 0x2B || sign == 0x2D { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }

    /// A cell as an export writes it: one a spreadsheet would run as a formula gets a `'` in
    /// front, which makes it text (`=HYPERLINK(…)` → `'=HYPERLINK(…)`). A number in a numeric
    /// column is written as it is, so -5 and -33.7 stay numbers; in a text column (a phone
    /// `+86…`, a name `-x-`) it gets the quote too. `unneutralised` takes the quote off again.
    public static func neutralised(_ value: String, numeric: Bool) -> String {
        guard startsFormula(value), !(numeric && isPlainNumber(value)) else { return value }
        return "'" + value
    }

    /// A cell as an import reads it: the `'` that `neutralised` put in front of a formula-like
    /// value is taken off (one quote before any further quotes and `=`, `+`, `-`, `@`, tab or
    /// CR), so an export imports back as it was. Any other cell is left as it is.
    public static func unneutralised(_ cell: String) -> String {
        guard cell.utf8.first == 0x27, startsFormula(cell) else { return cell }
        return String(String.UnicodeScalarView(cell.unicodeScalars.dropFirst()))
    }

    /// One record of an export: each field neutralised (`numeric[i]` says whether field i is in a
    /// numeric column; a missing entry is text), then written as `record` writes it.
    public static func exportRecord(_ fields: [String], numeric: [Bool]) -> String {
        record(fields.enumerated().map { index, value in neutralised(value, numeric: index < numeric.count && numeric[index]) })
    }

    /// An HXL hashtag row (`#contact+name`, …): every non-empty cell starts with `#`, and one does.
    public static func isHashtagRow(_ fields: [String]) -> Bool {
        var any = false
        for cell in fields {
            let trimmed = cell.trimmingSpaces
            if trimmed.isEmpty { continue }
            guard trimmed.hasPrefix("#") else { return false }
            any = true
        }
        return any
    }
}

extension String {
    /// Every `"` doubled, as RFC 4180 quotes a field (no Foundation needed). On scalars: as a
    /// Character, a quote followed by a combining mark is not `"`, and would be left single.
    func replacingQuotes() -> String {
        var out = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            out.append(scalar)
            if scalar == "\"" { out.append(scalar) }
        }
        return String(out)
    }

    var trimmingSpaces: String {
        guard let first = utf8.first, let last = utf8.last else { return self }
        if first != 0x20 && first != 0x09 && last != 0x20 && last != 0x09 { return self }
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
