import ReliefCore
import ReliefEngine
import ReliefMatching
import ReliefProtocol

/// The simulated duty officer (`officer …` directives). It acts only through the engine's own
/// commands (`plan`, `plan apply`, `allocation dispatch|deliver`, `assignment enroute|onscene|release`,
/// `volunteer status`), so it meets every refusal a live officer would: rest and duty-hour limits,
/// certifications expiring on drill time, scarcity, stale plans. What it does follows from the
/// journal, not from who asked: goods reserved by an inject are dispatched like the officer's own.
extension DrillRun {
    var officer: OfficerOrders { scenario.officer }

    /// Schedules `action` `minutes` from now, unless that is past the end.
    func schedule(_ action: DrillAgenda.Action, inMinutes minutes: Int) {
        let time = now.milliseconds + Int64(minutes) * DrillTime.minuteMilliseconds
        guard time <= endTime.milliseconds else { return }
        agenda.schedule(action, at: time)
    }

    /// The officer's next steps, from what the entries of one request did.
    func react(to entries: [Entry]) {
        for entry in entries {
            switch entry.event {
            case .allocationReserved(let allocation):
                if let after = officer.dispatchAfter { schedule(.dispatch(allocation: allocation.id), inMinutes: after) }
            case .allocationDispatched(let id, _, _, _):
                guard let allocation = state.allocations[id], let warehouse = state.warehouses[allocation.warehouse],
                      let incident = state.incidents[allocation.incident] else { continue }
                let road = roadMinutes(fromWarehouse: warehouse.id, region: warehouse.region, at: warehouse.location, to: incident)
                note("\(id) dispatched: \(DrillRun.quantity(allocation.quantity, allocation.sku, in: state)) from \(warehouse.id) to \(incident.id), "
                     + "\(road) min on the road, due \(DrillTime.text(minute + road))")
                schedule(.deliver(allocation: id), inMinutes: road)
            case .assignmentMade(let assignment):
                if let after = officer.dispatchAfter { schedule(.setOff(assignment: assignment.id), inMinutes: after) }
            case .assignmentStatusSet(let id, .enRoute):
                guard let assignment = state.assignments[id], let incident = state.incidents[assignment.incident],
                      let (region, base) = origin(of: assignment) else { continue }
                let road = roadMinutes(fromWarehouse: nil, region: region, at: base, to: incident)
                note("\(id) en route: \(who(assignment)) to \(incident.id), \(road) min on the road, due \(DrillTime.text(minute + road))")
                schedule(.arrive(assignment: id), inMinutes: road)
            case .assignmentStatusSet(let id, .onScene):
                guard let assignment = state.assignments[id] else { continue }
                guard let (minutes, reason) = shift(of: id) else {
                    note("\(id) on scene: \(who(assignment)) at \(assignment.incident)")
                    continue
                }
                note("\(id) on scene: \(who(assignment)) at \(assignment.incident), to be stood down at \(DrillTime.text(minute + minutes)) (\(reason))")
                schedule(.release(assignment: id, reason: reason), inMinutes: minutes)
            default:
                continue
            }
        }
    }

    // MARK: planning

    /// `plan` over every open need, when any misses something; its proposal is applied
    /// `apply_after` later. The next plan is due `every` minutes on.
    func officerPlan() {
        guard let cadence = officer.plan else { return }
        schedule(.plan, inMinutes: cadence.every)
        guard !Matching.openNeeds(in: state).isEmpty else { return }
        let outcome = perform(cadence.command, actor: DrillRun.officer)
        if case .error(let code, let message) = outcome.reply {
            officerRefusals += 1
            note("officer: plan refused: ERR \(code.rawValue) \(message)")
            return
        }
        for entry in outcome.entries {
            guard case .planProposed(let plan) = entry.event else { continue }
            recorder.restLimitRefusals += restLimited(by: plan)
            note("officer: plan \(plan.id): \(plan.lines.count) line\(plan.lines.count == 1 ? "" : "s"), \(plan.unmet.count) need\(plan.unmet.count == 1 ? "" : "s") not fully met")
            if !plan.lines.isEmpty { schedule(.apply(plan: plan.id), inMinutes: cadence.applyAfter) }
        }
    }

    func officerApply(_ id: String) {
        let outcome = perform("plan apply \(id)", actor: DrillRun.officer)
        officerResult(outcome, "plan apply \(id)", done: "plan \(id) applied")
    }

