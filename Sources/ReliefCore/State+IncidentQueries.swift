/// How far a need is met, for `incident show`, `need list` and the matcher. Amounts are units of
/// the need: items for a supply need, volunteers or teams for a personnel need.
public struct NeedProgress: Sendable, Equatable {
    public var need: String
    public var amount: Int64
    /// Covered by allocations not released (reserved, dispatched or delivered) or by assignments
    /// not released: `committedAmount(of:)`, the open_needs view's `met`.
    public var met: Int64
    /// Goods reserved in a warehouse and not yet sent.
    public var reserved: Int64
    /// Goods dispatched and not yet delivered.
    public var inTransit: Int64
    public var delivered: Int64
    /// amount − met, never negative.
    public var missing: Int64
    /// People en route and on scene (personnel needs; teams count each member).
    public var enRoute: Int
    public var onScene: Int
    /// Why the need is not met, from the most recent plan that looked at it; nil when met, or when
    /// no plan has looked at it yet.
    public var reason: String?
    public var reasonPlan: String?
}

extension State {
    /// The need a client named: by the id the daemon gave it, or by the ref the client gave it
    /// (the two never overlap: see `Need.looksLikeID`).
    public func need(named word: String) -> Need? {
        if let need = needs[word] { return need }
        return needByRef[word].flatMap { needs[$0] }
    }

    public func progress(of id: String) -> NeedProgress? {
        guard let need = needs[id] else { return nil }
        var reserved: Int64 = 0, inTransit: Int64 = 0, delivered: Int64 = 0
        for allocationID in allocationsByNeed[id] ?? [] {
            let allocation = allocations[allocationID]!
            switch allocation.status {
            case .reserved: reserved += allocation.quantity
            case .dispatched: inTransit += allocation.quantity
            case .delivered: delivered += allocation.quantity
            case .released: break
            }
        }
        var enRoute = 0, onScene = 0
        for assignmentID in assignmentsByNeed[id] ?? [] {
            switch assignments[assignmentID]!.status {
            case .enRoute: enRoute += 1
            case .onScene: onScene += 1
            case .assigned, .released: break
            }
        }
        let met = committedAmount(of: id)
        let missing = max(0, need.request.amount - met)
        var progress = NeedProgress(need: id, amount: need.request.amount, met: met, reserved: reserved, inTransit: inTransit,
                                    delivered: delivered, missing: missing, enRoute: enRoute, onScene: onScene)
        if missing > 0, need.status == .open, let unmet = latestUnmet(of: id) {
            progress.reason = unmet.reason
            progress.reasonPlan = unmet.plan
        }
        return progress
    }

    /// The reason the most recent plan that looked at the need (had a line or an unmet entry for
    /// it) gave for leaving it unmet; nil when that plan met it, or no plan looked at it.
    public func latestUnmet(of need: String) -> (plan: String, reason: String)? {
        for plan in plans.values.sorted(by: { State.creationOrder($1.id, $0.id) }) {
            if let unmet = plan.unmet.first(where: { $0.need == need }) { return (plan.id, unmet.reason) }
            if plan.lines.contains(where: { $0.need == need }) { return nil }
        }
        return nil
    }

    /// Needs still to be met: open, of an incident not closed; most urgent first (priority, then
    /// deadline, then creation), as the open_needs view orders them.
    public func openNeeds(incident: String? = nil) -> [Need] {
        let candidates: [Need]
        if let incident {
            candidates = (incidents[incident]?.needs ?? []).compactMap { needs[$0] }
        } else {
            candidates = Array(needs.values)
        }
        return candidates.filter { $0.status == .open && incidents[$0.incident].map { $0.status != .closed } == true }
            .sorted(by: State.urgency)
    }

    /// priority, then deadline, then creation order.
    public static func urgency(_ a: Need, _ b: Need) -> Bool {
        if a.priority != b.priority { return a.priority < b.priority }
        if a.neededBy != b.neededBy { return a.neededBy < b.neededBy }
        return creationOrder(a.id, b.id)
    }

    /// Allocations in creation order, filtered.
    public func allocationList(incident: String? = nil, need: String? = nil, status: AllocationStatus? = nil) -> [Allocation] {
        let ids: [String]
        if let need {
            ids = allocationsByNeed[need] ?? []
        } else if let incident {
            ids = (incidents[incident]?.needs ?? []).flatMap { allocationsByNeed[$0] ?? [] }.sorted(by: State.creationOrder)
        } else {
            ids = allocations.keys.sorted(by: State.creationOrder)
        }
        return ids.compactMap { allocations[$0] }
            .filter { (incident == nil || $0.incident == incident) && (status == nil || $0.status == status) }
    }

    /// Assignments in creation order, filtered.
    public func assignmentList(incident: String? = nil, need: String? = nil, volunteer: String? = nil,
                               status: AssignmentStatus? = nil) -> [Assignment] {
        let ids: [String]
        if let need {
            ids = assignmentsByNeed[need] ?? []
        } else if let incident {
            ids = (incidents[incident]?.needs ?? []).flatMap { assignmentsByNeed[$0] ?? [] }.sorted(by: State.creationOrder)
        } else {
            ids = assignments.keys.sorted(by: State.creationOrder)
        }
        return ids.compactMap { assignments[$0] }.filter {
            (incident == nil || $0.incident == incident) && (volunteer == nil || $0.volunteer == volunteer) && (status == nil || $0.status == status)
        }
    }

    /// What keeps an incident from closing: goods reserved or in transit, people not released.
    public func closingBlockers(of incident: String) -> (allocations: [Allocation], assignments: [Assignment]) {
        (allocationList(incident: incident).filter { $0.status == .reserved || $0.status == .dispatched },
         assignmentList(incident: incident).filter { $0.status.isActive })
    }

    /// Units of `sku` the incident's open needs ask for.
    public func openSupplyAmount(incident: String, sku: String) -> Int64 {
        // Each need asks for at most Quantity.maximum, but an incident may have any number of them;
        // past Int64.max (millions of needs at the maximum) the estimate proposes nothing more.
        let sum = openNeeds(incident: incident).reduce(Int128(0)) { sum, need in
            if case .supply(let item, let quantity) = need.request, item == sku { return sum + Int128(quantity) }
            return sum
        }
        return Int64(clamping: sum)
    }
}
