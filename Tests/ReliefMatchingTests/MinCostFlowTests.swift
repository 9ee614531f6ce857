import XCTest
@testable import ReliefMatching

/// Small instances whose answers are worked out by hand.
final class MinCostFlowTests: XCTestCase {
    private func network(_ nodes: Int, supply: [Int: Int64] = [:], arcs: [(Int, Int, Int64, Int64)]) -> FlowNetwork {
        var network = FlowNetwork(nodeCount: nodes)
        for (node, amount) in supply { network.setSupply(of: node, to: amount) }
        for (from, to, capacity, cost) in arcs { network.addArc(from: from, to: to, capacity: capacity, cost: cost) }
        return network
    }

    private let unlimited = FlowNetwork.unlimited

    func testTwoPathsTakeTheCheaperFirst() throws {
        let net = network(4, supply: [0: 5, 3: -5], arcs: [(0, 1, 3, 1), (1, 3, 3, 1), (0, 2, 10, 2), (2, 3, 10, 2)])
        let solution = try MinCostFlow.solve(net)
        XCTAssertEqual(solution.status, .optimal)
        XCTAssertEqual(solution.cost, 3 * 2 + 2 * 4)
        XCTAssertEqual(solution.flow, [3, 3, 2, 2])
        FlowChecks.assertOptimal(net, solution)
    }

    /// The classic textbook instance (Ahuja, Magnanti & Orlin, fig. 9.1 shape): 4 nodes, 5 arcs.
    func testSmallTextbookInstance() throws {
        let net = network(4, supply: [0: 4, 3: -4],
                          arcs: [(0, 1, 4, 2), (0, 2, 2, 2), (1, 2, 2, 1), (1, 3, 3, 3), (2, 3, 5, 1)])
        let solution = try MinCostFlow.solve(net)
        // Best: 2 units 0→2→3 (cost 3 each), 2 units 0→1→2→3 (cost 4 each) = 14.
        XCTAssertEqual(solution.cost, 14)
        XCTAssertEqual(solution.flow, [2, 2, 2, 0, 4])
        FlowChecks.assertOptimal(net, solution)
    }

    func testParallelArcsFillTheCheapestFirst() throws {
        let net = network(2, supply: [0: 7, 1: -7], arcs: [(0, 1, 4, 5), (0, 1, 2, 1), (0, 1, 10, 3)])
        let solution = try MinCostFlow.solve(net)
        XCTAssertEqual(solution.flow, [0, 2, 5])
        XCTAssertEqual(solution.cost, 2 * 1 + 5 * 3)
    }

    func testUnbalancedSuppliesAreInfeasible() throws {
        let net = network(2, supply: [0: 5, 1: -4], arcs: [(0, 1, 10, 1)])
        XCTAssertEqual(try MinCostFlow.solve(net).status, .infeasible)
    }

    func testTooLittleCapacityIsInfeasible() throws {
        let net = network(3, supply: [0: 5, 2: -5], arcs: [(0, 1, 10, 1), (1, 2, 4, 1)])
        let solution = try MinCostFlow.solve(net)
        XCTAssertEqual(solution.status, .infeasible)
        XCTAssertTrue(solution.flow.isEmpty)
    }

    func testNoPathIsInfeasible() throws {
        let net = network(3, supply: [0: 1, 2: -1], arcs: [(2, 0, 5, 1), (1, 2, 5, 1)])
        XCTAssertEqual(try MinCostFlow.solve(net).status, .infeasible)
    }

    func testNegativeCycleOfUnlimitedArcsIsUnbounded() throws {
        let net = network(3, supply: [0: 2, 2: -2],
                          arcs: [(0, 1, 5, 1), (1, 2, unlimited, 1), (2, 1, unlimited, -3)])
        XCTAssertEqual(try MinCostFlow.solve(net).status, .unbounded)
    }

    func testAnUnboundedCycleInAnInfeasibleNetworkIsInfeasible() throws {
        // The negative unlimited cycle 1⇄2 exists, but node 0's supply cannot leave it.
        let net = network(3, supply: [0: 2, 2: -2], arcs: [(1, 2, unlimited, 1), (2, 1, unlimited, -3)])
        XCTAssertEqual(try MinCostFlow.solve(net).status, .infeasible)
    }

    func testNegativeCycleWithFiniteCapacityIsSaturated() throws {
        let net = network(3, arcs: [(0, 1, 4, -1), (1, 2, 6, -1), (2, 0, unlimited, -1)])
        let solution = try MinCostFlow.solve(net)
        XCTAssertEqual(solution.flow, [4, 4, 4])
        XCTAssertEqual(solution.cost, -12)
        FlowChecks.assertOptimal(net, solution)
    }

    func testNegativeSelfLoopIsSaturatedOrUnbounded() throws {
        let finite = network(1, arcs: [(0, 0, 3, -2), (0, 0, 9, 4)])
        let solution = try MinCostFlow.solve(finite)
        XCTAssertEqual(solution.flow, [3, 0])
        XCTAssertEqual(solution.cost, -6)
        XCTAssertEqual(try MinCostFlow.solve(network(1, arcs: [(0, 0, unlimited, -1)])).status, .unbounded)
    }

