#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `State.findVolunteers` selects. Every field left nil does not filter.
public struct VolunteerFilter: Sendable {
    public var skill: String?
    /// With `skill`: the volunteer must hold a certification for it valid on this day.
    public var certifiedAt: Day?
    /// Only volunteers `availability` says are available now.
    public var available = false
    public var near: Coordinate?
    /// With `near`: only volunteers based within this many kilometres.
    public var radiusKilometres: Double?
    /// The region or any region under it.
    public var region: String?
    public var team: String?
    /// The status in effect now (an ended until-date reads as available; on duty as deployed).
    public var status: VolunteerStatus?
    public var organization: String?
    public var limit: Int?

    public init(skill: String? = nil, certifiedAt: Day? = nil, available: Bool = false, near: Coordinate? = nil,
                radiusKilometres: Double? = nil, region: String? = nil, team: String? = nil, status: VolunteerStatus? = nil,
                organization: String? = nil, limit: Int? = nil) {
        self.skill = skill; self.certifiedAt = certifiedAt; self.available = available; self.near = near
        self.radiusKilometres = radiusKilometres; self.region = region; self.team = team; self.status = status
        self.organization = organization; self.limit = limit
    }
}

public enum Readiness: String, Sendable, CaseIterable {
    case ready, partial, stoodDown = "stood_down"
}

public struct TeamReadiness: Sendable, Equatable {
    public var state: Readiness
    /// Members available and holding every skill the specialty requires.
    public var fit: Int
    public var members: Int
    /// Why the team is not ready: who is not fit and why. Nil when ready.
    public var reason: String?
}

public struct ExpiringCertification: Sendable, Equatable {
    public var volunteer: String
    public var certification: Certification
    public var daysLeft: Int
}

/// Roster queries. Everything that depends on time takes it as an argument (the engine's clock).
extension State {
    static let hourMilliseconds: Int64 = 3_600_000
    static let dayMilliseconds: Int64 = 86_400_000

    /// The status in effect at `now`: on duty reads as deployed; a status whose until-date has come
    /// has ended by itself and reads as available.
    public func effectiveStatus(of volunteer: Volunteer, at now: Timestamp) -> VolunteerStatus {
        if volunteer.onDutySince != nil { return .deployed }
        if let until = volunteer.statusUntil, until <= now.day { return .available }
        return volunteer.status
    }

    /// Milliseconds on duty within the 24 hours up to `now`, counting the current stretch.
    public func dutyMillisecondsInLastDay(of volunteer: Volunteer, at now: Timestamp) -> Int64 {
        let windowStart = now.milliseconds - State.dayMilliseconds
        var total: Int64 = 0
        if let since = volunteer.onDutySince, since < now {
            total += now.milliseconds - max(since.milliseconds, windowStart)
        }
        // The log is in time order: walk back until the stretches end before the window.
        for record in volunteer.duty.reversed() {
            if record.end.milliseconds <= windowStart { break }
            let start = max(record.start.milliseconds, windowStart), end = min(record.end.milliseconds, now.milliseconds)
            if end > start { total += end - start }
        }
        return total
    }

    /// Whether the volunteer can be deployed at `now`, and if not, the rule that blocks it.
    public func availability(of volunteer: Volunteer, at now: Timestamp) -> (available: Bool, reason: String?) {
        if let since = volunteer.onDutySince {
            return (false, "on duty since \(since.iso8601)" + (volunteer.onDutyIncident.map { " (\($0))" } ?? ""))
        }
        let status = effectiveStatus(of: volunteer, at: now)
        if status != .available {
            var text = status.rawValue
            if let until = volunteer.statusUntil { text += " until \(until.iso8601)" }
            if let reason = volunteer.statusReason { text += ": \(reason)" }
            return (false, text)
        }
        if let last = volunteer.duty.last {
            let restedAt = Timestamp(milliseconds: last.end.milliseconds + Int64(volunteer.profile.minRestHours) * State.hourMilliseconds)
            if now < restedAt { return (false, "resting until \(restedAt.iso8601)") }
        }
        let worked = dutyMillisecondsInLastDay(of: volunteer, at: now)
        let limit = volunteer.profile.maxDutyHoursPerDay
        if worked >= Int64(limit) * State.hourMilliseconds {
            return (false, "\(State.hoursText(worked)) h on duty in the last 24 h, limit \(limit)")
        }
        return (true, nil)
    }

