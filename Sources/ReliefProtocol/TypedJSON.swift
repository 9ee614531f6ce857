/// Protocol values as typed JSON, for every JSON reliefd writes from a reply: reliefctl's
/// `--format json` and `geojson`, and the HTTP listener's `/api/…` and `/geo/…`
/// (docs/protocol.md, "Replies as JSON").
///
/// The text protocol has no types: every value is text. The JSON gives each value the type its
/// field means, chosen by the field's name from the registry below and never from the look of the
/// value alone (a lot `2026`, an id `007` or a phone number stay strings):
///
/// - a numeric field is a JSON number when its text is a decimal number (`-12`, `6.3`, `+5` for a
///   signed change, written `5`): integers exactly as given within Int64, decimals as given;
///   `null` when the text is empty; anything else (`max`, a date, a list, `007`, a number out of
///   range) stays a string, so nothing is lost;
/// - a flag field is `true` for `yes` and `false` for `no`, `null` when empty, a string otherwise;
/// - every other field is a string, escaped as JSONText escapes it.
///
/// A name may be both: `available` is a quantity in stock listings and a flag in volunteer rows;
/// the two sets of values cannot be mistaken for each other.
public enum TypedJSON {
    /// What a field's values may be in JSON besides a string.
    public struct FieldType: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let number = FieldType(rawValue: 1)
        public static let flag = FieldType(rawValue: 2)
    }

    /// The numeric fields of the protocol's replies, found in the engine's and the server's replies
    /// (every value written from a number). Kept in step with docs/protocol.md, "Replies as JSON"
    /// (TypedJSONTests compares the two), and checked against the engine's replies to most of its
    /// commands by TypedJSONRegistryTests.
    ///
    /// Left out on purpose, so they stay strings: `lots` (a count in `info`, `warehouse show` and
    /// `donation show`, but the lot codes themselves in `disclose section=money`, where a code may
    /// be all digits), `from` and `to` (ids, dates or a seq), `day` (`2/7`), times, ids, refs,
    /// receipts, lists (`uids`, `member_ids`) and values with a unit (`min_rest=8h`,
    /// `shelf_life=365d`). Some numeric names also carry text elsewhere that can never be read as a
    /// number, which then stays a string: `needs` (need ids `N-…` in `need add … days=`),
    /// `issued` (a date in `cert expiring`), `level` (a region's level), `arrived`
    /// (`ITEM:QUANTITY …` in `donation show`), `speed` (`max`).
    public static let numericFields: [String] = [
        // Quantities of goods and people, in the item's unit or in people.
        "quantity", "qty", "amount", "on_hand", "reserved", "available", "min", "delta",
        "issued", "transferred", "adjusted", "in_stock", "in_transit", "delivered", "arrived", "bought",
        "met", "missing", "already_needed", "propose", "packs", "pack", "affected",
        // Money, in yuan with two decimals (`1250.00`).
        "received", "spent", "left", "money_in", "money_out", "money_pledged",
        // Counts.
        "added", "aborted", "alerts", "alert_checks", "applied", "bought_lots", "changed", "cleared",
        "deployments", "donations", "drills", "entries", "failed", "files", "fit", "from_reserve",
        "held", "imported", "incidents", "injects", "items", "lines", "low", "members",
        "needs", "open_needs", "pending", "plans", "regions", "snapshots_checked", "snapshots_unsealed",
        "subregions", "teams", "tokens", "tokens_revoked", "unmet", "volunteers", "warehouses",
        // The daemon's own counters (`info`).
        "auth_failures", "clients", "clients_paused", "clients_tcp", "commits", "denied",
        "feed_cut_off", "feed_lines", "import_bytes", "import_written_ahead", "large_listings",
        "last_commit_us", "offload_queue", "offloaded", "output_held_bytes", "read_queue", "read_threads",
        "reads_pooled", "subscribers", "uncommitted", "uptime_s", "writes_waiting",
        // A follower's (`info`): how far behind, and since when it has not heard from its database.
        "lag_entries", "lag_ms", "stale_ms", "forwarded", "forwards_failed",
        // Journal positions.
        "seq", "last_seq", "as_of_seq", "committed_seq", "snapshot_seq", "based_on", "leader_seq",
        // Scales, durations, distances and costs.
        "severity", "priority", "level", "days", "days_left", "minutes", "back", "hours", "hours_24h",
        "hours_total", "max_hours", "distance_km", "cost", "travel_cost", "line", "speed",
        // Coordinates given apart (`volunteer export`); `at=LAT,LON` stays a string.
        "lat", "lon",
    ]

    /// The yes/no flags of the protocol's replies: `true` for `yes`, `false` for `no`. `revoked`
    /// (`no` or a time), `state`, `shown` and `personal_data` are not flags and stay strings.
    public static let flagFields: [String] = [
        "anonymous", "applied", "available", "both", "certificate", "changed", "drill_due", "exercise",
        "from_reserve", "intact", "removed", "replaced", "snapshot_pending", "truncated", "valid_today",
        "writes",
    ]

    /// The registry of replies: each field's name and what it may be.
    public static let replyFields: [String: FieldType] = {
        var types: [String: FieldType] = [:]
        for name in numericFields { types[name, default: []].insert(.number) }
        for name in flagFields { types[name, default: []].insert(.flag) }
        return types
    }()

    /// The registry of a feed line (`watch`): only its `seq`. The bodies of journal entries have a
    /// vocabulary of their own (`members` and `lines` are lists there), so their values stay strings.
    public static let feedFields: [String: FieldType] = ["seq": .number]

    /// One value as JSON, typed by its field's name.
    public static func value(_ text: String, field: String, in registry: [String: FieldType] = replyFields) -> String {
        var out: [UInt8] = []
        appendValue(text, field: field, in: registry, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func appendValue(_ text: String, field: String, in registry: [String: FieldType] = replyFields,
                                   into out: inout [UInt8]) {
        if let type = registry[field] {
            if text.isEmpty {
                out.append(contentsOf: "null".utf8)
                return
            }
            if type.contains(.number), let number = number(text) {
                out.append(contentsOf: number.utf8)
                return
            }
            if type.contains(.flag) {
                if text == "yes" { out.append(contentsOf: "true".utf8); return }
                if text == "no" { out.append(contentsOf: "false".utf8); return }
            }
        }
        JSONText.append(text, into: &out)
    }

    /// `"key":value` (or `"key": value` with `spaced`), the empty key of a bare word named `message`.
    public static func appendMember(_ key: String, _ value: String, in registry: [String: FieldType] = replyFields,
                                    spaced: Bool = false, into out: inout [UInt8]) {
        let name = key.isEmpty ? "message" : key
        JSONText.append(name, into: &out)
        out.append(0x3A)
        if spaced { out.append(0x20) }
        appendValue(value, field: name, in: registry, into: &out)
    }

    /// The text as a valid JSON number, or nil when it is not one this encoding writes: an
    /// optional `-` (or a `+`, dropped), digits without a leading zero, then optionally a
    /// fraction and an exponent. An integer must fit in Int64; a number with a fraction or an
    /// exponent must be finite as a Double. The digits are kept exactly as given.
    public static func number(_ text: String) -> Substring? {
        var body = Substring(text)
        let bytes = Array(text.utf8)
        var index = 0
        if bytes.first == UInt8(ascii: "+") {
            guard bytes.count > 1, isDigit(bytes[1]) else { return nil }
            body = body.dropFirst()
            index = 1
        } else if bytes.first == UInt8(ascii: "-") {
            index = 1
        }
        guard index < bytes.count, isDigit(bytes[index]) else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        var integer = true
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { return nil }
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            integer = false
        }
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { return nil }
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            integer = false
        }
        guard index == bytes.count else { return nil }
        if integer {
            guard Int64(body) != nil else { return nil }
        } else {
            guard let double = Double(body), double.isFinite else { return nil }
        }
        return body
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