    func testZeroCostCycleKeepsTheCostAndTheAnswerIsDeterministic() throws {
        let net = network(4, supply: [0: 3, 3: -3],
                          arcs: [(0, 1, 5, 2), (1, 2, 5, 0), (2, 1, 5, 0), (2, 3, 5, 1), (1, 3, 5, 1), (0, 2, 5, 2)])
        let first = try MinCostFlow.solve(net)
        XCTAssertEqual(first.cost, 9)
        FlowChecks.assertOptimal(net, first)
        for _ in 0..<3 { XCTAssertEqual(try MinCostFlow.solve(net), first) }
    }

    func testDegenerateCases() throws {
        let empty = try MinCostFlow.solve(FlowNetwork(nodeCount: 0))
        XCTAssertEqual(empty, FlowSolution(status: .optimal, cost: 0, flow: [], potential: [], pivots: 0))

        let isolated = try MinCostFlow.solve(FlowNetwork(nodeCount: 3))
        XCTAssertEqual(isolated.status, .optimal)
        XCTAssertEqual(isolated.cost, 0)
        XCTAssertEqual(isolated.potential.count, 3)

        // Zero capacities, zero supplies, an arc that would pay to be used but cannot be.
        let zero = network(2, arcs: [(0, 1, 0, -5), (1, 0, 0, -5)])
        let solution = try MinCostFlow.solve(zero)
        XCTAssertEqual(solution.flow, [0, 0])
        FlowChecks.assertOptimal(zero, solution)

        // Supply exactly equal to capacity along a single path.
        let tight = network(3, supply: [0: 4, 2: -4], arcs: [(0, 1, 4, 1), (1, 2, 4, 1)])
        XCTAssertEqual(try MinCostFlow.solve(tight).flow, [4, 4])
    }

    func testDisconnectedComponentsAreSolvedSeparately() throws {
        let net = network(4, supply: [0: 2, 1: -2, 2: 3, 3: -3], arcs: [(0, 1, 5, 4), (2, 3, 5, 7), (2, 3, 1, 1)])
        let solution = try MinCostFlow.solve(net)
        XCTAssertEqual(solution.cost, 23)  // 2 × 4, then 1 × 1 and 2 × 7
        FlowChecks.assertOptimal(net, solution)
    }

    func testNegativeCostArcsWithoutCycles() throws {
        let net = network(3, supply: [0: 2, 2: -2], arcs: [(0, 1, 2, -5), (1, 2, 2, 3), (0, 2, 2, -1)])
        let solution = try MinCostFlow.solve(net)
        XCTAssertEqual(solution.cost, -4)
        FlowChecks.assertOptimal(net, solution)
    }

    func testPotentialsProveOptimality() throws {
        let net = network(5, supply: [0: 6, 1: 2, 4: -8],
                          arcs: [(0, 1, 4, 1), (0, 2, 3, 4), (1, 3, 6, 2), (2, 4, 5, 1), (3, 4, 5, 3), (1, 2, 2, 1)])
        let solution = try MinCostFlow.solve(net)
        XCTAssertEqual(solution.status, .optimal)
        XCTAssertTrue(FlowChecks.problems(net, solution).isEmpty)
    }

    // MARK: Limits

    func testCostsTooLargeForExactArithmeticAreRefused() {
        let net = network(2, supply: [0: 1, 1: -1], arcs: [(0, 1, 1, Int64(1) << 60)])
        XCTAssertThrowsError(try MinCostFlow.solve(net)) { error in
            guard case FlowNetworkError.costTooLarge = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try MinCostFlow.solve(network(2, arcs: [(0, 1, 1, .min)])))
        // Found by the dimacs fuzz target: a cost of ±Int64.max trapped (maxAbsCost + 1) instead.
        for cost in [Int64.max, -Int64.max] {
            XCTAssertThrowsError(try MinCostFlow.solve(network(2, supply: [0: 1, 1: -1], arcs: [(0, 1, 1, cost)]))) { error in
                XCTAssertEqual(error as? FlowNetworkError, .costTooLarge(maxAbsCost: .max, nodes: 2))
            }
        }
    }

    func testFlowsTooLargeForExactArithmeticAreRefused() {
        let net = network(2, arcs: [(0, 1, Int64(1) << 61, 1), (0, 1, Int64(1) << 61, 1)])
        XCTAssertEqual(solveError(net), .flowTooLarge)
        let supply = network(2, supply: [0: .max - 1, 1: -(.max - 1)], arcs: [(0, 1, unlimited, 1)])
        XCTAssertEqual(solveError(supply), .flowTooLarge)
    }

    func testAnOptimalCostBeyondInt64IsAnError() {
        // 2^60 units at cost 8 each: the flows and the costs are fine, their product is not.
        let net = network(2, supply: [0: 1 << 60, 1: -(1 << 60)], arcs: [(0, 1, unlimited, 8)])
        XCTAssertEqual(solveError(net), .costOverflow)
    }

    /// Relief sizes: costs of 1e9 per unit and 1e7 units per arc stay exact.
    func testReliefSizedNumbersStayExact() throws {
        let net = network(3, supply: [0: 10_000_000, 2: -10_000_000],
                          arcs: [(0, 1, 10_000_000, 1_000_000_000), (1, 2, unlimited, 999_999_999), (0, 2, 5_000_000, 2_000_000_000)])
        let solution = try MinCostFlow.solve(net)
        XCTAssertEqual(solution.cost, 10_000_000 * 1_999_999_999)
        FlowChecks.assertOptimal(net, solution)
    }
}

private func solveError(_ network: FlowNetwork) -> FlowNetworkError? {
    do {
        _ = try MinCostFlow.solve(network)
        return nil
    } catch {
        return error
    }
}
