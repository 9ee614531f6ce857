import ReliefCore

/// Keeps the roster tables (skills, specialties, volunteers, certifications, duty_log, teams,
/// team_members) equal to the roster part of `State`. `project` mirrors `State.applyRoster` for one
/// entry inside the commit's transaction; `tablesMatch` compares every row with the state and
/// `deleteAll`/`insertAll` rewrite the tables. Owned by `SQLiteProjector`; owns its statements.
///
/// Each table's row is described once (the `…Row` functions below): the same arrays are bound by
/// the inserts and compared by `tablesMatch`, so the two cannot disagree about a column.
final class SQLiteRosterProjector {
    private let connection: SQLiteConnection
    private let insertSkill: SQLiteStatement
    private let insertSpecialty: SQLiteStatement
    private let insertVolunteer: SQLiteStatement
    private let updateProfile: SQLiteStatement
    private let setStatus: SQLiteStatement
    private let putCertification: SQLiteStatement
    private let deleteCertification: SQLiteStatement
    private let checkIn: SQLiteStatement
    private let logDuty: SQLiteStatement
    private let checkOut: SQLiteStatement
    private let insertTeam: SQLiteStatement
    private let insertMember: SQLiteStatement
    private let deleteMember: SQLiteStatement
    private let setVolunteerTeam: SQLiteStatement
    private let clearLeader: SQLiteStatement
    private let setTeamState: SQLiteStatement
    private let insertDuty: SQLiteStatement

    static let volunteerColumns = """
        id, name, phone, id_number, region, lat, lon, languages, skills, max_hours, min_rest_hours, organization, \
        status, status_reason, status_until, on_duty_since, on_duty_incident, team, registered_at
        """
    static let teamColumns = "id, name, specialty, region, lat, lon, leader, state, state_reason"

    init(connection: SQLiteConnection) throws {
        self.connection = connection
        insertSkill = try connection.prepare("INSERT INTO skills (id, name, specialty, certificate) VALUES (?1, ?2, ?3, ?4)")
        insertSpecialty = try connection.prepare("INSERT INTO specialties (id, name, required_skills) VALUES (?1, ?2, ?3)")
        insertVolunteer = try connection.prepare("""
            INSERT INTO volunteers (\(Self.volunteerColumns))
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
            """)
        // `volunteer update` replaces the profile only; status, duty and team stay.
        updateProfile = try connection.prepare("""
            UPDATE volunteers SET name = ?2, phone = ?3, id_number = ?4, region = ?5, lat = ?6, lon = ?7, languages = ?8,
                   skills = ?9, max_hours = ?10, min_rest_hours = ?11, organization = ?12
            WHERE id = ?1
            """)
        setStatus = try connection.prepare("UPDATE volunteers SET status = ?2, status_reason = ?3, status_until = ?4 WHERE id = ?1")
        putCertification = try connection.prepare("""
            INSERT INTO certifications (volunteer, skill, issued, expires, issuer) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (volunteer, skill) DO UPDATE SET issued = excluded.issued, expires = excluded.expires, issuer = excluded.issuer
            """)
        deleteCertification = try connection.prepare("DELETE FROM certifications WHERE volunteer = ?1 AND skill = ?2")
        // Check-in clears any status reason and until-date, as State.applyRoster does.
        checkIn = try connection.prepare("""
            UPDATE volunteers SET on_duty_since = ?2, on_duty_incident = ?3, status = ?4, status_reason = NULL, status_until = NULL
            WHERE id = ?1
            """)
        logDuty = try connection.prepare("""
            INSERT INTO duty_log (volunteer, start, "end", incident)
            SELECT id, on_duty_since, ?2, on_duty_incident FROM volunteers WHERE id = ?1 AND on_duty_since IS NOT NULL
            """)
        checkOut = try connection.prepare(
            "UPDATE volunteers SET on_duty_since = NULL, on_duty_incident = NULL, status = ?2 WHERE id = ?1")
        insertTeam = try connection.prepare("""
            INSERT INTO teams (\(Self.teamColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """)
        insertMember = try connection.prepare("INSERT INTO team_members (team, volunteer) VALUES (?1, ?2)")
        deleteMember = try connection.prepare("DELETE FROM team_members WHERE team = ?1 AND volunteer = ?2")
        setVolunteerTeam = try connection.prepare("UPDATE volunteers SET team = ?2 WHERE id = ?1")
        clearLeader = try connection.prepare("UPDATE teams SET leader = NULL WHERE id = ?1 AND leader = ?2")
        setTeamState = try connection.prepare("UPDATE teams SET state = ?2, state_reason = ?3 WHERE id = ?1")
        insertDuty = try connection.prepare("INSERT INTO duty_log (volunteer, start, \"end\", incident) VALUES (?1, ?2, ?3, ?4)")
    }

