import XCTest
import ReliefCore
@testable import ReliefMatching

/// The matcher on quantities at and beyond the documented maximum (10^12 per lot in a warehouse
/// and per need): instances it can represent are solved exactly, with reasons; those it cannot
/// are refused as too large (ERR LIMIT from the engine) — never a trap on a sum that wrapped.
final class QuantityLimitMatchingTests: XCTestCase {
    let maximum: Int64 = 1_000_000_000_000

    /// An incident in Xiaodian and `lots` warehouses around it holding water.
    private func fixture(lots: Int, quantity: Int64) -> MatchingFixture {
        var f = MatchingFixture()
        for index in 0..<lots {
            f.warehouse("w\(index)", "shanxi/taiyuan/xiaodian", 37.70 + Double(index) * 0.02, 112.55)
            f.lot("w\(index)", "L\(index)", "water", quantity)
        }
        f.incident("flood", "shanxi/taiyuan/xiaodian", 37.70, 112.55)
        return f
    }

    /// Four sources of 2^62 units add up to 2^64, which a wrapping 64-bit sum sees as 0: the
    /// check let such an instance through to arithmetic that trapped. No state can hold that much
    /// any more, so the sources are set on the network builder directly.
    func testSuppliesWhoseSumWrapsAreTooLargeNotATrap() {
        var f = fixture(lots: 4, quantity: 5)
        let need = f.need("flood", .supply(sku: "water", quantity: 10))
        var builder = NetworkBuilder(state: f.state, now: matchNow, policy: MatchingPolicy())
        builder.addNeed(need)
        builder.addSupplyCandidates()
        XCTAssertEqual(builder.sourceSupply.count, 4)
        builder.sourceSupply = Array(repeating: Int64(1) << 62, count: 4)
        XCTAssertThrowsError(try builder.solve(planID: "PL-000001", incident: "flood")) { error in
            guard case MatchingError.tooLarge(let detail) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("18446744073709551616 units"), detail)
        }
    }

    func testDemandsWhoseSumWrapsAreTooLargeNotATrap() {
        var f = fixture(lots: 1, quantity: 5)
        let needs = (0..<4).map { _ in f.need("flood", .supply(sku: "water", quantity: 10)) }
        var builder = NetworkBuilder(state: f.state, now: matchNow, policy: MatchingPolicy())
        for need in needs { builder.addNeed(need) }
        builder.addSupplyCandidates()
        XCTAssertEqual(builder.needs.count, 4)
        for index in builder.needs.indices { builder.needs[index].missing = Int64(1) << 62 }
        XCTAssertThrowsError(try builder.solve(planID: "PL-000001", incident: "flood"))
    }

    /// Scarcity at the maximum: two full lots, three needs of the maximum. Priorities decide, the
    /// third need's reason counts the stock, and every number is exact.
    func testLotsAndNeedsAtTheMaximumAreMatchedExactlyWithReasons() throws {
        var f = fixture(lots: 2, quantity: maximum)
        let urgent = f.need("flood", .supply(sku: "water", quantity: maximum), priority: 1)
        let soon = f.need("flood", .supply(sku: "water", quantity: maximum), priority: 2)
        let later = f.need("flood", .supply(sku: "water", quantity: maximum), priority: 3)
        let result = try Matching.solve(state: f.state, now: matchNow, policy: MatchingPolicy(), needs: [urgent, soon, later], incident: "flood")
        let plan = result.plan
        XCTAssertEqual(plan.quantity(for: urgent), maximum)
        XCTAssertEqual(plan.quantity(for: soon), maximum)
        XCTAssertEqual(plan.quantity(for: later), 0)
        XCTAssertEqual(plan.unmet(later)?.missing, maximum)
        XCTAssertTrue(plan.unmet(later)?.reason.hasPrefix("lower priority than competing needs") == true, plan.unmet(later)?.reason ?? "")
        for line in plan.lines {
            guard case .supply(_, _, _, let quantity, let cost) = line else { return XCTFail("\(line)") }
            XCTAssertTrue(quantity > 0 && quantity <= maximum && cost >= 0, "\(line)")
        }
        XCTAssertEqual(plan.totalCost, plan.lines.reduce(0) { $0 + $1.cost })
        // The objective: the lines plus the unmet penalties of the third need, all of it unmet, over
        // its 20 share segments (the last arcs of the network).
        let network = result.network
        var penalties: Int128 = 0
        for arc in (network.arcCount - 20)..<network.arcCount { penalties += Int128(network.arcCapacity[arc]) * Int128(network.arcCost[arc]) }
        XCTAssertEqual(Int128(result.flowCost), Int128(plan.totalCost) + penalties)
    }

    /// Ten needs at the maximum from ten full warehouses in the next province, 230 km away: the
    /// objective is at most 10^13 units × the largest cost or penalty, which fits in 64 bits; a bound
    /// four times tighter than it needs to be refused this as too large.
    func testTenNeedsAtTheMaximumFromFarWarehousesArePlanned() throws {
        var f = fixture(lots: 0, quantity: 0)
        for index in 0..<10 {
            f.warehouse("far\(index)", "hebei/sjz", 38.50 + Double(index) * 0.01, 115.00)
            f.lot("far\(index)", "F\(index)", "water", maximum)
        }
        let needs = (0..<10).map { f.need("flood", .supply(sku: "water", quantity: maximum), priority: 1 + $0 % 2) }
        let result = try Matching.solve(state: f.state, now: matchNow, policy: MatchingPolicy(), needs: needs, incident: "flood",
                                        options: MatchingOptions(reach: .country))
        let unitCosts = result.plan.lines.compactMap { line -> Int64? in
            guard case .supply(_, _, _, let quantity, let cost) = line else { return nil }
            return cost / quantity
        }
        XCTAssertGreaterThan(unitCosts.min() ?? 0, (Int64(1) << 62) / (10 * maximum) / 2, "every cost is past the old bound")
        XCTAssertEqual(result.plan.unmet, [])
        for need in needs { XCTAssertEqual(result.plan.quantity(for: need), maximum, need) }
        XCTAssertEqual(result.flowCost, result.plan.totalCost)
    }

    /// A need left unmet near stock that does not count for it (beyond reach, expired): the reason
    /// sums stock over every warehouse, which the matcher's own checks never see.
    func testReasonsOverFullWarehousesOutOfReachAreExact() throws {
        var f = fixture(lots: 0, quantity: 0)
        for index in 0..<3 {
            f.warehouse("far\(index)", "hebei/sjz", 38.04 + Double(index) * 0.01, 114.51)
            f.lot("far\(index)", "F\(index)", "water", maximum)
            f.lot("far\(index)", "G\(index)", "tent", maximum)
        }
        let need = f.need("flood", .supply(sku: "water", quantity: maximum))
        var policy = MatchingPolicy()
        policy.supplyReachKilometres = 100
        let plan = try Matching.plan(state: f.state, now: matchNow, policy: policy, needs: [need], incident: "flood",
                                     options: MatchingOptions(reach: .country))
        XCTAssertEqual(plan.lines, [])
        XCTAssertEqual(plan.unmet(need)?.missing, maximum)
        XCTAssertEqual(plan.unmet(need)?.reason.hasPrefix("no stock of water within 100 km of the incident; nearest beyond reach: far0"), true,
                       plan.unmet(need)?.reason ?? "")
    }
}
