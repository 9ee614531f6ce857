import Dispatch
import ReliefCore

/// People candidates: team → team need and volunteer → volunteer need arcs.
///
/// Both come from within the need's reach tier (its home region and the incident's share the
/// county, city or province the tier asks; `country`: anywhere) and at most
/// `policy.peopleReachKilometres` away: a team 104 km away in the next city of the province is
/// proposed with its travel cost, not dropped at a radius.
/// - Team needs take a ready team (`State.teamReadiness` at `now`: active, led, every member
///   available and holding the specialty's skills) of the need's specialty as one unit: supply 1,
///   so a team is in at most one line. Only the nearest `candidatesPerUnit × missing` are
///   considered. Cost: travel + region crossing + the fatigue of its most tired member.
/// - Volunteer needs take available volunteers (`State.availability` at `now`: status, rest and
///   duty-hour limits) holding the skill (certified on the need's day where the skill needs a
///   certificate), nearest first, at most `candidatesPerUnit × missing` per need (the roster's
///   grid index finds them without scanning the roster, searching `people_search_km` first and
///   doubling the radius only while too few are found). Each volunteer is one node
///   with supply 1 shared by every need they are a candidate for, so nobody is in two lines.
///   Members of a team that is a candidate for a team need in the same network are left out: a
///   team goes as a unit. Cost: travel + fatigue (hours on duty in the last 24 hours).
extension NetworkBuilder {
    mutating func addTeamCandidates() {
        var teamNeeds: [Int] = []
        for (index, slot) in needs.enumerated() { if case .teams = slot.need.request { teamNeeds.append(index) } }
        guard !teamNeeds.isEmpty else { return }
        var specialties = Set<String>()
        for index in teamNeeds { if case .teams(let specialty, _, _) = needs[index].need.request { specialties.insert(specialty) } }
        // The active teams of the asked-for specialties (numbered in id order) and those in reach
        // of each team need. Whether a team is ready, and its fatigue, is found once per team
        // (each member looked at once) and kept for the explanations of unmet team needs.
        var teams: [Team] = []
        for team in state.teams.values where team.state == .active && specialties.contains(team.specialty) { teams.append(team) }
        teams.sort { $0.id < $1.id }
        var bySpecialty: [String: [Int]] = [:]
        for k in teams.indices { bySpecialty[teams[k].specialty, default: []].append(k) }
        var inReachOf: [[(team: Int, distance: Double)]] = []
        var wanted = [Bool](repeating: false, count: teams.count)
        for needIndex in teamNeeds {
            let slot = needs[needIndex]
            guard case .teams(let specialty, _, _) = slot.need.request else { inReachOf.append([]); continue }
            var inReach: [(team: Int, distance: Double)] = []
            for k in bySpecialty[specialty] ?? [] {
                guard ReachTier.between(teams[k].region, slot.incident.region) <= slot.reach else { continue }
                let distance = teams[k].base.distanceKilometres(to: slot.incident.location)
                guard distance <= policy.peopleReachKilometres else { continue }
                inReach.append((k, distance))
                wanted[k] = true
            }
            inReachOf.append(inReach)
        }
        // A plan's many team needs: every team in reach looked at up front, on every core. A
        // `match`'s few: only as many as it takes, nearest first (below).
        var facts = [(ready: Bool, fatigue: Int64)?](repeating: nil, count: teams.count)
        let looked = teams.indices.filter { wanted[$0] }
        if teamNeeds.count >= options.parallelSearchesFrom && looked.count > 1 {
            let state = self.state, policy = self.policy, now = self.now, sorted = teams
            let found = ParallelSlots<(ready: Bool, fatigue: Int64)>(count: looked.count, initial: (false, 0))
            DispatchQueue.concurrentPerform(iterations: looked.count) { k in
                found.put(k, state.teamIsReady(sorted[looked[k]], at: now) { policy.fatigueCost(dutyMilliseconds: $0) })
            }
            for (k, team) in looked.enumerated() { facts[team] = found.get(k) }
        }
        func fact(_ k: Int) -> (ready: Bool, fatigue: Int64) {
            if let known = facts[k] { return known }
            let found = state.teamIsReady(teams[k], at: now) { policy.fatigueCost(dutyMilliseconds: $0) }
            facts[k] = found
            return found
        }
        for (n, needIndex) in teamNeeds.enumerated() {
            let slot = needs[needIndex]
            // Nearest first (teams are numbered in id order: the index breaks ties as the id
            // would); the ready ones until `candidatesPerUnit × missing` are found.
            var inReach = inReachOf[n]
            inReach.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.team < $1.team }
            let limit = policy.candidatesPerUnit * Int(slot.missing)
            var chosen: [(team: Int, distance: Double)] = []
            for (k, entry) in inReach.enumerated() {
                if chosen.count == limit {
                    cappedCandidates[needIndex] = inReach.count - k
                    break
                }
                if fact(entry.team).ready { chosen.append(entry) }
            }
            for (k, distance) in chosen {
                let team = teams[k]
                let node = source(.team(team.id), supply: 1)
                candidates.append(Candidate(source: node, need: needIndex, capacity: 1,
                                            unitCost: policy.travelCost(kilometres: distance, from: nil, region: team.region,
                                                                        to: slot.incident.region, in: state)
                                                + policy.regionPenalty(from: team.region, to: slot.incident.region) + fact(k).fatigue,
                                            distance: distance))
                teamMembersInPlay.formUnion(team.members)
            }
        }
        for (k, known) in facts.enumerated() { if let known { teamReadiness[teams[k].id] = known.ready } }
    }

    mutating func addVolunteerCandidates() {
        var volunteerNeeds: [Int] = []
        for (needIndex, slot) in needs.enumerated() { if case .volunteers = slot.need.request { volunteerNeeds.append(needIndex) } }
        guard !volunteerNeeds.isEmpty else { return }
        // The searches only read the state: at plan scale (thousands of needs, a third of a
        // country plan) they run on every core, each into its own slot, and are added below in
        // need order, so the network is the same whatever the number of threads.
        let state = self.state, policy = self.policy, now = self.now, excluded = teamMembersInPlay, options = self.options
        let slots = volunteerNeeds.map { needs[$0] }
        let results = ParallelSlots<(found: [(id: String, distance: Double, cost: Int64)], radius: Double)>(count: slots.count, initial: ([], 0))
        if slots.count >= options.parallelSearchesFrom {
            DispatchQueue.concurrentPerform(iterations: slots.count) { k in
                results.put(k, NetworkBuilder.volunteerSearch(slots[k], state: state, policy: policy, now: now, excluding: excluded))
            }
        } else {
            for k in slots.indices { results.put(k, NetworkBuilder.volunteerSearch(slots[k], state: state, policy: policy, now: now, excluding: excluded)) }
        }
        for (k, needIndex) in volunteerNeeds.enumerated() {
            let slot = slots[k]
            let result = results.get(k)
            searchRadius[needIndex] = result.radius
            for (id, km, cost) in result.found {
                let node = source(.volunteer(id), supply: 1)
                candidates.append(Candidate(source: node, need: needIndex, capacity: 1, unitCost: cost, distance: km))
            }
        }
    }

    /// The nearest deployable volunteers for one volunteer need, at most `candidatesPerUnit ×
    /// missing`, searching `people_search_km` first and doubling the radius while too few are
    /// found; and the radius it ended at.
    static func volunteerSearch(_ slot: NeedSlot, state: State, policy: MatchingPolicy, now: Timestamp,
                                excluding excluded: Set<String>) -> (found: [(id: String, distance: Double, cost: Int64)], radius: Double) {
        guard case .volunteers(let skill, _, _) = slot.need.request else { return ([], 0) }
        let limit = policy.candidatesPerUnit * Int(slot.missing)
        let reach = slot.reach, region = slot.incident.region
        let accept: ((Volunteer) -> Bool)? = reach == .country ? nil : { ReachTier.between($0.profile.region, region) <= reach }
        var radius = min(policy.peopleSearchKilometres, policy.peopleReachKilometres)
        // The cost of sending each: travel, region crossing, fatigue (hours on duty in the last 24).
        let cost = { (volunteer: Volunteer, km: Double) -> Int64 in
            policy.travelCost(kilometres: km, from: nil, region: volunteer.profile.region, to: region, in: state)
                + policy.regionPenalty(from: volunteer.profile.region, to: region)
                + policy.fatigueCost(dutyMilliseconds: state.dutyMillisecondsInLastDay(of: volunteer, at: now))
        }
        var found: [(id: String, distance: Double, cost: Int64)]
        while true {
            found = state.nearestDeployable(skill: skill, certifiedOn: slot.need.neededBy.day, near: slot.incident.location,
                                            radiusKilometres: radius, limit: limit, at: now,
                                            excluding: excluded, accepting: accept, costing: cost)
            guard found.count < limit, radius < policy.peopleReachKilometres else { break }
            radius = min(radius * 2, policy.peopleReachKilometres)
        }
        return (found, radius)
    }
}

/// One result per item of a parallel loop (a volunteer need's search, a team's readiness, an
/// unmet need's explanation), written by the iteration of that item (on whichever thread ran it)
/// and read after `concurrentPerform` has returned, which orders the two. Each slot is written
/// once, by one iteration; none is read while the loop runs.
final class ParallelSlots<Result>: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Result>
    private let count: Int

    init(count: Int, initial: Result) {
        self.count = max(count, 1)
        base = .allocate(capacity: self.count)
        base.initialize(repeating: initial, count: self.count)
    }

    deinit { base.deinitialize(count: count); base.deallocate() }

    func put(_ index: Int, _ result: Result) { base[index] = result }
    func get(_ index: Int) -> Result { base[index] }
}
