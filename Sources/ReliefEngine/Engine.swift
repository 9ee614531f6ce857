import ReliefCore
import ReliefMatching
import ReliefProtocol
import ReliefLimits

/// What handling one request produced: the reply, the journal entries to commit before the reply
/// may be sent, and the sequence number the reply must wait for (0 when it need not wait).
public struct Outcome: Sendable {
    public var reply: Reply
    public var entries: [Entry]
    public var waitForSeq: Int64

    public init(reply: Reply, entries: [Entry] = [], waitForSeq: Int64 = 0) {
        self.reply = reply
        self.entries = entries
        self.waitForSeq = waitForSeq
    }
}

/// The command table and the state it works on. Owned by one thread (the loop): not Sendable.
public final class Engine {
    public private(set) var state: State
    public var clock: Clock
    /// Extra `info` fields supplied by the host (store, clients, role in a standby pair, …).
    public var hostInfo: () -> Fields = { Fields() }
    /// Recomputes the journal's hash chain on the store (`audit verify`); set by the host, run off
    /// the loop. nil: no store to verify.
    public var verifyJournal: (@Sendable (_ from: Int64) -> JournalVerification)?
    /// Reads journal entries from the store (`audit log`); set by the host, run off the loop.
    public var readJournal: (@Sendable (JournalFilter) -> JournalRead)?
    /// Writes the journal with its chain to an export named so (`audit export`); set by the host.
    public var exportJournal: (@Sendable (String) -> JournalExported)?
    /// The journal's stored hash of entry `seq` (waiting briefly for it to be committed), for the
    /// checkpoint a disclosure carries; set by the host, run off the loop. nil: no store.
    public var journalHash: (@Sendable (_ seq: Int64) -> String?)?
    /// Reads stock moves older than those the state holds in memory (State+MoveWindow.swift) from
    /// the store; set by the host, run off the loop. nil: no store (what memory holds is all there is).
    public var storedMoves: (@Sendable (MoveQuery) throws -> [StockMove])?
    /// Writes a disclosure's files (CSV and HTML) under the name given (`disclose file=`); set by
    /// the host, run off the loop.
    public var publishDisclosure: (@Sendable (Disclosure, String) -> DisclosurePublished)?
    /// What `need estimate` reckons with (planning_file); nil refuses estimates.
    public var planningStandards: PlanningStandards?
    /// What `match` and `plan` reckon with (cost per km, region penalties, reach); the host sets it
    /// from configuration with `MatchingPolicy(parsing:)`.
    public var matchingPolicy = MatchingPolicy()
    /// Set on a drill's sandbox engine: every incident opened is an exercise (`Incident.exercise`),
    /// so nothing a drill creates can pass for a real event.
    public var exercise = false
    /// A team that has not drilled for this many days is flagged by `team readiness` (drill_period_days).
    public var drillPeriodDays = 180
    /// The operation's time zone (time_zone): how `by=2026-12-03T18:00` (no offset) and
    /// `by=2026-12-03` are read. Only reading uses it: instants are journaled and answered in UTC.
    public var timeZone = OperationTimeZone.utc
    /// The alerts' thresholds, and what the next `evaluateAlerts` must look at.
    public var alertThresholds = AlertThresholds()
    public var alertMonitor = AlertMonitor()

    /// A class: a request's command is passed around several times on its way; one reference to
    /// retain, not a struct of arrays and closures to copy.
    final class Command: Sendable {
        let words: [String]
        /// The words joined by spaces (`stock receive`): made once, asked of every request.
        let name: String
        let usage: String
        let summary: String
        let mutating: Bool
        /// Who may run it (Access.swift): every command has a rule.
        let access: Access
        /// A command that answers with a listing takes `limit=N` (see `Listing`).
        let listing: Listing?
        let run: @Sendable (Engine, inout Arguments, Context) throws -> Reply
        /// For commands whose work can be too large for the loop (a plan over every open need): the
        /// work to run on another thread, or nil to run inline with `run`. See `Engine.offload`.
        let offload: (@Sendable (Engine, inout Arguments, Context) throws -> Offload?)?
        /// For reads whose reply is a pure function of a copy of the state (`volunteer find`): checks
        /// the request on the loop and returns the work, which may run on any thread. See
        /// `Engine.parallelRead`; `run` is this work run at once.
        let read: (@Sendable (Engine, inout Arguments, Context) throws -> @Sendable () -> Reply)?

