import XCTest
@testable import ReliefMatching

final class TransportationTests: XCTestCase {
    func testScarceStockGoesToTheHigherPenaltyFirst() throws {
        var problem = TransportationProblem(stock: [5, 3], demand: [4, 6], unmetPenalty: [100, 10])
        problem.addRoute(from: 0, to: 0, cost: 1)
        problem.addRoute(from: 0, to: 1, cost: 2)
        problem.addRoute(from: 1, to: 1, cost: 1)
        let plan = try problem.solve()
        XCTAssertEqual(plan.status, .optimal)
        XCTAssertEqual(plan.shipped, [4, 1, 3])
        XCTAssertEqual(plan.unmet, [0, 2])
        XCTAssertEqual(plan.unused, [0, 0])
        XCTAssertEqual(plan.cost, 4 + 2 + 3 + 2 * 10)
    }

    func testSurplusStockStaysWhereItIs() throws {
        var problem = TransportationProblem(stock: [10, 4], demand: [3], unmetPenalty: [50])
        problem.addRoute(from: 0, to: 0, cost: 5)
        problem.addRoute(from: 1, to: 0, cost: 7, capacity: 2)
        let plan = try problem.solve()
        XCTAssertEqual(plan.shipped, [3, 0])
        XCTAssertEqual(plan.unused, [7, 4])
        XCTAssertEqual(plan.unmet, [0])
        XCTAssertEqual(plan.cost, 15)
    }

    /// A penalty below the route cost leaves the need unmet: callers must price unmet need above
    /// any route they would rather use.
    func testAPenaltyBelowTheRouteCostLeavesTheNeedUnmet() throws {
        var problem = TransportationProblem(stock: [5], demand: [5], unmetPenalty: [2])
        problem.addRoute(from: 0, to: 0, cost: 3)
        let plan = try problem.solve()
        XCTAssertEqual(plan.shipped, [0])
        XCTAssertEqual(plan.unmet, [5])
        XCTAssertEqual(plan.cost, 10)
    }

    func testRouteCapacityAndNoRouteAtAll() throws {
        var problem = TransportationProblem(stock: [9], demand: [4, 4], unmetPenalty: [30, 30])
        problem.addRoute(from: 0, to: 0, cost: 1, capacity: 3)
        let plan = try problem.solve()
        XCTAssertEqual(plan.shipped, [3])
        XCTAssertEqual(plan.unmet, [1, 4])
        XCTAssertEqual(plan.unused, [6])
        XCTAssertEqual(plan.cost, 3 + 5 * 30)
    }

    func testTheNetworkLayoutIsAsDocumented() {
        var problem = TransportationProblem(stock: [5, 3], demand: [4, 6], unmetPenalty: [100, 10])
        problem.addRoute(from: 1, to: 0, cost: 9)
        let network = problem.network()
        XCTAssertEqual(network.supply, [5, 3, -4, -6, 2])
        XCTAssertEqual(network.arcSource, [1, 0, 1, 4, 4])
        XCTAssertEqual(network.arcTarget, [2, 4, 4, 2, 3])
        XCTAssertEqual(network.arcCapacity, [FlowNetwork.unlimited, 5, 3, 4, 6])
        XCTAssertEqual(network.arcCost, [9, 0, 0, 100, 10])
    }

    /// The generated benchmark instances are what their documentation says, and stay the same
    /// for a seed.
    func testTheProvinceBenchmarkInstanceIsDeterministic() {
        let first = BenchmarkInstance.province.transportation(seed: 7)
        XCTAssertEqual(first.sourceCount, 150)
        XCTAssertEqual(first.sinkCount, 1_000)
        XCTAssertEqual(first.routeCount, 150_000)
        XCTAssertLessThan(first.stock.reduce(0, +), first.demand.reduce(0, +))
        XCTAssertEqual(BenchmarkInstance.province.transportation(seed: 7), first)
        XCTAssertNotEqual(BenchmarkInstance.province.transportation(seed: 8).routeCost, first.routeCost)
    }

    func testNearestSelection() {
        var values: [Double] = [5, 1, 4, 1, 3, 9, 2, 6]
        XCTAssertEqual(BenchmarkInstance.kthSmallest(&values, 0), 1)
        values = [5, 1, 4, 1, 3, 9, 2, 6]
        XCTAssertEqual(BenchmarkInstance.kthSmallest(&values, 2), 2)
        values = [5, 1, 4, 1, 3, 9, 2, 6]
        XCTAssertEqual(BenchmarkInstance.kthSmallest(&values, 3), 3)
        values = [5, 1, 4, 1, 3, 9, 2, 6]
        XCTAssertEqual(BenchmarkInstance.kthSmallest(&values, 7), 9)
    }
}
