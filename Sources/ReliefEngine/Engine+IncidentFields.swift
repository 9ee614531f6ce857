import ReliefCore
import ReliefProtocol
import ReliefLimits

/// Value parsers and reply rows shared by the incident, need, allocation and assignment commands.
extension Arguments {
    static let maximumAffected: Int64 = Limits.affected
    static let maximumPeople = Limits.peoplePerNeed
    static let maximumNeedHours = Limits.needHours

    static func severity(_ text: String) throws -> Int {
        guard let value = Int(text), State.severities.contains(value) else {
            throw Refusal(.syntax, "bad severity \"\(text)\"; expected 1 (minor) to 5 (catastrophic)")
        }
        return value
    }

    static func priority(_ text: String) throws -> Int {
        guard let value = Int(text), Need.priorities.contains(value) else {
            throw Refusal(.syntax, "bad priority \"\(text)\"; expected 1 (most urgent) to 5")
        }
        return value
    }

    static func affected(_ text: String) throws -> Int64 {
        guard let value = Int64(text), value >= 0, value <= maximumAffected else {
            throw Refusal(.syntax, "bad affected \"\(text)\"; expected a whole number of people from 0 to \(maximumAffected)")
        }
        return value
    }

    /// Volunteers or teams a personnel need asks for.
    static func headcount(_ text: String, _ what: String) throws -> Int64 {
        guard let value = Int64(text), value >= 1, value <= Int64(maximumPeople) else {
            throw Refusal(.syntax, "bad \(what) \"\(text)\"; expected a whole number from 1 to \(maximumPeople)")
        }
        return value
    }

    static func needHours(_ text: String) throws -> Int {
        guard let value = Int(text), value >= 1, value <= maximumNeedHours else {
            throw Refusal(.syntax, "bad hours \"\(text)\"; expected whole hours from 1 to \(maximumNeedHours)")
        }
        return value
    }

    /// A deadline: `YYYY-MM-DD` (the end of that day in the operation's zone), a date-time
    /// (`DateTimeText`: with an offset, that instant; without, read in `zone`), or a duration from
    /// now such as `12h` or `2d`. It must lie after `now`.
    static func deadline(_ text: String, now: Timestamp, zone: OperationTimeZone = .utc, _ what: String = "by") throws -> Timestamp {
        let time: Timestamp
        if let day = Day(iso8601: text) {
            time = zone.endOfDay(day)
        } else if let milliseconds = DurationText.milliseconds(text), milliseconds > 0 {
            time = Timestamp(milliseconds: now.milliseconds + milliseconds)
        } else {
            let forms = "expected a date YYYY-MM-DD (the end of that day, \(zone.identifier) time), a date-time \(DateTimeText.forms)"
                + " (RFC 3339; without an offset, \(zone.identifier) time), or a duration from now such as 12h or 2d"
            time = try dateTime(text, what, zone: zone, forms: forms)
        }
        guard time > now else { throw Refusal(.syntax, "\(what)=\(text) is not after now (\(now.iso8601)); a need is for the future") }
        return time
    }

    /// The instant a date-time option names (`DateTimeText`): with an offset, that instant;
    /// without, the wall-clock time in `zone`. A refusal names the option, the offset when it is
    /// the impossible part, and `forms`, the forms the option takes.
    static func dateTime(_ text: String, _ what: String, zone: OperationTimeZone, forms: String) throws -> Timestamp {
        switch DateTimeText.parse(text) {
        case .success(let parsed):
            return zone.instant(parsed)
        case .failure(.impossibleOffset(let offset)):
            throw Refusal(.syntax, "bad \(what) \"\(text)\": \(offset) is not a UTC offset (hours 00 to 23, minutes 00 to 59, such as +08:00 or -05:00); \(forms)")
        case .failure(.malformed):
            throw Refusal(.syntax, "bad \(what) \"\(text)\"; \(forms)")
        }
    }
}

extension Engine {
    func incident(_ id: String) throws -> Incident {
        guard let incident = state.incidents[id] else { throw Refusal(.notFound, "incident \(id) not found; see incident list") }
        return incident
    }

    /// An incident that still takes changes.
    func liveIncident(_ id: String) throws -> Incident {
        let incident = try self.incident(id)
        guard incident.status != .closed else { throw Refusal(.conflict, "incident \(id) is closed; a closed incident takes no changes") }
        return incident
    }

    /// The need `word` names: its id (`N-000001`) or the ref it was added with.
    func need(_ word: String) throws -> Need {
        guard let need = state.need(named: word) else {
            throw Refusal(.notFound, "need \(word) not found; expected a need id such as N-000001 or a need's ref; see need list")
        }
        return need
    }

    /// A need that still takes changes: open, of an incident not closed.
    func openNeed(_ word: String) throws -> Need {
        let need = try self.need(word)
        guard need.status == .open else { throw Refusal(.conflict, "need \(need.id) is cancelled") }
        _ = try liveIncident(need.incident)
        return need
    }

    func allocation(_ id: String) throws -> Allocation {
        guard let allocation = state.allocations[id] else { throw Refusal(.notFound, "allocation \(id) not found; see allocation list") }
        return allocation
    }