        init(words: [String], usage: String, summary: String, mutating: Bool, access: Access, listing: Listing? = nil,
             offload: (@Sendable (Engine, inout Arguments, Context) throws -> Offload?)? = nil,
             read: (@Sendable (Engine, inout Arguments, Context) throws -> @Sendable () -> Reply)? = nil,
             run: @escaping @Sendable (Engine, inout Arguments, Context) throws -> Reply) {
            self.words = words; self.name = words.joined(separator: " "); self.summary = summary; self.mutating = mutating; self.access = access
            self.listing = listing; self.offload = offload; self.read = read; self.run = run
            // Every listing says it takes limit=, with its default.
            self.usage = listing == nil || usage.contains("limit=") ? usage : usage + " [limit=\(listing!.defaultLimit)]"
        }

        /// A read that may be answered on another thread: `read` checks the request (on the loop)
        /// and returns its work; handled inline, the work runs at once.
        convenience init(words: [String], usage: String, summary: String, access: Access, listing: Listing? = nil,
                         read: @escaping @Sendable (Engine, inout Arguments, Context) throws -> @Sendable () -> Reply) {
            self.init(words: words, usage: usage, summary: summary, mutating: false, access: access, listing: listing, read: read) { engine, arguments, context in
                try read(engine, &arguments, context)()
            }
        }
    }

    /// How many rows a listing gives: `limit=N` from 1 to `maxLimit`, `defaultLimit` without it.
    /// Past the limit the reply is cut and its header says so (`OK n rows more`), so a listing
    /// never silently passes for the whole picture and no request asks for unbounded memory.
    struct Listing: Sendable {
        var defaultLimit: Int
        var maxLimit: Int

        static let standard = Listing(defaultLimit: Limits.listingDefaultRows, maxLimit: Limits.listingRows)
        /// Rosters (a country has a million volunteers): streamed row by row, never built whole.
        static let roster = Listing(defaultLimit: Limits.listingDefaultRows, maxLimit: Limits.rosterRows)
        /// An incident's whole picture: everything unless it is huge.
        static let picture = Listing(defaultLimit: Limits.pictureDefaultRows, maxLimit: Limits.listingRows)

        /// The limit `request` asks for, and the request without its `limit=`.
        func limit(of request: Request) throws -> (Int, Request) {
            guard let index = request.options.firstIndex(where: { $0.key == "limit" }) else { return (defaultLimit, request) }
            let text = request.options[index].value
            guard let value = Int(text), value >= 1, value <= maxLimit else {
                throw Refusal(.syntax, "bad limit \"\(text)\"; expected a whole number from 1 to \(maxLimit)")
            }
            var stripped = request
            stripped.options.remove(at: index)
            return (value, stripped)
        }
    }

    /// Work a command hands to another thread. `compute` runs there on the values it captured (a
    /// copy of the state is cheap: copy-on-write); `finish` runs back on the loop with the result,
    /// like a command's `run`, and returns nil when the state has moved so far that the work must
    /// be done again on a fresh copy.
    struct Offload: Sendable {
        var compute: @Sendable () -> any Sendable
        var finish: @Sendable (Engine, any Sendable, inout Arguments, Context) throws -> Reply?
    }

    /// Per-request facts the command may use.
    struct Context {
        var principal: Principal
        var now: Timestamp
        /// The journal's actor for this request (`Principal.actor`).
        var actor: String { principal.actor }
        /// Rows a listing may give (`Listing`); a command that can stop early uses it, and the
        /// engine cuts whatever comes back to it.
        var limit: Int = .max
    }

