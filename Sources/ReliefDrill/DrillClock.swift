import ReliefCore

/// The drill's clock start (`2026-07-15T06:00:00+08:00`), to write a drill minute as the local
/// wall-clock time the participants saw. It keeps the start's own UTC offset rather than the
/// machine's time zone, so the same report reads the same everywhere.
struct DrillClock {
    let day: Day
    let minuteOfDay: Int
    /// As written in the start: `+08:00`, `Z`.
    let offset: String

    /// Nil when the start is not `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z` or `±HH:MM`; the
    /// report then shows drill times only.
    init?(start: String) {
        let scalars = Array(start.unicodeScalars)
        guard scalars.count >= 17, let day = Day(iso8601: String(String.UnicodeScalarView(scalars[0..<10]))),
              scalars[10] == "T" || scalars[10] == " ", scalars[13] == ":",
              let hour = Int(String(String.UnicodeScalarView(scalars[11..<13]))),
              let minute = Int(String(String.UnicodeScalarView(scalars[14..<16]))),
              (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
        var rest = String(String.UnicodeScalarView(scalars[16...]))
        // Seconds and fractions do not change the minute a drill time falls on.
        while let first = rest.unicodeScalars.first, first == ":" || first == "." || ("0"..."9").contains(first) {
            rest.unicodeScalars.removeFirst()
        }
        let zoned = rest == "Z" || (rest.count == 6 && (rest.hasPrefix("+") || rest.hasPrefix("-")) && Array(rest)[3] == ":")
        guard zoned else { return nil }
        self.day = day
        self.minuteOfDay = hour * 60 + minute
        self.offset = rest == "Z" ? "UTC" : rest
    }

    /// `2026-07-15 08:10 +08:00` for T+02:10.
    func wallClock(_ drillMinute: Int) -> String {
        let total = minuteOfDay + drillMinute
        let days = total >= 0 ? total / 1440 : -((-total + 1439) / 1440)
        let inDay = total - days * 1440
        return "\(day.adding(days: days).iso8601) \(ReportFormat.pad2(inDay / 60)):\(ReportFormat.pad2(inDay % 60)) \(offset)"
    }
}
