import Foundation
import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefDrill

/// The runner on small hand-made states: the officer's cadence and delays, road time, no-shows,
/// releases and rest limits, certifications expiring on drill time, and the exercise marker.
final class DrillRunTests: XCTestCase {
    /// 40 km north of ty-01: an hour on the road at 40 km/h.
    static let incident = "incident open f title=Flood kind=flood at=38.23,112.55 region=shanxi/taiyuan severity=3 affected=1000"
    static var roadFromTaiyuan: Int {
        Int((Coordinate(latitude: 37.87, longitude: 112.55).distanceKilometres(to: Coordinate(latitude: 38.23, longitude: 112.55)) * 60 / 40).rounded(.up))
    }

    func testTheOfficerPlansOnItsCadenceAndAppliesDispatchesAndDeliversAfterItsDelays() throws {
        let drill = try DrillWorld.run("""
            officer plan every=30m apply_after=10m
            officer dispatch after=15m
            officer travel speed=40kmh
            T+00:05 \(Self.incident)
            T+00:05 need add f supply water-5l 500 priority=1 by=12h
            T+02:10 need add f supply water-5l 200 priority=2 by=12h
            """)
        XCTAssertEqual(DrillRunTests.roadFromTaiyuan, 61)
        // T+00:00 had nothing to plan; T+00:30 proposes, then nothing misses anything until T+02:10.
        XCTAssertEqual(DrillWorld.minutes(drill, "plan.proposed"), [30, 150])
        XCTAssertEqual(DrillWorld.minutes(drill, "plan.applied"), [40, 160])
        XCTAssertEqual(DrillWorld.minutes(drill, "allocation.dispatched"), [55, 175])
        XCTAssertEqual(DrillWorld.minutes(drill, "allocation.delivered"), [55 + 61, 175 + 61])
        let report = drill.report()
        XCTAssertEqual(report.plans.map(\.minute), [30, 150])
        XCTAssertEqual(report.plans.map(\.appliedMinute), [40, 160])
        let first = report.needs[0]
        XCTAssertEqual([first.createdMinute, first.firstProposedMinute, first.appliedMinute, first.dispatchedMinute, first.deliveredMinute],
                       [5, 30, 40, 55, 116])
        XCTAssertEqual(first.what, "water-5l × 500 bottle")
        XCTAssertEqual(report.flows, [
            .init(warehouse: "ty-01", incident: "f", item: "water-5l", quantity: 500, crossRegion: false, minute: 55),
            .init(warehouse: "ty-01", incident: "f", item: "water-5l", quantity: 200, crossRegion: false, minute: 175),
        ])
        XCTAssertEqual(report.timeline.map { [$0.minute, $0.openNeeds, $0.unmetNeeds] }, [[0, 0, 0], [5, 1, 1], [40, 1, 0], [130, 2, 1], [160, 2, 0], [720, 2, 0]])
        let series = report.stock.series.first { $0.warehouse == "ty-01" }!
        XCTAssertEqual(series.points.map { [$0.minute, Int($0.available)] }, [[0, 1000], [40, 500], [160, 300], [720, 300]])
        XCTAssertEqual(report.stock.series.first { $0.warehouse == "jz-01" }!.points.map(\.available), [1000, 1000])
        // Every entry is at a whole drill minute and made by the drill's organizer or officer.
        XCTAssertTrue(drill.entries.allSatisfy { ($0.time.milliseconds - DrillWorld.startTime.milliseconds) % 60_000 == 0 })
        XCTAssertEqual(Set(drill.entries.map(\.actor)), ["exercise:organizer", "exercise:officer"])
    }

    func testTheOpenAndUnmetCountsKeptAsItGoesEqualCountingAfresh() throws {
        // Needs added, changed, met, released, cancelled and an incident closed: after every minute
        // the recorder's running counts are what walking every need gives.
        let body = """
            officer plan every=30m apply_after=10m
            officer dispatch after=15m
            T+00:05 \(Self.incident)
            T+00:05 need add f supply water-5l 500 priority=1 by=12h ref=w1
            T+00:06 need add f supply water-5l 5000 priority=2 by=12h ref=w2
            T+00:50 need change w2 qty=800
            T+01:30 need add f volunteers first-aid 1 hours=2 priority=1 ref=aid
            T+02:00 need cancel w1
            T+03:00 incident open g title=Second kind=flood at=37.90,112.60 region=shanxi/taiyuan severity=2 affected=10
            T+03:01 need add g supply water-5l 100 priority=3 by=12h ref=g1
            T+05:00 incident status g closed
            """
        let drill = try DrillRun(scenario: try DrillWorld.scenario(body, end: "T+12:00", seed: 1), state: try DrillWorld.state(""))
        while let next = drill.nextEventTime {
            drill.run(until: next)
            XCTAssertTrue(drill.recorder.counts == DrillRecorder.counts(drill.state), "at \(drill.minute): \(drill.recorder.counts)")
        }
        XCTAssertTrue(drill.isFinished)
    }