    /// `availability(of:at:).available` without the words: what searches over many volunteers ask.
    public func isAvailable(_ volunteer: Volunteer, at now: Timestamp) -> Bool {
        if volunteer.onDutySince != nil || effectiveStatus(of: volunteer, at: now) != .available { return false }
        if let last = volunteer.duty.last,
           now.milliseconds < last.end.milliseconds + Int64(volunteer.minRestHours) * State.hourMilliseconds { return false }
        return dutyMillisecondsInLastDay(of: volunteer, at: now) < Int64(volunteer.maxDutyHoursPerDay) * State.hourMilliseconds
    }

    public func availability(of id: String, at now: Timestamp) -> (available: Bool, reason: String?) {
        guard let volunteer = volunteers[id] else { return (false, "no volunteer \(id)") }
        return availability(of: volunteer, at: now)
    }

    /// Hours with at most one decimal: 12, 7.5.
    public static func hoursText(_ milliseconds: Int64) -> String {
        let tenths = (milliseconds * 10 + State.hourMilliseconds / 2) / State.hourMilliseconds
        return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(tenths % 10)"
    }

    /// True when the volunteer lists the skill and, if the skill needs a certificate, holds one valid on `day`.
    public func hasSkill(_ volunteer: Volunteer, _ skill: String, on day: Day) -> Bool {
        guard volunteer.level(of: skill) != nil, let entry = skills[skill] else { return false }
        guard entry.needsCertificate else { return true }
        return volunteer.certification(for: skill)?.isValid(on: day) ?? false
    }

    /// Why the volunteer does not count for `skill` on `day`, or nil when they do.
    public func skillGap(_ volunteer: Volunteer, _ skill: String, on day: Day) -> String? {
        guard volunteer.profile.skills[skill] != nil else { return "lacks \(skill)" }
        guard skills[skill]?.needsCertificate == true else { return nil }
        guard let certification = volunteer.certifications[skill] else { return "no \(skill) certification" }
        if day > certification.expires { return "\(skill) certification expired \(certification.expires.iso8601)" }
        if day < certification.issued { return "\(skill) certification valid from \(certification.issued.iso8601)" }
        return nil
    }

    /// Volunteers matching `filter` at `now`: nearest first when `near` is given (then by id),
    /// otherwise by id. Uses the skill and grid indexes, so a search near a point visits only the
    /// volunteers based around it.
    public func findVolunteers(_ filter: VolunteerFilter, at now: Timestamp) -> [(volunteer: Volunteer, distance: Double?)] {
        findVolunteerIDs(filter, at: now).map { (volunteers[$0.id]!, $0.distance) }
    }

    /// `findVolunteers`, as ids: what a listing of a million volunteers holds while it is streamed
    /// (an id is a few bytes; a volunteer is a few hundred).
    public func findVolunteerIDs(_ filter: VolunteerFilter, at now: Timestamp) -> [(id: String, distance: Double?)] {
        let today = now.day
        if let near = filter.near, let radius = filter.radiusKilometres, let limit = filter.limit,
           radius <= State.nearestSearchMaximumKilometres, abs(near.latitude) < 80 {
            return nearestVolunteers(filter, near: near, radius: radius, limit: limit, at: now)
        }
        var candidates: [String]
        // Candidates taken from a skill's index list the skill: only its certificate is checked.
        var listSkill = filter.skill != nil
        if let near = filter.near, let radius = filter.radiusKilometres {
            candidates = rosterIndex.candidates(near: near, radiusKilometres: radius, skill: filter.skill)
        } else if let skill = filter.skill {
            candidates = Array(rosterIndex.bySkill[skill] ?? [])
        } else if let team = filter.team {
            candidates = teams[team]?.members ?? []
            listSkill = false
        } else {
            candidates = Array(volunteers.keys)
            listSkill = false
        }
        let check = CandidateCheck(self, filter, today: today, now: now, listSkill: listSkill)
        var out: [(id: String, distance: Double?)] = []
        for id in candidates {
            if let match = match(id, check) { out.append((id, match.distance)) }
        }
        out.sort(by: State.nearestThenID)
        if let limit = filter.limit, out.count > limit { out.removeLast(out.count - limit) }
        return out
    }

