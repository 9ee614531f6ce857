import XCTest
import ReliefCore
import ReliefMatching
@testable import ReliefEngine

/// The generated benchmark operation is sound, the size asked for, and the same for the same seed.
final class MatchingScenarioTests: XCTestCase {
    func testTinyScenarioIsSoundSizedAndReproducible() {
        let size = MatchingScenario.Size.tiny
        let (state, incidents) = MatchingScenario.build(size, seed: 7)
        XCTAssertEqual(state.invariantViolations(), [])
        XCTAssertEqual(state.warehouses.count, size.warehouses)
        XCTAssertEqual(state.volunteers.count, size.volunteers)
        XCTAssertEqual(state.teams.count, size.volunteers >= size.teams * 8 ? size.teams : size.volunteers / 8)
        XCTAssertEqual(incidents.count, size.incidents)
        XCTAssertEqual(state.needs.values.filter { $0.status == .open }.count, size.needs)
        XCTAssertTrue(state.teams.values.contains { state.teamReadiness($0, at: MatchingScenario.now).state == .ready },
                      "some teams are ready")
        XCTAssertEqual(MatchingScenario.build(size, seed: 7).state.snapshotText(), state.snapshotText())
        XCTAssertNotEqual(MatchingScenario.build(size, seed: 8).state.snapshotText(), state.snapshotText())
    }

    /// The matcher's quick answers (no words) agree with the full ones, for every volunteer and
    /// team of a generated operation, now and later (rest and duty-hour windows moved on).
    func testQuickAvailabilityAndReadinessAgreeWithTheFullAnswers() {
        var size = MatchingScenario.Size.tiny
        size.volunteers = 2_000
        let (state, _) = MatchingScenario.build(size, seed: 3)
        var seen: [Bool: Int] = [:], teamsSeen: [Bool: Int] = [:]
        for hours in [0, 5, 13, 30] {
            let now = Timestamp(milliseconds: MatchingScenario.now.milliseconds + Int64(hours) * 3_600_000)
            for volunteer in state.volunteers.values {
                let full = state.availability(of: volunteer, at: now).available
                XCTAssertEqual(state.isAvailable(volunteer, at: now), full, "\(volunteer.id) at +\(hours) h")
                seen[full, default: 0] += 1
            }
            for team in state.teams.values {
                let full = state.teamReadiness(team, at: now).state == .ready
                let quick = state.teamIsReady(team, at: now) { $0 / 60_000 }
                XCTAssertEqual(quick.ready, full, "\(team.id) at +\(hours) h")
                if quick.ready {
                    let most = team.members.map { state.dutyMillisecondsInLastDay(of: state.volunteers[$0]!, at: now) / 60_000 }.max() ?? 0
                    XCTAssertEqual(quick.fatigue, most, "\(team.id): the most minutes a member worked")
                }
                teamsSeen[full, default: 0] += 1
            }
        }
        XCTAssertGreaterThan(seen[true] ?? 0, 0)
        XCTAssertGreaterThan(seen[false] ?? 0, 0, "some volunteers are not available")
        XCTAssertGreaterThan(teamsSeen[true] ?? 0, 0)
        XCTAssertGreaterThan(teamsSeen[false] ?? 0, 0, "some teams are not ready")
    }

    /// A plan's volunteer searches run on several threads from `parallelSearchesFrom` needs on: the
    /// plan (lines, unmet needs and why, cost) is the same as one searched on the caller's thread.
    func testAPlanIsTheSameWithItsSearchesOnSeveralThreads() throws {
        var size = MatchingScenario.Size.tiny
        size.needs = 120
        size.volunteers = 2_000
        let (state, _) = MatchingScenario.build(size, seed: 3)
        let needs = Matching.openNeeds(in: state)
        let policy = Engine(state: state, clock: .fixed(MatchingScenario.now)).matchingPolicy
        func plan(_ from: Int) throws -> MatchingResult {
            try Matching.solve(state: state, now: MatchingScenario.now, policy: policy, needs: needs,
                               options: MatchingOptions(parallelSearchesFrom: from))
        }
        let serial = try plan(.max), parallel = try plan(1)
        XCTAssertGreaterThan(serial.plan.lines.count, 0)
        // Unmet needs of every kind, so their explanations ran on several threads too.
        let kinds = Set(serial.plan.unmet.compactMap { state.needs[$0.need].map { "\($0.request)".prefix(4) } })
        XCTAssertGreaterThanOrEqual(kinds.count, 2, "unmet needs of several kinds: \(kinds)")
        XCTAssertEqual(parallel.plan, serial.plan)
        XCTAssertEqual(parallel.flowCost, serial.flowCost)
    }
}
