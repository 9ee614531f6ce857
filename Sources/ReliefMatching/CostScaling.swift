/// Minimum-cost flow by cost scaling with partial augment–relabel (Goldberg, "An efficient
/// implementation of a scaling minimum-cost flow algorithm", 1997), for the assignment-shaped parts
/// of `MinCostFlow.solveByParts`.
///
/// The design follows LEMON's CostScaling with its default method (Kovács 2015): costs multiplied by
/// α·(n+1) with α = 16, ε starting at the largest scaled |cost| / α and divided by α each phase down
/// to 1. A phase saturates every residual arc of negative reduced cost, then takes active nodes
/// (positive excess) first in, first out and pushes their excess along admissible paths (reduced
/// cost < 0) of at most 4 arcs, relabelling a node that has no admissible arc left (its price drops
/// to the lowest reduced cost out of it plus ε). Two heuristics make it fast: price refinement (from
/// the second phase on, before the phase: if the admissible network is acyclic, ranks along it
/// may show that the current flow is already ε-optimal, and the phase is skipped) and global update
/// (after every n + s² relabels, s the number of sources: prices set from ε-rounded distances to
/// the nodes with deficit). After the phase with ε = 1 the flow is 1/(α(n+1))-optimal for the
/// original costs, less than 1/n, so it is optimal (integer costs).
///
/// Preconditions, checked by the caller (`MinCostFlow.isAssignmentShaped`): a feasible flow
/// exists, no arc has unlimited capacity (so nothing is unbounded), and `MinCostFlow.checkLimits`
/// passed (supplies and capacities add up below 2^62, so no excess overflows). The arithmetic
/// limits of cost scaling are checked here: the scaled costs must stay below 2^61 and every price
/// above −2^61, so a reduced cost cost + π(u) − π(v) cannot overflow; every price change is
/// computed with overflow checks, and when one would leave the range (or the flow is left with
/// excess, which a feasible network cannot give) `solve` returns nil and the caller falls back to
/// the network simplex. No input makes it trap. Deterministic: no randomness, fixed arc order.
///
/// Gives no potentials: the caller needs none (see `PartsSolution`).
final class CostScaling {
    static let alpha: Int64 = 16
    static let maxPathLength = 4
    static let priceFloor: Int64 = -(1 << 61)

    /// The flow on each arc, in the network's order, or nil when the limits do not allow cost
    /// scaling or it could not finish (the caller then uses the network simplex).
    /// `globalUpdateEvery` replaces n + s² relabels between global updates (tests run it often).
    static func solve(_ network: FlowNetwork, globalUpdateEvery: Int? = nil) -> [Int64]? {
        let n = network.nodeCount
        var maxAbsCost: Int64 = 0
        for arc in 0..<network.arcCount {
            let cost = network.arcCost[arc]
            guard cost != .min else { return nil }
            maxAbsCost = max(maxAbsCost, cost < 0 ? -cost : cost)
        }
        let (perNode, overflowA) = Int64(n + 1).multipliedReportingOverflow(by: alpha)
        let (largest, overflowB) = maxAbsCost.multipliedReportingOverflow(by: perNode)
        guard !overflowA && !overflowB && largest < (1 << 61) else { return nil }
        let solver = CostScaling(network, multiplier: perNode)
        guard solver.run(globalUpdateEvery: globalUpdateEvery) else { return nil }
        return solver.flows(network)
    }

    let nodeCount: Int
    let residualCount: Int
    let firstOut: UnsafeMutablePointer<Int32>
    let source: UnsafeMutablePointer<Int32>
    let target: UnsafeMutablePointer<Int32>
    let reverse: UnsafeMutablePointer<Int32>
    let cost: UnsafeMutablePointer<Int64>
    let residual: UnsafeMutablePointer<Int64>
    /// Per input arc: its forward residual arc, or -1 for a self-loop (solved on its own).
    let forwardOf: UnsafeMutablePointer<Int32>
    let price: UnsafeMutablePointer<Int64>
    let excess: UnsafeMutablePointer<Int64>
    let nextOut: UnsafeMutablePointer<Int32>
    let onPath: UnsafeMutablePointer<Bool>
    // Buckets of price refinement and global update.
    let maxRank: Int
    let buckets: UnsafeMutablePointer<Int32>
    let bucketNext: UnsafeMutablePointer<Int32>
    let bucketPrev: UnsafeMutablePointer<Int32>
    let rank: UnsafeMutablePointer<Int32>
    let stack: UnsafeMutablePointer<Int32>
    let reached: UnsafeMutablePointer<Bool>
    let processed: UnsafeMutablePointer<Bool>
    let pred: UnsafeMutablePointer<Int32>
    let sourceNodes: Int
    var epsilon: Int64 = 0
    /// Set when a price change would leave the checked range.
    var failed = false