    func testRoadTimeComesFromTheTravelTimeMatrixWhenAskedAndFromTheSpeedElsewhere() throws {
        let body = """
            officer plan every=30m apply_after=0m
            officer dispatch after=0m
            officer travel matrix speed=20kmh
            T+00:00 \(Self.incident)
            T+00:00 need add f supply water-5l 1500 priority=1 by=12h
            """
        let drill = try DrillWorld.run(body, world: "travel set ty-01 shanxi/taiyuan 90")
        // ty-01 has a matrix entry (90 min); jz-01 has none: great-circle km at 20 km/h.
        let jinzhong = Coordinate(latitude: 37.69, longitude: 112.75).distanceKilometres(to: Coordinate(latitude: 38.23, longitude: 112.55))
        let delivered = drill.entries.compactMap { entry -> (String, Int)? in
            guard case .allocationDelivered(let id, _, _, _) = entry.event else { return nil }
            return (drill.state.allocations[id]!.warehouse, drill.clockStart.minute(of: entry.time))
        }
        XCTAssertEqual(delivered.map(\.0), ["ty-01", "jz-01"])
        XCTAssertEqual(delivered.map(\.1), [90, Int((jinzhong * 60 / 20).rounded(.up))])
        XCTAssertEqual(drill.report().flows.map(\.crossRegion), [false, true], "Jinzhong's water crossed into Taiyuan")
    }

    /// The volunteers who did not turn up in a drill (the officer marks each unavailable).
    func noShows(_ drill: DrillRun) -> [String] {
        drill.entries.compactMap { entry in
            guard case .volunteerStatusSet(let id, .unavailable, let reason, _) = entry.event, reason?.contains("did not turn up") == true else { return nil }
            return id
        }
    }

    func testNoShowsFollowTheSeedAndTheChance() throws {
        let world = DrillWorld.volunteers(40)
        func drill(_ chance: String, seed: UInt64) throws -> DrillRun {
            try DrillWorld.run("""
                officer plan every=30m apply_after=0m
                officer noshow \(chance)
                T+00:00 \(Self.incident)
                T+00:00 need add f volunteers registration 40 hours=4 priority=1 by=12h
                """, world: world, end: "T+02:00", seed: seed)
        }
        let first = try drill("50%", seed: 7), again = try drill("50%", seed: 7), other = try drill("50%", seed: 8)
        XCTAssertEqual(noShows(first), noShows(again))
        XCTAssertNotEqual(Set(noShows(first)), Set(noShows(other)))
        XCTAssertEqual(first.report().people.noShows, noShows(first).count)
        XCTAssertTrue((8...32).contains(noShows(first).count), "\(noShows(first).count) of 40 at 50 %")
        XCTAssertEqual(noShows(try drill("0%", seed: 7)), [])
        XCTAssertEqual(noShows(try drill("100%", seed: 7)).count, 40)
        // A no-show is stood down and is not on scene; the others are.
        let state = first.state
        for id in noShows(first) {
            XCTAssertNil(state.volunteers[id]!.onDutySince)
            XCTAssertEqual(state.effectiveStatus(of: state.volunteers[id]!, at: first.now), .unavailable)
        }
        XCTAssertEqual(state.volunteers.values.filter { $0.onDutySince != nil }.count, 40 - noShows(first).count)
    }

    /// A need for one registration volunteer for 4-hour shifts, planned every 30 minutes and applied
    /// and sent at once, with volunteers v-1, v-2 … at these latitudes (nearest the incident
    /// first), each resting 8 hours after a stretch on duty.
    static func shifts(of latitudes: [Double], end: String) throws -> DrillRun {
        let world = latitudes.enumerated().map { index, latitude in
            "volunteer add v-\(index + 1) name=V\(index + 1) region=shanxi/taiyuan at=\(latitude),112.55 skills=registration:3 max_hours=12 min_rest=8h"
        }.joined(separator: "\n")
        return try DrillWorld.run("""
            officer plan every=30m apply_after=0m
            officer dispatch after=0m
            officer release after=need
            T+00:00 \(Self.incident)
            T+00:00 need add f volunteers registration 1 hours=4 priority=1 by=24h
            """, world: world, end: end)
    }

