/// Humanitarian Exchange Language (HXL, hxlstandard.org): the hashtag row under a CSV's header
/// that names what each column holds (`#item+code`, `#geo+lat`), whatever language the header is
/// in. Every CSV export writes one; an import matches columns by it when the file has one.
///
/// The tags use HXL 1.1 core hashtags (#loc, #item, #event, #contact, #org, #geo, #date, #status,
/// #severity, #affected, #indicator, #description, #meta) with the standard's attributes where
/// there is one (+code, +name, +id, +type, +lat, +lon, +coord, +phone, +num) and attributes of our
/// own where there is none (+warehouse, +on_hand, +expires, …), as HXL allows. The tables are
/// documented in docs/operations.md ("HXL hashtags"). Pure: no I/O.
public enum HXL {
    /// A hashtag with its attributes, lowercased: `#loc+code+warehouse`. Attributes are a set for
    /// matching (their order never matters) and kept in their order for writing.
    public struct Tag: Hashable, Sendable, CustomStringConvertible {
        public let hashtag: String
        public let attributes: [String]

        /// Parses `#tag +attr +attr` (spaces between the parts are allowed, case is ignored), or nil
        /// when `text` is not an HXL hashtag: `#` and a name of letters, digits and `_` starting
        /// with a letter, then any number of `+attribute` of the same form.
        public init?(_ text: String) {
            var parts: [String] = []
            var current: [UInt8] = []
            var sawHash = false
            /// A space ended the current name: only `+` or the end may follow.
            var afterSpace = false
            for byte in text.utf8 {
                if byte == 0x20 || byte == 0x09 {
                    if !current.isEmpty { afterSpace = true }
                    continue
                }
                guard sawHash else {
                    guard byte == 0x23 else { return nil }
                    sawHash = true
                    continue
                }
                switch byte {
                case 0x2B: // +
                    guard !current.isEmpty else { return nil }
                    parts.append(String(decoding: current, as: UTF8.self))
                    current = []
                    afterSpace = false
                case 0x41...0x5A, 0x61...0x7A:
                    guard !afterSpace else { return nil }
                    current.append(byte | 0x20)
                case 0x30...0x39, 0x5F:
                    guard !afterSpace, !current.isEmpty else { return nil }
                    current.append(byte)
                default: return nil
                }
            }
            guard sawHash, !current.isEmpty else { return nil }
            parts.append(String(decoding: current, as: UTF8.self))
            hashtag = "#" + parts[0]
            attributes = Array(parts.dropFirst())
        }

        public var description: String { ([hashtag] + attributes).joined(separator: "+") }

        /// Whether this tag, as a pattern, matches a column tagged `column`: the same hashtag and
        /// every attribute of this one among the column's (which may have more).
        public func matches(_ column: Tag) -> Bool {
            hashtag == column.hashtag && Set(attributes).isSubset(of: column.attributes)
        }
    }

    /// One column a table may have: its English header name, its tag, and whether its values are
    /// numbers (a number such as -33.7 is written as it is; see CSV.neutralised).
    public struct Column: Sendable, Equatable {
        public let name: String
        public let tag: Tag
        public let numeric: Bool

        init(_ name: String, _ tag: String, numeric: Bool = false) {
            guard let parsed = Tag(tag) else { preconditionFailure("bad HXL tag \(tag) in the table") }
            self.name = name
            self.tag = parsed
            self.numeric = numeric
        }
    }

    /// The kinds of table reliefctl reads or writes. `stock` serves `export stock` (stock query,
    /// whose `expiring` rows are lots), `export lots` (stock lots) and `import stock`.
    public enum Table: String, CaseIterable, Sendable {
        case volunteers, teams, travel, stock, incidents, needs, allocations, assignments

        public var columns: [Column] {
            switch self {
            case .volunteers: HXL.volunteers
            case .teams: HXL.teams
            case .travel: HXL.travel
            case .stock: HXL.stock
            case .incidents: HXL.incidents
            case .needs: HXL.needs
            case .allocations: HXL.allocations
            case .assignments: HXL.assignments
            }
        }

        public func column(named name: String) -> Column? { columns.first { $0.name == name } }

        /// The tags of a header, in its order: "" for a column the table does not know (HXL leaves
        /// such a column untagged).
        public func hashtagRow(_ names: [String]) -> [String] {
            names.map { column(named: $0)?.tag.description ?? "" }
        }

        /// Whether each of `names` is a numeric column.
        public func numeric(_ names: [String]) -> [Bool] {
            names.map { column(named: $0)?.numeric ?? false }
        }
    }

    /// What a tag matches among `columns`.
    public enum Match: Equatable, Sendable {
        case none
        case one(Column)
        /// Several columns, none more specific than all the others.
        case ambiguous([Column])
    }

    /// The column a tag names: the one whose tag, as a pattern, matches it; of several, the one
    /// whose attributes include every other's (`#item+code+lot` is the lot, not the item).
    public static func match(_ tag: Tag, among columns: [Column]) -> Match {
        let candidates = columns.filter { $0.tag.matches(tag) }
        guard let first = candidates.first else { return .none }
        if candidates.count == 1 { return .one(first) }
        if let most = candidates.first(where: { best in candidates.allSatisfy { $0.tag.matches(best.tag) } }) {
            return .one(most)
        }
        return .ambiguous(candidates)
    }