    /// Radii up to this use the nearest-cells-first search (its distance bound is exact enough there).
    static let nearestSearchMaximumKilometres = 500.0

    static func nearestThenID(_ a: (id: String, distance: Double?), _ b: (id: String, distance: Double?)) -> Bool {
        if let da = a.distance, let db = b.distance, da != db { return da < db }
        return a.id < b.id
    }

    /// The `limit` nearest matches: cells are visited nearest first, and the search stops when the
    /// next cell cannot hold anything nearer than the `limit`-th match so far. Ties are kept until
    /// the final sort, so the answer is the same as a full scan's.
    private func nearestVolunteers(_ filter: VolunteerFilter, near: Coordinate, radius: Double, limit: Int,
                                   at now: Timestamp) -> [(id: String, distance: Double?)] {
        guard limit > 0 else { return [] }
        let today = now.day
        // Ids and distances only: whole volunteers are fetched for the final `limit`. Once `limit`
        // are found, `found` is kept sorted and a candidate must come before its last to enter.
        // Within a cell the candidates are taken nearest first, so the first one that cannot enter
        // ends the cell: in a city cell of hundreds of volunteers, a search for 20 checks little
        // more than 20 of them against the filter (which reads the whole volunteer), not all.
        var found: [(id: String, distance: Double)] = []
        func byDistance(_ a: (id: String, distance: Double), _ b: (id: String, distance: Double)) -> Bool {
            a.distance != b.distance ? a.distance < b.distance : a.id < b.id
        }
        var unfiltered = filter
        unfiltered.near = nil
        // Every candidate comes from the skill's grid (or everyone's, without a skill).
        let check = CandidateCheck(self, unfiltered, today: today, now: now, listSkill: filter.skill != nil)
        var here: [(id: String, distance: Double)] = []
        func visit(_ members: [String: Coordinate]) {
            here.removeAll(keepingCapacity: true)
            let worst = found.count == limit ? found[limit - 1].distance : Double.infinity
            for (id, base) in members {
                let distance = near.distanceKilometres(to: base)
                if distance <= radius, distance <= worst { here.append((id, distance)) }
            }
            here.sort(by: byDistance)
            for candidate in here {
                if found.count == limit, !byDistance(candidate, found[limit - 1]) { break }
                guard match(candidate.id, check) != nil else { continue }
                if found.count < limit {
                    found.append(candidate)
                    if found.count == limit { found.sort(by: byDistance) }
                } else {
                    let slot = found.firstIndex { byDistance(candidate, $0) } ?? limit - 1
                    found.insert(candidate, at: slot)
                    found.removeLast()
                }
            }
        }
        // Rings of cells around the centre's, each ring's occupied cells nearest first; a cell that
        // cannot hold anything nearer than the `limit`-th match so far is skipped, and the walk
        // stops at the first ring wholly beyond it: a search for 20 in a city reads a few cells,
        // not the ~150 of a 30 km box.
        let grid: [RosterIndex.Cell: [String: Coordinate]]
        if let skill = filter.skill {
            guard let cells = rosterIndex.bySkillCell[skill] else { return [] }
            grid = cells
        } else {
            grid = rosterIndex.byCell
        }
        guard !grid.isEmpty else { return [] }
        let origin = RosterIndex.Cell(near)
        let (low, high) = RosterIndex.cellBounds(near: near, radiusKilometres: radius)
        let rings = max(Int(origin.row) - Int(low.row), Int(high.row) - Int(origin.row),
                        Int(origin.column) - Int(low.column), Int(high.column) - Int(origin.column), 0)
        let widest = min(89.0, max(abs(near.latitude) + radius / 111.0, 0))
        let kmPerDegreeLongitude = 111.0 * cos(widest * Double.pi / 180)
        var cells: [(bound: Double, cell: RosterIndex.Cell, members: [String: Coordinate])] = []
        func consider(_ cell: RosterIndex.Cell) {
            guard cell.row >= low.row, cell.row <= high.row, cell.column >= low.column, cell.column <= high.column,
                  let members = grid[cell] else { return }
            let bound = RosterIndex.minimumDistance(from: near, to: cell)
            if bound <= radius { cells.append((bound, cell, members)) }
        }
        let boxCells = (Double(high.row) - Double(low.row) + 1) * (Double(high.column) - Double(low.column) + 1)
        if boxCells > 2 * Double(grid.count) {
            // A wide radius over a sparse grid: the occupied cells in the box, nearest first.
            for (bound, members) in rosterIndex.cellsByDistance(near: near, radiusKilometres: radius, skill: filter.skill) {
                if found.count == limit, bound > found[limit - 1].distance { break }
                visit(members)
            }
            found.sort(by: byDistance)
            return found.map { ($0.id, $0.distance) }
        }
        for ring in 0...rings {
            cells.removeAll(keepingCapacity: true)
            RosterIndex.forEachCell(inRing: ring, around: origin, consider)
            cells.sort { $0.bound != $1.bound ? $0.bound < $1.bound : $0.cell < $1.cell }
            for entry in cells {
                if found.count == limit, entry.bound > found[limit - 1].distance { break }
                visit(entry.members)
            }
            if found.count == limit {
                // Everything in the rings after this one lies outside the square of rings so far.
                let beyond = RosterIndex.distanceBeyond(ring: ring, around: near, origin: origin, kmPerDegreeLongitude: kmPerDegreeLongitude)
                if beyond > found[limit - 1].distance { break }
            }
        }
        found.sort(by: byDistance)
        return found.map { ($0.id, $0.distance) }
    }