    func finalize() {
        for statement in [insertSkill, insertSpecialty, insertVolunteer, updateProfile, setStatus, putCertification,
                          deleteCertification, checkIn, logDuty, checkOut, insertTeam, insertMember, deleteMember,
                          setVolunteerTeam, clearLeader, setTeamState, insertDuty] {
            statement.finalize()
        }
    }

    // MARK: one entry

    /// Applies one roster entry to the tables. Runs inside the caller's transaction. The entry has
    /// already been accepted by `State.apply`, so its preconditions hold; a row that is not where
    /// the state says it is means the tables drifted, and the commit fails.
    func project(_ entry: Entry) throws {
        switch entry.event {
        case .skillAdded(let skill):
            try run(insertSkill, Self.skillRow(skill))

        case .specialtyAdded(let specialty):
            try run(insertSpecialty, Self.specialtyRow(specialty))

        case .volunteerAdded(let id, let profile):
            try run(insertVolunteer, Self.volunteerRow(Volunteer(id: id, profile: profile, registeredAt: entry.time)))

        case .volunteerUpdated(let id, let profile):
            updateProfile.bind(1, id)
            updateProfile.bind(row: Self.profileColumns(profile), from: 2)
            try updateOne(updateProfile, entry, "volunteer \(id)")

        case .volunteerStatusSet(let id, let status, let reason, let until):
            setStatus.bind(1, id); setStatus.bind(2, status.rawValue); setStatus.bind(3, reason); setStatus.bind(4, until?.iso8601)
            try updateOne(setStatus, entry, "volunteer \(id)")

        case .certificationGranted(let id, let certification):
            try run(putCertification, Self.certificationRow(volunteer: id, certification))

        case .certificationRevoked(let id, let skill, _):
            deleteCertification.bind(1, id); deleteCertification.bind(2, skill)
            try updateOne(deleteCertification, entry, "certification \(id)/\(skill)")

        case .checkedIn(let id, let incident):
            checkIn.bind(1, id); checkIn.bind(2, entry.time.milliseconds); checkIn.bind(3, incident)
            checkIn.bind(4, VolunteerStatus.deployed.rawValue)
            try updateOne(checkIn, entry, "volunteer \(id)")

        case .checkedOut(let id):
            logDuty.bind(1, id); logDuty.bind(2, entry.time.milliseconds)
            try updateOne(logDuty, entry, "on-duty volunteer \(id)")
            checkOut.bind(1, id); checkOut.bind(2, VolunteerStatus.available.rawValue)
            try updateOne(checkOut, entry, "volunteer \(id)")

        case .teamAdded(let team):
            // As in State.applyRoster: the leader is the first member; state starts afresh.
            var added = team
            added.members = team.leader.map { [$0] } ?? []
            added.state = .active
            added.stateReason = nil
            try run(insertTeam, Self.teamRow(added))
            if let leader = team.leader { try addMember(team: team.id, volunteer: leader, entry) }

        case .teamMemberAdded(let team, let volunteer):
            try addMember(team: team, volunteer: volunteer, entry)

        case .teamMemberRemoved(let team, let volunteer):
            deleteMember.bind(1, team); deleteMember.bind(2, volunteer)
            try updateOne(deleteMember, entry, "member \(volunteer) of team \(team)")
            clearLeader.bind(1, team); clearLeader.bind(2, volunteer)
            try clearLeader.execute()
            setVolunteerTeam.bind(1, volunteer); setVolunteerTeam.bind(2, nil as String?)
            try updateOne(setVolunteerTeam, entry, "volunteer \(volunteer)")

        case .teamStateSet(let team, let state, let reason):
            setTeamState.bind(1, team); setTeamState.bind(2, state.rawValue)
            setTeamState.bind(3, state == .active ? nil : reason)
            try updateOne(setTeamState, entry, "team \(team)")

        case .regionAdded, .warehouseAdded, .itemAdded, .lotReceived, .lotIssued, .lotTransferred, .lotAdjusted,
             .minimumSet, .requestCompleted, .incidentOpened, .incidentUpdated, .incidentStatusSet, .needAdded, .needChanged,
             .needCancelled, .planProposed, .planApplied, .allocationReserved, .allocationDispatched, .allocationDelivered,
             .allocationReleased, .assignmentMade, .assignmentStatusSet, .assignmentReleased, .travelTimeSet, .snapshotSealed,
             .drillRecorded, .userSet, .userRemoved, .tokenCreated, .tokenRevoked, .donationRecorded, .donationLotLinked,
             .donationMoneyReceived, .donationMoneySpent, .alertRaised, .alertCleared, .alertAcknowledged:
            break // SQLiteProjector's and SQLiteIncidentProjector's tables, or none
        }
    }

