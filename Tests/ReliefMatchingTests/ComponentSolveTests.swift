import XCTest
import ReliefCore
@testable import ReliefMatching

/// A plan solves each component of its network on its own (Components.swift). On random operations
/// with several items, incidents far apart and shared volunteers, the flow it reads back must be a
/// feasible flow of the whole exported network (one slack node) and cost exactly what one solve of
/// that whole network costs, and the same input must give the same plan.
final class ComponentSolveTests: XCTestCase {
    func testComponentSolvesMatchOneSolveOfTheWholeNetwork() throws {
        let skus = ["water", "tent", "quilt"]
        var components = 0
        for seed in UInt64(1)...40 {
            var random = SplitMix64(seed: seed)
            var f = MatchingFixture()
            // Two clusters 300 km apart (beyond people reach; supply reach set below).
            func point(_ cluster: Int) -> (Double, Double) {
                (37.5 + Double(cluster) * 2.7 + Double(random.int(0...100)) / 200, 112.3 + Double(random.int(0...100)) / 200)
            }
            for w in 0..<4 {
                let (lat, lon) = point(w % 2)
                f.warehouse("w\(w)", ["shanxi/taiyuan/xiaodian", "shanxi/jinzhong/yuci"][w % 2], lat, lon)
            }
            for l in 0..<random.int(2...8) {
                let expires: String? = random.chance(30) ? ["2026-12-01", "2026-12-04", "2027-06-01"][random.int(0...2)] : nil
                f.lot("w\(random.int(0...3))", "L\(l)", skus[random.int(0...2)], Int64(random.int(1...20)), expires: expires)
            }
            for v in 0..<random.int(0...8) {
                let (lat, lon) = point(random.int(0...1))
                f.volunteer("v\(v)", lat, lon, skills: random.chance(50) ? ["first-aid", "driver"] : ["driver"],
                            certifiedUntil: random.chance(80) ? "2027-12-31" : "2026-11-01")
            }
            for i in 0..<random.int(1...4) {
                let (lat, lon) = point(random.int(0...1))
                f.incident("I\(i)", "shanxi/taiyuan/yingze", lat, lon)
                for _ in 0..<random.int(1...3) {
                    let request: NeedRequest = random.chance(70)
                        ? .supply(sku: skus[random.int(0...2)], quantity: Int64(random.int(1...25)))
                        : .volunteers(skill: random.chance(50) ? "first-aid" : "driver", count: random.int(1...3), hours: 8)
                    f.need("I\(i)", request, priority: random.int(1...3), byHours: [12, 24, 48, 96][random.int(0...3)])
                }
            }
            var policy = MatchingPolicy()
            policy.supplyReachKilometres = 100
            let needs = Matching.openNeeds(in: f.state)
            let result = try Matching.solve(state: f.state, now: matchNow, policy: policy, needs: needs)
            var builder = NetworkBuilder(state: f.state, now: matchNow, policy: policy)
            for id in needs { builder.addNeed(id) }
            builder.addSupplyCandidates()
            builder.addTeamCandidates()
            builder.addVolunteerCandidates()
            components += builder.components().count

            // As cheap as one solve of the whole network.
            let whole = try MinCostFlow.solve(result.network)
            XCTAssertEqual(whole.status, .optimal, "seed \(seed)")
            XCTAssertEqual(result.flowCost, whole.cost, "seed \(seed)")

            // The plan's lines and unmet amounts are a feasible flow of the whole network: nothing
            // over a lot's stock, a volunteer in one line at most, each need served + unmet = missing.
            var fromLot: [String: Int64] = [:], given: [String: Int64] = [:], people = Set<String>()
            for line in result.plan.lines {
                switch line {
                case .supply(let need, let warehouse, let lot, let quantity, _):
                    fromLot[warehouse + "/" + lot, default: 0] += quantity
                    given[need, default: 0] += quantity
                case .volunteer(let need, let volunteer, _):
                    XCTAssertTrue(people.insert(volunteer).inserted, "seed \(seed): \(volunteer) twice")
                    given[need, default: 0] += 1
                case .team(let need, let team, _):
                    XCTAssertTrue(people.insert(team).inserted, "seed \(seed): \(team) twice")
                    given[need, default: 0] += 1
                }
            }
            for (key, quantity) in fromLot {
                let parts = key.split(separator: "/").map(String.init)
                XCTAssertLessThanOrEqual(quantity, f.state.holding(warehouse: parts[0], lot: parts[1])!.available, "seed \(seed)")
            }
            var unmet: [String: Int64] = [:]
            for entry in result.plan.unmet { unmet[entry.need] = entry.missing }
            for id in needs {
                let missing = f.state.needs[id]!.request.amount - f.state.committedAmount(of: id)
                XCTAssertEqual((given[id] ?? 0) + (unmet[id] ?? 0), missing, "seed \(seed): \(id)")
            }

            // Deterministic.
            let again = try Matching.solve(state: f.state, now: matchNow, policy: policy, needs: needs)
            XCTAssertEqual(again.plan, result.plan, "seed \(seed)")
        }
        XCTAssertGreaterThan(components, 80, "the generated operations should fall apart into several components")
    }
}
