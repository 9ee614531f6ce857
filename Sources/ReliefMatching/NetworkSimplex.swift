/// The primal network simplex method on one network, in flat arrays.
///
/// The design follows LEMON's NetworkSimplex (Kovács, "Minimum-cost flow algorithms: an experimental
/// evaluation", 2015) and networkx's network_simplex: an artificial root joined to every node by an
/// artificial arc starts a strongly feasible spanning tree (big-M costs drive the artificial flow
/// out); block search picks the entering arc (scan blocks of about √arcs arcs, take the most
/// violating arc of the first block that has one, resume after it next time); the leaving arc is
/// the last blocking arc of the cycle in its orientation from the join node, which keeps the tree
/// strongly feasible and so the method cannot cycle.
///
/// The spanning tree is stored as parent / arc to parent / direction of that arc per node, a
/// preorder thread through all nodes (next and previous), the size of each subtree and the last
/// node of each subtree in the thread. A pivot cuts the subtree below the leaving arc out of the
/// thread, re-roots it at the entering arc's endpoint (reversing the path between them), links it
/// under the other endpoint, and shifts the potentials of that subtree only.
///
/// Memory is raw buffers owned by this object, carved from one block (SolverMemory.swift): the hot
/// loops run without bounds or uniqueness checks. Indices are Int32; flows, capacities, costs and potentials Int64 (MinCostFlow checks
/// beforehand that nothing can overflow). Not thread-safe; each solve makes its own.
final class NetworkSimplex {
    enum Outcome: Equatable { case optimal, infeasible, unbounded }

    /// Arc states: in the tree, or out of it at its lower bound (0) or upper bound (capacity).
    /// The sign makes `state × reduced cost < 0` the test for an improving arc.
    static let atLower: Int8 = 1
    static let inTree: Int8 = 0
    static let atUpper: Int8 = -1

    /// Residual capacity of an unlimited arc.
    static let infinite: Int64 = FlowNetwork.unlimited

    let nodeCount: Int
    /// Real arcs; the artificial arc of node v is `arcCount + v`.
    let arcCount: Int
    let root: Int32
    /// Kept for the debug check of flow conservation.
    let supply: [Int64]
    /// The real arcs are stored mixed (every `skip`-th arc of the input in turn), as LEMON does, so a
    /// block of the search samples the whole network rather than one region of it.
    let inputArc: UnsafeMutablePointer<Int32>

    let source: UnsafeMutablePointer<Int32>
    let target: UnsafeMutablePointer<Int32>
    let capacity: UnsafeMutablePointer<Int64>
    let cost: UnsafeMutablePointer<Int64>
    let flow: UnsafeMutablePointer<Int64>
    let state: UnsafeMutablePointer<Int8>

    let potential: UnsafeMutablePointer<Int64>
    let parent: UnsafeMutablePointer<Int32>
    /// The tree arc joining a node to its parent, and +1 when it points up (node → parent), -1 when down.
    let predArc: UnsafeMutablePointer<Int32>
    let predDirection: UnsafeMutablePointer<Int8>
    let thread: UnsafeMutablePointer<Int32>
    let revThread: UnsafeMutablePointer<Int32>
    let subtreeSize: UnsafeMutablePointer<Int32>
    let lastInSubtree: UnsafeMutablePointer<Int32>
    /// Scratch for the path that a pivot reverses.
    let stem: UnsafeMutablePointer<Int32>

    /// Where every array above lives (one block).
    let memory: SolverMemory
    let blockSize: Int
    var nextArc = 0
    private(set) var pivots = 0

