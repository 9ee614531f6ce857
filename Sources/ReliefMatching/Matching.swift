import Dispatch
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
/// ## Unmet penalties: priority first, then urgency, then fair shares, then cost
/// Candidate arcs only join sources and needs of one item (supplies) or of overlapping skill pools
/// (people), so the network falls apart into components, and penalties only have to be consistent
/// inside one. In a component c with S sources, N needs and arc costs at most M, its needs fall
/// into urgency ranks 0 … T−1: by priority, and within a priority by deadline, where deadlines
/// within `urgency_window` of the earliest of a group are one rank (two incidents entered ten
/// minutes apart are equally urgent; day 2 of a phased need is not as urgent as day 1 of any).
/// A need's unmet arc is cut into `share_steps` = K segments by the fraction of the need left
/// unmet: segment k holds the units that take the unmet fraction from (k−1)/K to k/K of what the
/// need asked. A unit in segment k of a need of rank t costs ((T−1−t) × K + k) × G, with
/// G = min(S, N) × M + 1. Then:
/// - any unit that can be served is served: a residual path that brings one more unit to a need
///   passes through at most min(S, N) candidate arcs forward (each costs ≤ M, the arcs it takes
///   back cost ≥ 0), so it costs < G ≤ every penalty;
/// - a unit of a need of rank t is never left unmet to serve a unit of a need of rank t' > t: the
///   cheapest segment of rank t costs at least G more than the dearest of rank t';
/// - within a rank, leaving a unit unmet costs more the larger the need's unmet fraction already
///   is (convex), so scarce stock is shared: no need is left with an unmet fraction more than 1/K
///   above another's that could have taken from it — the largest unmet fraction is as small as it
///   can be, to 1/K — and the cheapest travel decides only inside that.
/// So the optimum is lexicographic: as many units as possible to rank 0, shared fairly, then
/// rank 1, …, and the cheapest travel among those. Every number is checked against the solver's
/// limit ((largest cost + 1) × (nodes + 1) < 2^60) and against the objective fitting in an Int64;
/// when G would be too large (thousands of needs of one item, each reachable from thousands of
/// lots) it is capped, which keeps the order for every exchange through fewer than G / M lots
/// (`MatchingStats.priorityExact` says so); if even G > M does not fit, shares are dropped and
/// ranks are priorities only.
/// What a plan was asked for beyond its needs: a reach for all of them (`plan reach=`), and whether
/// protected reserves are left alone (`plan reserves=keep`).
public struct MatchingOptions: Sendable, Equatable {
    public var reach: ReachTier?
    public var keepReserves: Bool
    /// From how many volunteer needs their candidate searches run on several threads (the plan
    /// is the same either way; tests set 1 and `.max` to compare).
    public var parallelSearchesFrom: Int

    public init(reach: ReachTier? = nil, keepReserves: Bool = false, parallelSearchesFrom: Int = 64) {
        self.reach = reach
        self.keepReserves = keepReserves
        self.parallelSearchesFrom = parallelSearchesFrom
    }
}

public enum Matching {
    /// A plan for `needs` (ids; needs not open, of a closed incident, or missing nothing are
    /// skipped), computed on `state` at `now`. Its id is `state.nextPlanID`, `basedOnSeq` is
    /// `state.lastSeq`: the engine records it only while the state is still that one (or after
    /// checking it again).
    public static func plan(state: State, now: Timestamp, policy: MatchingPolicy, needs: [String],
                            incident: String? = nil, options: MatchingOptions = MatchingOptions()) throws(MatchingError) -> Plan {
        try solve(state: state, now: now, policy: policy, needs: needs, incident: incident, options: options).plan
    }

    /// `plan` with the size of the network and the solver's work.
    public static func solve(state: State, now: Timestamp, policy: MatchingPolicy, needs ids: [String],
                             incident: String? = nil, options: MatchingOptions = MatchingOptions()) throws(MatchingError) -> MatchingResult {
        var builder = NetworkBuilder(state: state, now: now, policy: policy, options: options)
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
    /// The steps fair shares were exact to in the coarsest component (`share_steps`, or 1 when
    /// the numbers did not allow sharing there).
    public var shareSteps: Int
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
    /// How far this plan looks for it.
    var reach: ReachTier
    /// Whether it may draw on protected reserves in this plan.
    var mayDrawReserves: Bool
}

/// A source in the network: a lot in a warehouse (its free part, or its part inside the
/// warehouse's minimum level: `reserve`), a volunteer or a team.
enum SourceKind: Hashable {
    case lot(warehouse: String, lot: String, reserve: Bool)
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
    let options: MatchingOptions
    var needs: [NeedSlot] = []
    var needIndex: [String: Int] = [:]
    var sources: [SourceKind] = []
    var sourceSupply: [Int64] = []
    var sourceIndex: [SourceKind: Int] = [:]
    var candidates: [Candidate] = []
    /// Members of candidate teams: not also candidates on their own (a team goes as a unit).
    var teamMembersInPlay: Set<String> = []
    /// Active teams of the asked-for specialties: whether each is ready at `now` (for explanations).
    var teamReadiness: [String: Bool] = [:]
    /// Per need: how many candidates were cut by the per-unit cap (for explanations).
    var cappedCandidates: [Int: Int] = [:]
    /// Per volunteer need: the radius its search for candidates reached (for explanations).
    var searchRadius: [Int: Double] = [:]

