import ReliefCore
import ReliefProtocol

/// Makes a drill of a real incident (`replay incident ID`, docs/drills.md "What-if"): the drill
/// starts from the state just before the incident was opened, its clock at the opening (to the
/// minute), and the incident's inputs come back as injects at their drill minutes — the incident
/// opened, updated and moved on, its needs added, changed and cancelled, and the regions,
/// warehouses, items and stock that arrived while it lasted. What the duty officer decided (plans,
/// applies, dispatches, deliveries, assignments, the closing) is not replayed: the scenario's
/// simulated officer decides it again, so a changed world can lead to other decisions.
public enum IncidentReplay {
    /// How long a replay runs on after the incident's last entry (its closing, if it was closed)
    /// unless the scenario writes `end`: a slower world has time to finish what the real one did.
    public static let margin = 360

    /// `scenario` with its start, injects and end filled in from `history`: the incident's inputs
    /// first at each minute, then the scenario's own injects (the "what if"). Errors name the
    /// scenario's file: a drill time it wrote past the end that follows from the incident, an
    /// entry that cannot be written as a request.
    public static func resolve(_ scenario: Scenario, history: IncidentHistory) throws(ScenarioErrors) -> Scenario {
        guard var replay = scenario.replay, replay.incident == history.incident else {
            throw ScenarioErrors([.init(file: scenario.file, line: scenario.fromPosition.line, column: scenario.fromPosition.column,
                                        message: "the history read is of incident \(history.incident); expected the incident the scenario replays")])
        }
        let position = scenario.fromPosition
        func failure(_ message: String) -> ScenarioErrors.Item {
            .init(file: scenario.file, line: position.line, column: position.column, message: message)
        }
        let minute = DrillTime.minuteMilliseconds
        let start = DrillTime.Start(instant: Timestamp(milliseconds: history.openedAt.milliseconds - Self.modulo(history.openedAt.milliseconds, minute)),
                                    offsetMinutes: replay.offsetMinutes)
        let lastMinute = start.minute(of: history.lastTime)
        let closedMinute = history.closed.map { start.minute(of: $0.time) }
        let end = replay.endGiven ? scenario.endMinute : ((lastMinute + margin + 59) / 60) * 60

        let writer = Writer(history: history)
        var replayed: [Scenario.Inject] = []
        var leftToTheOfficer: [String: Int] = [:]
        var afterTheEnd = 0, inexpressible = 0
        var problems: [ScenarioErrors.Item] = []
        for entry in history.entries {
            let at = max(0, start.minute(of: entry.time))
            switch writer.line(for: entry) {
            case .officer:
                leftToTheOfficer[entry.event.kind, default: 0] += 1
            case .closing:
                continue
            case .inexpressible:
                inexpressible += 1
            case .request(let text):
                guard at <= end else { afterTheEnd += 1; continue }
                switch RequestParser.parse(text) {
                case .success(let request):
                    replayed.append(Scenario.Inject(minute: at, line: position.line, column: position.column, text: text, request: request,
                                                    mustBeRefused: false, replayedSeq: entry.seq))
                case .failure(let error):
                    problems.append(failure("entry \(entry.seq) of incident \(history.incident) (\(entry.event.kind)) cannot be replayed as \"\(text)\": \(error.message); expected a journal whose entries the protocol can express"))
                }
            }
        }
        if !replay.endGiven {
            for time in scenario.writtenTimes where time.minute > end {
                problems.append(.init(file: scenario.file, line: time.line, column: time.column,
                                      message: "\(time.what) \(DrillTime.text(time.minute)) is after the drill's end \(DrillTime.text(end)) (the incident's \(history.closed == nil ? "last entry" : "closing") at \(DrillTime.text(lastMinute)) plus \(DrillTime.durationText(margin)), to the hour); expected at most the end, or an end directive"))
            }
        }
        guard problems.isEmpty else { throw ScenarioErrors(problems) }

        // The incident's inputs go before the scenario's own at the same minute: a what-if that
        // changes a replayed need at T+00:00 finds it there.
        let order = (replayed.indices.map { (minute: replayed[$0].minute, group: 0, index: $0) }
            + scenario.injects.indices.map { (minute: scenario.injects[$0].minute, group: 1, index: $0) })
            .sorted { ($0.minute, $0.group, $0.index) < ($1.minute, $1.group, $1.index) }
        var ownIndex = Array(repeating: 0, count: scenario.injects.count)
        for (position, entry) in order.enumerated() where entry.group == 1 { ownIndex[entry.index] = position }
        var resolved = scenario
        resolved.injects = order.map { $0.group == 0 ? replayed[$0.index] : scenario.injects[$0.index] }
        for index in resolved.expectations.indices {
            if case .refused(let inject) = resolved.expectations[index].kind { resolved.expectations[index].kind = .refused(inject: ownIndex[inject]) }
        }
        resolved.start = start
        resolved.endMinute = end
        replay.source = .init(openedSeq: history.openedSeq, lastSeq: history.lastSeq, openedAt: Self.iso8601(history.openedAt),
                              closedMinute: closedMinute, lastMinute: lastMinute, leftToTheOfficer: leftToTheOfficer, afterTheEnd: afterTheEnd,
                              inexpressible: inexpressible)
        resolved.replay = replay
        return resolved
    }

    static func modulo(_ value: Int64, _ divisor: Int64) -> Int64 { ((value % divisor) + divisor) % divisor }

    /// `2026-11-25T14:10:27.123Z`: the journal's instant to the millisecond.
    static func iso8601(_ time: Timestamp) -> String {
        let millisecond = modulo(time.milliseconds, 1000)
        let base = String(time.iso8601.dropLast())
        return base + "." + String(repeating: "0", count: millisecond < 10 ? 2 : millisecond < 100 ? 1 : 0) + String(millisecond) + "Z"
    }

