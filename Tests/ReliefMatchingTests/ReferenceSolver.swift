@testable import ReliefMatching

/// An independent, deliberately simple min-cost-flow solver to check the network simplex against:
/// a feasible flow by Edmonds–Karp max flow from a super source to a super sink, then cycle
/// canceling with Bellman–Ford on the residual graph. Exponential in the worst case; meant for
/// instances of a few dozen arcs. Shares nothing with NetworkSimplex but FlowNetwork's arrays.
enum ReferenceSolver {
    struct Answer: Equatable {
        var status: FlowSolution.Status
        var cost: Int64
    }

    static func solve(_ network: FlowNetwork) -> Answer {
        let n = network.nodeCount
        let m = network.arcCount
        if network.supply.reduce(0, +) != 0 { return Answer(status: .infeasible, cost: 0) }

        // Unbounded (given feasibility) exactly when the unlimited arcs alone hold a negative cycle.
        var unlimitedArcs: [Residual] = []
        for arc in 0..<m where network.arcCapacity[arc] == FlowNetwork.unlimited {
            unlimitedArcs.append(Residual(from: Int(network.arcSource[arc]), to: Int(network.arcTarget[arc]),
                                          cost: network.arcCost[arc], arc: arc, forward: true))
        }
        let unbounded = negativeCycle(nodes: n, arcs: unlimitedArcs) != nil

        // Feasibility by max flow. An unlimited arc never needs more than every supply together.
        let total = network.supply.filter { $0 > 0 }.reduce(0, +)
        var flow = [Int64](repeating: 0, count: m)
        guard feasibleFlow(network, total: total, into: &flow) else { return Answer(status: .infeasible, cost: 0) }
        if unbounded { return Answer(status: .unbounded, cost: 0) }

        // Cancel negative residual cycles until none is left; none can be unlimited now.
        while true {
            var residual: [Residual] = []
            for arc in 0..<m {
                let from = Int(network.arcSource[arc])
                let to = Int(network.arcTarget[arc])
                if network.arcCapacity[arc] == FlowNetwork.unlimited || flow[arc] < network.arcCapacity[arc] {
                    residual.append(Residual(from: from, to: to, cost: network.arcCost[arc], arc: arc, forward: true))
                }
                if flow[arc] > 0 {
                    residual.append(Residual(from: to, to: from, cost: -network.arcCost[arc], arc: arc, forward: false))
                }
            }
            guard let cycle = negativeCycle(nodes: n, arcs: residual) else { break }
            var amount = Int64.max
            for step in cycle {
                let r = residual[step]
                let room = r.forward
                    ? (network.arcCapacity[r.arc] == FlowNetwork.unlimited ? Int64.max : network.arcCapacity[r.arc] - flow[r.arc])
                    : flow[r.arc]
                amount = min(amount, room)
            }
            precondition(amount > 0 && amount < Int64.max)
            for step in cycle {
                let r = residual[step]
                flow[r.arc] += r.forward ? amount : -amount
            }
        }
        var cost: Int64 = 0
        for arc in 0..<m { cost += flow[arc] * network.arcCost[arc] }
        return Answer(status: .optimal, cost: cost)
    }

    struct Residual {
        var from: Int
        var to: Int
        var cost: Int64
        var arc: Int
        var forward: Bool
    }

    /// Indices into `arcs` of a negative cycle, or nil (Bellman–Ford from a virtual source).
    static func negativeCycle(nodes n: Int, arcs: [Residual]) -> [Int]? {
        var distance = [Int64](repeating: 0, count: n)
        var predecessor = [Int](repeating: -1, count: n)
        var relaxed = -1
        for _ in 0..<n {
            relaxed = -1
            for (index, arc) in arcs.enumerated() where distance[arc.from] + arc.cost < distance[arc.to] {
                distance[arc.to] = distance[arc.from] + arc.cost
                predecessor[arc.to] = index
                relaxed = arc.to
            }
            if relaxed < 0 { return nil }
        }
        // Still relaxing after n rounds: walking back n steps lands on the cycle.
        var node = relaxed
        for _ in 0..<n { node = arcs[predecessor[node]].from }
        var cycle: [Int] = []
        var current = node
        repeat {
            let index = predecessor[current]
            cycle.append(index)
            current = arcs[index].from
        } while current != node
        return cycle
    }

    /// Edmonds–Karp from a super source to a super sink; true when every supply is sent.
    static func feasibleFlow(_ network: FlowNetwork, total: Int64, into flow: inout [Int64]) -> Bool {
        let n = network.nodeCount
        let m = network.arcCount
        let s = n
        let t = n + 1
        // Edges 2k / 2k+1 are an edge and its reverse. Network arcs first, then the super arcs.
        var head: [Int] = []
        var room: [Int64] = []
        var adjacency = [[Int]](repeating: [], count: n + 2)
        func add(_ from: Int, _ to: Int, _ capacity: Int64) {
            adjacency[from].append(head.count)
            head.append(to)
            room.append(capacity)
            adjacency[to].append(head.count)
            head.append(from)
            room.append(0)
        }
        for arc in 0..<m {
            let capacity = network.arcCapacity[arc] == FlowNetwork.unlimited ? total : network.arcCapacity[arc]
            add(Int(network.arcSource[arc]), Int(network.arcTarget[arc]), capacity)
        }
        for node in 0..<n {
            if network.supply[node] > 0 { add(s, node, network.supply[node]) }
            if network.supply[node] < 0 { add(node, t, -network.supply[node]) }
        }
        var sent: Int64 = 0
        while true {
            var via = [Int](repeating: -1, count: n + 2)
            var queue = [s]
            var cursor = 0
            var reached = false
            while cursor < queue.count && !reached {
                let node = queue[cursor]
                cursor += 1
                for edge in adjacency[node] where room[edge] > 0 && via[head[edge]] < 0 && head[edge] != s {
                    via[head[edge]] = edge
                    if head[edge] == t { reached = true; break }
                    queue.append(head[edge])
                }
            }
            guard reached else { break }
            var amount = Int64.max
            var node = t
            while node != s { amount = min(amount, room[via[node]]); node = head[via[node] ^ 1] }
            node = t
            while node != s { room[via[node]] -= amount; room[via[node] ^ 1] += amount; node = head[via[node] ^ 1] }
            sent += amount
        }
        for arc in 0..<m { flow[arc] = room[2 * arc + 1] }
        return sent == total
    }
}
