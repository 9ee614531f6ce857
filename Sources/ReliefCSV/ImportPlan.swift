import ReliefLimits
import ReliefProtocol

/// Turns a spreadsheet's CSV into import rows: request lines, each tagged with the CSV line it came
/// from. Pure: no I/O, so it is tested in memory.
///
/// The first record is the header; an HXL hashtag row may follow it (or stand alone in its place).
/// With one, a column is found by its hashtag (HXL.Table: `#item+code` is the item whatever the
/// header says, attributes in any order, further attributes allowed); a column whose hashtag is
/// empty or names none of the kind's columns is found by its English header name, as without one.
/// Cells are trimmed, and the `'` an export puts before a formula-like value is taken off
/// (CSV.unneutralised). Columns map to options of `volunteer add` / `team add`; empty cells are
/// left out.
/// Volunteers: `cert_skill`, `cert_issued`, `cert_expires`, `cert_issuer` add a `volunteer certify`
/// row; a later record with the same id and only cert_* cells filled adds another certification.
/// A `certifications` column (`skill:issued:expires:issuer;…`, as `reliefctl export volunteers`
/// writes it) adds a `volunteer certify` row per certification. The export's live-state columns
/// (status, duty, team, …) are skipped: a volunteer's registration moves, the live state does not.
/// Teams: `members` (ids separated by `;`) become `team member add` rows (the leader, a member
/// already, is left out).
/// Travel: `from`, `to`, `minutes` become `travel set FROM TO MINUTES`; a `both` column (yes/no,
/// true/false, 1/0, or empty for no) adds `both` (the same minutes the other way).
/// Stock (opening stock from a warehouse's spreadsheet, or `reliefctl export stock|lots`):
/// `warehouse`, `item`, `on_hand` (or `quantity`) become `stock receive WAREHOUSE ITEM QTY` with
/// `lot`, `expires`, `unit` (checked against the item's), `source`, `donor` or `supplier` (or
/// `party`, the donor or, with source purchase, the supplier) and `note`; a `min` column adds
/// `stock min WAREHOUSE ITEM MIN`. A quantity of 0 receives nothing. The exports' live columns
/// (reserved, available, days_left, distance_km) are skipped.
public struct ImportPlan {
    public enum Kind: String, CaseIterable, Sendable {
        case volunteers, teams, travel, stock

        public var columns: [String] {
            switch self {
            case .volunteers: ["id", "name", "phone", "id_number", "region", "lat", "lon", "at", "languages", "skills",
                               "max_hours", "min_rest", "org", "certifications"] + ImportPlan.certColumns
            case .teams: ["id", "name", "specialty", "region", "lat", "lon", "at", "leader", "members"]
            case .travel: ["from", "to", "minutes", "both"]
            case .stock: ["warehouse", "item", "on_hand", "unit", "lot", "expires", "source", "party", "donor", "supplier",
                          "note", "min"]
            }
        }

        /// Columns the header must have.
        public var required: [String] {
            switch self {
            case .volunteers, .teams: ["id"]
            case .travel: ["from", "to", "minutes"]
            case .stock: ["warehouse", "item", "on_hand"]
            }
        }

        /// Other header names of a column: a warehouse's spreadsheet says quantity.
        public var aliases: [String: String] {
            switch self {
            case .stock: ["quantity": "on_hand", "qty": "on_hand", "sku": "item"]
            case .volunteers, .teams, .travel: [:]
            }
        }

        /// Columns of an export that are read past: live state, not what an import makes.
        public var skipped: [String] {
            switch self {
            case .volunteers: ImportPlan.liveStateColumns
            case .stock: ["reserved", "available", "days_left", "distance_km"]
            case .teams, .travel: []
            }
        }

        /// The hashtags of its columns.
        public var table: HXL.Table {
            switch self {
            case .volunteers: .volunteers
            case .teams: .teams
            case .travel: .travel
            case .stock: .stock
            }
        }
    }

