/// Min-cost flow by parts: the network is cut at one hub node into parts that are solved on their
/// own, each with the algorithm suited to its shape. What `reliefctl solve` runs.
///
/// ## Why the cut is exact
/// Take the hub h = the node of highest degree (ties: the lowest index; in a plan network it is the
/// slack node) and the weakly connected components C₁…C_k of the network without h (arcs touching h
/// left out). Every arc either lies inside one Cᵢ, or joins h and one Cᵢ, or is a self-loop at h.
/// Part i is Cᵢ, the arcs inside it and the arcs between it and h, with h replaced by a copy hᵢ of
/// its own whose supply is −Sᵢ, where Sᵢ is the sum of the supplies of Cᵢ.
/// - A feasible flow f of the whole network restricts to a feasible flow of every part: the nodes
///   of Cᵢ see exactly the arcs they saw before; adding up conservation over the nodes of Cᵢ, the
///   arcs inside Cᵢ cancel, so the net flow from Cᵢ to h is Sᵢ, i.e. hᵢ sends −Sᵢ net, its supply.
/// - Conversely, feasible flows of every part add up to a feasible flow of the whole network:
///   capacities are per arc and each arc is in one part; the nodes of Cᵢ balance as in part i; h
///   sends Σᵢ(−Sᵢ) net (a self-loop sends nothing net) = −Σ_{v≠h} supply(v) = supply(h) exactly
///   when the supplies add up to zero, which is checked first (otherwise the whole is infeasible).
/// - The cost of a flow is the sum of its parts' costs. So the whole is feasible exactly when every
///   part is; then it is unbounded exactly when some part is (a part's unbounded direction, added
///   to feasible flows of the others), and otherwise an optimal flow is the union of optimal flows
///   of the parts, at the sum of their costs. A component that no arc joins to h is simply a
///   weakly connected component of the whole network and needs no copy; self-loops at h form a
///   part of one node with supply 0. Several components may share one part (one copy of h with the
///   sum of their −Sᵢ): the same argument applies to their union, and small components are
///   bundled that way so that a hundred thousand singletons are not a hundred thousand solves.
///
/// ## Algorithms
/// An assignment-shaped part — people → needs: every node that supplies sends exactly 1 and only
/// over arcs of capacity at most 1, and such unit sources are at least half of the part's nodes —
/// of at least `costScalingNodes` nodes (below that the simplex is faster: measurements there)
/// is solved by cost scaling (CostScaling.swift), provided the part is feasible by construction
/// (every source can send its supply to the hub copy and every sink receive its demand from it,
/// as in the matcher's networks with their slack node), has no arc of unlimited capacity, and
/// its scaled costs stay in the limits cost scaling checks; any other part by the network simplex
/// (`MinCostFlow.solve`), as is the whole network when the cut leaves one part.
///
/// Status precedence as `MinCostFlow.solve`: `.infeasible` when any part is infeasible (or the
/// supplies do not add up to zero), otherwise `.unbounded` when any part is, otherwise `.optimal`.
/// Errors: the same limits as `MinCostFlow.solve`, checked on the whole network first, so the same
/// networks throw; except `.costOverflow`, which a split network throws only when its optimal cost
/// does not fit in 64 bits (summed in 128), where `solve` also throws when a partial sum in arc
/// order does not. Deterministic: parts are formed and solved in node order, one after another,
/// and each algorithm is deterministic, so the same network gives the same flow.
///
/// The solution carries no potentials (`potential` is empty): callers that need a dual proof use
/// `MinCostFlow.solve`. `pivots` counts the network simplex pivots of the parts it solved.
public struct PartsSolution: Sendable, Equatable {
    public var solution: FlowSolution
    /// Parts solved (1 when the network was solved whole).
    public var parts: Int
    /// Of those, the parts solved by cost scaling.
    public var costScalingParts: Int
}

extension MinCostFlow {
    /// Components smaller than this many nodes are bundled into one part until it reaches this size.
    public static let bundleNodes = 1_024