    /// What a search checks of each candidate, with what is the same for every candidate worked
    /// out once: whether the skill needs a certificate, and whether the candidates are known to
    /// list the skill (taken from its index), so a check reads only the volunteer.
    struct CandidateCheck {
        let filter: VolunteerFilter
        let today: Day
        let now: Timestamp
        let listSkill: Bool
        /// The catalog's rule for the skill; nil when no skill is asked or it is not in the catalog.
        let needsCertificate: Bool?

        init(_ state: State, _ filter: VolunteerFilter, today: Day, now: Timestamp, listSkill: Bool) {
            self.filter = filter; self.today = today; self.now = now; self.listSkill = listSkill
            needsCertificate = filter.skill.flatMap { state.skills[$0]?.needsCertificate }
        }
    }

    /// The volunteer and its distance when it passes every filter; nil otherwise. Cheap checks first.
    private func match(_ id: String, _ check: CandidateCheck) -> (volunteer: Volunteer, distance: Double?)? {
        guard let volunteer = volunteers[id] else { return nil }
        let filter = check.filter
        var distance: Double?
        if let near = filter.near {
            let d = near.distanceKilometres(to: volunteer.base)
            if let radius = filter.radiusKilometres, d > radius { return nil }
            distance = d
        }
        if let skill = filter.skill {
            if !check.listSkill, volunteer.level(of: skill) == nil { return nil }
            if let day = filter.certifiedAt {
                guard volunteer.certification(for: skill)?.isValid(on: day) == true else { return nil }
            } else {
                // As `hasSkill`: a skill the catalog does not know counts for nobody.
                guard let needsCertificate = check.needsCertificate else { return nil }
                if needsCertificate, volunteer.certification(for: skill)?.isValid(on: check.today) != true { return nil }
            }
        }
        if let region = filter.region, !State.region(volunteer.region, isWithin: region) { return nil }
        if let team = filter.team, volunteer.team != team { return nil }
        if let organization = filter.organization, volunteer.organization != organization { return nil }
        if let status = filter.status, effectiveStatus(of: volunteer, at: check.now) != status { return nil }
        if filter.available, !isAvailable(volunteer, at: check.now) { return nil }
        return (volunteer, distance)
    }

