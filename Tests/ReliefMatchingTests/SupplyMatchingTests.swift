import XCTest
import ReliefCore
@testable import ReliefMatching

/// Supplies: lots in warehouses to supply needs — priority and deadline under scarcity, first
/// expiring first, no lot that expires too soon, same county first, and a reason for every unmet need.
final class SupplyMatchingTests: XCTestCase {
    func testNearestWarehouseServesTheWholeNeed() throws {
        var f = MatchingFixture()
        f.warehouse("near", "shanxi/taiyuan/xiaodian", 37.80, 112.55)
        f.warehouse("far", "shanxi/taiyuan/xiaodian", 37.40, 112.55)
        f.lot("near", "L1", "water", 100)
        f.lot("far", "L2", "water", 100)
        f.incident("I1", "shanxi/taiyuan/xiaodian", 37.75, 112.55)
        let need = f.need("I1", .supply(sku: "water", quantity: 80))
        let plan = try f.match("I1")
        guard case .supply(need, "near", "L1", 80, let cost)? = plan.lines.first, plan.lines.count == 1 else {
            return XCTFail("expected 80 from near/L1, got \(plan.lines)")
        }
        XCTAssertEqual(plan.unmet, [])
        XCTAssertEqual(plan.incident, "I1")
        XCTAssertEqual(plan.basedOnSeq, f.state.lastSeq)
        // 5.56 km at 1000 points per km, no boundary crossed, no expiry (1001 days × 1), per unit.
        let km = Coordinate(latitude: 37.80, longitude: 112.55).distanceKilometres(to: Coordinate(latitude: 37.75, longitude: 112.55))
        XCTAssertEqual(cost, 80 * (Int64((km * 1000).rounded()) + 1001))
    }

    func testUnderScarcityPriorityOneIsServedBeforePriorityThree() throws {
        var f = MatchingFixture()
        f.warehouse("ty-01", "shanxi/taiyuan/xiaodian", 37.80, 112.55)
        f.lot("ty-01", "L1", "water", 100)
        f.incident("NEAR", "shanxi/taiyuan/xiaodian", 37.78, 112.55)
        f.incident("FAR", "shanxi/jinzhong/yuci", 37.60, 112.75)
        let low = f.need("NEAR", .supply(sku: "water", quantity: 100), priority: 3)
        let high = f.need("FAR", .supply(sku: "water", quantity: 100), priority: 1)
        let plan = try f.planAll()
        XCTAssertEqual(plan.quantity(for: high), 100, "\(plan.lines)")
        XCTAssertEqual(plan.quantity(for: low), 0)
        XCTAssertEqual(plan.unmet(low)?.missing, 100)
        XCTAssertTrue(plan.unmet(low)!.reason.hasPrefix("lower priority than competing needs: \(high) (FAR, priority 1"), plan.unmet(low)!.reason)
    }

    func testUnderScarcityTheEarlierDeadlineIsServedFirst() throws {
        var f = MatchingFixture()
        f.warehouse("ty-01", "shanxi/taiyuan/xiaodian", 37.80, 112.55)
        f.lot("ty-01", "L1", "water", 60)
        f.incident("NEAR", "shanxi/taiyuan/xiaodian", 37.78, 112.55)
        f.incident("FAR", "shanxi/jinzhong/yuci", 37.60, 112.75)
        let later = f.need("NEAR", .supply(sku: "water", quantity: 50), priority: 2, byHours: 48)
        let sooner = f.need("FAR", .supply(sku: "water", quantity: 50), priority: 2, byHours: 12)
        let plan = try f.planAll()
        XCTAssertEqual(plan.quantity(for: sooner), 50)
        XCTAssertEqual(plan.quantity(for: later), 10)
        XCTAssertEqual(plan.unmet(later)?.missing, 40)
        XCTAssertTrue(plan.unmet(later)!.reason.hasPrefix("due later than competing needs (beyond the urgency window): \(sooner)"), plan.unmet(later)!.reason)
    }

