/// Roster records of a snapshot: skills, specialties, volunteers (with their certifications and
/// duty log as records of their own), teams. Loading rebuilds `rosterIndex` afterwards. Volunteer
/// and certification records are decoded on the snapshot decoder's preparing threads
/// (`snapshotVolunteer`, `snapshotCertification`); the rest here, in order.
extension State {
    func rosterSnapshotLines(_ emit: (FlatJSON) -> Void) {
        func record(_ type: String, _ event: Event) -> FlatJSON {
            var json = event.body
            json.pairs.insert(("t", .string(type)), at: 0)
            return json
        }
        for skill in skills.values.sorted(by: { $0.id < $1.id }) { emit(record("skill", .skillAdded(skill))) }
        for specialty in specialties.values.sorted(by: { $0.id < $1.id }) { emit(record("specialty", .specialtyAdded(specialty))) }
        for volunteer in volunteers.values.sorted(by: { $0.id < $1.id }) {
            var json = record("volunteer", .volunteerAdded(id: volunteer.id, profile: volunteer.profile))
            json.set("registered", volunteer.registeredAt.milliseconds)
            json.set("status", volunteer.status.rawValue); json.set("reason", volunteer.statusReason)
            json.set("until", volunteer.statusUntil?.iso8601)
            if let since = volunteer.onDutySince { json.set("on_duty_since", since.milliseconds) }; json.set("incident", volunteer.onDutyIncident)
            emit(json)
            for certification in volunteer.certifications.values.sorted(by: { $0.skill < $1.skill }) {
                emit(record("cert", .certificationGranted(id: volunteer.id, certification)))
            }
            for record in volunteer.drills { emit(drillRecord(of: "volunteer", volunteer.id, record)) }
            for duty in volunteer.duty {
                var json = FlatJSON()
                json.set("t", "duty"); json.set("id", volunteer.id); json.set("start", duty.start.milliseconds)
                json.set("end", duty.end.milliseconds); json.set("incident", duty.incident)
                emit(json)
            }
        }
        for team in teams.values.sorted(by: { $0.id < $1.id }) {
            var json = record("team", .teamAdded(team))
            json.set("members", team.members.joined(separator: ","))
            json.set("state", team.state.rawValue); json.set("state_reason", team.stateReason)
            emit(json)
            for record in team.drills { emit(drillRecord(of: "team", team.id, record)) }
        }
    }

    private func drillRecord(of kind: String, _ id: String, _ record: DrillRecord) -> FlatJSON {
        var json = FlatJSON()
        json.set("t", "drill"); json.set("of", kind); json.set("id", id); json.set("drill", record.drill)
        json.set("scenario", record.scenario); json.set("day", record.day.iso8601); json.set("role", record.role)
        return json
    }

    /// The fields of a volunteer's snapshot line, in the order `rosterSnapshotLines` writes them.
    static let volunteerFields = FlatJSON.FieldNames([
        "id", "name", "phone", "id_number", "region", "lat", "lon", "languages", "skills", "max_hours", "min_rest_hours",
        "organization", "registered", "status", "reason", "until", "on_duty_since", "incident",
    ])
    typealias VolunteerFields = InlineArray<18, FlatJSON.Value?>

    /// A volunteer's snapshot record decoded, its organization and lists interned in `pool`. Pure:
    /// the snapshot decoder calls it on its preparing threads.
    static func snapshotVolunteer(_ record: FlatJSON, pool: inout TextPool) throws -> Volunteer {
        var field = VolunteerFields(repeating: nil)
        record.readFields(volunteerFields) { field[$0] = $1 }
        return try volunteer(field, pool: &pool)
    }

    /// The same, read straight from the line's bytes by `parser`, past its first pair
    /// (`"t":"volunteer"`): no String per key, no look-up by name. A national roster's start is
    /// mostly these lines.
    static func snapshotVolunteer(reading parser: inout FlatJSON.Parser, pool: inout TextPool) throws -> Volunteer {
        var field = VolunteerFields(repeating: nil)
        if try parser.more() { try parser.readFields(volunteerFields) { field[$0] = $1 } }
        return try volunteer(field, pool: &pool)
    }

