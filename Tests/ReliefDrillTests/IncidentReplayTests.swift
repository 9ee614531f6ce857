import Foundation
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefDrill

/// `replay incident ID`: a real incident played live (LiveIncident), read back as a history, made
/// into a drill whose start state is the live state just before the opening and whose injects are
/// the incident's inputs at their minutes, without the officer's own actions.
final class IncidentReplayTests: XCTestCase {
    static let header = """
        scenario "The flood north of Taiyuan, again"
        replay incident f
        seed 4
        officer plan every=30m apply_after=10m
        officer dispatch after=15m
        """

    func resolved(_ body: String = "", live: LiveIncident) throws -> (Scenario, IncidentHistory) {
        let history = try live.history()
        let scenario = try ScenarioParser.parse(Self.header + "\n" + body, file: "again.drill")
        return (try IncidentReplay.resolve(scenario, history: history), history)
    }

    func testTheHistoryStartsJustBeforeTheOpeningAndKeepsTheIncidentAndTheWorldWhileItLasted() throws {
        let live = try LiveIncident()
        let history = try live.history()
        XCTAssertEqual(history.before.snapshotText(), live.before.snapshotText(), "the live state just before the opening, as the journal says")
        XCTAssertEqual(history.before.lastSeq, history.openedSeq - 1)
        XCTAssertNil(history.before.incidents["f"])
        XCTAssertNotNil(history.before.incidents["g"], "the earlier incident is part of the world")
        let opening = try XCTUnwrap(live.journal.first { if case .incidentOpened(let incident) = $0.event { incident.id == "f" } else { false } })
        XCTAssertEqual(history.openedSeq, opening.seq)
        XCTAssertEqual(history.openedAt, LiveIncident.opening)
        let closing = try XCTUnwrap(history.closed)
        XCTAssertEqual(history.lastSeq, closing.seq)
        XCTAssertEqual(LiveIncident.opening.milliseconds + 500 * 60_000, closing.time.milliseconds)

        let lots = history.entries.compactMap { entry -> String? in if case .lotReceived(_, let lot, _, _, _, _, _, _) = entry.event { lot } else { nil } }
        XCTAssertEqual(lots, ["DON-1"], "stock received while the incident lasted, not before or after it")
        let needs = history.entries.compactMap { entry -> String? in if case .needAdded(let need) = entry.event { need.incident } else { nil } }
        XCTAssertEqual(needs, ["f", "f", "f"], "the other incident's need added meanwhile is not this incident's")
        XCTAssertTrue(history.entries.contains { $0.event.kind == "plan.proposed" }, "the officer's entries are in the history, to be left out")
        XCTAssertEqual(history.entries.map(\.seq), history.entries.map(\.seq).sorted())
    }

