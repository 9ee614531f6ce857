import ReliefCore
import ReliefProtocol

/// Personal data (phone, ID number) as shown to whoever may not see it in full.
public enum PersonalData {
    /// Keeps the first `first` and last `last` characters and puts `****` between them; text too
    /// short to keep anything is fully masked.
    public static func mask(_ text: String, keepFirst first: Int, keepLast last: Int) -> String {
        // Printable ASCII (every phone and ID number given so far): one Character per byte, so
        // cut the bytes; `volunteer find` masks two fields per row of every reply.
        let utf8 = text.utf8
        if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            guard utf8.count > first + last else { return "****" }
            return String(decoding: utf8.prefix(first), as: UTF8.self) + "****" + String(decoding: utf8.suffix(last), as: UTF8.self)
        }
        let characters = Array(text)
        guard characters.count > first + last else { return "****" }
        return String(characters.prefix(first)) + "****" + String(characters.suffix(last))
    }

    /// 13812345678 → 138****5678
    public static func maskPhone(_ phone: String) -> String { mask(phone, keepFirst: 3, keepLast: 4) }

    /// 100101199001011234 → 100****34
    public static func maskIDNumber(_ number: String) -> String { mask(number, keepFirst: 3, keepLast: 2) }
}

extension Arguments {
    static func yesNo(_ text: String, _ what: String) throws -> Bool {
        switch text.lowercased() {
        case "yes", "true", "1": return true
        case "no", "false", "0": return false
        default: throw Refusal(.syntax, "bad \(what) \"\(text)\"; expected yes or no")
        }
    }

    /// A comma-separated list of identifiers; empty text is an empty list.
    static func list(_ text: String, _ what: String) throws -> [String] {
        guard !text.isEmpty else { return [] }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { try identifier(String($0), what) }
    }

    static func limit(_ text: String) throws -> Int {
        guard let value = Int(text), value >= 1, value <= 1_000_000 else {
            throw Refusal(.syntax, "bad limit \"\(text)\"; expected a whole number from 1 to 1000000")
        }
        return value
    }
}

extension Engine {
    func volunteer(_ id: String) throws -> Volunteer {
        guard let volunteer = state.volunteers[id] else { throw Refusal(.notFound, "volunteer \(id) not found") }
        return volunteer
    }

    func skill(_ id: String) throws -> Skill {
        guard let skill = state.skills[id] else { throw Refusal(.notFound, "skill \(id) not in the catalog; see skill list") }
        return skill
    }

    func team(_ id: String) throws -> Team {
        guard let team = state.teams[id] else { throw Refusal(.notFound, "team \(id) not found") }
        return team
    }

    /// True when the request asks for personal data with the bare word `personal`; only roles that
    /// see personal data (coordinator, admin) may.
    static func personal(_ args: Arguments, _ context: Context) throws -> Bool {
        guard args.request.hasFlag("personal", from: args.first) else { return false }
        let principal = context.principal
        guard principal.role.seesPersonalData else {
            let allowed = Role.allCases.filter(\.seesPersonalData).map(\.rawValue).joined(separator: " or ")
            throw Refusal(.denied, "\(principal.user) (\(principal.role.rawValue)) may not see personal data (phone, id_number): it needs the \(allowed) role")
        }
        return true
    }