    /// Volunteers a plan left out because they were resting or at their duty-hour limit, while it
    /// needed them: holding the skill (certified on the need's day) within the need's reach (its
    /// tier in this plan, and people_reach_km), or in a team of the specialty within that reach,
    /// for a need the plan left short, or for a need it sent someone to from farther away than
    /// they are (so the rest limit made the plan reach further). Only people who have been on
    /// duty can be either, so only they are looked at.
    func restLimited(by plan: Plan) -> Int {
        var blocked = Set<String>()
        let policy = engine.matchingPolicy
        let reach = policy.peopleReachKilometres
        // Per people need: left short, or the distance of the farthest person or team it sent.
        var short = Set<String>(), farthest: [String: Double] = [:]
        for unmet in plan.unmet { short.insert(unmet.need) }
        for line in plan.lines {
            guard let need = state.needs[line.need], let incident = state.incidents[need.incident] else { continue }
            let base: Coordinate?
            switch line {
            case .supply: base = nil
            case .volunteer(_, let id, _): base = state.volunteers[id]?.profile.base
            case .team(_, let id, _): base = state.teams[id]?.base
            }
            guard let base else { continue }
            farthest[line.need] = max(farthest[line.need] ?? 0, base.distanceKilometres(to: incident.location))
        }
        // Who rests or is at their limit now: the same for every need of the plan.
        let limited = worked.sorted().compactMap { state.volunteers[$0] }.filter(isRestLimited)
        guard !limited.isEmpty else { return 0 }
        for needID in short.union(farthest.keys).sorted() {
            guard let need = state.needs[needID], let incident = state.incidents[need.incident] else { continue }
            if case .supply = need.request { continue }
            let tier = policy.reach(for: need, of: incident, planReach: plan.reach)
            // A need left short wants anyone within reach; a met one, anyone nearer than whom it got.
            let isShort = short.contains(needID), sentFrom = farthest[needID] ?? 0
            func candidate(_ region: String, _ base: Coordinate) -> Bool {
                guard ReachTier.between(region, incident.region) <= tier else { return false }
                let km = base.distanceKilometres(to: incident.location)
                return isShort ? km <= reach : km < min(reach, sentFrom)
            }
            for volunteer in limited where !blocked.contains(volunteer.id) {
                switch need.request {
                case .supply:
                    continue
                case .volunteers(let skill, _, _):
                    if state.skillGap(volunteer, skill, on: need.neededBy.day) == nil,
                       candidate(volunteer.profile.region, volunteer.profile.base) { blocked.insert(volunteer.id) }
                case .teams(let specialty, _, _):
                    if let teamID = volunteer.team, let team = state.teams[teamID], team.specialty == specialty,
                       candidate(team.region, team.base) { blocked.insert(volunteer.id) }
                }
            }
        }
        return blocked.count
    }

    func isRestLimited(_ volunteer: Volunteer) -> Bool {
        guard volunteer.onDutySince == nil, state.effectiveStatus(of: volunteer, at: now) == .available,
              let reason = state.availability(of: volunteer, at: now).reason else { return false }
        return reason.hasPrefix("resting") || reason.contains("on duty in the last 24 h")
    }

    // MARK: goods

    func officerDispatch(_ id: String) {
        guard state.allocations[id]?.status == .reserved else { return }   // dispatched or released meanwhile, by an inject
        let outcome = perform("allocation dispatch \(id) note=\"exercise: sent by the duty officer\"", actor: DrillRun.officer)
        officerResult(outcome, "allocation dispatch \(id)", done: nil)
    }

    func officerDeliver(_ id: String) {
        guard state.allocations[id]?.status == .dispatched else { return }
        let outcome = perform("allocation deliver \(id) note=\"exercise: arrived after the road time\"", actor: DrillRun.officer)
        officerResult(outcome, "allocation deliver \(id)", done: "\(id) delivered")
    }

    // MARK: people

    func officerSetOff(_ id: String) {
        guard state.assignments[id]?.status == .assigned else { return }
        officerResult(perform("assignment enroute \(id)", actor: DrillRun.officer), "assignment enroute \(id)", done: nil)
    }

    /// The person arrives after the road time, or (`officer noshow`, people sent on their own) does
    /// not turn up: the officer stands the assignment down and marks them unavailable until the
    /// next day, so the next plan sends someone else.
    func officerArrive(_ id: String) {
        guard let assignment = state.assignments[id], assignment.status == .assigned || assignment.status == .enRoute else { return }
        if isNoShow(assignment) {
            recorder.noShows += 1
            let until = now.day.adding(days: 1).iso8601
            officerResult(perform("assignment release \(id) reason=\"exercise: did not turn up\"", actor: DrillRun.officer),
                          "assignment release \(id) (no-show)", done: "\(id) no-show: \(assignment.volunteer) did not turn up; released, unavailable until \(until)")
            officerResult(perform("volunteer status \(assignment.volunteer) unavailable reason=\"exercise: did not turn up for \(id)\" until=\(until)",
                                  actor: DrillRun.officer), "volunteer status \(assignment.volunteer) unavailable", done: nil)
            return
        }
        officerResult(perform("assignment onscene \(id)", actor: DrillRun.officer), "assignment onscene \(id)", done: nil)
    }

