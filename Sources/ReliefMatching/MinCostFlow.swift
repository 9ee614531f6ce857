/// Minimum-cost flow by the primal network simplex method (NetworkSimplex.swift).
///
/// `MinCostFlow.solve(network)` returns an optimal flow, or says the instance is infeasible or
/// unbounded. Status precedence: `.infeasible` when no flow meets the supplies; otherwise
/// `.unbounded` when a negative-cost cycle of unlimited arcs exists; otherwise `.optimal`.
/// Deterministic: the same network gives the same flow, not just the same cost.
///
/// `MinCostFlow.solveByParts(network)` (FlowSplit.swift) gives the same status and optimal cost
/// without potentials: it cuts the network at its hub into parts and solves assignment-shaped
/// parts by cost scaling (CostScaling.swift); `reliefctl solve` runs it.
public enum MinCostFlow {
    /// Solves `network`. Throws only when the numbers are too large for exact 64-bit arithmetic
    /// (see `FlowNetworkError`); every answer it returns is exact.
    public static func solve(_ network: FlowNetwork) throws(FlowNetworkError) -> FlowSolution {
        try solve(network, limits: checkLimits(network))
    }

    /// `solve` with the limits of `network` already checked (`checkLimits(network)`). `sumCost:
    /// false` leaves `cost` 0 and never throws `.costOverflow` (for a part of a network, whose own
    /// cost may pass 64 bits where the whole's does not).
    static func solve(_ network: FlowNetwork, limits: (supplySum: Int64, artificialCost: Int64),
                      sumCost: Bool = true) throws(FlowNetworkError) -> FlowSolution {
        let n = network.nodeCount
        guard n > 0 else { return FlowSolution(status: .optimal, cost: 0, flow: [], potential: [], pivots: 0) }
        guard limits.supplySum == 0 else { return infeasible(pivots: 0) }

        let simplex = NetworkSimplex(network, artificialCost: limits.artificialCost, zeroCosts: false)
        switch simplex.run() {
        case .infeasible:
            return infeasible(pivots: simplex.pivots)
        case .unbounded:
            // A negative cycle of unlimited arcs was found, which proves unboundedness only if a
            // feasible flow exists at all: settle that with every cost zero (which cannot be unbounded).
            let feasibility = NetworkSimplex(network, artificialCost: 1, zeroCosts: true)
            let outcome = feasibility.run()
            assert(outcome != .unbounded)
            let pivots = simplex.pivots + feasibility.pivots
            if outcome == .infeasible { return infeasible(pivots: pivots) }
            return FlowSolution(status: .unbounded, cost: 0, flow: [], potential: [], pivots: pivots)
        case .optimal:
            let flow = simplex.arcFlows()
            var cost: Int64 = 0
            for arc in 0..<network.arcCount where sumCost && flow[arc] != 0 {
                let (term, overflowTerm) = flow[arc].multipliedReportingOverflow(by: network.arcCost[arc])
                let (sum, overflowSum) = cost.addingReportingOverflow(term)
                guard !overflowTerm && !overflowSum else { throw .costOverflow }
                cost = sum
            }
            return FlowSolution(status: .optimal, cost: cost, flow: flow, potential: simplex.nodePotentials(),
                                pivots: simplex.pivots)
        }
    }

    private static func infeasible(pivots: Int) -> FlowSolution {
        FlowSolution(status: .infeasible, cost: 0, flow: [], potential: [], pivots: pivots)
    }

    /// Checks that every number the solver will compute fits in an Int64, and returns the supply
    /// balance and the cost of the artificial arcs that start the simplex.
    static func checkLimits(_ network: FlowNetwork) throws(FlowNetworkError) -> (supplySum: Int64, artificialCost: Int64) {
        let flowLimit: Int64 = 1 << 62
        var flowBound: Int64 = 0
        var supplySum: Int64 = 0
        for amount in network.supply {
            guard amount > -flowLimit && amount < flowLimit else { throw .flowTooLarge }
            supplySum += amount
            flowBound += amount < 0 ? -amount : amount
            guard flowBound < flowLimit else { throw .flowTooLarge }
        }
        var maxAbsCost: Int64 = 0
        for arc in 0..<network.arcCount {
            let capacity = network.arcCapacity[arc]
            if capacity != FlowNetwork.unlimited {
                guard capacity < flowLimit else { throw .flowTooLarge }
                flowBound += capacity
                guard flowBound < flowLimit else { throw .flowTooLarge }
            }
            let cost = network.arcCost[arc]
            guard cost != .min else { throw .costTooLarge(maxAbsCost: .max, nodes: network.nodeCount) }
            maxAbsCost = max(maxAbsCost, cost < 0 ? -cost : cost)
        }
        // Big-M for the artificial arcs: more than any simple path of real arcs can cost.
        // maxAbsCost + 1 itself overflows for a cost of ±Int64.max.
        let (costBound, overflowCost) = maxAbsCost.addingReportingOverflow(1)
        let (artificial, overflow) = costBound.multipliedReportingOverflow(by: Int64(network.nodeCount + 1))
        guard !overflowCost && !overflow && artificial < (1 << 60) else {
            throw .costTooLarge(maxAbsCost: maxAbsCost, nodes: network.nodeCount)
        }
        return (supplySum, artificial)
    }
}