    private init(_ network: FlowNetwork, multiplier: Int64) {
        let n = network.nodeCount, m = network.arcCount
        nodeCount = n
        var loops = 0
        for arc in 0..<m where network.arcSource[arc] == network.arcTarget[arc] { loops += 1 }
        let r = 2 * (m - loops)
        residualCount = r
        firstOut = .allocate(capacity: n + 1)
        source = .allocate(capacity: max(r, 1))
        target = .allocate(capacity: max(r, 1))
        reverse = .allocate(capacity: max(r, 1))
        cost = .allocate(capacity: max(r, 1))
        residual = .allocate(capacity: max(r, 1))
        forwardOf = .allocate(capacity: max(m, 1))
        price = .allocate(capacity: n)
        excess = .allocate(capacity: n)
        nextOut = .allocate(capacity: n)
        onPath = .allocate(capacity: max(r, 1))
        maxRank = Int(CostScaling.alpha) * (n + 1)
        buckets = .allocate(capacity: maxRank)
        bucketNext = .allocate(capacity: n + 1)
        bucketPrev = .allocate(capacity: n + 1)
        rank = .allocate(capacity: n + 1)
        stack = .allocate(capacity: n)
        reached = .allocate(capacity: n)
        processed = .allocate(capacity: n)
        pred = .allocate(capacity: n)

        // Residual arcs by tail (counting sort, stable): an arc's forward copy at its source,
        // its backward copy at its target.
        for node in 0...n { firstOut[node] = 0 }
        for arc in 0..<m {
            let a = Int(network.arcSource[arc]), b = Int(network.arcTarget[arc])
            if a == b { continue }
            firstOut[a + 1] += 1
            firstOut[b + 1] += 1
        }
        for node in 0..<n { firstOut[node + 1] += firstOut[node] }
        let fill = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
        defer { fill.deallocate() }
        for node in 0..<n { fill[node] = firstOut[node] }
        var maxScaled: Int64 = 0
        for arc in 0..<m {
            let a = Int(network.arcSource[arc]), b = Int(network.arcTarget[arc])
            if a == b { forwardOf[arc] = -1; continue }
            let f = Int(fill[a]), g = Int(fill[b])
            fill[a] += 1
            fill[b] += 1
            let scaled = network.arcCost[arc] * multiplier
            maxScaled = max(maxScaled, scaled < 0 ? -scaled : scaled)
            source[f] = Int32(a); target[f] = Int32(b); reverse[f] = Int32(g)
            cost[f] = scaled; residual[f] = network.arcCapacity[arc]
            source[g] = Int32(b); target[g] = Int32(a); reverse[g] = Int32(f)
            cost[g] = -scaled; residual[g] = 0
            forwardOf[arc] = Int32(f)
        }
        var sources = 0
        for node in 0..<n {
            price[node] = 0
            excess[node] = network.supply[node]
            if excess[node] > 0 { sources += 1 }
        }
        sourceNodes = sources
        for arc in 0..<r { onPath[arc] = false }
        epsilon = max(maxScaled / CostScaling.alpha, 1)
    }

    deinit {
        firstOut.deallocate(); source.deallocate(); target.deallocate(); reverse.deallocate()
        cost.deallocate(); residual.deallocate(); forwardOf.deallocate(); price.deallocate()
        excess.deallocate(); nextOut.deallocate(); onPath.deallocate(); buckets.deallocate()
        bucketNext.deallocate(); bucketPrev.deallocate(); rank.deallocate(); stack.deallocate()
        reached.deallocate(); processed.deallocate(); pred.deallocate()
    }

    func flows(_ network: FlowNetwork) -> [Int64] {
        var result = [Int64](repeating: 0, count: network.arcCount)
        for arc in 0..<network.arcCount {
            let f = Int(forwardOf[arc])
            if f >= 0 {
                result[arc] = residual[Int(reverse[f])]
            } else if network.arcCost[arc] < 0 {
                result[arc] = network.arcCapacity[arc]
            }
        }
        return result
    }