    func testTheFirstExpiringLotIsChosen() throws {
        var f = MatchingFixture()
        f.warehouse("ty-01", "shanxi/taiyuan/xiaodian", 37.80, 112.55)
        f.lot("ty-01", "A-LATE", "water", 100, expires: "2027-06-30")
        f.lot("ty-01", "B-NONE", "water", 100)
        f.lot("ty-01", "C-SOON", "water", 100, expires: "2027-01-10")
        f.incident("I1", "shanxi/taiyuan/xiaodian", 37.75, 112.55)
        f.need("I1", .supply(sku: "water", quantity: 150))
        let plan = try f.match("I1")
        let lots = plan.lines.map { line -> String in
            guard case .supply(_, _, let lot, let quantity, _) = line else { return "?" }
            return "\(lot):\(quantity)"
        }
        XCTAssertEqual(lots, ["C-SOON:100", "A-LATE:50"])
    }

    func testALotThatExpiresBeforeTheNeedIsNeverUsed() throws {
        var f = MatchingFixture()
        f.warehouse("ty-01", "shanxi/taiyuan/xiaodian", 37.80, 112.55)
        f.lot("ty-01", "OLD", "water", 500, expires: "2026-12-02")
        f.incident("I1", "shanxi/taiyuan/xiaodian", 37.75, 112.55)
        let need = f.need("I1", .supply(sku: "water", quantity: 100), byHours: 48)   // by 2026-12-03
        let plan = try f.match("I1")
        XCTAssertEqual(plan.lines, [])
        XCTAssertEqual(plan.unmet(need)?.missing, 100)
        XCTAssertEqual(plan.unmet(need)?.reason,
                       "stock of water in the incident's province only in lots that expire before 2026-12-03 (500 piece in 1 lots, the latest expiring 2026-12-02)")
    }

    func testAtEqualDistanceTheSameCountyIsPreferred() throws {
        for (sameCounty, otherCounty) in [("b-wh", "a-wh"), ("a-wh", "b-wh")] {
            var f = MatchingFixture()
            // Mirror images around the incident: exactly the same great-circle distance.
            f.warehouse(otherCounty, "shanxi/taiyuan/yingze", 37.80, otherCounty == "a-wh" ? 112.40 : 112.60)
            f.warehouse(sameCounty, "shanxi/taiyuan/xiaodian", 37.80, sameCounty == "a-wh" ? 112.40 : 112.60)
            f.lot(otherCounty, "L-OTHER", "water", 100)
            f.lot(sameCounty, "L-SAME", "water", 100)
            f.incident("I1", "shanxi/taiyuan/xiaodian", 37.80, 112.50)
            f.need("I1", .supply(sku: "water", quantity: 100))
            let plan = try f.match("I1")
            guard case .supply(_, let warehouse, _, 100, _)? = plan.lines.first, plan.lines.count == 1 else { return XCTFail("\(plan.lines)") }
            XCTAssertEqual(warehouse, sameCounty)
        }
    }

    func testRegionPenaltyIsTheLargestBoundaryCrossed() {
        let policy = MatchingPolicy()
        XCTAssertEqual(policy.regionPenalty(from: "shanxi/taiyuan/xiaodian", to: "shanxi/taiyuan/xiaodian"), 0)
        XCTAssertEqual(policy.regionPenalty(from: "shanxi/taiyuan/yingze", to: "shanxi/taiyuan/xiaodian"), 5_000)
        XCTAssertEqual(policy.regionPenalty(from: "shanxi/taiyuan", to: "shanxi/taiyuan/xiaodian"), 5_000)
        XCTAssertEqual(policy.regionPenalty(from: "shanxi/jinzhong/yuci", to: "shanxi/taiyuan/xiaodian"), 20_000)
        XCTAssertEqual(policy.regionPenalty(from: "shanxi", to: "shanxi/taiyuan"), 20_000)
        XCTAssertEqual(policy.regionPenalty(from: "hebei/sjz", to: "shanxi/taiyuan/xiaodian"), 50_000)
    }

    // MARK: reasons

    func testReasonNoStockAnywhere() throws {
        var f = MatchingFixture()
        f.warehouse("ty-01", "shanxi/taiyuan/xiaodian", 37.80, 112.55)
        f.incident("I1", "shanxi/taiyuan/xiaodian", 37.75, 112.55)
        let need = f.need("I1", .supply(sku: "tent", quantity: 10))
        XCTAssertEqual(try f.match("I1").unmet, [UnmetNeed(need: need, missing: 10, reason: "no stock of tent in any warehouse")])
    }

