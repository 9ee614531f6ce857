import ReliefCore
import ReliefMatching
import ReliefProtocol

/// Matching commands: `match INCIDENT` and `plan` propose (a `plan.proposed` event, so every
/// proposal is in the journal), `plan show` and `plan list` read, `plan apply` checks every chosen
/// line against the state as it is now and reserves and assigns (all lines or none).
///
/// The solver runs in `Matching` (ReliefMatching), a pure function of a State value: `plan` over
/// many needs is handed to the offload thread on a copy of the state (`Command.offload`), and its
/// result is recorded on the loop only if the state is still the one it was computed on, or every
/// line still holds on the state as it is then; otherwise it is computed again.
extension Engine {
    static let matchingCommands: [Command] = [
        Command(words: ["match"], usage: "match INCIDENT [reach=county|city|province|country] [reserves=use|keep]",
                summary: "propose how to meet one incident's open needs from stock, volunteers and teams (apply with plan apply)",
                mutating: true, access: .write(.incidents, .incident(0)),
                offload: { engine, args, context in
                    // Always off the loop: one incident's candidates can be a province's volunteers.
                    guard let (id, needs) = try engine.matchTarget(args) else { return nil }
                    return engine.matchingOffload(needs: needs, incident: id, options: try Engine.matchingOptions(args), now: context.now)
                }) { engine, args, context in
            guard let (id, needs) = try engine.matchTarget(args) else {
                let id = try args.positional(0, "incident id")
                return .ok(["incident": id, "plan": "none", "note": "no open need of \(id) is missing anything"])
            }
            let result = try engine.computePlan(needs: needs, incident: id, options: try Engine.matchingOptions(args), now: context.now)
            return engine.recordPlan(result.plan, now: context.now)
        },

        Command(words: ["plan"], usage: "plan [reach=county|city|province|country] [reserves=use|keep]",
                summary: "propose the best way to meet every open need of every incident at once (apply with plan apply)",
                mutating: true, access: .write(.incidents, .openNeeds),
                offload: { engine, args, context in
                    try args.expect(positionals: 0...0, options: Engine.matchingOptionNames)
                    let options = try Engine.matchingOptions(args)
                    let needs = Matching.openNeeds(in: engine.state)
                    guard needs.count > engine.matchingPolicy.offloadAboveNeeds else { return nil }
                    return engine.matchingOffload(needs: needs, incident: nil, options: options, now: context.now)
                }) { engine, args, context in
            try args.expect(positionals: 0...0, options: Engine.matchingOptionNames)
            let options = try Engine.matchingOptions(args)
            let needs = Matching.openNeeds(in: engine.state)
            guard !needs.isEmpty else { return .ok(["plan": "none", "note": "no open need is missing anything"]) }
            let result = try engine.computePlan(needs: needs, incident: nil, options: options, now: context.now)
            return engine.recordPlan(result.plan, now: context.now)
        },

        Command(words: ["plan", "show"], usage: "plan show [PLAN]",
                summary: "a proposed plan: its lines (applied or not) and what it leaves unmet and why (default: the latest)",
                mutating: false, access: .read(.incidents), listing: .standard) { engine, args, _ in
            try args.expect(positionals: 0...1, options: [])
            let plan = try engine.matchingPlan(args.optionalPositional(0))
            return .rows(engine.planRows(plan, showStatus: true))
        },

        Command(words: ["plan", "list"], usage: "plan list [incident=ID]",
                summary: "proposed plans, newest first", mutating: false, access: .read(.incidents), listing: .standard) { engine, args, _ in
            try args.expect(positionals: 0...0, options: ["incident"])
            let incident = args.option("incident")
            if let incident, engine.state.incidents[incident] == nil { throw Refusal(.notFound, "incident \(incident) not found") }
            let plans = engine.state.plans.values.filter { incident == nil || $0.incident == incident || $0.incident == nil }
                .sorted { Engine.planNumber($0.id) > Engine.planNumber($1.id) }
            return .rows(plans.map { engine.planSummary($0, showStatus: true) })
        },

        Command(words: ["plan", "apply"], usage: "plan apply [PLAN] [lines=1,3-5]",
                summary: "reserve and assign what a plan proposes (default: the latest plan, every line not yet applied), after checking every line still holds",
                mutating: true, access: .write(.incidents, .plan(0))) { engine, args, context in
            try args.expect(positionals: 0...1, options: ["lines"])
            let plan = try engine.matchingPlan(args.optionalPositional(0))
            if plan.status == .applied { throw Refusal(.conflict, "plan \(plan.id) is already applied (all \(plan.lines.count) lines)") }
            if plan.status == .discarded { throw Refusal(.conflict, "plan \(plan.id) was discarded; run match or plan again") }
            if let newer = engine.supersedingPlan(of: plan) {
                throw Refusal(.conflict, "plan \(plan.id) was superseded by \(newer.id), proposed later for the same needs; apply \(newer.id) (plan show \(newer.id)) or run \(engine.rerunHint(plan)) again")
            }
            let lines: [Int]
            if let text = args.option("lines") {
                lines = try Engine.lineNumbers(text, count: plan.lines.count)
                for line in lines where plan.appliedLines.contains(line) {
                    throw Refusal(.conflict, "line \(line) of plan \(plan.id) is already applied")
                }
            } else {
                lines = plan.lines.indices.map { $0 + 1 }.filter { !plan.appliedLines.contains($0) }
            }
            guard !lines.isEmpty else {
                throw Refusal(.conflict, "plan \(plan.id) has no lines to apply (it proposes nothing; see its unmet needs with plan show \(plan.id))")
            }
            let stale = engine.staleLines(plan, lines: lines, now: context.now)
            guard stale.isEmpty else {
                let detail = stale.map { "line \($0.line) (\(engine.lineText(plan.lines[$0.line - 1]))): \($0.problem)" }.joined(separator: "; ")
                throw Refusal(.conflict, "plan \(plan.id) no longer holds: \(detail); nothing applied; run \(engine.rerunHint(plan)) again")
            }
            return .rows(engine.applyPlanLines(plan, lines: lines, now: context.now))
        },
    ]