    func officerRelease(_ id: String, reason: String) {
        guard state.assignments[id]?.status == .onScene else { return }
        let assignment = state.assignments[id]!
        officerResult(perform("assignment release \(id) reason=\(TextEncoder.quoteArgument(reason))", actor: DrillRun.officer),
                      "assignment release \(id)", done: "\(id) stood down: \(who(assignment)) (\(reason))")
    }

    /// Logs what the officer did (`done`; nil when the entries' own lines say it), or that the
    /// engine refused it: a refusal is what the drill found, not an error of the drill.
    func officerResult(_ outcome: Outcome, _ what: String, done: String?) {
        if case .error(let code, let message) = outcome.reply {
            officerRefusals += 1
            note("officer: \(what) refused: ERR \(code.rawValue) \(message)")
        } else if let done {
            note("officer: \(done)")
        }
    }

    /// `v-000123` or `v-000123 of team t-water-rescue-01`.
    func who(_ assignment: Assignment) -> String {
        assignment.volunteer + (assignment.team.map { " of team \($0)" } ?? "")
    }

    /// Whether `assignment`'s volunteer fails to turn up: a draw from the drill's seed and the
    /// assignment's id alone, so one no-show does not reshuffle every later one.
    func isNoShow(_ assignment: Assignment) -> Bool {
        guard assignment.team == nil, officer.noShowBasisPoints > 0 else { return false }
        var generator = SplitMix64(seed: scenario.seed ^ DrillRun.fnv1a(assignment.id))
        return Int(generator.next() % 10_000) < officer.noShowBasisPoints
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    /// How long the person stays on scene, and why they are stood down then: the need's hours (or
    /// `after=`), or sooner when a duty-hour limit for 24 hours comes first — their own, or for a
    /// team, the first of its members' on that need: a team leaves the scene together. Nil: the
    /// officer does not release (`officer release off`).
    func shift(of id: String) -> (minutes: Int, reason: String)? {
        guard let assignment = state.assignments[id], let need = state.needs[assignment.need] else { return nil }
        let planned: Int
        switch officer.release {
        case .off: return nil
        case .after(let minutes): planned = minutes
        case .need:
            switch need.request {
            case .volunteers(_, _, let hours), .teams(_, _, let hours): planned = hours * 60
            case .supply: return nil
            }
        }
        var crew = [assignment]
        if let team = assignment.team {
            crew = (state.assignmentsByNeed[need.id] ?? []).compactMap { state.assignments[$0] }
                .filter { $0.team == team && $0.status.isActive }
        }
        var limit = (minutes: Int.max, hours: 0)
        for member in crew {
            guard let volunteer = state.volunteers[member.volunteer] else { continue }
            // Hours already on duty in the window before this stretch (it starts now, or did on arrival).
            let since = volunteer.onDutySince ?? now
            let before = state.dutyMillisecondsInLastDay(of: volunteer, at: since) / DrillTime.minuteMilliseconds
            let left = volunteer.profile.maxDutyHoursPerDay * 60 - Int(before) - Int((now.milliseconds - since.milliseconds) / DrillTime.minuteMilliseconds)
            if left < limit.minutes { limit = (left, volunteer.profile.maxDutyHoursPerDay) }
        }
        if limit.minutes < planned {
            let whose = assignment.team == nil ? "" : " of a member"
            return (max(0, limit.minutes), "exercise: duty-hour limit\(whose) (\(limit.hours) h in 24 h) reached")
        }
        return (planned, "exercise: stood down after \(DrillTime.durationText(planned)) on scene")
    }

    // MARK: road time

    /// Whole minutes on the road to `incident`: the travel-time matrix's entry when asked for and
    /// there is one, else the great-circle distance at the officer's speed (rounded up).
    func roadMinutes(fromWarehouse warehouse: String?, region: String, at location: Coordinate, to incident: Incident) -> Int {
        if officer.travel.useMatrix, let time = state.travelTime(fromWarehouse: warehouse, region: region, toRegion: incident.region) {
            return time.minutes
        }
        let kilometres = location.distanceKilometres(to: incident.location)
        return Int((kilometres * 60 / Double(officer.travel.speedKilometresPerHour)).rounded(.up))
    }

    /// Where a person sets off from: a team's base for a team assignment, the volunteer's own otherwise.
    func origin(of assignment: Assignment) -> (region: String, base: Coordinate)? {
        if let teamID = assignment.team, let team = state.teams[teamID] { return (team.region, team.base) }
        guard let volunteer = state.volunteers[assignment.volunteer] else { return nil }
        return (volunteer.profile.region, volunteer.profile.base)
    }
}
