// Target `engine`: requests against a small state (two cities' stock, a roster, an incident with
// needs, allocations and an assignment), with a fixed clock.
//
// The input is up to `maxRequests` segments separated by LF. A segment is one request:
// - starting with `!`: structured — the bytes after it choose a command from the engine's own table
//   (its `help` rows) and fill the words and options its usage names with values of the kind each
//   expects: ids that exist in the state (as it is at that request), ids that do not, numbers at and
//   past the bounds of ReliefLimits, negative and huge numbers, empty, long and unicode text; written
//   as a line the way a client does and parsed as the daemon does;
// - anything else: the bytes as a raw request line, through RequestParser.parse.
// Commands the daemon runs off the loop (match, plan) run here the same way (offload, compute,
// complete), and a structured segment may let the next request change the state in between.
//
// Checked after every request, besides "does not crash":
// - a refused request (ERR) emitted no entries, and a request that does not write emitted none;
// - an accepted request's entries follow the last seq one by one, each survives the journal's
//   encoding (Event(kind:body:) of its body, through JSON text), and applies with State.apply to
//   a replica of the state that changes only by applying entries;
// - the state's fingerprint (last seq and the count of everything it holds) is the replica's: a
//   refused request left it as it was;
// - no INTERNAL error, and the reply encodes;
// - after a request with entries, the state's invariants hold (State.invariantViolations).
// At the end of each input the state's snapshot text is the replica's (so every request's entries,
// applied to the state before it, gave the state after it), and it loads back to the same text.

import ReliefCore
import ReliefEngine
import ReliefLimits
import ReliefProtocol

enum EngineFuzz {
    static let target = FuzzTarget(name: "engine", summary: "engine commands on a small state (raw and structured requests)",
                                   maxLength: 2048) { bytes in run(Array(bytes)) }

    static let maxRequests = 8

    /// 2026-12-01T08:00:00Z, as in the engine tests.
    static let now = Timestamp(milliseconds: 1_796_112_000_000)

    /// The small state every input starts from: a few of everything the commands refer to, so most
    /// commands have something to find. Kept small so that each input runs in well under a
    /// millisecond.
    static let fixtureLines = [
        "region add sx name=Shanxi level=province",
        "region add sx/ty name=Taiyuan level=city",
        "region add sx/jz name=Jinzhong level=city",
        "region add sx/ty/xd name=Xiaodian level=county",
        #"warehouse add ty-01 name="Taiyuan depot" region=sx/ty at=37.87,112.55"#,
        #"warehouse add jz-01 name="Jinzhong depot" region=sx/jz at=37.69,112.75"#,
        #"item add water-5l name="Bottled water 5 L" category=water unit=bottle pack=4 shelf_life=365d"#,
        #"item add tent-12 name="Relief tent 12 m2" category=shelter unit=tent"#,
        #"stock receive ty-01 water-5l 400 lot=W-1 expires=2027-06-30 donor="Red Cross""#,
        "stock receive jz-01 water-5l 100 expires=2026-12-20",
        "stock receive ty-01 tent-12 20 lot=T-1 supplier=Acme",
        "stock min jz-01 water-5l 200",
        "travel set ty-01 sx/jz 50 both",
        #"skill add first-aid name="First aid" certificate=yes"#,
        "skill add driver name=Driver",
        "specialty add medical name=Medical skills=first-aid",
        #"volunteer add v-1 name="Wang Li" region=sx/ty at=37.86,112.56 phone=13800000001 skills=first-aid:3,driver:2"#,
        #"volunteer add v-2 name="Li Na" region=sx/jz at=37.70,112.74 skills=driver:1"#,
        #"volunteer add v-3 name="Zhao Lei" region=sx/ty/xd at=37.80,112.55 skills=first-aid:1"#,
        #"volunteer certify v-1 first-aid issued=2026-01-10 expires=2028-01-10 issuer="Red Cross""#,
        "team add med-1 name=Medics specialty=medical region=sx/ty at=37.87,112.55 leader=v-1",
        "team member add med-1 v-3",
        #"incident open fl-1 title="Fen river flood" kind=flood region=sx/jz at=37.69,112.75 severity=3"#,
        "need add fl-1 supply water-5l 50 priority=2 by=12h ref=water-1",
        "need add fl-1 supply tent-12 5",
        "need add fl-1 volunteers first-aid 1 hours=8",
        "allocation reserve water-1 ty-01 W-1 20",
        "assignment add N-000003 v-1",
        "volunteer checkin v-2 incident=fl-1",
    ]

