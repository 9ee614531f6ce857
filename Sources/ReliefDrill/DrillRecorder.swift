import ReliefCore

/// What the after-action report needs that the final state no longer shows: when each need was
/// first proposed, applied, dispatched and delivered, the reasons plans gave over time, the open
/// and unmet counts and the stock after every change, the flows as they left, plans as they came.
/// Fed with the drill's entries as they are made; reads the state only as it is right after them.
struct DrillRecorder {
    struct NeedTimes {
        var firstProposed: Int?
        var applied: Int?
        var dispatched: Int?
        var delivered: Int?
        var reasons: [DrillReport.Reason] = []
    }

    struct PlanTimes {
        var id: String
        var minute: Int
        var lines: Int
        var applied: Int?
    }

    let start: DrillTime.Start
    /// Needs of the report: open at T+00:00, or added during the drill, in the order they were made.
    var needOrder: [String] = []
    var needs: [String: NeedTimes] = [:]
    var incidentsOpened: [String] = []
    var plans: [PlanTimes] = []
    var planIndex: [String: Int] = [:]
    var flows: [DrillReport.Flow] = []
    var timeline: [DrillReport.TimelinePoint] = []
    /// Available stock after each change, per (warehouse, item), one point per minute (the last).
    var stock: [StockKey: [DrillReport.StockSeries.Point]] = [:]
    var volunteersAssigned: Set<String> = []
    var teamsAssigned: Set<String> = []
    /// Assignments made during the drill: their hours on scene are the drill's.
    var assignments: [String] = []
    var noShows = 0
    var restLimitRefusals = 0
    /// Each need counted in the timeline: open (of an incident not closed), and not fully met.
    /// Kept up to date from the entries that touch a need, so a drill of ten thousand injects does
    /// not walk every need after each of them.
    private var standing: [String: (open: Bool, unmet: Bool)] = [:]
    private var openCount = 0
    private var unmetCount = 0

    init(start: DrillTime.Start, state: State) {
        self.start = start
        for need in state.openNeeds().sorted(by: { DrillRecorder.creationOrder($0.id, $1.id) }) {
            needOrder.append(need.id)
            needs[need.id] = NeedTimes()
        }
        for id in state.needs.keys { refresh(id, in: state) }
        timeline.append(.init(minute: 0, openNeeds: openCount, unmetNeeds: unmetCount))
    }

    /// Counts `need` again as it stands in `state`.
    private mutating func refresh(_ id: String, in state: State) {
        let before = standing[id] ?? (false, false)
        var now = (open: false, unmet: false)
        if let need = state.needs[id], need.status == .open, let incident = state.incidents[need.incident], incident.status != .closed {
            now = (true, state.committedAmount(of: id) < need.request.amount)
        }
        openCount += (now.open ? 1 : 0) - (before.open ? 1 : 0)
        unmetCount += (now.unmet ? 1 : 0) - (before.unmet ? 1 : 0)
        standing[id] = now
    }

    /// The needs whose standing `entry` may change.
    private static func needsAffected(by entry: Entry, in state: State) -> [String] {
        switch entry.event {
        case .needAdded(let need): [need.id]
        case .needChanged(let id, _, _, _, _, _), .needCancelled(let id, _): [id]
        case .allocationReserved(let allocation): [allocation.need]
        case .allocationDispatched(let id, _, _, _), .allocationDelivered(let id, _, _, _), .allocationReleased(let id, _):
            state.allocations[id].map { [$0.need] } ?? []
        case .assignmentMade(let assignment): [assignment.need]
        case .assignmentStatusSet(let id, _), .assignmentReleased(let id, _): state.assignments[id].map { [$0.need] } ?? []
        case .incidentStatusSet(let id, _, _): state.incidents[id]?.needs ?? []
        default: []
        }
    }