    /// Lowers the price of `node` by `amount` (≥ 0), or marks the run failed when that would leave
    /// the checked range.
    @inline(__always)
    private func lower(_ node: Int, by amount: Int64) {
        let (value, overflow) = price[node].subtractingReportingOverflow(amount)
        if overflow || value < CostScaling.priceFloor || amount < 0 { failed = true } else { price[node] = value }
    }

    // MARK: - The phases

    /// Runs every phase; false when the run failed (the caller falls back).
    func run(globalUpdateEvery: Int? = nil) -> Bool {
        let n = nodeCount
        guard n > 0 else { return true }
        let globalUpdateSkip = max(globalUpdateEvery ?? (n + min(sourceNodes * sourceNodes, Int(Int32.max))), 1)
        var nextGlobalUpdate = globalUpdateSkip
        var relabels = 0
        var phase = 0
        var active: [Int32] = []
        var head = 0
        var path: [Int32] = []
        path.reserveCapacity(CostScaling.maxPathLength + 1)
        let alpha = CostScaling.alpha

        while epsilon >= 1 {
            phase += 1
            defer { epsilon = epsilon < alpha && epsilon > 1 ? 1 : epsilon / alpha }
            if phase >= 2 {
                if priceRefinement() { continue }
                if failed { return false }
            }
            // Saturate every residual arc of negative reduced cost.
            for u in 0..<n {
                let pu = price[u]
                for a in Int(firstOut[u])..<Int(firstOut[u + 1]) {
                    let delta = residual[a]
                    guard delta > 0 else { continue }
                    let v = Int(target[a])
                    if cost[a] + pu - price[v] < 0 {
                        excess[u] -= delta
                        excess[v] += delta
                        residual[a] = 0
                        residual[Int(reverse[a])] += delta
                    }
                }
            }
            active.removeAll(keepingCapacity: true)
            head = 0
            for u in 0..<n {
                if excess[u] > 0 { active.append(Int32(u)) }
                nextOut[u] = firstOut[u]
            }

            while true {
                while head < active.count && excess[Int(active[head])] <= 0 { head += 1 }
                if head == active.count { break }
                if head > 4096 && head * 2 > active.count {
                    active.removeFirst(head)
                    head = 0
                }
                let start = Int(active[head])
                var tip = start
                var cycle = false
                while path.count < CostScaling.maxPathLength && excess[tip] >= 0 {
                    var minReduced = Int64.max
                    let pTip = price[tip]
                    let end = Int(firstOut[tip + 1])
                    var a = Int(nextOut[tip])
                    var advanced = false
                    while a < end {
                        if residual[a] > 0 {
                            let u = Int(target[a])
                            let rc = cost[a] + pTip - price[u]
                            if rc < 0 {
                                path.append(Int32(a))
                                nextOut[tip] = Int32(a)
                                if onPath[a] { cycle = true } else {
                                    tip = u
                                    onPath[a] = true
                                }
                                advanced = true
                                break
                            } else if rc < minReduced {
                                minReduced = rc
                            }
                        }
                        a += 1
                    }
                    if cycle { break }
                    if advanced { continue }
                    // Relabel the tip.
                    if tip != start {
                        let back = Int(reverse[Int(path[path.count - 1])])
                        minReduced = min(minReduced, cost[back] + pTip - price[Int(target[back])])
                    }
                    for b in Int(firstOut[tip])..<Int(nextOut[tip]) where residual[b] > 0 {
                        let rc = cost[b] + pTip - price[Int(target[b])]
                        if rc < minReduced { minReduced = rc }
                    }
                    guard minReduced != .max else { return false }
                    let (step, overflow) = minReduced.addingReportingOverflow(epsilon)
                    if overflow { return false }
                    lower(tip, by: step)
                    if failed { return false }
                    nextOut[tip] = firstOut[tip]
                    relabels += 1
                    if tip != start {
                        let last = Int(path.removeLast())
                        onPath[last] = false
                        tip = Int(source[last])
                    }
                }
                // Push along the path, as much as each step allows.
                var v = start
                for step in path {
                    let a = Int(step)
                    let u = v
                    v = Int(target[a])
                    onPath[a] = false
                    let delta = min(residual[a], excess[u])
                    residual[a] -= delta
                    residual[Int(reverse[a])] += delta
                    excess[u] -= delta
                    excess[v] += delta
                    if excess[v] > 0 && excess[v] <= delta { active.append(Int32(v)) }
                }
                path.removeAll(keepingCapacity: true)
                if relabels >= nextGlobalUpdate {
                    globalUpdate()
                    if failed { return false }
                    nextGlobalUpdate += globalUpdateSkip
                }
            }
        }
        for u in 0..<n where excess[u] != 0 { return false }
        return true
    }

