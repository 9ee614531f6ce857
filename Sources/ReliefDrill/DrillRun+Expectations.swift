import ReliefCore
import ReliefProtocol

/// Checking expectations on drill time. `by` expectations hold the moment they are reached and
/// fail at their deadline; `at` expectations are decided at their minute, after everything else
/// that happens in it; `never` and `unused` fail the moment they are broken and hold at the end.
extension DrillRun {
    /// What the scenario names that neither the start state holds nor an inject makes (`warehouse
    /// add`, `item add`, `volunteer add`, `team add`, `incident open`).
    static func problems(of scenario: Scenario, in state: State) -> [ScenarioErrors.Item] {
        var problems: [ScenarioErrors.Item] = []
        func problem(_ spec: ExpectationSpec, _ role: String, _ message: String) {
            problems.append(.init(file: scenario.file, line: spec.line, column: spec.namePositions[role] ?? 1, message: message))
        }
        func some<V>(_ names: Dictionary<String, V>.Keys) -> String {
            let sorted = names.sorted()
            return sorted.isEmpty ? "none in the start state" : "such as " + sorted.prefix(5).joined(separator: ", ")
        }
        var made: [String: Set<String>] = [:]
        for inject in scenario.injects where !inject.mustBeRefused && inject.request.words.count >= 3 {
            let words = inject.request.words
            switch (words[0].lowercased(), words[1].lowercased()) {
            case ("warehouse", "add"), ("item", "add"), ("volunteer", "add"), ("team", "add"), ("incident", "open"):
                made[words[0].lowercased(), default: []].insert(words[2])
            default:
                continue
            }
        }
        func known(_ noun: String, _ id: String, _ present: Bool) -> Bool { present || made[noun]?.contains(id) == true }
        // Needs are named by the refs injects give them: need add … ref=NAME (NAME-d1 … NAME-dN
        // with per_day= days=N), and need estimate … accept ref=PREFIX, which names each need
        // PREFIX-ITEM (PREFIX-ITEM-dK for a day of a daily standard).
        var refs = Set<String>(), prefixes: [String] = []
        for inject in scenario.injects where !inject.mustBeRefused && inject.request.words.count >= 2 {
            guard inject.request.words[0].lowercased() == "need", let ref = inject.request.option("ref") else { continue }
            switch inject.request.words[1].lowercased() {
            case "add":
                if inject.request.option("per_day") != nil {
                    let days = inject.request.option("days").flatMap { Int($0) } ?? 0
                    if (1...NeedSchedule.maximumDays).contains(days) { for day in 1...days { refs.insert("\(ref)-d\(day)") } }
                } else {
                    refs.insert(ref)
                }
            case "estimate": prefixes.append(ref + "-")
            default: continue
            }
        }
        func knownNeed(_ name: String) -> Bool {
            state.needs[name] != nil || state.needByRef[name] != nil || Need.looksLikeID(name) || refs.contains(name)
                || prefixes.contains { name.hasPrefix($0) }
        }
        for spec in scenario.expectations {
            switch spec.kind {
            case .stockNeverBelow(let warehouse, let item, _):
                if !known("warehouse", warehouse, state.warehouses[warehouse] != nil) {
                    problem(spec, "warehouse", "unknown warehouse \(warehouse); expected a warehouse of the start state, \(some(state.warehouses.keys)), or one an inject adds")
                }
                if !known("item", item, state.items[item] != nil) {
                    problem(spec, "item", "unknown item \(item); expected an item of the start state, \(some(state.items.keys)), or one an inject adds")
                }
            case .unusedVolunteer(let id):
                if !known("volunteer", id, state.volunteers[id] != nil) {
                    problem(spec, "volunteer", "unknown volunteer \(id); expected a volunteer of the start state, or one an inject adds")
                }
            case .unusedTeam(let id):
                if !known("team", id, state.teams[id] != nil) {
                    problem(spec, "team", "unknown team \(id); expected a team of the start state, \(some(state.teams.keys)), or one an inject adds")
                }
            case .incident(let id, _, _, _, _):
                if !known("incident", id, state.incidents[id] != nil) {
                    problem(spec, "incident", "unknown incident \(id); expected one of the start state or opened by an inject (incident open \(id) …)")
                }
            case .need(let name, _, _), .needMissing(let name, _, _, _):
                if !knownNeed(name) {
                    problem(spec, "need", "unknown need \(name); expected a need id (N-000001), a ref of the start state, or a ref an inject gives (need add … ref=\(name), need add … per_day= days=N ref=NAME for NAME-d1 … NAME-dN, or need estimate … accept ref=PREFIX for PREFIX-ITEM)")
                }
            case .refused:
                break
            }
        }
        return problems
    }