    func testReasonNoneWithinReachNamesTheNearestAndHowFar() throws {
        var f = MatchingFixture()
        f.warehouse("sjz-01", "hebei/sjz", 38.04, 114.51)
        f.warehouse("far-01", "hebei/sjz", 39.90, 116.40)
        f.lot("sjz-01", "Q1", "quilt", 40)
        f.lot("far-01", "Q2", "quilt", 400)
        f.incident("I1", "shanxi/taiyuan/xiaodian", 37.75, 112.55)
        let need = f.need("I1", .supply(sku: "quilt", quantity: 10))
        let km = Coordinate(latitude: 38.04, longitude: 114.51).distanceKilometres(to: Coordinate(latitude: 37.75, longitude: 112.55))
        let kmText = "\(Int((km * 10).rounded()) / 10).\(Int((km * 10).rounded()) % 10) km"
        // Hebei is another province: beyond the default reach of a priority 3 need, whatever the distance.
        let plan = try f.match("I1")
        XCTAssertEqual(plan.unmet(need)?.reason,
                       "no stock of quilt in the incident's province; nearest beyond reach: sjz-01 (hebei/sjz) at \(kmText) with 40 piece available "
                       + "(reach province for priority 3; need change \(need) reach=country or plan reach=country looks further)")
        XCTAssertEqual(try f.match("I1", options: MatchingOptions(reach: .country)).quantity(for: need), 10, "reach=country gets there")
        // The outer bound in km holds whatever the tier.
        var policy = MatchingPolicy()
        policy.supplyReachKilometres = 100
        XCTAssertEqual(try f.match("I1", policy: policy, options: MatchingOptions(reach: .country)).quantity(for: need), 0)
    }

    func testReasonAllReservedForOtherNeeds() throws {
        var f = MatchingFixture()
        f.warehouse("ty-01", "shanxi/taiyuan/xiaodian", 37.80, 112.55)
        f.lot("ty-01", "L1", "water", 50)
        f.incident("I1", "shanxi/taiyuan/xiaodian", 37.75, 112.55)
        f.incident("I2", "shanxi/taiyuan/xiaodian", 37.76, 112.55)
        let other = f.need("I2", .supply(sku: "water", quantity: 50))
        f.apply(.allocationReserved(Allocation(id: f.state.nextAllocationID, need: other, incident: "I2", warehouse: "ty-01", lot: "L1",
                                               sku: "water", quantity: 50, plan: nil, createdAt: matchNow)))
        let need = f.need("I1", .supply(sku: "water", quantity: 20))
        XCTAssertEqual(try f.match("I1").unmet, [UnmetNeed(need: need, missing: 20, reason: "all 50 piece of water in the incident's province are reserved for other needs")])
    }

    func testReasonOnlySoMuchAvailableWithMoreExpiringAndReserved() throws {
        var f = MatchingFixture()
        f.warehouse("ty-01", "shanxi/taiyuan/xiaodian", 37.80, 112.55)
        f.lot("ty-01", "L1", "water", 30)
        f.lot("ty-01", "OLD", "water", 7, expires: "2026-11-30")
        f.incident("I1", "shanxi/taiyuan/xiaodian", 37.75, 112.55)
        let need = f.need("I1", .supply(sku: "water", quantity: 100))
        let plan = try f.match("I1")
        XCTAssertEqual(plan.quantity(for: need), 30)
        XCTAssertEqual(plan.unmet(need)?.reason, "only 30 piece of water available in the incident's province; 7 piece more in lots that expire before 2026-12-02")
    }