    public struct Row: Equatable, Sendable {
        public var line: Int
        /// The command and its positional words and flags: each stays one word, whatever a cell
        /// holds (a cell `v=1` is the word `v=1`, not an option).
        public var words: [String]
        /// Options the plan chose the keys of; their values come from cells.
        public var options: [Request.Option]

        public init(line: Int, words: [String], options: [Request.Option] = []) {
            self.line = line
            self.words = words
            self.options = options
        }

        /// Adds `key=value`.
        mutating func option(_ key: String, _ value: String) { options.append(Request.Option(key: key, value: value)) }

        /// The request line sent to the daemon, with `line=N` so its errors name the CSV line.
        public var requestLine: String {
            var bytes: [UInt8] = []
            appendRequestLine(into: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }

        /// `requestLine` appended to a buffer (without a line end).
        public func appendRequestLine(into bytes: inout [UInt8]) {
            for word in words {
                // appendValue quotes a word holding `=`, so the parser reads it as a word.
                TextEncoder.appendValue(word, into: &bytes)
                bytes.append(0x20)
            }
            for option in options {
                bytes.append(contentsOf: option.key.utf8)
                bytes.append(0x3D)
                TextEncoder.appendValue(option.value, into: &bytes)
                bytes.append(0x20)
            }
            bytes.append(contentsOf: "line=".utf8)
            bytes.append(contentsOf: String(line).utf8)
        }
    }

    public static let certColumns = ["cert_skill", "cert_issued", "cert_expires", "cert_issuer"]

    /// Columns of `volunteer export` that describe live state, not a registration: read past.
    public static let liveStateColumns = ["status", "status_reason", "status_until", "on_duty_since", "team", "deployments",
                                   "hours_total", "registered", "last_drill"]

    /// A problem with the file as a whole (its header): a usage error.
    public struct HeaderError: Error, Equatable, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Bad records, every one, in line order.
    public struct RecordErrors: Error, Equatable {
        public var failures: [CSV.Failure]
        public init(failures: [CSV.Failure]) { self.failures = failures }
    }

    public let kind: Kind
    /// The header's column names, lowercased; skipped columns are "" so fields still line up.
    private let names: [String]
    /// Header columns that were read past (live state from an export).
    public private(set) var skippedColumns: [String] = []
    /// Data records read (header and hashtag row not counted).
    public private(set) var records = 0
    /// Whether the file has an HXL hashtag row (its columns were matched by hashtag).
    public let hasHashtags: Bool
    /// Ids of the volunteers added so far (a later record with only cert_* cells certifies one).
    private var volunteerIds = Set<String>()

