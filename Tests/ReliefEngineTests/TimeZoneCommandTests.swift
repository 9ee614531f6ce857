import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// Issue 15: `by=2026-12-03T18:00` was read as UTC, eight hours off in Shanxi. Date-times take an
/// RFC 3339 offset; without one, and for a date alone, the operation's zone (`time_zone`) decides;
/// what is journaled and answered is the UTC instant.
final class TimeZoneCommandTests: XCTestCase {
    private func zone(_ name: String) -> OperationTimeZone { try! OperationTimeZone.system(named: name) }

    /// The Shanxi fixture with one incident, in `zone`, its clock at `time` (default 2026-12-01T08:00Z).
    private func engine(_ zone: String, at time: Timestamp = december1) -> Engine {
        let engine = Engine.shanxiFixture(at: time)
        engine.timeZone = self.zone(zone)
        engine.ok(#"incident open flood title="Taiyuan flash flood" kind=flood at=37.86,112.56 region=shanxi/taiyuan severity=4 affected=1200"#)
        return engine
    }

    private func by(_ engine: Engine, _ text: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        engine.okFields("need add flood supply water-5l 10 by=\(text)", file: file, lineNumber: line)["by"]
    }

    func testWithoutAnOffsetAShanghaiOperationReadsShanghaiTime() {
        let shanghai = engine("Asia/Shanghai")
        XCTAssertEqual(by(shanghai, "2026-12-03T18:00"), "2026-12-03T10:00:00Z", "the officer's 18:00 is 10:00 UTC")
        XCTAssertEqual(by(engine("UTC"), "2026-12-03T18:00"), "2026-12-03T18:00:00Z", "UTC reads as before")
    }

    func testOffsetsMeanTheirInstantWhateverTheZone() {
        for zone in ["UTC", "Asia/Shanghai", "America/New_York"] {
            let engine = engine(zone)
            XCTAssertEqual(by(engine, "2026-12-03T18:00+08:00"), "2026-12-03T10:00:00Z", zone)
            XCTAssertEqual(by(engine, "2026-12-03T18:00:30Z"), "2026-12-03T18:00:30Z", zone)
            XCTAssertEqual(by(engine, "2026-12-03t18:00:30z"), "2026-12-03T18:00:30Z", zone)
            XCTAssertEqual(by(engine, "2026-12-03T10:00:00.250-02:30"), "2026-12-03T12:30:00Z", zone)
            // The reply shows seconds; the need keeps the milliseconds given.
            XCTAssertTrue(engine.state.needs.values.contains { $0.neededBy.milliseconds % 1000 == 250 }, zone)
        }
    }

    func testBadOffsetsAndFormsAreRefusedNamingTheOptionAndTheForms() {
        let engine = engine("Asia/Shanghai")
        engine.ok("need add flood supply water-5l 10 ref=w")
        for line in ["need add flood supply water-5l 10 by=2026-12-03T18:00+25:00", "need change w by=2026-12-03T18:00+25:00",
                     "need estimate flood days=1 accept by=2026-12-03T18:00+25:00"] {
            let message = engine.refused(line, .syntax)
            XCTAssertTrue(message.contains("bad by \"2026-12-03T18:00+25:00\": +25:00 is not a UTC offset"), message)
            XCTAssertTrue(message.contains("a date-time YYYY-MM-DDTHH:MM[:SS[.fff]] with Z or an offset ±HH:MM (RFC 3339; without an offset, Asia/Shanghai time)"), message)
            XCTAssertTrue(message.contains("Asia/Shanghai time"), message)
        }
        for bad in ["2026-12-03T18:00+0800", "2026-12-03 18:00", "2026-12-03T18:00:60Z", "2026-12-03T18:00+08:60", "2026-12-03T24:00"] {
            let message = engine.refused("need add flood supply water-5l 10 by=\"\(bad)\"", .syntax)
            XCTAssertTrue(message.hasPrefix("bad by \"\(bad)\""), message)
            XCTAssertTrue(message.contains("a date YYYY-MM-DD (the end of that day, Asia/Shanghai time)"), message)
        }
        // A past instant is still refused, offset or not.
        XCTAssertTrue(engine.refused("need add flood supply water-5l 10 by=2026-12-01T15:59+08:00", .syntax).contains("is not after now"))
    }

    func testADateAloneIsTheEndOfThatDayInTheZone() {
        XCTAssertEqual(by(engine("Asia/Shanghai"), "2026-12-03"), "2026-12-03T15:59:59Z")
        XCTAssertEqual(by(engine("UTC"), "2026-12-03"), "2026-12-03T23:59:59Z")
        XCTAssertEqual(by(engine("America/New_York"), "2026-12-03"), "2026-12-04T04:59:59Z", "west of UTC: the next UTC day")
    }

    func testTimesOnBothSidesOfLocalMidnight() {
        let shanghai = engine("Asia/Shanghai")
        XCTAssertEqual(by(shanghai, "2026-12-03T23:30+08:00"), "2026-12-03T15:30:00Z", "before local midnight: the same UTC day")
        XCTAssertEqual(by(shanghai, "2026-12-04T00:30+08:00"), "2026-12-03T16:30:00Z", "after local midnight: the UTC day before")
        XCTAssertEqual(by(shanghai, "2026-12-03T23:30"), "2026-12-03T15:30:00Z")
        XCTAssertEqual(by(shanghai, "2026-12-04T00:30"), "2026-12-03T16:30:00Z")
        // Date-only deadlines: the 4th ends after a time on the 4th local, the 3rd before it.
        XCTAssertEqual(by(shanghai, "2026-12-04"), "2026-12-04T15:59:59Z")
        XCTAssertLessThan(by(shanghai, "2026-12-03")!, "2026-12-03T16:30:00Z", "00:30 on the 4th is after the 3rd ends")
        // `need list` and `incident show` give the instants in UTC too.
        let listed = shanghai.rows("need list incident=flood").compactMap { $0["by"] }
        XCTAssertTrue(listed.contains("2026-12-03T16:30:00Z"), "\(listed)")
        XCTAssertTrue(listed.allSatisfy { $0.hasSuffix("Z") }, "\(listed)")
    }

    func testClocksChangingInBerlinAndNewYork() {
        // Berlin, 2027-03-28: 02:00 CET → 03:00 CEST at 01:00Z; 2027-10-31: 03:00 CEST → 02:00 CET at 01:00Z.
        let berlin = engine("Europe/Berlin")
        XCTAssertEqual(by(berlin, "2027-03-28T01:30"), "2027-03-28T00:30:00Z")
        XCTAssertEqual(by(berlin, "2027-03-28T02:30"), "2027-03-28T01:30:00Z", "a skipped time is read at the offset before: 03:30 CEST")
        XCTAssertEqual(by(berlin, "2027-03-28T03:30"), "2027-03-28T01:30:00Z")
        XCTAssertEqual(by(berlin, "2027-03-28"), "2027-03-28T21:59:59Z", "23:59:59 CEST")
        XCTAssertEqual(by(berlin, "2027-03-27"), "2027-03-27T22:59:59Z", "23:59:59 CET")
        XCTAssertEqual(by(berlin, "2027-10-31T02:30"), "2027-10-31T00:30:00Z", "a repeated time is the earlier, CEST")
        XCTAssertEqual(by(berlin, "2027-10-31T02:30+01:00"), "2027-10-31T01:30:00Z", "the offset chooses the later")
        XCTAssertEqual(by(berlin, "2027-10-31"), "2027-10-31T22:59:59Z")
        // New York, 2027-03-14: 02:00 EST → 03:00 EDT at 07:00Z.
        let newYork = engine("America/New_York")
        XCTAssertEqual(by(newYork, "2027-03-14T01:30"), "2027-03-14T06:30:00Z")
        XCTAssertEqual(by(newYork, "2027-03-14T03:30"), "2027-03-14T07:30:00Z")
        XCTAssertEqual(by(newYork, "2027-03-13"), "2027-03-14T04:59:59Z")
        XCTAssertEqual(by(newYork, "2027-03-14"), "2027-03-15T03:59:59Z")
    }

    func testTheJournalKeepsTheInstantSoAReplayNeedsNoZone() throws {
        let engine = Engine(clock: .fixed(december1))
        engine.timeZone = zone("Asia/Shanghai")
        var entries: [Entry] = []
        for line in Engine.fixtureLines + [#"incident open flood title=Flood kind=flood at=37.86,112.56 region=shanxi/taiyuan severity=4"#,
                                           "need add flood supply water-5l 300 by=2026-12-03T18:00 ref=a",
                                           "need add flood supply water-5l 300 by=2026-12-03 ref=b"] {
            let outcome = engine.handle(line: line, actor: "officer")
            guard case .ok = outcome.reply else { return XCTFail("\(line) → \(replyText(outcome.reply))") }
            entries += outcome.entries
        }
        let added = entries.filter { $0.event.kind == "need.added" }
        XCTAssertEqual(added.map { $0.event.body.encoded() }.map { $0.contains("\"by\":1796292000000") }, [true, false])
        XCTAssertTrue(added[1].event.body.encoded().contains("\"by\":\(1_796_313_599_000)"), added[1].event.body.encoded())
        // The entries alone, applied by a state that knows no zone, give the same needs.
        var replayed = State()
        try replayed.apply(entries)
        XCTAssertEqual(replayed.snapshotText(), engine.state.snapshotText())
        XCTAssertEqual(replayed.needs.values.map(\.neededBy.iso8601).sorted(), ["2026-12-03T10:00:00Z", "2026-12-03T15:59:59Z"])
    }

    func testInfoSaysTheZoneAndAuditSinceReadsIt() throws {
        let shanghai = engine("Asia/Shanghai")
        XCTAssertEqual(shanghai.okFields("info")["time_zone"], "Asia/Shanghai")
        XCTAssertEqual(engine("UTC").okFields("info")["time_zone"], "UTC")

        func since(_ text: String, in engine: Engine) throws -> Int64? {
            guard case .success(let request) = RequestParser.parse("audit log since=\(text)") else { XCTFail(text); return nil }
            return try engine.journalFilter(Arguments(request, usage: "audit log", commandWords: 2), limit: 10).since
        }
        let startOf3rd = Int64(1_796_256_000_000) // 2026-12-03T00:00:00Z
        XCTAssertEqual(try since("2026-12-03", in: shanghai), startOf3rd - 8 * 3_600_000, "from 00:00 in Shanghai")
        XCTAssertEqual(try since("2026-12-03T08:00", in: shanghai), startOf3rd)
        XCTAssertEqual(try since("2026-12-03T08:00Z", in: shanghai), startOf3rd + 8 * 3_600_000)
        XCTAssertEqual(try since("2026-12-03T00:00:00.5-01:00", in: shanghai), startOf3rd + 3_600_500)
        XCTAssertThrowsError(try since("2026-12-03T08:00+25:00", in: shanghai)) { error in
            let message = (error as? Refusal)?.message ?? "\(error)"
            XCTAssertTrue(message.hasPrefix("bad since \"2026-12-03T08:00+25:00\": +25:00 is not a UTC offset"), message)
        }
        XCTAssertThrowsError(try since("yesterday", in: shanghai)) { error in
            let message = (error as? Refusal)?.message ?? "\(error)"
            XCTAssertEqual(message, "bad since \"yesterday\"; expected a date YYYY-MM-DD (from the start of that day, Asia/Shanghai time) or a date-time "
                           + "YYYY-MM-DDTHH:MM[:SS[.fff]] with Z or an offset ±HH:MM (RFC 3339; without an offset, Asia/Shanghai time)")
        }
    }

    func testAnImportChecksItsRowsInTheSameZone() {
        // Import rows take no date-times today; the copy they are checked on reads times as the live engine does.
        let engine = engine("Asia/Shanghai")
        let session = ImportSession(base: engine, allowed: ["volunteer add"], principal: .system("officer"), maxErrorsReported: 10)
        XCTAssertEqual(session.scratch.timeZone.identifier, "Asia/Shanghai")
    }
}
