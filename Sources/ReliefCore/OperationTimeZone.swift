/// The operation's time zone (`time_zone`): how a date-time written without an offset, and a date
/// written alone, are read. The daemon passes it to the engine as configuration, as it passes the
/// matching policy; the engine never looks at the machine's zone or environment. What it decides
/// is journaled as instants (UTC milliseconds), so a replay never asks the zone again.
///
/// A zone is its name and its offset from UTC at any instant; `system(named:)` (Foundation's
/// TimeZone, OperationTimeZone+System.swift) gives a zone of the tz database, tests may build
/// their own.
public struct OperationTimeZone: Sendable, CustomStringConvertible {
    /// The name as configured: `UTC`, `Asia/Shanghai`.
    public let identifier: String
    private let offset: @Sendable (Timestamp) -> Int

    /// A zone whose offset (seconds east of UTC) at an instant is `secondsFromUTC`.
    public init(identifier: String, secondsFromUTC: @escaping @Sendable (Timestamp) -> Int) {
        self.identifier = identifier
        self.offset = secondsFromUTC
    }

    public static let utc = OperationTimeZone(identifier: "UTC") { _ in 0 }

    public var description: String { identifier }

    /// Whether this is UTC itself (times need no rewriting to be shown in it).
    public var isUTC: Bool { identifier == "UTC" }

    /// Seconds east of UTC in force at `time`.
    public func secondsFromUTC(at time: Timestamp) -> Int { offset(time) }

    /// The instant a wall clock in this zone reads as `local` (milliseconds since the epoch as
    /// though UTC). Where the clock is put back and the reading happens twice, the earlier; where
    /// it is put forward and the reading never happens, the reading is taken with the offset before
    /// the change, so it lands as far after the change as it was meant after its start (02:30 on
    /// the night clocks go from 02:00 to 03:00 is 03:30). This is RFC 5545's rule and JavaScript
    /// Temporal's "compatible" one.
    public func instant(local: Int64) -> Timestamp {
        let day: Int64 = 86_400_000
        let before = Int64(offset(Timestamp(milliseconds: local - day))) * 1000
        let at = Int64(offset(Timestamp(milliseconds: local))) * 1000
        let after = Int64(offset(Timestamp(milliseconds: local + day))) * 1000
        var earliest: Int64?
        for candidate in [before, at, after] {
            let time = local - candidate
            guard Int64(offset(Timestamp(milliseconds: time))) * 1000 == candidate else { continue }
            earliest = min(earliest ?? time, time)
        }
        return Timestamp(milliseconds: earliest ?? local - before)
    }

    /// The first instant of `day` on this zone's calendar (its midnight, or the first time after
    /// it where midnight is skipped).
    public func startOfDay(_ day: Day) -> Timestamp {
        instant(local: Int64(day.daysSinceEpoch) * 86_400_000)
    }

    /// The last second of `day` on this zone's calendar: one second before the next day begins
    /// (23:59:59, as a date-only deadline has always meant in UTC).
    public func endOfDay(_ day: Day) -> Timestamp {
        Timestamp(milliseconds: startOfDay(day.adding(days: 1)).milliseconds - 1000)
    }

    /// The day `time` falls on in this zone.
    public func day(of time: Timestamp) -> Day {
        Timestamp(milliseconds: time.milliseconds + Int64(offset(time)) * 1000).day
    }

    /// `2026-12-03T18:00:00+08:00`: `time` on this zone's wall clock, with its offset then.
    public func text(_ time: Timestamp, milliseconds: Bool = false) -> String {
        DateTimeText.text(time, offsetSeconds: offset(time), milliseconds: milliseconds)
    }

    /// The instant a date-time names: with an offset, that instant; without, read in this zone.
    public func instant(_ parsed: DateTimeText.Parsed) -> Timestamp {
        switch parsed {
        case .instant(let time, _): time
        case .local(let milliseconds): instant(local: milliseconds)
        }
    }
}
