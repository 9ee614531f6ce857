import XCTest
@testable import ReliefCore

final class TimeTests: XCTestCase {
    func testDayParsesAndFormatsISODates() {
        XCTAssertEqual(Day(iso8601: "1970-01-01")?.daysSinceEpoch, 0)
        XCTAssertEqual(Day(iso8601: "2026-12-01")?.daysSinceEpoch, 20_788)
        XCTAssertEqual(Day(iso8601: "1969-12-31")?.daysSinceEpoch, -1)
        for text in ["2026-12-01", "2027-06-30", "2000-02-29", "2024-02-29", "1900-03-01", "9999-12-31", "1999-12-31"] {
            XCTAssertEqual(Day(iso8601: text)?.iso8601, text, text)
        }
    }

    func testLeapYearsFollowTheGregorianRules() {
        XCTAssertNotNil(Day(iso8601: "2024-02-29"))   // divisible by 4
        XCTAssertNotNil(Day(iso8601: "2000-02-29"))   // divisible by 400
        XCTAssertNil(Day(iso8601: "2023-02-29"))
        XCTAssertNil(Day(iso8601: "1900-02-29"))      // divisible by 100, not 400
        XCTAssertNil(Day(iso8601: "2100-02-29"))
        XCTAssertEqual(Day(iso8601: "2024-02-29")!.adding(days: 1).iso8601, "2024-03-01")
        XCTAssertEqual(Day(iso8601: "2023-02-28")!.adding(days: 1).iso8601, "2023-03-01")
        XCTAssertEqual(Day(iso8601: "2024-12-31")!.daysSinceEpoch - Day(iso8601: "2024-01-01")!.daysSinceEpoch, 365)
    }

    func testImpossibleOrMalformedDatesAreRefused() {
        for text in ["2027-02-30", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "2026-01-32",
                     "2026-1-01", "26-01-01", "2026/01/01", "2026-01-01T00:00", "", "abcd-ef-gh",
                     "+026-01-01", "2026-01-0a", "1899-12-31", " 2026-01-01"] {
            XCTAssertNil(Day(iso8601: text), text)
        }
    }

    func testEveryDayOfSeveralYearsRoundTrips() {
        let start = Day(iso8601: "1999-01-01")!.daysSinceEpoch
        let end = Day(iso8601: "2031-01-01")!.daysSinceEpoch
        var previous: String?
        for days in start..<end {
            let text = Day(daysSinceEpoch: days).iso8601
            XCTAssertEqual(Day(iso8601: text)?.daysSinceEpoch, days, text)
            if let previous { XCTAssertLessThan(previous, text) }
            previous = text
        }
    }

    func testTimestampFormatsAsUTCAndGivesItsDay() {
        XCTAssertEqual(Timestamp(milliseconds: 0).iso8601, "1970-01-01T00:00:00Z")
        let t = Timestamp(milliseconds: 1_795_613_356_789) // 2026-11-25T13:29:16.789Z
        XCTAssertEqual(t.iso8601, "2026-11-25T13:29:16Z")
        XCTAssertEqual(t.day.iso8601, "2026-11-25")
        XCTAssertEqual(Timestamp(milliseconds: -1).iso8601, "1969-12-31T23:59:59Z")
        XCTAssertEqual(Timestamp(milliseconds: -1).day.iso8601, "1969-12-31")
    }

    func testDurationParsesUnits() {
        XCTAssertEqual(DurationText.milliseconds("30s"), 30_000)
        XCTAssertEqual(DurationText.milliseconds("90m"), 5_400_000)
        XCTAssertEqual(DurationText.milliseconds("12h"), 43_200_000)
        XCTAssertEqual(DurationText.milliseconds("2d"), 172_800_000)
        XCTAssertEqual(DurationText.milliseconds("1w"), 604_800_000)
        XCTAssertEqual(DurationText.days("30d"), 30)
        XCTAssertEqual(DurationText.days("4w"), 28)
        XCTAssertEqual(DurationText.days("0d"), 0)
        for bad in ["", "d", "30", "30x", "-1d", "1.5d", "30 d", "99999999999d"] {
            XCTAssertNil(DurationText.milliseconds(bad), bad)
            XCTAssertNil(DurationText.days(bad), bad)
        }
        XCTAssertNil(DurationText.days("12h"), "days() takes only days and weeks")
        XCTAssertNil(DurationText.days("36501d"))
        XCTAssertNil(DurationText.milliseconds("100000001s"))
    }

    /// Found by the journal fuzz target: a need.changed entry with by=5005558262135826213 trapped
    /// in replay (its day did not fit an Int32) — a damaged journal crashed the start instead of
    /// being refused. Every Int64 has a day and a text.
    func testEveryTimestampHasADayAndAText() {
        XCTAssertEqual(Timestamp(milliseconds: .max).day, Day(daysSinceEpoch: .max))
        XCTAssertEqual(Timestamp(milliseconds: .min).day, Day(daysSinceEpoch: .min))
        XCTAssertTrue(Timestamp(milliseconds: .max).iso8601.hasSuffix("T23:59:59Z"))
        XCTAssertTrue(Timestamp(milliseconds: .min).iso8601.hasSuffix("T00:00:00Z"))
        XCTAssertEqual(Timestamp(milliseconds: 5_005_558_262_135_826_213).day, Day(daysSinceEpoch: .max))
        XCTAssertEqual(Timestamp(milliseconds: -1).iso8601, "1969-12-31T23:59:59Z")
    }
}
