import ReliefCore
import ReliefProtocol

/// Schedules of daily needs and a need's reach (issue 11). A supply asked for every day is added as
/// one need a day — `need add … per_day=Q days=N`, or `need estimate … days=N accept` for the daily
/// standards — day k due 24 hours after day k − 1, so that the matcher, ranking by priority and
/// then deadline, serves day 1 of every incident before day 2 of any. Each day is a need of its own
/// (changed, met, cancelled alone); `need cancel … series=all|rest` cancels the open days together.
/// `reach=` says how far a plan may look for a need (`ReachTier`; the matcher reads `Need.reach`).
extension Arguments {
    /// `days=` of a schedule: 1 to `NeedSchedule.maximumDays`.
    static func scheduleDays(_ text: String) throws -> Int {
        guard let days = Int(text), (1...NeedSchedule.maximumDays).contains(days) else {
            throw Refusal(.syntax, "bad days \"\(text)\"; expected whole days from 1 to \(NeedSchedule.maximumDays) (one need a day)")
        }
        return days
    }

    /// `reach=`: a tier's name, or `default` for the configured one.
    static func reach(_ text: String) throws -> Need.ReachChange {
        guard let change = Need.ReachChange(name: text) else {
            throw Refusal(.syntax, "bad reach \"\(text)\"; expected one of \(ReachTier.names) (how far a plan may look for the need), or \(Need.ReachChange.defaultName) for the configured reach")
        }
        return change
    }

    /// The quantity of a supply need: the word QTY or `qty=`; or, with `per_day=Q days=N`, the
    /// quantity of each of N days (`days` set). All N days together stay within `Quantity.maximum`.
    func supplyQuantity(word: String?) throws -> (quantity: Int64, days: Int?) {
        let qty = option("qty"), perDay = option("per_day"), daysText = option("days")
        if let perDay {
            if word != nil || qty != nil {
                throw Refusal(.syntax, "per_day= is the quantity of each day of a schedule; give per_day=Q days=N or one quantity (QTY or qty=), not both")
            }
            guard let daysText else {
                throw Refusal(.syntax, "per_day= goes with days=N, how many daily needs to add (1 to \(NeedSchedule.maximumDays))")
            }
            let each = try Arguments.quantity(perDay, "per_day")
            let days = try Arguments.scheduleDays(daysText)
            let (total, overflow) = each.multipliedReportingOverflow(by: Int64(days))
            guard !overflow, total <= Quantity.maximum else {
                throw Refusal(.limit, "per_day=\(each) × days=\(days) asks for more than \(Quantity.maximum) in all, the most a need may ask for; expected a smaller per_day= or fewer days")
            }
            return (each, days)
        }
        if daysText != nil {
            throw Refusal(.syntax, "days= goes with per_day=Q, the quantity of each day; for one need give its quantity (QTY or qty=) without days=")
        }
        switch (word, qty) {
        case (_?, _?): throw Refusal(.syntax, "give the quantity once: QTY or qty=, not both")
        case (let text?, nil): return (try Arguments.quantity(text), nil)
        case (nil, let text?): return (try Arguments.quantity(text, "qty"), nil)
        case (nil, nil): throw Refusal(.syntax, "missing quantity; expected QTY, qty=QTY, or per_day=QTY days=N; usage: \(usage)")
        }
    }
}

extension Engine {
    /// `NAME-d1` … `NAME-dN`, the refs of a schedule added with `ref=NAME`; refused, adding
    /// nothing, when one is too long or taken.
    func scheduleRefs(_ name: String, days: Int) throws -> [String] {
        try (1...days).map { day in
            let ref = "\(name)-d\(day)"
            guard Arguments.isIdentifier(ref), !Need.looksLikeID(ref) else {
                throw Refusal(.syntax, "bad ref \"\(name)\": the ref \(ref) of day \(day) is longer than 64 bytes; expected a shorter name")
            }
            if let other = state.needByRef[ref] {
                throw Refusal(.conflict, "ref \(ref) (day \(day) of ref=\(name)) is need \(other) already; refs are never reused, nothing added, expected another name")
            }
            return ref
        }
    }

    /// The deadline of each day of a schedule whose first day is due at `first`.
    static func scheduleDeadlines(first: Timestamp, days: Int) throws -> [Timestamp] {
        try (1...days).map { day in
            guard let time = NeedSchedule.deadline(first: first, day: day) else {
                throw Refusal(.syntax, "by=\(first.iso8601) leaves no room for \(days) days after it; expected an earlier first deadline")
            }
            return time
        }
    }

