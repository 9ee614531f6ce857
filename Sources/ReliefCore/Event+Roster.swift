/// Roster events. They are cases of `Event` (see Event.swift); their journal bodies are here.
extension Event {
    var rosterBody: FlatJSON? {
        var json = FlatJSON()
        switch self {
        case .skillAdded(let skill):
            json.set("id", skill.id); json.set("name", skill.name); json.set("specialty", skill.specialty)
            json.set("certificate", skill.needsCertificate ? 1 : 0)
        case .specialtyAdded(let specialty):
            json.set("id", specialty.id); json.set("name", specialty.name)
            json.set("skills", specialty.requiredSkills.joined(separator: ","))
        case .volunteerAdded(let id, let profile):
            json.set("id", id); Event.encode(profile, into: &json)
        case .volunteerUpdated(let id, let profile):
            json.set("id", id); Event.encode(profile, into: &json)
        case .volunteerStatusSet(let id, let status, let reason, let until):
            json.set("id", id); json.set("status", status.rawValue); json.set("reason", reason); json.set("until", until?.iso8601)
        case .certificationGranted(let id, let certification):
            json.set("id", id); json.set("skill", certification.skill); json.set("issued", certification.issued.iso8601)
            json.set("expires", certification.expires.iso8601); json.set("issuer", certification.issuer)
        case .certificationRevoked(let id, let skill, let reason):
            json.set("id", id); json.set("skill", skill); json.set("reason", reason)
        case .checkedIn(let id, let incident):
            json.set("id", id); json.set("incident", incident)
        case .checkedOut(let id):
            json.set("id", id)
        case .teamAdded(let team):
            json.set("id", team.id); json.set("name", team.name); json.set("specialty", team.specialty)
            json.set("region", team.region); json.set("lat", team.base.latitude); json.set("lon", team.base.longitude)
            json.set("leader", team.leader)
        case .teamMemberAdded(let team, let volunteer):
            json.set("team", team); json.set("volunteer", volunteer)
        case .teamMemberRemoved(let team, let volunteer):
            json.set("team", team); json.set("volunteer", volunteer)
        case .teamStateSet(let team, let state, let reason):
            json.set("team", team); json.set("state", state.rawValue); json.set("reason", reason)
        default:
            return nil
        }
        return json
    }

