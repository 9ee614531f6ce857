import XCTest
@testable import ReliefCore

/// RFC 3339 date-times (`DateTimeText`) and the operation's time zone (`OperationTimeZone`).
final class DateTimeTextTests: XCTestCase {
    private func instant(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> (String, Int)? {
        guard case .success(.instant(let time, let offset)) = DateTimeText.parse(text) else {
            XCTFail("\(text) → \(DateTimeText.parse(text)); expected an instant", file: file, line: line)
            return nil
        }
        return (time.iso8601Milliseconds, offset)
    }

    func testOffsetsPositiveNegativeFractionalAndZ() {
        XCTAssertEqual(instant("2026-12-03T18:00+08:00")?.0, "2026-12-03T10:00:00.000Z")
        XCTAssertEqual(instant("2026-12-03T18:00+08:00")?.1, 8 * 3600)
        XCTAssertEqual(instant("2026-12-03T18:00:30Z")?.0, "2026-12-03T18:00:30.000Z")
        XCTAssertEqual(instant("2026-12-03T10:00:00.250-02:30")?.0, "2026-12-03T12:30:00.250Z")
        XCTAssertEqual(instant("2026-12-03T10:00:00.250-02:30")?.1, -(2 * 3600 + 30 * 60))
        XCTAssertEqual(instant("2026-12-03t18:00:30z")?.0, "2026-12-03T18:00:30.000Z", "lowercase t and z, as RFC 3339 allows")
        XCTAssertEqual(instant("2026-12-03T18:00:30.5Z")?.0, "2026-12-03T18:00:30.500Z")
        XCTAssertEqual(instant("2026-12-03T18:00:30.123456789Z")?.0, "2026-12-03T18:00:30.123Z", "past the millisecond is dropped")
        XCTAssertEqual(instant("2026-12-03T18:00-00:00")?.0, "2026-12-03T18:00:00.000Z", "-00:00: offset unknown, the instant is UTC")
        XCTAssertEqual(instant("2026-12-04T00:30+08:00")?.0, "2026-12-03T16:30:00.000Z", "after local midnight, the UTC day before")
        XCTAssertEqual(instant("2026-12-03T23:30+08:00")?.0, "2026-12-03T15:30:00.000Z")
        XCTAssertEqual(instant("2026-12-31T23:00-05:00")?.0, "2027-01-01T04:00:00.000Z", "across a year")
        XCTAssertEqual(instant("2026-12-03T18:00+23:59")?.1, 23 * 3600 + 59 * 60, "the largest offset RFC 3339 writes")
    }

    func testWithoutAnOffsetItIsAWallClockReading() {
        XCTAssertEqual(DateTimeText.parse("2026-12-03T18:00"),
                       .success(.local(milliseconds: Int64(Day(iso8601: "2026-12-03")!.daysSinceEpoch) * 86_400_000 + 18 * 3_600_000)))
        XCTAssertEqual(DateTimeText.parse("2026-12-03T18:00:30.042"),
                       .success(.local(milliseconds: Int64(Day(iso8601: "2026-12-03")!.daysSinceEpoch) * 86_400_000 + 18 * 3_600_000 + 30_042)))
    }

    func testImpossibleOffsetsAreNamed() {
        for (text, offset) in [("2026-12-03T18:00+25:00", "+25:00"), ("2026-12-03T18:00+24:00", "+24:00"),
                               ("2026-12-03T18:00-08:60", "-08:60"), ("2026-12-03T18:00:00.5+99:99", "+99:99")] {
            XCTAssertEqual(DateTimeText.parse(text), .failure(.impossibleOffset(offset)), text)
        }
    }

    func testMalformedDateTimesAreRefused() {
        for text in ["2026-12-03", "2026-12-03T18", "2026-12-03T18:00+0800", "2026-12-03T18:00+08", "2026-12-03T18:00 +08:00",
                     "2026-12-03 18:00", "2026-12-03T24:00", "2026-12-03T18:60", "2026-12-03T18:00:60Z", "2026-12-03T18:00.5Z",
                     "2026-12-03T18:00:00.Z", "2026-12-03T18:00:00.1234567890Z", "2026-12-03T18:00ZZ", "2026-12-03T18:00+08:00Z",
                     "2026-02-30T18:00Z", "2026-12-03T8:00Z", "2026-12-03T18:00Q", "2026-12-03T18:00:00+8:00", "", "T18:00Z",
                     "2026-12-03T18:00+08:00:00", "2026-12-03T18:00:00,5Z", "2026-12-03T１8:00Z"] {
            XCTAssertEqual(DateTimeText.parse(text), .failure(.malformed), text)
        }
    }

    func testTextWritesAnInstantOnAWallClockWithItsOffset() {
        let time = Timestamp(milliseconds: 1_796_292_000_000) // 2026-12-03T10:00:00Z
        XCTAssertEqual(time.iso8601, "2026-12-03T10:00:00Z")
        XCTAssertEqual(DateTimeText.text(time, offsetSeconds: 8 * 3600), "2026-12-03T18:00:00+08:00")
        XCTAssertEqual(DateTimeText.text(time, offsetSeconds: -(2 * 3600 + 30 * 60)), "2026-12-03T07:30:00-02:30")
        XCTAssertEqual(DateTimeText.text(Timestamp(milliseconds: time.milliseconds + 250), offsetSeconds: 0, milliseconds: true),
                       "2026-12-03T10:00:00.250+00:00")
        // Written, then read again: the same instant.
        for offset in [0, 8 * 3600, -(9 * 3600 + 30 * 60), 14 * 3600, 5 * 3600 + 45 * 60] {
            let text = DateTimeText.text(time, offsetSeconds: offset)
            XCTAssertEqual(DateTimeText.parse(text), .success(.instant(time, offsetSeconds: offset)), text)
        }
    }

    // MARK: zones

    private func zone(_ name: String) throws -> OperationTimeZone { try OperationTimeZone.system(named: name) }
    private func local(_ text: String) -> Int64 {
        guard case .success(.local(let milliseconds)) = DateTimeText.parse(text) else { XCTFail(text); return 0 }
        return milliseconds
    }
    private func day(_ text: String) -> Day { Day(iso8601: text)! }

    func testAWallClockTimeInShanghaiIsEightHoursBeforeUTC() throws {
        let shanghai = try zone("Asia/Shanghai")
        XCTAssertEqual(shanghai.instant(local: local("2026-12-03T18:00")).iso8601, "2026-12-03T10:00:00Z")
        XCTAssertEqual(shanghai.instant(local: local("2026-12-03T23:30")).iso8601, "2026-12-03T15:30:00Z", "the same UTC day")
        XCTAssertEqual(shanghai.instant(local: local("2026-12-04T00:30")).iso8601, "2026-12-03T16:30:00Z", "the UTC day before")
        XCTAssertEqual(shanghai.endOfDay(day("2026-12-03")).iso8601, "2026-12-03T15:59:59Z")
        XCTAssertEqual(shanghai.startOfDay(day("2026-12-03")).iso8601, "2026-12-02T16:00:00Z")
        XCTAssertEqual(shanghai.day(of: Timestamp(milliseconds: 1_796_311_800_000)).iso8601, "2026-12-03", "15:30Z is 23:30 in Shanghai")
        XCTAssertEqual(shanghai.day(of: Timestamp(milliseconds: 1_796_315_400_000)).iso8601, "2026-12-04", "16:30Z is 00:30 the next day")
        XCTAssertEqual(shanghai.text(Timestamp(milliseconds: 1_796_292_000_000)), "2026-12-03T18:00:00+08:00")
        XCTAssertEqual(OperationTimeZone.utc.endOfDay(day("2026-12-03")).iso8601, "2026-12-03T23:59:59Z", "UTC as before")
    }

    func testClocksGoingForwardAndBackInBerlinAndNewYork() throws {
        let berlin = try zone("Europe/Berlin")
        // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00Z).
        XCTAssertEqual(berlin.instant(local: local("2026-03-29T01:30")).iso8601, "2026-03-29T00:30:00Z")
        XCTAssertEqual(berlin.instant(local: local("2026-03-29T02:30")).iso8601, "2026-03-29T01:30:00Z", "skipped: read at +01:00, i.e. 03:30 CEST")
        XCTAssertEqual(berlin.instant(local: local("2026-03-29T03:30")).iso8601, "2026-03-29T01:30:00Z")
        XCTAssertEqual(berlin.endOfDay(day("2026-03-29")).iso8601, "2026-03-29T21:59:59Z", "a 23-hour day ends at 23:59:59 CEST")
        XCTAssertEqual(berlin.endOfDay(day("2026-03-28")).iso8601, "2026-03-28T22:59:59Z")
        // 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00Z); 02:30 happens twice.
        XCTAssertEqual(berlin.instant(local: local("2026-10-25T02:30")).iso8601, "2026-10-25T00:30:00Z", "repeated: the earlier")
        XCTAssertEqual(berlin.instant(local: local("2026-10-25T03:30")).iso8601, "2026-10-25T02:30:00Z")
        XCTAssertEqual(berlin.endOfDay(day("2026-10-25")).iso8601, "2026-10-25T22:59:59Z", "a 25-hour day")
        XCTAssertEqual(berlin.text(Timestamp(milliseconds: berlin.instant(local: local("2026-10-25T02:30")).milliseconds + 3_600_000)),
                       "2026-10-25T02:30:00+01:00", "the second 02:30, shown with its own offset")

        let newYork = try zone("America/New_York")
        // 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00Z); 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00Z).
        XCTAssertEqual(newYork.instant(local: local("2026-03-08T01:59")).iso8601, "2026-03-08T06:59:00Z")
        XCTAssertEqual(newYork.instant(local: local("2026-03-08T02:30")).iso8601, "2026-03-08T07:30:00Z", "skipped: 03:30 EDT")
        XCTAssertEqual(newYork.instant(local: local("2026-03-08T03:00")).iso8601, "2026-03-08T07:00:00Z")
        XCTAssertEqual(newYork.instant(local: local("2026-11-01T01:30")).iso8601, "2026-11-01T05:30:00Z", "repeated: the EDT one")
        XCTAssertEqual(newYork.endOfDay(day("2026-03-07")).iso8601, "2026-03-08T04:59:59Z", "west of UTC a day ends on the next UTC day")
        XCTAssertEqual(newYork.endOfDay(day("2026-03-08")).iso8601, "2026-03-09T03:59:59Z")
        XCTAssertEqual(newYork.text(Timestamp(milliseconds: 1_772_953_200_000)), "2026-03-08T03:00:00-04:00")
        XCTAssertEqual(newYork.text(Timestamp(milliseconds: 1_772_953_200_000 - 1000)), "2026-03-08T01:59:59-05:00")
    }

    func testAMidnightThatNeverHappensStartsTheDayAtTheFirstTimeThereIs() {
        // A made-up zone that goes from +00:00 to +01:00 at local midnight of 2026-06-01 (as Santiago
        // and others have): that day starts at 01:00 local, the instant of the change.
        let change = Int64(Day(iso8601: "2026-06-01")!.daysSinceEpoch) * 86_400_000
        let zone = OperationTimeZone(identifier: "Test/Jump") { $0.milliseconds < change ? 0 : 3600 }
        XCTAssertEqual(zone.startOfDay(Day(iso8601: "2026-06-01")!).milliseconds, change)
        XCTAssertEqual(zone.endOfDay(Day(iso8601: "2026-05-31")!).milliseconds, change - 1000)
    }

    func testZoneNamesOfTheTzDatabaseAreTakenAndOthersRefused() throws {
        for name in ["UTC", "Etc/UTC", "Asia/Shanghai", "Asia/Urumqi", "Asia/Kolkata", "Asia/Kathmandu", "America/Argentina/Buenos_Aires",
                     "Etc/GMT-8", "Pacific/Chatham", "America/Port-au-Prince"] {
            XCTAssertNoThrow(try zone(name), name)
        }
        XCTAssertEqual(try zone("Etc/UTC").identifier, "UTC")
        XCTAssertEqual(try zone("Asia/Shanghai").identifier, "Asia/Shanghai")
        XCTAssertEqual(try zone("Asia/Kathmandu").secondsFromUTC(at: Timestamp(milliseconds: 1_796_292_000_000)), 5 * 3600 + 45 * 60)
        for name in ["Mars/Olympus", "asia/shanghai", "CST", "IST", "BST", "EST", "PRC", "utc", "", "+08:00", "Z", "GMT+8", "Asia/Shanghai ",
                     "/etc/localtime", "Asia/../Shanghai", "Asia/Shanghai\u{0}"] {
            XCTAssertThrowsError(try zone(name), name) { error in
                XCTAssertTrue("\(error)".contains("expected a name of the tz database such as Asia/Shanghai"), "\(error)")
            }
        }
    }
}
