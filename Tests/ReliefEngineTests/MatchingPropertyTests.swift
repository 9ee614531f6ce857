import XCTest
import ReliefCore
import ReliefMatching
import ReliefProtocol
@testable import ReliefEngine

/// Random sequences of match, plan and plan apply interleaved with the changes that make plans
/// stale (stock issued, volunteers checking in, lines applied from another plan): nothing is
/// reserved or assigned twice, every refused apply changes nothing, the state stays sound, and the
/// journal replayed (through the event codec, from a snapshot of the start) gives the same state —
/// plans are events, so replay never runs the solver.
final class MatchingPropertyTests: XCTestCase {
    func testRandomMatchingSequencesKeepInvariantsAndReplay() throws {
        for seed in UInt64(1)...5 {
            let (start, incidents) = MatchingScenario.build(.tiny, seed: seed)
            let engine = Engine(state: start, clock: .fixed(MatchingScenario.now))
            var random = SplitMix64(seed: seed &* 7919)
            var journal: [Entry] = []
            var applied = 0, refused = 0
            for step in 0..<40 {
                let line: String
                switch random.int(0...9) {
                case 0, 1: line = "match \(incidents[random.int(0...(incidents.count - 1))])"
                case 2: line = "plan"
                case 3, 4, 5:
                    let plans = engine.state.plans.keys.sorted()
                    if let plan = plans.randomElement(using: &random), random.chance(0.4) {
                        let count = engine.state.plans[plan]!.lines.count
                        line = count > 0 ? "plan apply \(plan) lines=\(random.int(1...count))" : "plan apply \(plan)"
                    } else {
                        line = "plan apply"
                    }
                case 6, 7:
                    let holdings = engine.state.stock.keys.sorted().flatMap { warehouse in
                        engine.state.stock[warehouse]!.keys.sorted().flatMap { sku in
                            engine.state.stock[warehouse]![sku]!.lots.keys.sorted().compactMap { code -> String? in
                                let available = engine.state.stock[warehouse]![sku]!.lots[code]!.available
                                return available > 0 ? "stock issue \(warehouse) \(sku) \(random.int(1...Int(available))) lot=\(code)" : nil
                            }
                        }
                    }
                    line = holdings.isEmpty ? "ping" : holdings[random.int(0...(holdings.count - 1))]
                default:
                    let assigned = Set(engine.state.activeAssignment.keys)
                    let free = engine.state.volunteers.keys.sorted().filter { !assigned.contains($0) && engine.state.volunteers[$0]!.onDutySince == nil }
                    line = free.isEmpty ? "ping" : "volunteer checkin \(free[random.int(0...(free.count - 1))])"
                }
                let before = engine.state.snapshotText()
                let outcome = engine.handle(line: line, actor: "officer")
                if case .error(let code, let message) = outcome.reply {
                    XCTAssertEqual(outcome.entries, [], "seed \(seed) step \(step): \(line)")
                    XCTAssertEqual(engine.state.snapshotText(), before, "seed \(seed) step \(step): a refusal changed the state")
                    XCTAssertTrue([.conflict, .notFound].contains(code), "seed \(seed) step \(step): \(line) → \(code) \(message)")
                    refused += 1
                } else if line.hasPrefix("plan apply") {
                    applied += 1
                }
                journal += outcome.entries
                XCTAssertEqual(engine.state.invariantViolations(), [], "seed \(seed) step \(step): \(line)")
                // Nobody in two places: one active assignment per volunteer, on deployed volunteers only.
                var seen = Set<String>()
                for assignment in engine.state.assignments.values where assignment.status.isActive {
                    XCTAssertTrue(seen.insert(assignment.volunteer).inserted, "seed \(seed): \(assignment.volunteer) assigned twice")
                }
            }
            XCTAssertGreaterThan(applied, 0, "seed \(seed): some apply succeeded")

            // Replay: the start as a snapshot, then every entry through the codec.
            var replayed = try State(snapshotText: start.snapshotText())
            for entry in journal {
                let decoded = try Event(kind: entry.event.kind, body: entry.event.body)
                try replayed.apply(Entry(seq: entry.seq, time: entry.time, actor: entry.actor, event: decoded))
            }
            XCTAssertEqual(replayed.snapshotText(), engine.state.snapshotText(), "seed \(seed): replay differs")
            _ = refused
        }
    }

    /// `plan` gives the same plan for the same state whether solved inline or off the loop, and the
    /// same state gives the same plan every time (the solver is deterministic).
    func testPlanIsDeterministicInlineAndOffTheLoop() throws {
        let (start, _) = MatchingScenario.build(.tiny, seed: 3)
        let inline = Engine(state: start, clock: .fixed(MatchingScenario.now))
        let inlineRows = inline.rows("plan")
        let offloaded = Engine(state: start, clock: .fixed(MatchingScenario.now))
        offloaded.matchingPolicy.offloadAboveNeeds = 0
        let deferred = try XCTUnwrap(offloaded.offload(try RequestParser.parse("plan").get(), as: .system("officer")))
        guard case .outcome(let outcome) = offloaded.complete(deferred, result: deferred.compute()), let rows = outcome.reply.rowList else {
            return XCTFail("expected rows")
        }
        XCTAssertEqual(rows, inlineRows)
        XCTAssertGreaterThan(rows.count, 1)
        XCTAssertEqual(offloaded.state.snapshotText(), inline.state.snapshotText())
    }
}
