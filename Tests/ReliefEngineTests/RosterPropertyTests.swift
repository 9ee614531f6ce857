import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// Random sequences of roster commands on a moving clock, with fixed seeds: after every step the
/// state is sound, nobody is in two places or two teams, and an expired certification never counts.
final class RosterPropertyTests: XCTestCase {
    static let seeds: [UInt64] = [3, 20_261_201, 0xC0FFEE]
    static let steps = 600

    func testRandomRosterCommandsKeepInvariants() throws {
        for seed in Self.seeds { try run(seed: seed) }
    }

    private func run(seed: UInt64) throws {
        let clock = ManualClock(december1)
        let engine = try Engine.rosterFixture(clock: clock)
        var rng = SplitMix64(seed: seed)
        let volunteers = (0..<8).map { "v\($0)" }
        let teams = ["t0", "t1", "t2"]
        for id in volunteers {
            engine.ok("volunteer add \(id) name=\(id) region=shanxi/taiyuan at=37.8,112.5 skills=first-aid:2,cpr:1,logistics:3 max_hours=10 min_rest=\(rng.int(0...10))h")
        }
        for team in teams { engine.ok("team add \(team) name=\(team) specialty=medical region=shanxi/taiyuan at=37.8,112.5") }
        let baseline = engine.state.lastSeq
        var accepted = 0, refused = 0
        for step in 0..<Self.steps {
            let volunteer = rng.pick(volunteers), team = rng.pick(teams)
            let line: String
            switch rng.int(0...9) {
            case 0, 1: line = "volunteer checkin \(volunteer)"
            case 2, 3: line = "volunteer checkout \(volunteer)"
            case 4: line = "volunteer status \(volunteer) " + rng.pick(["available", "standby", "off_duty", "unavailable reason=ill until=\(clock.now.day.adding(days: rng.int(1...3)).iso8601)", "unavailable"])
            case 5:
                let issued = clock.now.day.adding(days: rng.int(-400...5))
                let expires = issued.adding(days: rng.int(-5...400))
                line = "volunteer certify \(volunteer) \(rng.pick(["first-aid", "cpr"])) issued=\(issued.iso8601) expires=\(expires.iso8601) issuer=RC"
            case 6: line = "volunteer decertify \(volunteer) \(rng.pick(["first-aid", "cpr"]))"
            case 7: line = "team member add \(team) \(volunteer)"
            case 8: line = "team member remove \(team) \(volunteer)"
            default:
                clock.advance(hours: Int64(rng.int(1...30)))
                line = "volunteer find skill=first-aid"
            }
            let before = engine.state.snapshotText()
            let wasOnDuty = engine.state.volunteers[volunteer]!.onDutySince != nil
            let outcome = engine.handle(line: line, actor: "prop")
            let context = "seed \(seed) step \(step): \(line) → \(replyText(outcome.reply))"
            if case .error(let code, _) = outcome.reply {
                refused += 1
                XCTAssertEqual(engine.state.snapshotText(), before, "refused but changed: \(context)")
                XCTAssertNotEqual(code, .internal, context)
                if line.hasPrefix("volunteer checkin"), wasOnDuty { XCTAssertEqual(code, .conflict, context) }
            } else {
                accepted += 1
                if line.hasPrefix("volunteer checkin") { XCTAssertFalse(wasOnDuty, "checked in twice: \(context)") }
            }

            let state = engine.state
            XCTAssertEqual(state.invariantViolations(), [], context)
            var teamsOf: [String: Int] = [:]
            for team in state.teams.values { for member in team.members { teamsOf[member, default: 0] += 1 } }
            XCTAssertTrue(teamsOf.values.allSatisfy { $0 == 1 }, "a volunteer in two teams: \(context)")
            for volunteer in state.volunteers.values {
                // One active deployment at most: stretches never overlap each other or the open one.
                let stretches = volunteer.duty.map { ($0.start, $0.end) } + (volunteer.onDutySince.map { [($0, clock.now)] } ?? [])
                for (a, b) in zip(stretches, stretches.dropFirst()) { XCTAssertLessThanOrEqual(a.1, b.0, "overlapping duty: \(context)") }
            }

            // An expired (or not yet issued) certification never counts.
            let day = clock.now.day.adding(days: rng.int(-30...30))
            let found = Set(engine.rows("volunteer find skill=first-aid certified_at=\(day.iso8601) limit=100").map { $0["volunteer"]! })
            let expected = Set(state.volunteers.values.filter { $0.certifications["first-aid"]?.isValid(on: day) == true }.map(\.id))
            XCTAssertEqual(found, expected, "certified_at=\(day.iso8601): \(context)")
            let today = Set(engine.rows("volunteer find skill=first-aid limit=100").map { $0["volunteer"]! })
            XCTAssertEqual(today, Set(state.volunteers.values.filter { $0.certifications["first-aid"]?.isValid(on: clock.now.day) == true }.map(\.id)), context)
        }
        XCTAssertGreaterThan(accepted, Self.steps / 5, "seed \(seed): too few accepted commands to mean anything")
        XCTAssertGreaterThan(refused, Self.steps / 10, "seed \(seed): too few refused commands to mean anything")
        XCTAssertGreaterThan(engine.state.volunteers.values.reduce(0) { $0 + $1.duty.count }, 20, "seed \(seed): too few deployments")
        XCTAssertGreaterThan(engine.state.lastSeq - baseline, 100)
        XCTAssertEqual(try State(snapshotText: engine.state.snapshotText()).snapshotText(), engine.state.snapshotText(), "seed \(seed)")
    }
}
