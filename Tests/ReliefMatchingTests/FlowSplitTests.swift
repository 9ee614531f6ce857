import ReliefCore
import XCTest
@testable import ReliefMatching

/// `MinCostFlow.solveByParts` (the cut at the hub, the shape of each part) and CostScaling, against
/// the network simplex solving the whole network: the same status, the same optimal cost, and a
/// flow that is feasible and costs what it says. Seeded, so a failure names the seed that replays it.
final class FlowSplitTests: XCTestCase {
    /// Conservation, bounds and cost of a flow (the parts solution has no potentials to check).
    static func flowProblems(_ network: FlowNetwork, _ flow: [Int64], cost: Int64) -> [String] {
        guard flow.count == network.arcCount else { return ["\(flow.count) flows for \(network.arcCount) arcs"] }
        var found: [String] = []
        var balance = [Int64](repeating: 0, count: network.nodeCount)
        var total: Int64 = 0
        for arc in 0..<network.arcCount {
            let capacity = network.arcCapacity[arc]
            if flow[arc] < 0 || (capacity != FlowNetwork.unlimited && flow[arc] > capacity) {
                found.append("arc \(arc) carries \(flow[arc]), capacity \(capacity)")
            }
            balance[Int(network.arcSource[arc])] += flow[arc]
            balance[Int(network.arcTarget[arc])] -= flow[arc]
            total += flow[arc] * network.arcCost[arc]
        }
        for node in 0..<network.nodeCount where balance[node] != network.supply[node] {
            found.append("node \(node) sends \(balance[node]) net, supply \(network.supply[node])")
        }
        if total != cost { found.append("cost \(cost) but flows cost \(total)") }
        return found
    }

    /// Solves `network` whole by the network simplex and by parts (as `reliefctl solve` does, without
    /// cost scaling, with it on every assignment-shaped part, and with every component a part of its
    /// own) and checks that they agree. Returns the last.
    @discardableResult
    func assertAgrees(_ network: FlowNetwork, _ label: String) throws -> PartsSolution {
        let whole = try MinCostFlow.solve(network)
        let parts = try MinCostFlow.solveByParts(network)
        let simplexParts = try MinCostFlow.solveByParts(network, costScalingNodes: .max)
        let scaledParts = try MinCostFlow.solveByParts(network, costScalingNodes: 0)
        // Every component a part of its own, however small: the cut itself, not the bundling.
        let apart = try MinCostFlow.solveByParts(network, costScalingNodes: 0, bundleNodes: 1)
        for (name, answer) in [("parts", parts), ("simplex parts", simplexParts), ("cost scaling parts", scaledParts),
                               ("components apart", apart)] {
            XCTAssertEqual(answer.solution.status, whole.status, "\(label) \(name)")
            if whole.status == .optimal && answer.solution.status == .optimal {
                XCTAssertEqual(answer.solution.cost, whole.cost, "\(label) \(name)")
                let problems = Self.flowProblems(network, answer.solution.flow, cost: answer.solution.cost)
                XCTAssertTrue(problems.isEmpty, "\(label) \(name): \(problems.prefix(3))")
            }
        }
        return apart
    }

    /// An assignment-shaped network with a slack node (the last): unit sources with arcs of
    /// capacity ≤ 1 to some needs and one to the slack node, needs with an arc from the slack node.
    /// Negative costs, parallel arcs, zero capacities and self-loops now and then.
    static func assignmentNetwork(_ random: inout SplitMix64, sources: Int, needs: Int) -> FlowNetwork {
        let slack = sources + needs
        var network = FlowNetwork(nodeCount: slack + 1)
        let negative = random.chance(20)
        var balance: Int64 = -Int64(sources)
        for source in 0..<sources { network.setSupply(of: source, to: 1) }
        for need in 0..<needs {
            let demand = random.int64(0...4)
            network.setSupply(of: sources + need, to: -demand)
            balance += demand
        }
        network.setSupply(of: slack, to: balance)
        for source in 0..<sources {
            for _ in 0..<random.int(0...3) {
                let need = random.int(0...(needs - 1))
                network.addArc(from: source, to: sources + need, capacity: random.chance(10) ? 0 : 1,
                               cost: negative ? random.int64(-20...60) : random.int64(1...60))
            }
            network.addArc(from: source, to: slack, capacity: 1, cost: random.chance(20) ? random.int64(0...30) : 0)
        }
        for need in 0..<needs {
            let demand = -network.supply[sources + need]
            // The penalty, sometimes in two segments, sometimes below a route's cost.
            if random.chance(30) && demand > 1 {
                network.addArc(from: slack, to: sources + need, capacity: 1, cost: random.int64(10...100))
                network.addArc(from: slack, to: sources + need, capacity: demand - 1, cost: random.int64(100...300))
            } else {
                network.addArc(from: slack, to: sources + need, capacity: demand, cost: random.int64(20...300))
            }
        }
        // Need to need and need to slack arcs (finite), and a self-loop, now and then.
        if random.chance(20) && needs > 1 {
            network.addArc(from: sources, to: sources + 1, capacity: random.int64(0...3), cost: random.int64(-5...10))
        }
        if random.chance(15) { network.addArc(from: sources + needs - 1, to: slack, capacity: 2, cost: random.int64(-10...10)) }
        if random.chance(10) { network.addArc(from: 0, to: 0, capacity: 1, cost: random.int64(-5...5)) }
        return network
    }

