/// Sources with stock, sinks with demand, routes between them with a cost per unit — where supply
/// and demand need not balance: a sink may be left partly unmet at a penalty per unit (set it by
/// priority: the higher the penalty, the sooner that sink is served under scarcity), and stock may
/// stay where it is at no cost.
///
/// As a flow network (`network()`): nodes `0..<sourceCount` are the sources (supply = stock),
/// `sourceCount..<sourceCount + sinkCount` the sinks (supply = -demand), and one slack node last,
/// with supply `total demand - total stock`. Arcs: the routes first, in the order added, then one
/// arc source → slack per source (capacity = its stock, cost 0: stock left unused), then one arc
/// slack → sink per sink (capacity = its demand, cost = its unmet penalty). Every instance is
/// feasible that way, and bounded as long as route costs are not negative.
public struct TransportationProblem: Sendable, Equatable {
    public private(set) var stock: [Int64]
    public private(set) var demand: [Int64]
    public private(set) var unmetPenalty: [Int64]
    public private(set) var routeSource: [Int32] = []
    public private(set) var routeSink: [Int32] = []
    public private(set) var routeCapacity: [Int64] = []
    public private(set) var routeCost: [Int64] = []

    /// `stock[i]` at source i, `demand[j]` and `unmetPenalty[j]` (per unit) at sink j; all ≥ 0.
    public init(stock: [Int64], demand: [Int64], unmetPenalty: [Int64]) {
        precondition(demand.count == unmetPenalty.count, "one unmet penalty per sink")
        precondition(stock.allSatisfy { $0 >= 0 } && demand.allSatisfy { $0 >= 0 }, "stock and demand are not negative")
        precondition(stock.count + demand.count < FlowNetwork.maxNodes, "too many sources and sinks")
        self.stock = stock
        self.demand = demand
        self.unmetPenalty = unmetPenalty
    }

    public var sourceCount: Int { stock.count }
    public var sinkCount: Int { demand.count }
    public var routeCount: Int { routeSource.count }

    /// Adds a route from source `from` to sink `to` and returns its index.
    @discardableResult
    public mutating func addRoute(from: Int, to: Int, cost: Int64, capacity: Int64 = FlowNetwork.unlimited) -> Int {
        precondition(from >= 0 && from < sourceCount && to >= 0 && to < sinkCount, "route \(from) -> \(to) out of range")
        precondition(capacity >= 0, "route capacity is not negative")
        routeSource.append(Int32(from))
        routeSink.append(Int32(to))
        routeCapacity.append(capacity)
        routeCost.append(cost)
        return routeSource.count - 1
    }

    public mutating func reserveCapacity(routes: Int) {
        routeSource.reserveCapacity(routes)
        routeSink.reserveCapacity(routes)
        routeCapacity.reserveCapacity(routes)
        routeCost.reserveCapacity(routes)
    }

    /// The flow network described above.
    public func network() -> FlowNetwork {
        let sources = sourceCount
        let sinks = sinkCount
        var network = FlowNetwork(nodeCount: sources + sinks + 1)
        network.reserveCapacity(arcs: routeCount + sources + sinks)
        let slack = sources + sinks
        // Wrapping: stock or demand that adds up past 64 bits gives a wrong slack supply here, but
        // `MinCostFlow.checkLimits` then finds the supplies too large and refuses the network.
        var balance: Int64 = 0
        for source in 0..<sources {
            network.setSupply(of: source, to: stock[source])
            balance &-= stock[source]
        }
        for sink in 0..<sinks {
            network.setSupply(of: sources + sink, to: -demand[sink])
            balance &+= demand[sink]
        }
        network.setSupply(of: slack, to: balance)
        for route in 0..<routeCount {
            network.addArc(from: Int(routeSource[route]), to: sources + Int(routeSink[route]),
                           capacity: routeCapacity[route], cost: routeCost[route])
        }
        for source in 0..<sources {
            network.addArc(from: source, to: slack, capacity: stock[source], cost: 0)
        }
        for sink in 0..<sinks {
            network.addArc(from: slack, to: sources + sink, capacity: demand[sink], cost: unmetPenalty[sink])
        }
        return network
    }

    /// The cheapest plan: what each route carries, what each sink misses, what each source keeps.
    public func solve() throws(FlowNetworkError) -> TransportationSolution {
        let solution = try MinCostFlow.solve(network())
        guard solution.status == .optimal else {
            return TransportationSolution(status: solution.status, cost: 0, shipped: [], unmet: [], unused: [])
        }
        let flow = solution.flow
        let unusedStart = routeCount
        let unmetStart = routeCount + sourceCount
        return TransportationSolution(
            status: .optimal, cost: solution.cost,
            shipped: Array(flow[0..<unusedStart]),
            unmet: Array(flow[unmetStart..<(unmetStart + sinkCount)]),
            unused: Array(flow[unusedStart..<unmetStart]))
    }
}

public struct TransportationSolution: Sendable, Equatable {
    /// Always `.optimal` in practice: the slack node makes every instance feasible and the arcs of
    /// `network()` form no cycle, so nothing is unbounded. Kept so callers need not assume it.
    public var status: FlowSolution.Status
    /// Route costs plus unmet penalties.
    public var cost: Int64
    /// Units carried on each route, in route order.
    public var shipped: [Int64]
    /// Units of each sink's demand left unmet.
    public var unmet: [Int64]
    /// Units of each source's stock left where it is.
    public var unused: [Int64]
}
