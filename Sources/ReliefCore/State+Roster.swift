/// Applying roster events. Like the stock cases in State+Apply.swift, every case checks all its
/// preconditions before it changes anything, and reads nothing but the entry and the state.
extension State {
    /// Skill levels run 1 (basic) … 5 (expert).
    public static let skillLevels = 1...5
    /// Duty hours a volunteer may be allowed per day.
    public static let dutyHoursRange = 1...24
    /// Rest between two stretches on duty, in hours.
    public static let restHoursRange = 0...72

    mutating func applyRoster(_ entry: Entry) throws {
        func fail(_ message: String) -> InvariantViolation { InvariantViolation(seq: entry.seq, message: message) }

        switch entry.event {
        case .skillAdded(let skill):
            guard skills[skill.id] == nil else { throw fail("skill \(skill.id) exists") }
            guard !skill.id.isEmpty, !skill.name.isEmpty else { throw fail("skill needs an id and a name") }
            skills[skill.id] = skill

        case .specialtyAdded(let specialty):
            guard specialties[specialty.id] == nil else { throw fail("specialty \(specialty.id) exists") }
            if let missing = specialty.requiredSkills.first(where: { skills[$0] == nil }) { throw fail("skill \(missing) missing") }
            guard Set(specialty.requiredSkills).count == specialty.requiredSkills.count else { throw fail("specialty \(specialty.id) lists a skill twice") }
            specialties[specialty.id] = specialty

        case .volunteerAdded(let id, let profile):
            guard volunteers[id] == nil else { throw fail("volunteer \(id) exists") }
            if let problem = profileProblem(profile) { throw fail(problem) }
            volunteers[id] = Volunteer(id: id, profile: textPool.intern(profile), registeredAt: entry.time)
            rosterIndex.insert(id, profile)

        case .volunteerUpdated(let id, let profile):
            guard let old = volunteers[id] else { throw fail("volunteer \(id) missing") }
            if let problem = profileProblem(profile) { throw fail(problem) }
            rosterIndex.remove(id, old.profile)
            volunteers[id]!.profile = textPool.intern(profile)
            rosterIndex.insert(id, profile)

        case .volunteerStatusSet(let id, let status, let reason, let until):
            guard let volunteer = volunteers[id] else { throw fail("volunteer \(id) missing") }
            guard status != .deployed else { throw fail("deployed is set by check-in, not by a status change") }
            if let assignment = activeAssignment[id] { throw fail("volunteer \(id) has assignment \(assignment); release it first") }
            guard volunteer.onDutySince == nil else { throw fail("volunteer \(id) is on duty; check out first") }
            if status == .unavailable, reason?.isEmpty ?? true { throw fail("unavailable needs a reason") }
            if until != nil, status == .available { throw fail("available takes no until date") }
            volunteers[id]!.status = status
            volunteers[id]!.statusReason = reason
            volunteers[id]!.statusUntil = until

        case .certificationGranted(let id, let certification):
            guard volunteers[id] != nil else { throw fail("volunteer \(id) missing") }
            guard skills[certification.skill] != nil else { throw fail("skill \(certification.skill) missing") }
            guard certification.issued <= certification.expires else {
                throw fail("certification expires \(certification.expires.iso8601) before it is issued \(certification.issued.iso8601)")
            }
            volunteers[id]!.certifications[certification.skill] = textPool.intern(certification)

        case .certificationRevoked(let id, let skill, _):
            guard let volunteer = volunteers[id] else { throw fail("volunteer \(id) missing") }
            guard volunteer.certifications[skill] != nil else { throw fail("volunteer \(id) holds no \(skill) certification") }
            volunteers[id]!.certifications[skill] = nil

        case .checkedIn(let id, let incident):
            guard let volunteer = volunteers[id] else { throw fail("volunteer \(id) missing") }
            guard volunteer.onDutySince == nil else { throw fail("volunteer \(id) already on duty") }
            if let assignment = activeAssignment[id] { throw fail("volunteer \(id) has assignment \(assignment); it checks in on scene") }
            if let last = volunteer.duty.last, last.end > entry.time { throw fail("check-in before the last check-out") }
            volunteers[id]!.onDutySince = entry.time
            volunteers[id]!.onDutyIncident = incident
            onDuty.insert(id)
            volunteers[id]!.status = .deployed
            volunteers[id]!.statusReason = nil
            volunteers[id]!.statusUntil = nil

        case .checkedOut(let id):
            guard let volunteer = volunteers[id] else { throw fail("volunteer \(id) missing") }
            guard let since = volunteer.onDutySince else { throw fail("volunteer \(id) not on duty") }
            guard since <= entry.time else { throw fail("check-out before check-in") }
            if let assignment = activeAssignment[id] { throw fail("volunteer \(id) is on scene for \(assignment); release the assignment") }
            volunteers[id]!.duty.append(DutyRecord(start: since, end: entry.time, incident: volunteer.onDutyIncident))
            volunteers[id]!.onDutySince = nil
            volunteers[id]!.onDutyIncident = nil
            onDuty.remove(id)
            volunteers[id]!.status = .available

        case .teamAdded(let team):
            guard teams[team.id] == nil else { throw fail("team \(team.id) exists") }
            guard specialties[team.specialty] != nil else { throw fail("specialty \(team.specialty) missing") }
            guard regions[team.region] != nil else { throw fail("region \(team.region) missing") }
            if let leader = team.leader {
                guard let volunteer = volunteers[leader] else { throw fail("leader \(leader) missing") }
                if let other = volunteer.team { throw fail("leader \(leader) is already in team \(other)") }
            }
            // The leader is the first member; members and state start afresh whatever the event carried.
            var added = team
            added.members = team.leader.map { [$0] } ?? []
            added.state = .active
            added.stateReason = nil
            teams[team.id] = added
            if let leader = team.leader { volunteers[leader]!.team = team.id }

        case .teamMemberAdded(let teamID, let volunteerID):
            guard teams[teamID] != nil else { throw fail("team \(teamID) missing") }
            guard let volunteer = volunteers[volunteerID] else { throw fail("volunteer \(volunteerID) missing") }
            if let other = volunteer.team { throw fail("volunteer \(volunteerID) is already in team \(other)") }
            teams[teamID]!.members.append(volunteerID)
            volunteers[volunteerID]!.team = teamID

        case .teamMemberRemoved(let teamID, let volunteerID):
            guard let team = teams[teamID] else { throw fail("team \(teamID) missing") }
            guard let index = team.members.firstIndex(of: volunteerID) else { throw fail("volunteer \(volunteerID) not in team \(teamID)") }
            if let assignment = activeAssignment[volunteerID], assignments[assignment]?.team == teamID {
                throw fail("volunteer \(volunteerID) is deployed with team \(teamID) (\(assignment)); release the assignment first")
            }
            teams[teamID]!.members.remove(at: index)
            if team.leader == volunteerID { teams[teamID]!.leader = nil }
            volunteers[volunteerID]?.team = nil

        case .teamStateSet(let teamID, let state, let reason):
            guard teams[teamID] != nil else { throw fail("team \(teamID) missing") }
            teams[teamID]!.state = state
            teams[teamID]!.stateReason = state == .active ? nil : reason

        default:
            throw fail("event \(entry.event.kind) not handled")
        }
    }

    /// Why a volunteer profile cannot be accepted, or nil.
    func profileProblem(_ profile: VolunteerProfile) -> String? {
        if profile.name.isEmpty { return "volunteer needs a name" }
        if regions[profile.region] == nil { return "region \(profile.region) missing" }
        let base = profile.base
        guard base.latitude.isFinite, base.longitude.isFinite, (-90...90).contains(base.latitude), (-180...180).contains(base.longitude) else {
            return "base \(base.text) is not a coordinate"
        }
        for (skill, level) in profile.skills.sorted(by: { $0.key < $1.key }) {
            if skills[skill] == nil { return "skill \(skill) missing" }
            if !State.skillLevels.contains(level) { return "skill \(skill) level \(level) outside 1...5" }
        }
        if !State.dutyHoursRange.contains(profile.maxDutyHoursPerDay) { return "max duty hours \(profile.maxDutyHoursPerDay) outside 1...24" }
        if !State.restHoursRange.contains(profile.minRestHours) { return "minimum rest \(profile.minRestHours) h outside 0...72" }
        return nil
    }
}