    init(_ network: FlowNetwork, artificialCost: Int64, zeroCosts: Bool) {
        let n = network.nodeCount
        let m = network.arcCount
        precondition(n > 0)
        nodeCount = n
        arcCount = m
        root = Int32(n)
        supply = network.supply
        let allArcs = m + n
        var bytes = SolverMemory.bytes(Int32.self, m) + 2 * SolverMemory.bytes(Int32.self, allArcs)
            + 3 * SolverMemory.bytes(Int64.self, allArcs) + SolverMemory.bytes(Int8.self, allArcs)
        bytes += SolverMemory.bytes(Int64.self, n + 1) + 7 * SolverMemory.bytes(Int32.self, n + 1)
            + SolverMemory.bytes(Int8.self, n + 1)
        var memory = SolverMemory(bytes: bytes)
        inputArc = memory.take(Int32.self, m)
        source = memory.take(Int32.self, allArcs)
        target = memory.take(Int32.self, allArcs)
        capacity = memory.take(Int64.self, allArcs)
        cost = memory.take(Int64.self, allArcs)
        flow = memory.take(Int64.self, allArcs)
        state = memory.take(Int8.self, allArcs)
        potential = memory.take(Int64.self, n + 1)
        parent = memory.take(Int32.self, n + 1)
        predArc = memory.take(Int32.self, n + 1)
        predDirection = memory.take(Int8.self, n + 1)
        thread = memory.take(Int32.self, n + 1)
        revThread = memory.take(Int32.self, n + 1)
        subtreeSize = memory.take(Int32.self, n + 1)
        lastInSubtree = memory.take(Int32.self, n + 1)
        stem = memory.take(Int32.self, n + 1)
        self.memory = memory

        var root2 = 1
        while root2 * root2 < m { root2 += 1 }
        blockSize = max(root2, 10)

        // Input arc k of round r goes to slot r + k·skip (round r takes every skip-th slot from r
        // on, in input order). Filled slot by slot, so the writes run in order and the reads come
        // from a window of `skip` places in each input array.
        let skip = max(m / n, 3)
        var roundStart = [Int](repeating: 0, count: skip + 1)
        for r in 0..<skip {
            let slots = r < m ? (m - r + skip - 1) / skip : 0
            roundStart[r + 1] = roundStart[r] + slots
        }
        network.arcSource.withUnsafeBufferPointer { arcSource in
        network.arcTarget.withUnsafeBufferPointer { arcTarget in
        network.arcCapacity.withUnsafeBufferPointer { arcCapacity in
        network.arcCost.withUnsafeBufferPointer { arcCost in
            var slot = 0
            var k = 0
            while slot < m {
                for r in 0..<skip where slot < m {
                    let arc = roundStart[r] + k
                    inputArc[slot] = Int32(arc)
                    source[slot] = arcSource[arc]
                    target[slot] = arcTarget[arc]
                    capacity[slot] = arcCapacity[arc]
                    cost[slot] = zeroCosts ? 0 : arcCost[arc]
                    slot += 1
                }
                k += 1
            }
        }}}}
        flow.initialize(repeating: 0, count: m)
        state.initialize(repeating: NetworkSimplex.atLower, count: m)

        // The starting tree: every node hangs from the root by its artificial arc, which carries the
        // node's supply (up, cost 0) or demand (down, cost M).
        parent[n] = -1
        predArc[n] = -1
        predDirection[n] = 0
        thread[n] = 0
        revThread[0] = root
        subtreeSize[n] = Int32(n + 1)
        lastInSubtree[n] = Int32(n - 1)
        potential[n] = 0
        for node in 0..<n {
            let arc = m + node
            parent[node] = root
            predArc[node] = Int32(arc)
            thread[node] = Int32(node + 1)
            revThread[node + 1] = Int32(node)
            subtreeSize[node] = 1
            lastInSubtree[node] = Int32(node)
            capacity[arc] = NetworkSimplex.infinite
            state[arc] = NetworkSimplex.inTree
            let amount = network.supply[node]
            if amount >= 0 {
                predDirection[node] = 1
                potential[node] = 0
                source[arc] = Int32(node)
                target[arc] = root
                flow[arc] = amount
                cost[arc] = 0
            } else {
                predDirection[node] = -1
                potential[node] = artificialCost
                source[arc] = root
                target[arc] = Int32(node)
                flow[arc] = -amount
                cost[arc] = artificialCost
            }
        }
    }

    deinit {
        memory.release()
    }

    // MARK: - Running

    func run() -> Outcome {
        if !initialPivots() { return .unbounded }
        while true {
            let entering = findEnteringArc()
            if entering < 0 { break }
            if !pivot(entering) { return .unbounded }
        }
        for node in 0..<nodeCount where flow[arcCount + node] != 0 {
            return .infeasible
        }
        return .optimal
    }

