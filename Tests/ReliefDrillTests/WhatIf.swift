import Foundation
import XCTest
import ReliefCore
@testable import ReliefDrill

/// The what-if of LiveIncident: the flood replayed as it was (A), and replayed with a reserve
/// depot of 5,000 bottles 20 km from it from the start (B). The water is what was scarce.
enum WhatIf {
    static let asItWas = """
        scenario "Flood north of Taiyuan, as it was"
        replay incident f offset=+08:00
        seed 4
        officer plan every=30m apply_after=10m
        officer dispatch after=15m
        expect by T+03:00 need f-water delivered
        expect at T+08:00 incident f unmet = 0
        expect never stock jz-01 water-5l below 1
        """

    static let withDepot = """
        scenario "Flood north of Taiyuan, with a reserve depot at Yangqu"
        replay incident f offset=+08:00
        seed 4
        officer plan every=30m apply_after=10m
        officer dispatch after=15m
        T+00:00 warehouse add yq-02 name="Yangqu reserve depot" region=shanxi/taiyuan at=38.05,112.60
        T+00:00 stock receive yq-02 water-5l 5000 lot=WHATIF-1 expires=2027-12-31 supplier="Provincial reserve"
        expect by T+03:00 need f-water delivered
        expect at T+08:00 incident f unmet = 0
        expect never stock jz-01 water-5l below 1
        """

    /// The two drills played to their ends.
    static func play(_ live: LiveIncident) throws -> (a: DrillRun, b: DrillRun) {
        let history = try live.history()
        func run(_ text: String, _ file: String) throws -> DrillRun {
            let scenario = try IncidentReplay.resolve(try ScenarioParser.parse(text, file: file), history: history)
            let drill = try DrillRun(scenario: scenario, state: history.before)
            drill.runToEnd()
            return drill
        }
        return (try run(asItWas, "flood-as-it-was.drill"), try run(withDepot, "flood-with-depot.drill"))
    }

    static func comparison(_ live: LiveIncident? = nil, pages: (String, String)? = nil) throws -> DrillComparison {
        let (a, b) = try play(live ?? LiveIncident())
        return DrillComparison(a: a.report(), b: b.report(), reportPaths: pages)
    }
}
