/// Date-times as the protocol takes them: RFC 3339 (`2026-12-03T18:00:00+08:00`,
/// `2026-12-03T10:00:00.250-02:30`, `2026-12-03t10:00z`), with the seconds optional, as the
/// protocol has always taken `2026-12-03T18:00Z`. Without an offset a date-time is a reading of a
/// wall clock (`local`): which instant it names is for the operation's time zone to say
/// (`OperationTimeZone.instant(local:)`). Pure: no clock, no time zone database.
public enum DateTimeText {
    public enum Parsed: Sendable, Equatable {
        /// An instant, and the offset from UTC it was written with (seconds east; 0 for `Z`).
        case instant(Timestamp, offsetSeconds: Int)
        /// A wall-clock reading without an offset, as milliseconds since the epoch as though it
        /// were UTC.
        case local(milliseconds: Int64)
    }

    public enum Failure: Error, Sendable, Equatable {
        /// Not a date-time of the forms above.
        case malformed
        /// The form of an offset, but not a possible one (`+25:00`, `+08:60`): the offset as written.
        case impossibleOffset(String)
    }

    /// The forms, for messages: `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z` or `±HH:MM`.
    public static let forms = "YYYY-MM-DDTHH:MM[:SS[.fff]] with Z or an offset ±HH:MM"

    /// The largest offset RFC 3339 can write: 23:59 either way (its time-hour is 00–23).
    public static let maximumOffsetSeconds = 23 * 3600 + 59 * 60

    /// Parses one date-time. Fractions of a second past the millisecond are dropped (at most 9
    /// digits). Leap seconds (`:60`) and `24:00` are refused: a Timestamp has neither.
    public static func parse(_ text: String) -> Result<Parsed, Failure> {
        let bytes = Array(text.utf8)
        guard bytes.count >= 16, bytes.count <= 40, bytes[10] == 0x54 || bytes[10] == 0x74 /* T t */,
              let day = Day(iso8601: String(decoding: bytes[0..<10], as: UTF8.self)) else { return .failure(.malformed) }
        func two(_ at: Int) -> Int? {
            guard at + 1 < bytes.count, isDigit(bytes[at]), isDigit(bytes[at + 1]) else { return nil }
            return Int(bytes[at] - 0x30) * 10 + Int(bytes[at + 1] - 0x30)
        }
        guard let hour = two(11), bytes[13] == 0x3A, let minute = two(14), hour < 24, minute < 60 else { return .failure(.malformed) }
        var index = 16
        var second = 0, millisecond = 0
        if index < bytes.count, bytes[index] == 0x3A /* : */ {
            guard let parsed = two(index + 1), parsed < 60 else { return .failure(.malformed) }
            second = parsed
            index += 3
            if index < bytes.count, bytes[index] == 0x2E /* . */ {
                index += 1
                var digits = 0
                while index < bytes.count, isDigit(bytes[index]) {
                    if digits < 3 { millisecond = millisecond * 10 + Int(bytes[index] - 0x30) }
                    digits += 1
                    index += 1
                }
                guard (1...9).contains(digits) else { return .failure(.malformed) }
                for _ in min(digits, 3)..<3 { millisecond *= 10 }
            }
        }
        let local = Int64(day.daysSinceEpoch) * 86_400_000 + Int64(hour * 3600 + minute * 60 + second) * 1000 + Int64(millisecond)
        guard index < bytes.count else { return .success(.local(milliseconds: local)) }
        switch bytes[index] {
        case 0x5A, 0x7A: // Z z
            guard index + 1 == bytes.count else { return .failure(.malformed) }
            return .success(.instant(Timestamp(milliseconds: local), offsetSeconds: 0))
        case 0x2B, 0x2D: // + -
            let written = String(decoding: bytes[index...], as: UTF8.self)
            guard index + 6 == bytes.count, bytes[index + 3] == 0x3A, let hours = two(index + 1), let minutes = two(index + 4) else {
                return .failure(.malformed)
            }
            guard hours < 24, minutes < 60 else { return .failure(.impossibleOffset(written)) }
            // `-00:00` is RFC 3339's "the local offset is unknown": the instant is the UTC one.
            let offset = (hours * 3600 + minutes * 60) * (bytes[index] == 0x2D ? -1 : 1)
            return .success(.instant(Timestamp(milliseconds: local - Int64(offset) * 1000), offsetSeconds: offset))
        default:
            return .failure(.malformed)
        }
    }

    /// `+08:00`, `-02:30`, `+00:00` for an offset in seconds east of UTC (seconds past the minute
    /// dropped: RFC 3339 writes minutes).
    public static func offsetText(seconds: Int) -> String {
        let minutes = abs(seconds) / 60
        return (seconds < 0 ? "-" : "+") + pad2(minutes / 60) + ":" + pad2(minutes % 60)
    }

    /// `2026-12-03T18:00:00+08:00` (with `.fff` when `milliseconds`): `time` as a wall clock
    /// `offsetSeconds` east of UTC shows it, with that offset. The offset is taken to the minute.
    public static func text(_ time: Timestamp, offsetSeconds: Int, milliseconds: Bool = false) -> String {
        let offset = offsetSeconds / 60 * 60
        let wall = Timestamp(milliseconds: time.milliseconds + Int64(offset) * 1000)
        let text = milliseconds ? wall.iso8601Milliseconds : wall.iso8601
        return text.dropLast() + offsetText(seconds: offset)
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