    static let planning = "water amount=15 unit=L per=person-day item=water-5l content=5 priority=1\n"
        + "shelter amount=3.5 unit=m2 per=person item=tent-12 content=12\n"

    /// A command as its `help` row describes it: its words and what its usage names.
    struct Shape: Sendable {
        var words: [String]
        /// Positional placeholders in order (`WAREHOUSE`, `SKU`, `QTY`, …).
        var positionals: [String] = []
        /// Options with the hint of their value (`lot` → `CODE`).
        var options: [(key: String, hint: String)] = []
        /// Literal words: choices (`active`, `supply`) and flags (`both`, `personal`).
        var literals: [String] = []
    }

    struct Fixture: Sendable {
        var state: State
        var shapes: [Shape]
        var standards: PlanningStandards
    }

    /// The operation's time zone the inputs run in.
    static let zone = (try? OperationTimeZone.system(named: "America/New_York")) ?? .utc

    /// The fixture state's snapshot text.
    static let fixtureSnapshot = fixture.state.snapshotText()

    static let fixture: Fixture = {
        let engine = Engine(clock: .fixed(now))
        for line in fixtureLines {
            let outcome = engine.handle(line: line, actor: "officer")
            if case .error(let code, let message) = outcome.reply {
                fatalError("engine fuzz fixture: \(line) → ERR \(code.rawValue) \(message)")
            }
        }
        guard case .rows(let rows) = engine.handle(line: "help", actor: "officer").reply else { fatalError("help gives no rows") }
        let shapes = rows.map { row in shape(command: row["command"]!, usage: row["usage"]!) }
        let standards: PlanningStandards
        do { standards = try PlanningStandards(text: planning, name: "fuzz") } catch { fatalError("planning standards: \(error)") }
        checkSnapshot(engine.state, [])
        return Fixture(state: engine.state, shapes: shapes, standards: standards)
    }()

    /// Reads a usage line such as `stock receive WAREHOUSE SKU QTY [lot=CODE] [source=donation|purchase]`.
    static func shape(command: String, usage: String) -> Shape {
        let words = command.split(separator: " ").map(String.init)
        var shape = Shape(words: words)
        for raw in usage.split(separator: " ").dropFirst(words.count) {
            let token = String(raw.filter { !"[]()".contains($0) })
            if token.isEmpty || token == "|" || token.hasPrefix("…") { continue }
            if let equals = token.firstIndex(of: "=") {
                let key = String(token[..<equals]).lowercased()
                if !key.isEmpty, !shape.options.contains(where: { $0.key == key }) {
                    shape.options.append((key, String(token[token.index(after: equals)...])))
                }
            } else if token.first!.isUppercase {
                shape.positionals.append(token)
            } else {
                shape.literals += token.split(separator: "|").map(String.init)
            }
        }
        return shape
    }

    // MARK: one input