    var commands: [String: Command] = [:]
    /// `noun group` prefixes of three-word commands (`team member`).
    private var threeWordGroups: Set<String> = []
    /// Entries produced by the request being handled.
    private var pending: [Entry] = []
    private var pendingContext = Context(principal: .system(""), now: Timestamp(milliseconds: 0))

    public init(state: State = State(), clock: Clock = .system) {
        self.state = state
        self.clock = clock
        for command in Engine.catalogCommands + Engine.stockCommands + Engine.rosterCommands + Engine.incidentCommands
            + Engine.matchingCommands + Engine.travelCommands + Engine.drillCommands + Engine.generalCommands
            + Engine.userCommands + Engine.auditCommands + Engine.donationCommands + Engine.alertCommands {
            commands[command.name] = command
            if command.words.count == 3 { threeWordGroups.insert(command.words[0] + " " + command.words[1]) }
        }
    }

    /// Replaces the state, after a reload from the store.
    public func reset(to state: State) {
        self.state = state
        alertMonitor.lookAgainAtEverything()
        generation += 1
        reloads += 1
    }

    /// Counts reloads of the state from the store (`reset`): off-loop work computed before one was
    /// computed on a history that may no longer exist (entries a failed commit lost), so its result
    /// is never recorded — it is computed again.
    public private(set) var reloads: Int64 = 0

    /// Counts every change to `state`, so an import checked on a copy can tell whether the live
    /// state moved meanwhile.
    public internal(set) var generation: Int64 = 0

    /// Adopts the state an import session built on its copy (only when `generation` is unchanged).
    func adopt(_ state: State) {
        self.state = state
        generation += 1
    }

    /// Whether `request` names one of `allowed` (full command words, e.g. "volunteer add").
    func names(_ request: Request, oneOf allowed: Set<String>) -> Bool {
        guard let (command, _) = lookup(request) else { return false }
        return allowed.contains(command.name)
    }

    /// The most rows `request` may answer with, when it names a listing (its `limit=`, or the
    /// listing's default); nil for anything else, or a limit the listing will refuse.
    public func listingLimit(_ request: Request) -> Int? {
        guard let (command, _) = lookup(request), let listing = command.listing else { return nil }
        return (try? listing.limit(of: request))?.0
    }

    /// True when the request names a command that changes state (and so needs the store).
    public func isMutating(_ request: Request) -> Bool {
        lookup(request)?.command.mutating ?? false
    }

    /// Nil when `request` names a command; otherwise why not and which commands were expected
    /// (what `handle` would answer), so a file of requests can be checked before any of it runs.
    public func unknownCommand(_ request: Request) -> String? {
        guard !request.words.isEmpty else { return "empty request; expected a command such as: help" }
        return lookup(request) == nil ? unknownCommandMessage(request) : nil
    }

    /// lookup's last answer. A request is asked about on its way through the server several times
    /// (refusal, mutating, offload, listing limit, handle, its name for the metrics): its words are
    /// lowercased and hashed once. The words are the key: the same request's array compares equal
    /// at once (one buffer), another request's word by word.
    private var lastLookup: (words: [String], found: (command: Command, words: Int)?)?

    func lookup(_ request: Request) -> (command: Command, words: Int)? {
        if let last = lastLookup, last.words == request.words { return last.found }
        let found = findCommand(request)
        lastLookup = (request.words, found)
        return found
    }

    private func findCommand(_ request: Request) -> (command: Command, words: Int)? {
        guard let first = request.words.first?.lowercased() else { return nil }
        // Longest match first: `team member add` before `team member`, before `team`. Three-word
        // keys are tried only under their two-word groups, so ordinary requests build one key.
        if request.words.count >= 2 {
            let two = first + " " + request.words[1].lowercased()
            if request.words.count >= 3, threeWordGroups.contains(two),
               let command = commands[two + " " + request.words[2].lowercased()] {
                return (command, 3)
            }
            if let command = commands[two] { return (command, 2) }
        }
        if let command = commands[first] { return (command, 1) }
        return nil
    }

