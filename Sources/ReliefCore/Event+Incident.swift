/// Journal bodies of the incident events (cases of `Event`, see Event.swift).
extension Event {
    var incidentBody: FlatJSON? {
        var json = FlatJSON()
        switch self {
        case .incidentOpened(let incident):
            json.set("id", incident.id); json.set("title", incident.title); json.set("kind", incident.kind.rawValue)
            json.set("lat", incident.location.latitude); json.set("lon", incident.location.longitude)
            json.set("region", incident.region); json.set("severity", incident.severity); json.set("affected", incident.affected)
            json.set("created", incident.openedAt.milliseconds)
            if incident.exercise { json.set("exercise", 1) }
        case .incidentUpdated(let id, let title, let severity, let affected, let note):
            json.set("id", id); json.set("title", title)
            if let severity { json.set("severity", severity) }
            if let affected { json.set("affected", affected) }
            json.set("note", note)
        case .incidentStatusSet(let id, let status, let note):
            json.set("id", id); json.set("status", status.rawValue); json.set("note", note)
        case .needAdded(let need):
            Event.encode(need, into: &json)
        case .needChanged(let id, let amount, let priority, let neededBy, let note, let reach):
            json.set("id", id)
            if let amount { json.set("amount", amount) }
            if let priority { json.set("priority", priority) }
            if let neededBy { json.set("by", neededBy.milliseconds) }
            json.set("note", note)
            // Only when the reach changes, so other changes are journaled as they always were.
            json.set("reach", reach?.name)
        case .needCancelled(let id, let reason):
            json.set("id", id); json.set("reason", reason)
        case .planProposed(let plan):
            Event.encode(plan, into: &json)
        case .planApplied(let id, let lines):
            json.set("id", id); json.set("lines", lines.map(String.init).joined(separator: ","))
        case .allocationReserved(let allocation):
            json.set("id", allocation.id); json.set("need", allocation.need); json.set("incident", allocation.incident)
            json.set("warehouse", allocation.warehouse); json.set("lot", allocation.lot); json.set("sku", allocation.sku)
            json.set("qty", allocation.quantity); json.set("plan", allocation.plan); json.set("created", allocation.createdAt.milliseconds)
        case .allocationDispatched(let id, let note, let lot, let quantity), .allocationDelivered(let id, let note, let lot, let quantity):
            json.set("id", id); json.set("lot", lot)
            if let quantity { json.set("qty", quantity) }
            json.set("note", note)
        case .allocationReleased(let id, let reason):
            json.set("id", id); json.set("reason", reason)
        case .assignmentMade(let assignment):
            json.set("id", assignment.id); json.set("need", assignment.need); json.set("incident", assignment.incident)
            json.set("volunteer", assignment.volunteer); json.set("team", assignment.team); json.set("plan", assignment.plan)
            json.set("created", assignment.createdAt.milliseconds)
        case .assignmentStatusSet(let id, let status):
            json.set("id", id); json.set("status", status.rawValue)
        case .assignmentReleased(let id, let reason):
            json.set("id", id); json.set("reason", reason)
        default:
            return nil
        }
        return json
    }

    static func encode(_ need: Need, into json: inout FlatJSON) {
        // Left out when there is none, so the body of a need without a ref is as it always was.
        json.set("id", need.id); json.set("ref", need.ref); json.set("incident", need.incident)
        switch need.request {
        case .supply(let sku, let quantity):
            json.set("type", "supply"); json.set("sku", sku); json.set("amount", quantity)
        case .volunteers(let skill, let count, let hours):
            json.set("type", "volunteers"); json.set("skill", skill); json.set("amount", count); json.set("hours", hours)
        case .teams(let specialty, let count, let hours):
            json.set("type", "teams"); json.set("specialty", specialty); json.set("amount", count); json.set("hours", hours)
        }
        json.set("priority", need.priority); json.set("by", need.neededBy.milliseconds); json.set("note", need.note)
        json.set("created", need.createdAt.milliseconds)
        // A schedule's place and a reach only when the need has them, so the body of any other need
        // is as it always was.
        if let schedule = need.schedule {
            json.set("series", schedule.series); json.set("day", schedule.day); json.set("days", schedule.days)
        }
        json.set("reach", need.reach?.name)
    }

    /// The schedule of a need.added body (or a snapshot's need record): none without `series`,
    /// `day` and `days`; all three, or the body is refused.
    static func decodeSchedule(_ body: FlatJSON) throws -> NeedSchedule? {
        let series = try body.optionalString("series"), day = try body.optionalInt("day"), days = try body.optionalInt("days")
        if series == nil && day == nil && days == nil { return nil }
        guard let series, let day, let days, let dayNumber = Int(exactly: day), let dayCount = Int(exactly: days) else {
            throw FlatJSON.DecodingError.invalid("series, day and days go together (series=\(series ?? "none") day=\(day.map(String.init) ?? "none") days=\(days.map(String.init) ?? "none"))")
        }
        let schedule = NeedSchedule(series: series, day: dayNumber, days: dayCount)
        guard schedule.isWellFormed else {
            throw FlatJSON.DecodingError.invalid("day \(day) of \(days) outside 1 ≤ day ≤ days ≤ \(NeedSchedule.maximumDays)")
        }
        return schedule
    }