    // MARK: proposing

    static let matchingOptionNames = ["reach", "reserves"]

    /// `reach=TIER` (every need looked for that far, instead of its own or its priority's reach)
    /// and `reserves=use|keep` (keep: never draw a warehouse below its minimum level).
    static func matchingOptions(_ args: Arguments) throws -> MatchingOptions {
        var options = MatchingOptions()
        if let text = args.option("reach") {
            guard let tier = ReachTier(name: text) else {
                throw Refusal(.syntax, "bad reach \"\(text)\"; expected one of \(ReachTier.names)")
            }
            options.reach = tier
        }
        if let text = args.option("reserves") {
            switch text {
            case "use": options.keepReserves = false
            case "keep": options.keepReserves = true
            default: throw Refusal(.syntax, "bad reserves \"\(text)\"; expected use (draw on minimum levels for needs the policy allows) or keep")
            }
        }
        return options
    }

    /// The incident `match` names and its open needs; nil when none is missing anything.
    func matchTarget(_ args: Arguments) throws -> (String, [String])? {
        try args.expect(positionals: 1...1, options: Engine.matchingOptionNames)
        _ = try Engine.matchingOptions(args)
        let id = try args.positional(0, "incident id")
        guard let incident = state.incidents[id] else { throw Refusal(.notFound, "incident \(id) not found") }
        guard incident.status != .closed else { throw Refusal(.conflict, "incident \(id) is closed; nothing to match") }
        let needs = Matching.openNeeds(of: id, in: state)
        return needs.isEmpty ? nil : (id, needs)
    }

    /// Solving `needs` on another thread, on the state as it is now (a copy-on-write copy). The
    /// proposal is recorded back on the loop if the state is still the one it was computed on, or
    /// every line still holds on the state as it is then; otherwise it is computed again.
    func matchingOffload(needs: [String], incident: String?, options: MatchingOptions, now: Timestamp) -> Offload {
        let state = self.state, policy = matchingPolicy
        return Offload(
            compute: { () -> any Sendable in
                Result { () throws(MatchingError) -> MatchingResult in
                    try Matching.solve(state: state, now: now, policy: policy, needs: needs, incident: incident, options: options)
                }
            },
            finish: { engine, result, _, context in
                guard let result = result as? Result<MatchingResult, MatchingError> else {
                    throw Refusal(.internal, "off-loop matching returned \(type(of: result))")
                }
                let plan: Plan
                switch result {
                case .success(let computed): plan = computed.plan
                case .failure(let error): throw Refusal(.limit, error.description)
                }
                if plan.basedOnSeq != engine.state.lastSeq,
                   !engine.staleLines(plan, lines: plan.lines.indices.map { $0 + 1 }, now: context.now).isEmpty {
                    return nil
                }
                return engine.recordPlan(plan, now: context.now)
            })
    }