    // MARK: work off the loop

    /// A request whose work runs on another thread (`Engine.offload`).
    public struct Deferred: Sendable {
        public let request: Request
        public let principal: Principal
        /// How many times the work has been started (again when the state moved meanwhile).
        public let attempt: Int
        /// The engine's `reloads` when the work was made.
        let reloads: Int64
        /// Runs on any thread; hand its result to `complete`.
        public let compute: @Sendable () -> any Sendable
        let finish: @Sendable (Engine, any Sendable, inout Arguments, Context) throws -> Reply?
    }

    public enum Completion: Sendable {
        case outcome(Outcome)
        /// The state moved while the work ran: run this instead.
        case again(Deferred)
    }

    /// Tries so many times before telling the client the state kept changing.
    public static let offloadAttempts = 3

    /// The arguments `command` sees for `request`: a listing's `limit=` is taken out of them into
    /// `context.limit` (the command sees no limit=, and the engine cuts its reply to it). Throws a
    /// refusal of a bad limit.
    private func arguments(of request: Request, for command: Command, commandWords: Int, into context: inout Context) throws -> Arguments {
        guard let listing = command.listing else { return Arguments(request, usage: command.usage, commandWords: commandWords) }
        let (limit, stripped) = try listing.limit(of: request)
        context.limit = limit
        return Arguments(stripped, usage: command.usage, commandWords: commandWords)
    }

    /// The off-loop work for `request`, or nil when it should simply be handled (most commands;
    /// small instances; a refused request, whose refusal `handle` gives).
    public func offload(_ request: Request, as principal: Principal, attempt: Int = 1) -> Deferred? {
        guard let (command, wordCount) = lookup(request), let offload = command.offload else { return nil }
        // A refusal is `handle`'s to give.
        if refusal(of: command.access, name: "", request: request, commandWords: wordCount, as: principal) != nil { return nil }
        if tokenAnswer(request, command, commandWords: wordCount, actor: principal.actor) != nil { return nil }
        var context = Context(principal: principal, now: clock.now())
        guard var arguments = try? self.arguments(of: request, for: command, commandWords: wordCount, into: &context),
              let work = try? offload(self, &arguments, context) else { return nil }
        return Deferred(request: request, principal: principal, attempt: attempt, reloads: reloads, compute: work.compute, finish: work.finish)
    }

    /// A read answered on another thread: `compute` gives the reply `handle` would give now (the
    /// request was checked, the state copied); it touches nothing of the engine.
    public struct ParallelRead: Sendable {
        /// The command's words, for the metrics.
        public let command: String
        /// Runs on any thread, once.
        public let compute: @Sendable () -> Reply
    }

    /// The work of `request` when it is a read that can be answered on another thread from a copy
    /// of the state (`Command.read`), listing at most `maxRows` rows; nil when it should simply be
    /// handled (any other command, a request `handle` refuses, a `req=` token, a larger listing).
    /// The reply `compute` gives is the one `handle` would give at this moment: later changes to
    /// the state are not seen by it, as a listing streamed from its copy does not see them.
    public func parallelRead(_ request: Request, as principal: Principal, maxRows: Int) -> ParallelRead? {
        guard request.requestToken == nil, let (command, wordCount) = lookup(request), let read = command.read else { return nil }
        // A refusal is `handle`'s to give.
        if refusal(of: command.access, name: "", request: request, commandWords: wordCount, as: principal) != nil { return nil }
        var context = Context(principal: principal, now: clock.now())
        guard var arguments = try? self.arguments(of: request, for: command, commandWords: wordCount, into: &context),
              command.listing == nil || context.limit <= maxRows,
              let work = try? read(self, &arguments, context) else { return nil }
        let limit = context.limit
        return ParallelRead(command: command.name) { Engine.cut(work(), to: limit) }
    }

