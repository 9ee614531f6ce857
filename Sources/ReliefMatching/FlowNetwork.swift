// ReliefMatching owns the min-cost-flow core (a primal network simplex, NetworkSimplex.swift) and the
// shapes matching builds on it (Transportation.swift), plus the DIMACS file format for checking the
// solver against published instances. Pure: no I/O, no Foundation, no clock; the same input always
// gives the same output.

import ReliefLimits

/// A min-cost-flow instance: nodes `0..<nodeCount`, each with a supply (positive: it sends that much,
/// negative: it must receive that much), and directed arcs with lower bound 0, an integer capacity
/// and an integer cost per unit of flow. Parallel arcs and self-loops are allowed.
///
/// Stored as flat arrays (one entry per arc), so a network of millions of arcs is a handful of
/// allocations.
///
/// Supplies must add up to zero for a feasible flow. When supply and demand do not balance — the
/// usual case in relief work — model the slack explicitly: add one slack node whose supply is
/// `demand - supply`, an arc from every source to it (cost 0, capacity = that source's supply: stock
/// left where it is) and an arc from it to every sink (capacity = that sink's demand, cost = the
/// penalty per unit left unmet). `TransportationProblem` builds exactly that.
public struct FlowNetwork: Sendable, Equatable {
    /// The capacity of an arc without an upper bound. A cycle of such arcs with negative cost makes
    /// the instance unbounded.
    public static let unlimited: Int64 = .max

    /// Largest node and arc counts (indices are stored as Int32, and the solver adds one node and
    /// one arc per node).
    public static let maxNodes = Limits.flowNodes
    public static let maxArcs = Limits.flowArcs

    public private(set) var supply: [Int64]
    public private(set) var arcSource: [Int32]
    public private(set) var arcTarget: [Int32]
    public private(set) var arcCapacity: [Int64]
    public private(set) var arcCost: [Int64]

    public init(nodeCount: Int) {
        precondition(nodeCount >= 0 && nodeCount <= FlowNetwork.maxNodes, "node count \(nodeCount) out of range")
        supply = Array(repeating: 0, count: nodeCount)
        arcSource = []
        arcTarget = []
        arcCapacity = []
        arcCost = []
    }

    public var nodeCount: Int { supply.count }
    public var arcCount: Int { arcSource.count }

    /// Adds a node and returns its index.
    @discardableResult
    public mutating func addNode(supply amount: Int64 = 0) -> Int {
        precondition(supply.count < FlowNetwork.maxNodes, "too many nodes")
        supply.append(amount)
        return supply.count - 1
    }

    /// Sets what `node` sends (positive) or must receive (negative).
    public mutating func setSupply(of node: Int, to amount: Int64) {
        supply[node] = amount
    }

    /// Adds an arc `from` → `to` and returns its index (arcs are numbered in the order added).
    /// `capacity` is at least 0; `FlowNetwork.unlimited` for none.
    @discardableResult
    public mutating func addArc(from: Int, to: Int, capacity: Int64, cost: Int64) -> Int {
        precondition(from >= 0 && from < nodeCount && to >= 0 && to < nodeCount,
                     "arc \(from) -> \(to) names a node outside 0..<\(nodeCount)")
        precondition(capacity >= 0, "arc \(from) -> \(to) has negative capacity \(capacity)")
        precondition(arcSource.count < FlowNetwork.maxArcs, "too many arcs")
        arcSource.append(Int32(from))
        arcTarget.append(Int32(to))
        arcCapacity.append(capacity)
        arcCost.append(cost)
        return arcSource.count - 1
    }

    /// Reserves room for `arcs` arcs in total, so building a large network does not reallocate.
    public mutating func reserveCapacity(arcs: Int) {
        arcSource.reserveCapacity(arcs)
        arcTarget.reserveCapacity(arcs)
        arcCapacity.reserveCapacity(arcs)
        arcCost.reserveCapacity(arcs)
    }
}

/// Why a network cannot be solved exactly in 64-bit integers. The limits are generous for relief
/// work (costs up to about 1e9 per unit, flows up to about 1e7 per arc, millions of arcs) but are
/// checked, never assumed.
public enum FlowNetworkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// (largest |cost| + 1) × (nodes + 1) must stay below 2^60: node potentials are sums of costs
    /// along tree paths plus one artificial cost of that size.
    case costTooLarge(maxAbsCost: Int64, nodes: Int)
    /// The sum of |supply| and all finite capacities must stay below 2^62: it bounds every flow the
    /// solver can hold on an arc.
    case flowTooLarge
    /// The optimal cost does not fit in an Int64.
    case costOverflow

    public var description: String {
        switch self {
        case let .costTooLarge(maxAbsCost, nodes):
            return "costs too large for exact arithmetic: largest |cost| \(maxAbsCost) with \(nodes) nodes (need (|cost|+1)*(nodes+1) < 2^60)"
        case .flowTooLarge:
            return "supplies and finite capacities add up to more than 2^62"
        case .costOverflow:
            return "the optimal cost does not fit in a 64-bit integer"
        }
    }
}

/// The answer of a min-cost-flow solve.
public struct FlowSolution: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        /// `flow` is a minimum-cost feasible flow.
        case optimal
        /// No flow meets every supply and demand within the capacities.
        case infeasible
        /// Feasible, but a cycle of unlimited-capacity arcs has negative cost, so the cost has no minimum.
        case unbounded
    }

    public var status: Status
    /// Total cost Σ flow × cost (0 unless optimal).
    public var cost: Int64
    /// Flow on each arc, in the network's arc order (empty unless optimal).
    public var flow: [Int64]
    /// Node potentials proving optimality (empty unless optimal): with reduced cost
    /// `cost + potential[source] - potential[target]`, every arc with flow below capacity has reduced
    /// cost ≥ 0 and every arc with positive flow has reduced cost ≤ 0. Always empty from
    /// `MinCostFlow.solveByParts`.
    public var potential: [Int64]
    /// Simplex pivots performed (including degenerate ones), for measurements.
    public var pivots: Int

    public init(status: Status, cost: Int64, flow: [Int64], potential: [Int64], pivots: Int) {
        self.status = status
        self.cost = cost
        self.flow = flow
        self.potential = potential
        self.pivots = pivots
    }
}