    func assignment(_ id: String) throws -> Assignment {
        guard let assignment = state.assignments[id] else { throw Refusal(.notFound, "assignment \(id) not found; see assignment list") }
        return assignment
    }

    /// `a, b, c and 4 more`.
    static func listed(_ names: [String], limit: Int = 8) -> String {
        let shown = names.prefix(limit).joined(separator: ", ")
        return names.count > limit ? shown + " and \(names.count - limit) more" : shown
    }

    /// `AL-000003 (reserved: 400 water-5l of lot D-1 at ty-01)`.
    func describe(_ allocation: Allocation) -> String {
        "\(allocation.id) (\(allocation.status.rawValue): \(allocation.quantity) \(allocation.sku) of lot \(allocation.lot) at \(allocation.warehouse))"
    }

    /// `AS-000002 (v-17, on_scene)`.
    func describe(_ assignment: Assignment) -> String {
        "\(assignment.id) (\(assignment.volunteer)" + (assignment.team.map { " of team \($0)" } ?? "") + ", \(assignment.status.rawValue))"
    }

    // MARK: rows

    /// The `ref=` shown beside a need's id: its ref, empty when it has none.
    func needRef(_ id: String) -> String { state.needs[id]?.ref ?? "" }

    func incidentFields(_ incident: Incident) -> Fields {
        var fields: Fields = ["incident": incident.id, "title": incident.title, "kind": incident.kind.rawValue,
                              "status": incident.status.rawValue, "severity": String(incident.severity),
                              "affected": String(incident.affected), "region": incident.region, "at": incident.location.text,
                              "opened": incident.openedAt.iso8601]
        let open = state.openNeeds(incident: incident.id)
        fields.append("needs", String(incident.needs.count))
        fields.append("open_needs", String(open.count))
        fields.append("unmet", String(open.filter { state.committedAmount(of: $0.id) < $0.request.amount }.count))
        if incident.exercise { fields.append("exercise", "yes") }
        return fields
    }

    /// What a need asks for: its type, the item, skill or specialty, and the unit of its amount.
    func needWhat(_ need: Need) -> (type: String, what: String, unit: String, hours: Int?) {
        switch need.request {
        case .supply(let sku, _): ("supply", sku, state.items[sku]?.unit ?? "", nil)
        case .volunteers(let skill, _, let hours): ("volunteers", skill, "volunteers", hours)
        case .teams(let specialty, _, let hours): ("teams", specialty, "teams", hours)
        }
    }

    /// One need with its progress; `record` puts `record=need` first (incident show).
    func needFields(_ need: Need, record: Bool = false) -> Fields {
        let what = needWhat(need)
        let progress = state.progress(of: need.id)!
        var fields = Fields()
        if record { fields.append("record", "need"); fields.append("id", need.id); fields.append("ref", need.ref ?? "") } else {
            fields.append("need", need.id); fields.append("ref", need.ref ?? ""); fields.append("incident", need.incident)
        }
        // The schedule a need is a day of (its first need's id) and which day: empty for a need on its own.
        fields.append("series", need.schedule?.series ?? "")
        fields.append("day", need.schedule?.text ?? "")
        fields.append("type", what.type)
        fields.append("what", what.what)
        fields.append("amount", String(need.request.amount))
        fields.append("unit", what.unit)
        fields.append("hours", what.hours.map(String.init) ?? "")
        fields.append("priority", String(need.priority))
        fields.append("by", need.neededBy.iso8601)
        fields.append("reach", need.reach?.name ?? "")
        fields.append("status", need.status.rawValue)
        fields.append("met", String(progress.met))
        fields.append("in_transit", String(progress.inTransit))
        fields.append("delivered", String(progress.delivered))
        fields.append("missing", String(need.status == .open ? progress.missing : 0))
        fields.append("why", progress.reason ?? "")
        if !record { fields.append("note", need.note ?? "") }
        return fields
    }

    func allocationFields(_ allocation: Allocation) -> Fields {
        ["allocation": allocation.id, "need": allocation.need, "ref": needRef(allocation.need), "incident": allocation.incident, "item": allocation.sku,
         "quantity": String(allocation.quantity), "unit": state.items[allocation.sku]?.unit ?? "", "warehouse": allocation.warehouse,
         "lot": allocation.lot, "status": allocation.status.rawValue, "plan": allocation.plan ?? "",
         "created": allocation.createdAt.iso8601, "updated": allocation.updatedAt.iso8601]
    }

    func assignmentFields(_ assignment: Assignment) -> Fields {
        ["assignment": assignment.id, "need": assignment.need, "ref": needRef(assignment.need), "incident": assignment.incident, "volunteer": assignment.volunteer,
         "name": state.volunteers[assignment.volunteer]?.profile.name ?? "", "team": assignment.team ?? "",
         "status": assignment.status.rawValue, "plan": assignment.plan ?? "", "created": assignment.createdAt.iso8601,
         "updated": assignment.updatedAt.iso8601, "hours": assignment.status == .released ? State.hoursText(assignment.hoursMilliseconds) : ""]
    }
}
