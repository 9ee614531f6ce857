import ReliefCore

/// Matching supplies and people to needs: one min-cost-flow network over every need asked for,
/// solved by `MinCostFlow` one component at a time (Components.swift: the components only share the
/// slack node, so that is the same optimum), read back as a `Plan` (lines and unmet needs with reasons).
///
/// Pure and deterministic: it reads only the `State` value, `now` and the policy, so it may run on
/// any thread on a copy of the state (`State` is a copy-on-write value), and the same input always
/// gives the same plan. It never changes the state; the engine records the plan as an event.
///
/// ## The network
/// - Sources: every (warehouse, lot) of an asked-for item with stock available (on hand − reserved),
///   supply = available; every candidate volunteer, supply 1; every candidate team, supply 1.
///   Only sources with at least one candidate arc are nodes.
/// - Sinks: every need still missing something (amount − committed), supply = −missing.
/// - Candidate arcs source → need, with the cost per unit (see `SupplyMatching`, `PeopleMatching`).
///   A volunteer or team node has supply 1, so nobody is in two lines.
/// - One slack node: an arc source → slack per source (stock or people left where they are, cost 0)
///   and slack → need per need (capacity = missing, cost = the need's unmet penalty). Every instance
///   is feasible, and bounded (no negative costs).
///
/// ## Unmet penalties: priority first, then deadline, then cost
/// Candidate arcs only join sources and needs of one item (supplies) or of overlapping skill pools
/// (people), so the network falls apart into components, and penalties only have to be consistent
/// inside one. In a component c with S sources, N needs and arc costs at most M, rank the distinct
/// (priority, needed-by) pairs of its needs 0 (priority 1, earliest) … T−1 and give a need of rank t
/// the penalty (T − t) × G with G = min(S, N) × M + 1. Then:
/// - any unit that can be served is served: a residual path that brings one more unit to a need
///   passes through at most min(S, N) candidate arcs forward (each costs ≤ M, the arcs it takes
///   back cost ≥ 0), so it costs < G ≤ every penalty;
/// - a unit of a need of rank t is never left unmet to serve a unit of a need of rank t' > t: moving
///   one unit between them is a residual path of the same form plus the difference of penalties,
///   ≥ G, which is larger than any path cost.
/// So the optimum is lexicographic: as many units as possible to rank 0, then rank 1, …, and the
/// cheapest travel among those. Every number is checked against the solver's limit
/// ((largest cost + 1) × (nodes + 1) < 2^60) and against the objective fitting in an Int64; when
/// G would be too large (thousands of needs of one item, each reachable from thousands of lots) it
/// is capped, which keeps the order for every exchange through fewer than G / M lots
/// (`MatchingStats.priorityExact` says so); if even G > M does not fit, tiers are priorities only.
public enum Matching {
    /// A plan for `needs` (ids; needs not open, of a closed incident, or missing nothing are
    /// skipped), computed on `state` at `now`. Its id is `state.nextPlanID`, `basedOnSeq` is
    /// `state.lastSeq`: the engine records it only while the state is still that one (or after
    /// checking it again).
    public static func plan(state: State, now: Timestamp, policy: MatchingPolicy, needs: [String],
                            incident: String? = nil) throws(MatchingError) -> Plan {
        try solve(state: state, now: now, policy: policy, needs: needs, incident: incident).plan
    }

    /// `plan` with the size of the network and the solver's work.
    public static func solve(state: State, now: Timestamp, policy: MatchingPolicy, needs ids: [String],
                             incident: String? = nil) throws(MatchingError) -> MatchingResult {
        var builder = NetworkBuilder(state: state, now: now, policy: policy)
        for id in ids { builder.addNeed(id) }
        builder.addSupplyCandidates()
        builder.addTeamCandidates()
        builder.addVolunteerCandidates()
        return try builder.solve(planID: state.nextPlanID, incident: incident)
    }

    /// Open needs of `incident` still missing something, in the order they were added.
    public static func openNeeds(of incident: String, in state: State) -> [String] {
        guard let record = state.incidents[incident], record.status != .closed else { return [] }
        return record.needs.filter { isMissing($0, in: state) }
    }

    /// Every open need of an incident not closed that still misses something, oldest first.
    public static func openNeeds(in state: State) -> [String] {
        state.needs.keys.filter { isMissing($0, in: state) }.sorted()
    }

    static func isMissing(_ id: String, in state: State) -> Bool {
        guard let need = state.needs[id], need.status == .open, let incident = state.incidents[need.incident],
              incident.status != .closed else { return false }
        return need.request.amount > state.committedAmount(of: id)
    }
}

public enum MatchingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The quantities or costs are too large for exact 64-bit arithmetic.
    case tooLarge(String)

    public var description: String {
        switch self {
        case .tooLarge(let detail): "matching instance too large for exact arithmetic: \(detail)"
        }
    }
}

public struct MatchingStats: Sendable, Equatable {
    public var nodes: Int
    public var arcs: Int
    public var pivots: Int
    /// False when penalty gaps had to be capped (see `Matching`): priorities were still honoured
    /// for every exchange the cap allows, but not proven for all.
    public var priorityExact: Bool
}