    /// Finishes off-loop work on the loop: the request's outcome, as `handle` gives it.
    public func complete(_ deferred: Deferred, result: any Sendable) -> Completion {
        guard let (command, wordCount) = lookup(deferred.request) else {
            return .outcome(Outcome(reply: .error(.internal, "command of a deferred request vanished")))
        }
        // Another connection of the same client may have completed the token while this ran:
        // recording it twice would break the journal's rule that a token completes once.
        if let answer = tokenAnswer(deferred.request, command, commandWords: wordCount, actor: deferred.principal.actor) {
            return .outcome(answer)
        }
        /// The state moved too far while the work ran: run it again, a few times at most.
        func again() -> Completion {
            guard deferred.attempt < Engine.offloadAttempts,
                  let again = offload(deferred.request, as: deferred.principal, attempt: deferred.attempt + 1) else {
                if deferred.attempt < Engine.offloadAttempts {
                    // No longer off-loop work (the request is refused now, or small): answered here.
                    return .outcome(handle(deferred.request, as: deferred.principal))
                }
                return .outcome(Outcome(reply: .error(.conflict, "the state changed while \(command.name) was computed, "
                                                    + "\(deferred.attempt) times; nothing was recorded; try again")))
            }
            return .again(again)
        }
        // Reloaded from the store meanwhile: what the work saw may never have become durable.
        if deferred.reloads != reloads { return again() }
        pending.removeAll(keepingCapacity: true)
        pendingContext = Context(principal: deferred.principal, now: clock.now())
        do {
            // As `offload` made them (its limit was good then, and the request has not changed).
            var arguments = try self.arguments(of: deferred.request, for: command, commandWords: wordCount, into: &pendingContext)
            guard let reply = try deferred.finish(self, result, &arguments, pendingContext) else {
                precondition(pending.isEmpty, "a deferred request asking to run again must not have emitted events")
                return again()
            }
            return .outcome(finished(command, deferred.request, commandWords: wordCount, reply))
        } catch let refusal as Refusal {
            precondition(pending.isEmpty, "a refused request must not have emitted events")
            return .outcome(Outcome(reply: .error(refusal.code, refusal.message)))
        } catch {
            return .outcome(Outcome(reply: .error(.internal, "\(error)")))
        }
    }

    /// Parses and handles one request line.
    public func handle(line: String, as principal: Principal) -> Outcome {
        switch RequestParser.parse(line) {
        case .success(let request): return handle(request, as: principal)
        case .failure(let error): return Outcome(reply: .error(error.code, error.message))
        }
    }

    /// Parses and handles one request line for the daemon or a harness, journaled as `actor`
    /// with every right (`Principal.system`).
    public func handle(line: String, actor: String) -> Outcome {
        handle(line: line, as: .system(actor))
    }

    /// `handle(_:as:)` for the daemon or a harness, journaled as `actor` (`Principal.system`).
    public func handle(_ request: Request, actor: String) -> Outcome {
        handle(request, as: .system(actor))
    }

    /// Handles one request: checks it (the principal's rights first), applies its events to the
    /// state and returns them with the reply. A refused request changes nothing.
    public func handle(_ request: Request, as principal: Principal) -> Outcome {
        guard !request.words.isEmpty else { return Outcome(reply: .error(.syntax, "empty request; expected a command such as: help")) }
        guard let (command, wordCount) = lookup(request) else {
            return Outcome(reply: .error(.syntax, unknownCommandMessage(request)))
        }
        if let denied = refusal(of: command.access, name: command.name, request: request,
                                commandWords: wordCount, as: principal) {
            return Outcome(reply: .error(.denied, denied))
        }
        if let answer = tokenAnswer(request, command, commandWords: wordCount, actor: principal.actor) { return answer }
        pending.removeAll(keepingCapacity: true)
        pendingContext = Context(principal: principal, now: clock.now())
        do {
            var arguments = try self.arguments(of: request, for: command, commandWords: wordCount, into: &pendingContext)
            let reply = try command.run(self, &arguments, pendingContext)
            return finished(command, request, commandWords: wordCount, Engine.cut(reply, to: pendingContext.limit))
        } catch let refusal as Refusal {
            precondition(pending.isEmpty, "a refused request must not have emitted events")
            return Outcome(reply: .error(refusal.code, refusal.message))
        } catch {
            return Outcome(reply: .error(.internal, "\(error)"))
        }
    }

