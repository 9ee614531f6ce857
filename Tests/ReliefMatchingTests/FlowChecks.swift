import XCTest
@testable import ReliefMatching

/// Checks of a returned optimal flow that do not trust the solver: conservation, bounds, the cost,
/// the complementary slackness of the returned potentials, and (independently of them) no negative
/// cycle in the residual graph.
enum FlowChecks {
    static func problems(_ network: FlowNetwork, _ solution: FlowSolution) -> [String] {
        var found: [String] = []
        let n = network.nodeCount
        let m = network.arcCount
        guard solution.flow.count == m else { return ["\(solution.flow.count) flows for \(m) arcs"] }
        guard solution.potential.count == n else { return ["\(solution.potential.count) potentials for \(n) nodes"] }
        var balance = [Int64](repeating: 0, count: n)
        var cost: Int64 = 0
        for arc in 0..<m {
            let flow = solution.flow[arc]
            let capacity = network.arcCapacity[arc]
            if flow < 0 || (capacity != FlowNetwork.unlimited && flow > capacity) {
                found.append("arc \(arc) carries \(flow), capacity \(capacity)")
            }
            let source = Int(network.arcSource[arc])
            let target = Int(network.arcTarget[arc])
            balance[source] += flow
            balance[target] -= flow
            cost += flow * network.arcCost[arc]
            let reduced = network.arcCost[arc] + solution.potential[source] - solution.potential[target]
            if reduced < 0 && (capacity == FlowNetwork.unlimited || flow < capacity) {
                found.append("arc \(arc) has reduced cost \(reduced) but room for more flow")
            }
            if reduced > 0 && flow > 0 {
                found.append("arc \(arc) has reduced cost \(reduced) but carries \(flow)")
            }
        }
        for node in 0..<n where balance[node] != network.supply[node] {
            found.append("node \(node) sends \(balance[node]) net, supply \(network.supply[node])")
        }
        if cost != solution.cost { found.append("cost \(solution.cost) but flows cost \(cost)") }

        var residual: [ReferenceSolver.Residual] = []
        for arc in 0..<m {
            let source = Int(network.arcSource[arc])
            let target = Int(network.arcTarget[arc])
            if network.arcCapacity[arc] == FlowNetwork.unlimited || solution.flow[arc] < network.arcCapacity[arc] {
                residual.append(.init(from: source, to: target, cost: network.arcCost[arc], arc: arc, forward: true))
            }
            if solution.flow[arc] > 0 {
                residual.append(.init(from: target, to: source, cost: -network.arcCost[arc], arc: arc, forward: false))
            }
        }
        if ReferenceSolver.negativeCycle(nodes: n, arcs: residual) != nil {
            found.append("the residual graph has a negative cycle")
        }
        return found
    }

    static func assertOptimal(_ network: FlowNetwork, _ solution: FlowSolution, _ context: String = "",
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(solution.status, .optimal, context, file: file, line: line)
        guard solution.status == .optimal else { return }
        let found = problems(network, solution)
        XCTAssertTrue(found.isEmpty, "\(context): \(found.prefix(5).joined(separator: "; "))", file: file, line: line)
    }
}