    mutating func observe(_ entries: [Entry], touched: Set<StockKey>, state: State, now: Timestamp) {
        let minute = start.minute(of: now)
        var needsTouched = Set<String>()
        for entry in entries {
            switch entry.event {
            case .incidentOpened(let incident):
                incidentsOpened.append(incident.id)
            case .needAdded(let need):
                needOrder.append(need.id)
                needs[need.id] = NeedTimes()
            case .planProposed(let plan):
                planIndex[plan.id] = plans.count
                plans.append(PlanTimes(id: plan.id, minute: minute, lines: plan.lines.count))
                for line in plan.lines where needs[line.need]?.firstProposed == nil { needs[line.need]?.firstProposed = minute }
                for unmet in plan.unmet {
                    guard let last = needs[unmet.need]?.reasons.last else {
                        needs[unmet.need]?.reasons.append(.init(minute: minute, missing: unmet.missing, reason: unmet.reason))
                        continue
                    }
                    // A reason is kept when it changes: a need short for a day does not fill the report.
                    if last.missing != unmet.missing || last.reason != unmet.reason {
                        needs[unmet.need]?.reasons.append(.init(minute: minute, missing: unmet.missing, reason: unmet.reason))
                    }
                }
            case .planApplied(let id, _):
                if let index = planIndex[id], plans[index].applied == nil { plans[index].applied = minute }
            case .allocationReserved(let allocation):
                if needs[allocation.need]?.applied == nil { needs[allocation.need]?.applied = minute }
            case .assignmentMade(let assignment):
                if needs[assignment.need]?.applied == nil { needs[assignment.need]?.applied = minute }
                volunteersAssigned.insert(assignment.volunteer)
                if let team = assignment.team { teamsAssigned.insert(team) }
                assignments.append(assignment.id)
            case .allocationDispatched(let id, _, _, _):
                guard let allocation = state.allocations[id] else { continue }
                if needs[allocation.need]?.dispatched == nil { needs[allocation.need]?.dispatched = minute }
                let warehouseRegion = state.warehouses[allocation.warehouse]?.region ?? ""
                let incidentRegion = state.incidents[allocation.incident]?.region ?? ""
                flows.append(.init(warehouse: allocation.warehouse, incident: allocation.incident, item: allocation.sku,
                                   quantity: allocation.quantity,
                                   crossRegion: !State.region(incidentRegion, isWithin: warehouseRegion), minute: minute))
            case .allocationDelivered(let id, _, _, _):
                if let need = state.allocations[id]?.need { needsTouched.insert(need) }
            case .assignmentStatusSet(let id, let status):
                guard let need = state.assignments[id]?.need else { continue }
                if status == .enRoute, needs[need]?.dispatched == nil { needs[need]?.dispatched = minute }
                if status == .onScene { needsTouched.insert(need) }
            default:
                continue
            }
        }
        for id in needsTouched where needs[id] != nil && needs[id]!.delivered == nil {
            if let need = state.needs[id], DrillRecorder.allArrived(need, in: state) { needs[id]!.delivered = minute }
        }
        for key in touched {
            let available = state.stock(warehouse: key.warehouse, sku: key.item)?.available ?? 0
            // Dispatching moves goods that were already promised: on hand and reserved fall
            // together and nothing changes for the series.
            guard stock[key]?.last?.available != available else { continue }
            if stock[key]?.last?.minute == minute { stock[key]!.removeLast() }
            stock[key, default: []].append(.init(minute: minute, available: available))
        }
        for entry in entries {
            for id in DrillRecorder.needsAffected(by: entry, in: state) { refresh(id, in: state) }
        }
        let counts = (open: openCount, unmet: unmetCount)
        func differs() -> Bool { timeline.last!.openNeeds != counts.open || timeline.last!.unmetNeeds != counts.unmet }
        guard differs() else { return }
        // One point per minute: the counts after the minute's last change.
        if timeline.last!.minute == minute { timeline.removeLast() }
        if timeline.isEmpty || differs() { timeline.append(.init(minute: minute, openNeeds: counts.open, unmetNeeds: counts.unmet)) }
    }

    /// Ids in the order they were made: sequential ids sort by length, then text.
    static func creationOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.count != b.utf8.count ? a.utf8.count < b.utf8.count : a < b
    }

    /// The last timeline point at the drill's end, so charts run to it.
    mutating func close(state: State, now: Timestamp) {
        let minute = start.minute(of: now)
        if timeline.last!.minute < minute { timeline.append(.init(minute: minute, openNeeds: openCount, unmetNeeds: unmetCount)) }
    }

    /// Open needs (of incidents not closed), and those of them not fully met, counted afresh
    /// (for tests: the recorder keeps the same counts as it goes).
    static func counts(_ state: State) -> (open: Int, unmet: Int) {
        let open = state.openNeeds()
        return (open.count, open.filter { state.committedAmount(of: $0.id) < $0.request.amount }.count)
    }

    var counts: (open: Int, unmet: Int) { (openCount, unmetCount) }

    /// All of the need has arrived: goods delivered, volunteers on scene, teams with a member there.
    static func allArrived(_ need: Need, in state: State) -> Bool {
        guard let progress = state.progress(of: need.id) else { return false }
        switch need.request {
        case .supply: return progress.delivered >= need.request.amount
        case .volunteers: return Int64(progress.onScene) >= need.request.amount
        case .teams:
            let there = Set((state.assignmentsByNeed[need.id] ?? []).compactMap { id -> String? in
                state.assignments[id]!.status == .onScene ? state.assignments[id]!.team : nil
            })
            return Int64(there.count) >= need.request.amount
        }
    }
}
