import Foundation
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefDrill

/// Small hand-made start states for runner tests: a province with two cities, a warehouse in each,
/// water, and whatever volunteers a test adds, all as request lines run at the drill's start.
enum DrillWorld {
    static let start = "2026-07-15T06:00Z"
    static var startTime: Timestamp { DrillTime.Start(iso8601: start)!.instant }

    static let base = """
        region add shanxi name=Shanxi level=province
        region add shanxi/taiyuan name=Taiyuan level=city
        region add shanxi/jinzhong name=Jinzhong level=city
        warehouse add ty-01 name=Taiyuan region=shanxi/taiyuan at=37.87,112.55
        warehouse add jz-01 name=Jinzhong region=shanxi/jinzhong at=37.69,112.75
        item add water-5l name=Water category=water unit=bottle
        stock receive ty-01 water-5l 1000 lot=A expires=2027-06-30 supplier=S
        stock receive jz-01 water-5l 1000 lot=B expires=2027-06-30 supplier=S
        skill add registration name=Registration certificate=no
        skill add first-aid name="First aid" certificate=yes
        specialty add water-rescue name="Water rescue" skills=first-aid
        """

    /// The base world and `extra` lines, run with the clock at the drill's start.
    static func state(_ extra: String = "", at time: Timestamp = startTime) throws -> State {
        let lines = (base + "\n" + extra).split(separator: "\n").map(String.init)
        do {
            return try DrillStart.run(lines: lines, on: State(), at: time)
        } catch {
            throw NSError(domain: "DrillWorld", code: error.line, userInfo: [NSLocalizedDescriptionKey: "line \(error.line): \(error.message)"])
        }
    }

    /// `count` volunteers `v-1`… listing `skill`, based at `at` (a little apart, nearest first).
    static func volunteers(_ count: Int, skill: String = "registration", at latitude: Double = 37.87, rest: Int = 8, maxHours: Int = 12,
                           certified: String? = nil) -> String {
        (1...count).map { index in
            var line = "volunteer add v-\(index) name=V\(index) region=shanxi/taiyuan at=\(latitude + Double(index) * 0.001),112.55 skills=\(skill):3 max_hours=\(maxHours) min_rest=\(rest)h"
            if let certified { line += "\nvolunteer certify v-\(index) \(skill) issued=2025-01-01 expires=\(certified) issuer=RC" }
            return line
        }.joined(separator: "\n")
    }

    static func scenario(_ body: String, end: String = "T+12:00", seed: UInt64 = 1) throws -> Scenario {
        try ScenarioParser.parse("""
            scenario "Test"
            start \(start)
            from empty
            seed \(seed)
            end \(end)
            \(body)
            """, file: "test.drill")
    }

    static func run(_ body: String, world: String = "", end: String = "T+12:00", seed: UInt64 = 1) throws -> DrillRun {
        let drill = try DrillRun(scenario: try scenario(body, end: end, seed: seed), state: try state(world))
        drill.runToEnd()
        return drill
    }

    /// Drill minute of each entry of `kind` (optionally only those whose event matches).
    static func minutes(_ drill: DrillRun, _ kind: String, where matches: (Event) -> Bool = { _ in true }) -> [Int] {
        drill.entries.filter { $0.event.kind == kind && matches($0.event) }.map { drill.clockStart.minute(of: $0.time) }
    }
}