    /// Certifications still valid on `today` that expire within `days` days, soonest first.
    public func expiringCertifications(withinDays days: Int, today: Day) -> [ExpiringCertification] {
        let last = today.adding(days: days)
        var out: [ExpiringCertification] = []
        for volunteer in volunteers.values {
            for certification in volunteer.certifications.values where certification.expires >= today && certification.expires <= last {
                out.append(ExpiringCertification(volunteer: volunteer.id, certification: certification,
                                                 daysLeft: Int(certification.expires.daysSinceEpoch - today.daysSinceEpoch)))
            }
        }
        return out.sorted {
            ($0.certification.expires, $0.volunteer, $0.certification.skill) < ($1.certification.expires, $1.volunteer, $1.certification.skill)
        }
    }

    /// `teamReadiness(team, at: now).state == .ready` without the words, with the fatigue the
    /// matcher charges for the team (the most hours any member worked in the last 24, through
    /// `fatigue`) when it is ready: one look at each member instead of two.
    public func teamIsReady(_ team: Team, at now: Timestamp, fatigue: (Int64) -> Int64) -> (ready: Bool, fatigue: Int64) {
        guard team.state != .stoodDown, team.leader != nil, !team.members.isEmpty else { return (false, 0) }
        let today = now.day
        let required = specialties[team.specialty]?.requiredSkills ?? []
        var most: Int64 = 0
        for id in team.members {
            guard let volunteer = volunteers[id], isAvailable(volunteer, at: now) else { return (false, 0) }
            for skill in required where skillGap(volunteer, skill, on: today) != nil { return (false, 0) }
            most = max(most, fatigue(dutyMillisecondsInLastDay(of: volunteer, at: now)))
        }
        return (true, most)
    }

    /// Ready when the team is active, has a leader and every member is available and holds the
    /// specialty's required skills (certified where needed); partial when some but not all are fit;
    /// stood down when the team was stood down or no member is fit.
    public func teamReadiness(_ team: Team, at now: Timestamp) -> TeamReadiness {
        let today = now.day
        if team.state == .stoodDown {
            return TeamReadiness(state: .stoodDown, fit: 0, members: team.members.count,
                                 reason: "stood down" + (team.stateReason.map { ": \($0)" } ?? ""))
        }
        let required = specialties[team.specialty]?.requiredSkills ?? []
        var fit = 0
        var problems: [String] = []
        if team.leader == nil { problems.append("no leader") }
        if team.members.isEmpty { problems.append("no members") }
        for id in team.members {
            guard let volunteer = volunteers[id] else { problems.append("\(id): not on the roster"); continue }
            var why: [String] = []
            if let reason = availability(of: volunteer, at: now).reason { why.append(reason) }
            for skill in required { if let gap = skillGap(volunteer, skill, on: today) { why.append(gap) } }
            if why.isEmpty { fit += 1 } else { problems.append("\(id): " + why.joined(separator: ", ")) }
        }
        let state: Readiness
        if fit == 0 { state = .stoodDown } else if problems.isEmpty { state = .ready } else { state = .partial }
        return TeamReadiness(state: state, fit: fit, members: team.members.count,
                             reason: problems.isEmpty ? nil : (fit == 0 && !team.members.isEmpty ? "no member fit; " : "") + problems.joined(separator: "; "))
    }
}

extension State {
    /// How many volunteers list `skill` (certified or not).
    public func volunteerCount(listing skill: String) -> Int { rosterIndex.bySkill[skill]?.count ?? 0 }
}
