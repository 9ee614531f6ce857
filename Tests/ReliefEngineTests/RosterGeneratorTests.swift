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
}