    func testMatchLooksOnlyAtItsIncidentAndSkipsMetOrCancelledNeeds() throws {
        var f = MatchingFixture()
        f.warehouse("ty-01", "shanxi/taiyuan/xiaodian", 37.80, 112.55)
        f.lot("ty-01", "L1", "water", 100)
        f.incident("I1", "shanxi/taiyuan/xiaodian", 37.75, 112.55)
        f.incident("I2", "shanxi/taiyuan/xiaodian", 37.75, 112.56)
        let mine = f.need("I1", .supply(sku: "water", quantity: 10))
        let met = f.need("I1", .supply(sku: "water", quantity: 5))
        f.apply(.allocationReserved(Allocation(id: f.state.nextAllocationID, need: met, incident: "I1", warehouse: "ty-01", lot: "L1",
                                               sku: "water", quantity: 5, plan: nil, createdAt: matchNow)))
        let cancelled = f.need("I1", .supply(sku: "water", quantity: 5))
        f.apply(.needCancelled(id: cancelled, reason: nil))
        f.need("I2", .supply(sku: "water", quantity: 10), priority: 1)
        XCTAssertEqual(Matching.openNeeds(of: "I1", in: f.state), [mine])
        let plan = try f.match("I1")
        XCTAssertEqual(plan.lines.map(\.need), [mine])
        XCTAssertEqual(plan.quantity(for: mine), 10)
    }

    // MARK: properties

    /// Random tiny operations: the plan never takes more than a lot has available or a need misses,
    /// uses only lots that are good on the need's day and within reach, and is optimal — as many
    /// units as possible for the most urgent rank, then the next, then the least travel — which a
    /// brute-force enumeration of every integer allocation confirms. Applying it leaves a sound state.
    func testPlansAreFeasibleLexicographicallyOptimalAndApplySoundly() throws {
        var policy = MatchingPolicy()
        policy.countyCrossingPenalty = 0; policy.cityCrossingPenalty = 0; policy.provinceCrossingPenalty = 0
        policy.expiryCostPerDay = 0
        policy.supplyReachKilometres = 60
        policy.reserveCostPerUnit = 7_000
        let regions = ["shanxi/taiyuan/xiaodian", "shanxi/taiyuan/yingze"]
        for seed in UInt64(1)...80 {
            var random = SplitMix64(seed: seed)
            var f = MatchingFixture()
            func point() -> (Double, Double) { (37.5 + Double(random.int(0...100)) / 200, 112.3 + Double(random.int(0...100)) / 200) }
            for w in 0..<2 {
                let (lat, lon) = point()
                f.warehouse("w\(w)", regions[random.int(0...1)], lat, lon)
            }
            for l in 0..<random.int(1...3) {
                let expires: String? = random.chance(30) ? ["2026-12-01", "2026-12-02", "2026-12-04"][random.int(0...2)] : nil
                f.lot("w\(random.int(0...1))", "L\(l)", "water", Int64(random.int(1...3)), expires: expires)
            }
            if random.chance(30), let code = f.state.lots.keys.sorted().first,
               let warehouse = f.state.stock.keys.sorted().first(where: { f.state.stock[$0]?["water"]?.lots[code] != nil }) {
                // Some stock already reserved by an earlier need.
                f.incident("OLD", "shanxi/taiyuan/xiaodian", 37.7, 112.5)
                let old = f.need("OLD", .supply(sku: "water", quantity: 1))
                f.apply(.allocationReserved(Allocation(id: f.state.nextAllocationID, need: old, incident: "OLD", warehouse: warehouse, lot: code,
                                                       sku: "water", quantity: 1, plan: nil, createdAt: matchNow)))
            }
            // A protected reserve in a warehouse now and then (priority 1 needs may draw on it).
            if random.chance(40) {
                let warehouse = "w\(random.int(0...1))"
                f.apply(.minimumSet(warehouse: warehouse, sku: "water", quantity: Int64(random.int(1...2))))
            }
            for i in 0..<random.int(1...3) {
                let (lat, lon) = point()
                f.incident("I\(i)", regions[random.int(0...1)], lat, lon)
                let id = f.need("I\(i)", .supply(sku: "water", quantity: Int64(random.int(1...3))), priority: random.int(1...3),
                                byHours: [12, 14, 17, 48][random.int(0...3)])
                // Some needs may look only in their own county.
                if random.chance(30) { f.state.setReachForTesting(id, .county) }
            }
            let result = try Matching.solve(state: f.state, now: matchNow, policy: policy, needs: Matching.openNeeds(in: f.state))
            let plan = result.plan
            XCTAssertTrue(result.stats.priorityExact)

            // Feasible: within lots' available and needs' missing; only eligible lots.
            var taken: [String: Int64] = [:], given: [String: Int64] = [:]
            for line in plan.lines {
                guard case .supply(let need, let warehouse, let lot, let quantity, _) = line else { return XCTFail("not a supply line") }
                XCTAssertGreaterThan(quantity, 0)
                taken[warehouse + "/" + lot, default: 0] += quantity
                given[need, default: 0] += quantity
                XCTAssertTrue(eligible(f.state, warehouse: warehouse, lot: lot, need: need, reach: 60), "seed \(seed): \(line)")
            }
            for (key, quantity) in taken {
                let parts = key.split(separator: "/").map(String.init)
                XCTAssertLessThanOrEqual(quantity, f.state.holding(warehouse: parts[0], lot: parts[1])!.available, "seed \(seed)")
            }
            // Only priority 1 needs take a warehouse below its minimum, and their lines say so.
            var drawnByOthers: [String: Int64] = [:]
            for (number, line) in plan.lines.enumerated() {
                guard case .supply(let need, let warehouse, _, let quantity, _) = line else { continue }
                if f.state.needs[need]!.priority > 1 {
                    drawnByOthers[warehouse, default: 0] += quantity
                    XCTAssertFalse(plan.reserveLines.contains(number + 1), "seed \(seed): \(line) is not a priority 1 need's")
                }
            }
            for (warehouse, quantity) in drawnByOthers {
                let minimum = f.state.minimums[warehouse]?["water"] ?? 0
                XCTAssertLessThanOrEqual(quantity, max(0, f.state.stock[warehouse]!["water"]!.available - minimum), "seed \(seed): \(warehouse)")
            }
            for (need, quantity) in given {
                XCTAssertLessThanOrEqual(quantity, f.state.needs[need]!.request.amount - f.state.committedAmount(of: need), "seed \(seed)")
            }
            for unmet in plan.unmet {
                XCTAssertEqual(unmet.missing + (given[unmet.need] ?? 0), f.state.needs[unmet.need]!.request.amount - f.state.committedAmount(of: unmet.need))
                XCTAssertFalse(unmet.reason.isEmpty)
            }

            // Optimal against brute force.
            let best = bruteForce(f.state, reach: 60)
            let planScore = score(f.state, served: given, cost: plan.totalCost)
            XCTAssertEqual(planScore.served, best.served, "seed \(seed): unmet penalty units (urgency, then fair shares)")
            XCTAssertEqual(planScore.cost, best.cost, "seed \(seed): travel cost")

            // Applying every line keeps the state sound.
            var applied = f.state
            for line in plan.lines {
                guard case .supply(let need, let warehouse, let lot, let quantity, _) = line else { continue }
                try applied.apply(Entry(seq: applied.lastSeq + 1, time: matchNow, actor: "test", event: .allocationReserved(Allocation(
                    id: applied.nextAllocationID, need: need, incident: applied.needs[need]!.incident, warehouse: warehouse, lot: lot,
                    sku: "water", quantity: quantity, plan: nil, createdAt: matchNow))))
            }
            XCTAssertEqual(applied.invariantViolations(), [], "seed \(seed)")
        }
    }