    func testPeopleAreStoodDownAfterTheNeedsHoursAndTheRestLimitBites() throws {
        // v-1 is nearest; both must rest 8 h after a stretch on duty.
        let drill = try Self.shifts(of: [38.22, 38.00], end: "T+20:00")
        let made = drill.entries.compactMap { entry -> (String, Int)? in
            guard case .assignmentMade(let assignment) = entry.event else { return nil }
            return (assignment.volunteer, drill.clockStart.minute(of: entry.time))
        }
        let released = drill.entries.compactMap { entry -> (String, Int, String?)? in
            guard case .assignmentReleased(let id, let reason) = entry.event else { return nil }
            return (drill.state.assignments[id]!.volunteer, drill.clockStart.minute(of: entry.time), reason)
        }
        XCTAssertEqual(made.map(\.0), ["v-1", "v-2", "v-1", "v-2"], "each rests after its shift, so the other takes the next")
        XCTAssertEqual(released.first?.2, "exercise: stood down after 4h on scene")
        // Four hours on scene each: the shift the need asked for.
        XCTAssertEqual(drill.state.assignments.values.filter { $0.status == .released }.map(\.hoursMilliseconds), Array(repeating: 4 * 3_600_000, count: 3))
        // v-1 comes back only once rested: 8 h after its release.
        XCTAssertGreaterThanOrEqual(made[2].1, released[0].1 + 8 * 60)
        let report = drill.report()
        XCTAssertGreaterThan(report.people.restLimitRefusals, 0)
        XCTAssertTrue(report.needs[0].reasons.contains { $0.reason.contains("resting") }, "\(report.needs[0].reasons)")
        XCTAssertEqual(report.people.volunteersDeployed, 2)
    }

    func testARestLimitThatMakesThePlanReachFurtherIsCountedThoughNoNeedIsLeftShort() throws {
        // Three volunteers, nearest first; the need is never short when a plan runs: the plan after
        // v-1's shift sends v-2, farther than v-1, who rests. v-3, farther still, is never rest-limited.
        let drill = try Self.shifts(of: [38.22, 38.00, 37.80], end: "T+06:00")
        let made = drill.entries.compactMap { entry -> String? in
            guard case .assignmentMade(let assignment) = entry.event else { return nil }
            return assignment.volunteer
        }
        XCTAssertEqual(made, ["v-1", "v-2"])
        let plans = drill.entries.compactMap { entry -> Plan? in
            guard case .planProposed(let plan) = entry.event else { return nil }
            return plan
        }
        XCTAssertTrue(plans.allSatisfy { $0.unmet.isEmpty }, "no plan left the need short: \(plans.map(\.unmet))")
        // Exactly one person, once: v-1, in the plan that sent v-2 instead.
        XCTAssertEqual(drill.report().people.restLimitRefusals, 1)
    }

    func testTheOfficerRotatesPeopleOutAtTheirDutyHourLimit() throws {
        let drill = try DrillWorld.run("""
            officer plan every=30m apply_after=0m
            officer dispatch after=0m
            T+00:00 \(Self.incident)
            T+00:00 need add f volunteers registration 1 hours=12 priority=1 by=24h
            """, world: DrillWorld.volunteers(1, maxHours: 6), end: "T+08:00")
        guard let release = drill.entries.first(where: { $0.event.kind == "assignment.released" }),
              case .assignmentReleased(let id, let reason) = release.event else { return XCTFail("nobody was released") }
        XCTAssertEqual(reason, "exercise: duty-hour limit (6 h in 24 h) reached")
        XCTAssertEqual(drill.state.assignments[id]!.hoursMilliseconds, 6 * 3_600_000)
    }

