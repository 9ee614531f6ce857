import XCTest
@testable import ReliefMatching

final class MinCostFlowTests: XCTestCase {
    func testTwoPathsTakeTheCheaperFirst() throws {
        var network = FlowNetwork(nodeCount: 4)
        network.setSupply(of: 0, to: 5)
        network.setSupply(of: 3, to: -5)
        network.addArc(from: 0, to: 1, capacity: 3, cost: 1)
        network.addArc(from: 1, to: 3, capacity: 3, cost: 1)
        network.addArc(from: 0, to: 2, capacity: 10, cost: 2)
        network.addArc(from: 2, to: 3, capacity: 10, cost: 2)
        let solution = try MinCostFlow.solve(network)
        XCTAssertEqual(solution.status, .optimal)
        XCTAssertEqual(solution.cost, 3 * 2 + 2 * 4)
        XCTAssertEqual(solution.flow, [3, 3, 2, 2])
    }
}