    /// Solves on the live state (small instances; `plan` over many needs goes off the loop).
    func computePlan(needs: [String], incident: String?, options: MatchingOptions = MatchingOptions(),
                     now: Timestamp) throws -> MatchingResult {
        do {
            return try Matching.solve(state: state, now: now, policy: matchingPolicy, needs: needs, incident: incident, options: options)
        } catch {
            throw Refusal(.limit, error.description)
        }
    }

    /// Records `plan` as proposed (with the next plan id and the time of recording) and returns the
    /// reply rows.
    func recordPlan(_ computed: Plan, now: Timestamp) -> Reply {
        var plan = computed
        plan.id = state.nextPlanID
        plan.createdAt = now
        emit(.planProposed(plan))
        return .rows(planRows(state.plans[plan.id]!, showStatus: false))
    }

    // MARK: reading

    func matchingPlan(_ id: String?) throws -> Plan {
        if let id {
            guard let plan = state.plans[id] else { throw Refusal(.notFound, "plan \(id) not found; plan list shows the plans") }
            return plan
        }
        guard let latest = state.plans.keys.max(by: { Engine.planNumber($0) < Engine.planNumber($1) }) else {
            throw Refusal(.notFound, "no plan yet; run match INCIDENT or plan")
        }
        return state.plans[latest]!
    }

    /// A later plan over some of the same needs: one for the same incident, or either over all needs.
    func supersedingPlan(of plan: Plan) -> Plan? {
        let number = Engine.planNumber(plan.id)
        return state.plans.values.filter {
            Engine.planNumber($0.id) > number && ($0.incident == nil || plan.incident == nil || $0.incident == plan.incident)
        }.min { Engine.planNumber($0.id) < Engine.planNumber($1.id) }
    }

    /// The number in `PL-000042` (plans are numbered in the order proposed).
    static func planNumber(_ id: String) -> Int { Int(id.dropFirst(3)) ?? 0 }

    func rerunHint(_ plan: Plan) -> String { plan.incident.map { "match \($0)" } ?? "plan" }

    func planSummary(_ plan: Plan, showStatus: Bool) -> Fields {
        var fields: Fields = ["plan": plan.id]
        fields.append("incident", plan.incident ?? "all")
        if showStatus {
            let superseded = plan.status == .proposed ? supersedingPlan(of: plan) : nil
            fields.append("status", superseded == nil ? plan.status.rawValue : "superseded")
            if let superseded { fields.append("superseded_by", superseded.id) }
        }
        fields.append("based_on", String(plan.basedOnSeq))
        fields.append("created", plan.createdAt.iso8601)
        fields.append("lines", String(plan.lines.count))
        if showStatus { fields.append("applied", String(plan.appliedLines.count)) }
        fields.append("unmet", String(plan.unmet.count))
        fields.append("cost", String(plan.totalCost))
        if let reach = plan.reach { fields.append("reach", reach.name) }
        if plan.keepReserves { fields.append("reserves", "keep") }
        if !plan.reserveLines.isEmpty { fields.append("from_reserve", String(plan.reserveLines.count)) }
        return fields
    }

    /// A summary row, one row per line, one per unmet need.
    func planRows(_ plan: Plan, showStatus: Bool) -> [Fields] {
        var rows = [planSummary(plan, showStatus: showStatus)]
        for (index, line) in plan.lines.enumerated() {
            var fields: Fields = ["plan": plan.id, "line": String(index + 1), "need": line.need, "ref": needRef(line.need)]
            if let incident = state.needs[line.need]?.incident { fields.append("incident", incident) }
            switch line {
            case .supply(_, let warehouse, let lot, let quantity, _):
                fields.append("warehouse", warehouse); fields.append("lot", lot); fields.append("qty", String(quantity))
            case .volunteer(_, let volunteer, _):
                fields.append("volunteer", volunteer)
            case .team(_, let team, _):
                fields.append("team", team)
                fields.append("members", String(state.teams[team]?.members.count ?? 0))
            }
            if let km = lineDistance(line) { fields.append("distance_km", Engine.kilometresText(km)) }
            if let tier = lineTier(line) { fields.append("tier", tier.name) }
            // Every line has the column (a table keeps its shape); only supply lines can say yes.
            fields.append("from_reserve", plan.reserveLines.contains(index + 1) ? "yes" : "no")
            fields.append("cost", String(line.cost))
            if showStatus { fields.append("applied", plan.appliedLines.contains(index + 1) ? "yes" : "no") }
            rows.append(fields)
        }
        for unmet in plan.unmet {
            var fields: Fields = ["plan": plan.id, "need": unmet.need, "ref": needRef(unmet.need)]
            if let incident = state.needs[unmet.need]?.incident { fields.append("incident", incident) }
            fields.append("missing", String(unmet.missing))
            fields.append("reason", unmet.reason)
            rows.append(fields)
        }
        return rows
    }