    /// Assignment-shaped parts of fewer nodes go to the network simplex, which is faster there.
    /// Measured on this project's instances (2026-12, reliefctl solve, one core): the province
    /// people instance's six parts of about 5,200 nodes took 80 ms by simplex and 130 ms by cost
    /// scaling; the country one's twelve parts of about 26,000 nodes 8.9 s by simplex and 2.2 s by
    /// cost scaling; the matcher's province plan network (people parts of 5,100 nodes and less,
    /// few of them needed) 15–17 ms all by simplex and 19 ms with cost scaling.
    public static let costScalingNodes = 8_000

    /// Solves `network` part by part (see `PartsSolution`). `costScalingNodes`: the smallest
    /// assignment-shaped part that goes to cost scaling (`.max`: none, 0: all); `bundleNodes: 1`
    /// makes every component a part of its own (both for checking).
    public static func solveByParts(_ network: FlowNetwork, costScalingNodes: Int = MinCostFlow.costScalingNodes,
                                    bundleNodes: Int = MinCostFlow.bundleNodes) throws(FlowNetworkError) -> PartsSolution {
        let limits = try checkLimits(network)
        let n = network.nodeCount, m = network.arcCount
        guard n > 0 else {
            return PartsSolution(solution: FlowSolution(status: .optimal, cost: 0, flow: [], potential: [], pivots: 0),
                                 parts: 0, costScalingParts: 0)
        }
        guard limits.supplySum == 0 else {
            return PartsSolution(solution: FlowSolution(status: .infeasible, cost: 0, flow: [], potential: [], pivots: 0),
                                 parts: 0, costScalingParts: 0)
        }
        let layout = PartLayout(network, bundleNodes: bundleNodes)
        var flow = [Int64](repeating: 0, count: m)
        var pivots = 0
        var costScalingParts = 0
        var unbounded = false

        for part in 0..<layout.partCount {
            let local = layout.localNetwork(part, of: network)
            let outcome = try solvePart(local.network, hub: local.hub, costScalingNodes: costScalingNodes,
                                        limits: layout.whole ? limits : nil)
            pivots += outcome.solution.pivots
            if outcome.costScaled { costScalingParts += 1 }
            switch outcome.solution.status {
            case .infeasible:
                return PartsSolution(solution: FlowSolution(status: .infeasible, cost: 0, flow: [], potential: [], pivots: pivots),
                                     parts: layout.partCount, costScalingParts: costScalingParts)
            case .unbounded:
                unbounded = true
            case .optimal:
                if layout.whole {
                    if !outcome.costScaled {
                        // The simplex summed the cost as below already.
                        return PartsSolution(solution: outcome.solution, parts: 1, costScalingParts: 0)
                    }
                    flow = outcome.solution.flow
                } else {
                    let partFlow = outcome.solution.flow
                    for (k, arc) in local.arcs.enumerated() { flow[arc] = partFlow[k] }
                }
            }
        }
        if unbounded {
            return PartsSolution(solution: FlowSolution(status: .unbounded, cost: 0, flow: [], potential: [], pivots: pivots),
                                 parts: layout.partCount, costScalingParts: costScalingParts)
        }
        // Summed in 128 bits (each term is below 2^62 × 2^60): `.costOverflow` exactly when the
        // optimal cost itself does not fit in an Int64, whichever optimal flow was found.
        var total: Int128 = 0
        for arc in 0..<m where flow[arc] != 0 { total += Int128(flow[arc]) * Int128(network.arcCost[arc]) }
        guard let cost = Int64(exactly: total) else { throw .costOverflow }
        return PartsSolution(solution: FlowSolution(status: .optimal, cost: cost, flow: flow, potential: [], pivots: pivots),
                             parts: layout.partCount, costScalingParts: costScalingParts)
    }

