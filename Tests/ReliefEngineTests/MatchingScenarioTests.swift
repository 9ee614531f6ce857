import XCTest
import ReliefCore
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
}