    private func eligible(_ state: State, warehouse: String, lot: String, need: String, reach: Double) -> Bool {
        let record = state.needs[need]!, incident = state.incidents[record.incident]!
        if let expires = state.lots[lot]!.expires, expires < max(record.neededBy.day, matchNow.day) { return false }
        // Reach: a need's own tier, else its priority's (province for priorities 1 to 3).
        if record.reach == .county && state.warehouses[warehouse]!.region != incident.region { return false }
        return state.warehouses[warehouse]!.location.distanceKilometres(to: incident.location) <= reach
    }

    /// The documented rule as a score, larger better: minus the unmet penalty units — ranks by
    /// priority, then deadline (deadlines within the urgency window of a group's earliest are one
    /// rank), a unit left unmet in rank t whose need's unmet fraction it takes past (k−1)/K costs
    /// (T−1−t)·K + k — then the travel cost. Written from the rule, not from the matcher's code.
    private func score(_ state: State, served: [String: Int64], cost: Int64) -> (served: [Int64], cost: Int64) {
        // The documented defaults: shares to 1/20, deadlines within 6 h equally urgent.
        let steps: Int64 = 20, window: Int64 = 6 * 3_600_000
        let open = Matching.openNeeds(in: state).sorted {
            let a = state.needs[$0]!, b = state.needs[$1]!
            return (a.priority, a.neededBy.milliseconds) < (b.priority, b.neededBy.milliseconds)
        }
        var rank: [String: Int64] = [:]
        var current: Int64 = -1, priority = 0, start: Int64 = 0
        for id in open {
            let need = state.needs[id]!
            if current < 0 || need.priority != priority || need.neededBy.milliseconds > start + window {
                current += 1; priority = need.priority; start = need.neededBy.milliseconds
            }
            rank[id] = current
        }
        let ranks = current + 1
        var penalty: Int64 = 0
        for id in open {
            let amount = state.needs[id]!.request.amount
            let unmet = amount - state.committedAmount(of: id) - (served[id] ?? 0)
            guard unmet > 0 else { continue }
            for unit in 1...unmet {
                let level = (1...steps).first { unit <= amount * $0 / steps }!
                penalty += (ranks - 1 - rank[id]!) * steps + level
            }
        }
        return ([-penalty], cost)
    }

