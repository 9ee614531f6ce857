import ReliefCore

/// Why a need is left unmet or partly met, in words a duty officer can act on: what is missing
/// where, what blocks it (no stock, out of reach, expiring too soon, reserved, expired
/// certifications, people deployed or resting, teams not ready) and which needs were served first.
/// The first clause is the main reason; the clauses after `;` are further facts.
///
/// Explanations look again at the state around the need (the roster's grid index for people), so
/// they cost what the stock and people near the incident cost; only unmet needs are explained.
struct Explainer {
    let builder: NetworkBuilder
    /// The builder's state, held here so that reading it is not a copy of the whole `State`.
    let state: State
    let flow: [Int64]
    /// Per need: what the plan leaves missing, its urgency rank in its component, its share steps.
    let missingAfter: [Int64]
    let rank: [Int]
    let shareSteps: [Int]
    /// Per source: the needs it sent something to, by need index.
    private let servedBy: [[Int]]
    /// Per need: the sources it was a candidate arc of.
    private let candidateSources: [[Int]]
    /// Per specialty of an explained team need: its teams as team explanations see them.
    private let teamSummaries: [String: TeamSummary]
    /// Per item of an explained supply need: the warehouses holding some of it, found in one walk
    /// of the stock. A country has 3,000 warehouses and a thousand unmet needs of a few hundred
    /// items: walking every warehouse for every need was a quarter of a country plan.
    private let holders: [String: [(id: String, location: Coordinate, region: String, stock: SkuStock)]]

    /// Ready to explain the needs `explained` (indices into the builder's needs): what several
    /// explanations read is found here once, so that the explanations themselves only read and
    /// may run on several threads.
    init(builder: NetworkBuilder, flow: [Int64], missingAfter: [Int64], rank: [Int], shareSteps: [Int], explained: [Int]) {
        self.builder = builder
        self.state = builder.state
        self.flow = flow
        self.missingAfter = missingAfter
        self.rank = rank
        self.shareSteps = shareSteps
        var served = Array(repeating: [Int](), count: builder.sources.count)
        var sourcesOf = Array(repeating: [Int](), count: builder.needs.count)
        if !explained.isEmpty {
            for (arc, candidate) in builder.candidates.enumerated() {
                sourcesOf[candidate.need].append(candidate.source)
                if flow[arc] > 0 { served[candidate.source].append(candidate.need) }
            }
        }
        servedBy = served
        candidateSources = sourcesOf
        var skus = Set<String>(), specialties = Set<String>()
        for index in explained {
            switch builder.needs[index].need.request {
            case .supply(let sku, _): skus.insert(sku)
            case .teams(let specialty, _, _): specialties.insert(specialty)
            case .volunteers: break
            }
        }
        var found: [String: [(id: String, location: Coordinate, region: String, stock: SkuStock)]] = [:]
        if !skus.isEmpty {
            for (id, held) in state.stock {
                guard let warehouse = state.warehouses[id] else { continue }
                if held.count <= skus.count {
                    for (sku, skuStock) in held where skuStock.onHand > 0 && skus.contains(sku) { found[sku, default: []].append((id, warehouse.location, warehouse.region, skuStock)) }
                } else {
                    for sku in skus { if let skuStock = held[sku], skuStock.onHand > 0 { found[sku, default: []].append((id, warehouse.location, warehouse.region, skuStock)) } }
                }
            }
        }
        holders = found
        var summaries: [String: TeamSummary] = [:]
        for specialty in specialties { summaries[specialty] = Explainer.teamSummary(specialty, builder: builder) }
        teamSummaries = summaries
    }

    var policy: MatchingPolicy { builder.policy }

    func reason(need index: Int, missing: Int64) -> String {
        let slot = builder.needs[index]
        switch slot.need.request {
        case .supply(let sku, _): return supplyReason(index, slot, sku: sku, missing: missing)
        case .volunteers(let skill, _, _): return volunteerReason(index, slot, skill: skill)
        case .teams(let specialty, _, _): return teamReason(index, slot, specialty: specialty)
        }
    }

