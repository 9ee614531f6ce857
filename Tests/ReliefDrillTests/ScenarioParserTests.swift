import Foundation
import XCTest
import ReliefCore
import ReliefEngine
import ReliefProtocol
@testable import ReliefDrill

final class ScenarioParserTests: XCTestCase {
    func parse(_ text: String) throws -> Scenario {
        try ScenarioParser.parse(text, file: "test.drill")
    }

    /// Every error of `text`, as `LINE:COLUMN: message`.
    func errors(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try ScenarioParser.parse(text, file: "test.drill")
            XCTFail("expected errors", file: file, line: line)
            return []
        } catch {
            return error.items.map { "\($0.line):\($0.column): \($0.message)" }
        }
    }

    let head = """
        scenario "Fen River flood"
        start 2026-07-15T06:00+08:00
        from empty
        end T+72:00

        """

    func testEveryDirectiveIsRead() throws {
        let scenario = try parse("""
            # comments and blank lines are allowed

            scenario "Fen River flood"   # a trailing comment
            start 2026-07-15T06:00+08:00
            from dataset config/demo/shanxi.commands volunteers=28500 seed=2026
            seed 7
            end T+72:00
            officer plan every=30m apply_after=10m
            officer dispatch after=15m
            officer travel matrix speed=50kmh
            officer noshow 2.5%
            officer release after=12h
            T+00:00 incident open fen-flood title="Fen River flood" kind=flood at=37.40,112.50 region=shanxi/taiyuan severity=4 affected=42000
            T+00:15 need add fen-flood team water-rescue 2 hours=12 priority=1  # why: the first boats
            T+06:00 stock receive ty-01 water-5l 5000 lot=DR-1 donor="Drill donor, #1"
            expect by T+12:00 need N-000001 met
            expect by T+24:00 need N-000002 delivered
            expect at T+24:00 incident fen-flood unmet <= 2
            expect at T+30:00 need N-000002 missing = 0
            expect never stock ty-01 water-5l below 500
            expect unused volunteer v-000123
            expect unused team t-water-rescue-02
            expect refused at T+08:00 volunteer checkin v-000123
            """)
        XCTAssertEqual(scenario.name, "Fen River flood")
        XCTAssertEqual(scenario.start?.iso8601, "2026-07-15T06:00:00+08:00")
        XCTAssertEqual(scenario.start?.instant, Timestamp(milliseconds: 1_784_066_400_000)) // 2026-07-14T22:00:00Z
        XCTAssertEqual(scenario.from, .dataset(path: "config/demo/shanxi.commands", volunteers: 28500, rosterSeed: 2026))
        XCTAssertEqual(scenario.fromPosition, Scenario.Position(line: 5, column: 14))
        XCTAssertEqual(scenario.seed, 7)
        XCTAssertEqual(scenario.endMinute, 72 * 60)
        XCTAssertEqual(scenario.officer.plan, OfficerOrders.Cadence(every: 30, applyAfter: 10))
        XCTAssertEqual(scenario.officer.dispatchAfter, 15)
        XCTAssertEqual(scenario.officer.travel, OfficerOrders.Travel(speedKilometresPerHour: 50, useMatrix: true))
        XCTAssertEqual(scenario.officer.noShowBasisPoints, 250)
        XCTAssertEqual(scenario.officer.release, .after(minutes: 720))
        XCTAssertEqual(scenario.injects.map(\.minute), [0, 15, 360, 480])
        XCTAssertEqual(scenario.injects[1].text, "need add fen-flood team water-rescue 2 hours=12 priority=1")
        XCTAssertEqual(scenario.injects[1].column, 9)
        XCTAssertEqual(scenario.injects[2].request.option("donor"), "Drill donor, #1")
        XCTAssertEqual(scenario.injects[3].text, "volunteer checkin v-000123")
        XCTAssertTrue(scenario.injects[3].mustBeRefused)
        XCTAssertEqual(scenario.expectations.map(\.kind), [
            .need(name: "N-000001", milestone: .met, byMinute: 720),
            .need(name: "N-000002", milestone: .delivered, byMinute: 1440),
            .incident(id: "fen-flood", count: .unmet, comparison: .atMost, value: 2, atMinute: 1440),
            .needMissing(name: "N-000002", comparison: .equal, value: 0, atMinute: 1800),
            .stockNeverBelow(warehouse: "ty-01", item: "water-5l", level: 500),
            .unusedVolunteer("v-000123"),
            .unusedTeam("t-water-rescue-02"),
            .refused(inject: 3),
        ])
        XCTAssertEqual(scenario.expectations[0].text, "expect by T+12:00 need N-000001 met")
        XCTAssertEqual(scenario.expectations[0].line, 16)
    }

    func testDefaultsAndTheOtherForms() throws {
        let scenario = try parse("""
            scenario Quiet
            start 2026-01-01T00:00Z
            from live
            end T+1:00
            officer travel speed=30km/h
            officer release off
            officer dispatch off
            """)
        XCTAssertEqual(scenario.start?.iso8601, "2026-01-01T00:00:00Z")
        XCTAssertEqual(scenario.from, .live)
        XCTAssertEqual(scenario.seed, 0)
        XCTAssertNil(scenario.officer.plan, "the officer plans only when told to")
        XCTAssertNil(scenario.officer.dispatchAfter)
        XCTAssertEqual(scenario.officer.travel, OfficerOrders.Travel(speedKilometresPerHour: 30, useMatrix: false))
        XCTAssertEqual(scenario.officer.release, .off)
        XCTAssertEqual(scenario.officer.noShowBasisPoints, 0)

        let defaults = try parse(head)
        XCTAssertEqual(defaults.officer, OfficerOrders())
        XCTAssertEqual(defaults.officer.dispatchAfter, 15)
        XCTAssertEqual(defaults.officer.release, .need)
        XCTAssertEqual(defaults.officer.travel, OfficerOrders.Travel(speedKilometresPerHour: 40, useMatrix: false))
        XCTAssertEqual(try parse(head.replacingOccurrences(of: "from empty", with: "from dataset d.commands")).from,
                       .dataset(path: "d.commands", volunteers: 0, rosterSeed: 2026))
        XCTAssertNil(try parse(head.replacingOccurrences(of: "start 2026-07-15T06:00+08:00", with: "start now")).start)
    }

    func testInjectsRunByTimeThenFileOrderAndHoursMayPass24() throws {
        let scenario = try parse(head + """
            T+30:00 ping
            T+00:20 info
            T+30:00 help stock
            T+00:05 ping
            """)
        XCTAssertEqual(scenario.injects.map(\.minute), [5, 20, 1800, 1800])
        XCTAssertEqual(scenario.injects.map(\.text), ["ping", "info", "ping", "help stock"])
        XCTAssertEqual(scenario.injects.map(\.line), [8, 6, 5, 7])
    }

    func testEveryErrorIsReportedWithItsLineAndColumnAndWhatWasExpected() {
        let text = """
            scenario "Broken"
            scenario "Twice"
            start 2026-07-15 06:00
            from nowhere
            seed -1
            end T+72:00
            officer plan every=30m apply_after=45m
            officer dance
            officer noshow 120%
            officer travel speed=fast
            officer release after=12x
            T+1:75 ping
            T+00:10 stock recieve ty-01 water-5l 10
            T+00:11 frobnicate
            T+00:12
            T+80:00 ping
            T+00:13 need add x supply "unterminated
            expect by T+12:00 need fen met soon
            expect at T+10:00 incident fen unmet << 2
            expect never stock ty-01 water-5l under 5
            expect sometimes
            expect by T+99:00 need fen met
            warehouse add x
            officer plan every=1h
            """
        XCTAssertEqual(errors(text), [
            "2:1: scenario given twice (first on line 1); expected it once",
            "3:18: unexpected \"06:00\"; expected: start YYYY-MM-DDTHH:MM[:SS]±HH:MM (or Z), or start now",
            "4:6: unknown start \"nowhere\"; expected dataset, empty or live (from dataset PATH [volunteers=N] [seed=N] | from empty | from live)",
            "5:6: bad seed \"-1\"; expected a whole number from 0 to 18446744073709551615",
            "7:24: apply_after=45m is not shorter than every=30m; expected less, or the next plan supersedes each one before it is applied",
            "8:9: unknown officer order \"dance\"; expected one of plan, dispatch, travel, noshow, release",
            "9:16: bad no-show chance \"120%\"; expected a percentage from 0% to 100% such as 5% or 2.5%",
            "10:16: bad speed \"fast\"; expected whole km/h from 1 to 300 such as 40kmh",
            "11:17: bad after \"12x\"; expected a duration of at least 1m such as 30m, 12h, 1h30m or 2d",
            "12:1: bad inject time \"T+1:75\"; expected drill time T+HH:MM (hours from 0, minutes 00 to 59), such as T+06:30",
            "13:9: unknown stock command \"recieve\"; expected one of: adjust, history, issue, lots, min, query, receive, transfer",
            "14:9: " + Engine().unknownCommand(Request(words: ["frobnicate"]))!,
            "15:9: no request after T+00:12; expected T+HH:MM REQUEST such as T+00:10 need add …",
            "16:1: inject time T+80:00 is after the drill's end T+72:00; expected at most the end",
            "17:27: quote not closed; expected a closing \" on the same line",
            "18:32: unexpected \"soon\" after the expectation; expected the end of the line (or a # comment)",
            "19:38: bad comparison \"<<\"; expected one of <= < = >= > (with spaces around it)",
            "20:35: unexpected \"under\"; expected below",
            "21:8: unknown expectation \"sometimes\"; expected one of: by T+HH:MM need NAME met|dispatched|delivered, at T+HH:MM need NAME missing OP N, at T+HH:MM incident ID unmet|open OP N, never stock WAREHOUSE ITEM below N, unused volunteer|team ID, refused at T+HH:MM REQUEST",
            "22:11: deadline T+99:00 is after the drill's end T+72:00; expected at most the end",
            "23:1: unknown directive \"warehouse\"; expected one of scenario, start, from, replay, seed, end, officer, expect, or an inject T+HH:MM REQUEST",
            "24:9: officer plan given twice (first on line 7); expected it once",
        ])
    }

    func testMissingDirectivesAndBadBytesAreErrorsToo() {
        XCTAssertEqual(errors("# nothing but a comment\n"), [
            "1:1: no scenario directive; expected a line such as: scenario \"NAME\"",
            "1:1: no start directive; expected a line such as: start 2026-07-15T06:00+08:00",
            "1:1: no from directive; expected a line such as: from dataset PATH, from empty, from live, or replay incident ID",
            "1:1: no end directive; expected a line such as: end T+HH:MM",
        ])
        var bytes = Array((head + "T+00:01 ping note=\"caf").utf8)
        bytes += [0xC3, 0x28] + Array("\"\nT+00:02 ping\u{7}\n".utf8)
        do {
            _ = try ScenarioParser.parse(bytes: bytes, file: "bytes.drill")
            XCTFail("expected errors")
        } catch {
            XCTAssertEqual(error.description, """
                bytes.drill:5:23: invalid UTF-8; expected UTF-8 text
                bytes.drill:6:13: control character U+7; expected printable text
                """)
        }
    }

    func testAScenarioNamingWhatTheStartStateLacksDoesNotStart() throws {
        let scenario = try parse(head + """
            expect never stock nowhere-01 water-5l below 5
            expect unused volunteer v-404
            expect unused team t-404
            expect at T+01:00 incident quake unmet <= 0
            expect at T+01:00 incident fen unmet <= 0
            T+00:00 incident open fen title=x kind=flood at=1,1 region=r severity=1
            """)
        XCTAssertThrowsError(try DrillRun(scenario: scenario, state: State())) { error in
            XCTAssertEqual((error as? ScenarioErrors)?.items.map { "\($0.line):\($0.column): \($0.message)" }, [
                "5:20: unknown warehouse nowhere-01; expected a warehouse of the start state, none in the start state, or one an inject adds",
                "5:31: unknown item water-5l; expected an item of the start state, none in the start state, or one an inject adds",
                "6:25: unknown volunteer v-404; expected a volunteer of the start state, or one an inject adds",
                "7:20: unknown team t-404; expected a team of the start state, none in the start state, or one an inject adds",
                "8:28: unknown incident quake; expected one of the start state or opened by an inject (incident open quake …)",
            ])
        }
    }

    /// Issue 15: a scenario's start is an RFC 3339 date-time with its offset (fractions and
    /// lowercase letters too); a scenario assumes no time zone, so one without an offset is refused.
    func testStartTakesRFC3339OffsetsAndRefusesImpossibleOnesOrNone() throws {
        func start(_ text: String) throws -> DrillTime.Start? {
            try parse(head.replacingOccurrences(of: "start 2026-07-15T06:00+08:00", with: "start \(text)")).start
        }
        XCTAssertEqual(try start("2026-07-15T06:00+08:00")?.instant.iso8601, "2026-07-14T22:00:00Z")
        XCTAssertEqual(try start("2026-07-15t06:00:30.250z")?.instant.iso8601Milliseconds, "2026-07-15T06:00:30.250Z")
        XCTAssertEqual(try start("2026-07-15T06:00:00.5-02:30")?.offsetMinutes, -150)
        XCTAssertEqual(errors(head.replacingOccurrences(of: "start 2026-07-15T06:00+08:00", with: "start 2026-07-15T06:00+25:00")),
                       ["2:7: bad start \"2026-07-15T06:00+25:00\": +25:00 is not a UTC offset (hours 00 to 23, minutes 00 to 59); expected an ISO 8601 date-time with its offset such as 2026-07-15T06:00+08:00 (or Z for UTC), or now"])
        XCTAssertEqual(errors(head.replacingOccurrences(of: "start 2026-07-15T06:00+08:00", with: "start 2026-07-15T06:00")),
                       ["2:7: bad start \"2026-07-15T06:00\": no offset, and a scenario assumes no time zone; expected an ISO 8601 date-time with its offset such as 2026-07-15T06:00+08:00 (or Z for UTC), or now"])
    }
}

