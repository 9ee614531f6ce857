import ReliefCore
import ReliefProtocol

/// Incident, need, allocation and assignment commands (issue 4). Operator commands: none of them
/// shows personal data. Allocations and assignments are in Engine+Allocation.swift.
extension Engine {
    static let incidentCommands: [Command] = incidentOnlyCommands + needCommands + allocationCommands + assignmentCommands

    static let incidentOnlyCommands: [Command] = [
        Command(words: ["incident", "open"],
                usage: "incident open ID title=TEXT kind=\(IncidentKind.allCases.map(\.rawValue).joined(separator: "|")) at=LAT,LON region=PATH severity=1..5 [affected=N]",
                summary: "open an incident (affected: people affected, 0 until known)", mutating: true, access: .write(.incidents, .regionOption("region"))) { engine, args, context in
            try args.expect(positionals: 1...1, options: ["title", "kind", "at", "region", "severity", "affected"])
            let id = try Arguments.identifier(try args.positional(0, "incident id"), "incident id")
            let title = try Arguments.text(try args.requiredOption("title", "TEXT"), "title")
            let kind = try Arguments.choice(try args.requiredOption("kind", "KIND"), "kind", IncidentKind.self)
            let location = try Arguments.coordinate(try args.requiredOption("at", "LAT,LON"), "at")
            let region = try Arguments.regionPath(try args.requiredOption("region", "PATH"))
            let severity = try Arguments.severity(try args.requiredOption("severity", "1..5"))
            let affected = try args.option("affected").map(Arguments.affected) ?? 0
            guard engine.state.regions[region] != nil else { throw Refusal(.notFound, "region \(region) not found; see region list") }
            guard engine.state.incidents[id] == nil else { throw Refusal(.conflict, "incident \(id) already exists; expected a new id") }
            engine.emit(.incidentOpened(Incident(id: id, title: title, kind: kind, location: location, region: region, severity: severity,
                                                 affected: affected, openedAt: context.now, exercise: engine.exercise)))
            var fields: Fields = ["incident": id, "status": IncidentStatus.open.rawValue]
            if engine.exercise { fields.append("exercise", "yes") }
            return .ok(fields)
        },

        Command(words: ["incident", "update"], usage: "incident update ID [title=TEXT] [severity=1..5] [affected=N] [note=TEXT]",
                summary: "change an incident's title, severity or people affected, or add a note to its timeline", mutating: true, access: .write(.incidents, .incident(0))) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["title", "severity", "affected", "note"])
            let incident = try engine.incident(try args.positional(0, "incident id"))
            let title = try args.option("title").map { try Arguments.text($0, "title") }
            let severity = try args.option("severity").map(Arguments.severity)
            let affected = try args.option("affected").map(Arguments.affected)
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            guard title != nil || severity != nil || affected != nil || note != nil else {
                throw Refusal(.syntax, "nothing to update; usage: \(args.usage)")
            }
            guard incident.status != .closed else { throw Refusal(.conflict, "incident \(incident.id) is closed; a closed incident takes no changes") }
            let newTitle = title == incident.title ? nil : title
            let newSeverity = severity == incident.severity ? nil : severity
            let newAffected = affected == incident.affected ? nil : affected
            guard newTitle != nil || newSeverity != nil || newAffected != nil || note != nil else {
                return .ok(["incident": incident.id, "changed": "no"])
            }
            engine.emit(.incidentUpdated(id: incident.id, title: newTitle, severity: newSeverity, affected: newAffected, note: note))
            return .ok(["incident": incident.id, "changed": "yes"])
        },

        Command(words: ["incident", "status"], usage: "incident status ID active|contained|closed [note=TEXT]",
                summary: "move an incident on: open → active → contained → closed (closing needs every supply delivered or released and every person released)",
                mutating: true, access: .write(.incidents, .incident(0))) { engine, args, _ in
            try args.expect(positionals: 2...2, options: ["note"])
            let incident = try engine.incident(try args.positional(0, "incident id"))
            let status = try Arguments.choice(try args.positional(1, "status"), "status", IncidentStatus.self)
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            guard status.rank > incident.status.rank else {
                throw Refusal(.conflict, "incident \(incident.id) is \(incident.status.rawValue); a status only moves forward: open → active → contained → closed")
            }
            if status == .closed {
                let blockers = engine.state.closingBlockers(of: incident.id)
                var problems: [String] = []
                if !blockers.allocations.isEmpty {
                    problems.append("supplies not yet delivered: " + Engine.listed(blockers.allocations.map(engine.describe))
                                    + " (allocation deliver or allocation release)")
                }
                if !blockers.assignments.isEmpty {
                    problems.append("people still assigned: " + Engine.listed(blockers.assignments.map(engine.describe)) + " (assignment release)")
                }
                if !problems.isEmpty {
                    throw Refusal(.conflict, "incident \(incident.id) cannot close: " + problems.joined(separator: "; "))
                }
            }
            engine.emit(.incidentStatusSet(id: incident.id, status: status, note: note))
            return .ok(["incident": incident.id, "status": status.rawValue])
        },

        Command(words: ["incident", "list"], usage: "incident list [status=open|active|contained|closed] [region=PATH]",
                summary: "incidents with their needs: how many, how many open, how many not fully met", mutating: false, access: .read(.incidents), listing: .standard) { engine, args, _ in
            try args.expect(positionals: 0...0, options: ["status", "region"])
            let status = try args.option("status").map { try Arguments.choice($0, "status", IncidentStatus.self) }
            let region = try args.option("region").map(Arguments.regionPath)
            if let region, engine.state.regions[region] == nil { throw Refusal(.notFound, "region \(region) not found; see region list") }
            return .rows(engine.state.incidents.values
                .filter { (status == nil || $0.status == status) && (region == nil || State.region($0.region, isWithin: region!)) }
                .sorted { $0.id < $1.id }
                .map(engine.incidentFields))
        },

        Command(words: ["incident", "show"], usage: "incident show ID",
                summary: "the whole picture: the incident, each need with what is met, in transit, delivered, missing and why, then allocations and assignments",
                mutating: false, access: .read(.incidents), listing: .picture) { engine, args, _ in
            try args.expect(positionals: 1...1, options: [])
            let incident = try engine.incident(try args.positional(0, "incident id"))
            var rows: [Fields] = []
            var head: Fields = ["record": "incident", "id": incident.id, "what": incident.title, "kind": incident.kind.rawValue,
                                "status": incident.status.rawValue, "severity": String(incident.severity),
                                "affected": String(incident.affected), "region": incident.region, "at": incident.location.text]
            head.append("opened", incident.openedAt.iso8601)
            if incident.exercise { head.append("exercise", "yes") }
            rows.append(head)
            for need in Engine.seriesTogether(incident.needs.map { engine.state.needs[$0]! }) { rows.append(engine.needFields(need, record: true)) }
            for allocation in engine.state.allocationList(incident: incident.id) {
                rows.append(["record": "allocation", "id": allocation.id, "what": allocation.sku, "status": allocation.status.rawValue,
                             "amount": String(allocation.quantity), "unit": engine.state.items[allocation.sku]?.unit ?? "",
                             "need": allocation.need, "ref": engine.needRef(allocation.need), "from": "\(allocation.warehouse)/\(allocation.lot)"])
            }
            for assignment in engine.state.assignmentList(incident: incident.id) {
                var row: Fields = ["record": "assignment", "id": assignment.id, "what": engine.needWhat(engine.state.needs[assignment.need]!).what,
                                   "status": assignment.status.rawValue, "need": assignment.need, "ref": engine.needRef(assignment.need),
                                   "volunteer": assignment.volunteer,
                                   "team": assignment.team ?? ""]
                row.append("hours", assignment.status == .released ? State.hoursText(assignment.hoursMilliseconds) : "")
                rows.append(row)
            }
            return .rows(rows)
        },

        Command(words: ["incident", "timeline"], usage: "incident timeline ID [limit=1000]",
                summary: "the incident's log: every change to it, its needs, allocations and assignments, oldest first (the newest limit= lines)",
                mutating: false, access: .read(.incidents), listing: .standard) { engine, args, context in
            try args.expect(positionals: 1...1, options: [])
            let incident = try engine.incident(try args.positional(0, "incident id"))
            return Engine.newest(incident.timeline, limit: context.limit) { line in
                ["seq": String(line.seq), "time": line.time.iso8601, "actor": line.actor, "text": line.text]
            }
        },
    ]

    // MARK: needs

    static let needCommands: [Command] = [
        Command(words: ["need", "add"],
                usage: "need add INCIDENT (supply SKU QTY | item=SKU qty=QTY | supply SKU per_day=QTY days=N | item=SKU per_day=QTY days=N | volunteers SKILL COUNT hours=N | team SPECIALTY COUNT hours=N) [priority=1..5] [by=DATE|DATETIME|12h] [note=TEXT] [ref=NAME] [reach=\(ReachTier.allCases.map(\.name).joined(separator: "|"))]",
                summary: "add a need to an incident (priority 3 and by now + 24 h unless given; per_day=Q days=N: one need a day for N days, each due 24 h after the one before; ref: a name of your own for it, usable wherever a need id is, NAME-d1 … NAME-dN for days; reach: how far a plan may look, the configured default unless given)",
                mutating: true, access: .write(.incidents, .incident(0))) { engine, args, context in
            try args.expect(positionals: 1...4, options: ["hours", "priority", "by", "note", "ref", "item", "qty", "per_day", "days", "reach"])
            let incident = try engine.incident(try args.positional(0, "incident id"))
            let request: NeedRequest
            var days: Int?
            if let itemText = args.option("item") {
                guard args.positionalCount == 1 else {
                    throw Refusal(.syntax, "item= names a supply need's item in place of the words supply SKU QTY; give one or the other, e.g. need add \(incident.id) item=\(itemText) qty=100")
                }
                if args.option("hours") != nil { throw Refusal(.syntax, "hours= is for volunteers and team needs, not supply") }
                let item = try engine.item(itemText)
                let amount = try args.supplyQuantity(word: nil)
                request = .supply(sku: item.sku, quantity: amount.quantity)
                days = amount.days
            } else {
                guard args.positionalCount >= 2 else {
                    throw Refusal(.syntax, "missing the need; expected supply SKU QTY, item=SKU qty=QTY, item=SKU per_day=QTY days=N, volunteers SKILL COUNT hours=N or team SPECIALTY COUNT hours=N; usage: \(args.usage)")
                }
                let type = try args.positional(1, "need type").lowercased()
                let subject = try args.positional(2, type == "supply" ? "item" : type.hasPrefix("volunteer") ? "skill" : "specialty")
                if type != "supply" {
                    for key in ["qty", "per_day", "days"] where args.option(key) != nil {
                        throw Refusal(.syntax, "\(key)= is for supply needs; a \(type) need takes COUNT and hours=N")
                    }
                }
                switch type {
                case "supply":
                    if args.option("hours") != nil { throw Refusal(.syntax, "hours= is for volunteers and team needs, not supply") }
                    let item = try engine.item(subject)
                    let amount = try args.supplyQuantity(word: args.optionalPositional(3))
                    request = .supply(sku: item.sku, quantity: amount.quantity)
                    days = amount.days
                case "volunteers", "volunteer":
                    let count = try Arguments.headcount(try args.positional(3, "count"), "count")
                    let hours = try Arguments.needHours(try args.requiredOption("hours", "N"))
                    request = .volunteers(skill: try engine.skill(subject).id, count: Int(count), hours: hours)
                case "team", "teams":
                    let count = try Arguments.headcount(try args.positional(3, "count"), "count")
                    let hours = try Arguments.needHours(try args.requiredOption("hours", "N"))
                    guard engine.state.specialties[subject] != nil else {
                        throw Refusal(.notFound, "specialty \(subject) not found; see specialty list")
                    }
                    request = .teams(specialty: subject, count: Int(count), hours: hours)
                default:
                    throw Refusal(.syntax, "bad need type \"\(type)\"; expected supply, volunteers or team")
                }
            }
            let priority = try args.option("priority").map(Arguments.priority) ?? 3
            let neededBy = try args.option("by").map { try Arguments.deadline($0, now: context.now, zone: engine.timeZone) }
                ?? Timestamp(milliseconds: context.now.milliseconds + Engine.defaultNeedLead)
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            let ref = try args.option("ref").map(Arguments.needRef)
            let reach = try args.option("reach").map(Arguments.reach)?.tier
            guard incident.status != .closed else { throw Refusal(.conflict, "incident \(incident.id) is closed; a closed incident takes no changes") }
            guard let days else {
                if let ref { try engine.checkRefIsNew(ref) }
                let id = engine.state.nextNeedID
                engine.emit(.needAdded(Need(id: id, incident: incident.id, request: request, priority: priority, neededBy: neededBy,
                                            note: note, createdAt: context.now, ref: ref, reach: reach)))
                var fields: Fields = ["need": id, "ref": ref ?? "", "incident": incident.id, "priority": String(priority), "by": neededBy.iso8601]
                if let reach { fields.append("reach", reach.name) }
                return .ok(fields)
            }
            // A schedule: every ref and deadline is checked before the first day is added.
            let refs = try ref.map { try engine.scheduleRefs($0, days: days) }
            let deadlines = try Engine.scheduleDeadlines(first: neededBy, days: days)
            let series = engine.state.nextNeedID
            var ids: [String] = []
            for day in 1...days {
                let id = engine.state.nextNeedID
                engine.emit(.needAdded(Need(id: id, incident: incident.id, request: request, priority: priority, neededBy: deadlines[day - 1],
                                            note: note, createdAt: context.now, ref: refs?[day - 1],
                                            schedule: NeedSchedule(series: series, day: day, days: days), reach: reach)))
                ids.append(id)
            }
            var fields: Fields = ["need": series, "ref": refs?.first ?? "", "incident": incident.id, "priority": String(priority),
                                  "by": neededBy.iso8601, "series": series, "days": String(days), "last_by": deadlines[days - 1].iso8601,
                                  "needs": ids.joined(separator: ",")]
            if let refs { fields.append("refs", refs.joined(separator: ",")) }
            if let reach { fields.append("reach", reach.name) }
            return .ok(fields)
        },

        Command(words: ["need", "change"],
                usage: "need change NEED [qty=N | count=N] [priority=1..5] [by=DATE|DATETIME|12h] [note=TEXT] [reach=\(ReachTier.allCases.map(\.name).joined(separator: "|"))|default]",
                summary: "change a need's amount (not below what is already committed), priority, deadline, note or reach (default: the configured reach); one day of a schedule changes alone", mutating: true, access: .write(.incidents, .need(0))) { engine, args, context in
            try args.expect(positionals: 1...1, options: ["qty", "count", "priority", "by", "note", "reach"])
            let need = try engine.need(try args.positional(0, "need id"))
            var amount: Int64?
            switch (need.request, args.option("qty"), args.option("count")) {
            case (_, _?, _?): throw Refusal(.syntax, "give qty= or count=, not both")
            case (.supply, let text?, nil): amount = try Arguments.quantity(text, "qty")
            case (.supply, nil, _?): throw Refusal(.syntax, "need \(need.id) is a supply need; expected qty=N")
            case (_, nil, let text?): amount = try Arguments.headcount(text, "count")
            case (_, _?, nil): throw Refusal(.syntax, "need \(need.id) asks for people; expected count=N")
            default: break
            }
            let priority = try args.option("priority").map(Arguments.priority)
            let neededBy = try args.option("by").map { try Arguments.deadline($0, now: context.now, zone: engine.timeZone) }
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            let reach = try args.option("reach").map(Arguments.reach)
            guard amount != nil || priority != nil || neededBy != nil || note != nil || reach != nil else {
                throw Refusal(.syntax, "nothing to change; usage: \(args.usage)")
            }
            _ = try engine.openNeed(need.id)
            if let amount, amount < engine.state.committedAmount(of: need.id) {
                let committed = engine.state.committedAmount(of: need.id)
                let holders = need.request.isSupply
                    ? engine.state.allocationList(need: need.id).filter { $0.status.isActive }.map(\.id)
                    : engine.state.assignmentList(need: need.id).filter { $0.status.isActive }.map(\.id)
                throw Refusal(.conflict, "need \(need.id) already has \(committed) committed (\(Engine.listed(holders))); cannot go below \(committed), release some first")
            }
            let newAmount = amount == need.request.amount ? nil : amount
            let newPriority = priority == need.priority ? nil : priority
            let newBy = neededBy == need.neededBy ? nil : neededBy
            let newNote = note == need.note ? nil : note
            let newReach = reach.flatMap { $0.tier == need.reach ? nil : $0 }
            guard newAmount != nil || newPriority != nil || newBy != nil || newNote != nil || newReach != nil else {
                return .ok(["need": need.id, "changed": "no"])
            }
            engine.emit(.needChanged(id: need.id, amount: newAmount, priority: newPriority, neededBy: newBy, note: newNote, reach: newReach))
            let after = engine.state.needs[need.id]!
            var fields: Fields = ["need": need.id, "changed": "yes", "amount": String(after.request.amount), "priority": String(after.priority),
                                  "by": after.neededBy.iso8601]
            if reach != nil { fields.append("reach", after.reach?.name ?? "") }
            return .ok(fields)
        },

        Command(words: ["need", "cancel"], usage: "need cancel NEED [series=all|rest] [reason=TEXT]",
                summary: "cancel a need, releasing its reserved supplies and the people not yet on scene (refused while goods are in transit or people on scene); series=all: every open day of its schedule, series=rest: this day and the later ones",
                mutating: true, access: .write(.incidents, .need(0))) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["reason", "series"])
            let word = try args.positional(0, "need id")
            let reason = try args.option("reason").map { try Arguments.text($0, "reason", max: 500) }
            if let scope = args.option("series") { return try engine.cancelSeries(word, scope: scope, reason: reason) }
            let need = try engine.openNeed(word)
            let problems = engine.cancellationProblems(need)
            if !problems.isEmpty { throw Refusal(.conflict, "need \(need.id) cannot be cancelled yet: " + problems.joined(separator: "; ")) }
            let released = engine.cancel(need, reason: reason)
            return .ok(["need": need.id, "status": NeedStatus.cancelled.rawValue,
                        "released_allocations": released.allocations.joined(separator: ","),
                        "released_assignments": released.assignments.joined(separator: ",")])
        },

        Command(words: ["need", "list"], usage: "need list [incident=ID] [open] [priority=1..5]",
                summary: "needs, most urgent first (the days of a schedule together), with what is met, in transit, delivered, missing and why", mutating: false, access: .read(.incidents), listing: .standard) { engine, args, _ in
            try args.expect(positionals: 0...0, options: ["incident", "priority"], flags: ["open"])
            let incident = try args.option("incident").map { try engine.incident($0).id }
            let priority = try args.option("priority").map(Arguments.priority)
            let openOnly = args.request.hasFlag("open", from: args.first)
            var needs: [Need]
            if openOnly {
                needs = engine.state.openNeeds(incident: incident)
            } else {
                needs = (incident.map { engine.state.incidents[$0]!.needs.compactMap { engine.state.needs[$0] } } ?? Array(engine.state.needs.values))
                    .sorted(by: State.urgency)
            }
            if let priority { needs = needs.filter { $0.priority == priority } }
            return .rows(Engine.seriesTogether(needs).map { engine.needFields($0) })
        },

        Command(words: ["need", "estimate"], usage: "need estimate INCIDENT days=N [accept] [priority=1..5] [by=DATE|DATETIME|12h] [ref=PREFIX]",
                summary: "propose supply needs from people affected by the planning standards (Sphere minimums), a need a day for daily standards; accept adds them (ref=PREFIX names each PREFIX-SKU, PREFIX-SKU-dK for day K)",
                mutating: true, access: .write(.incidents, .incident(0))) { engine, args, context in
            try args.expect(positionals: 1...1, options: ["days", "priority", "by", "ref"], flags: ["accept"])
            let incident = try engine.incident(try args.positional(0, "incident id"))
            let daysText = try args.requiredOption("days", "N")
            guard let days = Int(daysText), (1...Engine.maximumEstimateDays).contains(days) else {
                throw Refusal(.syntax, "bad days \"\(daysText)\"; expected whole days from 1 to \(Engine.maximumEstimateDays) (daily standards give one need a day)")
            }
            let accept = args.request.hasFlag("accept", from: args.first)
            let priority = try args.option("priority").map(Arguments.priority)
            let neededBy = try args.option("by").map { try Arguments.deadline($0, now: context.now, zone: engine.timeZone) }
            let prefix = try args.option("ref").map { try Arguments.identifier($0, "ref prefix") }
            if !accept && (priority != nil || neededBy != nil || prefix != nil) { throw Refusal(.syntax, "priority=, by= and ref= go with accept") }
            guard let standards = engine.planningStandards else {
                throw Refusal(.notFound, "no planning standards loaded; set planning_file (docs/operations.md, Planning standards)")
            }
            guard incident.status != .closed else { throw Refusal(.conflict, "incident \(incident.id) is closed; a closed incident takes no changes") }
            guard incident.affected > 0 else {
                throw Refusal(.conflict, "incident \(incident.id) has no people affected on record; set them with incident update \(incident.id) affected=N")
            }
            let lines = engine.state.estimateNeeds(incident: incident.id, people: incident.affected, days: days, standards: standards)
            guard accept else {
                return .rows(lines.map { line in
                    var fields: Fields = ["standard": line.standard.name, "item": line.standard.item, "day": line.dayText,
                                          "quantity": line.quantity.map(String.init) ?? "", "unit": engine.state.items[line.standard.item]?.unit ?? "",
                                          "packs": line.packs.map(String.init) ?? "", "already_needed": String(line.alreadyNeeded),
                                          "propose": String(line.proposed), "priority": String(line.standard.priority), "basis": line.basis]
                    fields.append("note", line.note ?? (line.quantity != nil && line.proposed == 0 ? "already needed in full" : ""))
                    return fields
                })
            }
            // Every ref and deadline is checked before the first need is added: all of them are made, or none.
            let refs = try prefix.map { try engine.estimateRefs(prefix: $0, lines: lines) } ?? [:]
            let first = neededBy ?? Timestamp(milliseconds: context.now.milliseconds + Engine.defaultNeedLead)
            let deadlines = try Engine.scheduleDeadlines(first: first, days: days)
            var added: [String] = [], addedRefs: [String] = [], skipped: [String] = []
            // standard → the schedule its days join (the first of them added) and its last day added.
            var seriesOf: [String: (id: String, sku: String, first: Int, last: Int)] = [:], seriesOrder: [String] = []
            for (index, line) in lines.enumerated() {
                guard line.proposed > 0 else {
                    let day = line.day == nil ? "" : " day \(line.dayText)"
                    skipped.append("\(line.standard.name)\(day) (\(line.note ?? "already needed in full"))")
                    continue
                }
                let id = engine.state.nextNeedID
                let ref = refs[index]
                var schedule: NeedSchedule?
                if let day = line.day, let count = line.days {
                    let series = seriesOf[line.standard.name]?.id ?? id
                    if seriesOf[line.standard.name] == nil { seriesOrder.append(line.standard.name) }
                    seriesOf[line.standard.name] = (series, line.standard.item, seriesOf[line.standard.name]?.first ?? day, day)
                    schedule = NeedSchedule(series: series, day: day, days: count)
                }
                let note = "estimate \(line.standard.name), " + (line.day.map { "day \($0) of \(days)" } ?? "\(days) days") + ": \(line.basis)"
                engine.emit(.needAdded(Need(id: id, incident: incident.id, request: .supply(sku: line.standard.item, quantity: line.proposed),
                                            priority: priority ?? line.standard.priority, neededBy: deadlines[(line.day ?? 1) - 1],
                                            note: note, createdAt: context.now, ref: ref, schedule: schedule)))
                added.append("\(id):\(line.standard.item):\(line.proposed)")
                if let ref { addedRefs.append(ref) }
            }
            var fields: Fields = ["incident": incident.id, "added": String(added.count), "needs": added.joined(separator: ",")]
            if !seriesOrder.isEmpty {
                fields.append("series", seriesOrder.map { name in
                    let series = seriesOf[name]!
                    return "\(series.id):\(series.sku):\(series.first)-\(series.last)"
                }.joined(separator: ","))
            }
            if prefix != nil { fields.append("refs", addedRefs.joined(separator: ",")) }
            if !skipped.isEmpty { fields.append("skipped", skipped.joined(separator: "; ")) }
            return .ok(fields)
        },
    ]

    /// A need without `by=` is due this long after it is added: 24 hours.
    static let defaultNeedLead: Int64 = 24 * 3_600_000
    /// An estimate's daily standards give one need a day: at most a schedule's days.
    static let maximumEstimateDays = NeedSchedule.maximumDays
}
