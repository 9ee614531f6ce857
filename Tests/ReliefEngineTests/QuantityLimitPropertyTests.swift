import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// Random command sequences whose quantities sit at and around the documented maximum of 10^12
/// (docs/protocol.md, "Limits on quantities"): receipts, recounts and transfers that fill a
/// warehouse exactly or overshoot it by one, needs and reservations of the maximum, goods in
/// transit coming back to a full shelf, match, plan and plan apply on it all, and the reports.
/// After every step: nothing trapped, no reply is ERR INTERNAL, a refused request changed
/// nothing, the state is sound, and every quantity it holds is within the maximum. At the end the
/// journal, through its encoded form, replays to the same state, as does a snapshot.
final class QuantityLimitPropertyTests: XCTestCase {
    static let seeds: [UInt64] = [9, 20_261_204, 0xB16_B00B5]
    static let steps = 400
    /// The documented number, written out: a test reading `Quantity.maximum` could not notice it changing.
    static let maximum: Int64 = 1_000_000_000_000

    func testRandomCommandsAtTheLimitNeverTrapAndKeepEveryQuantityWithinIt() throws {
        for seed in Self.seeds { try run(seed: seed) }
    }

    private func run(seed: UInt64) throws {
        let maximum = Self.maximum
        let clock = ManualClock(december1)
        let engine = Engine(clock: clock.clock)
        engine.planningStandards = Engine.sphereStandards
        for line in Engine.fixtureLines { engine.ok(line) }
        // A billion people affected: the planning standards ask for more than the maximum of some items.
        engine.ok("incident open flood title=Flood kind=flood at=37.86,112.56 region=shanxi/taiyuan severity=4 affected=1000000000")
        engine.ok("incident open quake title=Quake kind=earthquake at=40.08,113.30 region=shanxi/datong severity=5")
        let start = try State(snapshotText: engine.state.snapshotText())
        var journal: [Entry] = []
        var rng = SplitMix64(seed: seed)

        let warehouses = ["ty-01", "jz-01", "dt-01"]
        let skus = ["water-5l", "tent-12", "quilt"]
        func room(_ warehouse: String, _ sku: String) -> Int64 {
            maximum - (engine.state.stock(warehouse: warehouse, sku: sku)?.onHand ?? 0)
        }
        /// A quantity for `warehouse`'s `sku`: mostly at or next to a boundary, sometimes small,
        /// sometimes not a quantity at all.
        func quantity(_ warehouse: String, _ sku: String) -> String {
            let left = room(warehouse, sku)
            switch rng.int(0...13) {
            case 0, 1: return String(maximum)
            case 2: return String(maximum - Int64(rng.int(1...1000)))
            case 3, 4: return String(max(1, left))
            case 5, 6: return String(left + 1)
            case 7: return String(max(1, left - Int64(rng.int(0...3))))
            case 8: return String(maximum / 2 + Int64(rng.int(0...1)))
            case 9, 10: return String(rng.int(1...1000))
            case 11: return String(maximum + 1)
            case 12: return "9223372036854775807"
            default: return rng.pick(["0", "-1", "99999999999999999999"])
            }
        }
        func lot(_ warehouse: String) -> String {
            let held = (engine.state.stock[warehouse] ?? [:]).values.flatMap(\.lots.keys).sorted()
            return !held.isEmpty && rng.int(0...9) > 1 ? rng.pick(held) : rng.pick(["A", "B", "C", "L-000001"])
        }
        func need() -> String {
            let known = engine.state.needs.keys.sorted()
            return !known.isEmpty && rng.int(0...9) > 0 ? rng.pick(known) : "N-000999"
        }
        func allocation() -> String {
            let known = engine.state.allocations.keys.sorted()
            return !known.isEmpty && rng.int(0...9) > 0 ? rng.pick(known) : "AL-000999"
        }
        /// Mostly a reservation that could succeed, of all that a need misses or a lot has.
        func reservation() -> String {
            let needs = engine.state.openNeeds().filter(\.request.isSupply)
            guard !needs.isEmpty else { return "allocation reserve N-000001 ty-01 A \(maximum)" }
            let chosen = rng.pick(needs)
            guard case .supply(let sku, _) = chosen.request else { return "ping" }
            var holdings: [(warehouse: String, lot: String, available: Int64)] = []
            for warehouse in warehouses {
                for (code, holding) in (engine.state.stock(warehouse: warehouse, sku: sku)?.lots ?? [:]).sorted(by: { $0.key < $1.key }) {
                    holdings.append((warehouse, code, holding.available))
                }
            }
            guard !holdings.isEmpty else { return "allocation reserve \(chosen.id) ty-01 A 1" }
            let target = rng.pick(holdings)
            let missing = chosen.request.amount - engine.state.committedAmount(of: chosen.id)
            let most = max(1, min(target.available, missing))
            return "allocation reserve \(chosen.id) \(target.warehouse) \(target.lot) \(rng.pick([most, most, most + 1, max(1, most / 2)]))"
        }

        var accepted = 0, limits = 0, matched = 0, fullHoldings = 0
        var kinds: Set<String> = []
        for step in 0..<Self.steps {
            let warehouse = rng.pick(warehouses), sku = rng.pick(skus)
            var line: String
            switch rng.int(0...21) {
            case 0, 1, 2:
                line = "stock receive \(warehouse) \(sku) \(quantity(warehouse, sku))"
                if rng.int(0...2) > 0 { line += " lot=\(rng.pick(["A", "B", "C"]))-\(sku)" }
            case 3:
                line = "stock issue \(warehouse) \(sku) \(rng.pick([String(maximum), String(maximum / 2), String(rng.int(1...1000))]))"
            case 4, 5:
                let to = rng.pick(warehouses.filter { $0 != warehouse })
                let available = engine.state.stock(warehouse: warehouse, sku: sku)?.available ?? 0
                let fits = max(1, min(available, room(to, sku)))
                line = "stock transfer \(warehouse) \(to) \(sku) \(rng.pick([quantity(to, sku), String(fits), String(fits), String(room(to, sku) + 1)]))"
            case 6, 7:
                let code = lot(warehouse)
                let sku = engine.state.lots[code]?.sku ?? sku
                switch rng.int(0...3) {
                case 0: line = "stock adjust \(warehouse) \(code) delta=+\(quantity(warehouse, sku)) reason=recount"
                case 1: line = "stock adjust \(warehouse) \(code) delta=-\(rng.pick([String(maximum), String(rng.int(1...1000))])) reason=damaged"
                case 2:
                    let held = engine.state.holding(warehouse: warehouse, lot: code)?.onHand ?? 0
                    line = "stock adjust \(warehouse) \(code) count=\(rng.pick([held + room(warehouse, sku), held + room(warehouse, sku) + 1, maximum])) reason=recount"
                default: line = "stock adjust \(warehouse) \(code) count=\(quantity(warehouse, sku)) reason=recount"
                }
            case 8, 9:
                line = "need add \(rng.pick(["flood", "quake"])) supply \(sku) \(rng.pick([String(maximum), String(maximum - 1), String(maximum + 1), String(rng.int(1...5000))])) priority=\(rng.int(1...3))"
            case 10: line = "need change \(need()) qty=\(rng.pick([String(maximum), String(maximum + 1), String(rng.int(1...100))]))"
            case 11, 12, 13: line = reservation()
            case 14: line = "allocation dispatch \(allocation())"
            case 15: line = "allocation release \(allocation())"
            case 16: line = "allocation deliver \(allocation())"
            case 17: line = "match \(rng.pick(["flood", "quake"]))"
            case 18: line = "plan"
            case 19: line = "plan apply"
            case 20: line = "stock min \(warehouse) \(sku) \(rng.pick([String(maximum), String(maximum + 1), "0"]))"
            default:
                clock.advance(hours: 1)
                line = rng.pick(["stock query", "stock lots", "item show \(sku)", "incident show flood", "need list", "plan show",
                                 "need estimate flood days=3", "need estimate flood days=1 accept", "stock history warehouse=\(warehouse) limit=5"])
            }

            let before = engine.state.snapshotText()
            let outcome = engine.handle(line: line, actor: "limits")
            let context = "seed \(seed) step \(step): \(line) → \(replyText(outcome.reply))"
            if case .error(let code, let message) = outcome.reply {
                XCTAssertNotEqual(code, .internal, context)
                XCTAssertEqual(outcome.entries, [], context)
                XCTAssertEqual(engine.state.snapshotText(), before, "refused but changed: \(context)")
                if code == .limit {
                    limits += 1
                    // Stock refusals name the maximum; the matcher's say what is too large.
                    XCTAssertTrue(message.contains("at most 1000000000000") || message.contains("too large"), context)
                }
            } else {
                accepted += 1
                journal += outcome.entries
                for entry in outcome.entries { kinds.insert(entry.event.kind) }
                if line.hasPrefix("match") || line == "plan" { matched += 1 }
            }

            let state = engine.state
            XCTAssertEqual(state.invariantViolations(), [], context)
            for (warehouse, items) in state.stock {
                for (sku, stock) in items {
                    XCTAssertLessThanOrEqual(stock.onHand, maximum, "\(warehouse)/\(sku): \(context)")
                    for (code, holding) in stock.lots {
                        XCTAssertTrue(holding.reserved >= 0 && holding.reserved <= holding.onHand && holding.onHand <= maximum,
                                      "\(warehouse)/\(code) \(holding): \(context)")
                        if holding.onHand == maximum { fullHoldings += 1 }
                    }
                }
            }
            for need in state.needs.values {
                XCTAssertTrue((1...maximum).contains(need.request.amount), "\(need.id): \(context)")
                XCTAssertLessThanOrEqual(state.committedAmount(of: need.id), need.request.amount, "\(need.id): \(context)")
            }
            for plan in state.plans.values {
                for case .supply(_, _, _, let quantity, let cost) in plan.lines {
                    XCTAssertTrue((1...maximum).contains(quantity) && cost >= 0, "\(plan.id): \(context)")
                }
                XCTAssertGreaterThanOrEqual(plan.totalCost, 0, "\(plan.id): \(context)")
            }
            for level in state.minimums.values.flatMap(\.values) { XCTAssertLessThanOrEqual(level, maximum, context) }
        }

        XCTAssertGreaterThan(accepted, Self.steps / 4, "seed \(seed): too few accepted commands to mean anything")
        XCTAssertGreaterThan(limits, Self.steps / 20, "seed \(seed): too few ERR LIMIT to have tested the limit")
        XCTAssertGreaterThan(fullHoldings, 0, "seed \(seed): no holding ever reached the maximum")
        XCTAssertGreaterThan(matched, 0, "seed \(seed): match and plan never proposed anything")
        for kind in ["lot.received", "lot.transferred", "lot.adjusted", "need.added", "allocation.reserved", "allocation.dispatched",
                     "allocation.released", "plan.proposed", "plan.applied"] {
            XCTAssertTrue(kinds.contains(kind), "seed \(seed): no \(kind) in \(Self.steps) steps")
        }

        // The journal in its encoded form, on the starting snapshot, gives the same state.
        var replayed = start
        for entry in journal {
            let event = try Event(kind: entry.event.kind, body: FlatJSON.decode(entry.event.body.encoded()))
            try replayed.apply(Entry(seq: entry.seq, time: entry.time, actor: entry.actor, event: event))
        }
        XCTAssertEqual(replayed.snapshotText(), engine.state.snapshotText(), "seed \(seed): replay differs")
        XCTAssertEqual(try State(snapshotText: engine.state.snapshotText()).snapshotText(), engine.state.snapshotText(), "seed \(seed)")
    }
}