    /// One part, by cost scaling when it is assignment-shaped and cost scaling can take it,
    /// otherwise by the network simplex.
    /// `limits`: those of `network` when already checked (the whole network).
    static func solvePart(_ network: FlowNetwork, hub: Int?, costScalingNodes: Int,
                          limits: (supplySum: Int64, artificialCost: Int64)?) throws(FlowNetworkError) -> (solution: FlowSolution, costScaled: Bool) {
        if network.nodeCount >= costScalingNodes, let hub, isAssignmentShaped(network, hub: hub),
           let flow = CostScaling.solve(network) {
            return (FlowSolution(status: .optimal, cost: 0, flow: flow, potential: [], pivots: 0), true)
        }
        if let limits { return (try solve(network, limits: limits), false) }
        // A part: its cost is not needed (the whole's is summed from the flows).
        return (try solve(network, limits: checkLimits(network), sumCost: false), false)
    }

    /// Assignment-shaped and feasible through `hub` by construction (see `PartsSolution`).
    static func isAssignmentShaped(_ network: FlowNetwork, hub: Int) -> Bool {
        let n = network.nodeCount
        var unitSources = 0
        for node in 0..<n where node != hub {
            let amount = network.supply[node]
            if amount > 1 { return false }
            if amount == 1 { unitSources += 1 }
        }
        guard unitSources * 2 >= n else { return false }
        // What each node can send to the hub and receive from it.
        var toHub = [Int64](repeating: 0, count: n)
        var fromHub = [Int64](repeating: 0, count: n)
        for arc in 0..<network.arcCount {
            let from = Int(network.arcSource[arc]), to = Int(network.arcTarget[arc])
            let capacity = network.arcCapacity[arc]
            if capacity == FlowNetwork.unlimited { return false }
            if from != hub && network.supply[from] == 1 && capacity > 1 { return false }
            // Capacities add up below 2^62 (checkLimits), so these sums cannot overflow.
            if to == hub && from != hub { toHub[from] += capacity }
            if from == hub && to != hub { fromHub[to] += capacity }
        }
        for node in 0..<n where node != hub {
            let amount = network.supply[node]
            if amount > 0 && toHub[node] < amount { return false }
            if amount < 0 && fromHub[node] < -amount { return false }
        }
        return true
    }
}

/// Which part each node and arc falls in (see `PartsSolution`), with both listed part by part in
/// ascending order.
struct PartLayout {
    /// The hub, or -1 when there is none (a network without arcs).
    let hub: Int
    let partCount: Int
    /// Nodes of part p (without the hub): `nodes[nodeStart[p]..<nodeStart[p+1]]`; arcs likewise.
    let nodeStart: [Int]
    let nodes: [Int32]
    let arcStart: [Int]
    let arcs: [Int32]
    /// Whether part p holds a copy of the hub.
    let hasHub: [Bool]
    /// Each node's index in its part's own network (the hub: -1).
    let position: [Int32]
    /// The network is one part: the lists above are empty, and the part is the network itself.
    let whole: Bool