    static func encode(_ profile: VolunteerProfile, into json: inout FlatJSON) {
        json.set("name", profile.name); json.set("phone", profile.phone); json.set("id_number", profile.idNumber)
        json.set("region", profile.region); json.set("lat", profile.base.latitude); json.set("lon", profile.base.longitude)
        json.set("languages", profile.languages.joined(separator: ","))
        json.set("skills", profile.skills.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ","))
        json.set("max_hours", profile.maxDutyHoursPerDay); json.set("min_rest_hours", profile.minRestHours)
        json.set("organization", profile.organization)
    }

    static func decodeProfile(_ body: FlatJSON) throws -> VolunteerProfile {
        let skills = try parseSkills(try body.string("skills"))
        return VolunteerProfile(
            name: try body.string("name"), phone: try body.optionalString("phone"), idNumber: try body.optionalString("id_number"),
            region: try body.string("region"), base: Coordinate(latitude: try body.double("lat"), longitude: try body.double("lon")),
            languages: parseLanguages(try body.string("languages")), skills: skills,
            maxDutyHoursPerDay: Int(try body.int("max_hours")), minRestHours: Int(try body.int("min_rest_hours")),
            organization: try body.optionalString("organization"))
    }

    /// A profile's `skills` field: `skill:level` pairs joined by commas.
    static func parseSkills(_ text: String) throws -> [String: Int] {
        var text = text
        return try text.withUTF8 { try parseSkills(utf8: $0) }
    }

    /// `parseSkills` on the text's bytes, walked once (',' and ':' are ASCII, so every cut is at a
    /// character's edge): no array of parts per list, nor per part. A sixth of a start-up on a
    /// large roster was splitting these lists; this runs for each distinct list a snapshot holds.
    static func parseSkills(utf8 bytes: UnsafeBufferPointer<UInt8>) throws -> [String: Int] {
        var skills: [String: Int] = [:]
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x2C { end += 1 }
            // Empty parts (",," or a trailing comma) are skipped, as splitting skips them.
            if end > start {
                // The part's non-empty runs between colons, as splitting on ':' gives them: two.
                var first = 0..<0, second = 0..<0, runs = 0, runStart = start
                for index in start...end where index == end || bytes[index] == 0x3A {
                    if index > runStart {
                        runs += 1
                        if runs == 1 { first = runStart..<index } else if runs == 2 { second = runStart..<index } else { break }
                    }
                    runStart = index + 1
                }
                guard runs == 2, let level = parseLevel(UnsafeBufferPointer(rebasing: bytes[second])) else {
                    throw FlatJSON.DecodingError.invalid("skills=\(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))")
                }
                skills[String(decoding: UnsafeBufferPointer(rebasing: bytes[first]), as: UTF8.self)] = level
            }
            start = end + 1
        }
        return skills
    }

    /// A level as `Int(_:)` reads it: plain digits are read here (at most 18, so no overflow);
    /// anything else (a sign, a long number, not a number) is left to `Int(_:)`.
    private static func parseLevel(_ digits: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return Int(String(decoding: digits, as: UTF8.self))
        }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// A profile's `languages` field: language codes joined by commas.
    static func parseLanguages(_ text: String) -> [String] {
        text.utf8.split(separator: 0x2C).map { String(Substring($0)) }
    }

    static func decodeRoster(kind: Kind.Roster, body: FlatJSON) throws -> Event {
        func day(_ key: String) throws -> Day {
            let text = try body.string(key)
            guard let day = Day(iso8601: text) else { throw FlatJSON.DecodingError.invalid("\(key)=\(text)") }
            return day
        }
        switch kind {
        case .skillAdded:
            return .skillAdded(Skill(id: try body.string("id"), name: try body.string("name"), specialty: try body.optionalString("specialty"),
                                     needsCertificate: try body.int("certificate") != 0))
        case .specialtyAdded:
            return .specialtyAdded(Specialty(id: try body.string("id"), name: try body.string("name"),
                                             requiredSkills: try body.string("skills").split(separator: ",").map(String.init)))
        case .volunteerAdded:
            return .volunteerAdded(id: try body.string("id"), profile: try decodeProfile(body))
        case .volunteerUpdated:
            return .volunteerUpdated(id: try body.string("id"), profile: try decodeProfile(body))
        case .volunteerStatusSet:
            let text = try body.string("status")
            guard let status = VolunteerStatus(rawValue: text) else { throw FlatJSON.DecodingError.invalid("status=\(text)") }
            let until = try body.optionalString("until").map { text -> Day in
                guard let day = Day(iso8601: text) else { throw FlatJSON.DecodingError.invalid("until=\(text)") }
                return day
            }
            return .volunteerStatusSet(id: try body.string("id"), status: status, reason: try body.optionalString("reason"), until: until)
        case .certificationGranted:
            return .certificationGranted(id: try body.string("id"), Certification(skill: try body.string("skill"), issued: try day("issued"),
                                                                                  expires: try day("expires"), issuer: try body.string("issuer")))
        case .certificationRevoked:
            return .certificationRevoked(id: try body.string("id"), skill: try body.string("skill"), reason: try body.optionalString("reason"))
        case .checkedIn:
            return .checkedIn(id: try body.string("id"), incident: try body.optionalString("incident"))
        case .checkedOut:
            return .checkedOut(id: try body.string("id"))
        case .teamAdded:
            return .teamAdded(Team(id: try body.string("id"), name: try body.string("name"), specialty: try body.string("specialty"),
                                   region: try body.string("region"),
                                   base: Coordinate(latitude: try body.double("lat"), longitude: try body.double("lon")),
                                   leader: try body.optionalString("leader")))
        case .teamMemberAdded:
            return .teamMemberAdded(team: try body.string("team"), volunteer: try body.string("volunteer"))
        case .teamMemberRemoved:
            return .teamMemberRemoved(team: try body.string("team"), volunteer: try body.string("volunteer"))
        case .teamStateSet:
            let text = try body.string("state")
            guard let state = TeamState(rawValue: text) else { throw FlatJSON.DecodingError.invalid("state=\(text)") }
            return .teamStateSet(team: try body.string("team"), state: state, reason: try body.optionalString("reason"))
        }
    }
}