    /// The id of the need a scenario calls `name`: its id or its ref (`need add … ref=NAME`).
    func needID(named name: String) -> String? {
        state.needs[name] != nil ? name : state.needByRef[name]
    }

    /// `fen-boats (N-000001, 2 water-rescue teams for 12 h)`; a need without a ref by its id.
    func label(_ need: Need) -> String {
        (need.ref.map { "\($0) (\(need.id), " } ?? "\(need.id) (") + describe(need) + ")"
    }

    /// `never stock` expectations already broken at T+00:00. One whose warehouse or item an inject
    /// adds is checked from its first change on.
    func startChecks() {
        for (index, spec) in scenario.expectations.enumerated() {
            guard case .stockNeverBelow(let warehouse, let item, let level) = spec.kind,
                  state.warehouses[warehouse] != nil, state.items[item] != nil else { continue }
            let available = state.stock(warehouse: warehouse, sku: item)?.available ?? 0
            checks[index].lowest = (available, 0)
            if available < level {
                decide(index, held: false, "available \(DrillRun.quantity(available, item, in: state)) already at T+00:00, below \(level)")
            }
        }
    }

    func decide(_ index: Int, held: Bool, _ detail: String) {
        checks[index].held = held
        checks[index].detail = detail
        checks[index].minute = minute
        let spec = scenario.expectations[index]
        note("expectation line \(spec.line) \(held ? "held" : "FAILED"): \(detail)")
    }

    func observeForExpectations(_ entries: [Entry], touched: Set<StockKey>) {
        for (index, spec) in scenario.expectations.enumerated() where checks[index].held == nil {
            switch spec.kind {
            case .need(let name, let milestone, let by):
                guard minute <= by, let id = needID(named: name), let need = state.needs[id], reached(need, milestone) else { continue }
                decide(index, held: true, "\(milestone.rawValue) at \(DrillTime.text(minute)): \(label(need)) \(progressText(need))")
            case .stockNeverBelow(let warehouse, let item, let level):
                let key = StockKey(warehouse: warehouse, item: item)
                guard touched.contains(key) else { continue }
                let available = state.stock(warehouse: warehouse, sku: item)?.available ?? 0
                if available < checks[index].lowest?.value ?? .max { checks[index].lowest = (available, minute) }
                if available < level {
                    decide(index, held: false, "available fell to \(DrillRun.quantity(available, item, in: state)) at \(DrillTime.text(minute)), below \(level)"
                           + (cause(of: key, in: entries).map { ", when \($0)" } ?? ""))
                }
            case .unusedVolunteer(let id):
                for entry in entries {
                    guard case .assignmentMade(let assignment) = entry.event, assignment.volunteer == id else { continue }
                    decide(index, held: false, "assigned at \(DrillTime.text(minute)): \(assignment.id) for \(assignment.need) (\(assignment.incident))"
                           + (assignment.team.map { " with team \($0)" } ?? "") + (assignment.plan.map { ", from plan \($0)" } ?? ""))
                    break
                }
            case .unusedTeam(let id):
                for entry in entries {
                    guard case .assignmentMade(let assignment) = entry.event, assignment.team == id else { continue }
                    decide(index, held: false, "assigned at \(DrillTime.text(minute)) to \(assignment.need) (\(assignment.incident))"
                           + (assignment.plan.map { ", from plan \($0)" } ?? ""))
                    break
                }
            case .needMissing, .incident, .refused:
                continue
            }
        }
    }

