import ReliefCore

/// Keeps the incident tables (schema migrations 3, 5 and 6) in step with `State`, and the stock and volunteer
/// rows that allocations and assignments change: reserving raises `holdings.reserved`, dispatching
/// takes the quantity off the shelf, releasing gives it back; an assignment deploys its volunteer and
/// its release writes the duty log. Mirrors State.applyIncident for one entry, inside the commit's
/// transaction.
final class SQLiteIncidentProjector {
    private let connection: SQLiteConnection
    private var statements: [String: SQLiteStatement] = [:]

    static let incidentColumns = "id, title, kind, lat, lon, region, severity, affected, status, opened_at"
    static let needColumns = "id, incident, type, sku, skill, specialty, amount, hours, priority, needed_by, status, note, created_at, ref, series, day, days, reach"
    static let planColumns = "id, incident, based_on_seq, created_at, lines, unmet, total_cost, status, applied_lines"
    static let allocationColumns = "id, need, incident, warehouse, lot, sku, quantity, status, plan, created_at, updated_at"
    static let assignmentColumns = "id, need, incident, volunteer, team, status, plan, created_at, updated_at, hours_ms"

    private static let sql: [String: String] = [
        "insertIncident": "INSERT INTO incidents (\(incidentColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        "updateIncident": "UPDATE incidents SET title = COALESCE(?2, title), severity = COALESCE(?3, severity), affected = COALESCE(?4, affected) WHERE id = ?1",
        "setIncidentStatus": "UPDATE incidents SET status = ?2 WHERE id = ?1",
        "insertNeed": "INSERT INTO needs (\(needColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        "changeNeed": "UPDATE needs SET amount = COALESCE(?2, amount), priority = COALESCE(?3, priority), needed_by = COALESCE(?4, needed_by), note = COALESCE(?5, note) WHERE id = ?1",
        // NULL is the configured default: reach is set whenever a change names it, to NULL too.
        "setNeedReach": "UPDATE needs SET reach = ?2 WHERE id = ?1",
        "cancelNeed": "UPDATE needs SET status = 'cancelled' WHERE id = ?1",
        "insertPlan": "INSERT INTO plans (\(planColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        "applyPlanLines": """
            UPDATE plans SET applied_lines = applied_lines + ?2,
                   status = CASE WHEN applied_lines + ?2 >= lines THEN 'applied' ELSE status END
            WHERE id = ?1
            """,
        "allocationStatus": "SELECT status FROM allocations WHERE id = ?1",
        "assignmentOf": "SELECT volunteer, incident FROM assignments WHERE id = ?1",
        "insertAllocation": "INSERT INTO allocations (\(allocationColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        "setAllocationStatus": "UPDATE allocations SET status = ?2, updated_at = ?3 WHERE id = ?1",
        "reserve": "UPDATE holdings SET reserved = reserved + ?3 WHERE warehouse = ?1 AND lot = ?2",
        // ?3 and ?4 are deltas of on_hand and reserved, taken from the allocation's row.
        "adjustByAllocation": """
            UPDATE holdings SET on_hand = on_hand + ?2 * (SELECT quantity FROM allocations WHERE id = ?1),
                                reserved = reserved + ?3 * (SELECT quantity FROM allocations WHERE id = ?1)
            WHERE (warehouse, lot) = (SELECT warehouse, lot FROM allocations WHERE id = ?1)
            """,
        "returnByAllocation": """
            INSERT INTO holdings (warehouse, lot, sku, on_hand, reserved)
            SELECT warehouse, lot, sku, quantity, 0 FROM allocations WHERE id = ?1
            ON CONFLICT (warehouse, lot) DO UPDATE SET on_hand = on_hand + excluded.on_hand
            """,
        "dropEmptyByAllocation": """
            DELETE FROM holdings WHERE on_hand = 0 AND reserved = 0
              AND (warehouse, lot) = (SELECT warehouse, lot FROM allocations WHERE id = ?1)
            """,
        "insertAssignment": "INSERT INTO assignments (\(assignmentColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        "setAssignmentStatus": "UPDATE assignments SET status = ?2, updated_at = ?3 WHERE id = ?1",
        "deploy": "UPDATE volunteers SET status = 'deployed', status_reason = ?2, status_until = NULL WHERE id = ?1",
        "onScene": "UPDATE volunteers SET on_duty_since = ?2, on_duty_incident = ?3 WHERE id = ?1",
        "logDuty": """
            INSERT INTO duty_log (volunteer, start, "end", incident)
            SELECT id, on_duty_since, ?2, on_duty_incident FROM volunteers WHERE id = ?1 AND on_duty_since IS NOT NULL
            """,
        "releaseAssignment": """
            UPDATE assignments SET status = 'released', updated_at = ?2,
                   hours_ms = COALESCE(?2 - (SELECT on_duty_since FROM volunteers WHERE id = assignments.volunteer), 0)
            WHERE id = ?1
            """,
        "stand": "UPDATE volunteers SET on_duty_since = NULL, on_duty_incident = NULL, status = 'available', status_reason = NULL WHERE id = ?1",
    ]

    init(connection: SQLiteConnection) throws {
        self.connection = connection
        for (name, text) in Self.sql { statements[name] = try connection.prepare(text) }
    }

    func finalize() {
        for statement in statements.values { statement.finalize() }
        statements = [:]
    }

    /// Runs a prepared statement; for an entry's projection (`entry` given) it must change exactly
    /// one row unless `exactlyOne` is false.
    private func run(_ name: String, _ values: [SQLiteValue], _ entry: Entry? = nil, exactlyOne: Bool = true) throws {
        let statement = statements[name]!
        statement.bind(row: values)
        try statement.execute()
        guard let entry, exactlyOne, connection.changes != 1 else { return }
        throw StoreError("projecting entry \(entry.seq) (\(entry.event.kind)): \(name) changed \(connection.changes) rows, not one; "
                         + "the current-state tables disagree with the journal (restart reliefd to rebuild them)", isTransient: false)
    }

    func project(_ entry: Entry) throws {
        let time = SQLiteValue.integer(entry.time.milliseconds)
        switch entry.event {
        case .incidentOpened(let incident):
            try run("insertIncident", Self.incidentRow(incident), entry)
        case .incidentUpdated(let id, let title, let severity, let affected, _):
            try run("updateIncident", [.text(id), SQLiteValue(title), SQLiteValue(severity.map(Int64.init)), SQLiteValue(affected)], entry)
        case .incidentStatusSet(let id, let status, _):
            try run("setIncidentStatus", [.text(id), .text(status.rawValue)], entry)
        case .needAdded(let need):
            try run("insertNeed", Self.needRow(need), entry)
        case .needChanged(let id, let amount, let priority, let neededBy, let note, let reach):
            try run("changeNeed", [.text(id), SQLiteValue(amount), SQLiteValue(priority.map(Int64.init)),
                                   SQLiteValue(neededBy?.milliseconds), SQLiteValue(note)], entry)
            if let reach { try run("setNeedReach", [.text(id), SQLiteValue(reach.tier?.name)], entry) }
        case .needCancelled(let id, _):
            try run("cancelNeed", [.text(id)], entry)
        case .planProposed(let plan):
            try run("insertPlan", Self.planRow(plan), entry)
        case .planApplied(let id, let lines):
            // As in State: a plan is applied once every one of its lines is.
            try run("applyPlanLines", [.text(id), .integer(Int64(lines.count))], entry)
        case .allocationReserved(let allocation):
            try run("insertAllocation", Self.allocationRow(allocation), entry)
            try run("reserve", [.text(allocation.warehouse), .text(allocation.lot), .integer(allocation.quantity)], entry)
        case .allocationDispatched(let id, _, _, _):
            try run("adjustByAllocation", [.text(id), .integer(-1), .integer(-1)], entry)
            try run("dropEmptyByAllocation", [.text(id)], entry, exactlyOne: false)
            try run("setAllocationStatus", [.text(id), .text(AllocationStatus.dispatched.rawValue), time], entry)
        case .allocationDelivered(let id, _, _, _):
            try run("setAllocationStatus", [.text(id), .text(AllocationStatus.delivered.rawValue), time], entry)
        case .allocationReleased(let id, _):
            let status = try lookup("allocationStatus", id, entry)
            if status[0] == .text(AllocationStatus.dispatched.rawValue) {
                try run("returnByAllocation", [.text(id)], entry)
            } else {
                try run("adjustByAllocation", [.text(id), .integer(0), .integer(-1)], entry)
                try run("dropEmptyByAllocation", [.text(id)], entry, exactlyOne: false)
            }
            try run("setAllocationStatus", [.text(id), .text(AllocationStatus.released.rawValue), time], entry)
        case .assignmentMade(let assignment):
            try run("insertAssignment", Self.assignmentRow(assignment), entry)
            try run("deploy", [.text(assignment.volunteer), .text("assignment \(assignment.id) to \(assignment.incident)")], entry)
        case .assignmentStatusSet(let id, let status):
            try run("setAssignmentStatus", [.text(id), .text(status.rawValue), time], entry)
            if status == .onScene {
                let row = try lookup("assignmentOf", id, entry)
                try run("onScene", [row[0], time, row[1]], entry)
            }
        case .assignmentReleased(let id, _):
            let volunteer = try lookup("assignmentOf", id, entry)[0]
            try run("releaseAssignment", [.text(id), time], entry)
            try run("logDuty", [volunteer, time], entry, exactlyOne: false)
            try run("stand", [volunteer], entry)
        default:
            throw StoreError("projecting entry \(entry.seq): \(entry.event.kind) is not an incident event", isTransient: false)
        }
    }

    /// The first row of a one-row lookup by id.
    private func lookup(_ name: String, _ id: String, _ entry: Entry) throws -> [SQLiteValue] {
        let statement = statements[name]!
        statement.bind(1, id)
        defer { statement.reset() }
        guard try statement.step() else {
            throw StoreError("projecting entry \(entry.seq) (\(entry.event.kind)): \(id) missing from the incident tables; "
                             + "the current-state tables disagree with the journal (restart reliefd to rebuild them)", isTransient: false)
        }
        return (0..<statement.columnCount).map { statement.value($0) }
    }

    // MARK: rows

    static func incidentRow(_ incident: Incident) -> [SQLiteValue] {
        [.text(incident.id), .text(incident.title), .text(incident.kind.rawValue), .real(incident.location.latitude),
         .real(incident.location.longitude), .text(incident.region), .integer(Int64(incident.severity)), .integer(incident.affected),
         .text(incident.status.rawValue), .integer(incident.openedAt.milliseconds)]
    }

    static func needRow(_ need: Need) -> [SQLiteValue] {
        var type = "supply", sku: String?, skill: String?, specialty: String?, hours: Int64?
        switch need.request {
        case .supply(let item, _): sku = item
        case .volunteers(let id, _, let h): type = "volunteers"; skill = id; hours = Int64(h)
        case .teams(let id, _, let h): type = "teams"; specialty = id; hours = Int64(h)
        }
        return [.text(need.id), .text(need.incident), .text(type), SQLiteValue(sku), SQLiteValue(skill), SQLiteValue(specialty),
                .integer(need.request.amount), SQLiteValue(hours), .integer(Int64(need.priority)), .integer(need.neededBy.milliseconds),
                .text(need.status.rawValue), SQLiteValue(need.note), .integer(need.createdAt.milliseconds), SQLiteValue(need.ref),
                SQLiteValue(need.schedule?.series), SQLiteValue(need.schedule.map { Int64($0.day) }), SQLiteValue(need.schedule.map { Int64($0.days) }),
                SQLiteValue(need.reach?.name)]
    }

    static func planRow(_ plan: Plan) -> [SQLiteValue] {
        [.text(plan.id), SQLiteValue(plan.incident), .integer(plan.basedOnSeq), .integer(plan.createdAt.milliseconds),
         .integer(Int64(plan.lines.count)), .integer(Int64(plan.unmet.count)), .integer(plan.totalCost), .text(plan.status.rawValue),
         .integer(Int64(plan.appliedLines.count))]
    }

    static func allocationRow(_ allocation: Allocation) -> [SQLiteValue] {
        [.text(allocation.id), .text(allocation.need), .text(allocation.incident), .text(allocation.warehouse), .text(allocation.lot),
         .text(allocation.sku), .integer(allocation.quantity), .text(allocation.status.rawValue), SQLiteValue(allocation.plan),
         .integer(allocation.createdAt.milliseconds), .integer(allocation.updatedAt.milliseconds)]
    }

    static func assignmentRow(_ assignment: Assignment) -> [SQLiteValue] {
        [.text(assignment.id), .text(assignment.need), .text(assignment.incident), .text(assignment.volunteer), SQLiteValue(assignment.team),
         .text(assignment.status.rawValue), SQLiteValue(assignment.plan), .integer(assignment.createdAt.milliseconds),
         .integer(assignment.updatedAt.milliseconds), .integer(assignment.hoursMilliseconds)]
    }

    // MARK: whole state

    /// Every incident-table row against `state`.
    func tablesMatch(_ state: State) throws -> Bool {
        func rows(_ table: String, _ columns: String, _ expected: [[SQLiteValue]]) throws -> Bool {
            let statement = try connection.prepare("SELECT \(columns) FROM \(table) ORDER BY id")
            defer { statement.finalize() }
            let sorted = expected.sorted { a, b in
                guard case .text(let x) = a[0], case .text(let y) = b[0] else { return false }
                return x < y
            }
            var index = 0
            while try statement.step() {
                guard index < sorted.count else { return false }
                for (column, value) in sorted[index].enumerated() where statement.value(Int32(column)) != value { return false }
                index += 1
            }
            return index == sorted.count
        }
        return try rows("incidents", Self.incidentColumns, state.incidents.values.map(Self.incidentRow))
            && rows("needs", Self.needColumns, state.needs.values.map(Self.needRow))
            && rows("plans", Self.planColumns, state.plans.values.map(Self.planRow))
            && rows("allocations", Self.allocationColumns, state.allocations.values.map(Self.allocationRow))
            && rows("assignments", Self.assignmentColumns, state.assignments.values.map(Self.assignmentRow))
    }

    func deleteAll() throws {
        try connection.execute("DELETE FROM assignments; DELETE FROM allocations; DELETE FROM plans; DELETE FROM needs; DELETE FROM incidents;")
    }

    func insertAll(from state: State) throws {
        for incident in state.incidents.values { try run("insertIncident", Self.incidentRow(incident)) }
        for need in state.needs.values { try run("insertNeed", Self.needRow(need)) }
        for plan in state.plans.values { try run("insertPlan", Self.planRow(plan)) }
        for allocation in state.allocations.values { try run("insertAllocation", Self.allocationRow(allocation)) }
        for assignment in state.assignments.values { try run("insertAssignment", Self.assignmentRow(assignment)) }
    }
}
