import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// Random sequences of incident commands — needs, manual reservations, dispatch, delivery and
/// release, assignments and their lifecycle, cancellations, status changes — mixed with stock and
/// roster commands that compete for the same lots and people, on a moving clock, with fixed seeds.
/// After every step: the state is sound, nothing is reserved twice, no need is over-committed, no
/// volunteer is in two places; a refused request changed nothing; and at the end the journal
/// replayed on the starting snapshot gives the same state, as does a snapshot round trip.
final class IncidentPropertyTests: XCTestCase {
    static let seeds: [UInt64] = [4, 20_261_201, 0xFEED]
    static let steps = 500

    func testRandomIncidentCommandsKeepInvariantsAndReplay() throws {
        for seed in Self.seeds { try run(seed: seed) }
    }

    private func run(seed: UInt64) throws {
        let clock = ManualClock(december1)
        let engine = try Engine.incidentFixture(clock: clock)
        engine.planningStandards = Engine.sphereStandards
        engine.ok("stock receive jz-01 water-5l 600 lot=W3 expires=2027-03-01 supplier=Wahaha")
        engine.ok("stock receive jz-01 tent-12 30 lot=T2")
        engine.ok("stock receive dt-01 food-ration 2400 lot=F1")
        engine.ok(#"incident open slide title="Jinzhong landslide" kind=landslide at=37.69,112.75 region=shanxi/jinzhong severity=3 affected=300"#)
        let start = try State(snapshotText: engine.state.snapshotText())
        var journal: [Entry] = []
        var rng = SplitMix64(seed: seed)

        var opened = 0
        func incident() -> String {
            let live = engine.state.incidents.values.filter { $0.status != .closed }.map(\.id).sorted()
            if !live.isEmpty && rng.int(0...9) > 1 { return rng.pick(live) }
            return rng.pick(engine.state.incidents.keys.sorted() + ["nope"])
        }
        /// Mostly a reservation that could succeed: an open supply need and a lot of its item.
        func reservation() -> String {
            let needs = engine.state.openNeeds().filter(\.request.isSupply)
            guard !needs.isEmpty, rng.int(0...9) > 2 else {
                return "allocation reserve \(need()) \(rng.pick(warehouses)) \(rng.pick(lots)) \(quantity())"
            }
            let chosen = rng.pick(needs)
            guard case .supply(let sku, _) = chosen.request else { return "" }
            var holdings: [(String, String, Int64)] = []
            for (warehouse, skus) in engine.state.stock.sorted(by: { $0.key < $1.key }) {
                for (lot, holding) in (skus[sku]?.lots ?? [:]).sorted(by: { $0.key < $1.key }) { holdings.append((warehouse, lot, holding.available)) }
            }
            guard !holdings.isEmpty else { return "allocation reserve \(chosen.id) ty-01 W1 1" }
            let (warehouse, lot, available) = rng.pick(holdings)
            let missing = chosen.request.amount - engine.state.committedAmount(of: chosen.id)
            let most = max(1, min(available, missing))
            return "allocation reserve \(chosen.id) \(warehouse) \(lot) \(rng.int(0...5) == 0 ? most + 1 : Int64(rng.int(1...Int(min(most, 5000)))))"
        }
        let warehouses = ["ty-01", "jz-01", "dt-01"]
        let lots = ["W1", "W2", "W3", "T1", "T2", "F1", "ZZ"]
        let volunteers = ["v1", "v2", "v3", "m1", "m2"]
        func need() -> String {
            let known = engine.state.needs.keys.sorted()
            return !known.isEmpty && rng.int(0...9) > 0 ? rng.pick(known) : "N-000999"
        }
        func allocation() -> String {
            let known = engine.state.allocations.keys.sorted()
            return !known.isEmpty && rng.int(0...9) > 0 ? rng.pick(known) : "AL-000999"
        }
        func assignment() -> String {
            let known = engine.state.assignments.keys.sorted()
            return !known.isEmpty && rng.int(0...9) > 0 ? rng.pick(known) : "AS-000999"
        }
        func quantity() -> String { rng.pick(["1", "7", "40", "150", "600", "2000", "0", "-4", "x"]) }

        var accepted = 0, refused = 0
        var kinds: Set<String> = []
        for step in 0..<Self.steps {
            let line: String
            switch rng.int(0...24) {
            case 0, 1:
                line = "need add \(incident()) supply \(rng.pick(["water-5l", "tent-12", "food-ration", "caviar"])) \(quantity())"
                    + (rng.int(0...2) == 0 ? " priority=\(rng.int(0...5))" : "")
            case 2: line = "need add \(incident()) volunteers \(rng.pick(["first-aid", "logistics", "cpr"])) \(rng.int(0...3)) hours=\(rng.int(0...12))"
            case 3: line = "need add \(incident()) team medical \(rng.int(1...2)) hours=24"
            case 4: line = "need change \(need()) " + rng.pick(["qty=\(quantity())", "count=\(rng.int(0...4))", "priority=\(rng.int(1...5))", "by=\(rng.int(1...48))h"])
            case 5: line = "need cancel \(need())"
            case 6, 7, 8: line = reservation()
            case 9, 10: line = "allocation dispatch \(allocation())"
            case 11: line = "allocation deliver \(allocation())"
            case 12: line = "allocation release \(allocation())"
            case 13, 14: line = "assignment add \(need()) \(rng.pick(volunteers + ["med-1"]))"
            case 15: line = "assignment \(rng.pick(["enroute", "onscene", "onscene"])) \(assignment())"
            case 16: line = "assignment release \(assignment())"
            case 17: line = "incident status \(incident()) \(rng.pick(["active", "contained", "contained", "closed"]))"
            case 23:
                opened += 1
                line = "incident open i\(opened) title=\"Incident \(opened)\" kind=\(rng.pick(["flood", "fire", "snow"])) at=37.8,112.6 region=shanxi/taiyuan severity=\(rng.int(1...5)) affected=\(rng.int(0...2000))"
            case 24:
                line = "stock receive \(rng.pick(warehouses)) \(rng.pick(["water-5l", "tent-12", "food-ration"])) \(rng.int(1...3000)) lot=R\(rng.int(1...4)) supplier=S"
            case 18: line = "stock \(rng.pick(["issue", "transfer jz-01"])) \(rng.pick(warehouses)) \(rng.pick(["water-5l", "tent-12"])) \(quantity())"
            case 19:
                let volunteer = rng.pick(volunteers)
                line = rng.pick(["volunteer checkin \(volunteer)", "volunteer checkout \(volunteer)", "volunteer status \(volunteer) standby",
                                 "volunteer status \(volunteer) available", "team member remove med-1 \(volunteer)", "team member add med-1 \(volunteer)"])
            case 20: line = "need estimate \(incident()) days=\(rng.int(1...3))" + (rng.int(0...3) == 0 ? " accept" : "")
            case 21: line = "stock adjust \(rng.pick(warehouses)) \(rng.pick(lots)) delta=-\(rng.int(1...300)) reason=damaged"
            default:
                clock.advance(hours: Int64(rng.int(1...9)))
                line = rng.pick(["incident show flood", "need list open", "allocation list", "assignment list", "incident list"])
            }
            let before = engine.state.snapshotText()
            let outcome = engine.handle(line: line, actor: "prop")
            let context = "seed \(seed) step \(step): \(line) → \(replyText(outcome.reply))"
            if case .error(let code, _) = outcome.reply {
                refused += 1
                XCTAssertNotEqual(code, .internal, context)
                XCTAssertEqual(outcome.entries, [], context)
                XCTAssertEqual(engine.state.snapshotText(), before, "refused but changed: \(context)")
            } else {
                accepted += 1
                journal += outcome.entries
                for entry in outcome.entries { kinds.insert(entry.event.kind) }
            }
            let state = engine.state
            XCTAssertEqual(state.invariantViolations(), [], context)
            check(state, context)
        }

        XCTAssertGreaterThan(accepted, Self.steps / 5, "seed \(seed): too few accepted commands to mean anything")
        XCTAssertGreaterThan(refused, Self.steps / 10, "seed \(seed): too few refused commands to mean anything")
        for kind in ["need.added", "need.changed", "need.cancelled", "allocation.reserved", "allocation.dispatched", "allocation.delivered",
                     "allocation.released", "assignment.made", "assignment.status_set", "assignment.released", "incident.status_set"] {
            XCTAssertTrue(kinds.contains(kind), "seed \(seed): no \(kind) in \(Self.steps) steps")
        }

        // The starting snapshot plus the journal gives the same state; so does a snapshot round trip.
        var replayed = start
        try replayed.apply(journal)
        XCTAssertEqual(replayed.snapshotText(), engine.state.snapshotText(), "seed \(seed): replay differs")
        XCTAssertEqual(try State(snapshotText: engine.state.snapshotText()).snapshotText(), engine.state.snapshotText(), "seed \(seed)")
        XCTAssertEqual(try State(snapshotText: engine.state.snapshotText()).invariantViolations(), [], "seed \(seed)")
    }

    /// What must hold whatever happened: reserved stock is exactly what reserved allocations hold and
    /// never more than is on hand; no need has more committed than it asks; nobody is in two places.
    private func check(_ state: State, _ context: String) {
        var reservedByLot: [String: Int64] = [:]
        for allocation in state.allocations.values where allocation.status == .reserved {
            reservedByLot[allocation.warehouse + "/" + allocation.lot, default: 0] += allocation.quantity
        }
        for (warehouse, skus) in state.stock {
            for skuStock in skus.values {
                for (lot, holding) in skuStock.lots {
                    XCTAssertEqual(holding.reserved, reservedByLot[warehouse + "/" + lot] ?? 0, "\(warehouse)/\(lot) reserved twice or lost: \(context)")
                    XCTAssertLessThanOrEqual(holding.reserved, holding.onHand, context)
                }
            }
        }
        for need in state.needs.values where need.status == .open {
            XCTAssertLessThanOrEqual(state.committedAmount(of: need.id), need.request.amount, "\(need.id) over-committed: \(context)")
        }
        for need in state.needs.values where need.status == .cancelled {
            XCTAssertFalse(state.allocationList(need: need.id).contains { $0.status == .reserved || $0.status == .dispatched }, context)
            XCTAssertFalse(state.assignmentList(need: need.id).contains { $0.status.isActive }, context)
        }
        var active: [String: Int] = [:]
        for assignment in state.assignments.values where assignment.status.isActive { active[assignment.volunteer, default: 0] += 1 }
        XCTAssertTrue(active.values.allSatisfy { $0 == 1 }, "a volunteer with two active assignments: \(context)")
        for (volunteer, _) in active {
            XCTAssertEqual(state.volunteers[volunteer]?.status, .deployed, context)
        }
        for incident in state.incidents.values where incident.status == .closed {
            let blockers = state.closingBlockers(of: incident.id)
            XCTAssertTrue(blockers.allocations.isEmpty && blockers.assignments.isEmpty, "closed incident \(incident.id) has goods or people out: \(context)")
        }
    }
}