    /// Checks the header (the file's first record; nil for an empty file) and the HXL hashtag row
    /// after it (nil when the next record is not one: see `CSV.isHashtagRow`), or throws their
    /// problem. A header that is itself a hashtag row is a file with hashtags and no names.
    public init(kind: Kind, header: CSV.Record?, hashtags: CSV.Record? = nil) throws(HeaderError) {
        self.kind = kind
        guard let header else { throw HeaderError(description: "the file is empty; expected a header row such as: \(kind.columns.prefix(4).joined(separator: ","))") }
        var labels = header.fields.map { $0.trimmingSpaces.lowercased() }
        var tags: [String]? = hashtags.map { $0.fields.map(\.trimmingSpaces) }
        if tags == nil, CSV.isHashtagRow(header.fields) {
            tags = header.fields.map(\.trimmingSpaces)
            labels = labels.map { _ in "" }
        }
        hasHashtags = tags != nil
        let line = header.line
        var names = labels
        /// What each column was found by, for messages: its hashtag when it has one.
        var shown = labels.map { "\"\($0)\"" }
        if let tags {
            if tags.count > labels.count, tags[labels.count...].contains(where: { !$0.isEmpty }) {
                throw HeaderError(description: "the hashtag row (line \(hashtags?.line ?? line)) has \(tags.count) cells, the header \(labels.count); expected a hashtag under each column")
            }
            let known = kind.table.columns.filter { kind.columns.contains($0.name) || kind.skipped.contains($0.name) }
            for (index, text) in tags.prefix(labels.count).enumerated() where !text.isEmpty {
                guard let tag = HXL.Tag(text) else {
                    if names[index].isEmpty { names[index] = text.lowercased() }
                    shown[index] = "\"\(names[index])\" (\(text), not an HXL hashtag)"
                    continue
                }
                switch HXL.match(tag, among: known) {
                case .one(let column):
                    names[index] = column.name
                    shown[index] = "\"\(column.name)\" (\(text))"
                case .ambiguous(let columns):
                    throw HeaderError(description: "the hashtag \(text) of column \(index + 1) matches "
                        + columns.map { "\($0.name) (\($0.tag))" }.joined(separator: ", ")
                        + " (line \(hashtags?.line ?? line)); add an attribute that tells them apart")
                case .none:
                    // Not ours: the English name says what the column is, or nothing does.
                    if names[index].isEmpty { names[index] = text.lowercased() }
                    shown[index] = "\"\(names[index])\" (\(text))"
                }
            }
        }
        names = names.map { kind.aliases[$0] ?? $0 }
        skippedColumns = names.filter { kind.skipped.contains($0) }
        names = names.map { kind.skipped.contains($0) ? "" : $0 }
        let unknown = names.indices.filter { !names[$0].isEmpty && !kind.columns.contains(names[$0]) }
        if !unknown.isEmpty {
            throw HeaderError(description: "unknown column\(unknown.count == 1 ? "" : "s") "
                + unknown.map { shown[$0] }.joined(separator: ", ")
                + " in the header (line \(line)); expected columns among: " + kind.columns.joined(separator: ", ")
                + (hasHashtags ? ", or their HXL hashtags (docs/operations.md, \"HXL hashtags\")" : ""))
        }
        var seen = Set<String>()
        for name in names where !name.isEmpty && !seen.insert(name).inserted {
            throw HeaderError(description: "column \"\(name)\" appears twice in the header (line \(line))")
        }
        for name in kind.required where !names.contains(name) {
            throw HeaderError(description: "no \(name) column in the header (line \(line))")
        }
        if names.contains("at") && (names.contains("lat") || names.contains("lon")) {
            throw HeaderError(description: "give either an at column or lat and lon columns, not both")
        }
        if names.contains("lat") != names.contains("lon") {
            throw HeaderError(description: "a lat column needs a lon column and the other way round")
        }
        if names.contains("party") && (names.contains("donor") || names.contains("supplier")) {
            throw HeaderError(description: "give either a party column or donor and supplier columns, not both")
        }
        self.names = names
        for (index, name) in names.enumerated() where !name.isEmpty { columns[name] = index }
    }

    /// Where each named column is in a record.
    private var columns: [String: Int] = [:]

    /// One record's cells by column name; an empty cell reads as nil.
    struct Cells {
        let columns: [String: Int]
        let values: [String]

        subscript(name: String) -> String? {
            guard let index = columns[name], !values[index].isEmpty else { return nil }
            return values[index]
        }

        /// Whether any filled cell is in a column not among `names`.
        func hasFilled(outside names: Set<String>) -> Bool {
            columns.contains { !names.contains($0.key) && !values[$0.value].isEmpty }
        }
    }

    private static let certificateOnlyColumns: Set<String> = Set(["id", "certifications"] + certColumns)