    // MARK: competing needs

    /// Other needs that got something from a source this need could have used, most urgent first.
    func competitors(of index: Int) -> [Int] {
        var out = Set<Int>()
        for source in candidateSources[index] { for other in servedBy[source] where other != index { out.insert(other) } }
        return out.sorted { a, b in
            let na = builder.needs[a].need, nb = builder.needs[b].need
            return (na.priority, na.neededBy.milliseconds, na.id) < (nb.priority, nb.neededBy.milliseconds, nb.id)
        }
    }

    /// Percent of what need `index` asked that it has or gets from the plan, rounded down.
    func metPercent(_ index: Int) -> Int64 {
        let amount = builder.needs[index].need.request.amount
        guard amount > 0 else { return 100 }
        return Int64(Int128(amount - missingAfter[index]) * 100 / Int128(amount))
    }

    /// How others took what this need could use, as the main clause: "shared with needs as urgent
    /// …" (same urgency rank: fair shares), "lower priority than …", or "due later than … (beyond
    /// the urgency window)"; nil when no other need took anything it could have used.
    func competitionClause(_ index: Int, what: String) -> String? {
        let others = competitors(of: index)
        guard !others.isEmpty else { return nil }
        let mine = builder.needs[index].need
        let moreUrgent = others.filter { rank[$0] < rank[index] }
        let asUrgent = others.filter { rank[$0] == rank[index] }
        func named(_ list: [Int], share: Bool) -> String {
            list.prefix(5).map { other -> String in
                let need = builder.needs[other].need
                let place = builder.needs[other].incident.title
                return "\(need.id) (\(place), priority \(need.priority), by \(need.neededBy.iso8601)"
                    + (share ? ", \(metPercent(other)) % met)" : ")")
            }.joined(separator: ", ") + (list.count > 5 ? " and \(list.count - 5) more" : "")
        }
        if !asUrgent.isEmpty && moreUrgent.isEmpty {
            let window = policy.urgencyWindowMilliseconds / 60_000
            let windowText = window % 60 == 0 ? "\(window / 60) h" : "\(window) min"
            let steps = shareSteps[index]
            let rule = steps > 1
                ? "shared so that no need is left with a larger unmet fraction than it must (to 1/\(steps))"
                : "shares not possible at this size: the cheapest were served first"
            return "\(what) shared with needs as urgent (priority \(mine.priority), due within \(windowText) of each other): this need "
                + "\(metPercent(index)) % met; \(named(asUrgent, share: true)); \(rule)"
        }
        let higher = moreUrgent.contains { builder.needs[$0].need.priority < mine.priority }
        let head = higher ? "lower priority than competing needs" : "due later than competing needs (beyond the urgency window)"
        var text = head + ": " + named(moreUrgent, share: false)
        if !asUrgent.isEmpty { text += "; the rest shared with needs as urgent: " + named(asUrgent, share: true) }
        return text
    }

    /// Where the need's reach stops, in words: "in the incident's province".
    func reachPhrase(_ slot: NeedSlot, people: Bool = false) -> String {
        switch slot.reach {
        case .county: "in the incident's county"
        case .city: "in the incident's city"
        case .province: "in the incident's province"
        case .country: "within \(reachText(people ? policy.peopleReachKilometres : policy.supplyReachKilometres)) of the incident"
        }
    }

    /// What widening would look like, for a need stopped by its reach.
    func widenHint(_ slot: NeedSlot) -> String {
        guard slot.reach < .country else { return "" }
        let next = slot.reach.wider.name
        return builder.options.reach != nil
            ? " (this plan was asked for reach=\(slot.reach.name); plan reach=\(next) looks further)"
            : " (reach \(slot.reach.name) for priority \(slot.need.priority); need change \(slot.need.id) reach=\(next) or plan reach=\(next) looks further)"
    }

    // MARK: supplies

