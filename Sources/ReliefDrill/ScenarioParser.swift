import ReliefCore
import ReliefEngine
import ReliefProtocol

/// Reads a scenario file (docs/drills.md). Every line is checked and every error collected, each
/// with its line, column and what was expected; a file with any error gives no scenario.
///
/// Injects are checked as far as they can be without running: each must parse as a request and
/// name a command the engine knows (the engine says which it expected). Whether the state lets
/// it apply is only known when it runs.
public enum ScenarioParser {
    /// Parses the bytes of a file: lines that are not UTF-8 are errors like any other.
    public static func parse(bytes: [UInt8], file: String) throws(ScenarioErrors) -> Scenario {
        var lines: [String?] = []
        var invalid: [ScenarioErrors.Item] = []
        for (index, slice) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var lineBytes = Array(slice)
            if lineBytes.last == 0x0D { lineBytes.removeLast() }
            if let text = String(validating: lineBytes, as: UTF8.self) {
                lines.append(text)
            } else {
                let column = String(decoding: lineBytes[..<validPrefix(lineBytes)], as: UTF8.self).count + 1
                invalid.append(.init(file: file, line: index + 1, column: column, message: "invalid UTF-8; expected UTF-8 text"))
                lines.append(nil)
            }
        }
        var parser = Parser(file: file)
        parser.errors = invalid
        for (index, line) in lines.enumerated() {
            if let line { parser.read(line, number: index + 1) }
        }
        return try parser.finish(lineCount: lines.count)
    }

    public static func parse(_ text: String, file: String) throws(ScenarioErrors) -> Scenario {
        try parse(bytes: Array(text.utf8), file: file)
    }

    /// How many bytes at the start of `bytes` are whole, valid UTF-8 characters.
    private static func validPrefix(_ bytes: [UInt8]) -> Int {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
            guard length > 0, index + length <= bytes.count,
                  String(validating: bytes[index..<(index + length)], as: UTF8.self) != nil else { return index }
            index += length
        }
        return index
    }

    static let directives = ["scenario", "start", "from", "replay", "seed", "end", "officer", "expect"]
    static let officerOrders = ["plan", "dispatch", "travel", "noshow", "release"]

    private struct Parser {
        let file: String
        var errors: [ScenarioErrors.Item] = []
        let engine = Engine()

        var name: String?
        var start: DrillTime.Start?
        var startsNow = false
        var from: (Scenario.Origin, Scenario.Position)?
        var seed: UInt64?
        var end: (minute: Int, column: Int)?
        var replay: (Scenario.Replay, Scenario.Position)?
        var officer = OfficerOrders()
        var injects: [Scenario.Inject] = []
        var expectations: [ExpectationSpec] = []
        /// Expectation index → the index of its inject in `injects` before sorting (`expect refused`).
        var refusedInjects: [Int: Int] = [:]
        /// Minutes written in injects and expectations, checked against `end` once it is known.
        var timesToCheck: [(line: Int, column: Int, minute: Int, what: String)] = []
        /// Directive (or `officer ORDER`) → the line it was first given on.
        var given: [String: Int] = [:]

        init(file: String) { self.file = file }

        mutating func error(_ line: Int, _ column: Int, _ message: String) {
            errors.append(.init(file: file, line: line, column: column, message: message))
        }

        mutating func read(_ text: String, number: Int) {
            let line: ScenarioLine
            do {
                line = try ScenarioLine(text)
            } catch {
                self.error(number, error.column, error.message)
                return
            }
            guard let first = line.words.first else { return }
            if first.key == nil, !first.quoted, first.text.hasPrefix("T+") {
                readInject(line, number: number, timeWord: first, mustBeRefused: false)
                return
            }
            let keyword = first.key == nil && !first.quoted ? first.text.lowercased() : ""
            guard ScenarioParser.directives.contains(keyword) else {
                error(number, first.column, "unknown directive \"\(first.key.map { "\($0)=" } ?? "")\(first.text)\"; expected one of "
                      + ScenarioParser.directives.joined(separator: ", ") + ", or an inject T+HH:MM REQUEST")
                return
            }
            if keyword != "officer" && keyword != "expect" {
                if let earlier = given[keyword] {
                    error(number, first.column, "\(keyword) given twice (first on line \(earlier)); expected it once")
                    return
                }
                given[keyword] = number
            }
            let rest = Array(line.words.dropFirst())
            switch keyword {
            case "scenario": readName(rest, number: number, after: first)
            case "start": readStart(rest, number: number, after: first)
            case "from": readFrom(rest, number: number, after: first)
            case "replay": readReplay(rest, number: number, after: first)
            case "seed": readSeed(rest, number: number, after: first)
            case "end": readEnd(rest, number: number, after: first)
            case "officer": readOfficer(rest, number: number, after: first)
            default: readExpect(line, rest, number: number, after: first)
            }
        }

        // MARK: words

        /// The positional words of a directive, refusing options and extra words; nil after an error.
        mutating func positionals(_ words: [ScenarioLine.Word], _ range: ClosedRange<Int>, number: Int, after: ScenarioLine.Word,
                                  usage: String) -> [ScenarioLine.Word]? {
            if let option = words.first(where: { $0.key != nil }) {
                error(number, option.column, "unexpected option \(option.key!)=; expected: \(usage)")
                return nil
            }
            guard range.contains(words.count) else {
                let column = words.count > range.upperBound ? words[range.upperBound].column : after.column + after.text.count + 1
                error(number, column, words.count > range.upperBound ? "unexpected \"\(words[range.upperBound].text)\"; expected: \(usage)"
                                                                     : "missing words; expected: \(usage)")
                return nil
            }
            return words
        }

        /// Options of a directive: each of `allowed` at most once; plain words refused.
        mutating func options(_ words: [ScenarioLine.Word], allowed: [String], number: Int, usage: String) -> [String: ScenarioLine.Word]? {
            var out: [String: ScenarioLine.Word] = [:]
            for word in words {
                guard let key = word.key else {
                    error(number, word.column, "unexpected \"\(word.text)\"; expected: \(usage)")
                    return nil
                }
                guard allowed.contains(key) else {
                    error(number, word.column, "unknown option \(key)=; expected " + allowed.map { $0 + "=" }.joined(separator: " or ") + " (\(usage))")
                    return nil
                }
                guard out[key] == nil else {
                    error(number, word.column, "\(key)= given twice; expected it once")
                    return nil
                }
                out[key] = word
            }
            return out
        }

        mutating func duration(_ word: ScenarioLine.Word, number: Int, _ what: String, minimum: Int = 0) -> Int? {
            guard let minutes = DrillTime.durationMinutes(word.text), minutes >= minimum else {
                error(number, word.column, "bad \(what) \"\(word.text)\"; expected a duration\(minimum > 0 ? " of at least \(minimum)m" : "") such as 30m, 12h, 1h30m or 2d")
                return nil
            }
            return minutes
        }

        mutating func time(_ word: ScenarioLine.Word, number: Int, _ what: String) -> Int? {
            guard word.key == nil, let minute = DrillTime.minutes(word.text) else {
                error(number, word.column, "bad \(what) \"\(word.text)\"; expected drill time T+HH:MM (hours from 0, minutes 00 to 59), such as T+06:30")
                return nil
            }
            timesToCheck.append((number, word.column, minute, what))
            return minute
        }

        // MARK: directives

        mutating func readName(_ words: [ScenarioLine.Word], number: Int, after: ScenarioLine.Word) {
            guard let words = positionals(words, 1...1, number: number, after: after, usage: "scenario \"NAME\"") else { return }
            guard !words[0].text.isEmpty else { error(number, words[0].column, "empty scenario name; expected scenario \"NAME\""); return }
            name = words[0].text
        }

        mutating func readStart(_ words: [ScenarioLine.Word], number: Int, after: ScenarioLine.Word) {
            let usage = "start YYYY-MM-DDTHH:MM[:SS]±HH:MM (or Z), or start now"
            guard let words = positionals(words, 1...1, number: number, after: after, usage: usage) else { return }
            if words[0].text.lowercased() == "now" {
                startsNow = true
                return
            }
            guard let parsed = DrillTime.Start(iso8601: words[0].text) else {
                let expected = "expected an ISO 8601 date-time with its offset such as 2026-07-15T06:00+08:00 (or Z for UTC), or now"
                switch DateTimeText.parse(words[0].text) {
                case .failure(.impossibleOffset(let offset)):
                    error(number, words[0].column, "bad start \"\(words[0].text)\": \(offset) is not a UTC offset (hours 00 to 23, minutes 00 to 59); \(expected)")
                case .success(.local):
                    error(number, words[0].column, "bad start \"\(words[0].text)\": no offset, and a scenario assumes no time zone; \(expected)")
                default:
                    error(number, words[0].column, "bad start \"\(words[0].text)\"; \(expected)")
                }
                return
            }
            start = parsed
        }

        mutating func readFrom(_ words: [ScenarioLine.Word], number: Int, after: ScenarioLine.Word) {
            let usage = "from dataset PATH [volunteers=N] [seed=N] | from empty | from live"
            guard let kind = words.first, kind.key == nil else {
                error(number, words.first?.column ?? after.column + after.text.count + 1, "missing what the drill starts from; expected: \(usage)")
                return
            }
            let position = Scenario.Position(line: number, column: kind.column)
            switch kind.text.lowercased() {
            case "empty", "live":
                guard positionals(Array(words.dropFirst()), 0...0, number: number, after: kind, usage: usage) != nil else { return }
                from = (kind.text.lowercased() == "empty" ? .empty : .live, position)
            case "dataset":
                guard words.count >= 2, words[1].key == nil else {
                    error(number, words.count >= 2 ? words[1].column : kind.column + kind.text.count + 1, "missing the dataset file; expected: \(usage)")
                    return
                }
                let path = words[1]
                guard let options = options(Array(words.dropFirst(2)), allowed: ["volunteers", "seed"], number: number, usage: usage) else { return }
                var volunteers = 0
                if let word = options["volunteers"] {
                    guard let value = Int(word.text), (0...1_000_000).contains(value) else {
                        error(number, word.column, "bad volunteers \"\(word.text)\"; expected a whole number from 0 to 1000000")
                        return
                    }
                    volunteers = value
                }
                var rosterSeed: UInt64 = 2026
                if let word = options["seed"] {
                    guard let value = UInt64(word.text) else {
                        error(number, word.column, "bad seed \"\(word.text)\"; expected a whole number from 0 to \(UInt64.max)")
                        return
                    }
                    rosterSeed = value
                }
                from = (.dataset(path: path.text, volunteers: volunteers, rosterSeed: rosterSeed), Scenario.Position(line: number, column: path.column))
            default:
                error(number, kind.column, "unknown start \"\(kind.text)\"; expected dataset, empty or live (\(usage))")
            }
        }

        /// `replay incident ID [offset=±HH:MM]`. Where the drill starts, when its clock starts and
        /// (unless `end` is written) when it ends come from the store, read when the drill is made.
        mutating func readReplay(_ words: [ScenarioLine.Word], number: Int, after: ScenarioLine.Word) {
            let usage = "replay incident ID [offset=±HH:MM]"
            let plain = words.prefix { $0.key == nil }
            guard let positional = positionals(Array(plain), 2...2, number: number, after: plain.last ?? after, usage: usage) else { return }
            guard positional[0].text.lowercased() == "incident" else {
                error(number, positional[0].column, "unexpected \"\(positional[0].text)\"; expected incident (\(usage))")
                return
            }
            guard let options = options(Array(words.dropFirst(plain.count)), allowed: ["offset"], number: number, usage: usage) else { return }
            var offset = 0
            if let word = options["offset"] {
                // An offset as `start` writes it after its time, and nothing else.
                let shaped = word.text == "Z" || (word.text.count == 6 && (word.text.hasPrefix("+") || word.text.hasPrefix("-")))
                guard shaped, let parsed = DrillTime.Start(iso8601: "2000-01-01T00:00" + word.text) else {
                    error(number, word.column, "bad offset \"\(word.text)\"; expected a UTC offset such as +08:00, -05:30 or Z")
                    return
                }
                offset = parsed.offsetMinutes
            }
            let incident = positional[1]
            replay = (Scenario.Replay(incident: incident.text, offsetMinutes: offset, endGiven: false),
                      Scenario.Position(line: number, column: incident.column))
        }

        mutating func readSeed(_ words: [ScenarioLine.Word], number: Int, after: ScenarioLine.Word) {
            guard let words = positionals(words, 1...1, number: number, after: after, usage: "seed N") else { return }
            guard let value = UInt64(words[0].text) else {
                error(number, words[0].column, "bad seed \"\(words[0].text)\"; expected a whole number from 0 to \(UInt64.max)")
                return
            }
            seed = value
        }

        mutating func readEnd(_ words: [ScenarioLine.Word], number: Int, after: ScenarioLine.Word) {
            guard let words = positionals(words, 1...1, number: number, after: after, usage: "end T+HH:MM") else { return }
            guard let minute = DrillTime.minutes(words[0].text), minute > 0 else {
                error(number, words[0].column, "bad end \"\(words[0].text)\"; expected drill time after T+00:00 such as T+72:00")
                return
            }
            end = (minute, words[0].column)
        }

        mutating func readOfficer(_ words: [ScenarioLine.Word], number: Int, after: ScenarioLine.Word) {
            guard let order = words.first, order.key == nil else {
                error(number, words.first?.column ?? after.column + after.text.count + 1,
                      "missing what the officer does; expected one of " + ScenarioParser.officerOrders.joined(separator: ", "))
                return
            }
            let verb = order.text.lowercased()
            guard ScenarioParser.officerOrders.contains(verb) else {
                error(number, order.column, "unknown officer order \"\(order.text)\"; expected one of " + ScenarioParser.officerOrders.joined(separator: ", "))
                return
            }
            if let earlier = given["officer " + verb] {
                error(number, order.column, "officer \(verb) given twice (first on line \(earlier)); expected it once")
                return
            }
            given["officer " + verb] = number
            let rest = Array(words.dropFirst())
            let off = rest.count == 1 && rest[0].key == nil && rest[0].text.lowercased() == "off"
            switch verb {
            case "plan":
                let usage = "officer plan every=DURATION apply_after=DURATION [reach=county|city|province|country] [reserves=use|keep] | officer plan off"
                if off { officer.plan = nil; return }
                guard let options = options(rest, allowed: ["every", "apply_after", "reach", "reserves"], number: number, usage: usage) else { return }
                if let word = options["reach"], ReachTier(name: word.text) == nil {
                    error(number, word.column, "bad reach=\(word.text); expected one of \(ReachTier.names)")
                    return
                }
                if let word = options["reserves"], word.text != "use" && word.text != "keep" {
                    error(number, word.column, "bad reserves=\(word.text); expected use or keep")
                    return
                }
                guard let everyWord = options["every"] else { error(number, order.column, "missing every=; expected: \(usage)"); return }
                guard let every = duration(everyWord, number: number, "every", minimum: 1) else { return }
                var applyAfter = 0
                if let word = options["apply_after"] {
                    guard let value = duration(word, number: number, "apply_after") else { return }
                    // The next plan covers the same needs and supersedes this one: it could never be applied.
                    guard value < every else {
                        error(number, word.column, "apply_after=\(word.text) is not shorter than every=\(everyWord.text); expected less, or the next plan supersedes each one before it is applied")
                        return
                    }
                    applyAfter = value
                }
                officer.plan = .init(every: every, applyAfter: applyAfter, reach: options["reach"]?.text, reserves: options["reserves"]?.text)
            case "dispatch":
                let usage = "officer dispatch after=DURATION | officer dispatch off"
                if off { officer.dispatchAfter = nil; return }
                guard let options = options(rest, allowed: ["after"], number: number, usage: usage) else { return }
                guard let word = options["after"] else { error(number, order.column, "missing after=; expected: \(usage)"); return }
                guard let minutes = duration(word, number: number, "after") else { return }
                officer.dispatchAfter = minutes
            case "travel":
                let usage = "officer travel speed=KMkmh | officer travel matrix [speed=KMkmh]"
                var words = rest
                var matrix = false
                if let first = words.first, first.key == nil, first.text.lowercased() == "matrix" {
                    matrix = true
                    words.removeFirst()
                }
                guard let options = options(words, allowed: ["speed"], number: number, usage: usage) else { return }
                var speed = 40
                if let word = options["speed"] {
                    var digits = Substring(word.text.lowercased())
                    for unit in ["km/h", "kmh"] where digits.hasSuffix(unit) { digits = digits.dropLast(unit.count) }
                    guard let value = Int(digits), (1...300).contains(value) else {
                        error(number, word.column, "bad speed \"\(word.text)\"; expected whole km/h from 1 to 300 such as 40kmh")
                        return
                    }
                    speed = value
                } else if !matrix {
                    error(number, order.column, "missing speed=; expected: \(usage)")
                    return
                }
                officer.travel = .init(speedKilometresPerHour: speed, useMatrix: matrix)
            case "noshow":
                let usage = "officer noshow P% (0 to 100, at most two decimals)"
                guard let words = positionals(rest, 1...1, number: number, after: order, usage: usage) else { return }
                guard let basisPoints = ScenarioParser.basisPoints(words[0].text) else {
                    error(number, words[0].column, "bad no-show chance \"\(words[0].text)\"; expected a percentage from 0% to 100% such as 5% or 2.5%")
                    return
                }
                officer.noShowBasisPoints = basisPoints
            default:
                let usage = "officer release after=need|DURATION | officer release off"
                if off { officer.release = .off; return }
                guard let options = options(rest, allowed: ["after"], number: number, usage: usage) else { return }
                guard let word = options["after"] else { error(number, order.column, "missing after=; expected: \(usage)"); return }
                if word.text.lowercased() == "need" {
                    officer.release = .need
                } else if let minutes = duration(word, number: number, "after", minimum: 1) {
                    officer.release = .after(minutes: minutes)
                }
            }
        }

        // MARK: injects

        mutating func readInject(_ line: ScenarioLine, number: Int, timeWord: ScenarioLine.Word, mustBeRefused: Bool) {
            guard let minute = time(timeWord, number: number, "inject time") else { return }
            guard let requestWord = line.words.first(where: { $0.column > timeWord.column }) else {
                error(number, timeWord.column + timeWord.text.count + 1, "no request after \(timeWord.text); expected T+HH:MM REQUEST such as T+00:10 need add …")
                return
            }
            let text = line.text(from: requestWord.column)
            let request: Request
            switch RequestParser.parse(text) {
            case .success(let parsed): request = parsed
            case .failure(let failure):
                error(number, requestWord.column, "bad request: \(failure.message) (columns counted from the request); expected a request line of the control protocol")
                return
            }
            if let problem = engine.unknownCommand(request) {
                error(number, requestWord.column, problem)
                return
            }
            injects.append(Scenario.Inject(minute: minute, line: number, column: requestWord.column, text: text, request: request,
                                           mustBeRefused: mustBeRefused))
        }

        // MARK: expectations

        mutating func readExpect(_ line: ScenarioLine, _ words: [ScenarioLine.Word], number: Int, after: ScenarioLine.Word) {
            let forms = "by T+HH:MM need NAME met|dispatched|delivered, at T+HH:MM need NAME missing OP N, at T+HH:MM incident ID unmet|open OP N, never stock WAREHOUSE ITEM below N, unused volunteer|team ID, refused at T+HH:MM REQUEST"
            let text = "expect " + line.text(from: words.first?.column ?? after.column)
            guard let form = words.first, form.key == nil else {
                error(number, words.first?.column ?? after.column + after.text.count + 1, "missing what to expect; expected one of: \(forms)")
                return
            }
            func word(_ index: Int, _ what: String) -> ScenarioLine.Word? {
                guard index < words.count else {
                    let last = words.last!
                    error(number, last.column + last.text.count + (last.quoted ? 2 : 0) + 1, "missing \(what); expected: expect \(forms)")
                    return nil
                }
                guard words[index].key == nil else {
                    error(number, words[index].column, "unexpected option \(words[index].key!)=; expected \(what)")
                    return nil
                }
                return words[index]
            }
            func noMore(_ count: Int) -> Bool {
                guard words.count > count else { return true }
                error(number, words[count].column, "unexpected \"\(words[count].text)\" after the expectation; expected the end of the line (or a # comment)")
                return false
            }
            func comparison(_ index: Int) -> ExpectationSpec.Comparison? {
                guard let op = word(index, "a comparison") else { return nil }
                let text = op.text == "==" ? "=" : op.text
                guard let value = ExpectationSpec.Comparison(rawValue: text) else {
                    error(number, op.column, "bad comparison \"\(op.text)\"; expected one of <= < = >= > (with spaces around it)")
                    return nil
                }
                return value
            }
            func count(_ index: Int) -> Int64? {
                guard let number64 = word(index, "a number") else { return nil }
                guard let value = Int64(number64.text), value >= 0, value <= 1_000_000_000_000 else {
                    error(number, number64.column, "bad number \"\(number64.text)\"; expected a whole number from 0 to 1000000000000")
                    return nil
                }
                return value
            }
            var spec = ExpectationSpec(line: number, text: text, kind: .unusedTeam(""))
            switch form.text.lowercased() {
            case "by":
                guard let timeWord = word(1, "a deadline T+HH:MM"), let minute = time(timeWord, number: number, "deadline"),
                      let needWord = word(2, "need"), expectWord(needWord, "need", number: number),
                      let name = word(3, "the need's name"), let milestoneWord = word(4, "met, dispatched or delivered") else { return }
                guard let milestone = ExpectationSpec.Milestone(rawValue: milestoneWord.text.lowercased()) else {
                    error(number, milestoneWord.column, "bad milestone \"\(milestoneWord.text)\"; expected met, dispatched or delivered")
                    return
                }
                guard noMore(5) else { return }
                spec.kind = .need(name: name.text, milestone: milestone, byMinute: minute)
                spec.namePositions["need"] = name.column
            case "at":
                guard let timeWord = word(1, "a time T+HH:MM"), let minute = time(timeWord, number: number, "time"),
                      let subject = word(2, "need or incident") else { return }
                switch subject.text.lowercased() {
                case "need":
                    guard let name = word(3, "the need's name"), let what = word(4, "missing") else { return }
                    guard what.text.lowercased() == "missing" else {
                        error(number, what.column, "unexpected \"\(what.text)\"; expected missing (expect at T+HH:MM need NAME missing OP N)")
                        return
                    }
                    guard let op = comparison(5), let value = count(6), noMore(7) else { return }
                    spec.kind = .needMissing(name: name.text, comparison: op, value: value, atMinute: minute)
                    spec.namePositions["need"] = name.column
                case "incident":
                    guard let id = word(3, "the incident's id"), let what = word(4, "unmet or open") else { return }
                    guard let counted = ExpectationSpec.IncidentCount(rawValue: what.text.lowercased()) else {
                        error(number, what.column, "bad count \"\(what.text)\"; expected unmet (open needs not fully met) or open (open needs)")
                        return
                    }
                    guard let op = comparison(5), let value = count(6), noMore(7) else { return }
                    spec.kind = .incident(id: id.text, count: counted, comparison: op, value: Int(value), atMinute: minute)
                    spec.namePositions["incident"] = id.column
                default:
                    error(number, subject.column, "unexpected \"\(subject.text)\"; expected need or incident after the time")
                    return
                }
            case "never":
                guard let stock = word(1, "stock"), expectWord(stock, "stock", number: number),
                      let warehouse = word(2, "a warehouse"), let item = word(3, "an item"),
                      let below = word(4, "below"), expectWord(below, "below", number: number), let level = count(5), noMore(6) else { return }
                spec.kind = .stockNeverBelow(warehouse: warehouse.text, item: item.text, level: level)
                spec.namePositions["warehouse"] = warehouse.column
                spec.namePositions["item"] = item.column
            case "unused":
                guard let what = word(1, "volunteer or team"), let id = word(2, "an id") else { return }
                switch what.text.lowercased() {
                case "volunteer":
                    spec.kind = .unusedVolunteer(id.text)
                    spec.namePositions["volunteer"] = id.column
                case "team":
                    spec.kind = .unusedTeam(id.text)
                    spec.namePositions["team"] = id.column
                default:
                    error(number, what.column, "unexpected \"\(what.text)\"; expected volunteer or team")
                    return
                }
                guard noMore(3) else { return }
            case "refused":
                guard let at = word(1, "at"), expectWord(at, "at", number: number), let timeWord = word(2, "a time T+HH:MM") else { return }
                let before = injects.count
                readInject(line, number: number, timeWord: timeWord, mustBeRefused: true)
                guard injects.count > before else { return }
                refusedInjects[expectations.count] = before
                spec.kind = .refused(inject: before)
            default:
                error(number, form.column, "unknown expectation \"\(form.text)\"; expected one of: \(forms)")
                return
            }
            expectations.append(spec)
        }

        mutating func expectWord(_ word: ScenarioLine.Word, _ expected: String, number: Int) -> Bool {
            guard word.text.lowercased() == expected else {
                error(number, word.column, "unexpected \"\(word.text)\"; expected \(expected)")
                return false
            }
            return true
        }

        // MARK: the whole file

        mutating func finish(lineCount: Int) throws(ScenarioErrors) -> Scenario {
            var required: [(String, String)] = [("scenario", "scenario \"NAME\"")]
            if let replayLine = given["replay"] {
                // A replay starts where and when the incident did; a second answer to either would contradict it.
                for (keyword, what) in [("from", "where the drill starts"), ("start", "when the drill clock starts")] {
                    guard let line = given[keyword] else { continue }
                    error(line, 1, "\(keyword) given with replay incident (line \(replayLine)), which sets \(what): the live store just before the incident was opened, at its opening; expected one of them, not both")
                }
            } else {
                required += [("start", "start 2026-07-15T06:00+08:00"),
                             ("from", "from dataset PATH, from empty, from live, or replay incident ID"), ("end", "end T+HH:MM")]
            }
            for (keyword, example) in required where given[keyword] == nil {
                error(1, 1, "no \(keyword) directive; expected a line such as: \(example)")
            }
            if let end {
                for time in timesToCheck where time.minute > end.minute {
                    error(time.line, time.column, "\(time.what) \(DrillTime.text(time.minute)) is after the drill's end \(DrillTime.text(end.minute)); expected at most the end")
                }
            }
            if let (spec, position) = replay, errors.isEmpty {
                var spec = spec
                spec.endGiven = end != nil
                from = (.replay(incident: spec.incident), position)
                replay = (spec, position)
                // Known once the incident has been read from the store (IncidentReplay).
                if end == nil { end = (0, 0) }
            }
            guard errors.isEmpty, let name, let from, let end, start != nil || startsNow || replay != nil else { throw ScenarioErrors(errors) }
            // Stable: injects at one minute run in file order.
            let order = injects.indices.sorted { (injects[$0].minute, $0) < (injects[$1].minute, $1) }
            var newIndex = Array(repeating: 0, count: injects.count)
            for (position, old) in order.enumerated() { newIndex[old] = position }
            var specs = expectations
            for (expectation, inject) in refusedInjects { specs[expectation].kind = .refused(inject: newIndex[inject]) }
            return Scenario(file: file, name: name, start: start, from: from.0, seed: seed ?? 0, endMinute: end.minute, officer: officer,
                            injects: order.map { injects[$0] }, expectations: specs, fromPosition: from.1, replay: replay?.0,
                            writtenTimes: timesToCheck.map { .init(line: $0.line, column: $0.column, minute: $0.minute, what: $0.what) })
        }
    }

    /// `5%` → 500, `2.5%` → 250, `100%` → 10000 (hundredths of a percent, so the chance is exact).
    static func basisPoints(_ text: String) -> Int? {
        guard text.hasSuffix("%") else { return nil }
        let number = text.dropLast()
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].allSatisfy(\.isASCIIDigitCharacter), parts[0].count <= 3 else { return nil }
        var value = Int(parts[0])! * 100
        if parts.count == 2 {
            guard (1...2).contains(parts[1].count), parts[1].allSatisfy(\.isASCIIDigitCharacter) else { return nil }
            value += Int(parts[1])! * (parts[1].count == 1 ? 10 : 1)
        }
        return value <= 10_000 ? value : nil
    }
}
