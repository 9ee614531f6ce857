/// Incident records of a snapshot: incidents (with their timeline as records of their own), needs,
/// plans, allocations and assignments. Loading rebuilds the per-need and per-volunteer indexes.
extension State {
    /// Ids in the order they were made: sequential ids sort by length, then text.
    static func creationOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.count != b.utf8.count ? a.utf8.count < b.utf8.count : a < b
    }

    func incidentSnapshotLines(_ emit: (FlatJSON) -> Void) {
        func record(_ type: String, _ event: Event) -> FlatJSON {
            var json = event.body
            json.pairs.insert(("t", .string(type)), at: 0)
            return json
        }
        for incident in incidents.values.sorted(by: { $0.id < $1.id }) {
            var json = record("incident", .incidentOpened(incident))
            json.set("status", incident.status.rawValue)
            json.set("needs", incident.needs.joined(separator: ","))
            emit(json)
            for line in incident.timeline {
                var json = FlatJSON()
                json.set("t", "timeline"); json.set("incident", incident.id); json.set("seq", line.seq)
                json.set("time", line.time.milliseconds); json.set("actor", line.actor); json.set("text", line.text)
                emit(json)
            }
        }
        for need in needs.values.sorted(by: { State.creationOrder($0.id, $1.id) }) {
            var json = record("need", .needAdded(need))
            json.set("status", need.status.rawValue); json.set("changes", need.changes)
            emit(json)
        }
        for plan in plans.values.sorted(by: { State.creationOrder($0.id, $1.id) }) {
            var json = record("plan", .planProposed(plan))
            json.set("status", plan.status.rawValue)
            json.set("applied", plan.appliedLines.sorted().map(String.init).joined(separator: ","))
            emit(json)
        }
        for allocation in allocations.values.sorted(by: { State.creationOrder($0.id, $1.id) }) {
            var json = record("allocation", .allocationReserved(allocation))
            json.set("status", allocation.status.rawValue); json.set("updated", allocation.updatedAt.milliseconds)
            json.set("updated_seq", allocation.updatedSeq)
            emit(json)
        }
        for assignment in assignments.values.sorted(by: { State.creationOrder($0.id, $1.id) }) {
            var json = record("assignment", .assignmentMade(assignment))
            json.set("status", assignment.status.rawValue); json.set("updated", assignment.updatedAt.milliseconds)
            json.set("hours_ms", assignment.hoursMilliseconds)
            emit(json)
        }
    }

    mutating func loadIncidentRecord(_ type: String, _ record: FlatJSON) throws {
        func enumValue<E: RawRepresentable>(_ key: String, _: E.Type) throws -> E where E.RawValue == String {
            let text = try record.string(key)
            guard let value = E(rawValue: text) else { throw FlatJSON.DecodingError.invalid("\(key)=\(text)") }
            return value
        }
        switch type {
        case "incident":
            guard case .incidentOpened(var incident) = try Event(kind: "incident.opened", body: record) else { return }
            incident.status = try enumValue("status", IncidentStatus.self)
            incident.needs = try record.string("needs").split(separator: ",").map(String.init)
            incidents[incident.id] = incident
        case "timeline":
            let id = try record.string("incident")
            guard incidents[id] != nil else { throw FlatJSON.DecodingError.invalid("timeline of unknown incident \(id)") }
            incidents[id]!.timeline.append(TimelineEntry(seq: try record.int("seq"), time: Timestamp(milliseconds: try record.int("time")),
                                                         actor: try record.string("actor"), text: try record.string("text")))
        case "need":
            guard case .needAdded(var need) = try Event(kind: "need.added", body: record) else { return }
            need.status = try enumValue("status", NeedStatus.self)
            need.changes = Int(try record.int("changes"))
            needs[need.id] = need
        case "plan":
            guard case .planProposed(var plan) = try Event(kind: "plan.proposed", body: record) else { return }
            plan.status = try enumValue("status", PlanStatus.self)
            plan.appliedLines = Set(try record.string("applied").split(separator: ",").compactMap { Int($0) })
            plans[plan.id] = plan
        case "allocation":
            guard case .allocationReserved(var allocation) = try Event(kind: "allocation.reserved", body: record) else { return }
            allocation.status = try enumValue("status", AllocationStatus.self)
            allocation.updatedAt = Timestamp(milliseconds: try record.int("updated"))
            allocation.updatedSeq = try record.optionalInt("updated_seq") ?? 0
            allocations[allocation.id] = allocation
        case "assignment":
            guard case .assignmentMade(var assignment) = try Event(kind: "assignment.made", body: record) else { return }
            assignment.status = try enumValue("status", AssignmentStatus.self)
            assignment.updatedAt = Timestamp(milliseconds: try record.int("updated"))
            assignment.hoursMilliseconds = try record.int("hours_ms")
            assignments[assignment.id] = assignment
        default:
            throw FlatJSON.DecodingError.unknownKind(type)
        }
    }

    /// A snapshot written before allocations kept `updated_seq` loads them with 0: the seq of each
    /// one's last change is its last line in its incident's timeline (every reservation, dispatch,
    /// delivery and release writes one, `allocation ID …`), which is what a replay would have set.
    mutating func recoverAllocationSeqs() {
        guard allocations.values.contains(where: { $0.updatedSeq == 0 }) else { return }
        var last: [String: Int64] = [:]
        for incident in incidents.values {
            for line in incident.timeline where line.text.hasPrefix("allocation ") {
                let id = line.text.utf8.dropFirst(11).prefix { $0 != 0x20 }
                last[String(decoding: id, as: UTF8.self)] = line.seq
            }
        }
        for (id, allocation) in allocations where allocation.updatedSeq == 0 {
            if let seq = last[id] { allocations[id]!.updatedSeq = seq }
        }
    }

    /// Rebuilds the indexes over needs, allocations and assignments (after a snapshot load).
    mutating func rebuildIncidentIndexes() {
        allocationsByNeed = [:]
        allocationsByLot = [:]
        assignmentsByNeed = [:]
        activeAssignment = [:]
        needByRef = [:]
        // In creation order, so that of two needs a damaged snapshot gives one ref, the first keeps
        // it; the invariants then name the second.
        needSeries = [:]
        for id in needs.keys.sorted(by: State.creationOrder) {
            if let ref = needs[id]!.ref, needByRef[ref] == nil { needByRef[ref] = id }
            if let schedule = needs[id]!.schedule { needSeries[schedule.series, default: []].append(id) }
        }
        for id in allocations.keys.sorted(by: State.creationOrder) {
            allocationsByNeed[allocations[id]!.need, default: []].append(id)
            allocationsByLot[allocations[id]!.lot, default: []].append(id)
        }
        recoverAllocationSeqs()
        for id in assignments.keys.sorted(by: State.creationOrder) {
            let assignment = assignments[id]!
            assignmentsByNeed[assignment.need, default: []].append(id)
            if assignment.status.isActive { activeAssignment[assignment.volunteer] = id }
        }
    }

    /// Every schedule starts with its series' own need and goes on in later days of the same item,
    /// incident and number of days; the index lists each schedule's needs in that order.
    func scheduleInvariantViolations() -> [String] {
        var problems: [String] = []
        var bySeries: [String: [String]] = [:]
        for need in needs.values.sorted(by: { State.creationOrder($0.id, $1.id) }) {
            guard let schedule = need.schedule else { continue }
            bySeries[schedule.series, default: []].append(need.id)
            if !schedule.isWellFormed { problems.append("need \(need.id) day \(schedule.day) of \(schedule.days) is not a schedule's day") }
            if !need.request.isSupply { problems.append("need \(need.id) asks for people but has a schedule") }
        }
        for (series, ids) in bySeries.sorted(by: { State.creationOrder($0.key, $1.key) }) {
            guard ids.first == series, let first = needs[series] else {
                problems.append("schedule \(series) does not start with need \(series)")
                continue
            }
            var lastDay = 0
            for id in ids {
                let need = needs[id]!, day = need.schedule!.day
                if need.incident != first.incident || State.sku(of: need) != State.sku(of: first) || need.schedule!.days != first.schedule!.days {
                    problems.append("need \(id) differs from series \(series) in incident, item or days")
                }
                if day <= lastDay { problems.append("need \(id) day \(day) is not after day \(lastDay) of series \(series)") }
                lastDay = day
            }
        }
        if bySeries != needSeries { problems.append("need series index disagrees with the needs' schedules") }
        return problems
    }

    func incidentInvariantViolations() -> [String] {
        var problems: [String] = []
        // Reserved stock is exactly what reserved allocations hold.
        var reservedByHolding: [String: Int128] = [:]
        for allocation in allocations.values where allocation.status == .reserved {
            reservedByHolding[allocation.warehouse + "\u{0}" + allocation.lot, default: 0] += Int128(allocation.quantity)
        }
        for (warehouse, skus) in stock {
            for skuStock in skus.values {
                for (lot, holding) in skuStock.lots where Int128(holding.reserved) != (reservedByHolding[warehouse + "\u{0}" + lot] ?? 0) {
                    problems.append("\(warehouse)/\(lot) reserved \(holding.reserved) but its reserved allocations hold \(reservedByHolding[warehouse + "\u{0}" + lot] ?? 0)")
                }
            }
        }
        for (key, quantity) in reservedByHolding {
            let parts = key.split(separator: "\u{0}", maxSplits: 1).map(String.init)
            if holding(warehouse: parts[0], lot: parts[1]) == nil { problems.append("allocations reserve \(quantity) of \(parts[0])/\(parts[1]), which holds nothing") }
        }
        // A volunteer has at most one active assignment, and the index says which.
        var active: [String: String] = [:]
        for assignment in assignments.values where assignment.status.isActive {
            if let other = active[assignment.volunteer] {
                problems.append("volunteer \(assignment.volunteer) has two active assignments \(other) and \(assignment.id)")
            }
            active[assignment.volunteer] = assignment.id
            if volunteers[assignment.volunteer]?.status != .deployed {
                problems.append("volunteer \(assignment.volunteer) of active assignment \(assignment.id) is not deployed")
            }
            // On scene is on duty at the incident; before that the volunteer is not on duty anywhere.
            let onDuty = volunteers[assignment.volunteer]?.onDutySince != nil
            if (assignment.status == .onScene) != onDuty {
                problems.append("volunteer \(assignment.volunteer) of \(assignment.status.rawValue) assignment \(assignment.id) is\(onDuty ? "" : " not") on duty")
            } else if onDuty, volunteers[assignment.volunteer]?.onDutyIncident != assignment.incident {
                problems.append("volunteer \(assignment.volunteer) on scene for \(assignment.id) is on duty for another incident")
            }
        }
        if active != activeAssignment { problems.append("active assignment index disagrees with the assignments") }
        // Every ref names one need, is not shaped like a need id, and the index says which.
        var byRef: [String: String] = [:]
        for need in needs.values.sorted(by: { State.creationOrder($0.id, $1.id) }) {
            guard let ref = need.ref else { continue }
            if let other = byRef[ref] { problems.append("needs \(other) and \(need.id) have the same ref \(ref)") }
            else { byRef[ref] = need.id }
            if ref.isEmpty || Need.looksLikeID(ref) { problems.append("need \(need.id) ref \"\(ref)\" is empty or looks like a need id") }
        }
        if byRef != needByRef { problems.append("need ref index disagrees with the needs' refs") }
        problems += scheduleInvariantViolations()
        for need in needs.values {
            guard let incident = incidents[need.incident] else {
                problems.append("need \(need.id) of unknown incident \(need.incident)")
                continue
            }
            if !incident.needs.contains(need.id) { problems.append("incident \(need.incident) does not list need \(need.id)") }
            if !Quantity.positive.contains(need.request.amount) {
                problems.append("need \(need.id) amount \(need.request.amount) outside \(Quantity.positive)")
            }
            if need.request.isSupply {
                let committed = (allocationsByNeed[need.id] ?? []).reduce(Int128(0)) { sum, id in
                    allocations[id]!.status.isActive ? sum + Int128(allocations[id]!.quantity) : sum
                }
                if committed > Int128(need.request.amount) {
                    problems.append("need \(need.id) has \(committed) allocated, more than its amount \(need.request.amount)")
                }
            }
            if need.status == .cancelled, (allocationsByNeed[need.id] ?? []).contains(where: {
                allocations[$0]!.status == .reserved || allocations[$0]!.status == .dispatched }) {
                problems.append("cancelled need \(need.id) still has reserved or dispatched supplies")
            }
        }
        return problems
    }
}
