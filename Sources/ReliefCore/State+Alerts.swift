/// Applying the alert events, keeping alerts in snapshots, and finding what holds now.
extension State {
    public var nextAlertID: String { State.sequentialID("A", alertsRaised + 1) }

    mutating func applyAlerts(_ entry: Entry) throws {
        func fail(_ message: String) -> InvariantViolation { InvariantViolation(seq: entry.seq, message: message) }
        switch entry.event {
        case .alertRaised(var alert):
            guard alerts[alert.id] == nil else { throw fail("alert \(alert.id) exists") }
            guard alertByKey[alert.key] == nil else { throw fail("an alert for \(alert.key) is raised already") }
            alert.raisedAt = entry.time
            alerts[alert.id] = alert
            alertByKey[alert.key] = alert.id
            alertsRaised += 1
        case .alertCleared(let id, _):
            guard let alert = alerts[id] else { throw fail("alert \(id) is not raised") }
            alerts[id] = nil
            alertByKey[alert.key] = nil
        case .alertAcknowledged(let id, let note):
            guard alerts[id] != nil else { throw fail("alert \(id) is not raised") }
            let user = entry.actor.firstIndex(of: " ").map { String(entry.actor[..<$0]) } ?? entry.actor
            alerts[id]!.acknowledgedBy = user
            alerts[id]!.acknowledgedAt = entry.time
            alerts[id]!.acknowledgedNote = note
        default:
            throw fail("\(entry.event.kind) is not an alert event")
        }
    }

    func alertSnapshotLines(_ emit: (FlatJSON) -> Void) {
        var counter = FlatJSON()
        counter.set("t", "alerts_raised"); counter.set("count", alertsRaised)
        emit(counter)
        for alert in alerts.values.sorted(by: { State.creationOrder($0.id, $1.id) }) {
            var json = Event.alertRaised(alert).body
            json.pairs.insert(("t", .string("alert")), at: 0)
            json.set("raised", alert.raisedAt.milliseconds)
            json.set("ack_by", alert.acknowledgedBy)
            if let at = alert.acknowledgedAt { json.set("ack_at", at.milliseconds) }
            json.set("ack_note", alert.acknowledgedNote)
            emit(json)
        }
    }

    mutating func loadAlertRecord(_ type: String, _ record: FlatJSON) throws {
        switch type {
        case "alerts_raised":
            alertsRaised = Int(try record.int("count"))
        default:
            guard case .alertRaised(var alert) = try Event(kind: "alert.raised", body: record) else { return }
            guard alerts[alert.id] == nil, alertByKey[alert.key] == nil else { throw FlatJSON.DecodingError.invalid("alert \(alert.id) given twice") }
            alert.raisedAt = Timestamp(milliseconds: try record.int("raised"))
            alert.acknowledgedBy = try record.optionalString("ack_by")
            alert.acknowledgedAt = try record.optionalInt("ack_at").map(Timestamp.init(milliseconds:))
            alert.acknowledgedNote = try record.optionalString("ack_note")
            alerts[alert.id] = alert
            alertByKey[alert.key] = alert.id
        }
    }

    /// Raised alerts, oldest first.
    public var alertList: [Alert] { alerts.values.sorted { State.creationOrder($0.id, $1.id) } }

    // MARK: what holds now