    func testCostScalingEqualsTheSimplexOnAssignmentNetworks() throws {
        var scaled = 0
        for seed in UInt64(0)..<1500 {
            var random = SplitMix64(seed: 70_000 + seed)
            let needs = random.int(1...12)
            let network = Self.assignmentNetwork(&random, sources: random.int((needs + 1)...40), needs: needs)
            let whole = try MinCostFlow.solve(network)
            XCTAssertEqual(whole.status, .optimal, "seed \(seed)")
            XCTAssertTrue(MinCostFlow.isAssignmentShaped(network, hub: network.nodeCount - 1), "seed \(seed)")
            guard let flow = CostScaling.solve(network) else { XCTFail("seed \(seed): cost scaling gave up"); continue }
            scaled += 1
            var cost: Int64 = 0
            for arc in 0..<network.arcCount { cost += flow[arc] * network.arcCost[arc] }
            XCTAssertEqual(cost, whole.cost, "seed \(seed)")
            let problems = Self.flowProblems(network, flow, cost: cost)
            XCTAssertTrue(problems.isEmpty, "seed \(seed): \(problems.prefix(3))")
            // With a global update after every few relabels (the default waits n + s² of them,
            // which small networks never reach): the same optimum.
            guard let updated = CostScaling.solve(network, globalUpdateEvery: 1 + Int(seed % 3)) else {
                XCTFail("seed \(seed): cost scaling with global updates gave up"); continue
            }
            var updatedCost: Int64 = 0
            for arc in 0..<network.arcCount { updatedCost += updated[arc] * network.arcCost[arc] }
            XCTAssertEqual(updatedCost, whole.cost, "seed \(seed) global updates")
            XCTAssertTrue(Self.flowProblems(network, updated, cost: updatedCost).isEmpty, "seed \(seed) global updates")
            if testRun?.failureCount ?? 0 > 10 { break }
        }
        XCTAssertEqual(scaled, 1500)
    }

    /// The generated networks of the simplex's own property test: any status, any shape.
    func testPartsAgreeWithTheSimplexOnGeneralNetworks() throws {
        for seed in UInt64(0)..<3000 {
            var random = SplitMix64(seed: seed)
            try assertAgrees(MinCostFlowPropertyTests.randomNetwork(&random), "seed \(seed)")
            if testRun?.failureCount ?? 0 > 10 { break }
        }
    }

    /// Several components joined only by a hub, as the matcher's plan networks: assignment-shaped
    /// ones, transportation-shaped ones, components the hub does not touch, self-loops at the hub,
    /// sometimes an infeasible or unbounded one.
    static func hubNetwork(_ random: inout SplitMix64) -> FlowNetwork {
        var pieces: [FlowNetwork] = []
        for _ in 0..<random.int(1...6) {
            if random.chance(50) {
                pieces.append(assignmentNetwork(&random, sources: random.int(1...25), needs: random.int(1...8)))
            } else {
                let stock = (0..<random.int(1...4)).map { _ in random.int64(0...30) }
                let demand = (0..<random.int(1...5)).map { _ in random.int64(0...20) }
                var problem = TransportationProblem(stock: stock, demand: demand,
                                                    unmetPenalty: demand.map { _ in random.int64(50...300) })
                for source in 0..<problem.stock.count {
                    for sink in 0..<problem.demand.count where random.chance(60) {
                        problem.addRoute(from: source, to: sink, cost: random.int64(0...120),
                                         capacity: random.chance(60) ? FlowNetwork.unlimited : random.int64(0...25))
                    }
                }
                pieces.append(problem.network())
            }
        }
        // The union, every piece's last node (its slack) merged into one hub placed first.
        var total = 1
        for piece in pieces { total += piece.nodeCount - 1 }
        var network = FlowNetwork(nodeCount: total)
        var hubSupply: Int64 = 0
        var offset = 1
        var arcs: [(Int, Int, Int64, Int64)] = []
        for piece in pieces {
            let last = piece.nodeCount - 1
            func node(_ k: Int) -> Int { k == last ? 0 : offset + k }
            for k in 0..<last { network.setSupply(of: offset + k, to: piece.supply[k]) }
            hubSupply += piece.supply[last]
            for arc in 0..<piece.arcCount {
                arcs.append((node(Int(piece.arcSource[arc])), node(Int(piece.arcTarget[arc])), piece.arcCapacity[arc], piece.arcCost[arc]))
            }
            offset += last
        }
        network.setSupply(of: 0, to: hubSupply)
        // A component the hub does not touch, balanced or not.
        if random.chance(30) {
            let a = network.addNode(supply: 3), b = network.addNode(supply: random.chance(80) ? -3 : -2)
            arcs.append((a, b, random.int64(2...5), random.int64(-3...9)))
        }
        if random.chance(20) { arcs.append((0, 0, random.chance(30) ? FlowNetwork.unlimited : 4, random.int64(-4...4))) }
        // Interleave the arcs, so parts are not contiguous in arc order.
        for k in stride(from: arcs.count - 1, to: 0, by: -1) { arcs.swapAt(k, random.int(0...k)) }
        for (from, to, capacity, cost) in arcs { network.addArc(from: from, to: to, capacity: capacity, cost: cost) }
        return network
    }