    /// Great-circle km from the line's warehouse, volunteer base or team base to the incident.
    func lineDistance(_ line: PlanLine) -> Double? {
        guard let need = state.needs[line.need], let incident = state.incidents[need.incident] else { return nil }
        let from: Coordinate?
        switch line {
        case .supply(_, let warehouse, _, _, _): from = state.warehouses[warehouse]?.location
        case .volunteer(_, let volunteer, _): from = state.volunteers[volunteer]?.profile.base
        case .team(_, let team, _): from = state.teams[team]?.base
        }
        return from.map { $0.distanceKilometres(to: incident.location) }
    }

    /// How far the line's source is from the incident in the region hierarchy.
    func lineTier(_ line: PlanLine) -> ReachTier? {
        guard let need = state.needs[line.need], let incident = state.incidents[need.incident] else { return nil }
        let region: String?
        switch line {
        case .supply(_, let warehouse, _, _, _): region = state.warehouses[warehouse]?.region
        case .volunteer(_, let volunteer, _): region = state.volunteers[volunteer]?.profile.region
        case .team(_, let team, _): region = state.teams[team]?.region
        }
        return region.map { ReachTier.between($0, incident.region) }
    }

    static func kilometresText(_ km: Double) -> String {
        let tenths = Int64((km * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    func lineText(_ line: PlanLine) -> String {
        switch line {
        case .supply(let need, let warehouse, let lot, let quantity, _): "\(quantity) of \(warehouse)/\(lot) for \(need)"
        case .volunteer(let need, let volunteer, _): "\(volunteer) for \(need)"
        case .team(let need, let team, _): "team \(team) for \(need)"
        }
    }

    /// `1,3-5` → [1, 3, 4, 5]: each within 1...count, none twice.
    static func lineNumbers(_ text: String, count: Int) throws -> [Int] {
        var out: [Int] = []
        let bad = Refusal(.syntax, "bad lines \"\(text)\"; expected line numbers from 1 to \(count) such as 1,3-5")
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds.last!), low >= 1, low <= high,
                  high <= count else { throw bad }
            out.append(contentsOf: low...high)
        }
        guard !out.isEmpty, Set(out).count == out.count else { throw bad }
        return out
    }

    // MARK: applying

    /// Every chosen line that no longer holds on the state as it is now, with what changed. Lines
    /// are checked together: two lines drawing on one lot or filling one need must fit together.
    func staleLines(_ plan: Plan, lines: [Int], now: Timestamp) -> [(line: Int, problem: String)] {
        var problems: [(line: Int, problem: String)] = []
        var drawn: [String: Int64] = [:]      // warehouse/lot → taken by earlier chosen lines
        var filled: [String: Int64] = [:]     // need → filled by earlier chosen lines
        var people: Set<String> = []          // volunteers sent by earlier chosen lines
        var freeDrawn: [String: Int64] = [:]  // warehouse/item → taken by chosen lines not from a reserve
        let today = now.day
        for number in lines {
            let line = plan.lines[number - 1]
            func fail(_ problem: String) { problems.append((number, problem)) }
            guard let need = state.needs[line.need] else { fail("need \(line.need) no longer exists"); continue }
            guard need.status == .open else { fail("need \(need.id) was cancelled"); continue }
            guard let incident = state.incidents[need.incident], incident.status != .closed else {
                fail("incident \(need.incident) is closed"); continue
            }
            let missing = need.request.amount - state.committedAmount(of: need.id) - filled[need.id, default: 0]
            switch line {
            case .supply(_, let warehouse, let lot, let quantity, _):
                guard case .supply(let sku, _) = need.request, state.lots[lot]?.sku == sku else { fail("lot \(lot) is not of the need's item"); continue }
                guard quantity <= missing else { fail("need \(need.id) is now missing only \(max(0, missing))"); continue }
                let key = warehouse + "/" + lot
                let available = (state.holding(warehouse: warehouse, lot: lot)?.available ?? 0) - drawn[key, default: 0]
                guard quantity <= available else { fail("only \(max(0, available)) available in \(key), the line takes \(quantity)"); continue }
                if let expires = state.lots[lot]!.expires, expires < max(today, need.neededBy.day) {
                    fail("lot \(lot) expires \(expires.iso8601), before the need's day"); continue
                }
                // A line the plan did not mark as drawing on a reserve may not take the warehouse
                // below its minimum now, unless the need may draw reserves anyway.
                if !plan.reserveLines.contains(number), let minimum = state.minimums[warehouse]?[sku], minimum > 0,
                   plan.keepReserves || !matchingPolicy.mayDrawReserves(for: need, of: incident) {
                    let skuKey = warehouse + "/" + sku
                    let free = (state.stock[warehouse]?[sku]?.available ?? 0) - minimum - freeDrawn[skuKey, default: 0]
                    guard quantity <= free else {
                        fail("it would now take \(warehouse) below its minimum of \(minimum) \(sku) (a protected reserve): only \(max(0, free)) above it")
                        continue
                    }
                    freeDrawn[skuKey, default: 0] += quantity
                }
                drawn[key, default: 0] += quantity
                filled[need.id, default: 0] += quantity
            case .volunteer(_, let id, _):
                guard case .volunteers(let skill, _, _) = need.request else { fail("need \(need.id) does not ask for volunteers"); continue }
                guard missing >= 1 else { fail("need \(need.id) has all the volunteers it asks for"); continue }
                guard let volunteer = state.volunteers[id] else { fail("volunteer \(id) no longer exists"); continue }
                guard !people.contains(id) else { fail("volunteer \(id) is already sent by another line"); continue }
                if let other = state.activeAssignment[id] { fail("volunteer \(id) already has assignment \(other)"); continue }
                let (available, why) = state.availability(of: volunteer, at: now)
                guard available else { fail("volunteer \(id) is not available: \(why ?? "unknown")"); continue }
                if let gap = state.skillGap(volunteer, skill, on: need.neededBy.day) { fail("volunteer \(id): \(gap)"); continue }
                people.insert(id)
                filled[need.id, default: 0] += 1
            case .team(_, let id, _):
                guard case .teams(let specialty, _, _) = need.request else { fail("need \(need.id) does not ask for teams"); continue }
                guard missing >= 1 else { fail("need \(need.id) has all the teams it asks for"); continue }
                guard let team = state.teams[id], team.specialty == specialty else { fail("team \(id) is gone or no longer \(specialty)"); continue }
                let readiness = state.teamReadiness(team, at: now)
                guard readiness.state == .ready else { fail("team \(id) is not ready (\(readiness.state.rawValue)): \(readiness.reason ?? "unknown")"); continue }
                if let member = team.members.first(where: { people.contains($0) || state.activeAssignment[$0] != nil }) {
                    fail("team member \(member) is already sent"); continue
                }
                people.formUnion(team.members)
                filled[need.id, default: 0] += 1
            }
        }
        return problems
    }

    /// Emits `plan.applied` and the allocations and assignments of `lines` (checked by `staleLines`).
    func applyPlanLines(_ plan: Plan, lines: [Int], now: Timestamp) -> [Fields] {
        emit(.planApplied(id: plan.id, lines: lines))
        var rows: [Fields] = []
        for number in lines {
            let line = plan.lines[number - 1]
            let need = state.needs[line.need]!
            var fields: Fields = ["plan": plan.id, "line": String(number), "need": need.id, "ref": need.ref ?? ""]
            switch line {
            case .supply(_, let warehouse, let lot, let quantity, _):
                let id = state.nextAllocationID
                emit(.allocationReserved(Allocation(id: id, need: need.id, incident: need.incident, warehouse: warehouse, lot: lot,
                                                    sku: state.lots[lot]!.sku, quantity: quantity, plan: plan.id, createdAt: now)))
                fields.append("allocation", id); fields.append("warehouse", warehouse); fields.append("lot", lot)
                fields.append("qty", String(quantity))
            case .volunteer(_, let volunteer, _):
                let id = state.nextAssignmentID
                emit(.assignmentMade(Assignment(id: id, need: need.id, incident: need.incident, volunteer: volunteer, team: nil,
                                                plan: plan.id, createdAt: now)))
                fields.append("assignment", id); fields.append("volunteer", volunteer)
            case .team(_, let team, _):
                var ids: [String] = []
                for member in state.teams[team]!.members {
                    let id = state.nextAssignmentID
                    emit(.assignmentMade(Assignment(id: id, need: need.id, incident: need.incident, volunteer: member, team: team,
                                                    plan: plan.id, createdAt: now)))
                    ids.append(id)
                }
                fields.append("team", team); fields.append("assignments", ids.joined(separator: ","))
            }
            rows.append(fields)
        }
        return rows
    }
}
