/// The network of a plan falls apart into components: sources and needs joined by candidate arcs
/// (supplies of one item near each other, volunteers and needs of overlapping skill pools). Only
/// the slack node joins them, and through it nothing can pass from one component to another that
/// is not an unmet unit there and unused stock or people here, at the same cost either way. So an
/// optimal flow of the whole network is the union of optimal flows of each component with a slack
/// node of its own (supply = its demand − its supply), and the unmet penalties are already set per
/// component (`unmetPenalties`). Network simplex is superlinear in the size of the network, so
/// about a thousand solves of a few hundred nodes (country scale) take far less than one solve of
/// their union; they are independent, so they may also run on several threads. Each component's
/// flow depends only on that component, so the plan is the same whatever the thread count.
struct Components {
    /// Per component, ascending: its sources, its needs (indices into `NetworkBuilder.sources` and
    /// `.needs`) and its candidate arcs (indices into `NetworkBuilder.candidates`). Components are
    /// numbered in the order of their first need; every component has at least one need.
    var sources: [[Int]] = []
    var needs: [[Int]] = []
    var candidates: [[Int]] = []
    /// Per source, then per need (after `NetworkBuilder.sources.count`): its node in its
    /// component's own network (the component's sources first, then its needs, then its slack).
    var local: [Int] = []

    var count: Int { needs.count }
}

extension NetworkBuilder {
    /// The components of sources and needs joined by candidate arcs (union-find).
    func components() -> Components {
        let sourceCount = sources.count, needCount = needs.count
        var parent = Array(0..<(sourceCount + needCount))
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        for candidate in candidates {
            let a = find(candidate.source), b = find(sourceCount + candidate.need)
            if a != b { parent[max(a, b)] = min(a, b) }
        }
        var parts = Components()
        var numberOfRoot = [Int](repeating: -1, count: sourceCount + needCount)
        for need in 0..<needCount {
            let root = find(sourceCount + need)
            if numberOfRoot[root] < 0 {
                numberOfRoot[root] = parts.needs.count
                parts.needs.append([])
            }
            parts.needs[numberOfRoot[root]].append(need)
        }
        parts.sources = Array(repeating: [], count: parts.count)
        parts.candidates = Array(repeating: [], count: parts.count)
        for source in 0..<sourceCount {
            // Every source has a candidate arc, so its component has a need.
            parts.sources[numberOfRoot[find(source)]].append(source)
        }
        for (index, candidate) in candidates.enumerated() {
            parts.candidates[numberOfRoot[find(candidate.source)]].append(index)
        }
        parts.local = Array(repeating: 0, count: sourceCount + needCount)
        for component in 0..<parts.count {
            let s = parts.sources[component].count
            for (k, source) in parts.sources[component].enumerated() { parts.local[source] = k }
            for (k, need) in parts.needs[component].enumerated() { parts.local[sourceCount + need] = s + k }
        }
        return parts
    }

    /// An optimal flow of the whole network (candidate arcs, then one arc source → slack per source,
    /// then from `unmetArcs` the unmet segments slack → need of every need, need after need;
    /// `arcCount` arcs in all), found by solving each component on its own.
    func solveByComponent(_ parts: Components, segments: UnmetSegments, unmetArcs: Int, arcCount: Int) throws(MatchingError) -> FlowSolution {
        var flow = [Int64](repeating: 0, count: arcCount)
        var cost: Int64 = 0
        var pivots = 0
        for component in 0..<parts.count {
            let outcome = try solveComponent(component, parts, segments: segments, unmetArcs: unmetArcs, into: &flow)
            let (sum, overflow) = cost.addingReportingOverflow(outcome.cost)
            guard !overflow else { throw .tooLarge(FlowNetworkError.costOverflow.description) }
            cost = sum
            pivots += outcome.pivots
        }
        return FlowSolution(status: .optimal, cost: cost, flow: flow, potential: [], pivots: pivots)
    }

    /// Solves one component with a slack node of its own and writes its flows into `flow`, at the
    /// arcs of the whole network.
    func solveComponent(_ component: Int, _ parts: Components, segments: UnmetSegments, unmetArcs: Int,
                        into flow: inout [Int64]) throws(MatchingError) -> (cost: Int64, pivots: Int) {
        let members = parts.needs[component], suppliers = parts.sources[component], arcs = parts.candidates[component]
        let sourceArcs = candidates.count
        if arcs.isEmpty {
            // A need nobody can serve: all of it unmet, every segment full.
            var cost: Int64 = 0
            for need in members {
                for k in segments.range(of: need) {
                    flow[unmetArcs + k] = segments.capacity[k]
                    let (term, overflowTerm) = segments.capacity[k].multipliedReportingOverflow(by: segments.penalty[k])
                    let (sum, overflowSum) = cost.addingReportingOverflow(term)
                    guard !overflowTerm && !overflowSum else { throw .tooLarge(FlowNetworkError.costOverflow.description) }
                    cost = sum
                }
            }
            for source in suppliers { flow[sourceArcs + source] = sourceSupply[source] }
            return (cost, 0)
        }

        // Local nodes: its sources, its needs, its slack.
        let s = suppliers.count, n = members.count
        let slack = s + n
        var network = FlowNetwork(nodeCount: slack + 1)
        var segmentCount = 0
        for need in members { segmentCount += segments.range(of: need).count }
        network.reserveCapacity(arcs: arcs.count + s + segmentCount)
        var balance: Int64 = 0
        for (k, source) in suppliers.enumerated() {
            network.setSupply(of: k, to: sourceSupply[source])
            balance -= sourceSupply[source]
        }
        for (k, need) in members.enumerated() {
            network.setSupply(of: s + k, to: -needs[need].missing)
            balance += needs[need].missing
        }
        network.setSupply(of: slack, to: balance)
        for arc in arcs {
            let candidate = candidates[arc]
            network.addArc(from: parts.local[candidate.source], to: parts.local[sources.count + candidate.need], capacity: candidate.capacity,
                           cost: candidate.unitCost)
        }
        for (k, source) in suppliers.enumerated() { network.addArc(from: k, to: slack, capacity: sourceSupply[source], cost: 0) }
        for (k, need) in members.enumerated() {
            for segment in segments.range(of: need) {
                network.addArc(from: slack, to: s + k, capacity: segments.capacity[segment], cost: segments.penalty[segment])
            }
        }

        let solution: FlowSolution
        do {
            solution = try MinCostFlow.solve(network)
        } catch {
            throw .tooLarge(error.description)
        }
        precondition(solution.status == .optimal, "a matching network with a slack node is always feasible and bounded")
        for (k, arc) in arcs.enumerated() { flow[arc] = solution.flow[k] }
        for (k, source) in suppliers.enumerated() { flow[sourceArcs + source] = solution.flow[arcs.count + k] }
        var local = arcs.count + s
        for need in members {
            for segment in segments.range(of: need) {
                flow[unmetArcs + segment] = solution.flow[local]
                local += 1
            }
        }
        return (solution.cost, solution.pivots)
    }
}