    func testPartsAgreeWithTheWholeOnHubNetworks() throws {
        var statuses: [FlowSolution.Status: Int] = [:]
        var split = 0, scaled = 0
        for seed in UInt64(0)..<800 {
            var random = SplitMix64(seed: 90_000 + seed)
            let network = Self.hubNetwork(&random)
            let parts = try assertAgrees(network, "seed \(seed)")
            statuses[parts.solution.status, default: 0] += 1
            if parts.parts > 1 { split += 1 }
            if parts.costScalingParts > 0 { scaled += 1 }
            if testRun?.failureCount ?? 0 > 10 { break }
        }
        print("hub networks by outcome: \(statuses), split \(split), with cost scaling \(scaled)")
        XCTAssertGreaterThan(statuses[.optimal] ?? 0, 400)
        XCTAssertGreaterThan(statuses[.infeasible] ?? 0, 20)
        XCTAssertGreaterThan(statuses[.unbounded] ?? 0, 10)
        XCTAssertGreaterThan(split, 300)
        XCTAssertGreaterThan(scaled, 200)
    }

    /// Large components are parts of their own, and cost scaling takes the assignment-shaped ones.
    func testLargeComponentsAreSolvedApartWithTheSameCost() throws {
        var random = SplitMix64(seed: 4242)
        var network = FlowNetwork(nodeCount: 1)
        var hubSupply: Int64 = 0
        for _ in 0..<3 {
            let piece = Self.assignmentNetwork(&random, sources: 1_200, needs: 80)
            let offset = network.nodeCount - 1, last = piece.nodeCount - 1
            for k in 0..<last { network.addNode(supply: piece.supply[k]) }
            hubSupply += piece.supply[last]
            for arc in 0..<piece.arcCount {
                let a = Int(piece.arcSource[arc]), b = Int(piece.arcTarget[arc])
                network.addArc(from: a == last ? 0 : offset + 1 + a, to: b == last ? 0 : offset + 1 + b,
                               capacity: piece.arcCapacity[arc], cost: piece.arcCost[arc])
            }
        }
        network.setSupply(of: 0, to: hubSupply)
        try assertAgrees(network, "three assignment components")
        // The three large components, and a bundle of the sources and needs without a route.
        let parts = try MinCostFlow.solveByParts(network, costScalingNodes: 0)
        XCTAssertEqual(parts.parts, 4)
        XCTAssertEqual(parts.costScalingParts, 4)
        // Below `costScalingNodes` (1,280 nodes a part here) the simplex takes them.
        XCTAssertEqual(try MinCostFlow.solveByParts(network).costScalingParts, 0)
    }

    func testInfeasibleOutranksUnboundedAcrossParts() throws {
        // Part 1 (nodes 1, 2 with hub 0): unbounded, a negative cycle 1 → 2 → 1 of unlimited arcs.
        // Part 2 (nodes 3, 4): infeasible, 3 must send 5 over an arc of capacity 2.
        var network = FlowNetwork(nodeCount: 5)
        network.addArc(from: 0, to: 1, capacity: 1, cost: 0)
        network.addArc(from: 0, to: 2, capacity: 1, cost: 0)
        network.addArc(from: 1, to: 2, capacity: FlowNetwork.unlimited, cost: -1)
        network.addArc(from: 2, to: 1, capacity: FlowNetwork.unlimited, cost: 0)
        network.addArc(from: 0, to: 3, capacity: 1, cost: 0)
        network.addArc(from: 3, to: 4, capacity: 2, cost: 1)
        network.setSupply(of: 3, to: 5)
        network.setSupply(of: 4, to: -5)
        XCTAssertEqual(try MinCostFlow.solve(network).status, .infeasible)
        let parts = try MinCostFlow.solveByParts(network, bundleNodes: 1)
        XCTAssertEqual(parts.solution.status, .infeasible)
        XCTAssertEqual(parts.parts, 2)
        XCTAssertEqual(try MinCostFlow.solveByParts(network).solution.status, .infeasible)
        network.setSupply(of: 4, to: -2)
        network.setSupply(of: 3, to: 2)
        XCTAssertEqual(try MinCostFlow.solve(network).status, .unbounded)
        XCTAssertEqual(try MinCostFlow.solveByParts(network).solution.status, .unbounded)
        XCTAssertEqual(try MinCostFlow.solveByParts(network, bundleNodes: 1).solution.status, .unbounded)
        network.setSupply(of: 3, to: 3)
        XCTAssertEqual(try MinCostFlow.solveByParts(network).solution.status, .infeasible, "supplies do not add up")
    }

