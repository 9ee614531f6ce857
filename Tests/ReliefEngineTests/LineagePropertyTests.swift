import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// Random sequences of donations, receipts (given and bought), transfers, issues, adjustments,
/// reservations, dispatches, deliveries and releases, with fixed seeds. The test keeps its own
/// account of what each acknowledged request received, issued and adjusted per lot, and after every
/// step checks, per lot and per donation:
///
///     received + adjusted = in stock + in transit + delivered + issued
///
/// with in stock read from every warehouse's holdings and in transit / delivered from every
/// allocation (not from the lineage code), and that the lineage reports the same figures. At the
/// end the journal replayed on the starting snapshot gives the same lineage for every lot.
final class LineagePropertyTests: XCTestCase {
    static let seeds: [UInt64] = [7, 20_261_205, 0xD0_7A7E]
    static let steps = 400

    func testEveryUnitOfEveryDonationIsAccountedFor() throws {
        for seed in Self.seeds { try run(seed: seed) }
    }

    private struct Account { var received: Int64 = 0; var issued: Int64 = 0; var adjusted: Int64 = 0 }

    private func run(seed: UInt64) throws {
        let clock = ManualClock(december1)
        let engine = try Engine.incidentFixture(clock: clock)
        let start = try State(snapshotText: engine.state.snapshotText())
        var journal: [Entry] = []
        var rng = SplitMix64(seed: seed)
        func pick<T>(_ items: [T]) -> T { items[rng.int(0...(items.count - 1))] }
        let warehouses = ["ty-01", "jz-01", "dt-01"]
        let skus = ["water-5l", "tent-12", "quilt"]
        // What the fixture received (Engine.incidentFixture).
        var accounts: [String: Account] = ["W1": Account(received: 4000), "W2": Account(received: 900), "T1": Account(received: 50)]
        XCTAssertEqual(Set(engine.state.lots.keys), Set(accounts.keys))
        var donated: [String: String] = [:] // lot → receipt
        var lotCounter = 0

        for step in 0..<Self.steps {
            clock.advance(hours: Int64(rng.int(0...1)))
            let receipts = engine.state.donations.keys.sorted()
            let lots = engine.state.lots.keys.sorted()
            let line: String
            var effect: (() -> Void)?
            switch rng.int(0...13) {
            case 0:
                line = "donation add donor=d\(rng.int(0...5)) anonymous=\(pick(["yes", "no"])) money=\(rng.int(0...1000)) goods=\(pick(skus)):\(rng.int(1...500))"
            case 1, 2:
                guard !receipts.isEmpty else { continue }
                let known = donated.filter { engine.state.lots[$0.key] != nil }.keys.sorted()
                let lot: String
                if !known.isEmpty && rng.int(0...2) == 0 { lot = pick(known) } else { lotCounter += 1; lot = "G\(lotCounter)" }
                let receipt = donated[lot] ?? pick(receipts)
                let sku = engine.state.lots[lot]?.sku ?? pick(skus)
                let quantity = rng.int(1...400)
                line = "stock receive \(pick(warehouses)) \(sku) \(quantity) lot=\(lot) donation=\(receipt)"
                effect = { accounts[lot, default: Account()].received += Int64(quantity); donated[lot] = receipt }
            case 3:
                lotCounter += 1
                let lot = "P\(lotCounter)", quantity = rng.int(1...300)
                line = "stock receive \(pick(warehouses)) \(pick(skus)) \(quantity) lot=\(lot) supplier=Works"
                effect = { accounts[lot, default: Account()].received += Int64(quantity) }
            case 4:
                guard !receipts.isEmpty else { continue }
                let unbought = lots.filter { engine.state.lots[$0]?.source == .purchase && engine.state.lotFunding[$0] == nil }
                if !unbought.isEmpty && rng.int(0...1) == 0 {
                    line = "donation spend \(pick(receipts)) \(rng.int(1...50)) purpose=goods lots=\(pick(unbought))"
                } else {
                    line = "donation money \(pick(receipts)) \(rng.int(1...500))"
                }
            case 5, 6:
                guard !lots.isEmpty else { continue }
                let lot = pick(lots), quantity = rng.int(1...200)
                line = "stock transfer \(pick(warehouses)) \(pick(warehouses)) \(engine.state.lots[lot]!.sku) \(quantity) lot=\(lot)"
            case 7:
                guard !lots.isEmpty else { continue }
                let lot = pick(lots), quantity = rng.int(1...100), warehouse = pick(warehouses)
                line = "stock issue \(warehouse) \(engine.state.lots[lot]!.sku) \(quantity) lot=\(lot) to=shelter"
                effect = { accounts[lot, default: Account()].issued += Int64(quantity) }
            case 8:
                guard !lots.isEmpty else { continue }
                let lot = pick(lots), delta = rng.int(-50...20)
                line = "stock adjust \(pick(warehouses)) \(lot) delta=\(delta) reason=\(delta < 0 ? "damaged" : "recount")"
                effect = { accounts[lot, default: Account()].adjusted += Int64(delta) }
            case 9, 13:
                line = "need add flood supply \(pick(skus)) \(rng.int(1...800))"
            case 10:
                // Mostly a reservation that can succeed: an open need and a holding of its item.
                let needs = engine.state.openNeeds().filter(\.request.isSupply)
                guard !needs.isEmpty, !lots.isEmpty else { continue }
                let need = pick(needs)
                guard case .supply(let sku, _) = need.request else { continue }
                var holdings: [(String, String, Int64)] = []
                for warehouse in warehouses {
                    for (lot, holding) in (engine.state.stock[warehouse]?[sku]?.lots ?? [:]).sorted(by: { $0.key < $1.key }) where holding.available > 0 {
                        holdings.append((warehouse, lot, holding.available))
                    }
                }
                let missing = need.request.amount - engine.state.committedAmount(of: need.id)
                guard !holdings.isEmpty, missing > 0, rng.int(0...4) > 0 else {
                    line = "allocation reserve \(need.id) \(pick(warehouses)) \(pick(lots)) \(rng.int(1...300))"
                    break
                }
                let (warehouse, lot, available) = pick(holdings)
                line = "allocation reserve \(need.id) \(warehouse) \(lot) \(rng.int(1...Int(min(available, missing))))"
            default:
                let open = engine.state.allocations.values.filter { $0.status == .reserved || $0.status == .dispatched }.map(\.id).sorted()
                guard !open.isEmpty else { continue }
                line = "allocation \(pick(["dispatch", "dispatch", "deliver", "deliver", "release"])) \(pick(open))"
            }
            let outcome = engine.handle(line: line, actor: "admin")
            journal += outcome.entries
            if !outcome.reply.isError { effect?() }
            guard try check(engine.state, accounts, donated, "seed \(seed) step \(step): \(line)") else { return }
        }
        XCTAssertGreaterThan(engine.state.allocations.values.filter { $0.status == .delivered }.count, 0, "seed \(seed) delivered nothing")
        XCTAssertGreaterThan(engine.state.donations.count, 0)

        var replayed = start
        try replayed.apply(journal)
        for lot in engine.state.lots.keys.sorted() {
            XCTAssertEqual(replayed.lineage(of: lot), engine.state.lineage(of: lot), "seed \(seed): lineage of \(lot) after replay")
        }
        let reloaded = try State(snapshotText: engine.state.snapshotText())
        XCTAssertEqual(reloaded.donations, engine.state.donations)
    }