    init(_ network: FlowNetwork, bundleNodes: Int = MinCostFlow.bundleNodes) {
        let n = network.nodeCount, m = network.arcCount
        var degree = [Int32](repeating: 0, count: n)
        var parent = [Int32](repeating: 0, count: n)
        var hub = -1
        var hubLoops = false
        var connected = false
        network.arcSource.withUnsafeBufferPointer { source in
        network.arcTarget.withUnsafeBufferPointer { target in
        degree.withUnsafeMutableBufferPointer { degree in
        parent.withUnsafeMutableBufferPointer { parent in
            var loops = false
            for arc in 0..<m {
                let a = source[arc], b = target[arc]
                degree[Int(a)] += 1
                degree[Int(b)] += 1
                if a == b { loops = true }
            }
            var best: Int32 = 0
            for node in 0..<n where degree[node] > best { best = degree[node]; hub = node }
            if loops {
                for arc in 0..<m where Int(source[arc]) == hub && Int(target[arc]) == hub { hubLoops = true; break }
            }
            // Union-find over the arcs that do not touch the hub; the root is the lowest node.
            for node in 0..<n { parent[node] = Int32(node) }
            @inline(__always) func find(_ x: Int32) -> Int32 {
                var x = x
                while parent[Int(x)] != x {
                    let up = parent[Int(parent[Int(x)])]
                    parent[Int(x)] = up
                    x = up
                }
                return x
            }
            // Arcs taken in strides (every `stride`-th from 0, then from 1, …), so that a network
            // that stays connected is found so after a small sample of its arcs rather than all
            // (input order groups arcs by node): the search stops once one component is left. The
            // components do not depend on the order (each root is its lowest node).
            let h = Int32(hub)
            let stride = max(m / max(n, 1), 1)
            var components = hub >= 0 ? n - 1 : n
            search: for first in 0..<stride {
                var arc = first
                while arc < m {
                    let a = source[arc], b = target[arc]
                    arc += stride
                    if a == h || b == h { continue }
                    let ra = find(a), rb = find(b)
                    if ra != rb {
                        parent[Int(max(ra, rb))] = min(ra, rb)
                        components -= 1
                        if components == 1 { break search }
                    }
                }
            }
            connected = components == 1
            if !connected || hubLoops {
                for node in 0..<n { parent[node] = find(Int32(node)) }
            }
        }}}}
        if connected && !hubLoops {
            // One part: the network itself (the common case of a transportation network).
            self.init(whole: network, hub: hub)
            return
        }
        // Components in order of their lowest node; sizes and whether an arc joins them to the hub.
        var componentOfRoot = [Int32](repeating: -1, count: n)
        var componentSize: [Int] = []
        for node in 0..<n where node != hub {
            let root = Int(parent[node])
            if componentOfRoot[root] < 0 {
                componentOfRoot[root] = Int32(componentSize.count)
                componentSize.append(0)
            }
            componentSize[Int(componentOfRoot[root])] += 1
        }
        var touchesHub = [Bool](repeating: false, count: componentSize.count)
        for arc in 0..<m {
            let a = Int(network.arcSource[arc]), b = Int(network.arcTarget[arc])
            if a == hub && b == hub { continue }
            else if a == hub { touchesHub[Int(componentOfRoot[Int(parent[b])])] = true }
            else if b == hub { touchesHub[Int(componentOfRoot[Int(parent[a])])] = true }
        }
        if componentSize.count + (hubLoops ? 1 : 0) <= 1 {
            self.init(whole: network, hub: hub)
            return
        }
        // Parts: a component of at least `bundleNodes` nodes alone, smaller ones bundled in order.
        var partOfComponent = [Int32](repeating: 0, count: componentSize.count)
        var partHasHub: [Bool] = []
        var bundle = -1, bundleSize = 0
        for component in 0..<componentSize.count {
            if componentSize[component] >= bundleNodes {
                partOfComponent[component] = Int32(partHasHub.count)
                partHasHub.append(touchesHub[component])
                continue
            }
            if bundle < 0 || bundleSize >= bundleNodes {
                bundle = partHasHub.count
                bundleSize = 0
                partHasHub.append(false)
            }
            partOfComponent[component] = Int32(bundle)
            bundleSize += componentSize[component]
            if touchesHub[component] { partHasHub[bundle] = true }
        }
        var hubLoopPart = -1
        if hubLoops {
            hubLoopPart = partHasHub.count
            partHasHub.append(true)
        }
        let parts = partHasHub.count
        var partOfNode = [Int32](repeating: -1, count: n)
        for node in 0..<n where node != hub {
            partOfNode[node] = partOfComponent[Int(componentOfRoot[Int(parent[node])])]
        }
        // Counting sort, stable: nodes and arcs part by part, ascending within a part.
        var nodeStart = [Int](repeating: 0, count: parts + 1)
        for node in 0..<n where node != hub { nodeStart[Int(partOfNode[node]) + 1] += 1 }
        for p in 0..<parts { nodeStart[p + 1] += nodeStart[p] }
        var nodes = [Int32](repeating: 0, count: nodeStart[parts])
        var position = [Int32](repeating: -1, count: n)
        var fill = nodeStart
        for node in 0..<n where node != hub {
            let p = Int(partOfNode[node])
            nodes[fill[p]] = Int32(node)
            position[node] = Int32(fill[p] - nodeStart[p])
            fill[p] += 1
        }
        var partOfArc = [Int32](repeating: 0, count: m)
        var arcStart = [Int](repeating: 0, count: parts + 1)
        for arc in 0..<m {
            let a = Int(network.arcSource[arc]), b = Int(network.arcTarget[arc])
            let p = a != hub ? Int(partOfNode[a]) : (b != hub ? Int(partOfNode[b]) : hubLoopPart)
            partOfArc[arc] = Int32(p)
            arcStart[p + 1] += 1
        }
        for p in 0..<parts { arcStart[p + 1] += arcStart[p] }
        var arcs = [Int32](repeating: 0, count: m)
        fill = arcStart
        for arc in 0..<m {
            let p = Int(partOfArc[arc])
            arcs[fill[p]] = Int32(arc)
            fill[p] += 1
        }
        self.init(hub: hub, partCount: parts, nodeStart: nodeStart, nodes: nodes, arcStart: arcStart, arcs: arcs,
                  hasHub: partHasHub, position: position, whole: false)
    }