    /// A distance with one decimal: `139.0 km`.
    func kmText(_ km: Double) -> String {
        let tenths = Int64((km * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) km"
    }

    /// A reach from the policy, without decimals when whole: `100 km`.
    func reachText(_ km: Double) -> String {
        km == km.rounded() ? "\(Int64(km)) km" : kmText(km)
    }

    /// The warehouses with `sku` on hand, each with its stock of it.
    private func holders(of sku: String) -> [(id: String, location: Coordinate, region: String, stock: SkuStock)] { holders[sku] ?? [] }

    func supplyReason(_ index: Int, _ slot: NeedSlot, sku: String, missing: Int64) -> String {
        let outer = policy.supplyReachKilometres
        let unit = state.items[sku]?.unit ?? "unit"
        let usableFrom = max(slot.need.neededBy.day, builder.now.day)
        let within = reachPhrase(slot)
        // Sums over every warehouse, including those beyond reach that the matcher's own checks
        // never saw: in 128 bits, so no number of them can overflow.
        var onHandAnywhere: Int128 = 0
        var nearestBeyond: (warehouse: String, region: String, km: Double, available: Int64)?
        var expiring: Int128 = 0, expiringLots = 0
        var latestExpiring: Day?
        var reserved: Int128 = 0, free: Int128 = 0, protected: Int128 = 0, protectedAt = 0
        // Sums and the nearest (ties by id) do not depend on the order the warehouses are walked in.
        for (id, location, region, skuStock) in holders(of: sku) {
            onHandAnywhere += Int128(skuStock.onHand)
            let km = location.distanceKilometres(to: slot.incident.location)
            if km > outer || ReachTier.between(region, slot.incident.region) > slot.reach {
                if skuStock.available > 0, nearestBeyond == nil || (km, id) < (nearestBeyond!.km, nearestBeyond!.warehouse) {
                    nearestBeyond = (id, region, km, skuStock.available)
                }
                continue
            }
            var usable: Int128 = 0
            for (code, holding) in skuStock.lots {
                if let expires = state.lots[code]?.expires, expires < usableFrom {
                    expiring += Int128(holding.onHand)
                    expiringLots += 1
                    latestExpiring = max(latestExpiring ?? expires, expires)
                } else {
                    reserved += Int128(holding.reserved)
                    usable += Int128(holding.available)
                }
            }
            let minimum = Int128(state.minimums[id]?[sku] ?? 0)
            let kept = slot.mayDrawReserves ? 0 : min(usable, minimum, Int128(skuStock.available))
            if kept > 0 { protected += kept; protectedAt += 1 }
            free += usable - kept
        }
        if onHandAnywhere == 0 { return "no stock of \(sku) in any warehouse" }
        let beyondText = nearestBeyond.map {
            "nearest beyond reach: \($0.warehouse) (\($0.region)) at \(kmText($0.km)) with \($0.available) \(unit) available" + widenHint(slot)
        }
        let reserveRule = builder.options.keepReserves
            ? "this plan was asked to keep reserves (reserves=keep)"
            : "drawn only for needs of priority \(policy.reservePriority) or above, or incidents of severity \(policy.reserveSeverity) or more"
        let protectedText = "\(protected) \(unit) \(within) held as protected reserve (the minimum level\(protectedAt == 1 ? "" : "s") of \(protectedAt) warehouse\(protectedAt == 1 ? "" : "s"); \(reserveRule))"
        if free + reserved + expiring + protected == 0 {
            return "no stock of \(sku) \(within); " + (beyondText ?? "")
        }
        var clauses: [String] = []
        if free + reserved == 0 && protected > 0 {
            clauses.append("the only stock of \(sku) left \(within) is protected reserve: " + protectedText)
        } else if free + reserved == 0 {
            clauses.append("stock of \(sku) \(within) only in lots that expire before \(usableFrom.iso8601) "
                           + "(\(expiring) \(unit) in \(expiringLots) lots, the latest expiring \(latestExpiring!.iso8601))")
        } else if free == 0 {
            clauses.append("all \(reserved) \(unit) of \(sku) \(within) are reserved for other needs")
        } else if let competition = competitionClause(index, what: "\(free) \(unit) of \(sku) \(within)") {
            clauses.append(competition)
        } else {
            clauses.append("only \(free) \(unit) of \(sku) available \(within)")
        }
        if free + reserved > 0 && protected > 0 { clauses.append(protectedText) }
        if free + reserved + protected > 0 && expiring > 0 { clauses.append("\(expiring) \(unit) more in lots that expire before \(usableFrom.iso8601)") }
        if free > 0 && reserved > 0 { clauses.append("\(reserved) \(unit) more reserved for other needs") }
        if let beyondText { clauses.append(beyondText) }
        return clauses.joined(separator: "; ")
    }

    // MARK: people

    func volunteerReason(_ index: Int, _ slot: NeedSlot, skill: String) -> String {
        let reach = builder.searchRadius[index] ?? policy.peopleSearchKilometres
        // The search stops at the tier, or nearer when it found enough candidates there.
        let within = reach >= policy.peopleReachKilometres ? reachPhrase(slot, people: true)
            : "within \(reachText(reach)) of the incident" + (slot.reach == .country ? "" : " " + reachPhrase(slot))
        let location = slot.incident.location
        let day = slot.need.neededBy.day
        if state.volunteerIDs(listing: skill).isEmpty { return "no volunteer has the skill \(skill)" }
        let region = slot.incident.region, tier = slot.reach
        func inReach(_ id: String) -> Bool {
            guard let volunteer = state.volunteers[id] else { return false }
            return ReachTier.between(volunteer.profile.region, region) <= tier
        }
        let near = state.volunteersListing(skill, near: location, radiusKilometres: reach).filter { inReach($0.id) }
        if near.isEmpty {
            var radius = reach * 2
            var nearest: (id: String, distance: Double)?
            while nearest == nil && radius < 40_000 {
                nearest = state.volunteersListing(skill, near: location, radiusKilometres: radius).first
                radius *= 2
            }
            let outside = nearest.map { !inReach($0.id) } ?? false
            return "no volunteer with \(skill) \(within)"
                + (nearest.map { "; nearest: \($0.id) at \(kmText($0.distance))" + (outside ? ", beyond reach" + widenHint(slot) : "") } ?? "")
        }
        var expired = 0, uncertified = 0, certified = 0
        var deployed = 0, resting = 0, dutyLimit = 0, away = 0, available = 0, inTeams = 0
        for (id, _) in near {
            let volunteer = state.volunteers[id]!
            if !state.hasSkill(volunteer, skill, on: day) {
                if let certification = volunteer.certifications[skill], day > certification.expires { expired += 1 } else { uncertified += 1 }
                continue
            }
            certified += 1
            let (isAvailable, why) = state.availability(of: volunteer, at: builder.now)
            if isAvailable {
                available += 1
                if builder.teamMembersInPlay.contains(id) { inTeams += 1 }
                continue
            }
            let status = state.effectiveStatus(of: volunteer, at: builder.now)
            if status == .deployed { deployed += 1 }
            else if status != .available { away += 1 }
            else if why?.hasPrefix("resting") == true { resting += 1 }
            else { dutyLimit += 1 }
        }
        var clauses: [String] = []
        let unavailableText = [(deployed, "deployed"), (resting, "resting"), (dutyLimit, "at their duty-hour limit"),
                               (away, "off duty, on standby or unavailable")]
            .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        if certified == 0 {
            var text = "certifications expired: none of the \(near.count) volunteers with \(skill) \(within) is certified on \(day.iso8601)"
            text += " (\(expired) expired" + (uncertified > 0 ? ", \(uncertified) never certified" : "") + ")"
            clauses.append(text)
        } else if available == 0 {
            clauses.append("all \(certified) certified volunteers with \(skill) \(within) are deployed or resting: \(unavailableText)")
        } else if let competition = competitionClause(index, what: "volunteers") {
            clauses.append(competition)
        } else if inTeams == available {
            clauses.append("the \(available) available certified volunteers with \(skill) \(within) are members of teams proposed for team needs")
        } else {
            clauses.append("only \(available - inTeams) certified volunteers with \(skill) \(within) are available")
        }
        if certified > 0 && available > 0 && !unavailableText.isEmpty { clauses.append("\(unavailableText)") }
        if certified > 0 && expired > 0 { clauses.append("\(expired) more hold an expired \(skill) certification") }
        if inTeams > 0 && inTeams < available { clauses.append("\(inTeams) more are members of teams proposed for team needs") }
        if let capped = builder.cappedCandidates[index], capped > 0 { clauses.append("\(capped) farther candidates not considered") }
        return clauses.joined(separator: "; ")
    }

    /// The teams of a specialty as every team explanation of one plan sees them (readiness is at
    /// the plan's `now`, the same for every need): the ready ones with their bases, and the first
    /// three not ready (by id) with why, and how many are not ready.
    struct TeamSummary {
        var any = false
        var ready: [(id: String, base: Coordinate, region: String)] = []
        var notReady: [String] = []
        var notReadyCount = 0
    }

    static func teamSummary(_ specialty: String, builder: NetworkBuilder) -> TeamSummary {
        let state = builder.state
        let teams = state.teams.values.filter { $0.specialty == specialty }.sorted { $0.id < $1.id }
        var summary = TeamSummary(any: !teams.isEmpty)
        for team in teams {
            // The candidates' readiness, found once for the plan; the words only for the first three not ready.
            let ready = builder.teamReadiness[team.id] ?? (state.teamReadiness(team, at: builder.now).state == .ready)
            guard ready else {
                summary.notReadyCount += 1
                if summary.notReady.count < 3 {
                    let readiness = state.teamReadiness(team, at: builder.now)
                    summary.notReady.append("\(team.id) \(readiness.state.rawValue)" + (readiness.reason.map { " (\($0))" } ?? ""))
                }
                continue
            }
            summary.ready.append((team.id, team.base, team.region))
        }
        return summary
    }

    func teamReason(_ index: Int, _ slot: NeedSlot, specialty: String) -> String {
        let reach = policy.peopleReachKilometres
        let within = reachPhrase(slot, people: true)
        let summary = teamSummaries[specialty] ?? Explainer.teamSummary(specialty, builder: builder)
        if !summary.any { return "no \(specialty) team on the roster" }
        var readyNear = 0
        var readyFar: (team: String, km: Double)?
        let notReady = summary.notReady, notReadyCount = summary.notReadyCount
        for (id, base, region) in summary.ready {
            let km = base.distanceKilometres(to: slot.incident.location)
            if km <= reach && ReachTier.between(region, slot.incident.region) <= slot.reach { readyNear += 1 }
            else if readyFar == nil || km < readyFar!.km { readyFar = (id, km) }
        }
        let notReadyText = notReady.joined(separator: "; ") + (notReadyCount > 3 ? "; and \(notReadyCount - 3) more not ready" : "")
        var clauses: [String] = []
        if readyNear == 0 && readyFar == nil {
            clauses.append("no ready \(specialty) team: \(notReadyText)")
            return clauses.joined()
        }
        if readyNear == 0 {
            clauses.append("no ready \(specialty) team \(within); nearest ready: \(readyFar!.team) at \(kmText(readyFar!.km))" + widenHint(slot))
        } else if let competition = competitionClause(index, what: "teams") {
            clauses.append(competition)
        } else {
            clauses.append("only \(readyNear) ready \(specialty) team\(readyNear == 1 ? "" : "s") \(within)")
        }
        if !notReady.isEmpty { clauses.append("not ready: \(notReadyText)") }
        return clauses.joined(separator: "; ")
    }
}
