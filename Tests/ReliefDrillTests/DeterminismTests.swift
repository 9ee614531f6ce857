import Foundation
import XCTest
import ReliefCore
@testable import ReliefDrill

/// The same scenario, start state and seed give the same entries and the same report, byte for
/// byte, however the run is paced; another seed gives other no-shows.
final class DeterminismTests: XCTestCase {
    static let body = """
        officer plan every=30m apply_after=10m
        officer dispatch after=15m
        officer travel speed=40kmh
        officer noshow 30%
        officer release after=need
        T+00:00 \(DrillRunTests.incident)
        T+00:10 need add f volunteers registration 12 hours=6 priority=1 by=12h
        T+00:10 need add f supply water-5l 1500 priority=1 by=12h
        T+00:20 need add f supply water-5l 800 priority=2 by=24h
        T+05:00 stock receive ty-01 water-5l 600 lot=DR-1 supplier="Drill supplier"
        expect by T+06:00 need N-000001 met
        expect never stock jz-01 water-5l below 100
        """

    func run(seed: UInt64, pace minutes: Int? = nil) throws -> (entries: [Entry], json: Data, noShows: [String]) {
        let drill = try DrillRun(scenario: try DrillWorld.scenario(Self.body, end: "T+24:00", seed: seed),
                                 state: try DrillWorld.state(DrillWorld.volunteers(30)))
        if let minutes {
            // As an online host paces it: a little drill time at a time.
            while !drill.isFinished {
                drill.run(until: Timestamp(milliseconds: drill.now.milliseconds + Int64(minutes) * 60_000))
            }
        } else {
            drill.runToEnd()
        }
        let noShows = drill.entries.compactMap { entry -> String? in
            guard case .volunteerStatusSet(let id, .unavailable, _, _) = entry.event else { return nil }
            return id
        }
        return (drill.entries, try drill.report().json(), noShows)
    }

    func testTheSameScenarioStateAndSeedGiveTheSameEntriesAndReportByteForByte() throws {
        let first = try run(seed: 11), second = try run(seed: 11)
        XCTAssertEqual(first.entries, second.entries)
        XCTAssertEqual(first.json, second.json)
        XCTAssertFalse(first.noShows.isEmpty, "the scenario should have no-shows to compare")
        let paced = try run(seed: 11, pace: 7)
        XCTAssertEqual(paced.entries, first.entries)
        XCTAssertEqual(paced.json, first.json)
    }

    func testAnotherSeedGivesAnotherNoShowPattern() throws {
        let first = try run(seed: 11), other = try run(seed: 12)
        XCTAssertNotEqual(first.noShows, other.noShows)
        XCTAssertNotEqual(first.json, other.json)
    }
}