    // MARK: - Price refinement

    /// True when the current flow is already ε-optimal (the phase can be skipped); lowers prices
    /// along the way.
    private func priceRefinement() -> Bool {
        let n = nodeCount
        let bucketEnd = Int32(n)
        while true {
            guard let top = topologicalSort() else { return false }
            for i in 0..<n { rank[i] = 0 }
            var topRank = 0
            var k = top
            while k >= 0 {
                let u = Int(stack[k])
                k -= 1
                let rankU = Int(rank[u])
                let pu = price[u]
                for a in Int(firstOut[u])..<Int(firstOut[u + 1]) where residual[a] > 0 {
                    let v = Int(target[a])
                    let rc = cost[a] + pu - price[v]
                    if rc < 0 {
                        let steps = (-rc - 1) / epsilon
                        if steps < Int64(maxRank) {
                            let newRank = rankU + Int(steps)
                            if newRank > Int(rank[v]) { rank[v] = Int32(min(newRank, maxRank - 1)) }
                        }
                    }
                }
                topRank = max(topRank, rankU)
            }
            if topRank == 0 { return true }
            // Buckets in the same order as LEMON fills them while ranking (a node's rank is final
            // when it is reached in topological order), but only up to the top rank: no rank above
            // it is ever used, and clearing all α(n + 1) buckets each round cost more than the rest.
            for r in 0...topRank { buckets[r] = bucketEnd }
            k = top
            while k >= 0 {
                let u = Int(stack[k])
                k -= 1
                let rankU = Int(rank[u])
                if rankU > 0 {
                    let first = buckets[rankU]
                    bucketNext[u] = first
                    bucketPrev[Int(first)] = Int32(u)
                    buckets[rankU] = Int32(u)
                }
            }
            var r = topRank
            while r > 0 {
                while buckets[r] != bucketEnd {
                    let u = Int(buckets[r])
                    buckets[r] = bucketNext[u]
                    let pu = price[u]
                    for a in Int(firstOut[u])..<Int(firstOut[u + 1]) where residual[a] > 0 {
                        let v = Int(target[a])
                        let oldRank = Int(rank[v])
                        guard oldRank < r else { continue }
                        let rc = cost[a] + pu - price[v]
                        var newRank: Int
                        if rc < 0 {
                            newRank = r
                        } else {
                            let steps = rc / epsilon
                            newRank = steps < Int64(maxRank) ? r - 1 - Int(steps) : 0
                        }
                        if newRank > oldRank {
                            rank[v] = Int32(newRank)
                            if oldRank > 0 {
                                if buckets[oldRank] == Int32(v) {
                                    buckets[oldRank] = bucketNext[v]
                                } else {
                                    let pv = Int(bucketPrev[v]), nv = Int(bucketNext[v])
                                    bucketNext[pv] = Int32(nv)
                                    bucketPrev[nv] = Int32(pv)
                                }
                            }
                            let first = buckets[newRank]
                            bucketNext[v] = first
                            bucketPrev[Int(first)] = Int32(v)
                            buckets[newRank] = Int32(v)
                        }
                    }
                    let (amount, overflow) = Int64(r).multipliedReportingOverflow(by: epsilon)
                    if overflow { failed = true; return false }
                    lower(u, by: amount)
                    if failed { return false }
                }
                r -= 1
            }
        }
    }