    private func addMember(team: String, volunteer: String, _ entry: Entry) throws {
        try run(insertMember, Self.memberRow(team: team, volunteer: volunteer))
        setVolunteerTeam.bind(1, volunteer); setVolunteerTeam.bind(2, team)
        try updateOne(setVolunteerTeam, entry, "volunteer \(volunteer)")
    }

    private func run(_ statement: SQLiteStatement, _ row: [SQLiteValue]) throws {
        statement.bind(row: row)
        try statement.execute()
    }

    /// Runs an UPDATE or DELETE (or INSERT … SELECT) that must touch exactly one row.
    private func updateOne(_ statement: SQLiteStatement, _ entry: Entry, _ what: String) throws {
        try statement.execute()
        guard connection.changes == 1 else {
            throw StoreError("projecting entry \(entry.seq) (\(entry.event.kind)): \(what) missing from the roster tables; "
                             + "the current-state tables disagree with the journal (restart reliefd to rebuild them)",
                             isTransient: false)
        }
    }

    // MARK: rows

    static func skillRow(_ skill: Skill) -> [SQLiteValue] {
        [.text(skill.id), .text(skill.name), SQLiteValue(skill.specialty), .integer(skill.needsCertificate ? 1 : 0)]
    }

    static func specialtyRow(_ specialty: Specialty) -> [SQLiteValue] {
        [.text(specialty.id), .text(specialty.name), .text(specialty.requiredSkills.joined(separator: ","))]
    }

    /// name … organization, in the order of `volunteerColumns` after the id. Lists are written as
    /// in the journal: languages `zh,en`, skills `first-aid:3,rope:2` sorted by skill.
    static func profileColumns(_ profile: VolunteerProfile) -> [SQLiteValue] {
        var skills = ""
        for (skill, level) in profile.skills.sorted(by: { $0.key < $1.key }) {
            if !skills.isEmpty { skills += "," }
            skills += skill; skills += ":"; skills += String(level)
        }
        return [.text(profile.name), SQLiteValue(profile.phone), SQLiteValue(profile.idNumber), .text(profile.region),
                .real(profile.base.latitude), .real(profile.base.longitude), .text(profile.languages.joined(separator: ",")),
                .text(skills), .integer(Int64(profile.maxDutyHoursPerDay)), .integer(Int64(profile.minRestHours)),
                SQLiteValue(profile.organization)]
    }

    static func volunteerRow(_ volunteer: Volunteer) -> [SQLiteValue] {
        var row: [SQLiteValue] = [.text(volunteer.id)]
        row.reserveCapacity(19)
        row += profileColumns(volunteer.profile)
        row += [.text(volunteer.status.rawValue), SQLiteValue(volunteer.statusReason), SQLiteValue(volunteer.statusUntil?.iso8601),
                SQLiteValue(volunteer.onDutySince?.milliseconds), SQLiteValue(volunteer.onDutyIncident), SQLiteValue(volunteer.team),
                .integer(volunteer.registeredAt.milliseconds)]
        return row
    }

    static func certificationRow(volunteer: String, _ certification: Certification) -> [SQLiteValue] {
        [.text(volunteer), .text(certification.skill), .text(certification.issued.iso8601), .text(certification.expires.iso8601),
         .text(certification.issuer)]
    }

    static func dutyRow(volunteer: String, _ record: DutyRecord) -> [SQLiteValue] {
        [.text(volunteer), .integer(record.start.milliseconds), .integer(record.end.milliseconds), SQLiteValue(record.incident)]
    }

    static func teamRow(_ team: Team) -> [SQLiteValue] {
        [.text(team.id), .text(team.name), .text(team.specialty), .text(team.region), .real(team.base.latitude),
         .real(team.base.longitude), SQLiteValue(team.leader), .text(team.state.rawValue), SQLiteValue(team.stateReason)]
    }

    static func memberRow(team: String, volunteer: String) -> [SQLiteValue] { [.text(team), .text(volunteer)] }

    // MARK: whole-state check and rewrite

