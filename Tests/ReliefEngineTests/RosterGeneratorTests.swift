import Foundation
import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

final class RosterGeneratorTests: XCTestCase {
    /// The demo dataset, then the skill catalog: what the generated lines run after.
    static func demoEngine(clock: ManualClock) throws -> Engine {
        let engine = Engine(clock: clock.clock)
        try engine.run(file: "config/demo/shanxi.commands")
        try engine.run(file: "config/catalog/skills.commands")
        return engine
    }

    func testSameSeedSameRosterAndEveryLineSucceeds() throws {
        let today = december1.day
        let lines = RosterGenerator.lines(seed: 7, volunteers: 2000, organizations: 40, teams: 2, now: today)
        XCTAssertEqual(lines, RosterGenerator.lines(seed: 7, volunteers: 2000, organizations: 40, teams: 2, now: today))
        XCTAssertNotEqual(lines, RosterGenerator.lines(seed: 8, volunteers: 2000, organizations: 40, teams: 2, now: today))

        let clock = ManualClock(december1)
        let engine = try Self.demoEngine(clock: clock)
        var failures: [String] = []
        for line in lines {
            let outcome = engine.handle(line: line, actor: "generator")
            if outcome.reply.isError { failures.append("\(line) → \(replyText(outcome.reply))") }
        }
        XCTAssertEqual(failures, [])
        let state = engine.state
        XCTAssertEqual(state.volunteers.count, 2000)
        XCTAssertEqual(state.invariantViolations(), [])
        XCTAssertEqual(Set(state.volunteers.values.compactMap(\.profile.organization)).count, 40)
        XCTAssertEqual(Set(state.volunteers.values.map(\.profile.region)).count, 11, "every city has volunteers")
        XCTAssertTrue(state.volunteers.values.allSatisfy { (1...4).contains($0.profile.skills.count) || $0.team != nil })
        XCTAssertTrue(state.volunteers.values.allSatisfy { $0.profile.phone!.hasPrefix("100") && $0.profile.idNumber!.hasPrefix("100") })
        let certifications = state.volunteers.values.flatMap(\.certifications.values)
        XCTAssertGreaterThan(certifications.filter { $0.expires < today }.count, 20, "some expired")
        XCTAssertEqual(certifications.filter { $0.issued > today }.count, 0, "no certificate is issued in the future")
        XCTAssertGreaterThan(engine.rows("cert expiring within=30d").count, 20, "some expiring within 30 days")
        XCTAssertEqual(state.teams.count, 16, "2 teams for each of 8 specialties")
        XCTAssertTrue(state.teams.values.allSatisfy { $0.leader != nil && $0.members.count >= 4 })
        let readiness = Set(engine.rows("team readiness").map { $0["readiness"]! })
        XCTAssertTrue(readiness.contains("ready"), "\(readiness)")
        XCTAssertGreaterThan(state.volunteers.values.filter { $0.status == .unavailable }.count, 10)
        XCTAssertFalse(engine.rows("volunteer find skill=first-aid available near=37.87,112.55 radius=50km").isEmpty)
    }

    static func residentKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return -1 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    /// Measurement, not a test: run with ROSTER_BENCH=1 (best with -c release). Prints the cost of
    /// `volunteer find skill=… available near=… radius=50km` among 100,000 volunteers.
    func testMeasureFindAmongOneHundredThousand() throws {
        guard ProcessInfo.processInfo.environment["ROSTER_BENCH"] != nil else { throw XCTSkip("set ROSTER_BENCH=1 to measure") }
        let clock = ManualClock(december1)
        let engine = try Self.demoEngine(clock: clock)
        let lines = RosterGenerator.lines(seed: 1, volunteers: 100_000, organizations: 282, teams: 10, now: december1.day)
        let rssBefore = Self.residentKilobytes()
        let loadStart = DispatchTime.now().uptimeNanoseconds
        for line in lines { precondition(!engine.handle(line: line, actor: "bench").reply.isError, line) }
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
        let rssAfter = Self.residentKilobytes()
        let points = ["37.87,112.55", "40.08,113.30", "35.03,111.00", "36.09,111.52", "37.69,112.75", "38.42,112.73"]
        let skills = ["first-aid", "driver-b", "logistics", "cpr", "nurse", "radio-operator"]
        var samples: [Double] = []
        var rows = 0
        for round in 0..<600 {
            let line = "volunteer find skill=\(skills[round % skills.count]) available near=\(points[round % points.count]) radius=50km"
            let start = DispatchTime.now().uptimeNanoseconds
            let reply = engine.handle(line: line, actor: "bench").reply
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            if case .rows(let found) = reply { rows += found.count }
        }
        samples.sort()
        var core: [Double] = []
        for round in 0..<600 {
            let point = Coordinate(parsing: points[round % points.count])!
            let filter = VolunteerFilter(skill: skills[round % skills.count], available: true, near: point, radiusKilometres: 50, limit: 50)
            let start = DispatchTime.now().uptimeNanoseconds
            _ = engine.state.findVolunteers(filter, at: clock.now)
            core.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        core.sort()
        print("ROSTER-BENCH State.findVolunteers alone: p50 \(core[core.count / 2]) ms p90 \(core[core.count * 9 / 10]) ms")
        print("ROSTER-BENCH load \(lines.count) lines in \(loadSeconds) s; find p50 \(samples[samples.count / 2]) ms p90 \(samples[samples.count * 9 / 10]) ms max \(samples.last!) ms; avg rows \(rows / samples.count); RSS \(rssBefore) kB -> \(rssAfter) kB (state growth for the roster; the lines were generated before)")
    }
}