    func testATeamLeavesTogetherWhenItsFirstMemberReachesTheLimit() throws {
        let world = """
            volunteer add v-1 name=One region=shanxi/taiyuan at=38.20,112.55 skills=first-aid:3 max_hours=6
            volunteer certify v-1 first-aid issued=2025-01-01 expires=2028-01-01 issuer=RC
            volunteer add v-2 name=Two region=shanxi/taiyuan at=38.20,112.55 skills=first-aid:3 max_hours=12
            volunteer certify v-2 first-aid issued=2025-01-01 expires=2028-01-01 issuer=RC
            team add t-1 name=Boats specialty=water-rescue region=shanxi/taiyuan at=38.20,112.55 leader=v-1
            team member add t-1 v-2
            """
        let drill = try DrillWorld.run("""
            officer plan every=30m apply_after=0m
            officer dispatch after=0m
            T+00:00 \(Self.incident)
            T+00:00 need add f team water-rescue 1 hours=12 priority=1 by=24h
            """, world: world, end: "T+10:00")
        let released = drill.entries.compactMap { entry -> (String, Int, String?)? in
            guard case .assignmentReleased(let id, let reason) = entry.event else { return nil }
            return (drill.state.assignments[id]!.volunteer, drill.clockStart.minute(of: entry.time), reason)
        }
        XCTAssertEqual(released.map(\.0), ["v-1", "v-2"])
        XCTAssertEqual(Set(released.map(\.1)).count, 1, "both leave at once")
        XCTAssertEqual(released.first?.2, "exercise: duty-hour limit of a member (6 h in 24 h) reached")
        XCTAssertEqual(drill.state.assignments.values.map(\.hoursMilliseconds), [6 * 3_600_000, 6 * 3_600_000])
        XCTAssertEqual(drill.report().people.teamsDeployed, 1)
    }

    func testCertificationsExpireOnDrillTime() throws {
        // v-1's first-aid certificate is good through 15 July; v-2's ran out before the drill.
        let world = """
            volunteer add v-1 name=One region=shanxi/taiyuan at=38.20,112.55 skills=first-aid:3
            volunteer certify v-1 first-aid issued=2025-01-01 expires=2026-07-15 issuer=RC
            volunteer add v-2 name=Two region=shanxi/taiyuan at=38.21,112.55 skills=first-aid:3
            volunteer certify v-2 first-aid issued=2024-01-01 expires=2026-07-01 issuer=RC
            """
        let drill = try DrillWorld.run("""
            officer plan every=30m apply_after=0m
            officer release after=1h
            T+00:00 \(Self.incident)
            T+00:00 need add f volunteers first-aid 1 hours=1 priority=1 by=4h
            T+19:00 need add f volunteers first-aid 1 hours=1 priority=1 by=4h
            expect unused volunteer v-2
            expect by T+23:00 need N-000002 met
            """, world: world, end: "T+23:00")
        // 06:00 UTC on 15 July: v-1 serves the first need; the second is for 16 July, when no one is certified.
        let report = drill.report()
        XCTAssertEqual(report.needs[0].appliedMinute, 0)
        XCTAssertNil(report.needs[1].appliedMinute)
        XCTAssertTrue(report.needs[1].reasons.first?.reason.hasPrefix("certifications expired: none of the 2 volunteers") == true,
                      "\(report.needs[1].reasons)")
        XCTAssertEqual(report.expectations.map(\.held), [true, false])
        XCTAssertEqual(report.expectations[0].detail, "never assigned during the drill")
        XCTAssertTrue(report.expectations[1].detail.hasPrefix("not met by T+23:00: N-000002 (1 first-aid volunteer for 1 h) on scene 0, en route 0, assigned 0, missing 1 of 1; why, as plan PL-"),
                      report.expectations[1].detail)
    }