    /// The rows of a data record (one after the header and hashtag row), or the record's problem.
    public mutating func rows(for record: CSV.Record) throws(CSV.Failure) -> [Row] {
        records += 1
        guard record.fields.count == names.count else {
            throw CSV.Failure(line: record.line, message: "\(record.fields.count) field\(record.fields.count == 1 ? "" : "s"), expected \(names.count) as in the header")
        }
        let cells = Cells(columns: columns, values: record.fields.map { CSV.unneutralised($0.trimmingSpaces) })
        switch kind {
        case .volunteers: return try ImportPlan.volunteerRows(cells, line: record.line, seen: &volunteerIds)
        case .teams: return try ImportPlan.teamRows(cells, line: record.line)
        case .travel: return try ImportPlan.travelRows(cells, line: record.line)
        case .stock: return try ImportPlan.stockRows(cells, line: record.line)
        }
    }

    /// Whether `record`, the one after the header, is the HXL hashtag row (not when the header is
    /// one itself).
    public static func isHashtagRow(_ record: CSV.Record?, after header: CSV.Record?) -> Bool {
        guard let record, let header, !CSV.isHashtagRow(header.fields) else { return false }
        return CSV.isHashtagRow(record.fields)
    }

    /// Every row of a whole file, or the header's problem (`HeaderError`) or every bad record's
    /// (`RecordErrors`).
    public static func rows(kind: Kind, records: [CSV.Record]) throws -> (rows: [Row], plan: ImportPlan) {
        let hashtags = isHashtagRow(records.dropFirst().first, after: records.first)
        var plan = try ImportPlan(kind: kind, header: records.first, hashtags: hashtags ? records[1] : nil)
        var rows: [Row] = []
        var failures: [CSV.Failure] = []
        for record in records.dropFirst(hashtags ? 2 : 1) {
            do { rows += try plan.rows(for: record) } catch { failures.append(error) }
        }
        if !failures.isEmpty { throw RecordErrors(failures: failures) }
        return (rows, plan)
    }

    private static func location(_ cells: Cells, line: Int) throws(CSV.Failure) -> String? {
        if let at = cells["at"] { return at }
        switch (cells["lat"], cells["lon"]) {
        case (nil, nil): return nil
        case (let lat?, let lon?): return lat + "," + lon
        default: throw CSV.Failure(line: line, message: "lat and lon must both be given or both be empty")
        }
    }

    /// The record's id: the daemon checks the rest of what makes an id, but one longer than any
    /// id is refused here, because it is repeated on every certification or member row of the
    /// record — a long id times many of those would be a file's size squared.
    private static func id(_ cells: Cells, line: Int) throws(CSV.Failure) -> String {
        guard let id = cells["id"] else { throw CSV.Failure(line: line, message: "empty id") }
        guard id.utf8.count <= Limits.identifierBytes else {
            throw CSV.Failure(line: line, message: "id of \(id.utf8.count) bytes; expected at most \(Limits.identifierBytes)")
        }
        return id
    }

    private static func volunteerRows(_ cells: Cells, line: Int, seen: inout Set<String>) throws(CSV.Failure) -> [Row] {
        let id = try id(cells, line: line)
        var rows: [Row] = []
        let certOnly = !cells.hasFilled(outside: certificateOnlyColumns) && cells["cert_skill"] != nil && seen.contains(id)
        if !certOnly {
            var row = Row(line: line, words: ["volunteer", "add", id])
            for key in ["name", "phone", "id_number", "region"] { if let value = cells[key] { row.option(key, value) } }
            if let at = try location(cells, line: line) { row.option("at", at) }
            for key in ["languages", "skills", "max_hours", "min_rest", "org"] { if let value = cells[key] { row.option(key, value) } }
            rows.append(row)
            seen.insert(id)
        }
        let cert = certColumns.compactMap { cells[$0] }
        if !cert.isEmpty {
            guard let skill = cells["cert_skill"] else {
                throw CSV.Failure(line: line, message: "cert_issued, cert_expires or cert_issuer given without cert_skill")
            }
            var row = Row(line: line, words: ["volunteer", "certify", id, skill])
            if let value = cells["cert_issued"] { row.option("issued", value) }
            if let value = cells["cert_expires"] { row.option("expires", value) }
            if let value = cells["cert_issuer"] { row.option("issuer", value) }
            rows.append(row)
        }
        for certification in (cells["certifications"] ?? "").split(separator: ";") {
            let parts = certification.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
            guard parts.count == 4, !parts[0].isEmpty else {
                throw CSV.Failure(line: line, message: "certification \"\(certification)\": expected skill:issued:expires:issuer")
            }
            rows.append(Row(line: line, words: ["volunteer", "certify", id, parts[0]],
                            options: [Request.Option(key: "issued", value: parts[1]), Request.Option(key: "expires", value: parts[2]),
                                      Request.Option(key: "issuer", value: parts[3])]))
        }
        return rows
    }