    /// A reach by name (`reach` of a need.added body), or nil without one.
    static func decodeReach(_ body: FlatJSON) throws -> ReachTier? {
        guard let name = try body.optionalString("reach") else { return nil }
        guard let tier = ReachTier(name: name) else { throw FlatJSON.DecodingError.invalid("reach=\(name)") }
        return tier
    }

    static func decodeNeed(_ body: FlatJSON, createdAt: Timestamp) throws -> Need {
        let request: NeedRequest
        let type = try body.string("type")
        switch type {
        case "supply": request = .supply(sku: try body.string("sku"), quantity: try body.quantity("amount", in: Quantity.positive))
        case "volunteers":
            request = .volunteers(skill: try body.string("skill"), count: Int(try body.quantity("amount", in: Quantity.positive)),
                                  hours: Int(try body.int("hours")))
        case "teams":
            request = .teams(specialty: try body.string("specialty"), count: Int(try body.quantity("amount", in: Quantity.positive)),
                             hours: Int(try body.int("hours")))
        default: throw FlatJSON.DecodingError.invalid("type=\(type)")
        }
        return Need(id: try body.string("id"), incident: try body.string("incident"), request: request,
                    priority: Int(try body.int("priority")), neededBy: Timestamp(milliseconds: try body.int("by")),
                    note: try body.optionalString("note"), createdAt: createdAt, ref: try body.optionalString("ref"),
                    schedule: try decodeSchedule(body), reach: try decodeReach(body))
    }

    /// Plan lines as text, one per line separated by `;`: `s NEED WAREHOUSE LOT QTY COST`,
    /// `v NEED VOLUNTEER COST`, `t NEED TEAM COST` (ids never hold spaces or `;`).
    static func encodeLines(_ lines: [PlanLine]) -> String {
        lines.map { line in
            switch line {
            case .supply(let need, let warehouse, let lot, let quantity, let cost): "s \(need) \(warehouse) \(lot) \(quantity) \(cost)"
            case .volunteer(let need, let volunteer, let cost): "v \(need) \(volunteer) \(cost)"
            case .team(let need, let team, let cost): "t \(need) \(team) \(cost)"
            }
        }.joined(separator: ";")
    }

    static func decodeLines(_ text: String) throws -> [PlanLine] {
        try text.split(separator: ";").map { line in
            let parts = line.split(separator: " ").map(String.init)
            switch (parts.first, parts.count) {
            case ("s", 6):
                guard let quantity = Int64(parts[4]), let cost = Int64(parts[5]) else { throw FlatJSON.DecodingError.invalid("plan line \(line)") }
                return .supply(need: parts[1], warehouse: parts[2], lot: parts[3], quantity: quantity, cost: cost)
            case ("v", 4):
                guard let cost = Int64(parts[3]) else { throw FlatJSON.DecodingError.invalid("plan line \(line)") }
                return .volunteer(need: parts[1], volunteer: parts[2], cost: cost)
            case ("t", 4):
                guard let cost = Int64(parts[3]) else { throw FlatJSON.DecodingError.invalid("plan line \(line)") }
                return .team(need: parts[1], team: parts[2], cost: cost)
            default:
                throw FlatJSON.DecodingError.invalid("plan line \(line)")
            }
        }
    }

    static func encode(_ plan: Plan, into json: inout FlatJSON) {
        json.set("id", plan.id); json.set("incident", plan.incident); json.set("based_on", plan.basedOnSeq)
        json.set("created", plan.createdAt.milliseconds)
        json.set("lines", encodeLines(plan.lines))
        // Journaled only when set, so plans proposed before reach and reserves read as they were.
        if let reach = plan.reach { json.set("reach", reach.name) }
        if plan.keepReserves { json.set("reserves", "keep") }
        if !plan.reserveLines.isEmpty { json.set("reserve_lines", plan.reserveLines.sorted().map(String.init).joined(separator: ",")) }
        json.set("unmet", plan.unmet.count)
        for (index, unmet) in plan.unmet.enumerated() {
            json.set("unmet.\(index).need", unmet.need); json.set("unmet.\(index).missing", unmet.missing)
            json.set("unmet.\(index).reason", unmet.reason)
        }
    }