    /// A depth-first search of the admissible network: nil after cancelling a cycle in it (the
    /// caller gives up refinement for this phase), else the index of the top of `stack`, which holds
    /// the nodes in reverse topological order.
    private func topologicalSort() -> Int? {
        let n = nodeCount
        for i in 0..<n {
            reached[i] = false
            processed[i] = false
            nextOut[i] = firstOut[i]
        }
        var top = -1
        for start in 0..<n where !reached[start] {
            pred[start] = -1
            var tip = start
            reached[tip] = true
            while true {
                let pTip = price[tip]
                let end = Int(firstOut[tip + 1])
                var a = Int(nextOut[tip])
                var descended = false
                while a < end {
                    if residual[a] > 0 {
                        let v = Int(target[a])
                        if cost[a] + pTip - price[v] < 0 {
                            if !reached[v] {
                                reached[v] = true
                                pred[v] = Int32(tip)
                                nextOut[tip] = Int32(a)
                                tip = v
                                descended = true
                                break
                            } else if !processed[v] {
                                // A cycle v → … → tip → v of admissible arcs: cancel it and stop.
                                nextOut[tip] = Int32(a)
                                var delta = residual[a]
                                var u = tip
                                while u != v {
                                    u = Int(pred[u])
                                    delta = min(delta, residual[Int(nextOut[u])])
                                }
                                residual[a] -= delta
                                residual[Int(reverse[a])] += delta
                                u = tip
                                while u != v {
                                    u = Int(pred[u])
                                    let c = Int(nextOut[u])
                                    residual[c] -= delta
                                    residual[Int(reverse[c])] += delta
                                }
                                return nil
                            }
                        }
                    }
                    a += 1
                }
                if descended { continue }
                processed[tip] = true
                top += 1
                stack[top] = Int32(tip)
                let back = Int(pred[tip])
                if back < 0 { break }
                tip = back
                nextOut[tip] += 1
            }
        }
        return top
    }

    // MARK: - Global update

    /// Prices from ε-rounded residual distances to the nodes with deficit.
    private func globalUpdate() {
        let n = nodeCount
        let bucketEnd = Int32(n)
        for r in 0..<maxRank { buckets[r] = bucketEnd }
        var totalExcess: Int64 = 0
        var b0 = bucketEnd
        for i in 0..<n {
            if excess[i] < 0 {
                rank[i] = 0
                bucketNext[i] = b0
                bucketPrev[Int(b0)] = Int32(i)
                b0 = Int32(i)
            } else {
                totalExcess += excess[i]
                rank[i] = Int32(maxRank)
            }
        }
        if totalExcess == 0 { return }
        buckets[0] = b0
        var r = 0
        while r < maxRank {
            while buckets[r] != bucketEnd {
                let u = Int(buckets[r])
                buckets[r] = bucketNext[u]
                let pu = price[u]
                for a in Int(firstOut[u])..<Int(firstOut[u + 1]) {
                    let ra = Int(reverse[a])
                    guard residual[ra] > 0 else { continue }
                    let v = Int(source[ra])
                    let oldRank = Int(rank[v])
                    guard r < oldRank else { continue }
                    let steps = (cost[ra] + price[v] - pu) / epsilon
                    var newRank = oldRank
                    if steps < Int64(maxRank) { newRank = r + 1 + Int(max(steps, -1)) }
                    if newRank < oldRank {
                        rank[v] = Int32(newRank)
                        nextOut[v] = firstOut[v]
                        if oldRank < maxRank {
                            if buckets[oldRank] == Int32(v) {
                                buckets[oldRank] = bucketNext[v]
                            } else {
                                let pv = Int(bucketPrev[v]), nv = Int(bucketNext[v])
                                bucketNext[pv] = Int32(nv)
                                bucketPrev[nv] = Int32(pv)
                            }
                        }
                        if newRank < maxRank {
                            let first = buckets[newRank]
                            bucketNext[v] = first
                            bucketPrev[Int(first)] = Int32(v)
                            buckets[newRank] = Int32(v)
                        } else {
                            rank[v] = Int32(oldRank)
                        }
                    }
                }
                if excess[u] > 0 {
                    totalExcess -= excess[u]
                    if totalExcess <= 0 { break }
                }
            }
            if totalExcess <= 0 { break }
            r += 1
        }
        for u in 0..<n {
            let k = min(Int(rank[u]), r)
            if k > 0 {
                let (amount, overflow) = Int64(k).multipliedReportingOverflow(by: epsilon)
                if overflow { failed = true; return }
                lower(u, by: amount)
                if failed { return }
                nextOut[u] = firstOut[u]
            }
        }
    }
}