    /// One `travel set` row. The daemon checks the places and the minutes; only what the CSV
    /// itself can get wrong (an empty cell, a bad both) is refused here.
    private static func travelRows(_ cells: Cells, line: Int) throws(CSV.Failure) -> [Row] {
        var words = ["travel", "set"]
        for name in ["from", "to", "minutes"] {
            guard let value = cells[name] else { throw CSV.Failure(line: line, message: "empty \(name)") }
            words.append(value)
        }
        switch cells["both"]?.lowercased() {
        case nil, "no", "false", "0", "n": break
        case "yes", "true", "1", "y", "both": words.append("both")
        case let other?: throw CSV.Failure(line: line, message: "bad both \"\(other)\"; expected yes or no (or empty)")
        }
        return [Row(line: line, words: words)]
    }

    /// A `stock receive` row and, with a min, a `stock min` row. The daemon checks the warehouse,
    /// the item, the quantity, the lot and the dates; here only what the CSV itself can get wrong.
    private static func stockRows(_ cells: Cells, line: Int) throws(CSV.Failure) -> [Row] {
        var words = ["stock", "receive"]
        for (name, what) in [("warehouse", "warehouse"), ("item", "item"), ("on_hand", "quantity (on_hand)")] {
            guard let value = cells[name] else { throw CSV.Failure(line: line, message: "empty \(what)") }
            guard value.utf8.count <= Limits.identifierBytes || name == "on_hand" else {
                throw CSV.Failure(line: line, message: "\(what) of \(value.utf8.count) bytes; expected at most \(Limits.identifierBytes)")
            }
            words.append(value)
        }
        var rows: [Row] = []
        // A line of the spreadsheet with nothing on hand receives nothing (its min still counts).
        if Int64(words[4]) != 0 {
            var row = Row(line: line, words: words)
            for key in ["lot", "expires", "unit", "source"] { if let value = cells[key] { row.option(key, value) } }
            if let party = cells["party"] {
                row.option(cells["source"]?.lowercased() == "purchase" ? "supplier" : "donor", party)
            }
            for key in ["donor", "supplier", "note"] { if let value = cells[key] { row.option(key, value) } }
            rows.append(row)
        }
        if let minimum = cells["min"] { rows.append(Row(line: line, words: ["stock", "min", words[2], words[3], minimum])) }
        return rows
    }

    private static func teamRows(_ cells: Cells, line: Int) throws(CSV.Failure) -> [Row] {
        let id = try id(cells, line: line)
        var row = Row(line: line, words: ["team", "add", id])
        for key in ["name", "specialty", "region"] { if let value = cells[key] { row.option(key, value) } }
        if let at = try location(cells, line: line) { row.option("at", at) }
        if let leader = cells["leader"] { row.option("leader", leader) }
        var rows = [row]
        for member in (cells["members"] ?? "").split(separator: ";") {
            let trimmed = String(member).trimmingSpaces
            // The leader is the team's first member already.
            if !trimmed.isEmpty && trimmed != cells["leader"] { rows.append(Row(line: line, words: ["team", "member", "add", id, trimmed])) }
        }
        return rows
    }
}