    /// Refs of the replayed needs: their own, or one made from their id (`real-N-000005`) so
    /// expectations and the scenario's own injects can name every need of the incident.
    public static func derivedRef(of id: String) -> String { "real-" + id }

    /// Writes journal entries of the incident as the request lines that made them.
    struct Writer {
        enum Line: Equatable {
            case request(String)
            /// The duty officer's decision, left to the simulated one.
            case officer
            /// The incident's closing: when to close is the officer's call too, and the engine
            /// refuses it while anything is still on the road in the world the drill plays.
            case closing
            /// Something no request can make (stock that came back as `source=allocation`, a
            /// donation journaled without its donor).
            case inexpressible
        }

        /// Need id (in the real journal) → the ref the drill names it by.
        var refs: [String: String] = [:]
        /// Need id → asks for people (so a change of amount is `count=`, not `qty=`).
        var people: Set<String> = []

        init(history: IncidentHistory) {
            var taken = Set(history.before.needByRef.keys)
            for entry in history.entries {
                if case .needAdded(let need) = entry.event, let ref = need.ref { taken.insert(ref) }
            }
            for entry in history.entries {
                guard case .needAdded(let need) = entry.event else { continue }
                if !need.request.isSupply { people.insert(need.id) }
                if let ref = need.ref {
                    refs[need.id] = ref
                    continue
                }
                var ref = IncidentReplay.derivedRef(of: need.id), suffix = 1
                while taken.contains(ref) {
                    suffix += 1
                    ref = IncidentReplay.derivedRef(of: need.id) + "-\(suffix)"
                }
                taken.insert(ref)
                refs[need.id] = ref
            }
        }

        func line(for entry: Entry) -> Line {
            var words: [String] = []
            func word(_ text: String) { words.append(TextEncoder.quoteArgument(text)) }
            func option(_ key: String, _ value: String?) { if let value { word("\(key)=\(value)") } }
            func note(_ key: String, _ value: String?) { option(key, value.map { Self.fitted($0, 500) }) }
            switch entry.event {
            case .incidentOpened(let incident):
                words = ["incident", "open"]
                word(incident.id)
                option("title", incident.title); option("kind", incident.kind.rawValue); option("at", incident.location.text)
                option("region", incident.region); option("severity", String(incident.severity)); option("affected", String(incident.affected))
            case .incidentUpdated(let id, let title, let severity, let affected, let text):
                words = ["incident", "update"]
                word(id)
                option("title", title); option("severity", severity.map(String.init)); option("affected", affected.map(String.init))
                note("note", text)
            case .incidentStatusSet(let id, let status, let text):
                guard status != .closed else { return .closing }
                words = ["incident", "status"]
                word(id)
                word(status.rawValue)
                note("note", text)
            case .needAdded(let need):
                words = ["need", "add"]
                word(need.incident)
                switch need.request {
                case .supply(let sku, let quantity): words.append("supply"); word(sku); word(String(quantity))
                case .volunteers(let skill, let count, let hours): words.append("volunteers"); word(skill); word(String(count)); option("hours", String(hours))
                case .teams(let specialty, let count, let hours): words.append("team"); word(specialty); word(String(count)); option("hours", String(hours))
                }
                option("priority", String(need.priority)); option("by", need.neededBy.iso8601)
                note("note", need.note)
                option("ref", refs[need.id])
                option("reach", need.reach?.name)
            case .needChanged(let id, let amount, let priority, let neededBy, let text, let reach):
                words = ["need", "change"]
                word(refs[id] ?? id)
                option(people.contains(id) ? "count" : "qty", amount.map(String.init))
                option("priority", priority.map(String.init)); option("by", neededBy?.iso8601)
                note("note", text)
                option("reach", reach?.name)
            case .needCancelled(let id, let reason):
                words = ["need", "cancel"]
                word(refs[id] ?? id)
                note("reason", reason)
            case .regionAdded(let id, let name, let level):
                words = ["region", "add"]
                word(id)
                option("name", name); option("level", level.rawValue)
            case .warehouseAdded(let id, let name, let region, let location):
                words = ["warehouse", "add"]
                word(id)
                option("name", name); option("region", region); option("at", location.text)
            case .itemAdded(let item):
                words = ["item", "add"]
                word(item.sku)
                option("name", item.name); option("category", item.category); option("unit", item.unit); option("pack", String(item.packSize))
                option("shelf_life", item.shelfLifeDays.map { "\($0)d" })
            case .lotReceived(let warehouse, let lot, let sku, let quantity, let expires, let source, let party, let text):
                words = ["stock", "receive"]
                word(warehouse); word(sku); word(String(quantity))
                option("lot", lot); option("expires", expires?.iso8601)
                switch (source, party) {
                case (.donation, let party?): option("donor", party)
                case (.purchase, let party?): option("supplier", party)
                case (.allocation, _), (.donation, nil):
                    return .inexpressible
                default:
                    option("source", source.rawValue)
                    if let party { option("donor", party) }
                }
                note("note", text)
            default:
                return .officer
            }
            return .request(words.joined(separator: " "))
        }

        /// Text cut to `limit` UTF-8 bytes at a character boundary: a request takes no longer note.
        static func fitted(_ text: String, _ limit: Int) -> String {
            guard text.utf8.count > limit else { return text }
            var out = ""
            for character in text {
                guard out.utf8.count + character.utf8.count + 3 <= limit else { break }
                out.append(character)
            }
            return out + "…"
        }
    }
}
