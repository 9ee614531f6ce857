import ReliefCore
import ReliefProtocol

/// The skill catalog, volunteers (status, certifications, duty) and rescue teams. Every answer that
/// depends on time reads the engine's clock (`context.now`), so drills on virtual time see the same.
extension Engine {
    static let volunteerOptions = ["name", "region", "at", "phone", "id_number", "languages", "skills", "max_hours", "min_rest", "org"]
    static let findOptions = ["skill", "certified_at", "near", "radius", "region", "team", "status", "org"]

    static let rosterCommands: [Command] = [
        // MARK: skill catalog
        Command(words: ["skill", "add"], usage: "skill add ID name=TEXT [specialty=ID] [certificate=yes|no]",
                summary: "add a skill to the catalog (certificate=yes: counts only with a valid certification)", mutating: true, access: .write(.roster, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["name", "specialty", "certificate"])
            let id = try Arguments.identifier(try args.positional(0, "skill id"), "skill id")
            let name = try Arguments.text(try args.requiredOption("name", "TEXT"), "name")
            let specialty = try args.option("specialty").map { try Arguments.identifier($0, "specialty") }
            let certificate = try args.option("certificate").map { try Arguments.yesNo($0, "certificate") } ?? false
            guard engine.state.skills[id] == nil else { throw Refusal(.conflict, "skill \(id) already exists") }
            engine.emit(.skillAdded(Skill(id: id, name: name, specialty: specialty, needsCertificate: certificate)))
            return .ok(["skill": id])
        },
        Command(words: ["skill", "list"], usage: "skill list [specialty=ID]", summary: "list the skill catalog", mutating: false, access: .read(.catalog), listing: .standard) { engine, args, _ in
            try args.expect(positionals: 0...0, options: ["specialty"])
            let specialty = args.option("specialty")
            return .rows(engine.state.skills.values.filter { specialty == nil || $0.specialty == specialty }.sorted { $0.id < $1.id }.map { skill in
                ["skill": skill.id, "name": skill.name, "specialty": skill.specialty ?? "",
                 "certificate": skill.needsCertificate ? "yes" : "no",
                 "volunteers": String(engine.state.volunteerCount(listing: skill.id))]
            })
        },
        Command(words: ["specialty", "add"], usage: "specialty add ID name=TEXT [skills=SKILL,SKILL]",
                summary: "add a rescue-team specialty and the skills every member needs", mutating: true, access: .write(.roster, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["name", "skills"])
            let id = try Arguments.identifier(try args.positional(0, "specialty id"), "specialty id")
            let name = try Arguments.text(try args.requiredOption("name", "TEXT"), "name")
            let required = try Arguments.list(args.option("skills") ?? "", "skills")
            for skill in required where engine.state.skills[skill] == nil {
                throw Refusal(.notFound, "skill \(skill) not in the catalog; add it with skill add")
            }
            guard Set(required).count == required.count else { throw Refusal(.syntax, "skills= lists a skill twice") }
            guard engine.state.specialties[id] == nil else { throw Refusal(.conflict, "specialty \(id) already exists") }
            engine.emit(.specialtyAdded(Specialty(id: id, name: name, requiredSkills: required)))
            return .ok(["specialty": id])
        },
        Command(words: ["specialty", "list"], usage: "specialty list", summary: "list rescue-team specialties", mutating: false, access: .read(.catalog), listing: .standard) { engine, args, _ in
            try args.expect(positionals: 0...0, options: [])
            return .rows(engine.state.specialties.values.sorted { $0.id < $1.id }.map { specialty in
                ["specialty": specialty.id, "name": specialty.name, "skills": specialty.requiredSkills.joined(separator: ","),
                 "teams": String(engine.state.teams.values.filter { $0.specialty == specialty.id }.count)]
            })
        },

        // MARK: volunteers
        Command(words: ["volunteer", "add"],
                usage: "volunteer add ID name=TEXT region=PATH at=LAT,LON [phone=…] [id_number=…] [languages=zh,en] [skills=first-aid:3,driver-c1:2] [max_hours=12] [min_rest=8h] [org=TEXT]",
                summary: "register a volunteer", mutating: true, access: .write(.roster, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 1...1, options: Engine.volunteerOptions)
            let id = try Arguments.identifier(try args.positional(0, "volunteer id"), "volunteer id")
            guard engine.state.volunteers[id] == nil else { throw Refusal(.conflict, "volunteer \(id) already exists") }
            let profile = try engine.volunteerProfile(args, base: nil)
            engine.emit(.volunteerAdded(id: id, profile: profile))
            return .ok(["volunteer": id])
        },
        Command(words: ["volunteer", "update"],
                usage: "volunteer update ID [name=…] [region=…] [at=…] [phone=…] [id_number=…] [languages=…] [skills=…] [max_hours=…] [min_rest=…] [org=…]",
                summary: "change a volunteer's details (skills= replaces the list)", mutating: true, access: .write(.roster, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 1...1, options: Engine.volunteerOptions)
            let volunteer = try engine.volunteer(try args.positional(0, "volunteer id"))
            guard !args.request.options.isEmpty else { throw Refusal(.syntax, "nothing to update; usage: \(args.usage)") }
            let profile = try engine.volunteerProfile(args, base: volunteer.profile)
            guard profile != volunteer.profile else { return .ok(["volunteer": volunteer.id, "changed": "no"]) }
            engine.emit(.volunteerUpdated(id: volunteer.id, profile: profile))
            return .ok(["volunteer": volunteer.id, "changed": "yes"])
        },
        Command(words: ["volunteer", "show"], usage: "volunteer show ID [personal]",
                summary: "show a volunteer: skills, certifications, status, duty hours", mutating: false, access: .read(.roster)) { engine, args, context in
            try args.expect(positionals: 1...1, options: [], flags: ["personal"])
            let personal = try Engine.personal(args, context)
            let volunteer = try engine.volunteer(try args.positional(0, "volunteer id"))
            var fields = engine.volunteerFields(volunteer, at: context.now, personal: personal, full: true)
            let certifications = volunteer.certifications.values.sorted { $0.skill < $1.skill }.map { certification in
                "\(certification.skill):\(certification.issued.iso8601)..\(certification.expires.iso8601)"
                    + (certification.isValid(on: context.now.day) ? "" : certification.expires < context.now.day ? "(expired)" : "(not yet valid)")
            }
            fields.append("certifications", certifications.joined(separator: ","))
            return .ok(fields)
        },
        Command(words: ["volunteer", "list"], usage: "volunteer list [region=PATH] [team=ID] [status=STATUS] [org=TEXT] [limit=1000] [personal]",
                summary: "list volunteers by id", access: .read(.roster), listing: .roster) { engine, args, context in
            try args.expect(positionals: 0...0, options: ["region", "team", "status", "org"], flags: ["personal"])
            let personal = try Engine.personal(args, context)
            let filter = try engine.volunteerFilter(args, limit: context.limit)
            return Engine.volunteerRows(engine.state, filter, at: context.now) { state, volunteer, _, now in
                Engine.volunteerFields(state, volunteer, at: now, personal: personal, full: false)
            }
        },
        Command(words: ["volunteer", "find"],
                usage: "volunteer find [skill=ID] [certified_at=YYYY-MM-DD] [available] [near=LAT,LON [radius=50km]] [region=PATH] [team=ID] [status=STATUS] [org=TEXT] [limit=50] [personal]",
                summary: "find volunteers by skill, certification, availability and distance (nearest first)", access: .read(.roster),
                listing: Listing(defaultLimit: 50, maxLimit: 1_000_000)) { engine, args, context in
            try args.expect(positionals: 0...0, options: Engine.findOptions, flags: ["available", "personal"])
            let personal = try Engine.personal(args, context)
            let filter = try engine.volunteerFilter(args, limit: context.limit)
            let skill = filter.skill
            return Engine.volunteerRows(engine.state, filter, at: context.now) { state, volunteer, distance, now in
                var fields = Engine.volunteerFields(state, volunteer, at: now, personal: personal, full: false)
                if let skill { fields.append("level", String(volunteer.level(of: skill) ?? 0)) }
                if let distance { fields.append("distance_km", Engine.kilometres(distance)) }
                return fields
            }
        },
        Command(words: ["volunteer", "export"],
                usage: "volunteer export [skill=ID] [certified_at=…] [available] [near=… radius=…] [region=PATH] [team=ID] [status=…] [org=…] [limit=1000] [personal]",
                summary: "every field of the selected volunteers, one row each (for CSV export)", access: .read(.roster), listing: .roster) { engine, args, context in
            try args.expect(positionals: 0...0, options: Engine.findOptions, flags: ["available", "personal"])
            let personal = try Engine.personal(args, context)
            let filter = try engine.volunteerFilter(args, limit: context.limit)
            return Engine.volunteerRows(engine.state, filter, at: context.now) { state, volunteer, _, now in
                Engine.exportFields(state, volunteer, at: now, personal: personal)
            }
        },
        Command(words: ["volunteer", "status"],
                usage: "volunteer status ID available|standby|off_duty|unavailable [reason=TEXT] [until=YYYY-MM-DD]",
                summary: "set a volunteer's status (unavailable needs a reason; until= ends it by itself)", mutating: true, access: .write(.roster, .unscoped)) { engine, args, context in
            try args.expect(positionals: 2...2, options: ["reason", "until"])
            let volunteer = try engine.volunteer(try args.positional(0, "volunteer id"))
            let status = try Arguments.choice(try args.positional(1, "status"), "status", VolunteerStatus.self)
            let reason = try args.option("reason").map { try Arguments.text($0, "reason", max: 500) }
            let until = try args.option("until").map { try Arguments.day($0, "until") }
            if status == .deployed { throw Refusal(.syntax, "deployed is set by volunteer checkin; expected available, standby, off_duty or unavailable") }
            if status == .unavailable && reason == nil { throw Refusal(.syntax, "unavailable needs reason=TEXT (injured, travelling, …)") }
            if status == .available && until != nil { throw Refusal(.syntax, "available takes no until=; until= ends another status") }
            if let until, until <= context.now.day {
                throw Refusal(.syntax, "until=\(until.iso8601) is not after today \(context.now.day.iso8601)")
            }
            if let assignment = engine.state.activeAssignment[volunteer.id] {
                throw Refusal(.conflict, "volunteer \(volunteer.id) is deployed on assignment \(assignment); release it first (assignment release \(assignment))")
            }
            if let since = volunteer.onDutySince {
                throw Refusal(.conflict, "volunteer \(volunteer.id) is on duty since \(since.iso8601); check out first")
            }
            engine.emit(.volunteerStatusSet(id: volunteer.id, status: status, reason: reason, until: until))
            return .ok(["volunteer": volunteer.id, "status": status.rawValue])
        },
        Command(words: ["volunteer", "certify"], usage: "volunteer certify ID SKILL issued=YYYY-MM-DD expires=YYYY-MM-DD issuer=TEXT",
                summary: "grant (or renew) a certification for a skill the volunteer lists", mutating: true, access: .write(.roster, .unscoped)) { engine, args, context in
            try args.expect(positionals: 2...2, options: ["issued", "expires", "issuer"])
            let volunteer = try engine.volunteer(try args.positional(0, "volunteer id"))
            let skill = try engine.skill(try args.positional(1, "skill"))
            let issued = try Arguments.day(try args.requiredOption("issued", "YYYY-MM-DD"), "issued")
            let expires = try Arguments.day(try args.requiredOption("expires", "YYYY-MM-DD"), "expires")
            let issuer = try Arguments.text(try args.requiredOption("issuer", "TEXT"), "issuer")
            guard issued <= expires else {
                throw Refusal(.syntax, "expires=\(expires.iso8601) is before issued=\(issued.iso8601)")
            }
            guard volunteer.profile.skills[skill.id] != nil else {
                throw Refusal(.conflict, "volunteer \(volunteer.id) does not list skill \(skill.id); add it with volunteer update skills=")
            }
            let renewed = volunteer.certifications[skill.id] != nil
            engine.emit(.certificationGranted(id: volunteer.id, Certification(skill: skill.id, issued: issued, expires: expires, issuer: issuer)))
            var fields: Fields = ["volunteer": volunteer.id, "skill": skill.id, "expires": expires.iso8601]
            fields.append("valid_today", issued <= context.now.day && context.now.day <= expires ? "yes" : "no")
            if renewed { fields.append("replaced", "yes") }
            return .ok(fields)
        },
        Command(words: ["volunteer", "decertify"], usage: "volunteer decertify ID SKILL [reason=TEXT]",
                summary: "revoke a certification", mutating: true, access: .write(.roster, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 2...2, options: ["reason"])
            let volunteer = try engine.volunteer(try args.positional(0, "volunteer id"))
            let skill = try engine.skill(try args.positional(1, "skill"))
            let reason = try args.option("reason").map { try Arguments.text($0, "reason", max: 500) }
            guard volunteer.certifications[skill.id] != nil else {
                throw Refusal(.notFound, "volunteer \(volunteer.id) holds no \(skill.id) certification")
            }
            engine.emit(.certificationRevoked(id: volunteer.id, skill: skill.id, reason: reason))
            return .ok(["volunteer": volunteer.id, "skill": skill.id])
        },
        Command(words: ["volunteer", "checkin"], usage: "volunteer checkin ID [incident=TEXT]",
                summary: "start a stretch on duty (refused while on duty, resting, over the daily hours or unavailable)", mutating: true, access: .write(.roster, .unscoped)) { engine, args, context in
            try args.expect(positionals: 1...1, options: ["incident"])
            let volunteer = try engine.volunteer(try args.positional(0, "volunteer id"))
            let incident = try args.option("incident").map { try Arguments.text($0, "incident") }
            if let since = volunteer.onDutySince {
                throw Refusal(.conflict, "volunteer \(volunteer.id) is already on duty since \(since.iso8601); a volunteer is in one place at a time")
            }
            if let last = volunteer.duty.last, context.now < last.end {
                throw Refusal(.conflict, "clock \(context.now.iso8601) is before the last check-out \(last.end.iso8601)")
            }
            // Standby means ready to be called out: it may check in like available.
            var candidate = volunteer
            if engine.state.effectiveStatus(of: volunteer, at: context.now) == .standby { candidate.status = .available; candidate.statusUntil = nil }
            let (available, reason) = engine.state.availability(of: candidate, at: context.now)
            if !available { throw Refusal(.conflict, "volunteer \(volunteer.id) is not available: \(reason ?? "unknown")") }
            engine.emit(.checkedIn(id: volunteer.id, incident: incident))
            return .ok(["volunteer": volunteer.id, "since": context.now.iso8601])
        },
        Command(words: ["volunteer", "checkout"], usage: "volunteer checkout ID",
                summary: "end the stretch on duty and log its hours", mutating: true, access: .write(.roster, .unscoped)) { engine, args, context in
            try args.expect(positionals: 1...1, options: [])
            let volunteer = try engine.volunteer(try args.positional(0, "volunteer id"))
            guard let since = volunteer.onDutySince else { throw Refusal(.conflict, "volunteer \(volunteer.id) is not checked in") }
            if let assignment = engine.state.activeAssignment[volunteer.id] {
                throw Refusal(.conflict, "volunteer \(volunteer.id) is on scene for assignment \(assignment); release it (assignment release \(assignment)) to log the hours")
            }
            guard since <= context.now else { throw Refusal(.conflict, "clock \(context.now.iso8601) is before the check-in \(since.iso8601)") }
            engine.emit(.checkedOut(id: volunteer.id))
            let after = engine.state.volunteers[volunteer.id]!
            var fields: Fields = ["volunteer": volunteer.id, "hours": State.hoursText(context.now.milliseconds - since.milliseconds)]
            fields.append("hours_24h", State.hoursText(engine.state.dutyMillisecondsInLastDay(of: after, at: context.now)))
            let rest = Timestamp(milliseconds: context.now.milliseconds + Int64(after.profile.minRestHours) * 3_600_000)
            fields.append("rested_at", rest.iso8601)
            return .ok(fields)
        },
        Command(words: ["cert", "expiring"], usage: "cert expiring [within=30d]",
                summary: "certifications valid today that expire within the period", mutating: false, access: .read(.roster), listing: .roster) { engine, args, context in
            try args.expect(positionals: 0...0, options: ["within"])
            var days = 30
            if let text = args.option("within") {
                guard let parsed = DurationText.days(text) else { throw Refusal(.syntax, "bad within \"\(text)\"; expected days such as 30d or weeks such as 4w") }
                days = parsed
            }
            return .rows(engine.state.expiringCertifications(withinDays: days, today: context.now.day).map { row in
                ["volunteer": row.volunteer, "name": engine.state.volunteers[row.volunteer]?.profile.name ?? "",
                 "skill": row.certification.skill, "issued": row.certification.issued.iso8601, "expires": row.certification.expires.iso8601,
                 "days_left": String(row.daysLeft), "issuer": row.certification.issuer]
            })
        },

        // MARK: teams
        Command(words: ["team", "add"], usage: "team add ID name=TEXT specialty=ID region=PATH at=LAT,LON [leader=VOLUNTEER]",
                summary: "add a rescue team (the leader becomes its first member)", mutating: true, access: .write(.roster, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["name", "specialty", "region", "at", "leader"])
            let id = try Arguments.identifier(try args.positional(0, "team id"), "team id")
            let name = try Arguments.text(try args.requiredOption("name", "TEXT"), "name")
            let specialty = try args.requiredOption("specialty", "ID")
            let region = try args.requiredOption("region", "PATH")
            let base = try Arguments.coordinate(try args.requiredOption("at", "LAT,LON"), "at")
            guard engine.state.teams[id] == nil else { throw Refusal(.conflict, "team \(id) already exists") }
            guard engine.state.specialties[specialty] != nil else { throw Refusal(.notFound, "specialty \(specialty) not found; see specialty list") }
            guard engine.state.regions[region] != nil else { throw Refusal(.notFound, "region \(region) not found") }
            var leader: String?
            if let given = args.option("leader") {
                let volunteer = try engine.volunteer(given)
                if let other = volunteer.team { throw Refusal(.conflict, "leader \(given) is already in team \(other); a volunteer is in at most one team") }
                leader = volunteer.id
            }
            engine.emit(.teamAdded(Team(id: id, name: name, specialty: specialty, region: region, base: base, leader: leader)))
            return .ok(["team": id])
        },
        Command(words: ["team", "show"], usage: "team show ID", summary: "show a team, its members and readiness", mutating: false, access: .read(.roster)) { engine, args, context in
            try args.expect(positionals: 1...1, options: [])
            let team = try engine.team(try args.positional(0, "team id"))
            var fields = engine.teamFields(team, at: context.now)
            fields.append("member_ids", team.members.joined(separator: ","))
            return .ok(fields)
        },
        Command(words: ["team", "list"], usage: "team list [specialty=ID] [region=PATH]", summary: "list teams", mutating: false, access: .read(.roster), listing: .standard) { engine, args, context in
            try args.expect(positionals: 0...0, options: ["specialty", "region"])
            let specialty = args.option("specialty"), region = args.option("region")
            return .rows(engine.state.teams.values
                .filter { (specialty == nil || $0.specialty == specialty) && (region == nil || State.region($0.region, isWithin: region!)) }
                .sorted { $0.id < $1.id }
                .map { engine.teamFields($0, at: context.now) })
        },
        Command(words: ["team", "member", "add"], usage: "team member add TEAM VOLUNTEER",
                summary: "add a volunteer to a team (a volunteer is in at most one team)", mutating: true, access: .write(.roster, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 2...2, options: [])
            let team = try engine.team(try args.positional(0, "team id"))
            let volunteer = try engine.volunteer(try args.positional(1, "volunteer id"))
            if volunteer.team == team.id { throw Refusal(.conflict, "volunteer \(volunteer.id) is already a member of team \(team.id)") }
            if let other = volunteer.team {
                throw Refusal(.conflict, "volunteer \(volunteer.id) is already in team \(other); remove them there first")
            }
            engine.emit(.teamMemberAdded(team: team.id, volunteer: volunteer.id))
            return .ok(["team": team.id, "volunteer": volunteer.id, "members": String(team.members.count + 1)])
        },
        Command(words: ["team", "member", "remove"], usage: "team member remove TEAM VOLUNTEER",
                summary: "remove a volunteer from a team (removing the leader leaves the team without one)", mutating: true, access: .write(.roster, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 2...2, options: [])
            let team = try engine.team(try args.positional(0, "team id"))
            let volunteer = try args.positional(1, "volunteer id")
            guard team.members.contains(volunteer) else { throw Refusal(.notFound, "volunteer \(volunteer) is not a member of team \(team.id)") }
            if let assignment = engine.state.activeAssignment[volunteer], engine.state.assignments[assignment]?.team == team.id {
                throw Refusal(.conflict, "volunteer \(volunteer) is deployed with team \(team.id) on assignment \(assignment); release it first")
            }
            engine.emit(.teamMemberRemoved(team: team.id, volunteer: volunteer))
            return .ok(["team": team.id, "volunteer": volunteer, "members": String(team.members.count - 1)])
        },
        Command(words: ["team", "stand-down"], usage: "team stand-down TEAM reason=TEXT", summary: "stand a team down", mutating: true, access: .write(.roster, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["reason"])
            let team = try engine.team(try args.positional(0, "team id"))
            let reason = try Arguments.text(try args.requiredOption("reason", "TEXT"), "reason", max: 500)
            guard team.state == .active else { throw Refusal(.conflict, "team \(team.id) is already stood down") }
            engine.emit(.teamStateSet(team: team.id, state: .stoodDown, reason: reason))
            return .ok(["team": team.id, "state": TeamState.stoodDown.rawValue])
        },
        Command(words: ["team", "activate"], usage: "team activate TEAM", summary: "bring a stood-down team back", mutating: true, access: .write(.roster, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 1...1, options: [])
            let team = try engine.team(try args.positional(0, "team id"))
            guard team.state == .stoodDown else { throw Refusal(.conflict, "team \(team.id) is already active") }
            engine.emit(.teamStateSet(team: team.id, state: .active, reason: nil))
            return .ok(["team": team.id, "state": TeamState.active.rawValue])
        },
        Command(words: ["team", "readiness"], usage: "team readiness [TEAM]",
                summary: "ready / partial / stood_down per team, with who is not fit and why, and when it last drilled", mutating: false, access: .read(.roster), listing: .standard) { engine, args, context in
            try args.expect(positionals: 0...1, options: [])
            let teams = try args.optionalPositional(0).map { [try engine.team($0)] } ?? engine.state.teams.values.sorted { $0.id < $1.id }
            return .rows(teams.map { team in
                let readiness = engine.state.teamReadiness(team, at: context.now)
                var fields: Fields = ["team": team.id, "specialty": team.specialty, "readiness": readiness.state.rawValue,
                                      "fit": String(readiness.fit), "members": String(readiness.members), "reason": readiness.reason ?? ""]
                engine.drillFields(team, at: context.now, into: &fields)
                return fields
            })
        },
    ]
}