    init(state: State, now: Timestamp, policy: MatchingPolicy, options: MatchingOptions = MatchingOptions()) {
        self.state = state; self.now = now; self.policy = policy; self.options = options
    }

    mutating func addNeed(_ id: String) {
        guard needIndex[id] == nil, Matching.isMissing(id, in: state), let need = state.needs[id],
              let incident = state.incidents[need.incident] else { return }
        needIndex[id] = needs.count
        needs.append(NeedSlot(need: need, incident: incident, missing: need.request.amount - state.committedAmount(of: id),
                              reach: policy.reach(for: need, of: incident, planReach: options.reach),
                              mayDrawReserves: !options.keepReserves && policy.mayDrawReserves(for: need, of: incident)))
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
        let segments = try unmetSegments(parts)

        // The whole network, with one slack node: what `MatchingResult.network` exports and what
        // the limits are checked on. It is solved component by component (below).
        var network = FlowNetwork(nodeCount: slack + 1)
        network.reserveCapacity(arcs: candidates.count + sourceCount + segments.capacity.count)
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
        for index in 0..<needCount {
            for k in segments.range(of: index) {
                network.addArc(from: slack, to: sourceCount + index, capacity: segments.capacity[k], cost: segments.penalty[k])
            }
        }
        do {
            _ = try MinCostFlow.checkLimits(network)
        } catch {
            throw .tooLarge(error.description)
        }

        let solution = try solveByComponent(parts, segments: segments, unmetArcs: unmetArcs, arcCount: network.arcCount)

        // Lines: by need (in the order asked), then cheapest first, then source order. A lot's
        // free and reserve parts sent to one need are one line, drawing on the reserve.
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
        var reserveLines = Set<Int>()
        var lineOfLot: [String: Int] = [:]   // "need warehouse lot" → index into lines
        for (index, flow) in served {
            let candidate = candidates[index]
            let need = needs[candidate.need].need.id
            let (cost, overflow) = candidate.unitCost.multipliedReportingOverflow(by: flow)
            guard !overflow else { throw .tooLarge("line cost of \(need)") }
            switch sources[candidate.source] {
            case .lot(let warehouse, let lot, let reserve):
                let key = need + " " + warehouse + " " + lot
                if let at = lineOfLot[key], case .supply(_, _, _, let quantity, let lineCost) = lines[at] {
                    let (total, overflowTotal) = lineCost.addingReportingOverflow(cost)
                    guard !overflowTotal else { throw .tooLarge("line cost of \(need)") }
                    lines[at] = .supply(need: need, warehouse: warehouse, lot: lot, quantity: quantity + flow, cost: total)
                    if reserve { reserveLines.insert(at + 1) }
                    continue
                }
                lineOfLot[key] = lines.count
                lines.append(.supply(need: need, warehouse: warehouse, lot: lot, quantity: flow, cost: cost))
                if reserve { reserveLines.insert(lines.count) }
            case .volunteer(let volunteer): lines.append(.volunteer(need: need, volunteer: volunteer, cost: cost))
            case .team(let team): lines.append(.team(need: need, team: team, cost: cost))
            }
            distances.append(candidate.distance)
        }

        // Unmet needs with their reasons.
        var missingAfter = [Int64](repeating: 0, count: needCount)
        for index in 0..<needCount {
            for k in segments.range(of: index) { missingAfter[index] += solution.flow[unmetArcs + k] }
        }
        // Reasons for what is left unmet, on every core when there are many (each reads only).
        let explained = (0..<needCount).filter { missingAfter[$0] > 0 }
        let explainer = Explainer(builder: self, flow: solution.flow, missingAfter: missingAfter, rank: segments.rank,
                                  shareSteps: segments.steps, explained: explained)
        let reasons = ParallelSlots<String>(count: explained.count, initial: "")
        let left = missingAfter
        @Sendable func explain(_ k: Int) { reasons.put(k, explainer.reason(need: explained[k], missing: left[explained[k]])) }
        if explained.count >= options.parallelSearchesFrom {
            DispatchQueue.concurrentPerform(iterations: explained.count) { explain($0) }
        } else {
            for k in explained.indices { explain(k) }
        }
        let unmet = explained.enumerated().map { k, index in
            UnmetNeed(need: needs[index].need.id, missing: missingAfter[index], reason: reasons.get(k))
        }
        var plan = Plan(id: planID, incident: incident, basedOnSeq: state.lastSeq, createdAt: now, lines: lines, unmet: unmet)
        plan.reach = options.reach
        plan.keepReserves = options.keepReserves
        plan.reserveLines = reserveLines
        return MatchingResult(plan: plan,
                              stats: MatchingStats(nodes: network.nodeCount, arcs: network.arcCount, pivots: solution.pivots,
                                                   priorityExact: segments.exact, shareSteps: segments.steps.min() ?? policy.shareSteps),
                              distances: distances, network: network, flowCost: solution.cost)
    }

