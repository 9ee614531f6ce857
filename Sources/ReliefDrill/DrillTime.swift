import ReliefCore

/// Drill time: minutes since T+00:00, written `T+HH:MM` (hours may exceed 24), and the clock
/// start a scenario gives as an ISO 8601 date-time with its offset.
public enum DrillTime {
    static let minuteMilliseconds: Int64 = 60_000

    /// `T+06:30` → 390. Hours have 1 to 5 digits, minutes exactly 2 (00–59).
    public static func minutes(_ text: String) -> Int? {
        guard text.hasPrefix("T+") else { return nil }
        let parts = text.dropFirst(2).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...5).contains(parts[0].count), parts[1].count == 2,
              parts[0].allSatisfy(\.isASCIIDigitCharacter), parts[1].allSatisfy(\.isASCIIDigitCharacter),
              let hours = Int(parts[0]), let minutes = Int(parts[1]), minutes < 60 else { return nil }
        return hours * 60 + minutes
    }

    /// 390 → `T+06:30`; a time before the drill (a need of the live state) → `T-01:05`.
    public static func text(_ minute: Int) -> String {
        let sign = minute < 0 ? "-" : "+"
        let value = abs(minute)
        let hours = value / 60, minutes = value % 60
        return "T\(sign)\(hours < 10 ? "0" : "")\(hours):\(minutes < 10 ? "0" : "")\(minutes)"
    }

    /// A duration such as `30m`, `12h`, `2d` or `1h30m`, in whole minutes (at most 100 days).
    public static func durationMinutes(_ text: String) -> Int? {
        var total = 0, number = "", sawUnit = false
        for character in text {
            if character.isASCIIDigitCharacter {
                number.append(character)
                guard number.count <= 6 else { return nil }
                continue
            }
            guard let value = Int(number) else { return nil }
            switch character {
            case "m": total += value
            case "h": total += value * 60
            case "d": total += value * 1440
            default: return nil
            }
            number = ""
            sawUnit = true
        }
        guard sawUnit, number.isEmpty, total <= 100 * 1440 else { return nil }
        return total
    }

    /// 90 → `1h30m`, 720 → `12h`, 45 → `45m`.
    public static func durationText(_ minutes: Int) -> String {
        if minutes % 60 == 0 { return "\(minutes / 60)h" }
        return minutes >= 60 ? "\(minutes / 60)h\(minutes % 60)m" : "\(minutes)m"
    }

    /// The clock start of a scenario: the instant, and its offset from UTC in minutes (kept so the
    /// report shows the time the organizer wrote, in the local time of the exercise).
    public struct Start: Sendable, Equatable {
        public var instant: Timestamp
        public var offsetMinutes: Int

        public init(instant: Timestamp, offsetMinutes: Int) {
            self.instant = instant
            self.offsetMinutes = offsetMinutes
        }

        /// `2026-07-15T06:00+08:00`, `2026-07-15T06:00:30Z`, `2026-07-14T22:00-02:30`: a date-time of
        /// RFC 3339 (`DateTimeText`, fractions of a second and lowercase `t`/`z` too) with its offset,
        /// which a scenario must give (it is a file that travels; no zone is assumed for it).
        public init?(iso8601 text: String) {
            guard case .success(.instant(let instant, let offsetSeconds)) = DateTimeText.parse(text) else { return nil }
            self.init(instant: instant, offsetMinutes: offsetSeconds / 60)
        }

        /// The instant in the offset it was given in: `2026-07-15T06:00:00+08:00`.
        public var iso8601: String {
            let local = Timestamp(milliseconds: instant.milliseconds + Int64(offsetMinutes) * DrillTime.minuteMilliseconds).iso8601
            guard offsetMinutes != 0 else { return local }
            let sign = offsetMinutes < 0 ? "-" : "+"
            let value = abs(offsetMinutes)
            return String(local.dropLast()) + sign + DrillTime.two(value / 60) + ":" + DrillTime.two(value % 60)
        }

        /// The instant `minute` minutes after T+00:00.
        public func time(atMinute minute: Int) -> Timestamp {
            Timestamp(milliseconds: instant.milliseconds + Int64(minute) * DrillTime.minuteMilliseconds)
        }

        /// Whole drill minutes from T+00:00 to `time` (rounded down; negative before the start).
        public func minute(of time: Timestamp) -> Int {
            let delta = time.milliseconds - instant.milliseconds
            let quotient = delta / DrillTime.minuteMilliseconds
            return Int(delta % DrillTime.minuteMilliseconds < 0 ? quotient - 1 : quotient)
        }
    }

    static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