    /// Needs in the order given, except that the days of a schedule stand together, in day order,
    /// where its first day in the list stands (so a schedule reads as one block in `need list`).
    static func seriesTogether(_ needs: [Need]) -> [Need] {
        var bySeries: [String: [Need]] = [:]
        for need in needs { if let series = need.schedule?.series { bySeries[series, default: []].append(need) } }
        var out: [Need] = []
        out.reserveCapacity(needs.count)
        for need in needs {
            guard let series = need.schedule?.series else { out.append(need); continue }
            guard let days = bySeries.removeValue(forKey: series) else { continue }
            out += days.sorted { $0.schedule!.day < $1.schedule!.day }
        }
        return out
    }

    /// Why `need` cannot be cancelled now (goods on the road, people on scene), in words; empty
    /// when it can.
    func cancellationProblems(_ need: Need) -> [String] {
        var problems: [String] = []
        let inTransit = state.allocationList(need: need.id).filter { $0.status == .dispatched }
        if !inTransit.isEmpty {
            problems.append("goods in transit: " + Engine.listed(inTransit.map(describe))
                            + " (allocation deliver when they arrive, or allocation release to bring them back)")
        }
        let onScene = state.assignmentList(need: need.id).filter { $0.status == .onScene }
        if !onScene.isEmpty {
            problems.append("people on scene: " + Engine.listed(onScene.map(describe)) + " (assignment release when they stand down)")
        }
        return problems
    }

    /// Cancels an open need that `cancellationProblems` found nothing against: releases its
    /// reserved allocations and its people not yet on scene, then cancels it. Returns what was
    /// released.
    func cancel(_ need: Need, reason: String?) -> (allocations: [String], assignments: [String]) {
        let why = "need \(need.id) cancelled" + (reason.map { ": \($0)" } ?? "")
        let released = state.allocationList(need: need.id).filter { $0.status == .reserved }
        let standDown = state.assignmentList(need: need.id).filter { $0.status == .assigned || $0.status == .enRoute }
        for allocation in released { emit(.allocationReleased(id: allocation.id, reason: why)) }
        for assignment in standDown { emit(.assignmentReleased(id: assignment.id, reason: why)) }
        emit(.needCancelled(id: need.id, reason: reason))
        return (released.map(\.id), standDown.map(\.id))
    }

    /// `need cancel NEED series=all|rest`: every open day of the need's schedule, or this day and
    /// the later ones; refused whole, cancelling nothing, when one of them cannot be cancelled yet.
    func cancelSeries(_ word: String, scope: String, reason: String?) throws -> Reply {
        guard scope == "all" || scope == "rest" else {
            throw Refusal(.syntax, "bad series \"\(scope)\"; expected all (every open day of the need's schedule) or rest (this day and the later ones)")
        }
        // Named by any of its days, even one already cancelled (the series id is the natural name).
        let named = try need(word)
        guard let schedule = named.schedule else {
            throw Refusal(.conflict, "need \(named.id) is not one day of a schedule; series= is for needs added with per_day= days= or by need estimate … days=N accept; cancel it alone with need cancel \(named.id)")
        }
        _ = try liveIncident(named.incident)
        let days = (state.needSeries[schedule.series] ?? []).compactMap { state.needs[$0] }
        let targets = days.filter { $0.status == .open && (scope == "all" || $0.schedule!.day >= schedule.day) }
        guard !targets.isEmpty else {
            throw Refusal(.conflict, "series \(schedule.series) has no open day " + (scope == "all" ? "left" : "from day \(schedule.day) on") + " to cancel")
        }
        var problems: [String] = []
        var blocked: [Int] = []
        for need in targets {
            let found = cancellationProblems(need)
            guard !found.isEmpty else { continue }
            blocked.append(need.schedule!.day)
            problems.append("day \(need.schedule!.text) \(need.id): " + found.joined(separator: "; "))
        }
        if !problems.isEmpty {
            var message = "series \(schedule.series) cannot be cancelled yet, nothing cancelled: " + problems.joined(separator: "; ")
            if let later = targets.first(where: { $0.schedule!.day > blocked.max()! }) {
                message += "; to cancel the days after, need cancel \(later.id) series=rest"
            }
            throw Refusal(.conflict, message)
        }
        var cancelled: [String] = [], allocations: [String] = [], assignments: [String] = []
        for need in targets {
            let released = cancel(need, reason: reason)
            cancelled.append(need.id)
            allocations += released.allocations
            assignments += released.assignments
        }
        return .ok(["need": named.id, "series": schedule.series, "status": NeedStatus.cancelled.rawValue,
                    "cancelled": cancelled.joined(separator: ","),
                    "released_allocations": allocations.joined(separator: ","),
                    "released_assignments": assignments.joined(separator: ",")])
    }
}