    func testExpectationsHoldOrFailWithWhatWasSeenAndWhen() throws {
        let drill = try DrillWorld.run("""
            officer plan every=30m apply_after=10m
            officer dispatch after=15m
            T+00:00 \(Self.incident)
            T+00:05 need add f supply water-5l 500 priority=1 by=12h
            T+00:05 need add f supply water-5l 5000 priority=2 by=12h
            T+00:06 need add nowhere supply water-5l 5 by=12h
            expect refused at T+00:07 volunteer checkin v-404
            expect refused at T+00:08 ping
            expect by T+03:00 need N-000001 delivered
            expect by T+00:20 need N-000001 met
            expect at T+03:00 incident f unmet <= 0
            expect at T+03:00 need N-000002 missing >= 1
            expect never stock ty-01 water-5l below 600
            expect never stock jz-01 water-5l below 1
            expect by T+03:00 need N-000404 met
            expect unused volunteer v-1
            """, world: DrillWorld.volunteers(1), end: "T+04:00")
        let report = drill.report()
        let results = report.expectations.map { "\($0.line) \($0.held ? "held" : "failed") \(DrillTime.text($0.minute)): \($0.detail)" }
        XCTAssertEqual(results, [
            "11 failed T+00:06: inject refused at T+00:06: ERR NOTFOUND incident nowhere not found; see incident list",
            "12 held T+00:07: refused at T+00:07: ERR NOTFOUND volunteer v-404 not found",
            "13 failed T+00:08: applied at T+00:08; expected the engine to refuse it",
            "14 held T+02:29: delivered at T+02:29: N-000001 (500 bottle of water-5l) delivered 500, in transit 0, reserved 0, missing 0 of 500",
            "15 failed T+00:20: not met by T+00:20: N-000001 (500 bottle of water-5l) delivered 0, in transit 0, reserved 0, missing 500 of 500",
            "16 failed T+03:00: at T+03:00 incident f had 1 open needs not fully met (N-000002); expected <= 0",
            "17 held T+03:00: at T+03:00 N-000002 (5,000 bottle of water-5l) was missing 3,500",
            "18 failed T+00:40: available fell to 0 bottle of water-5l at T+00:40, below 600, when AL-000002 reserved 1,000 for N-000002 (f)",
            "19 failed T+00:40: available fell to 0 bottle of water-5l at T+00:40, below 1, when AL-000003 reserved 500 for N-000002 (f)",
            "20 failed T+03:00: no need named N-000404 by T+03:00 (never added, or the inject adding it was refused)",
            "21 held T+04:00: never assigned during the drill",
        ])
        XCTAssertEqual(report.summary.expectationsHeld, 4)
        XCTAssertEqual(report.summary.expectationsFailed, 7)
        XCTAssertEqual(report.summary.injects, 6)
    }

    func testEverythingTheDrillOpensIsAnExercise() throws {
        let drill = try DrillWorld.run("T+00:00 \(Self.incident)", end: "T+00:10")
        XCTAssertEqual(drill.state.incidents["f"]?.exercise, true)
        let row = drill.ask(line: "incident show f").rowList?.first
        XCTAssertEqual(row?["exercise"], "yes")
        XCTAssertEqual(drill.ask(line: "incident list").rowList?.first?["exercise"], "yes")
        XCTAssertTrue(drill.log.allSatisfy { $0.description.contains("[exercise]") })
        XCTAssertTrue(drill.report().exercise)
        XCTAssertTrue(String(decoding: try drill.report().json(), as: UTF8.self).contains("\"exercise\" : true"))
    }

    func testOnlineUseInjectsAskAndStopWhileItRuns() throws {
        let scenario = try DrillWorld.scenario("""
            officer plan every=30m apply_after=10m
            T+00:00 \(Self.incident)
            expect by T+10:00 need N-000001 delivered
            """, end: "T+12:00")
        let drill = try DrillRun(scenario: scenario, state: try DrillWorld.state())
        XCTAssertEqual(drill.nextEventTime, DrillWorld.startTime)
        drill.run(until: Timestamp(milliseconds: DrillWorld.startTime.milliseconds + 20 * 60_000))
        XCTAssertEqual(drill.minute, 20)
        XCTAssertEqual(drill.nextEventTime, Timestamp(milliseconds: DrillWorld.startTime.milliseconds + 30 * 60_000))
        guard case .error(.denied, _) = drill.ask(line: "stock issue ty-01 water-5l 1") else { return XCTFail("a question changed the drill") }
        XCTAssertEqual(drill.ask(line: "stock query warehouse=ty-01").rowList?.first?["available"], "1000")
        guard case .ok(let fields) = drill.inject(line: "need add f supply water-5l 100 priority=1 by=6h") else { return XCTFail("inject refused") }
        XCTAssertEqual(fields["need"], "N-000001")
        XCTAssertEqual(drill.report().expectations.first?.detail, "pending at T+00:20")
        drill.run(until: Timestamp(milliseconds: DrillWorld.startTime.milliseconds + 60 * 60_000))
        drill.stop()
        XCTAssertTrue(drill.isFinished)
        XCTAssertNil(drill.nextEventTime)
        let expectation = drill.report().expectations.first!
        XCTAssertFalse(expectation.held)
        XCTAssertEqual(expectation.detail, "not decided: the drill was stopped at T+01:00, before T+10:00")
        guard case .error(.conflict, _) = drill.inject(line: "ping") else { return XCTFail("a finished drill took an inject") }
    }