    /// The flow on each real arc, in the input's order.
    func arcFlows() -> [Int64] {
        var result = [Int64](repeating: 0, count: arcCount)
        result.withUnsafeMutableBufferPointer { out in
            for slot in 0..<arcCount { out[Int(inputArc[slot])] = flow[slot] }
        }
        return result
    }

    func nodePotentials() -> [Int64] {
        Array(UnsafeBufferPointer(start: potential, count: nodeCount))
    }

    @inline(__always)
    func reducedCost(_ arc: Int) -> Int64 {
        // Wrapping operators: MinCostFlow.checkLimits bounds every cost and potential, so these
        // cannot overflow, and the hot loop carries no overflow branches.
        cost[arc] &+ potential[Int(source[arc])] &- potential[Int(target[arc])]
    }

    /// Before the search: bring each demand node's cheapest incoming arc into the tree. On
    /// transportation-shaped networks this replaces most of the artificial arcs at once.
    /// Returns false when a pivot finds the cost unbounded.
    private func initialPivots() -> Bool {
        var hasSupply = false
        var cheapestIn = [Int32](repeating: -1, count: nodeCount)
        for node in 0..<nodeCount where predDirection[node] == 1 && flow[arcCount + node] > 0 {
            hasSupply = true
            break
        }
        guard hasSupply else { return true }
        for arc in 0..<arcCount {
            let head = Int(target[arc])
            guard predDirection[head] == -1 else { continue }  // demand nodes hang down from the root
            let best = cheapestIn[head]
            if best < 0 || cost[arc] < cost[Int(best)] { cheapestIn[head] = Int32(arc) }
        }
        for node in 0..<nodeCount {
            let arc = Int(cheapestIn[node])
            guard arc >= 0, Int64(state[arc]) * reducedCost(arc) < 0 else { continue }
            if !pivot(arc) { return false }
        }
        return true
    }

    /// Block search: the most violating arc of the first block (from where the last search stopped)
    /// that has one; -1 when no arc violates optimality.
    private func findEnteringArc() -> Int {
        let m = arcCount
        var best = -1
        var bestViolation: Int64 = 0
        var left = blockSize
        var arc = nextArc
        for _ in 0..<m {
            let violation = Int64(state[arc]) &* reducedCost(arc)
            if violation < bestViolation {
                bestViolation = violation
                best = arc
            }
            arc += 1
            if arc == m { arc = 0 }
            left -= 1
            if left == 0 {
                if best >= 0 { break }
                left = blockSize
            }
        }
        nextArc = arc
        return best
    }

    // MARK: - One pivot

    /// Sends flow around the cycle that `entering` closes and updates the tree. Returns false when
    /// the cycle has unlimited capacity (the cost is unbounded).
    private func pivot(_ entering: Int) -> Bool {
        pivots += 1
        // The join node: the first common ancestor of the arc's endpoints.
        var u = source[entering]
        var v = target[entering]
        while u != v {
            if subtreeSize[Int(u)] < subtreeSize[Int(v)] { u = parent[Int(u)] } else { v = parent[Int(v)] }
        }
        let join = u

        // The cycle is oriented along the entering arc when it is at its lower bound, against it
        // at its upper bound: from `first` over the arc to `second`, up to the join, down to `first`.
        let first: Int32
        let second: Int32
        if state[entering] == NetworkSimplex.atLower {
            (first, second) = (source[entering], target[entering])
        } else {
            (first, second) = (target[entering], source[entering])
        }
        var delta = capacity[entering]
        var leavingNode: Int32 = -1
        var leavingSide = 0
        // Down from the join to `first`: a tree arc pointing down gains flow, pointing up loses it.
        // Strict `<` here and `<=` on the other side pick the last blocking arc in cycle order.
        var node = first
        while node != join {
            let n = Int(node)
            let arc = Int(predArc[n])
            let residual = predDirection[n] == -1 ? residualUp(arc) : flow[arc]
            if residual < delta {
                delta = residual
                leavingNode = node
                leavingSide = 1
            }
            node = parent[n]
        }
        // Up from `second` to the join: an arc pointing up gains flow.
        node = second
        while node != join {
            let n = Int(node)
            let arc = Int(predArc[n])
            let residual = predDirection[n] == 1 ? residualUp(arc) : flow[arc]
            if residual <= delta {
                delta = residual
                leavingNode = node
                leavingSide = 2
            }
            node = parent[n]
        }
        if delta == NetworkSimplex.infinite { return false }

        if delta > 0 {
            let amount = Int64(state[entering]) * delta
            flow[entering] += amount
            node = source[entering]
            while node != join {
                let n = Int(node)
                flow[Int(predArc[n])] &-= Int64(predDirection[n]) &* amount
                node = parent[n]
            }
            node = target[entering]
            while node != join {
                let n = Int(node)
                flow[Int(predArc[n])] &+= Int64(predDirection[n]) &* amount
                node = parent[n]
            }
        }

        guard leavingSide != 0 else {
            // The entering arc is its own bottleneck: it moves to its other bound, the tree stays.
            state[entering] = -state[entering]
            return true
        }
        let leaving = Int(predArc[Int(leavingNode)])
        state[entering] = NetworkSimplex.inTree
        state[leaving] = flow[leaving] == 0 ? NetworkSimplex.atLower : NetworkSimplex.atUpper

        // The endpoint of the entering arc inside the subtree that leaves, and the one outside.
        let (inner, outer) = leavingSide == 1 ? (first, second) : (second, first)
        cut(leavingNode, join: join)
        reroot(at: inner, oldRoot: leavingNode)
        link(inner, under: outer, by: Int32(entering), join: join)
        assert(nodeCount > 64 || treeProblem() == nil, treeProblem() ?? "")
        return true
    }