    /// False when something did not add up (reported): the rest of the run would only repeat it.
    private func check(_ state: State, _ accounts: [String: Account], _ donated: [String: String], _ context: String) throws -> Bool {
        var inStock: [String: Int128] = [:], inTransit: [String: Int128] = [:], delivered: [String: Int128] = [:]
        for (_, skus) in state.stock { for (_, stock) in skus { for (lot, holding) in stock.lots { inStock[lot, default: 0] += Int128(holding.onHand) } } }
        for allocation in state.allocations.values {
            if allocation.status == .dispatched { inTransit[allocation.lot, default: 0] += Int128(allocation.quantity) }
            if allocation.status == .delivered { delivered[allocation.lot, default: 0] += Int128(allocation.quantity) }
        }
        var perDonation: [String: (left: Int128, right: Int128)] = [:]
        for (lot, account) in accounts {
            let left = Int128(account.received) + Int128(account.adjusted)
            let right = inStock[lot, default: 0] + inTransit[lot, default: 0] + delivered[lot, default: 0] + Int128(account.issued)
            guard left == right else { XCTFail("\(context): lot \(lot) received+adjusted \(left) ≠ \(right) accounted"); return false }
            let lineage = try XCTUnwrap(state.lineage(of: lot), context)
            XCTAssertEqual([lineage.received, lineage.adjusted, lineage.issued, lineage.inStock, lineage.inTransit, lineage.delivered],
                           [Int128(account.received), Int128(account.adjusted), Int128(account.issued), inStock[lot, default: 0],
                            inTransit[lot, default: 0], delivered[lot, default: 0]], "\(context): lineage of \(lot)")
            if let receipt = donated[lot] ?? state.lotFunding[lot] {
                perDonation[receipt, default: (0, 0)].left += left
                perDonation[receipt, default: (0, 0)].right += right
            }
        }
        for (receipt, sums) in perDonation where sums.left != sums.right { XCTFail("\(context): donation \(receipt) does not balance"); return false }
        XCTAssertEqual(Set(state.lotDonation.keys), Set(donated.keys), context)
        return true
    }
}
