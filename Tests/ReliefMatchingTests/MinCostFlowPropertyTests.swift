import ReliefCore
import XCTest
@testable import ReliefMatching

/// Generated instances (seeded, so a failure names the seed that replays it), solved by the network
/// simplex and by the independent ReferenceSolver: the same status and optimal cost, and a flow that
/// passes FlowChecks.
final class MinCostFlowPropertyTests: XCTestCase {
    /// General networks: negative costs, parallel arcs, self-loops, zero and unlimited capacities,
    /// sometimes unbalanced supplies.
    static func randomNetwork(_ random: inout SplitMix64) -> FlowNetwork {
        let n = random.int(1...9)
        var network = FlowNetwork(nodeCount: n)
        let arcs = random.int(0...(random.chance(20) ? 6 : 24))
        let negative = random.chance(40)
        let unlimitedPercent = random.chance(40) ? 25 : 0
        for _ in 0..<arcs {
            let from = random.int(0...(n - 1))
            var to = random.int(0...(n - 1))
            if from == to && !random.chance(10) { to = (to + 1) % n }
            let capacity = random.chance(unlimitedPercent) ? FlowNetwork.unlimited
                : (random.chance(10) ? 0 : random.int64(1...12))
            let cost = negative ? random.int64(-9...12) : (random.chance(15) ? 0 : random.int64(1...20))
            network.addArc(from: from, to: to, capacity: capacity, cost: cost)
        }
        // Half of them get a ring through every node, so more of them are feasible.
        if random.chance(50) {
            for node in 0..<n where n > 1 {
                network.addArc(from: node, to: (node + 1) % n, capacity: random.int64(20...60),
                               cost: negative ? random.int64(-3...15) : random.int64(0...25))
            }
        }
        // Supplies: units moved from random nodes to random nodes, so they balance unless skewed.
        for _ in 0..<random.int(0...5) {
            let amount = random.int64(1...10)
            let from = random.int(0...(n - 1))
            let to = random.int(0...(n - 1))
            network.setSupply(of: from, to: network.supply[from] + amount)
            network.setSupply(of: to, to: network.supply[to] - amount)
        }
        if random.chance(8) {
            let node = random.int(0...(n - 1))
            network.setSupply(of: node, to: network.supply[node] + random.int64(-3...3))
        }
        return network
    }

    func testAgreesWithTheReferenceSolverOnGeneratedNetworks() throws {
        var statuses: [FlowSolution.Status: Int] = [:]
        for seed in UInt64(0)..<5000 {
            var random = SplitMix64(seed: seed)
            let network = Self.randomNetwork(&random)
            let solution = try MinCostFlow.solve(network)
            let reference = ReferenceSolver.solve(network)
            statuses[reference.status, default: 0] += 1
            XCTAssertEqual(solution.status, reference.status, "seed \(seed)")
            if solution.status == .optimal && reference.status == .optimal {
                XCTAssertEqual(solution.cost, reference.cost, "seed \(seed)")
                FlowChecks.assertOptimal(network, solution, "seed \(seed)")
            }
            if testRun?.failureCount ?? 0 > 10 { break }
        }
        // The generator must reach every outcome, or the comparison proves less than it seems.
        print("generated networks by outcome: \(statuses)")
        XCTAssertGreaterThan(statuses[.optimal] ?? 0, 2500)
        XCTAssertGreaterThan(statuses[.infeasible] ?? 0, 500)
        XCTAssertGreaterThan(statuses[.unbounded] ?? 0, 80)
    }

    /// Warehouses → needs with a dummy unmet arc of high cost, as matching builds them.
    func testTransportationInstancesAgreeWithTheReferenceSolver() throws {
        for seed in UInt64(0)..<600 {
            var random = SplitMix64(seed: 10_000 + seed)
            let sources = random.int(1...6)
            let sinks = random.int(1...9)
            var problem = TransportationProblem(
                stock: (0..<sources).map { _ in random.int64(0...40) },
                demand: (0..<sinks).map { _ in random.int64(0...30) },
                unmetPenalty: (0..<sinks).map { _ in random.int64(50...400) })
            for source in 0..<sources {
                for sink in 0..<sinks where random.chance(60) {
                    problem.addRoute(from: source, to: sink, cost: random.int64(0...120),
                                     capacity: random.chance(70) ? FlowNetwork.unlimited : random.int64(0...25))
                }
            }
            let network = problem.network()
            let flow = try MinCostFlow.solve(network)
            let reference = ReferenceSolver.solve(network)
            XCTAssertEqual(reference.status, .optimal, "seed \(seed)")
            XCTAssertEqual(flow.cost, reference.cost, "seed \(seed)")
            FlowChecks.assertOptimal(network, flow, "seed \(seed)")

            let plan = try problem.solve()
            XCTAssertEqual(plan.cost, reference.cost, "seed \(seed)")
            for sink in 0..<sinks {
                var received: Int64 = 0
                for route in 0..<problem.routeCount where Int(problem.routeSink[route]) == sink { received += plan.shipped[route] }
                XCTAssertEqual(received + plan.unmet[sink], problem.demand[sink], "seed \(seed) sink \(sink)")
            }
            for source in 0..<sources {
                var sent: Int64 = 0
                for route in 0..<problem.routeCount where Int(problem.routeSource[route]) == source { sent += plan.shipped[route] }
                XCTAssertEqual(sent + plan.unused[source], problem.stock[source], "seed \(seed) source \(source)")
            }
            if testRun?.failureCount ?? 0 > 10 { break }
        }
    }

    /// Larger sparse networks with many ties (few distinct costs): degenerate pivots galore, and
    /// the debug build checks the whole tree after every pivot on networks of up to 64 nodes.
    func testDegenerateNetworksWithManyTies() throws {
        for seed in UInt64(0)..<150 {
            var random = SplitMix64(seed: 50_000 + seed)
            let n = random.int(20...60)
            var network = FlowNetwork(nodeCount: n)
            for _ in 0..<(n * 3) {
                let from = random.int(0...(n - 1))
                let to = random.int(0...(n - 1))
                network.addArc(from: from, to: to, capacity: random.int64(0...3), cost: random.int64(0...2))
            }
            for _ in 0..<n {
                let from = random.int(0...(n - 1))
                let to = random.int(0...(n - 1))
                network.setSupply(of: from, to: network.supply[from] + 1)
                network.setSupply(of: to, to: network.supply[to] - 1)
            }
            let solution = try MinCostFlow.solve(network)
            let reference = ReferenceSolver.solve(network)
            XCTAssertEqual(solution.status, reference.status, "seed \(seed)")
            if reference.status == .optimal {
                XCTAssertEqual(solution.cost, reference.cost, "seed \(seed)")
                FlowChecks.assertOptimal(network, solution, "seed \(seed)")
            }
            if testRun?.failureCount ?? 0 > 10 { break }
        }
    }
}