    /// The network as one part.
    private init(whole network: FlowNetwork, hub: Int) {
        self.init(hub: hub, partCount: 1, nodeStart: [], nodes: [], arcStart: [], arcs: [], hasHub: [hub >= 0],
                  position: [], whole: true)
    }

    private init(hub: Int, partCount: Int, nodeStart: [Int], nodes: [Int32], arcStart: [Int], arcs: [Int32],
                 hasHub: [Bool], position: [Int32], whole: Bool) {
        self.hub = hub
        self.partCount = partCount
        self.nodeStart = nodeStart
        self.nodes = nodes
        self.arcStart = arcStart
        self.arcs = arcs
        self.hasHub = hasHub
        self.position = position
        self.whole = whole
    }

    /// Part p as a network of its own: its nodes in ascending order, then the hub's copy (if it
    /// has one) with supply −(the sum of the others); its arcs in ascending order, and the arc of
    /// the network each one is. When the part is the whole network: the network itself, and no list.
    func localNetwork(_ p: Int, of network: FlowNetwork) -> (network: FlowNetwork, arcs: [Int], hub: Int?) {
        if whole { return (network, [], hub >= 0 ? hub : nil) }
        let members = nodes[nodeStart[p]..<nodeStart[p + 1]]
        let partArcs = arcs[arcStart[p]..<arcStart[p + 1]]
        var local = FlowNetwork(nodeCount: members.count + (hasHub[p] ? 1 : 0))
        let copy = hasHub[p] ? members.count : -1
        var balance: Int64 = 0
        for (k, node) in members.enumerated() {
            let amount = network.supply[Int(node)]
            local.setSupply(of: k, to: amount)
            balance &-= amount
        }
        if copy >= 0 { local.setSupply(of: copy, to: balance) }
        local.reserveCapacity(arcs: partArcs.count)
        var arcList: [Int] = []
        arcList.reserveCapacity(partArcs.count)
        for arc in partArcs {
            let a = Int(arc)
            let from = network.arcSource[a], to = network.arcTarget[a]
            let f = Int(from) == hub ? copy : Int(position[Int(from)])
            let t = Int(to) == hub ? copy : Int(position[Int(to)])
            local.addArc(from: f, to: t, capacity: network.arcCapacity[a], cost: network.arcCost[a])
            arcList.append(a)
        }
        return (local, arcList, copy >= 0 ? copy : nil)
    }
}