public struct MatchingResult: Sendable {
    public var plan: Plan
    public var stats: MatchingStats
    /// Great-circle km of each line (source to incident), in line order, for replies.
    public var distances: [Double]
    /// The network that was solved (for exporting it, e.g. as DIMACS, to check with other solvers).
    public var network: FlowNetwork
    /// The solver's optimal objective: line costs plus unmet penalties.
    public var flowCost: Int64
}

/// One need in the network.
struct NeedSlot {
    var need: Need
    var incident: Incident
    var missing: Int64
}

/// A source in the network: a lot in a warehouse, a volunteer or a team.
enum SourceKind: Hashable {
    case lot(warehouse: String, lot: String)
    case volunteer(String)
    case team(String)
}

struct Candidate {
    var source: Int
    var need: Int
    var capacity: Int64
    var unitCost: Int64
    var distance: Double
}

/// Collects needs, sources and candidate arcs, then builds and solves the one network.
struct NetworkBuilder {
    let state: State
    let now: Timestamp
    let policy: MatchingPolicy
    var needs: [NeedSlot] = []
    var needIndex: [String: Int] = [:]
    var sources: [SourceKind] = []
    var sourceSupply: [Int64] = []
    var sourceIndex: [SourceKind: Int] = [:]
    var candidates: [Candidate] = []
    /// Members of candidate teams: not also candidates on their own (a team goes as a unit).
    var teamMembersInPlay: Set<String> = []
    /// Per need: how many candidates were cut by the per-unit cap (for explanations).
    var cappedCandidates: [Int: Int] = [:]

    init(state: State, now: Timestamp, policy: MatchingPolicy) {
        self.state = state; self.now = now; self.policy = policy
    }

    mutating func addNeed(_ id: String) {
        guard needIndex[id] == nil, Matching.isMissing(id, in: state), let need = state.needs[id],
              let incident = state.incidents[need.incident] else { return }
        needIndex[id] = needs.count
        needs.append(NeedSlot(need: need, incident: incident, missing: need.request.amount - state.committedAmount(of: id)))
    }

    /// The node of a source that may be a candidate for several needs (a volunteer, a team).
    mutating func source(_ kind: SourceKind, supply: Int64) -> Int {
        if let index = sourceIndex[kind] { return index }
        let index = newSource(kind, supply: supply)
        sourceIndex[kind] = index
        return index
    }

    /// A node for a source the caller knows is new.
    mutating func newSource(_ kind: SourceKind, supply: Int64) -> Int {
        sources.append(kind)
        sourceSupply.append(supply)
        return sources.count - 1
    }

    func solve(planID: String, incident: String?) throws(MatchingError) -> MatchingResult {
        let sourceCount = sources.count, needCount = needs.count
        let slack = sourceCount + needCount
        let parts = components()
        let penalties = try unmetPenalties(parts)

        // The whole network, with one slack node: what `MatchingResult.network` exports and what
        // the limits are checked on. It is solved component by component (below).
        var network = FlowNetwork(nodeCount: slack + 1)
        network.reserveCapacity(arcs: candidates.count + sourceCount + needCount)
        var balance: Int64 = 0
        for (index, supply) in sourceSupply.enumerated() {
            network.setSupply(of: index, to: supply)
            balance -= supply
        }
        for (index, slot) in needs.enumerated() {
            network.setSupply(of: sourceCount + index, to: -slot.missing)
            balance += slot.missing
        }
        network.setSupply(of: slack, to: balance)
        for candidate in candidates {
            network.addArc(from: candidate.source, to: sourceCount + candidate.need, capacity: candidate.capacity, cost: candidate.unitCost)
        }
        for (index, supply) in sourceSupply.enumerated() { network.addArc(from: index, to: slack, capacity: supply, cost: 0) }
        let unmetArcs = network.arcCount
        for (index, slot) in needs.enumerated() {
            network.addArc(from: slack, to: sourceCount + index, capacity: slot.missing, cost: penalties.penalty[index])
        }
        do {
            _ = try MinCostFlow.checkLimits(network)
        } catch {
            throw .tooLarge(error.description)
        }

        let solution = try solveByComponent(parts, penalty: penalties.penalty, unmetArcs: unmetArcs, arcCount: network.arcCount)

        // Lines: by need (in the order asked), then cheapest first, then source order.
        var served: [(candidate: Int, flow: Int64)] = []
        for (index, _) in candidates.enumerated() where solution.flow[index] > 0 { served.append((index, solution.flow[index])) }
        served.sort { a, b in
            let ca = candidates[a.candidate], cb = candidates[b.candidate]
            if ca.need != cb.need { return ca.need < cb.need }
            if ca.unitCost != cb.unitCost { return ca.unitCost < cb.unitCost }
            return ca.source < cb.source
        }
        var lines: [PlanLine] = []
        var distances: [Double] = []
        for (index, flow) in served {
            let candidate = candidates[index]
            let need = needs[candidate.need].need.id
            let (cost, overflow) = candidate.unitCost.multipliedReportingOverflow(by: flow)
            guard !overflow else { throw .tooLarge("line cost of \(need)") }
            switch sources[candidate.source] {
            case .lot(let warehouse, let lot): lines.append(.supply(need: need, warehouse: warehouse, lot: lot, quantity: flow, cost: cost))
            case .volunteer(let volunteer): lines.append(.volunteer(need: need, volunteer: volunteer, cost: cost))
            case .team(let team): lines.append(.team(need: need, team: team, cost: cost))
            }
            distances.append(candidate.distance)
        }

        // Unmet needs with their reasons.
        var explainer = Explainer(builder: self, flow: solution.flow)
        var unmet: [UnmetNeed] = []
        for (index, slot) in needs.enumerated() {
            let missing = solution.flow[unmetArcs + index]
            guard missing > 0 else { continue }
            unmet.append(UnmetNeed(need: slot.need.id, missing: missing, reason: explainer.reason(need: index, missing: missing)))
        }
        let plan = Plan(id: planID, incident: incident, basedOnSeq: state.lastSeq, createdAt: now, lines: lines, unmet: unmet)
        return MatchingResult(plan: plan,
                              stats: MatchingStats(nodes: network.nodeCount, arcs: network.arcCount, pivots: solution.pivots,
                                                   priorityExact: penalties.exact),
                              distances: distances, network: network, flowCost: solution.cost)
    }

