// ReliefCore owns the model of a relief operation (regions, warehouses, items, lots), the events
// that change it, the deterministic `State.apply`, the queries over it and its invariants. No I/O,
// no clock: every timestamp arrives inside an event or as an argument.

/// Milliseconds since 1970-01-01T00:00:00Z.
public struct Timestamp: Sendable, Hashable, Comparable, Codable {
    public var milliseconds: Int64
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// Its day. Total over every Int64: a time past what a Day holds (±5.8 million years, only in
    /// a damaged journal or snapshot) gives Day's first or last day rather than a trap.
    public var day: Day { Day(daysSinceEpoch: Int32(clamping: floorDiv(milliseconds, 86_400_000))) }

    /// ISO 8601 in UTC with seconds: 2026-11-25T13:29:16Z. A time past what a Day holds is written
    /// as the first or last second of Day's range.
    public var iso8601: String {
        let seconds = floorDiv(milliseconds, 1000)
        let day = self.day
        let rest = min(max(seconds - Int64(day.daysSinceEpoch) * 86_400, 0), 86_399)
        return "\(day.iso8601)T\(pad2(Int(rest / 3600))):\(pad2(Int(rest / 60 % 60))):\(pad2(Int(rest % 60)))Z"
    }

    /// ISO 8601 (RFC 3339) in UTC with milliseconds: 2026-11-25T13:29:16.042Z.
    public var iso8601Milliseconds: String {
        let milliseconds = Int(((self.milliseconds % 1000) + 1000) % 1000)
        let text = iso8601
        let digits = String(milliseconds)
        return text.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}

/// A calendar date (UTC), as days since 1970-01-01. Expiry dates and "needed by" dates are days.
public struct Day: Sendable, Hashable, Comparable, Codable {
    public var daysSinceEpoch: Int32
    public init(daysSinceEpoch: Int32) { self.daysSinceEpoch = daysSinceEpoch }
    public static func < (lhs: Day, rhs: Day) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    /// Parses `YYYY-MM-DD`, rejecting impossible dates (2027-02-30).
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == 0x2D, bytes[7] == 0x2D else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let dayOfMonth = number(8..<10),
              year >= 1900, year <= 9999, (1...12).contains(month),
              dayOfMonth >= 1, dayOfMonth <= Day.daysIn(month: month, year: year) else { return nil }
        self.init(daysSinceEpoch: Int32(Day.daysFromCivil(year: year, month: month, day: dayOfMonth)))
    }

    public var iso8601: String {
        let (year, month, day) = Day.civilFromDays(Int(daysSinceEpoch))
        return "\(year)-\(pad2(month))-\(pad2(day))"
    }

    public func adding(days: Int) -> Day { Day(daysSinceEpoch: daysSinceEpoch + Int32(days)) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's civil calendar algorithms (public domain).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Parses durations written as `30d`, `12h`, `90m`, `2w` into whole days (for `within=`) or
/// milliseconds. (Not named Duration: that would hide Swift.Duration wherever ReliefCore is imported.)
public enum DurationText {
    public static func milliseconds(_ text: String) -> Int64? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value >= 0, value <= 100_000_000 else { return nil }
        switch unit {
        case "s": return value * 1000
        case "m": return value * 60_000
        case "h": return value * 3_600_000
        case "d": return value * 86_400_000
        case "w": return value * 7 * 86_400_000
        default: return nil
        }
    }

    public static func days(_ text: String) -> Int? {
        guard let unit = text.last, let value = Int(text.dropLast()), value >= 0, value <= 36_500 else { return nil }
        switch unit {
        case "d": return value
        case "w": return value * 7
        default: return nil
        }
    }
}

@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

@inline(__always) func pad2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