    static func decodePlan(_ body: FlatJSON, createdAt: Timestamp) throws -> Plan {
        var unmet: [UnmetNeed] = []
        let count = try body.int("unmet")
        guard count >= 0 else { throw FlatJSON.DecodingError.invalid("unmet=\(count)") }
        for index in 0..<Int(count) {
            unmet.append(UnmetNeed(need: try body.string("unmet.\(index).need"), missing: try body.int("unmet.\(index).missing"),
                                   reason: try body.string("unmet.\(index).reason")))
        }
        var plan = Plan(id: try body.string("id"), incident: try body.optionalString("incident"), basedOnSeq: try body.int("based_on"),
                        createdAt: createdAt, lines: try decodeLines(try body.string("lines")), unmet: unmet)
        if let reach = try body.optionalString("reach") {
            guard let tier = ReachTier(name: reach) else { throw FlatJSON.DecodingError.invalid("plan reach \(reach)") }
            plan.reach = tier
        }
        if let reserves = try body.optionalString("reserves") {
            guard reserves == "keep" else { throw FlatJSON.DecodingError.invalid("plan reserves \(reserves)") }
            plan.keepReserves = true
        }
        if let text = try body.optionalString("reserve_lines") {
            for part in text.split(separator: ",") {
                guard let line = Int(part), line >= 1, line <= plan.lines.count else {
                    throw FlatJSON.DecodingError.invalid("plan reserve line \(part) of \(plan.lines.count)")
                }
                guard case .supply = plan.lines[line - 1] else { throw FlatJSON.DecodingError.invalid("plan reserve line \(line) is not a supply line") }
                plan.reserveLines.insert(line)
            }
        }
        do {
            try plan.checkQuantities()
        } catch {
            throw FlatJSON.DecodingError.invalid(error.message)
        }
        return plan
    }

        static func decodeIncident(kind: Kind.Incident, body: FlatJSON) throws -> Event {
        let time = Timestamp(milliseconds: try body.optionalInt("created") ?? 0)
        func enumValue<E: RawRepresentable>(_ key: String, _: E.Type) throws -> E where E.RawValue == String {
            let text = try body.string(key)
            guard let value = E(rawValue: text) else { throw FlatJSON.DecodingError.invalid("\(key)=\(text)") }
            return value
        }
        switch kind {
        case .incidentOpened:
            return .incidentOpened(Incident(
                id: try body.string("id"), title: try body.string("title"), kind: try enumValue("kind", IncidentKind.self),
                location: Coordinate(latitude: try body.double("lat"), longitude: try body.double("lon")),
                region: try body.string("region"), severity: Int(try body.int("severity")), affected: try body.int("affected"),
                openedAt: time, exercise: try body.optionalInt("exercise") == 1))
        case .incidentUpdated:
            return .incidentUpdated(id: try body.string("id"), title: try body.optionalString("title"),
                                    severity: try body.optionalInt("severity").map { Int($0) }, affected: try body.optionalInt("affected"),
                                    note: try body.optionalString("note"))
        case .incidentStatusSet:
            return .incidentStatusSet(id: try body.string("id"), status: try enumValue("status", IncidentStatus.self),
                                      note: try body.optionalString("note"))
        case .needAdded:
            return .needAdded(try decodeNeed(body, createdAt: time))
        case .needChanged:
            return .needChanged(id: try body.string("id"), amount: try body.optionalQuantity("amount", in: Quantity.positive),
                                priority: try body.optionalInt("priority").map { Int($0) },
                                neededBy: try body.optionalInt("by").map(Timestamp.init(milliseconds:)), note: try body.optionalString("note"),
                                reach: try body.optionalString("reach").map { name in
                                    guard let change = Need.ReachChange(name: name) else { throw FlatJSON.DecodingError.invalid("reach=\(name)") }
                                    return change
                                })
        case .needCancelled:
            return .needCancelled(id: try body.string("id"), reason: try body.optionalString("reason"))
        case .planProposed:
            return .planProposed(try decodePlan(body, createdAt: time))
        case .planApplied:
            let text = try body.string("lines")
            let lines = try text.split(separator: ",").map { part -> Int in
                guard let line = Int(part) else { throw FlatJSON.DecodingError.invalid("lines=\(text)") }
                return line
            }
            return .planApplied(id: try body.string("id"), lines: lines)
        case .allocationReserved:
            return .allocationReserved(Allocation(
                id: try body.string("id"), need: try body.string("need"), incident: try body.string("incident"),
                warehouse: try body.string("warehouse"), lot: try body.string("lot"), sku: try body.string("sku"),
                quantity: try body.quantity("qty", in: Quantity.positive), plan: try body.optionalString("plan"), createdAt: time))
        case .allocationDispatched:
            return .allocationDispatched(id: try body.string("id"), note: try body.optionalString("note"),
                                         lot: try body.optionalString("lot"), quantity: try body.optionalQuantity("qty", in: Quantity.positive))
        case .allocationDelivered:
            return .allocationDelivered(id: try body.string("id"), note: try body.optionalString("note"),
                                        lot: try body.optionalString("lot"), quantity: try body.optionalQuantity("qty", in: Quantity.positive))
        case .allocationReleased:
            return .allocationReleased(id: try body.string("id"), reason: try body.optionalString("reason"))
        case .assignmentMade:
            return .assignmentMade(Assignment(
                id: try body.string("id"), need: try body.string("need"), incident: try body.string("incident"),
                volunteer: try body.string("volunteer"), team: try body.optionalString("team"), plan: try body.optionalString("plan"),
                createdAt: time))
        case .assignmentStatusSet:
            return .assignmentStatusSet(id: try body.string("id"), status: try enumValue("status", AssignmentStatus.self))
        case .assignmentReleased:
            return .assignmentReleased(id: try body.string("id"), reason: try body.optionalString("reason"))
        }
    }
}