    /// The deadline of expectation `index` has come (after everything else in its minute).
    func deadlineReached(_ index: Int) {
        guard checks[index].held == nil else { return }
        switch scenario.expectations[index].kind {
        case .need(let name, let milestone, let by):
            guard let id = needID(named: name), let need = state.needs[id] else {
                decide(index, held: false, "no need named \(name) by \(DrillTime.text(by)) (never added, or the inject adding it was refused)")
                return
            }
            var detail = "not \(milestone.rawValue) by \(DrillTime.text(by)): \(label(need)) \(progressText(need))"
            if need.status == .cancelled { detail += "; the need was cancelled" }
            if let why = state.latestUnmet(of: id) { detail += "; why, as plan \(why.plan) said: \(why.reason)" }
            decide(index, held: false, detail)
        case .needMissing(let name, let comparison, let value, let at):
            guard let id = needID(named: name), let need = state.needs[id], let progress = state.progress(of: id) else {
                decide(index, held: false, "no need named \(name) at \(DrillTime.text(at)) (never added, or the inject adding it was refused)")
                return
            }
            let missing = need.status == .cancelled ? 0 : progress.missing
            let held = comparison.holds(missing, value)
            var detail = "at \(DrillTime.text(at)) \(label(need)) was missing \(DrillRun.grouped(missing))" + (held ? "" : "; expected \(comparison.rawValue) \(value)")
            if !held, let why = state.latestUnmet(of: id) { detail += "; why, as plan \(why.plan) said: \(why.reason)" }
            decide(index, held: held, detail)
        case .incident(let id, let counted, let comparison, let value, let at):
            guard state.incidents[id] != nil else {
                decide(index, held: false, "no incident \(id) at \(DrillTime.text(at)) (the inject opening it was refused or came later)")
                return
            }
            let open = state.openNeeds(incident: id)
            let listed = counted == .open ? open : open.filter { state.committedAmount(of: $0.id) < $0.request.amount }
            let held = comparison.holds(listed.count, value)
            let names = listed.map(\.id)
            decide(index, held: held, "at \(DrillTime.text(at)) incident \(id) had \(listed.count) \(counted == .open ? "open needs" : "open needs not fully met")"
                   + (names.isEmpty ? "" : " (" + DrillRun.listed(names) + ")") + (held ? "" : "; expected \(comparison.rawValue) \(value)"))
        case .stockNeverBelow, .unusedVolunteer, .unusedTeam, .refused:
            break
        }
    }

    /// An `expect refused` inject ran: it holds when the engine refused it.
    func refusedInjectPlayed(_ inject: Int, refusal: String?) {
        guard let index = scenario.expectations.firstIndex(where: { $0.kind == .refused(inject: inject) }) else { return }
        if let refusal {
            decide(index, held: true, "refused at \(DrillTime.text(minute)): \(refusal)")
        } else {
            decide(index, held: false, "applied at \(DrillTime.text(minute)); expected the engine to refuse it")
        }
    }

    /// At the end (or a stop): what was not broken held; what waits for a later deadline did not.
    func decideRemaining(stoppedEarly: Bool) {
        for (index, spec) in scenario.expectations.enumerated() where checks[index].held == nil {
            switch spec.kind {
            case .stockNeverBelow(let warehouse, let item, let level):
                guard let lowest = checks[index].lowest else {
                    decide(index, held: true, "never below \(level): \(warehouse) held no \(item) during the drill")
                    continue
                }
                decide(index, held: true, "never below \(level): lowest available \(DrillRun.quantity(lowest.value, item, in: state)) at \(DrillTime.text(lowest.minute))")
            case .unusedVolunteer, .unusedTeam:
                decide(index, held: true, "never assigned during the drill")
            case .need(_, _, let deadline), .needMissing(_, _, _, let deadline), .incident(_, _, _, _, let deadline):
                decide(index, held: false, "not decided: the drill \(stoppedEarly ? "was stopped" : "ended") at \(DrillTime.text(minute)), before \(DrillTime.text(deadline))")
            case .refused(let inject):
                decide(index, held: false, "not played: the drill \(stoppedEarly ? "was stopped" : "ended") at \(DrillTime.text(minute)), before \(DrillTime.text(scenario.injects[inject].minute))")
            }
        }
    }

    /// The expectations as the report gives them, refused injects among them, in line order.
    func reportExpectations() -> [DrillReport.Expectation] {
        var out = scenario.expectations.enumerated().map { index, spec in
            DrillReport.Expectation(line: spec.line, text: spec.text, held: checks[index].held ?? false,
                                    detail: checks[index].held == nil ? "pending at \(DrillTime.text(minute))" : checks[index].detail,
                                    minute: checks[index].held == nil ? minute : checks[index].minute,
                                    pending: checks[index].held == nil ? true : nil)
        }
        out += injectOutcomes
        return out.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
    }

    // MARK: needs

    /// Whether all of `need` has reached `milestone` now.
    func reached(_ need: Need, _ milestone: ExpectationSpec.Milestone) -> Bool {
        guard need.status == .open, let progress = state.progress(of: need.id) else { return false }
        switch milestone {
        case .met: return progress.missing == 0
        case .dispatched: return arrivedOrLeft(need, onSceneOnly: false) >= need.request.amount
        case .delivered: return arrivedOrLeft(need, onSceneOnly: true) >= need.request.amount
        }
    }