    static func run(_ input: [UInt8]) {
        let engine = Engine(state: fixture.state, clock: .fixed(now))
        engine.planningStandards = fixture.standards
        // A zone that changes its clocks, so date-times without an offset go through the gaps and overlaps.
        engine.timeZone = zone
        var run = Run(engine: engine, input: input)
        let segments = input.split(separator: 0x0A, maxSplits: maxRequests, omittingEmptySubsequences: false).prefix(maxRequests)
        for segment in segments {
            // Work parked by the request before this one completes after this one ran.
            let waiting = !run.parked.isEmpty
            if segment.first == UInt8(ascii: "!") {
                var choices = FuzzInput(segment.dropFirst())
                // One request in four by another user in any role: refusals for lack of rights change nothing.
                let principal = choices.chance(4) ? Principal(user: "other", role: Role.allCases[choices.below(Role.allCases.count)],
                                                              regions: choices.chance(2) ? ["sx/ty"] : nil, warehouses: choices.chance(2) ? ["ty-01"] : nil)
                                                  : Principal(user: "officer", role: .admin)
                let interleave = choices.chance(3)
                let line = structuredLine(&choices, state: engine.state)
                switch RequestParser.parse(line) {
                case .success(let request):
                    run.handle(request, as: principal, interleave: interleave, shown: line)
                case .failure:
                    // Words the parser refuses (too many, a key twice): the daemon never passes such a
                    // line to the engine; the raw segments cover the parser.
                    break
                }
            } else {
                let result = Array(segment).withUnsafeBytes { RequestParser.parse($0) }
                if case .success(let request) = result {
                    run.handle(request, as: Principal(user: "officer", role: .admin), interleave: false,
                               shown: String(decoding: segment, as: UTF8.self))
                }
            }
            if waiting { run.completeParked() }
        }
        run.completeParked()
        run.checkReplica("after every request")
        // The fixture's snapshot is the same every time: checked once, when the fixture is built.
        if engine.state.lastSeq != fixture.state.lastSeq {
            checkSnapshot(engine.state, input)
            Fuzz.dump("journal", "\u{1}" + engine.state.snapshotText())
        }
    }

    /// The state's snapshot loads back to the same snapshot, and the loaded state is sound.
    static func checkSnapshot(_ state: State, _ input: [UInt8]) {
        let text = state.snapshotText()
        do {
            let loaded = try State(snapshotText: text)
            let again = loaded.snapshotText()
            if again != text { Fuzz.fail("snapshot does not load back to itself:\n  written: \(text)\n  loaded:  \(again)", input) }
            let problems = loaded.invariantViolations()
            if !problems.isEmpty { Fuzz.fail("loaded snapshot breaks invariants: \(problems)", input) }
        } catch {
            Fuzz.fail("snapshot the engine's state wrote does not load: \(error)\n\(text)", input)
        }
    }

    /// Runs requests as the daemon's loop does and checks each one. Comparing whole snapshots after
    /// every request would make each input ten times slower; instead every accepted request's
    /// entries are applied to `replica`, a copy of the state that changes only through them, and a
    /// cheap fingerprint is compared after each request; the whole snapshots of the engine's state
    /// and the replica are compared at the end of the input (RELIEF_FUZZ_TRACE: after each request).
    struct Run {
        let engine: Engine
        let input: [UInt8]
        var replica: State
        /// Off-loop work computed but not yet completed (a request ran in between).
        var parked: [(deferred: Engine.Deferred, result: any Sendable, shown: String)] = []

        init(engine: Engine, input: [UInt8]) {
            self.engine = engine
            self.input = input
            replica = engine.state
        }

        mutating func handle(_ request: Request, as principal: Principal, interleave: Bool, shown: String) {
            if let deferred = engine.offload(request, as: principal) {
                let result = deferred.compute()
                if interleave && parked.isEmpty {
                    parked.append((deferred, result, shown))
                } else {
                    complete(deferred, result, shown: shown)
                }
                return
            }
            let outcome = engine.handle(request, as: principal)
            check(outcome, writes: engine.isMutating(request), shown: shown)
        }

        mutating func completeParked() {
            while let (deferred, result, shown) = parked.popLast() { complete(deferred, result, shown: shown) }
        }

        mutating func complete(_ first: Engine.Deferred, _ firstResult: any Sendable, shown: String) {
            var deferred = first, result = firstResult
            for _ in 0...Engine.offloadAttempts {
                switch engine.complete(deferred, result: result) {
                case .outcome(let outcome):
                    check(outcome, writes: true, shown: shown)
                    return
                case .again(let again):
                    if fingerprint(engine.state) != fingerprint(replica) { Fuzz.fail("\(shown): asking to run again changed the state", input) }
                    deferred = again
                    result = again.compute()
                }
            }
            Fuzz.fail("\(shown): off-loop work asked to run again more than \(Engine.offloadAttempts) times", input)
        }

