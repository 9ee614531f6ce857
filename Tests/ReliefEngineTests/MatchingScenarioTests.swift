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
        XCTAssertEqual(parallel.plan, serial.plan)
        XCTAssertEqual(parallel.flowCost, serial.flowCost)
    }
}