    /// The conditions of `kind` that hold at `now`, over every subject (`subjects` nil) or those
    /// given; and when the kind must be looked at whole again because a time will pass (nil: only
    /// when something changes).
    public func alertFindings(_ kind: AlertKind, subjects: Set<String>?, now: Timestamp,
                              thresholds: AlertThresholds) -> (findings: [AlertFinding], lookAgainBy: Timestamp?) {
        var findings: [AlertFinding] = []
        var lookAgainBy: Timestamp?
        func again(_ time: Timestamp) { if time > now, lookAgainBy.map({ time < $0 }) ?? true { lookAgainBy = time } }
        let today = now.day
        let tomorrow = Timestamp(milliseconds: Int64(today.daysSinceEpoch + 1) * State.dayMilliseconds)
        switch kind {
        case .stockLow:
            func check(_ warehouse: String, _ sku: String, _ minimum: Int64) {
                let available = stock[warehouse]?[sku]?.available ?? 0
                guard available < minimum else { return }
                let unit = items[sku]?.unit ?? ""
                findings.append(AlertFinding(kind: kind, subject: warehouse + ":" + sku,
                                             message: "\(warehouseLabel(warehouse)): \(available) \(unit) of \(itemLabel(sku)) available, below the minimum of \(minimum)",
                                             warehouse: warehouse, incident: nil))
            }
            if let subjects {
                for subject in subjects {
                    guard let colon = subject.firstIndex(of: ":") else { continue }
                    let warehouse = String(subject[..<colon]), sku = String(subject[subject.index(after: colon)...])
                    if let minimum = minimums[warehouse]?[sku] { check(warehouse, sku, minimum) }
                }
            } else {
                for (warehouse, levels) in minimums { for (sku, minimum) in levels { check(warehouse, sku, minimum) } }
            }
        case .lotExpiring:
            let horizon = today.adding(days: thresholds.lotExpiryDays)
            func check(_ warehouse: String, _ code: String, _ holding: Holding) {
                guard holding.onHand > 0, let lot = lots[code], let expires = lot.expires, expires <= horizon else { return }
                let when = State.expiryText(expires, today: today)
                findings.append(AlertFinding(kind: kind, subject: warehouse + ":" + code,
                                             message: "lot \(code) of \(itemLabel(lot.sku)) in \(warehouseLabel(warehouse)), \(holding.onHand) on hand (\(holding.reserved) reserved): \(when)",
                                             warehouse: warehouse, incident: nil))
            }
            if let subjects {
                for subject in subjects {
                    guard let colon = subject.firstIndex(of: ":") else { continue }
                    let warehouse = String(subject[..<colon]), code = String(subject[subject.index(after: colon)...])
                    if let sku = lots[code]?.sku, let holding = stock[warehouse]?[sku]?.lots[code] { check(warehouse, code, holding) }
                }
            } else {
                for (warehouse, skus) in stock { for skuStock in skus.values { for (code, holding) in skuStock.lots { check(warehouse, code, holding) } } }
            }
            again(tomorrow)
        case .certificationExpiring:
            let horizon = today.adding(days: thresholds.certificationDays)
            for team in teams.values where team.state == .active {
                for member in team.members {
                    guard let volunteer = volunteers[member] else { continue }
                    for certification in volunteer.certifications.values where certification.expires <= horizon {
                        let when = State.expiryText(certification.expires, today: today)
                        findings.append(AlertFinding(kind: kind, subject: member + ":" + certification.skill,
                                                     message: "\(volunteer.profile.name) (\(member), team \(team.id)): \(certification.skill) certification \(when)",
                                                     warehouse: nil, incident: nil))
                    }
                }
            }
            again(tomorrow)
        case .needOverdue:
            for need in needs.values where need.status == .open {
                guard let incident = incidents[need.incident], incident.status != .closed else { continue }
                guard need.neededBy <= now else { again(need.neededBy); continue }
                guard let progress = progress(of: need.id) else { continue }
                let what: String
                let arrived: Int64
                switch need.request {
                case .supply(let sku, let quantity):
                    arrived = progress.delivered
                    what = "\(quantity) \(itemLabel(sku))"
                    guard arrived < progress.amount else { continue }
                    findings.append(AlertFinding(kind: kind, subject: need.id,
                                                 message: "need \(need.id) of \(need.incident) (\(what), priority \(need.priority)) was due \(need.neededBy.iso8601), \(State.ageText(now.milliseconds - need.neededBy.milliseconds)) ago: delivered \(progress.delivered), in transit \(progress.inTransit), reserved \(progress.reserved), missing \(progress.missing)",
                                                 warehouse: nil, incident: need.incident))
                case .volunteers(let skill, let count, _):
                    arrived = Int64(progress.onScene)
                    what = "\(count) \(skill)"
                    guard arrived < progress.amount else { continue }
                    findings.append(AlertFinding(kind: kind, subject: need.id,
                                                 message: "need \(need.id) of \(need.incident) (\(what) volunteers, priority \(need.priority)) was due \(need.neededBy.iso8601), \(State.ageText(now.milliseconds - need.neededBy.milliseconds)) ago: on scene \(progress.onScene), en route \(progress.enRoute), missing \(progress.missing)",
                                                 warehouse: nil, incident: need.incident))
                case .teams(let specialty, let count, _):
                    arrived = Int64(progress.onScene)
                    what = "\(count) \(specialty)"
                    guard progress.missing > 0 || arrived == 0 else { continue }
                    findings.append(AlertFinding(kind: kind, subject: need.id,
                                                 message: "need \(need.id) of \(need.incident) (\(what) teams, priority \(need.priority)) was due \(need.neededBy.iso8601), \(State.ageText(now.milliseconds - need.neededBy.milliseconds)) ago: missing \(progress.missing), members on scene \(progress.onScene)",
                                                 warehouse: nil, incident: need.incident))
                }
            }
        case .deliveryLate:
            let limit = Int64(thresholds.deliveryMinutes) * 60_000
            func check(_ allocation: Allocation) {
                guard allocation.status == .dispatched else { return }
                let due = Timestamp(milliseconds: allocation.updatedAt.milliseconds &+ limit)
                guard due <= now else { again(due); return }
                findings.append(AlertFinding(kind: kind, subject: allocation.id,
                                             message: "allocation \(allocation.id): \(allocation.quantity) \(itemLabel(allocation.sku)) (lot \(allocation.lot)) from \(warehouseLabel(allocation.warehouse)) to \(allocation.incident) dispatched \(allocation.updatedAt.iso8601), \(State.ageText(now.milliseconds - allocation.updatedAt.milliseconds)) ago, not delivered (expected within \(State.ageText(limit)))",
                                             warehouse: allocation.warehouse, incident: allocation.incident))
            }
            if let subjects {
                for id in subjects { if let allocation = allocations[id] { check(allocation) } }
            } else {
                for allocation in allocations.values { check(allocation) }
            }
        case .dutyHours:
            for id in onDuty {
                guard let volunteer = volunteers[id], let since = volunteer.onDutySince else { continue }
                let worked = dutyMillisecondsInLastDay(of: volunteer, at: now)
                let limit = Int64(volunteer.profile.maxDutyHoursPerDay) * State.hourMilliseconds
                guard worked > limit else { again(Timestamp(milliseconds: now.milliseconds + (limit - worked) + 1)); continue }
                findings.append(AlertFinding(kind: kind, subject: id,
                                             message: "\(volunteer.profile.name) (\(id)) has been on duty \(State.hoursText(worked)) h in the last 24 h, limit \(volunteer.profile.maxDutyHoursPerDay) h; on duty since \(since.iso8601)" + (volunteer.onDutyIncident.map { " at \($0)" } ?? ""),
                                             warehouse: nil, incident: volunteer.onDutyIncident))
            }
        case .planUnapplied:
            let limit = Int64(thresholds.planMinutes) * 60_000
            // Newest first: a plan is superseded by a newer one of its incident, or any newer plan
            // over every open need (as `plan apply` refuses superseded plans).
            var current: [Plan] = []
            var sawGlobal = false
            var seen = Set<String>()
            for plan in plans.values.sorted(by: { State.creationOrder($1.id, $0.id) }) {
                if sawGlobal { break }
                if let incident = plan.incident {
                    if seen.insert(incident).inserted { current.append(plan) }
                } else {
                    sawGlobal = true
                    current.append(plan)
                }
            }
            for plan in current where plan.status == .proposed && !plan.lines.isEmpty {
                let due = Timestamp(milliseconds: plan.createdAt.milliseconds &+ limit)
                guard due <= now else { again(due); continue }
                let left = plan.lines.count - plan.appliedLines.count
                findings.append(AlertFinding(kind: kind, subject: plan.id,
                                             message: "plan \(plan.id) for \(plan.incident ?? "every open need") proposed \(plan.createdAt.iso8601), \(State.ageText(now.milliseconds - plan.createdAt.milliseconds)) ago: \(left) of \(plan.lines.count) lines not applied, \(plan.unmet.count) needs left unmet",
                                             warehouse: nil, incident: plan.incident))
            }
        }
        return (findings, lookAgainBy)
    }