    func testTheReplayGivesBackTheIncidentsInputsAtTheirMinutesAndLeavesTheOfficersDecisionsOut() throws {
        let live = try LiveIncident()
        let (scenario, history) = try resolved(live: live)
        XCTAssertEqual(scenario.start?.iso8601, "2026-07-15T06:00:00Z", "the opening's minute")
        XCTAssertEqual(scenario.endMinute, 900, "the closing at T+08:20 plus 6 h, to the hour")
        XCTAssertEqual(scenario.from, .replay(incident: "f"))
        let got = scenario.injects.map { "\(DrillTime.text($0.minute)) \($0.text)" }
        XCTAssertEqual(got, [
            "T+00:00 incident open f title=\"Flood, north of Taiyuan\" kind=flood at=38.23,112.55 region=shanxi/taiyuan severity=3 affected=1000",
            "T+00:05 need add f supply water-5l 3000 priority=1 by=2026-07-16T06:00:00Z note=\"evacuation centre\" ref=f-water",
            "T+00:06 need add f volunteers registration 2 hours=4 priority=2 by=2026-07-15T18:06:27Z ref=real-N-000003",
            "T+01:00 incident update f affected=1500 note=\"the second village\"",
            "T+03:20 need add f supply water-5l 100 priority=3 by=2026-07-16T09:20:27Z ref=f-extra",
            "T+03:25 need cancel f-extra reason=\"counted twice\"",
            "T+03:30 incident status f active note=\"teams on the ground\"",
            "T+06:00 stock receive jz-01 water-5l 1500 lot=DON-1 expires=2027-07-31 donor=\"Shanxi Coal Union\"",
            "T+06:10 need change f-water qty=3200",
            "T+08:10 need cancel real-N-000003 reason=\"registration done\"",
            "T+08:15 need change f-water by=2026-07-16T12:00:00Z",
        ])
        // Each at the minute it was sent live, as far as its entries go.
        XCTAssertEqual(scenario.injects.map(\.minute), live.inputs.map(\.minute))
        XCTAssertTrue(scenario.injects.allSatisfy { $0.replayedSeq != nil && $0.line == 2 })
        let inputSeqs = Set(scenario.injects.compactMap(\.replayedSeq))
        XCTAssertTrue(inputSeqs.allSatisfy { seq in history.entries.contains { $0.seq == seq } })

        let source = try XCTUnwrap(scenario.replay?.source)
        XCTAssertEqual(source.closedMinute, 500)
        XCTAssertEqual(source.lastMinute, 500)
        XCTAssertEqual(source.openedSeq, history.openedSeq)
        XCTAssertEqual(source.openedAt, "2026-07-15T06:00:27.000Z")
        XCTAssertEqual(source.leftToTheOfficer["plan.proposed"], 2)
        XCTAssertEqual(source.leftToTheOfficer["plan.applied"], 2)
        let officerKinds = Set(live.journal.filter { entry in
            ["plan.", "allocation.", "assignment."].contains { entry.event.kind.hasPrefix($0) } && entry.seq > history.openedSeq && entry.seq <= history.lastSeq
                && history.entries.contains { $0.seq == entry.seq }
        }.map(\.event.kind))
        XCTAssertEqual(Set(source.leftToTheOfficer.keys), officerKinds)
        XCTAssertEqual(source.leftToTheOfficer.values.reduce(0, +), history.entries.filter { officerKinds.contains($0.event.kind) }.count)
    }

    func testTheReplayedDrillRebuildsTheIncidentsNeedsFromTheLiveStateBeforeIt() throws {
        let live = try LiveIncident()
        let (scenario, history) = try resolved("expect at T+08:30 incident f open = 2", live: live)
        let drill = try DrillRun(scenario: scenario, state: history.before)
        drill.runToEnd()
        let state = drill.state
        // The drill's needs are the live incident's, by ref, as the live ones ended.
        let liveNeeds = live.engine.state.incidents["f"]!.needs.map { live.engine.state.needs[$0]! }
        let drillNeeds = state.incidents["f"]!.needs.map { state.needs[$0]! }
        XCTAssertEqual(drillNeeds.map(\.ref), ["f-water", "real-N-000003", "f-extra"])
        XCTAssertEqual(drillNeeds.map(\.request), liveNeeds.map(\.request))
        XCTAssertEqual(drillNeeds.map(\.priority), liveNeeds.map(\.priority))
        XCTAssertEqual(drillNeeds.map(\.neededBy), liveNeeds.map(\.neededBy))
        XCTAssertTrue(state.incidents["f"]!.exercise, "the replayed incident is an exercise")
        XCTAssertEqual(state.incidents["f"]!.status, .active, "the closing is the officer's, and not replayed")
        XCTAssertEqual(state.incidents["f"]!.affected, 1500)
        XCTAssertEqual(state.lots["DON-1"]?.party, "Shanxi Coal Union")
        XCTAssertNil(state.lots["LATE"])
        XCTAssertEqual(state.incidents["g"]?.needs.count, 1, "the other incident is as it was before the flood")

        let report = drill.report()
        XCTAssertEqual(report.scenario.from, "replay incident f (the live store just before it was opened)")
        XCTAssertEqual(report.scenario.start, "2026-07-15T06:00:00Z")
        let replay = try XCTUnwrap(report.replay)
        XCTAssertEqual(replay.inputs, 11)
        XCTAssertEqual(replay.closedMinute, 500)
        XCTAssertEqual(report.summary.injects, 11)
        // Live, the volunteers were stood down before the need was cancelled at T+08:10. Here the
        // simulated officer sent relief when the first shift ended at T+05:55, and they are on scene
        // then: the cancel is refused, recorded as a finding, and the drill does not fail for it.
        let refusal = try XCTUnwrap(replay.refused.first)
        XCTAssertEqual(replay.refused.count, 1, "\(replay.refused)")
        XCTAssertEqual(refusal.text, "need cancel real-N-000003 reason=\"registration done\"")
        XCTAssertEqual(refusal.minute, 490)
        XCTAssertTrue(refusal.refusal.hasPrefix("ERR CONFLICT") && refusal.refusal.contains("people on scene"), refusal.refusal)
        let cancel = try XCTUnwrap(live.journal.first { if case .needCancelled(let id, _) = $0.event { id == "N-000003" } else { false } })
        XCTAssertEqual(refusal.seq, cancel.seq)
        XCTAssertTrue(report.expectations.allSatisfy(\.held), "\(report.expectations)")
        XCTAssertEqual(report.summary.expectationsFailed, 0)

        // The page says what was replayed and what the drill's world refused; other reports have no such section.
        let html = report.html()
        XCTAssertTrue(html.contains("<a href=\"#replay\">Replay</a>") && html.contains("<section id=\"replay\">"))
        XCTAssertTrue(html.contains("<code>need cancel real-N-000003 reason=&quot;registration done&quot;</code><span class=\"sub\">entry \(cancel.seq)</span>"))
        XCTAssertTrue(html.contains("Left to the simulated officer: the real officer's 2 plans, 2 plans applied,"), "the officer's entries by what they did")
        XCTAssertTrue(html.contains("<strong class=\"unmet\">1 refused here</strong>"))
        XCTAssertFalse(SampleReports.fenRiverFlood().html().contains("replay"))
        // The simulated officer, not the live one, met the needs: its actor, on drill minutes.
        XCTAssertTrue(drill.entries.allSatisfy { $0.actor.hasPrefix("exercise:") })
        XCTAssertTrue(drill.log.contains { $0.text.hasPrefix("replay of entry \(history.openedSeq): incident open f") }, "\(drill.log.prefix(3))")
    }

