import Foundation
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefDrill

/// The three scenarios in config/drills, on the Shanxi demo data with its 28,500 generated
/// volunteers: each passes its own expectations, and each exercises what a drill is for —
/// scarcity, priorities, pooling across regions and rest limits.
final class ShippedScenarioTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    private var directory = ""

    // Scenarios name their dataset relative to the repository, as `reliefd drill run` is run there.
    override func setUp() {
        directory = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(Self.repository)
    }

    override func tearDown() {
        FileManager.default.changeCurrentDirectoryPath(directory)
    }

    func play(_ name: String) throws -> DrillRun {
        let file = "config/drills/\(name).drill"
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: file), "cannot read \(file)")
        let scenario = try ScenarioParser.parse(bytes: Array(bytes), file: file)
        let start = try XCTUnwrap(scenario.start, "the shipped scenarios start at a set time")
        let state = try DrillStart.state(for: scenario, at: start.instant, sources: DrillStart.Sources())
        let standards = try PlanningStandards(text: try String(contentsOfFile: "config/planning/sphere.standards", encoding: .utf8),
                                              name: "sphere.standards")
        let drill = try DrillRun(scenario: scenario, state: state, planningStandards: standards)
        drill.runToEnd()
        return drill
    }

    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let drill = try play(name)
        let report = drill.report()
        for expectation in report.expectations where !expectation.held {
            XCTFail("\(name) line \(expectation.line): \(expectation.text) — \(expectation.detail)", file: file, line: line)
        }
        XCTAssertGreaterThanOrEqual(report.expectations.count, 8, "a scenario checks what an organizer would", file: file, line: line)
        XCTAssertEqual(report.summary.expectationsFailed, 0, file: file, line: line)
        // Scarcity: some need was short because the stock or the people were not there.
        XCTAssertTrue(report.needs.contains { need in need.reasons.contains { $0.reason.hasPrefix("only ") || $0.reason.contains("no ready") } },
                      "\(name) has no scarcity", file: file, line: line)
        XCTAssertGreaterThan(Set(report.needs.map(\.priority)).count, 1, "\(name) has one priority only", file: file, line: line)
        XCTAssertTrue(report.flows.contains(where: \.crossRegion), "\(name) pools nothing across regions", file: file, line: line)
        XCTAssertGreaterThan(report.people.restLimitRefusals, 0, "\(name): no rest limit bit", file: file, line: line)
        XCTAssertTrue(drill.entries.contains { entry in
            if case .assignmentReleased(_, let reason) = entry.event { return reason?.contains("duty-hour limit") == true }
            return false
        }, "\(name): nobody reached a duty-hour limit", file: file, line: line)
        XCTAssertTrue(report.incidents.allSatisfy { drill.state.incidents[$0.id]?.exercise == true }, file: file, line: line)
    }

    func testFenRiverFlood() throws { try check("fen-river-flood") }
    func testYunchengEarthquake() throws { try check("yuncheng-earthquake") }
    func testMountainFire() throws { try check("mountain-fire") }
}