    /// What to journal for `kind`, given what holds (`findings`, over `subjects` or every
    /// subject): raise what holds and is not raised, clear what is raised and no longer holds.
    public func alertChanges(_ kind: AlertKind, subjects: Set<String>?, findings: [AlertFinding]) -> (raise: [AlertFinding], clear: [Alert]) {
        let holding = Set(findings.map(\.key))
        let raise = findings.filter { alertByKey[$0.key] == nil }
        var clear: [Alert] = []
        if let subjects {
            for subject in subjects {
                if let id = alertByKey[Alert.key(kind, subject)], !holding.contains(Alert.key(kind, subject)), let alert = alerts[id] { clear.append(alert) }
            }
        } else {
            for alert in alerts.values where alert.kind == kind && !holding.contains(alert.key) { clear.append(alert) }
        }
        return (raise.sorted { $0.key < $1.key }, clear.sorted { State.creationOrder($0.id, $1.id) })
    }

    /// Why an alert's condition no longer holds, as far as the state tells.
    public func alertClearReason(_ alert: Alert) -> String {
        switch alert.kind {
        case .stockLow:
            let parts = alert.subject.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let minimum = minimums[parts[0]]?[parts[1]] else { return "the minimum level was cleared" }
            return "\(stock[parts[0]]?[parts[1]]?.available ?? 0) available, minimum \(minimum)"
        case .lotExpiring:
            return "no stock of the lot left in the warehouse"
        case .certificationExpiring:
            let parts = alert.subject.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let volunteer = volunteers[parts[0]] else { return "no longer on the roster" }
            guard let team = volunteer.team, teams[team]?.state == .active else { return "no longer a member of an active team" }
            guard let certification = volunteer.certifications[parts[1]] else { return "certification revoked" }
            return "renewed until \(certification.expires.iso8601)"
        case .needOverdue:
            guard let need = needs[alert.subject] else { return "the need is gone" }
            if need.status == .cancelled { return "need cancelled" }
            if incidents[need.incident]?.status == .closed { return "incident closed" }
            return "met, or its deadline moved to \(need.neededBy.iso8601)"
        case .deliveryLate:
            return "allocation \(allocations[alert.subject]?.status.rawValue ?? "gone")"
        case .dutyHours:
            return volunteers[alert.subject]?.onDutySince == nil ? "off duty" : "within the hours allowed"
        case .planUnapplied:
            guard let plan = plans[alert.subject] else { return "the plan is gone" }
            return plan.status == .proposed ? "a newer plan was proposed" : "plan \(plan.status.rawValue)"
        }
    }

    func warehouseLabel(_ id: String) -> String {
        warehouses[id].map { "\($0.name) (\(id))" } ?? id
    }

    func itemLabel(_ sku: String) -> String { sku }

    /// "expires 2026-12-20, in 14 days", "expires today", "expired 2026-12-01, 5 days ago".
    static func expiryText(_ expires: Day, today: Day) -> String {
        let days = Int(expires.daysSinceEpoch - today.daysSinceEpoch)
        if days < 0 { return "expired \(expires.iso8601), \(-days) days ago" }
        return days == 0 ? "expires today" : "expires \(expires.iso8601), in \(days) days"
    }

    /// A duration for people: 45 min, 3 h, 2 d 4 h.
    public static func ageText(_ milliseconds: Int64) -> String {
        let minutes = max(milliseconds, 0) / 60_000
        if minutes < 60 { return "\(minutes) min" }
        let hours = minutes / 60
        if hours < 48 { return minutes % 60 == 0 || hours >= 10 ? "\(hours) h" : "\(hours) h \(minutes % 60) min" }
        return "\(hours / 24) d \(hours % 24) h"
    }
}