    /// Records and applies one event of the request being handled. The command has already checked
    /// everything `apply` checks, so a violation here is a bug in the engine: stop rather than let
    /// memory and journal disagree.
    func emit(_ event: Event) {
        let entry = Entry(seq: state.lastSeq + 1, time: pendingContext.now, actor: pendingContext.actor, event: event)
        do {
            try state.apply(entry)
        } catch {
            fatalError("engine emitted an event the state refuses: \(error)")
        }
        generation += 1
        pending.append(entry)
    }

    /// The last `limit` of `items` as rows, oldest first, marked `more` when older ones were left out
    /// (logs and histories show their newest end).
    static func newest<T>(_ items: [T], limit: Int, _ row: (T) -> Fields) -> Reply {
        let kept = items.count > limit ? Array(items.suffix(limit)) : items
        let rows = kept.map(row)
        return .stream(RowStream(count: rows.count, more: items.count > limit) { rows[$0] })
    }

    /// A listing's reply with at most `limit` rows, marked `more` when rows were dropped.
    static func cut(_ reply: Reply, to limit: Int) -> Reply {
        switch reply {
        case .rows(let rows) where rows.count > limit: .stream(RowStream(rows: rows, limit: limit))
        case .stream(let stream) where stream.count > limit: .stream(stream.prefix(limit))
        default: reply
        }
    }

    /// Journals a record the daemon makes by itself, outside any request (a snapshot's seal):
    /// applied now, its entry to be committed with the next batch. Its actor is `reliefd`.
    /// A follower's state moves on by the leader's committed entries, in order from the entry after
    /// its last; throws (leaving the state to be loaded again) when one does not follow or apply.
    public func follow(_ entries: [Entry]) throws {
        guard let first = entries.first else { return }
        guard first.seq == state.lastSeq + 1 else {
            throw InvariantViolation(seq: first.seq, message: "entry seq \(first.seq) does not follow the state's last seq \(state.lastSeq)")
        }
        defer { generation += 1 }
        for entry in entries { try state.apply(entry) }
    }

    public func record(_ event: Event, actor: String = "reliefd") -> Entry {
        let entry = Entry(seq: state.lastSeq + 1, time: clock.now(), actor: actor, event: event)
        do {
            try state.apply(entry)
        } catch {
            fatalError("the daemon recorded an event the state refuses: \(error)")
        }
        // Seqs moved on: an import checked on a copy must be checked again.
        generation += 1
        return entry
    }

    /// The outcome of a command that ran: its events (and the `req=` record) with the reply.
    private func finished(_ command: Command, _ request: Request, commandWords: Int, _ reply: Reply) -> Outcome {
        guard command.mutating, !pending.isEmpty else {
            pending.removeAll(keepingCapacity: true)
            return Outcome(reply: reply)
        }
        if let token = request.requestToken, case .ok(let fields) = reply {
            emit(.requestCompleted(token: token, reply: Engine.storedReply(fields),
                                   digest: Engine.requestDigest(request, commandWords: commandWords),
                                   command: command.name))
        }
        let entries = pending
        pending.removeAll(keepingCapacity: true)
        return Outcome(reply: reply, entries: entries, waitForSeq: entries.last!.seq)
    }