    // MARK: the directive

    /// Every error of `text`, as `LINE:COLUMN: message`.
    func errors(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try ScenarioParser.parse(text, file: "again.drill")
            XCTFail("expected errors", file: file, line: line)
            return []
        } catch {
            return error.items.map { "\($0.line):\($0.column): \($0.message)" }
        }
    }

    func testTheDirectiveTakesTheIncidentAndAnOffsetAndNeedsNoStartFromOrEnd() throws {
        let scenario = try ScenarioParser.parse("""
            scenario "Again"
            replay incident f offset=+08:00
            T+00:30 need change f-water priority=2
            """, file: "again.drill")
        XCTAssertEqual(scenario.from, .replay(incident: "f"))
        XCTAssertEqual(scenario.replay?.incident, "f")
        XCTAssertEqual(scenario.replay?.offsetMinutes, 480)
        XCTAssertEqual(scenario.replay?.endGiven, false)
        XCTAssertNil(scenario.replay?.source, "not read yet")
        XCTAssertEqual(scenario.fromPosition, .init(line: 2, column: 17))
        XCTAssertNil(scenario.start)

        let resolved = try IncidentReplay.resolve(scenario, history: try LiveIncident().history())
        XCTAssertEqual(resolved.start?.iso8601, "2026-07-15T14:00:00+08:00", "the report shows the offset given")
        // The scenario's own inject comes after the replayed ones of its minute (none at T+00:30).
        XCTAssertEqual(resolved.injects.filter { $0.replayedSeq == nil }.map(\.text), ["need change f-water priority=2"])
        XCTAssertEqual(resolved.injects.map(\.minute), resolved.injects.map(\.minute).sorted())
    }

    func testBadReplayLinesNameTheirLineColumnAndWhatWasExpected() {
        XCTAssertEqual(errors("""
            scenario "Again"
            replay incident
            """), ["2:17: missing words; expected: replay incident ID [offset=±HH:MM]"])
        XCTAssertEqual(errors("""
            scenario "Again"
            replay incidents f
            """), ["2:8: unexpected \"incidents\"; expected incident (replay incident ID [offset=±HH:MM])"])
        XCTAssertEqual(errors("""
            scenario "Again"
            replay incident f offset=8h
            """), ["2:19: bad offset \"8h\"; expected a UTC offset such as +08:00, -05:30 or Z"])
        XCTAssertEqual(errors("""
            scenario "Again"
            replay incident f speed=2
            """), ["2:19: unknown option speed=; expected offset= (replay incident ID [offset=±HH:MM])"])
        XCTAssertEqual(errors("""
            scenario "Again"
            replay incident f
            from live
            start 2026-07-15T06:00Z
            replay incident g
            """), [
            "3:1: from given with replay incident (line 2), which sets where the drill starts: the live store just before the incident was opened, at its opening; expected one of them, not both",
            "4:1: start given with replay incident (line 2), which sets when the drill clock starts: the live store just before the incident was opened, at its opening; expected one of them, not both",
            "5:1: replay given twice (first on line 2); expected it once",
        ])
        XCTAssertEqual(errors("scenario \"Without a start\"\nend T+01:00"), [
            "1:1: no start directive; expected a line such as: start 2026-07-15T06:00+08:00",
            "1:1: no from directive; expected a line such as: from dataset PATH, from empty, from live, or replay incident ID",
        ])
    }

    func testOwnTimesPastTheEndThatFollowsFromTheIncidentAreErrorsOnTheirLines() throws {
        let scenario = try ScenarioParser.parse(Self.header + """

            T+15:30 stock receive ty-01 water-5l 10 lot=X supplier=S
            expect by T+16:00 need f-water delivered
            """, file: "again.drill")
        XCTAssertThrowsError(try IncidentReplay.resolve(scenario, history: try LiveIncident().history())) { error in
            let items = (error as? ScenarioErrors)?.items.map { "\($0.line):\($0.column): \($0.message)" }
            XCTAssertEqual(items, [
                "6:1: inject time T+15:30 is after the drill's end T+15:00 (the incident's closing at T+08:20 plus 6h, to the hour); expected at most the end, or an end directive",
                "7:11: deadline T+16:00 is after the drill's end T+15:00 (the incident's closing at T+08:20 plus 6h, to the hour); expected at most the end, or an end directive",
            ])
        }
    }

    func testAWrittenEndCutsTheReplayAndTheInputsAfterItAreCounted() throws {
        let live = try LiveIncident()
        let (scenario, _) = try resolved("end T+04:00", live: live)
        XCTAssertEqual(scenario.endMinute, 240)
        XCTAssertEqual(scenario.injects.map(\.minute), [0, 5, 6, 60, 200, 205, 210])
        XCTAssertEqual(scenario.replay?.source?.afterTheEnd, 4)
    }

    func testAReplayNotReadFromAStoreDoesNotStart() throws {
        let scenario = try ScenarioParser.parse(Self.header, file: "again.drill")
        XCTAssertThrowsError(try DrillRun(scenario: scenario, state: State(), wallClock: DrillWorld.startTime)) { error in
            XCTAssertEqual((error as? ScenarioErrors)?.items.first?.description,
                           "again.drill:2:17: replay incident f has not been read from a store; expected the scenario DrillStart.prepare returns")
        }
        XCTAssertThrowsError(try DrillStart.prepare(scenario, wallClock: nil, sources: DrillStart.Sources())) { error in
            XCTAssertEqual((error as? ScenarioErrors)?.items.first?.description,
                           "again.drill:2:17: no store to replay incident f from here; expected from dataset PATH or from empty")
        }
        struct Missing: Error, CustomStringConvertible { var description: String { "no incident f in the journal of /tmp/x.db" } }
        XCTAssertThrowsError(try DrillStart.prepare(scenario, wallClock: nil, sources: DrillStart.Sources(history: { _ in throw Missing() }))) { error in
            XCTAssertEqual((error as? ScenarioErrors)?.items.first?.description,
                           "again.drill:2:17: cannot replay incident f: no incident f in the journal of /tmp/x.db")
        }
        let live = try LiveIncident()
        let prepared = try DrillStart.prepare(scenario, wallClock: nil, sources: DrillStart.Sources(history: { _ in try live.history() }))
        XCTAssertEqual(prepared.scenario.injects.count, 11)
        XCTAssertEqual(prepared.state.snapshotText(), live.before.snapshotText())
    }
}