    func testTheSameNetworkGivesTheSameFlow() throws {
        var random = SplitMix64(seed: 5)
        let network = Self.hubNetwork(&random)
        let first = try MinCostFlow.solveByParts(network)
        for _ in 0..<3 { XCTAssertEqual(try MinCostFlow.solveByParts(network), first) }
        let people = PeopleBenchmarkInstance.province.network(seed: 3)
        let answer = try MinCostFlow.solveByParts(people, costScalingNodes: 0)
        XCTAssertEqual(answer.costScalingParts, PeopleBenchmarkInstance.province.skills)
        XCTAssertEqual(try MinCostFlow.solveByParts(people, costScalingNodes: 0), answer)
    }

    // MARK: Limits

    /// Costs that pass the simplex's limits but not cost scaling's: the part falls back to the
    /// simplex. Costs cost scaling takes, near its limit: the same optimum. Nothing traps.
    func testLargeCostsFallBackOrStayExact() throws {
        var fell = 0, kept = 0
        for (seed, shift) in [(1, 57), (2, 55), (3, 53), (4, 50), (5, 40)] {
            var random = SplitMix64(seed: UInt64(seed))
            let base = Self.assignmentNetwork(&random, sources: 6, needs: 2)
            var network = FlowNetwork(nodeCount: base.nodeCount)
            for node in 0..<base.nodeCount { network.setSupply(of: node, to: base.supply[node]) }
            for arc in 0..<base.arcCount {
                let cost = base.arcCost[arc] == 0 ? 0 : (Int64(1) << shift) / 64 * base.arcCost[arc] / 8
                network.addArc(from: Int(base.arcSource[arc]), to: Int(base.arcTarget[arc]), capacity: base.arcCapacity[arc], cost: cost)
            }
            let parts = try assertAgrees(network, "shift \(shift)")
            XCTAssertEqual(parts.solution.status, .optimal)
            // Cost scaling takes |cost| × (nodes + 1) × 16 < 2^61 only.
            let largest = network.arcCost.map { $0.magnitude }.max() ?? 0
            let fits = largest * UInt64(network.nodeCount + 1) * 16 < (1 << 61)
            // Within them it may still give up (a price past −2^61); then the simplex answers.
            let scaled = CostScaling.solve(network)
            if !fits { XCTAssertNil(scaled, "shift \(shift)") }
            if scaled != nil { kept += 1 } else { fell += 1 }
        }
        XCTAssertGreaterThan(fell, 0)
        XCTAssertGreaterThan(kept, 0)
        // The simplex's own limit is refused the same way by parts.
        var tooLarge = FlowNetwork(nodeCount: 2)
        tooLarge.setSupply(of: 0, to: 1)
        tooLarge.setSupply(of: 1, to: -1)
        tooLarge.addArc(from: 0, to: 1, capacity: 1, cost: .max)
        XCTAssertThrowsError(try MinCostFlow.solveByParts(tooLarge)) { error in
            XCTAssertEqual(error as? FlowNetworkError, .costTooLarge(maxAbsCost: .max, nodes: 2))
        }
    }

    // MARK: The generator

    func testThePeopleInstancesAreDeterministic() {
        let first = PeopleBenchmarkInstance.province.network(seed: 7)
        XCTAssertEqual(first.nodeCount, 31_001)
        XCTAssertGreaterThan(first.arcCount, 70_000)
        XCTAssertLessThan(first.arcCount, 82_000)
        XCTAssertEqual(first.supply.reduce(0, +), 0)
        XCTAssertEqual(PeopleBenchmarkInstance.province.network(seed: 7), first)
        XCTAssertNotEqual(PeopleBenchmarkInstance.province.network(seed: 8).arcCost, first.arcCost)
        let layout = PartLayout(first)
        XCTAssertEqual(layout.hub, 31_000, "the slack node is the hub")
        XCTAssertGreaterThanOrEqual(layout.partCount, PeopleBenchmarkInstance.province.skills)
    }
}