    /// The unmet arcs of every need: their capacities and penalties (see `Matching` for why these
    /// values), each need's urgency rank in its component, and the share steps used there.
    func unmetSegments(_ parts: Components) throws(MatchingError) -> UnmetSegments {
        let sourceCount = sources.count, needCount = needs.count
        var segments = UnmetSegments(needCount: needCount)
        guard needCount > 0 else { return segments }

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

        // Per need: a unit in segment k costs (base + k) × gap.
        var base = [Int64](repeating: 0, count: needCount), gapOf = [Int64](repeating: 1, count: needCount)
        for component in 0..<parts.count {
            let members = parts.needs[component]
            var maxCost: Int64 = 0
            for candidate in parts.candidates[component] { maxCost = max(maxCost, candidates[candidate].unitCost) }
            let width = Int64(min(parts.sources[component].count, members.count))
            var (gap, overflow) = width.multipliedReportingOverflow(by: maxCost)
            gap = overflow ? Int64.max : gap + 1
            // Ranks by priority and urgency; the share steps as many as fit (halved until they do);
            // then the gap capped, and last ranks by priority alone without shares.
            var ranks = urgencyRanks(members, coarse: false)
            let count = Int64((ranks.max() ?? 0) + 1)
            var steps = Int64(policy.shareSteps)
            while steps > 1 && gap > cap / (count * steps) { steps = (steps + 1) / 2 }
            var tiers = count
            if gap > cap / (tiers * steps) {
                segments.exact = false
                gap = cap / (tiers * steps)
                if gap <= maxCost {
                    ranks = urgencyRanks(members, coarse: true)
                    tiers = Int64((ranks.max() ?? 0) + 1)
                    steps = 1
                    gap = min(width * maxCost + 1, cap / tiers)
                    guard gap > maxCost else {
                        throw .tooLarge("\(members.count) needs sharing \(parts.sources[component].count) sources cannot be ranked by priority "
                                        + "with costs up to \(maxCost) points per unit and \(demand) units missing; match fewer or smaller needs")
                    }
                }
            }
            for (member, rank) in zip(members, ranks) {
                segments.rank[member] = rank
                segments.steps[member] = Int(steps)
                base[member] = (tiers - 1 - Int64(rank)) * steps
                gapOf[member] = gap
            }
        }
        for (index, slot) in needs.enumerated() {
            let steps = segments.steps[index]
            func level(_ k: Int) -> Int64 { (base[index] + Int64(k)) * gapOf[index] }
            // Segment k holds the unmet units that take the need's unmet fraction past (k−1)/K, up
            // to k/K of what it asked (so a need partly met before counts what it has).
            let amount = Int128(slot.need.request.amount), missing = Int128(slot.missing)
            var previous: Int128 = 0
            for k in 1...steps {
                let bound = min(missing, amount * Int128(k) / Int128(steps))
                if bound > previous {
                    segments.capacity.append(Int64(bound - previous))
                    segments.penalty.append(level(k))
                }
                previous = max(previous, bound)
            }
            if previous < missing {   // a need already more than met never gets here; kept whole
                segments.capacity.append(Int64(missing - previous))
                segments.penalty.append(level(steps))
            }
            segments.start.append(segments.capacity.count)
        }
        return segments
    }

    /// Urgency ranks of `members` (indices into `needs`), 0 the most urgent: by priority, then by
    /// deadline, where the deadlines within `urgency_window` of the earliest of a group form one
    /// rank (`coarse`: by priority alone).
    func urgencyRanks(_ members: [Int], coarse: Bool) -> [Int] {
        let order = members.indices.sorted { a, b in
            let na = needs[members[a]].need, nb = needs[members[b]].need
            return (na.priority, na.neededBy.milliseconds, a) < (nb.priority, nb.neededBy.milliseconds, b)
        }
        var ranks = [Int](repeating: 0, count: members.count)
        var rank = -1, priority = Int.min, groupStart = Int64.min
        for k in order {
            let need = needs[members[k]].need
            let startsGroup = need.priority != priority
                || (!coarse && need.neededBy.milliseconds > groupStart &+ policy.urgencyWindowMilliseconds)
            if startsGroup {
                rank += 1
                priority = need.priority
                groupStart = need.neededBy.milliseconds
            }
            ranks[k] = rank
        }
        return ranks
    }
}

/// The unmet arcs of a network, need after need: need i's segments are `range(of: i)`, in order of
/// rising penalty.
struct UnmetSegments {
    /// Per need, where its segments start; one more at the end.
    var start: [Int] = [0]
    var capacity: [Int64] = []
    var penalty: [Int64] = []
    /// Per need: its urgency rank in its component (0 the most urgent) and the share steps there.
    var rank: [Int]
    var steps: [Int]
    var exact = true

    init(needCount: Int) {
        rank = Array(repeating: 0, count: needCount)
        steps = Array(repeating: 1, count: needCount)
    }

    func range(of need: Int) -> Range<Int> { start[need]..<start[need + 1] }
}