    /// The profile a `volunteer add` (base nil: name, region and at required) or `volunteer update` describes.
    func volunteerProfile(_ args: Arguments, base: VolunteerProfile?) throws -> VolunteerProfile {
        func given(_ key: String) throws -> String? {
            if base == nil, ["name", "region", "at"].contains(key) { return try args.requiredOption(key, key == "at" ? "LAT,LON" : key == "region" ? "PATH" : "TEXT") }
            return args.option(key)
        }
        var profile = base ?? VolunteerProfile(name: "", phone: nil, idNumber: nil, region: "", base: Coordinate(latitude: 0, longitude: 0),
                                               languages: [], skills: [:], maxDutyHoursPerDay: 12, minRestHours: 8, organization: nil)
        if let name = try given("name") { profile.name = try Arguments.text(name, "name") }
        if let region = try given("region") {
            guard state.regions[region] != nil else { throw Refusal(.notFound, "region \(region) not found") }
            profile.region = region
        }
        if let at = try given("at") { profile.base = try Arguments.coordinate(at, "at") }
        if let phone = args.option("phone") {
            guard !phone.isEmpty, phone.utf8.count <= 32, phone.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2D }) else {
                throw Refusal(.syntax, "bad phone; expected up to 32 digits, '+' or '-'")
            }
            profile.phone = phone
        }
        if let number = args.option("id_number") {
            guard Arguments.isIdentifier(number), number.utf8.count <= 32 else {
                throw Refusal(.syntax, "bad id_number; expected up to 32 letters and digits")
            }
            profile.idNumber = number
        }
        if let languages = args.option("languages") { profile.languages = try Arguments.list(languages.lowercased(), "language") }
        if let text = args.option("skills") {
            var skills: [String: Int] = [:]
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
                let id = try Arguments.identifier(String(pieces[0]), "skill")
                guard state.skills[id] != nil else { throw Refusal(.notFound, "skill \(id) not in the catalog; see skill list") }
                var level = 1
                if pieces.count == 2, let parsed = Int(pieces[1]), State.skillLevels.contains(parsed) {
                    level = parsed
                } else if pieces.count != 1 {
                    throw Refusal(.syntax, "bad skill level \"\(part)\"; expected SKILL:LEVEL with level 1 to 5, such as first-aid:3")
                }
                guard skills[id] == nil else { throw Refusal(.syntax, "skills= lists \(id) twice") }
                skills[id] = level
            }
            profile.skills = skills
        }
        if let text = args.option("max_hours") {
            guard let hours = Int(text), State.dutyHoursRange.contains(hours) else {
                throw Refusal(.syntax, "bad max_hours \"\(text)\"; expected whole hours from 1 to 24")
            }
            profile.maxDutyHoursPerDay = hours
        }
        if let text = args.option("min_rest") {
            // Bare hours ("8") or a duration ("8h"); a number too large for milliseconds is refused, not multiplied.
            let milliseconds = Int64(text).map { $0.multipliedReportingOverflow(by: 3_600_000) }.flatMap { $0.overflow ? nil : $0.partialValue }
                ?? (Int64(text) == nil ? DurationText.milliseconds(text) : nil)
            guard let milliseconds, milliseconds % 3_600_000 == 0, State.restHoursRange.contains(Int(milliseconds / 3_600_000)) else {
                throw Refusal(.syntax, "bad min_rest \"\(text)\"; expected whole hours from 0h to 72h, such as 8h")
            }
            profile.minRestHours = Int(milliseconds / 3_600_000)
        }
        if let org = args.option("org") { profile.organization = try Arguments.text(org, "org") }
        return profile
    }

    /// The filter of a roster listing; `limit` is the listing's, and one more is searched so the
    /// reply can say whether more matched.
    func volunteerFilter(_ args: Arguments, limit: Int) throws -> VolunteerFilter {
        var filter = VolunteerFilter()
        if let skill = args.option("skill") { filter.skill = try self.skill(skill).id }
        if let day = args.option("certified_at") {
            guard filter.skill != nil else { throw Refusal(.syntax, "certified_at= needs skill=ID") }
            filter.certifiedAt = try Arguments.day(day, "certified_at")
        }
        filter.available = args.request.hasFlag("available", from: args.first)
        if let near = args.option("near") {
            filter.near = try Arguments.coordinate(near, "near")
            let text = args.option("radius") ?? "50km"
            guard let radius = parseRadiusKilometres(text) else {
                throw Refusal(.syntax, "bad radius \"\(text)\"; expected a distance such as 50km or 800m")
            }
            filter.radiusKilometres = radius
        } else if args.option("radius") != nil {
            throw Refusal(.syntax, "radius= needs near=LAT,LON")
        }
        if let region = args.option("region") {
            guard state.regions[region] != nil else { throw Refusal(.notFound, "region \(region) not found") }
            filter.region = region
        }
        if let team = args.option("team") { filter.team = try self.team(team).id }
        if let status = args.option("status") { filter.status = try Arguments.choice(status, "status", VolunteerStatus.self) }
        if let org = args.option("org") { filter.organization = org }
        filter.limit = limit == .max ? nil : limit + 1
        return filter
    }

    static func personalFields(_ profile: VolunteerProfile, personal: Bool, into fields: inout Fields) {
        fields.append("phone", profile.phone.map { personal ? $0 : PersonalData.maskPhone($0) } ?? "")
        fields.append("id_number", profile.idNumber.map { personal ? $0 : PersonalData.maskIDNumber($0) } ?? "")
    }

    static func skillsText(_ skills: [String: Int]) -> String {
        skillTexts(skills) { _ in false }.skills
    }

    /// `skills=` and `certified=` of a row from one sort of the skills: every skill with its level,
    /// and those `isCertified` says count. Built as bytes (a row of every volunteer a find or
    /// listing returns has them), not by interpolating and joining a String per skill.
    static func skillTexts(_ skills: [String: Int], certified isCertified: (String) -> Bool) -> (skills: String, certified: String) {
        var listed: [UInt8] = [], certified: [UInt8] = []
        listed.reserveCapacity(skills.count * 16)
        for (skill, level) in skills.sorted(by: { $0.key < $1.key }) {
            if !listed.isEmpty { listed.append(0x2C) }
            listed.append(contentsOf: skill.utf8)
            listed.append(0x3A)
            listed.append(contentsOf: String(level).utf8)
            if isCertified(skill) {
                if !certified.isEmpty { certified.append(0x2C) }
                certified.append(contentsOf: skill.utf8)
            }
        }
        return (String(decoding: listed, as: UTF8.self), String(decoding: certified, as: UTF8.self))
    }

    func volunteerFields(_ volunteer: Volunteer, at now: Timestamp, personal: Bool, full: Bool) -> Fields {
        Engine.volunteerFields(state, volunteer, at: now, personal: personal, full: full)
    }

    /// A pure function of the state it is given, so a streamed listing can make rows later from
    /// the copy it captured.
    static func volunteerFields(_ state: State, _ volunteer: Volunteer, at now: Timestamp, personal: Bool, full: Bool) -> Fields {
        let profile = volunteer.profile
        var fields = Fields()
        // Room for every field (a find adds two): the row's array is allocated once, not grown
        // through 1, 2, 4, 8 and 16 pairs.
        fields.pairs.reserveCapacity(full ? 26 : 16)
        fields.append("volunteer", volunteer.id)
        fields.append("name", profile.name)
        Engine.personalFields(profile, personal: personal, into: &fields)
        fields.append("region", profile.region)
        fields.append("at", profile.base.text)
        fields.append("org", profile.organization ?? "")
        // Certified: the catalog asks for a certificate and the volunteer holds one valid today.
        let (skills, certified) = Engine.skillTexts(profile.skills) { skill in
            state.skills[skill]?.needsCertificate == true && volunteer.certification(for: skill)?.isValid(on: now.day) == true
        }
        fields.append("skills", skills)
        fields.append("certified", certified)
        fields.append("status", state.effectiveStatus(of: volunteer, at: now).rawValue)
        let (available, reason) = state.availability(of: volunteer, at: now)
        fields.append("available", available ? "yes" : "no")
        fields.append("reason", reason ?? "")
        fields.append("team", volunteer.team ?? "")
        if full {
            fields.append("languages", profile.languages.joined(separator: ","))
            fields.append("max_hours", String(profile.maxDutyHoursPerDay))
            fields.append("min_rest", "\(profile.minRestHours)h")
            fields.append("on_duty_since", volunteer.onDutySince?.iso8601 ?? "")
            fields.append("incident", volunteer.onDutyIncident ?? "")
            fields.append("hours_24h", State.hoursText(state.dutyMillisecondsInLastDay(of: volunteer, at: now)))
            fields.append("hours_total", State.hoursText(volunteer.duty.reduce(0) { $0 + $1.milliseconds }))
            fields.append("deployments", String(volunteer.duty.count))
            fields.append("registered", volunteer.registeredAt.iso8601)
            fields.append("last_drill", volunteer.drills.map(\.day).max()?.iso8601 ?? "never")
        }
        return fields
    }

    /// Every field, in a fixed order, for CSV export.
    static func exportFields(_ state: State, _ volunteer: Volunteer, at now: Timestamp, personal: Bool) -> Fields {
        let profile = volunteer.profile
        var fields: Fields = ["id": volunteer.id, "name": profile.name]
        Engine.personalFields(profile, personal: personal, into: &fields)
        fields.append("region", profile.region)
        fields.append("lat", String(profile.base.latitude))
        fields.append("lon", String(profile.base.longitude))
        fields.append("languages", profile.languages.joined(separator: ","))
        fields.append("skills", Engine.skillsText(profile.skills))
        fields.append("certifications", volunteer.certifications.values.sorted { $0.skill < $1.skill }
            .map { "\($0.skill):\($0.issued.iso8601):\($0.expires.iso8601):\($0.issuer)" }.joined(separator: ";"))
        fields.append("max_hours", String(profile.maxDutyHoursPerDay))
        fields.append("min_rest", "\(profile.minRestHours)h")
        fields.append("org", profile.organization ?? "")
        fields.append("status", state.effectiveStatus(of: volunteer, at: now).rawValue)
        fields.append("status_reason", volunteer.statusReason ?? "")
        fields.append("status_until", volunteer.statusUntil?.iso8601 ?? "")
        fields.append("on_duty_since", volunteer.onDutySince?.iso8601 ?? "")
        fields.append("team", volunteer.team ?? "")
        fields.append("deployments", String(volunteer.duty.count))
        fields.append("hours_total", State.hoursText(volunteer.duty.reduce(0) { $0 + $1.milliseconds }))
        fields.append("registered", volunteer.registeredAt.iso8601)
        fields.append("last_drill", volunteer.drills.map(\.day).max()?.iso8601 ?? "")
        return fields
    }

    func teamFields(_ team: Team, at now: Timestamp) -> Fields {
        let readiness = state.teamReadiness(team, at: now)
        var fields: Fields = ["team": team.id, "name": team.name, "specialty": team.specialty, "region": team.region, "at": team.base.text]
        fields.append("leader", team.leader ?? "")
        fields.append("members", String(team.members.count))
        fields.append("state", team.state.rawValue)
        fields.append("readiness", readiness.state.rawValue)
        fields.append("fit", String(readiness.fit))
        fields.append("reason", readiness.reason ?? "")
        drillFields(team, at: now, into: &fields)
        return fields
    }

    /// `last_drill` (a date, or never) and `drill_due` (yes when it is more than drillPeriodDays ago,
    /// or never happened): rescue teams must drill regularly.
    func drillFields(_ team: Team, at now: Timestamp, into fields: inout Fields) {
        let last = state.lastDrill(of: team)
        fields.append("last_drill", last?.iso8601 ?? "never")
        let due = last.map { now.day.daysSinceEpoch - $0.daysSinceEpoch > Int64(drillPeriodDays) } ?? true
        fields.append("drill_due", due ? "yes" : "no")
    }

    /// The work of a listing of the volunteers `filter` selects in `state` (a copy-on-write copy,
    /// so the work may run later and on any thread): their ids are found when it runs, and each
    /// row is made only when it is encoded, so a million-row export never holds a million rows.
    static func volunteerRows(_ state: State, _ filter: VolunteerFilter, at now: Timestamp,
                              _ row: @escaping @Sendable (State, Volunteer, Double?, Timestamp) -> Fields) -> @Sendable () -> Reply {
        {
            let found = state.findVolunteerIDs(filter, at: now)
            return .stream(RowStream(count: found.count) { index in
                let (id, distance) = found[index]
                return row(state, state.volunteers[id]!, distance, now)
            })
        }
    }
}