    func testScenariosNameNeedsByTheirRefsInInjectsExpectationsAndTheReport() throws {
        let drill = try DrillWorld.run("""
            officer plan every=30m apply_after=10m
            T+00:00 \(Self.incident)
            T+00:05 need add f supply water-5l 300 priority=1 by=12h ref=first-water
            T+00:20 need change first-water qty=400
            expect by T+03:00 need first-water delivered
            expect at T+03:00 need first-water missing = 0
            """, end: "T+04:00")
        let report = drill.report()
        XCTAssertEqual(report.needs.map(\.ref), ["first-water"])
        XCTAssertEqual(report.needs.map(\.what), ["water-5l × 400 bottle"])
        XCTAssertEqual(report.expectations.map(\.held), [true, true])
        XCTAssertTrue(report.expectations[0].detail.hasPrefix("delivered at T+01:56: first-water (N-000001, 400 bottle of water-5l) delivered 400"),
                      report.expectations[0].detail)
    }

    func testANeedNameNoInjectGivesDoesNotStart() throws {
        let scenario = try DrillWorld.scenario("""
            T+00:00 \(Self.incident)
            T+00:05 need add f supply water-5l 300 ref=first-water
            T+00:06 need estimate f days=1 accept ref=est
            T+00:07 need add f item=water-5l per_day=100 days=2 ref=daily
            expect by T+03:00 need first-water met
            expect by T+03:00 need est-water-5l met
            expect by T+03:00 need N-000007 met
            expect by T+03:00 need daily-d2 met
            expect by T+03:00 need second-water met
            expect by T+03:00 need daily-d3 met
            expect by T+03:00 need daily met
            """)
        XCTAssertThrowsError(try DrillRun(scenario: scenario, state: try DrillWorld.state())) { error in
            XCTAssertEqual((error as? ScenarioErrors)?.description, """
                test.drill:14:24: unknown need second-water; expected a need id (N-000001), a ref of the start state, or a ref an inject gives (need add … ref=second-water, need add … per_day= days=N ref=NAME for NAME-d1 … NAME-dN, or need estimate … accept ref=PREFIX for PREFIX-ITEM)
                test.drill:15:24: unknown need daily-d3; expected a need id (N-000001), a ref of the start state, or a ref an inject gives (need add … ref=daily-d3, need add … per_day= days=N ref=NAME for NAME-d1 … NAME-dN, or need estimate … accept ref=PREFIX for PREFIX-ITEM)
                test.drill:16:24: unknown need daily; expected a need id (N-000001), a ref of the start state, or a ref an inject gives (need add … ref=daily, need add … per_day= days=N ref=NAME for NAME-d1 … NAME-dN, or need estimate … accept ref=PREFIX for PREFIX-ITEM)
                """)
        }
    }

    /// Issue 15: the drill's sandbox engine reads injects' date-times as the live engine would, in
    /// the operation's zone, and its journal keeps the UTC instants.
    func testInjectsAreReadInTheOperationsTimeZone() throws {
        let body = """
            T+00:00 \(Self.incident)
            T+00:10 need add f supply water-5l 10 by=2026-07-15T18:00 ref=local
            T+00:10 need add f supply water-5l 10 by=2026-07-15 ref=day
            T+00:10 need add f supply water-5l 10 by=2026-07-15T18:00Z ref=utc
            """
        func deadlines(_ zone: OperationTimeZone) throws -> [String: String] {
            let drill = try DrillRun(scenario: try DrillWorld.scenario(body), state: try DrillWorld.state(), timeZone: zone)
            drill.runToEnd()
            return Dictionary(uniqueKeysWithValues: drill.state.needs.values.map { ($0.ref ?? "", $0.neededBy.iso8601) })
        }
        XCTAssertEqual(try deadlines(try OperationTimeZone.system(named: "Asia/Shanghai")),
                       ["local": "2026-07-15T10:00:00Z", "day": "2026-07-15T15:59:59Z", "utc": "2026-07-15T18:00:00Z"])
        XCTAssertEqual(try deadlines(.utc), ["local": "2026-07-15T18:00:00Z", "day": "2026-07-15T23:59:59Z", "utc": "2026-07-15T18:00:00Z"])
    }
}