    /// Units of the need on their way or there (goods dispatched or delivered; people en route or
    /// on scene; teams with a member so), or, with `onSceneOnly`, there.
    func arrivedOrLeft(_ need: Need, onSceneOnly: Bool) -> Int64 {
        let progress = state.progress(of: need.id)!
        switch need.request {
        case .supply:
            return progress.delivered + (onSceneOnly ? 0 : progress.inTransit)
        case .volunteers:
            return Int64(progress.onScene + (onSceneOnly ? 0 : progress.enRoute))
        case .teams:
            let teams = Set((state.assignmentsByNeed[need.id] ?? []).compactMap { id -> String? in
                let assignment = state.assignments[id]!
                let counts = assignment.status == .onScene || (!onSceneOnly && assignment.status == .enRoute)
                return counts ? assignment.team : nil
            })
            return Int64(teams.count)
        }
    }

    func describe(_ need: Need) -> String {
        switch need.request {
        case .supply(let sku, let quantity): DrillRun.quantity(quantity, sku, in: state)
        case .volunteers(let skill, let count, let hours): "\(count) \(skill) volunteer\(count == 1 ? "" : "s") for \(hours) h"
        case .teams(let specialty, let count, let hours): "\(count) \(specialty) team\(count == 1 ? "" : "s") for \(hours) h"
        }
    }

    /// `delivered 800, in transit 1,200, reserved 0, missing 1,000 of 3,000` (people: on scene,
    /// en route, assigned, missing).
    func progressText(_ need: Need) -> String {
        guard let progress = state.progress(of: need.id) else { return "" }
        let amount = need.request.amount
        switch need.request {
        case .supply:
            return "delivered \(DrillRun.grouped(progress.delivered)), in transit \(DrillRun.grouped(progress.inTransit)), "
                + "reserved \(DrillRun.grouped(progress.reserved)), missing \(DrillRun.grouped(progress.missing)) of \(DrillRun.grouped(amount))"
        case .volunteers:
            let assigned = progress.met - Int64(progress.onScene + progress.enRoute)
            return "on scene \(progress.onScene), en route \(progress.enRoute), assigned \(assigned), missing \(progress.missing) of \(amount)"
        case .teams:
            let there = arrivedOrLeft(need, onSceneOnly: true), left = arrivedOrLeft(need, onSceneOnly: false)
            return "on scene \(there), en route \(left - there), assigned \(progress.met - left), missing \(progress.missing) of \(amount) teams"
        }
    }

    /// What in `entries` moved stock of `key`, in words.
    func cause(of key: StockKey, in entries: [Entry]) -> String? {
        for entry in entries.reversed() {
            switch entry.event {
            case .allocationReserved(let allocation) where allocation.warehouse == key.warehouse && allocation.sku == key.item:
                return "\(allocation.id) reserved \(DrillRun.grouped(allocation.quantity)) for \(allocation.need) (\(allocation.incident))"
            case .lotIssued(let warehouse, let lot, let quantity, let recipient, _) where warehouse == key.warehouse && state.lots[lot]?.sku == key.item:
                return "\(DrillRun.grouped(quantity)) were issued" + (recipient.map { " to \($0)" } ?? "")
            case .lotTransferred(let from, let to, let lot, let quantity, _) where from == key.warehouse && state.lots[lot]?.sku == key.item:
                return "\(DrillRun.grouped(quantity)) were transferred to \(to)"
            case .lotAdjusted(let warehouse, let lot, let delta, let reason, _) where warehouse == key.warehouse && state.lots[lot]?.sku == key.item:
                return "a count was adjusted by \(delta) (\(reason.rawValue))"
            default:
                continue
            }
        }
        return nil
    }

    /// `1,200 bottle of water-5l`.
    static func quantity(_ value: Int64, _ sku: String, in state: State) -> String {
        "\(grouped(value)) \(state.items[sku]?.unit ?? "units") of \(sku)"
    }

    /// 12000 → `12,000`.
    static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// `a, b, c and 4 more`.
    static func listed(_ names: [String], limit: Int = 8) -> String {
        let shown = names.prefix(limit).joined(separator: ", ")
        return names.count > limit ? shown + " and \(names.count - limit) more" : shown
    }
}
