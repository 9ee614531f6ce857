import Foundation
import XCTest
@testable import ReliefDrill

final class DrillReportTests: XCTestCase {
    func testAReportRoundTripsThroughJSONAndSaysItIsAnExercise() throws {
        let report = DrillReport(
            scenario: .init(name: "Fen River flood", file: "config/drills/fen-river-flood.drill", from: "dataset config/demo/shanxi.commands",
                            seed: 2026, start: "2026-07-15T06:00:00+08:00", endMinute: 4320),
            summary: .init(injects: 3, plansProposed: 2, plansApplied: 2, expectationsHeld: 1, expectationsFailed: 0, needsMet: 1, needsUnmet: 0),
            expectations: [.init(line: 12, text: "expect by T+12:00 need fen-rescue met", held: true, detail: "met at T+01:40", minute: 100)],
            needs: [], timeline: [.init(minute: 0, openNeeds: 0, unmetNeeds: 0)],
            stock: .init(warehouses: [], series: []), incidents: [], flows: [],
            people: .init(volunteersDeployed: 0, teamsDeployed: 0, hours: 0, restLimitRefusals: 0, noShows: 0), plans: [])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(report)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"exercise\":true"))
        XCTAssertEqual(try JSONDecoder().decode(DrillReport.self, from: data), report)
    }
}
