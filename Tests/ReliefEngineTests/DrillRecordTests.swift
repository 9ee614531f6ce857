import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// `drill record` and what team readiness makes of it: when a team last drilled, and whether a
/// drill is due.
final class DrillRecordTests: XCTestCase {
    private func engine(_ clock: ManualClock) throws -> Engine {
        let engine = try Engine.rosterFixture(clock: clock)
        engine.ok("volunteer add v1 name=\"Wang Wei\" region=shanxi/taiyuan at=37.87,112.55 skills=first-aid:3")
        engine.ok("volunteer add v2 name=\"Li Na\" region=shanxi/taiyuan at=37.87,112.55 skills=first-aid:2")
        engine.ok("team add t1 name=\"Taiyuan Medical\" specialty=medical region=shanxi/taiyuan at=37.87,112.55")
        engine.ok("team add t2 name=\"Taiyuan Search\" specialty=search-rescue region=shanxi/taiyuan at=37.87,112.55")
        engine.ok("team member add t1 v1")
        return engine
    }

    private func readiness(_ engine: Engine, _ team: String) -> Fields {
        engine.rows("team readiness \(team)").first ?? Fields()
    }

    func testRecordedDrillsShowInReadinessAndDueAfterThePeriod() throws {
        let clock = ManualClock(december1)
        let engine = try engine(clock)
        XCTAssertEqual(readiness(engine, "t1")["last_drill"], "never")
        XCTAssertEqual(readiness(engine, "t1")["drill_due"], "yes", "a team that never drilled is due")

        let reply = engine.okFields("drill record fen-2026 scenario=\"Fen River flood\" date=2026-11-20 teams=t1,t2:water volunteers=v2:first-aid")
        XCTAssertEqual(reply["teams"], "2")
        XCTAssertEqual(reply["volunteers"], "1")
        XCTAssertEqual(readiness(engine, "t1")["last_drill"], "2026-11-20")
        XCTAssertEqual(readiness(engine, "t1")["drill_due"], "no")
        XCTAssertEqual(engine.state.teams["t1"]?.drills, [DrillRecord(drill: "fen-2026", scenario: "Fen River flood",
                                                                       day: Day(iso8601: "2026-11-20")!, role: "medical")],
                       "a team's role defaults to its specialty")
        XCTAssertEqual(engine.state.teams["t2"]?.drills.first?.role, "water")
        XCTAssertEqual(engine.okFields("volunteer show v2")["last_drill"], "2026-11-20")
        XCTAssertEqual(engine.okFields("volunteer show v1")["last_drill"], "never", "a member is recorded only when named")

        // Past drill_period_days (180) the team is due again, on the engine's clock: 11 days have
        // passed since the drill on 2026-11-20.
        clock.advance(hours: 24 * 169)
        XCTAssertEqual(readiness(engine, "t1")["drill_due"], "no", "180 days after the drill")
        clock.advance(hours: 24)
        XCTAssertEqual(readiness(engine, "t1")["drill_due"], "yes")
        engine.drillPeriodDays = 365
        XCTAssertEqual(readiness(engine, "t1")["drill_due"], "no")
    }

    func testRefusalsNameWhatWasWrongAndChangeNothing() throws {
        let engine = try engine(ManualClock(december1))
        XCTAssertTrue(engine.refused("drill record d1 scenario=X teams=t9", .notFound).contains("t9"))
        XCTAssertTrue(engine.refused("drill record d1 scenario=X volunteers=v1,v9", .notFound).contains("v9"))
        XCTAssertTrue(engine.refused("drill record d1 scenario=X", .syntax).contains("nobody to record"))
        XCTAssertTrue(engine.refused("drill record d1 scenario=X teams=t1,t1", .syntax).contains("named twice"))
        XCTAssertTrue(engine.refused("drill record d1 scenario=X teams=t1:a:b", .syntax).contains("ID:ROLE"))
        XCTAssertTrue(engine.refused("drill record d1 scenario=X teams=t1 date=2027-01-01", .syntax).contains("after today"))
        engine.refused("drill record d1 teams=t1", .syntax)
        engine.refused("drill record \"bad id\" scenario=X teams=t1", .syntax)
    }

    func testRecordsAreBoundedAndSurviveSnapshotAndReplay() throws {
        let clock = ManualClock(december1)
        let engine = try engine(clock)
        var entries: [Entry] = []
        for n in 1...25 {
            let outcome = engine.handle(line: "drill record d\(n) scenario=\"Drill \(n)\" teams=t1 volunteers=v2", actor: "organizer")
            XCTAssertFalse(outcome.reply.isError, "\(outcome.reply)")
            entries += outcome.entries
        }
        XCTAssertEqual(engine.state.teams["t1"]?.drills.count, State.drillRecordsKept)
        XCTAssertEqual(engine.state.teams["t1"]?.drills.last?.drill, "d25", "the newest are kept")
        XCTAssertEqual(engine.state.invariantViolations(), [])
        // The journal's bodies decode to the same events, and the snapshot keeps the records.
        for entry in entries {
            XCTAssertEqual(try Event(kind: entry.event.kind, body: FlatJSON.decode(entry.event.body.encoded())), entry.event)
        }
        let reloaded = try State(snapshotText: engine.state.snapshotText())
        XCTAssertEqual(reloaded.teams["t1"]?.drills, engine.state.teams["t1"]?.drills)
        XCTAssertEqual(reloaded.volunteers["v2"]?.drills, engine.state.volunteers["v2"]?.drills)
    }
}