    /// True when every roster table holds exactly the rows `state` implies: same number of rows,
    /// and each row equal, column by column, to the one built from the state. One pass over each
    /// table; when the store is loaded (or by the writer's first job). `volunteers: false` leaves out
    /// the volunteers table, compared on a connection of its own meanwhile (`volunteersMatch`).
    func tablesMatch(_ state: State, volunteers: Bool = true) throws -> Bool {
        try rows("SELECT id, name, specialty, certificate FROM skills", count: state.skills.count) { row in
            row.text(0).flatMap { state.skills[$0] }.map(Self.skillRow)
        }
        && rows("SELECT id, name, required_skills FROM specialties", count: state.specialties.count) { row in
            row.text(0).flatMap { state.specialties[$0] }.map(Self.specialtyRow)
        }
        && (!volunteers || Self.volunteersMatch(connection, state))
        && rows("SELECT volunteer, skill, issued, expires, issuer FROM certifications",
                count: state.volunteers.values.reduce(0) { $0 + $1.certifications.count }) { row in
            guard let volunteer = row.text(0), let skill = row.text(1),
                  let certification = state.volunteers[volunteer]?.certifications[skill] else { return nil }
            return Self.certificationRow(volunteer: volunteer, certification)
        }
        && dutyLogMatches(state)
        && rows("SELECT \(Self.teamColumns) FROM teams", count: state.teams.count) { row in
            row.text(0).flatMap { state.teams[$0] }.map(Self.teamRow)
        }
        && rows("SELECT team, volunteer FROM team_members", count: state.teams.values.reduce(0) { $0 + $1.members.count }) { row in
            guard let team = row.text(0), let volunteer = row.text(1),
                  state.teams[team]?.members.contains(volunteer) == true else { return nil }
            return Self.memberRow(team: team, volunteer: volunteer)
        }
    }

    /// The volunteers table against `state`, on `connection`: the largest of the roster tables (a
    /// third of the check on a large roster), so it is compared on a second connection and thread
    /// while the session's connection compares the rest (SQLiteJournal.compareAndRepairTables).
    static func volunteersMatch(_ connection: SQLiteConnection, _ state: State) throws -> Bool {
        try rows(connection, "SELECT \(volunteerColumns) FROM volunteers", count: state.volunteers.count) { row in
            row.text(0).flatMap { state.volunteers[$0] }.map(volunteerRow)
        }
    }

    /// Each volunteer's duty rows, in time order, are the volunteer's duty records in order.
    private func dutyLogMatches(_ state: State) throws -> Bool {
        var next: [String: Int] = [:]
        return try rows("SELECT volunteer, start, \"end\", incident FROM duty_log ORDER BY volunteer, start, \"end\", rowid",
                        count: state.volunteers.values.reduce(0) { $0 + $1.duty.count }) { row in
            guard let id = row.text(0), let duty = state.volunteers[id]?.duty else { return nil }
            let index = next[id, default: 0]
            guard index < duty.count else { return nil }
            next[id] = index + 1
            return Self.dutyRow(volunteer: id, duty[index])
        }
    }

    /// Runs `sql` and checks that it returns `count` rows, each equal to what `expected` builds
    /// for it (nil: the state has no such row).
    private func rows(_ sql: String, count: Int, _ expected: (SQLiteStatement) -> [SQLiteValue]?) throws -> Bool {
        try Self.rows(connection, sql, count: count, expected)
    }

    private static func rows(_ connection: SQLiteConnection, _ sql: String, count: Int,
                             _ expected: (SQLiteStatement) -> [SQLiteValue]?) throws -> Bool {
        let statement = try connection.prepare(sql)
        defer { statement.finalize() }
        var seen = 0
        while try statement.step() {
            seen += 1
            guard seen <= count, let row = expected(statement), statement.columnsEqual(row) else { return false }
        }
        return seen == count
    }

    /// Empties the roster tables, children first. Runs inside the caller's transaction, before
    /// the tables they reference (regions) are emptied.
    func deleteAll() throws {
        try connection.execute("""
            DELETE FROM team_members; DELETE FROM duty_log; DELETE FROM certifications; DELETE FROM volunteers;
            DELETE FROM teams; DELETE FROM specialties; DELETE FROM skills;
            """)
    }

    /// Writes the roster tables from `state`, parents first. Runs inside the caller's transaction,
    /// after regions are written.
    func insertAll(from state: State) throws {
        for skill in state.skills.values { try run(insertSkill, Self.skillRow(skill)) }
        for specialty in state.specialties.values { try run(insertSpecialty, Self.specialtyRow(specialty)) }
        for team in state.teams.values { try run(insertTeam, Self.teamRow(team)) }
        for volunteer in state.volunteers.values {
            try run(insertVolunteer, Self.volunteerRow(volunteer))
            for certification in volunteer.certifications.values {
                try run(putCertification, Self.certificationRow(volunteer: volunteer.id, certification))
            }
            for record in volunteer.duty { try run(insertDuty, Self.dutyRow(volunteer: volunteer.id, record)) }
        }
        for team in state.teams.values {
            for member in team.members { try run(insertMember, Self.memberRow(team: team.id, volunteer: member)) }
        }
    }
}