    @inline(__always)
    private func residualUp(_ arc: Int) -> Int64 {
        let c = capacity[arc]
        return c == NetworkSimplex.infinite ? NetworkSimplex.infinite : c - flow[arc]
    }

    /// Detaches the subtree of `top` from its parent; its thread becomes a circle of its own.
    /// Subtree sizes are updated only up to the join node: the subtree is linked back below it.
    private func cut(_ top: Int32, join: Int32) {
        let t = Int(top)
        let before = revThread[t]
        let last = lastInSubtree[t]
        let after = thread[Int(last)]
        thread[Int(before)] = after
        revThread[Int(after)] = before
        thread[Int(last)] = top
        revThread[t] = last

        let size = subtreeSize[t]
        var node = parent[t]
        while node != join {
            subtreeSize[Int(node)] &-= size
            node = parent[Int(node)]
        }
        node = parent[t]
        while node >= 0 && lastInSubtree[Int(node)] == last {
            lastInSubtree[Int(node)] = before
            node = parent[Int(node)]
        }
        parent[t] = -1
    }

    /// Re-roots the detached subtree of `oldRoot` at `newRoot`, one step down the path at a time:
    /// the current root becomes a child of the next node on the path, through the same arc.
    private func reroot(at newRoot: Int32, oldRoot: Int32) {
        var count = 0
        var node = newRoot
        while node != oldRoot {
            stem[count] = node
            count += 1
            node = parent[Int(node)]
        }
        var top = oldRoot
        while count > 0 {
            count -= 1
            let child = stem[count]
            let p = Int(top)
            let q = Int(child)
            let sizeTop = subtreeSize[p]
            var lastTop = lastInSubtree[p]
            let beforeChild = revThread[q]
            let lastChild = lastInSubtree[q]
            let afterChild = thread[Int(lastChild)]
            // Take the child's subtree out of the circle...
            thread[Int(beforeChild)] = afterChild
            revThread[Int(afterChild)] = beforeChild
            if lastTop == lastChild { lastTop = beforeChild }
            lastInSubtree[p] = lastTop
            // ...and close the circle again as: child's subtree, then what remains of top's.
            thread[Int(lastChild)] = top
            revThread[p] = lastChild
            thread[Int(lastTop)] = child
            revThread[q] = lastTop
            lastInSubtree[q] = lastTop
            subtreeSize[p] = sizeTop - subtreeSize[q]
            subtreeSize[q] = sizeTop
            parent[p] = child
            parent[q] = -1
            predArc[p] = predArc[q]
            predDirection[p] = -predDirection[q]
            top = child
        }
    }