    /// Column names that are numeric in any table, and `delta` (stock history's +5/-3): what a
    /// CSV without a table (`reliefctl --format csv`) writes as numbers.
    public static let numericNames: Set<String> = Set(Table.allCases.flatMap { $0.columns.filter(\.numeric).map(\.name) } + ["delta"])

    // MARK: the tables

    static let region = Column("region", "#loc+code+region")
    static let lat = Column("lat", "#geo+lat", numeric: true)
    static let lon = Column("lon", "#geo+lon", numeric: true)
    static let at = Column("at", "#geo+coord")
    static let warehouse = Column("warehouse", "#loc+code+warehouse")
    static let item = Column("item", "#item+code")
    static let lot = Column("lot", "#item+code+lot")
    static let unit = Column("unit", "#item+unit")
    static let incident = Column("incident", "#event+id")
    static let need = Column("need", "#meta+id+need")
    static let ref = Column("ref", "#meta+ref")
    static let status = Column("status", "#status")
    static let plan = Column("plan", "#meta+id+plan")
    static let created = Column("created", "#date+created")
    static let updated = Column("updated", "#date+updated")
    static let note = Column("note", "#description+note")

    static let volunteers: [Column] = [
        Column("id", "#contact+id"), Column("name", "#contact+name"), Column("phone", "#contact+phone"),
        Column("id_number", "#contact+id_number"), region, lat, lon, at,
        Column("languages", "#meta+languages"), Column("skills", "#meta+skills"), Column("certifications", "#meta+certifications"),
        Column("max_hours", "#indicator+num+max_hours", numeric: true), Column("min_rest", "#indicator+min_rest"),
        Column("org", "#org+name"),
        Column("cert_skill", "#meta+cert+skill"), Column("cert_issued", "#date+cert+issued"),
        Column("cert_expires", "#date+cert+expires"), Column("cert_issuer", "#org+cert+issuer"),
        status, Column("status_reason", "#status+reason"), Column("status_until", "#date+status_until"),
        Column("on_duty_since", "#date+on_duty_since"), Column("team", "#org+id+team"),
        Column("deployments", "#indicator+num+deployments", numeric: true),
        Column("hours_total", "#indicator+num+hours_total", numeric: true),
        Column("registered", "#date+registered"), Column("last_drill", "#date+last_drill"),
    ]

    static let teams: [Column] = [
        Column("id", "#org+id+team"), Column("name", "#org+name+team"), Column("specialty", "#meta+specialty"),
        region, lat, lon, at, Column("leader", "#contact+id+leader"), Column("members", "#contact+id+members"),
    ]

    static let travel: [Column] = [
        Column("from", "#loc+from"), Column("to", "#loc+to"), Column("minutes", "#indicator+minutes", numeric: true),
        Column("both", "#meta+both"),
    ]

    /// `stock query` (per warehouse and item) and `stock lots` (per warehouse and lot) columns,
    /// and what `import stock` reads besides.
    static let stock: [Column] = [
        warehouse, lot, item,
        Column("on_hand", "#indicator+num+on_hand", numeric: true),
        Column("reserved", "#indicator+num+reserved", numeric: true),
        Column("available", "#indicator+num+available", numeric: true),
        unit,
        Column("min", "#indicator+num+min", numeric: true),
        Column("expires", "#date+expires"),
        Column("days_left", "#indicator+num+days_left", numeric: true),
        Column("source", "#item+source"),
        Column("party", "#org+name"),
        Column("donor", "#org+name+donor"), Column("supplier", "#org+name+supplier"),
        note,
        Column("distance_km", "#indicator+num+distance_km", numeric: true),
    ]

    static let incidents: [Column] = [
        incident, Column("title", "#event+name"), Column("kind", "#event+type"), status,
        Column("severity", "#severity", numeric: true), Column("affected", "#affected+num", numeric: true),
        region, at, Column("opened", "#date+opened"),
        Column("needs", "#indicator+num+needs", numeric: true), Column("open_needs", "#indicator+num+open_needs", numeric: true),
        Column("unmet", "#indicator+num+unmet", numeric: true), Column("exercise", "#meta+exercise"),
    ]

    static let needs: [Column] = [
        need, ref, incident, Column("series", "#meta+id+series"), Column("day", "#meta+day"), Column("type", "#meta+type"),
        Column("what", "#meta+what"), Column("amount", "#indicator+num+amount", numeric: true), unit,
        Column("hours", "#indicator+num+hours", numeric: true), Column("priority", "#meta+priority", numeric: true),
        Column("by", "#date+due"), Column("reach", "#meta+reach"), status,
        Column("met", "#indicator+num+met", numeric: true), Column("in_transit", "#indicator+num+in_transit", numeric: true),
        Column("delivered", "#indicator+num+delivered", numeric: true), Column("missing", "#indicator+num+missing", numeric: true),
        Column("why", "#description+why"), note,
    ]

    static let allocations: [Column] = [
        Column("allocation", "#meta+id+allocation"), need, ref, incident, item,
        Column("quantity", "#indicator+num+quantity", numeric: true), unit, warehouse, lot, status, plan, created, updated,
    ]

    static let assignments: [Column] = [
        Column("assignment", "#meta+id+assignment"), need, ref, incident, Column("volunteer", "#contact+id"),
        Column("name", "#contact+name"), Column("team", "#org+id+team"), status, plan, created, updated,
        Column("hours", "#indicator+num+hours", numeric: true),
    ]
}