        /// What a change to the state changes at least: its last seq and how many things it holds.
        func fingerprint(_ state: State) -> [Int] {
            [Int(state.lastSeq), state.regions.count, state.warehouses.count, state.items.count, state.lots.count, state.stock.count,
             state.minimums.count, state.moves.count, state.requests.count, state.skills.count, state.specialties.count,
             state.volunteers.count, state.teams.count, state.incidents.count, state.needs.count, state.allocations.count,
             state.assignments.count, state.plans.count, state.travelTimes.count]
        }

        mutating func check(_ outcome: Outcome, writes: Bool, shown: String) {
            let what = "\(shown) → \(TextEncoder.encode(outcome.reply).prefix(300))"
            if Fuzz.tracing { print(what) }
            switch outcome.reply {
            case .error(let code, let message):
                if code == .internal { Fuzz.fail("\(what): INTERNAL error", input) }
                if message.isEmpty { Fuzz.fail("\(what): error without a message", input) }
                if !outcome.entries.isEmpty { Fuzz.fail("\(what): refused but emitted \(outcome.entries.count) entries", input) }
            default:
                var reply: [UInt8] = []
                TextEncoder.encode(outcome.reply, into: &reply)
                if !writes && !outcome.entries.isEmpty { Fuzz.fail("\(what): a command that does not write emitted entries", input) }
                if !outcome.entries.isEmpty { checkEntries(outcome, what: what) }
            }
            if fingerprint(engine.state) != fingerprint(replica) {
                Fuzz.fail("\(what): the state changed other than by the request's entries", input)
            }
            if !outcome.entries.isEmpty || Fuzz.tracing {
                let problems = engine.state.invariantViolations()
                if !problems.isEmpty { Fuzz.fail("\(what): invariants broken: \(problems.prefix(5))", input) }
            }
            if Fuzz.tracing { checkReplica(what) }
        }

        mutating func checkEntries(_ outcome: Outcome, what: String) {
            for (index, entry) in outcome.entries.enumerated() where entry.seq != replica.lastSeq + 1 + Int64(index) {
                Fuzz.fail("\(what): entry \(index) has seq \(entry.seq) after \(replica.lastSeq)", input)
            }
            if outcome.waitForSeq != outcome.entries.last!.seq { Fuzz.fail("\(what): waits for seq \(outcome.waitForSeq), not its last entry", input) }
            for entry in outcome.entries {
                let body = entry.event.body
                do {
                    let decoded = try Event(kind: entry.event.kind, body: try FlatJSON.decode(body.encoded()))
                    if decoded != entry.event { Fuzz.fail("\(what): \(entry.event.kind) decodes differently:\n  \(entry.event)\n  \(decoded)", input) }
                } catch {
                    Fuzz.fail("\(what): \(entry.event.kind) \(body.encoded()) does not decode: \(error)", input)
                }
            }
            do {
                try replica.apply(outcome.entries)
            } catch {
                Fuzz.fail("\(what): its entries do not apply to the state before it: \(error)", input)
            }
            for entry in outcome.entries { Fuzz.dump("journal", entry.event.kind + "\n" + entry.event.body.encoded()) }
        }

        /// The engine's state is the fixture with every accepted request's entries applied.
        func checkReplica(_ what: String) {
            let text = engine.state.snapshotText()
            if text != replica.snapshotText() {
                Fuzz.fail("\(what): the state is not the one the entries so far give:\n  engine:  \(text)\n  entries: \(replica.snapshotText())", input)
            }
        }
    }

    // MARK: structured requests