    /// The unmet penalty of every need (see `Matching` for why these values).
    func unmetPenalties(_ parts: Components) throws(MatchingError) -> (penalty: [Int64], exact: Bool) {
        let sourceCount = sources.count, needCount = needs.count
        guard needCount > 0 else { return ([], true) }

        // Limits: supplies and demands each add up to less than 2^61 (so the slack node's balance
        // and the solver's flow bound fit), the solver's (largest cost + 1) × (nodes + 1) < 2^60,
        // and the objective within an Int64. Every unit missing reaches its need once, carried at
        // a cost below `cap` or left unmet at a penalty of at most `cap`, and stock that stays
        // where it is costs nothing, however much there is: the objective is at most
        // demand × cap. The sums are taken in 128 bits: a wrapped 64-bit sum could look small and pass.
        let nodes = Int64(sourceCount + needCount + 1)
        var supply: Int128 = 0, demand: Int128 = 0
        for slot in needs { demand += Int128(slot.missing) }
        for amount in sourceSupply { supply += Int128(amount) }
        let unitLimit = Int128(1) << 61
        guard demand >= 0, demand < unitLimit, supply >= 0, supply < unitLimit else {
            throw .tooLarge("\(needCount) needs missing \(demand) units and \(sourceCount) sources holding \(supply) units (each total must stay below 2^61)")
        }
        let cap = min((Int64(1) << 60) / (nodes + 2) - 2, Int64.max / max(1, Int64(demand)))
        for candidate in candidates where candidate.unitCost >= cap {
            throw .tooLarge("a cost of \(candidate.unitCost) points per unit with \(demand) units missing and \(nodes) nodes "
                            + "(at most \(cap - 1) at this size); match fewer or smaller needs")
        }

        var penalty = Array(repeating: Int64(1), count: needCount)
        var exact = true
        for component in 0..<parts.count {
            let members = parts.needs[component]
            var maxCost: Int64 = 0
            for candidate in parts.candidates[component] { maxCost = max(maxCost, candidates[candidate].unitCost) }
            let width = Int64(min(parts.sources[component].count, members.count))
            var (gap, overflow) = width.multipliedReportingOverflow(by: maxCost)
            gap = overflow ? Int64.max : gap + 1
            // Ranks by (priority, needed by); coarsened to priority alone when that does not fit.
            var keys = members.map { rankKey(needs[$0].need, coarse: false) }
            var tiers = Array(Set(keys)).sorted(by: <)
            if gap > cap / Int64(tiers.count) {
                exact = false
                gap = cap / Int64(tiers.count)
                if gap <= maxCost {
                    keys = members.map { rankKey(needs[$0].need, coarse: true) }
                    tiers = Array(Set(keys)).sorted(by: <)
                    gap = min(width * maxCost + 1, cap / Int64(tiers.count))
                    guard gap > maxCost else {
                        throw .tooLarge("\(members.count) needs sharing \(parts.sources[component].count) sources cannot be ranked by priority "
                                        + "with costs up to \(maxCost) points per unit and \(demand) units missing; match fewer or smaller needs")
                    }
                }
            }
            var rank: [RankKey: Int64] = [:]
            for (index, key) in tiers.enumerated() { rank[key] = Int64(index) }
            let count = Int64(tiers.count)
            for (member, key) in zip(members, keys) { penalty[member] = (count - rank[key]!) * gap }
        }
        return (penalty, exact)
    }

    struct RankKey: Hashable, Comparable {
        var priority: Int
        var neededBy: Int64
        static func < (a: RankKey, b: RankKey) -> Bool { (a.priority, a.neededBy) < (b.priority, b.neededBy) }
    }

    func rankKey(_ need: Need, coarse: Bool) -> RankKey {
        RankKey(priority: need.priority, neededBy: coarse ? 0 : need.neededBy.milliseconds)
    }
}