    /// Hangs the detached subtree rooted at `top` under `newParent` through `arc`, right after
    /// `newParent` in the thread, and shifts its potentials so the arc's reduced cost is zero.
    private func link(_ top: Int32, under newParent: Int32, by arc: Int32, join: Int32) {
        let t = Int(top)
        let p = Int(newParent)
        let last = lastInSubtree[t]
        let after = thread[p]
        thread[p] = top
        revThread[t] = newParent
        thread[Int(last)] = after
        revThread[Int(after)] = last
        parent[t] = newParent
        predArc[t] = arc
        predDirection[t] = source[Int(arc)] == top ? 1 : -1

        let size = subtreeSize[t]
        var node = newParent
        while node != join {
            subtreeSize[Int(node)] &+= size
            node = parent[Int(node)]
        }
        node = newParent
        while node >= 0 && lastInSubtree[Int(node)] == newParent {
            lastInSubtree[Int(node)] = last
            node = parent[Int(node)]
        }

        // Up arc: cost + π(top) - π(parent) = 0; down arc: cost + π(parent) - π(top) = 0.
        let wanted = potential[p] - Int64(predDirection[t]) * cost[Int(arc)]
        let shift = wanted - potential[t]
        if shift != 0 {
            var member = top
            for _ in 0..<Int(size) {
                potential[Int(member)] &+= shift
                member = thread[Int(member)]
            }
        }
    }

    // MARK: - Checking (debug builds, small networks)

    /// What is wrong with the spanning tree, or nil: thread order, sizes, last nodes, tree arcs, flow
    /// bounds, conservation and zero reduced cost on tree arcs.
    func treeProblem() -> String? {
        let n = nodeCount
        var seen = [Bool](repeating: false, count: n + 1)
        var order: [Int32] = []
        var node = root
        for _ in 0...n {
            if seen[Int(node)] { return "thread revisits node \(node)" }
            seen[Int(node)] = true
            order.append(node)
            if revThread[Int(thread[Int(node)])] != node { return "revThread of \(thread[Int(node)]) is not \(node)" }
            node = thread[Int(node)]
        }
        if node != root { return "thread does not return to the root" }
        var position = [Int](repeating: 0, count: n + 1)
        for (index, member) in order.enumerated() { position[Int(member)] = index }
        var size = [Int32](repeating: 1, count: n + 1)
        for member in order.reversed() where member != root {
            let p = parent[Int(member)]
            if p < 0 { return "node \(member) has no parent" }
            if position[Int(p)] >= position[Int(member)] { return "parent \(p) of \(member) comes after it" }
            size[Int(p)] += size[Int(member)]
            let arc = Int(predArc[Int(member)])
            if state[arc] != NetworkSimplex.inTree { return "tree arc \(arc) not marked in tree" }
            let up = source[arc] == member && target[arc] == p
            let down = source[arc] == p && target[arc] == member
            if !(up && predDirection[Int(member)] == 1) && !(down && predDirection[Int(member)] == -1) {
                return "arc \(arc) does not join \(member) to its parent \(p) in direction \(predDirection[Int(member)])"
            }
            if reducedCost(arc) != 0 { return "tree arc \(arc) has reduced cost \(reducedCost(arc))" }
        }
        for member in 0...n {
            if size[member] != subtreeSize[member] { return "subtree size of \(member) is \(subtreeSize[member]), not \(size[member])" }
            let last = order[position[member] + Int(size[member]) - 1]
            if last != lastInSubtree[member] { return "last of \(member) is \(lastInSubtree[member]), not \(last)" }
        }
        var balance = [Int64](repeating: 0, count: n + 1)
        for arc in 0..<(arcCount + n) {
            if flow[arc] < 0 || (capacity[arc] != NetworkSimplex.infinite && flow[arc] > capacity[arc]) {
                return "arc \(arc) flow \(flow[arc]) outside [0, \(capacity[arc])]"
            }
            if state[arc] == NetworkSimplex.atLower && flow[arc] != 0 { return "arc \(arc) at lower bound carries \(flow[arc])" }
            if state[arc] == NetworkSimplex.atUpper && flow[arc] != capacity[arc] { return "arc \(arc) at upper bound carries \(flow[arc])" }
            balance[Int(source[arc])] += flow[arc]
            balance[Int(target[arc])] -= flow[arc]
        }
        for member in 0..<n where balance[member] != supply[member] {
            return "node \(member) sends \(balance[member]) net, its supply is \(supply[member])"
        }
        if balance[n] != 0 { return "root is not balanced" }
        return nil
    }
}