    /// A request line for a command of the table, its words and options drawn by `choices`.
    static func structuredLine(_ choices: inout FuzzInput, state: State) -> String {
        let shape = choices.pick(fixture.shapes)!
        var words = shape.words
        if choices.chance(16) { words[0] = words[0].uppercased() }
        // As many positionals as the usage names, give or take one.
        let count = max(0, shape.positionals.count + choices.below(3) - 1)
        for index in 0..<count {
            switch choices.below(8) {
            case 0: words.append(choices.pick(shape.literals) ?? wild(&choices, state))
            case 1: words.append(wild(&choices, state))
            default:
                let placeholder = index < shape.positionals.count ? shape.positionals[index] : (shape.positionals.last ?? "ID")
                words.append(value(for: placeholder, noun: shape.words[0], &choices, state))
            }
        }
        if !shape.literals.isEmpty && choices.chance(3) { words.append(choices.pick(shape.literals)!) }
        var options: [(String, String)] = []
        for _ in 0..<choices.below(5) {
            guard let option = choices.pick(shape.options) else { break }
            if options.contains(where: { $0.0 == option.key }) { continue }
            let text = choices.chance(8) ? wild(&choices, state) : value(for: option.hint, noun: option.key, &choices, state)
            options.append((option.key, text))
        }
        if choices.chance(12) { options.append((choices.pick(["limit", "line", "x", "LIMIT"])!, choices.pick(numbers)!)) }
        var parts: [String] = []
        for word in words {
            // A word holding `=` is quoted so it stays a word (as RequestFuzz.encode does).
            if word.utf8.contains(0x3D) {
                var out: [UInt8] = []
                TextEncoder.appendValue(word, into: &out)
                parts.append(String(decoding: out, as: UTF8.self))
            } else {
                parts.append(TextEncoder.quoteArgument(word))
            }
        }
        for (key, value) in options { parts.append(TextEncoder.quoteArgument(key + "=" + value)) }
        if choices.chance(4) { parts.append(TextEncoder.quoteArgument("req=" + choices.pick(tokens)!)) }
        return parts.joined(separator: " ")
    }

    /// A value of the kind `hint` (a placeholder such as `WAREHOUSE`, or an option's value hint such
    /// as `CODE`, `1..5`, `LAT,LON`, `yes|no`) names; `noun` tells what a bare `ID` is.
    static func value(for hint: String, noun: String, _ choices: inout FuzzInput, _ state: State) -> String {
        // Sometimes a fresh id, or anything at all.
        switch choices.below(10) {
        case 0: return choices.pick(freshIDs)!
        case 1: return wild(&choices, state)
        default: break
        }
        let upper = hint.uppercased()
        if let pool = ids(upper == "ID" ? noun.uppercased() : upper, state), !pool.isEmpty, !choices.chance(8) {
            return choices.pick(pool)!
        }
        if hint.contains("|"), hint.first!.isLowercase {
            let values = hint.split(separator: "|").map(String.init)
            return choices.chance(8) ? values.joined(separator: "|") : choices.pick(values)!
        }
        switch upper {
        case "QTY", "N", "COUNT", "MINUTES", "1..5", "1000", "12", "50", "=N", "±N": return choices.pick(numbers)!
        case "LAT,LON": return choices.pick(coordinates)!
        case "YYYY-MM-DD", "DATE|DATETIME|12H": return choices.pick(dates)!
        case "30D", "8H", "DAYSD", "150KM", "50KM": return choices.pick(durations)!
        case "1,3-5": return choices.pick(["1", "1,2", "1-3", "2-1", "0", "1,1", "1-99999999999", "-1", ""])!
        case "SKILL,SKILL": return ids("SKILL", state)!.joined(separator: ",") + choices.pick(["", ",", ",nope", ",first-aid"])!
        case "ZH,EN": return choices.pick(["zh", "zh,en", "", ",", "zh,zh", "x"])!
        case "FIRST-AID:3,DRIVER-C1:2": return choices.pick(["first-aid:3", "driver:1,first-aid:5", "first-aid:0", "first-aid:6", "nope:1", "first-aid", "first-aid:3,first-aid:2"])!
        case "ID[:ROLE],…": return choices.pick(["med-1", "med-1:lead", "v-1,v-2", "v-1:observer,v-1", "nope", ",", ""])!
        default: return choices.pick(texts)!
        }
    }

    /// Ids of the kind a placeholder names, from the state as it is now.
    static func ids(_ kind: String, _ state: State) -> [String]? {
        let ids: [String]? = switch kind {
        case "NEED": Array(state.needs.keys) + Array(state.needByRef.keys)
        case "WAREHOUSE", "FROM", "TO", "PLACE": Array(state.warehouses.keys) + Array(state.regions.keys)
        case "SKU", "ITEM": Array(state.items.keys)
        case "LOT", "CODE": Array(state.lots.keys)
        case "ALLOCATION": Array(state.allocations.keys)
        case "ASSIGNMENT": Array(state.assignments.keys)
        case "PLAN": Array(state.plans.keys)
        case "VOLUNTEER", "LEADER": Array(state.volunteers.keys)
        case "TEAM": Array(state.teams.keys)
        case "SKILL": Array(state.skills.keys)
        case "SPECIALTY": Array(state.specialties.keys)
        case "INCIDENT": Array(state.incidents.keys)
        case "PATH", "REGION": Array(state.regions.keys)
        case "NOUN": ["stock", "need", "team", "volunteer", "nope"]
        default: nil
        }
        return ids?.sorted()
    }