    /// A volunteer from its fields (`volunteerFields`' order), read in the order a
    /// `volunteer.added` body's are (Event.decodeProfile), so a bad line names the field it
    /// always did. The languages and skills are looked up in `pool` by their text and parsed only
    /// the first time.
    private static func volunteer(_ field: VolunteerFields, pool: inout TextPool) throws -> Volunteer {
        let id = try FlatJSON.string(field[0], "id")
        let skills = try pool.skills(written: try FlatJSON.string(field[8], "skills"))
        let profile = VolunteerProfile(
            name: try FlatJSON.string(field[1], "name"), phone: try FlatJSON.optionalString(field[2], "phone"),
            idNumber: try FlatJSON.optionalString(field[3], "id_number"), region: try FlatJSON.string(field[4], "region"),
            base: Coordinate(latitude: try FlatJSON.double(field[5], "lat"), longitude: try FlatJSON.double(field[6], "lon")),
            languages: pool.languages(written: try FlatJSON.string(field[7], "languages")), skills: skills,
            maxDutyHoursPerDay: Int(try FlatJSON.int(field[9], "max_hours")), minRestHours: Int(try FlatJSON.int(field[10], "min_rest_hours")),
            organization: pool.intern(try FlatJSON.optionalString(field[11], "organization")))
        var volunteer = Volunteer(id: id, profile: profile, registeredAt: Timestamp(milliseconds: try FlatJSON.int(field[12], "registered")))
        let status = try FlatJSON.string(field[13], "status")
        guard let parsed = VolunteerStatus(rawValue: status) else { throw FlatJSON.DecodingError.invalid("status \(status)") }
        volunteer.status = parsed
        volunteer.statusReason = try FlatJSON.optionalString(field[14], "reason")
        if let until = try FlatJSON.optionalString(field[15], "until") {
            guard let day = Day(iso8601: until) else { throw FlatJSON.DecodingError.invalid("date \(until)") }
            volunteer.statusUntil = day
        }
        volunteer.onDutySince = try FlatJSON.optionalInt(field[16], "on_duty_since").map(Timestamp.init(milliseconds:))
        volunteer.onDutyIncident = try FlatJSON.optionalString(field[17], "incident")
        return volunteer
    }

    static let certificationFields = FlatJSON.FieldNames(["id", "skill", "issued", "expires", "issuer"])
    typealias CertificationFields = InlineArray<5, FlatJSON.Value?>

    /// A certification's snapshot record decoded: the volunteer's id and the certification, its
    /// issuer interned in `pool`.
    static func snapshotCertification(_ record: FlatJSON, pool: inout TextPool) throws -> (String, Certification) {
        var field = CertificationFields(repeating: nil)
        record.readFields(certificationFields) { field[$0] = $1 }
        return try certification(field, pool: &pool)
    }

    /// The same, read straight from the line's bytes, as `snapshotVolunteer(reading:pool:)`.
    static func snapshotCertification(reading parser: inout FlatJSON.Parser, pool: inout TextPool) throws -> (String, Certification) {
        var field = CertificationFields(repeating: nil)
        if try parser.more() { try parser.readFields(certificationFields) { field[$0] = $1 } }
        return try certification(field, pool: &pool)
    }

    /// A certification from its fields, read in the order a `certification.granted` body's are.
    private static func certification(_ field: CertificationFields, pool: inout TextPool) throws -> (String, Certification) {
        func day(_ index: Int, _ key: String) throws -> Day {
            let text = try FlatJSON.string(field[index], key)
            guard let day = Day(iso8601: text) else { throw FlatJSON.DecodingError.invalid("\(key)=\(text)") }
            return day
        }
        let id = try FlatJSON.string(field[0], "id")
        let certification = Certification(skill: try FlatJSON.string(field[1], "skill"), issued: try day(2, "issued"),
                                          expires: try day(3, "expires"), issuer: pool.intern(try FlatJSON.string(field[4], "issuer")))
        return (id, certification)
    }

    mutating func loadRosterRecord(_ type: String, _ record: FlatJSON) throws {
        func day(_ text: String?) throws -> Day? {
            guard let text else { return nil }
            guard let day = Day(iso8601: text) else { throw FlatJSON.DecodingError.invalid("date \(text)") }
            return day
        }
        switch type {
        case "skill":
            guard case .skillAdded(let skill) = try Event(kind: "skill.added", body: record) else { return }
            skills[skill.id] = skill
        case "specialty":
            guard case .specialtyAdded(let specialty) = try Event(kind: "specialty.added", body: record) else { return }
            specialties[specialty.id] = specialty
        case "duty":
            let id = try record.string("id")
            guard volunteers.index(forKey: id) != nil else { throw FlatJSON.DecodingError.invalid("duty of unknown volunteer \(id)") }
            volunteers[id]!.duty.append(DutyRecord(start: Timestamp(milliseconds: try record.int("start")),
                                                   end: Timestamp(milliseconds: try record.int("end")),
                                                   incident: try record.optionalString("incident")))
        case "team":
            guard case .teamAdded(var team) = try Event(kind: "team.added", body: record) else { return }
            team.members = try record.string("members").split(separator: ",").map(String.init)
            let state = try record.string("state")
            guard let parsed = TeamState(rawValue: state) else { throw FlatJSON.DecodingError.invalid("team state \(state)") }
            team.state = parsed
            team.stateReason = try record.optionalString("state_reason")
            for member in team.members {
                guard volunteers.index(forKey: member) != nil else { throw FlatJSON.DecodingError.invalid("team \(team.id) member \(member) unknown") }
                volunteers[member]!.team = team.id
            }
            teams[team.id] = team
        case "drill":
            let id = try record.string("id"), kind = try record.string("of")
            guard let drillDay = try day(try record.string("day")) else { return }
            let drill = DrillRecord(drill: try record.string("drill"), scenario: try record.string("scenario"), day: drillDay,
                                    role: try record.string("role"))
            switch kind {
            case "volunteer" where volunteers[id] != nil: volunteers[id]!.drills.append(drill)
            case "team" where teams[id] != nil: teams[id]!.drills.append(drill)
            default: throw FlatJSON.DecodingError.invalid("drill record of unknown \(kind) \(id)")
            }
        default:
            throw FlatJSON.DecodingError.unknownKind(type)
        }
    }
}