    /// Every integer allocation of lots to needs, the best by (served per rank, then least cost).
    private func bruteForce(_ state: State, reach: Double) -> (served: [Int64], cost: Int64) {
        let open = Matching.openNeeds(in: state)
        // Lots, each cut where the warehouse's minimum level begins: the first-expiring units are
        // free, the last `minimum` available are its protected reserve, for priority 1 needs only,
        // at the reserve cost per unit.
        var lots: [(warehouse: String, lot: String, available: Int64, reserve: Bool)] = []
        for warehouse in state.warehouses.keys.sorted() {
            let minimum = state.minimums[warehouse]?["water"] ?? 0
            var free = max(0, (state.stock[warehouse]?["water"]?.available ?? 0) - minimum)
            for (code, holding) in state.lotsInPickingOrder(warehouse: warehouse, sku: "water") where holding.available > 0 {
                let part = min(free, holding.available)
                free -= part
                if part > 0 { lots.append((warehouse, code, part, false)) }
                if holding.available > part { lots.append((warehouse, code, holding.available - part, true)) }
            }
        }
        var pairs: [(lot: Int, need: String, unitCost: Int64)] = []
        for (index, lot) in lots.enumerated() {
            for need in open where eligible(state, warehouse: lot.warehouse, lot: lot.lot, need: need, reach: reach) {
                if lot.reserve && state.needs[need]!.priority > 1 { continue }
                let km = state.warehouses[lot.warehouse]!.location.distanceKilometres(to: state.incidents[state.needs[need]!.incident]!.location)
                pairs.append((index, need, Int64((km * 1000).rounded()) + (lot.reserve ? 7_000 : 0)))
            }
        }
        var left = lots.map(\.available)
        var missing = Dictionary(uniqueKeysWithValues: open.map { ($0, state.needs[$0]!.request.amount - state.committedAmount(of: $0)) })
        var served: [String: Int64] = [:]
        var best: (served: [Int64], cost: Int64)?
        func better(_ a: (served: [Int64], cost: Int64), than b: (served: [Int64], cost: Int64)) -> Bool {
            if a.served != b.served { return !a.served.lexicographicallyPrecedes(b.served) }
            return a.cost < b.cost
        }
        func visit(_ index: Int, _ cost: Int64) {
            if index == pairs.count {
                let candidate = score(state, served: served, cost: cost)
                if best == nil || better(candidate, than: best!) { best = candidate }
                return
            }
            let pair = pairs[index]
            for quantity in 0...min(left[pair.lot], missing[pair.need]!) {
                left[pair.lot] -= quantity; missing[pair.need]! -= quantity; served[pair.need, default: 0] += quantity
                visit(index + 1, cost + quantity * pair.unitCost)
                left[pair.lot] += quantity; missing[pair.need]! += quantity; served[pair.need]! -= quantity
            }
        }
        visit(0, 0)
        return best!
    }
}