    /// Anything: a value of any kind.
    static func wild(_ choices: inout FuzzInput, _ state: State) -> String {
        switch choices.below(8) {
        case 0: return choices.pick(numbers)!
        case 1: return choices.pick(dates)!
        case 2: return choices.pick(coordinates)!
        case 3: return choices.pick(durations)!
        case 4: return choices.pick(freshIDs)!
        case 5:
            let kinds = ["NEED", "WAREHOUSE", "LOT", "VOLUNTEER", "TEAM", "INCIDENT", "ALLOCATION", "ASSIGNMENT", "PLAN", "SKILL"]
            return choices.pick(ids(choices.pick(kinds)!, state)!) ?? "none"
        default: return choices.pick(texts)!
        }
    }

    static let numbers: [String] = {
        var values = ["0", "1", "2", "3", "5", "6", "7", "24", "100", "1000", "-1", "+1", "-0", "007", "1.5", "1e3", "0x10",
                      " 4", "4 ", "١", String(Int64.max), String(Int64.min), "9223372036854775808", "-9223372036854775809",
                      "99999999999999999999999"]
        for limit in [Limits.quantity, Limits.affected, Int64(Limits.peoplePerNeed), Int64(Limits.needHours), Int64(Limits.scheduleDays),
                      Limits.travelMinutes.upperBound, Int64(Limits.listingRows), Int64(Limits.rosterRows), Int64(Limits.requestWords)] {
            values += [String(limit - 1), String(limit), String(limit + 1), String(-limit)]
        }
        return values
    }()

    static let dates = ["2026-12-01", "2026-12-02", "2026-11-30", "2027-06-30", "2028-02-29", "2026-02-29", "2026-13-01", "2026-00-10",
                        "0000-01-01", "9999-12-31", "1970-01-01", "-2026-01-01", "2026-1-1", "2026-12-01T08:00", "2026-12-01T08:00:00Z",
                        "2026-12-01T08:00+08:00", "2026-12-01T25:00", "12h", "0h", "1h", "720h", "721h", "99999999999999h", "-3h"]
    static let durations = ["1d", "30d", "0d", "-1d", "31d", "365d", "36500d", "9999999999999d", "8h", "0h", "25h", "150km", "0km",
                            "-5km", "1e9km", "20000km", "nan km", "km", "5"]
    static let coordinates = ["37.87,112.55", "37.69,112.75", "37.70,112.70", "0,0", "90,180", "-90,-180", "90.0001,0", "0,180.5",
                              "nan,1", "inf,-inf", "1e308,1e308", "-0,-0", "37.87", "37.87,112.55,1", ",", "37.87 ,112.55", "+37,+112"]
    static let freshIDs = ["fz", "fz-1", "Fz.2", "x_9", String(repeating: "a", count: 64), String(repeating: "b", count: 65),
                           "-x", ".x", "x y", "ü", "sx/fz", "sx/ty/fz", "sx/ty/xd/fz", "sx//x", "/sx", "", "L-000001", "L-999999"]
    static let texts = ["x", "Wang Li", "", " ", "汶川 地震", String(repeating: "t", count: 200), String(repeating: "t", count: 201),
                        String(repeating: "u", count: 500), String(repeating: "v", count: 501), "line\nbreak", "tab\tx", "quote\"x",
                        "back\\slash", "\u{0}", "🚒", "e\u{301}", "=", "a=b", "req=x", "yes", "no", "all", "rest"]
    static let tokens = ["t1", "t2", "T1", String(repeating: "k", count: 128), String(repeating: "k", count: 129), "t 3", "é"]
}