    private func unknownCommandMessage(_ request: Request) -> String {
        let first = request.words[0].lowercased()
        if request.words.count > 1 {
            // A noun and a group word (`team member …`): name the verbs of the group.
            let group = request.words[1].lowercased()
            let verbs = commands.values.filter { $0.words.count == 3 && $0.words[0] == first && $0.words[1] == group }.map { $0.words[2] }.sorted()
            if !verbs.isEmpty {
                let verb = request.words.count > 2 ? "\"\(request.words[2])\"" : "nothing"
                return "unknown \(first) \(group) command \(verb); expected one of: " + verbs.joined(separator: ", ")
            }
        }
        let verbs = Set(commands.values.filter { $0.words.count >= 2 && $0.words[0] == first }.map { $0.words[1] }).sorted()
        if !verbs.isEmpty {
            let verb = request.words.count > 1 ? "\"\(request.words[1])\"" : "nothing"
            return "unknown \(first) command \(verb); expected one of: " + verbs.joined(separator: ", ")
        }
        let nouns = Set(commands.values.map { $0.words[0] }).sorted()
        return "unknown command \"\(request.words[0])\"; expected one of: " + nouns.joined(separator: ", ")
    }

    static func fields(fromLogfmt text: String) -> Fields {
        Fields(ReplyReader.parseLogfmt(text).map { ($0.key, $0.value) })
    }

    /// One line per command, for `help`.
    var commandList: [Command] { commands.values.sorted { $0.words.lexicographicallyPrecedes($1.words) } }
}

// MARK: general commands

extension Engine {
    static let generalCommands: [Command] = [
        Command(words: ["ping"], usage: "ping", summary: "check the daemon answers", mutating: false, access: .open) { _, args, _ in
            try args.expect(positionals: 0...0, options: [])
            return .ok(["": "pong"])
        },
        Command(words: ["help"], usage: "help [NOUN]", summary: "list commands", mutating: false, access: .open) { engine, args, _ in
            try args.expect(positionals: 0...1, options: [])
            let noun = args.optionalPositional(0)?.lowercased()
            // The engine's commands and the server's own (auth, quit, drills, imports), with the
            // roles that may run each.
            let listed = engine.commandList.map { ($0.words, $0.usage, $0.mutating, $0.summary, $0.access) }
                + Engine.hostCommands.map { ($0.words, $0.usage, $0.words == ["import", "commit"], $0.summary, $0.access) }
            let rows = listed.filter { noun == nil || $0.0[0] == noun }.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map { command -> Fields in
                ["command": command.0.joined(separator: " "), "usage": command.1, "writes": command.2 ? "yes" : "no",
                 "roles": Role.allCases.allSatisfy(command.4.allows) ? "all" : Role.allCases.filter(command.4.allows).map(\.rawValue).joined(separator: ","),
                 "summary": command.3]
            }
            if rows.isEmpty, let noun { throw Refusal(.notFound, "no commands for \"\(noun)\"") }
            return .rows(rows)
        },
        Command(words: ["info"], usage: "info", summary: "daemon and operation summary", mutating: false, access: .session) { engine, args, context in
            try args.expect(positionals: 0...0, options: [])
            var fields: Fields = ["version": ReliefVersion.string, "seq": String(engine.state.lastSeq),
                                  "time": context.now.iso8601]
            fields.append("time_zone", engine.timeZone.identifier)
            fields.append("regions", String(engine.state.regions.count))
            fields.append("warehouses", String(engine.state.warehouses.count))
            fields.append("items", String(engine.state.items.count))
            fields.append("lots", String(engine.state.lots.count))
            for pair in engine.hostInfo().pairs { fields.append(pair.key, pair.value) }
            fields.append("your_role", context.principal.role.rawValue)
            fields.append("your_user", context.principal.user)
            return .ok(fields)
        },
    ]
}

public enum ReliefVersion {
    public static let string = "0.1.0"
}
