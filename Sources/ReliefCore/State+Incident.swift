/// Applying incident events. As everywhere in `apply`, each case checks all its preconditions
/// before it changes anything and reads nothing but the entry and the state; each also writes a
/// line of its incident's timeline.
extension State {
    public static let severities = 1...5

    /// `PREFIX-000001`, numbered by how many records of the kind exist (they are never deleted).
    public static func sequentialID(_ prefix: String, _ number: Int) -> String {
        let digits = String(number)
        return prefix + "-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    public var nextNeedID: String { State.sequentialID("N", needs.count + 1) }
    public var nextAllocationID: String { State.sequentialID("AL", allocations.count + 1) }
    public var nextAssignmentID: String { State.sequentialID("AS", assignments.count + 1) }
    public var nextPlanID: String { State.sequentialID("PL", plans.count + 1) }

    /// A need joins a schedule only as a supply need of the same item and incident as the
    /// schedule's first need, with the same number of days and a later day than any before it;
    /// the first need of a schedule is its own series.
    func checkSchedule(_ schedule: NeedSchedule, of need: Need, _ fail: (String) -> InvariantViolation) throws {
        guard schedule.isWellFormed else {
            throw fail("need \(need.id) day \(schedule.day) of \(schedule.days) outside 1 ≤ day ≤ days ≤ \(NeedSchedule.maximumDays)")
        }
        guard case .supply(let sku, _) = need.request else { throw fail("need \(need.id) asks for people; only supply needs have a schedule") }
        if schedule.series == need.id { return }
        guard let first = needs[schedule.series], let days = needSeries[schedule.series], let last = days.last.flatMap({ needs[$0] }) else {
            throw fail("need \(need.id) names series \(schedule.series), which is not the first need of a schedule")
        }
        guard first.incident == need.incident, first.request.isSupply, State.sku(of: first) == sku, first.schedule?.days == schedule.days else {
            throw fail("need \(need.id) differs from series \(schedule.series) in incident, item or days")
        }
        guard let lastDay = last.schedule?.day, schedule.day > lastDay else {
            throw fail("need \(need.id) day \(schedule.day) is not after day \(last.schedule?.day ?? 0) of series \(schedule.series)")
        }
    }

    static func sku(of need: Need) -> String? {
        if case .supply(let sku, _) = need.request { sku } else { nil }
    }

    /// A dispatch or delivery names the allocation's own lot and quantity (or, written before
    /// they were recorded, neither).
    func checkNamed(_ allocation: Allocation, lot: String?, quantity: Int64?, _ fail: (String) -> InvariantViolation) throws {
        if let lot, lot != allocation.lot { throw fail("allocation \(allocation.id) is of lot \(allocation.lot), not \(lot)") }
        if let quantity, quantity != allocation.quantity {
            throw fail("allocation \(allocation.id) is of \(allocation.quantity), not \(quantity)")
        }
    }

    mutating func applyIncident(_ entry: Entry) throws {
        func fail(_ message: String) -> InvariantViolation { InvariantViolation(seq: entry.seq, message: message) }
        func log(_ incident: String, _ text: String) {
            incidents[incident]?.timeline.append(TimelineEntry(seq: entry.seq, time: entry.time, actor: entry.actor, text: text))
        }
        func openNeed(_ id: String) throws -> Need {
            guard let need = needs[id] else { throw fail("need \(id) missing") }
            guard need.status == .open else { throw fail("need \(id) is cancelled") }
            guard incidents[need.incident]?.status != .closed else { throw fail("incident \(need.incident) is closed") }
            return need
        }

        switch entry.event {
        case .incidentOpened(let incident):
            guard incidents[incident.id] == nil else { throw fail("incident \(incident.id) exists") }
            guard regions[incident.region] != nil else { throw fail("region \(incident.region) missing") }
            guard State.severities.contains(incident.severity), incident.affected >= 0, !incident.title.isEmpty else {
                throw fail("incident \(incident.id) has a bad severity, affected count or title")
            }
            var opened = incident
            opened.status = .open
            opened.needs = []
            opened.timeline = []
            incidents[incident.id] = opened
            log(incident.id, "opened\(incident.exercise ? " (exercise)" : ""): \(incident.kind.rawValue), severity \(incident.severity), \(incident.affected) affected")

        case .incidentUpdated(let id, let title, let severity, let affected, let note):
            guard let incident = incidents[id] else { throw fail("incident \(id) missing") }
            guard incident.status != .closed else { throw fail("incident \(id) is closed") }
            if let severity, !State.severities.contains(severity) { throw fail("severity \(severity) outside 1...5") }
            if let affected, affected < 0 { throw fail("affected \(affected) < 0") }
            if let title, title.isEmpty { throw fail("empty title") }
            var changes: [String] = []
            if let title { incidents[id]!.title = title; changes.append("title \"\(title)\"") }
            if let severity { incidents[id]!.severity = severity; changes.append("severity \(incident.severity) → \(severity)") }
            if let affected { incidents[id]!.affected = affected; changes.append("affected \(incident.affected) → \(affected)") }
            if let note { changes.append("note: \(note)") }
            log(id, "updated: " + changes.joined(separator: ", "))

        case .incidentStatusSet(let id, let status, let note):
            guard let incident = incidents[id] else { throw fail("incident \(id) missing") }
            guard status.rank > incident.status.rank else { throw fail("incident \(id) cannot go from \(incident.status.rawValue) to \(status.rawValue)") }
            if status == .closed {
                let active = incident.needs.contains { need in
                    (allocationsByNeed[need] ?? []).contains { allocations[$0]!.status == .reserved || allocations[$0]!.status == .dispatched }
                        || (assignmentsByNeed[need] ?? []).contains { assignments[$0]!.status.isActive }
                }
                guard !active else { throw fail("incident \(id) still has reserved or dispatched supplies or assigned people") }
            }
            incidents[id]!.status = status
            log(id, "status \(incident.status.rawValue) → \(status.rawValue)" + (note.map { ": \($0)" } ?? ""))

        case .needAdded(let need):
            guard needs[need.id] == nil else { throw fail("need \(need.id) exists") }
            if let ref = need.ref {
                guard !ref.isEmpty, !Need.looksLikeID(ref) else { throw fail("need \(need.id) ref \"\(ref)\" is empty or looks like a need id") }
                if let other = needByRef[ref] { throw fail("ref \(ref) is need \(other) already") }
            }
            guard let incident = incidents[need.incident] else { throw fail("incident \(need.incident) missing") }
            guard incident.status != .closed else { throw fail("incident \(need.incident) is closed") }
            guard Need.priorities.contains(need.priority) else { throw fail("need \(need.id) priority \(need.priority) outside \(Need.priorities)") }
            guard Quantity.positive.contains(need.request.amount) else { throw fail("need \(need.id) amount \(need.request.amount) outside \(Quantity.positive)") }
            if let schedule = need.schedule { try checkSchedule(schedule, of: need, fail) }
            switch need.request {
            case .supply(let sku, _): guard items[sku] != nil else { throw fail("item \(sku) missing") }
            case .volunteers(let skill, _, let hours):
                guard skills[skill] != nil, hours > 0 else { throw fail("skill \(skill) missing or hours \(hours) not positive") }
            case .teams(let specialty, _, let hours):
                guard specialties[specialty] != nil, hours > 0 else { throw fail("specialty \(specialty) missing or hours \(hours) not positive") }
            }
            var added = need
            added.status = .open
            added.changes = 0
            needs[need.id] = added
            if let ref = need.ref { needByRef[ref] = need.id }
            if let schedule = need.schedule { needSeries[schedule.series, default: []].append(need.id) }
            incidents[need.incident]!.needs.append(need.id)
            log(need.incident, "need \(need.id)" + (need.ref.map { " (ref \($0))" } ?? "")
                + " added: \(State.describe(need.request)), priority \(need.priority), by \(need.neededBy.iso8601)"
                + (need.schedule.map { ", day \($0.text) of series \($0.series)" } ?? "")
                + (need.reach.map { ", reach \($0.name)" } ?? ""))

        case .needChanged(let id, let amount, let priority, let neededBy, let note, let reach):
            let need = try openNeed(id)
            if let amount {
                guard Quantity.positive.contains(amount) else { throw fail("need \(id) amount \(amount) outside \(Quantity.positive)") }
                guard amount >= committedAmount(of: id) else {
                    throw fail("need \(id) amount \(amount) below what is already allocated or assigned (\(committedAmount(of: id)))")
                }
            }
            if let priority, !Need.priorities.contains(priority) { throw fail("priority \(priority) outside 1...5") }
            var changes: [String] = []
            if let amount {
                switch need.request {
                case .supply(let sku, _): needs[id]!.request = .supply(sku: sku, quantity: amount)
                case .volunteers(let skill, _, let hours): needs[id]!.request = .volunteers(skill: skill, count: Int(amount), hours: hours)
                case .teams(let specialty, _, let hours): needs[id]!.request = .teams(specialty: specialty, count: Int(amount), hours: hours)
                }
                changes.append("amount \(need.request.amount) → \(amount)")
            }
            if let priority { needs[id]!.priority = priority; changes.append("priority \(need.priority) → \(priority)") }
            if let neededBy { needs[id]!.neededBy = neededBy; changes.append("by \(neededBy.iso8601)") }
            if let reach { needs[id]!.reach = reach.tier; changes.append("reach \(reach.name)") }
            if let note { needs[id]!.note = note; changes.append("note: \(note)") }
            needs[id]!.changes += 1
            log(need.incident, "need \(id) changed: " + changes.joined(separator: ", "))

        case .needCancelled(let id, let reason):
            let need = try openNeed(id)
            let active = (allocationsByNeed[id] ?? []).contains { allocations[$0]!.status == .reserved || allocations[$0]!.status == .dispatched }
                || (assignmentsByNeed[id] ?? []).contains { assignments[$0]!.status.isActive }
            guard !active else { throw fail("need \(id) still has reserved or dispatched supplies or assigned people") }
            needs[id]!.status = .cancelled
            needs[id]!.changes += 1
            log(need.incident, "need \(id) cancelled" + (reason.map { ": \($0)" } ?? ""))

        case .planProposed(let plan):
            guard plans[plan.id] == nil else { throw fail("plan \(plan.id) exists") }
            if let incident = plan.incident, incidents[incident] == nil { throw fail("incident \(incident) missing") }
            guard plan.basedOnSeq < entry.seq else { throw fail("plan \(plan.id) based on a later state") }
            do { try plan.checkQuantities() } catch { throw fail(error.message) }
            var proposed = plan
            proposed.status = .proposed
            proposed.appliedLines = []
            plans[plan.id] = proposed
            if let incident = plan.incident {
                log(incident, "plan \(plan.id) proposed: \(plan.lines.count) lines, \(plan.unmet.count) needs not fully met")
            }

        case .planApplied(let id, let lines):
            guard let plan = plans[id] else { throw fail("plan \(id) missing") }
            guard plan.status == .proposed else { throw fail("plan \(id) is \(plan.status.rawValue)") }
            guard !lines.isEmpty, lines.allSatisfy({ (1...plan.lines.count).contains($0) && !plan.appliedLines.contains($0) }),
                  Set(lines).count == lines.count else { throw fail("plan \(id) lines \(lines) not applicable") }
            plans[id]!.appliedLines.formUnion(lines)
            if plans[id]!.appliedLines.count == plan.lines.count { plans[id]!.status = .applied }
            if let incident = plan.incident { log(incident, "plan \(id): \(lines.count) lines applied") }

        case .allocationReserved(let allocation):
            guard allocations[allocation.id] == nil else { throw fail("allocation \(allocation.id) exists") }
            let need = try openNeed(allocation.need)
            guard case .supply(let sku, _) = need.request, sku == allocation.sku, lots[allocation.lot]?.sku == sku else {
                throw fail("allocation \(allocation.id): lot \(allocation.lot) is not of the need's item")
            }
            guard allocation.incident == need.incident, allocation.quantity > 0 else { throw fail("allocation \(allocation.id) is malformed") }
            if let plan = allocation.plan, plans[plan] == nil { throw fail("plan \(plan) missing") }
            // What a need has committed never exceeds its amount, so sums over its allocations stay bounded.
            let missing = need.request.amount - committedAmount(of: need.id)
            guard allocation.quantity <= missing else {
                throw fail("allocation \(allocation.id) of \(allocation.quantity) is more than the \(missing) need \(need.id) still misses")
            }
            let available = holding(warehouse: allocation.warehouse, lot: allocation.lot)?.available ?? 0
            guard available >= allocation.quantity else {
                throw fail("allocation \(allocation.id): \(allocation.warehouse)/\(allocation.lot) has \(available) available, not \(allocation.quantity)")
            }
            commit(try stockChange(for: entry, warehouse: allocation.warehouse, sku: sku,
                                   [StockDelta(lot: allocation.lot, onHand: 0, reserved: allocation.quantity)]))
            var reserved = allocation
            reserved.status = .reserved
            reserved.updatedAt = entry.time
            reserved.updatedSeq = entry.seq
            allocations[allocation.id] = reserved
            allocationsByNeed[allocation.need, default: []].append(allocation.id)
            allocationsByLot[allocation.lot, default: []].append(allocation.id)
            log(need.incident, "allocation \(allocation.id) reserved: \(allocation.quantity) \(sku) of lot \(allocation.lot) at \(allocation.warehouse) for \(need.id)")

        case .allocationDispatched(let id, let note, let lot, let quantity):
            guard let allocation = allocations[id] else { throw fail("allocation \(id) missing") }
            guard allocation.status == .reserved else { throw fail("allocation \(id) is \(allocation.status.rawValue), not reserved") }
            try checkNamed(allocation, lot: lot, quantity: quantity, fail)
            commit(try stockChange(for: entry, warehouse: allocation.warehouse, sku: allocation.sku,
                                   [StockDelta(lot: allocation.lot, onHand: -allocation.quantity, reserved: -allocation.quantity)]))
            appendMove(StockMove(seq: entry.seq, time: entry.time, actor: entry.actor, kind: .dispatched, warehouse: allocation.warehouse,
                                 lot: allocation.lot, sku: allocation.sku, delta: -allocation.quantity, counterpart: allocation.incident,
                                 reason: id, note: note))
            allocations[id]!.status = .dispatched
            allocations[id]!.updatedAt = entry.time
            allocations[id]!.updatedSeq = entry.seq
            log(allocation.incident, "allocation \(id) dispatched from \(allocation.warehouse)" + (note.map { ": \($0)" } ?? ""))

        case .allocationDelivered(let id, let note, let lot, let quantity):
            guard let allocation = allocations[id] else { throw fail("allocation \(id) missing") }
            guard allocation.status == .dispatched else { throw fail("allocation \(id) is \(allocation.status.rawValue), not dispatched") }
            try checkNamed(allocation, lot: lot, quantity: quantity, fail)
            allocations[id]!.status = .delivered
            allocations[id]!.updatedAt = entry.time
            allocations[id]!.updatedSeq = entry.seq
            log(allocation.incident, "allocation \(id) delivered: \(allocation.quantity) \(allocation.sku)" + (note.map { ": \($0)" } ?? ""))

        case .allocationReleased(let id, let reason):
            guard let allocation = allocations[id] else { throw fail("allocation \(id) missing") }
            switch allocation.status {
            case .reserved:
                commit(try stockChange(for: entry, warehouse: allocation.warehouse, sku: allocation.sku,
                                       [StockDelta(lot: allocation.lot, onHand: 0, reserved: -allocation.quantity)]))
            case .dispatched:
                // In transit: the goods go back to the warehouse they came from, which may have
                // filled up to the maximum meanwhile.
                commit(try stockChange(for: entry, warehouse: allocation.warehouse, sku: allocation.sku,
                                       [StockDelta(lot: allocation.lot, onHand: allocation.quantity)]))
                appendMove(StockMove(seq: entry.seq, time: entry.time, actor: entry.actor, kind: .returned, warehouse: allocation.warehouse,
                                     lot: allocation.lot, sku: allocation.sku, delta: allocation.quantity, counterpart: allocation.incident,
                                     reason: id, note: reason))
            case .delivered, .released:
                throw fail("allocation \(id) is \(allocation.status.rawValue)")
            }
            allocations[id]!.status = .released
            allocations[id]!.updatedAt = entry.time
            allocations[id]!.updatedSeq = entry.seq
            log(allocation.incident, "allocation \(id) released (was \(allocation.status.rawValue))" + (reason.map { ": \($0)" } ?? ""))

        case .assignmentMade(let assignment):
            guard assignments[assignment.id] == nil else { throw fail("assignment \(assignment.id) exists") }
            let need = try openNeed(assignment.need)
            guard assignment.incident == need.incident else { throw fail("assignment \(assignment.id) is malformed") }
            guard let volunteer = volunteers[assignment.volunteer] else { throw fail("volunteer \(assignment.volunteer) missing") }
            if let other = activeAssignment[volunteer.id] { throw fail("volunteer \(volunteer.id) already has assignment \(other)") }
            guard volunteer.onDutySince == nil else { throw fail("volunteer \(volunteer.id) is on duty") }
            switch need.request {
            case .supply: throw fail("need \(need.id) is a supply need")
            case .volunteers: guard assignment.team == nil else { throw fail("need \(need.id) asks for volunteers, not a team") }
            case .teams(let specialty, _, _):
                guard let team = assignment.team, let record = teams[team], record.specialty == specialty, record.members.contains(volunteer.id) else {
                    throw fail("assignment \(assignment.id): volunteer \(volunteer.id) is not in a \(specialty) team named by the assignment")
                }
            }
            if let plan = assignment.plan, plans[plan] == nil { throw fail("plan \(plan) missing") }
            var made = assignment
            made.status = .assigned
            made.updatedAt = entry.time
            made.hoursMilliseconds = 0
            assignments[assignment.id] = made
            assignmentsByNeed[assignment.need, default: []].append(assignment.id)
            activeAssignment[volunteer.id] = assignment.id
            volunteers[volunteer.id]!.status = .deployed
            volunteers[volunteer.id]!.statusReason = "assignment \(assignment.id) to \(need.incident)"
            volunteers[volunteer.id]!.statusUntil = nil
            log(need.incident, "assignment \(assignment.id): \(volunteer.id)" + (assignment.team.map { " (team \($0))" } ?? "") + " for \(need.id)")

        case .assignmentStatusSet(let id, let status):
            guard let assignment = assignments[id] else { throw fail("assignment \(id) missing") }
            guard status != .released, status.rank > assignment.status.rank else {
                throw fail("assignment \(id) cannot go from \(assignment.status.rawValue) to \(status.rawValue)")
            }
            if status == .onScene {
                guard volunteers[assignment.volunteer]?.onDutySince == nil else { throw fail("volunteer \(assignment.volunteer) already on duty") }
                if let last = volunteers[assignment.volunteer]?.duty.last, last.end > entry.time { throw fail("on scene before the last check-out") }
                volunteers[assignment.volunteer]!.onDutySince = entry.time
                onDuty.insert(assignment.volunteer)
                volunteers[assignment.volunteer]!.onDutyIncident = assignment.incident
            }
            assignments[id]!.status = status
            assignments[id]!.updatedAt = entry.time
            log(assignment.incident, "assignment \(id) (\(assignment.volunteer)) \(status.rawValue)")

        case .assignmentReleased(let id, let reason):
            guard let assignment = assignments[id] else { throw fail("assignment \(id) missing") }
            guard assignment.status.isActive else { throw fail("assignment \(id) is already released") }
            var hours: Int64 = 0
            if let since = volunteers[assignment.volunteer]?.onDutySince {
                guard since <= entry.time else { throw fail("release before arrival") }
                volunteers[assignment.volunteer]!.duty.append(DutyRecord(start: since, end: entry.time, incident: assignment.incident))
                volunteers[assignment.volunteer]!.onDutySince = nil
                onDuty.remove(assignment.volunteer)
                volunteers[assignment.volunteer]!.onDutyIncident = nil
                hours = entry.time.milliseconds - since.milliseconds
            }
            volunteers[assignment.volunteer]!.status = .available
            volunteers[assignment.volunteer]!.statusReason = nil
            assignments[id]!.status = .released
            assignments[id]!.updatedAt = entry.time
            assignments[id]!.hoursMilliseconds = hours
            activeAssignment[assignment.volunteer] = nil
            log(assignment.incident, "assignment \(id) (\(assignment.volunteer)) released after \(State.hoursText(hours)) on scene"
                + (reason.map { ": \($0)" } ?? ""))

        default:
            throw fail("event \(entry.event.kind) not handled")
        }
    }

    /// Units of a need covered by active allocations (items) or assignments (volunteers; teams
    /// count once however many members they sent).
    public func committedAmount(of need: String) -> Int64 {
        guard let record = needs[need] else { return 0 }
        switch record.request {
        case .supply:
            // `apply` keeps this within the need's amount; summed in 128 bits so that a damaged
            // snapshot, which the invariants refuse, cannot trap here before they are checked.
            let sum = (allocationsByNeed[need] ?? []).reduce(Int128(0)) { sum, id in
                let allocation = allocations[id]!
                return allocation.status.isActive ? sum + Int128(allocation.quantity) : sum
            }
            return Int64(clamping: sum)
        case .volunteers:
            return Int64((assignmentsByNeed[need] ?? []).filter { assignments[$0]!.status.isActive }.count)
        case .teams:
            return Int64(Set((assignmentsByNeed[need] ?? []).compactMap { assignments[$0]!.status.isActive ? assignments[$0]!.team : nil }).count)
        }
    }

    public static func describe(_ request: NeedRequest) -> String {
        switch request {
        case .supply(let sku, let quantity): "\(quantity) \(sku)"
        case .volunteers(let skill, let count, let hours): "\(count) volunteers with \(skill) for \(hours)h"
        case .teams(let specialty, let count, let hours): "\(count) \(specialty) teams for \(hours)h"
        }
    }
}
