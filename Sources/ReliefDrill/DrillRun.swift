import ReliefCore
import ReliefEngine
import ReliefMatching
import ReliefProtocol

/// One drill running: a discrete-event simulation on drill time. A sandbox `Engine` on its own
/// copy of the start state (marked `exercise`, so every incident it opens is an exercise), with
/// its own in-memory journal (`entries`), plays the scenario's injects and the simulated duty
/// officer's actions at their drill minutes, and checks the expectations as it goes.
///
/// Nothing here reads the wall clock or any randomness but the scenario's seed: events are ordered
/// by (time, phase, order scheduled), so the same scenario, start state and seed give the same
/// entries and the same report, byte for byte.
///
/// Offline, `run(until: endTime)` plays it all as fast as it can. Online, a host owns the run on
/// its own thread and paces it: `run(until:)` with the drill time its wall clock has reached
/// (`speed` times faster), `inject(line:)` for lines an organizer sends while it runs, `ask(line:)`
/// for observers' read-only questions, `stop()`, and `report()` at any moment. Not thread-safe:
/// one thread at a time.
public final class DrillRun {
    public let scenario: Scenario
    /// The drill clock at T+00:00.
    public let clockStart: DrillTime.Start
    /// Drill time now: the time of the last event played (or what `run(until:)` reached).
    public private(set) var now: Timestamp
    /// Every entry the drill's engine produced, in order: the drill's own journal.
    public private(set) var entries: [Entry] = []
    /// What happened, line by line, each marked as an exercise.
    public private(set) var log: [DrillLogLine] = []
    public private(set) var isFinished = false
    /// Officer actions the engine refused (each is in `log`): what a live officer would have met.
    public internal(set) var officerRefusals = 0

    let engine: Engine
    /// The state at T+00:00, for the report's starting values.
    let startState: State
    var agenda = DrillAgenda()
    var recorder: DrillRecorder
    var checks: [ExpectationCheck]
    /// The scenario's refused injects, as failed report expectations (each fails the drill).
    var injectOutcomes: [DrillReport.Expectation] = []
    /// Inputs of a replayed incident the engine refused in the drill's world (they do not fail it).
    var replayRefusals: [DrillReport.ReplayRefusal] = []
    var replayedInputs = 0
    var injectsRun = 0
    /// Volunteers who have been on duty (before or during the drill): only they can be resting.
    var worked: Set<String> = []

    static let organizer = "exercise:organizer"
    static let officer = "exercise:officer"

    /// A drill of `scenario` on `state`. `wallClock` is the host's clock, used only for `start now`;
    /// `timeZone` the operation's, for date-times without an offset in injects (as the live engine reads them).
    /// Throws when the scenario names what the start state lacks (a warehouse, an item, a
    /// volunteer or team in an expectation), every such error at once.
    public init(scenario: Scenario, state: State, planningStandards: PlanningStandards? = nil,
                matchingPolicy: MatchingPolicy = MatchingPolicy(), timeZone: OperationTimeZone = .utc,
                wallClock: Timestamp? = nil) throws(ScenarioErrors) {
        // `start now` is shown on the operation's wall clock, with its offset then.
        guard let start = scenario.start ?? wallClock.map({ now -> DrillTime.Start in
            let instant = Timestamp(milliseconds: now.milliseconds / 60_000 * 60_000)
            return DrillTime.Start(instant: instant, offsetMinutes: timeZone.secondsFromUTC(at: instant) / 60)
        }) else {
            throw ScenarioErrors([.init(file: scenario.file, line: 1, column: 1, message: "start now needs the host's clock; expected start DATE-TIME")])
        }
        if let replay = scenario.replay, replay.source == nil {
            throw ScenarioErrors([.init(file: scenario.file, line: scenario.fromPosition.line, column: scenario.fromPosition.column,
                                        message: "replay incident \(replay.incident) has not been read from a store; expected the scenario DrillStart.prepare returns")])
        }
        let problems = DrillRun.problems(of: scenario, in: state)
        guard problems.isEmpty else { throw ScenarioErrors(problems) }
        self.scenario = scenario
        self.clockStart = start
        self.now = start.instant
        self.startState = state
        engine = Engine(state: state, clock: .fixed(start.instant))
        engine.exercise = true
        engine.planningStandards = planningStandards
        engine.matchingPolicy = matchingPolicy
        engine.timeZone = timeZone
        recorder = DrillRecorder(start: start, state: state)
        checks = scenario.expectations.map { _ in ExpectationCheck() }
        for volunteer in state.volunteers.values where !volunteer.duty.isEmpty || volunteer.onDutySince != nil { worked.insert(volunteer.id) }

        for index in scenario.injects.indices { agenda.schedule(.inject(index), at: time(scenario.injects[index].minute)) }
        if scenario.officer.plan != nil { agenda.schedule(.plan, at: start.instant.milliseconds) }
        for (index, expectation) in scenario.expectations.enumerated() {
            if let deadline = expectation.kind.deadline { agenda.schedule(.check(index), at: time(deadline), phase: .check) }
        }
        agenda.schedule(.end, at: endTime.milliseconds, phase: .end)
        startChecks()
        note("drill \"\(scenario.name)\" from \(scenario.from.text), clock T+00:00 = \(start.iso8601), seed \(scenario.seed)")
    }

    /// The drill's state as it is now (read-only questions are answered from it).
    public var state: State { engine.state }
    public var endTime: Timestamp { clockStart.time(atMinute: scenario.endMinute) }
    /// Drill minutes since T+00:00.
    public var minute: Int { clockStart.minute(of: now) }
    /// When the next event is due; nil once the drill is over.
    public var nextEventTime: Timestamp? { isFinished ? nil : agenda.first.map { Timestamp(milliseconds: $0.time) } }

    func time(_ minute: Int) -> Int64 { clockStart.time(atMinute: minute).milliseconds }

    /// Plays every event due up to `time` (never past the end), then stands at `time`.
    public func run(until time: Timestamp) {
        let limit = min(time, endTime)
        while !isFinished, let next = agenda.first, next.time <= limit.milliseconds {
            _ = agenda.popFirst()
            now = Timestamp(milliseconds: next.time)
            play(next.action)
        }
        if !isFinished, limit > now { now = limit }
    }

    /// Plays the whole drill, as fast as it goes.
    public func runToEnd() { run(until: endTime) }

    /// An extra line from the organizer while the drill runs, played at drill time now. Its
    /// reply is the engine's; a refusal is logged (it does not fail the drill: the organizer saw it).
    @discardableResult
    public func inject(line: String) -> Reply {
        guard !isFinished else { return .error(.conflict, "the drill is over; nothing more can be injected") }
        injectsRun += 1
        // Logged before it runs, so what follows from it comes after it in the log.
        note("organizer: \(line)")
        let outcome = perform(line, actor: DrillRun.organizer)
        if case .error(let code, let message) = outcome.reply { note("organizer: refused: ERR \(code.rawValue) \(message)") }
        return outcome.reply
    }

    /// A read-only question answered from the drill's state (`stock query …`, `incident show …`).
    public func ask(line: String) -> Reply {
        let request: Request
        switch RequestParser.parse(line) {
        case .success(let parsed): request = parsed
        case .failure(let error): return .error(error.code, error.message)
        }
        if engine.isMutating(request) {
            return .error(.denied, "a question to a drill only reads; send changes as an inject")
        }
        engine.clock = .fixed(now)
        return engine.handle(request, actor: DrillRun.organizer).reply
    }

    /// Ends the drill now, before its end: expectations not yet decided fail, saying so.
    public func stop() {
        guard !isFinished else { return }
        finish(stoppedEarly: minute < scenario.endMinute)
    }

    // MARK: playing

    func play(_ action: DrillAgenda.Action) {
        switch action {
        case .inject(let index): playInject(index)
        case .plan: officerPlan()
        case .apply(let plan): officerApply(plan)
        case .dispatch(let allocation): officerDispatch(allocation)
        case .deliver(let allocation): officerDeliver(allocation)
        case .setOff(let assignment): officerSetOff(assignment)
        case .arrive(let assignment): officerArrive(assignment)
        case .release(let assignment, let reason): officerRelease(assignment, reason: reason)
        case .check(let index): deadlineReached(index)
        case .end: finish(stoppedEarly: false)
        }
    }

    func playInject(_ index: Int) {
        let inject = scenario.injects[index]
        injectsRun += 1
        let source = inject.replayedSeq.map { "replay of entry \($0)" } ?? "inject line \(inject.line)"
        note("\(source): \(inject.text)")
        let outcome = perform(inject.text, actor: DrillRun.organizer)
        let refusal: String? = if case .error(let code, let message) = outcome.reply { "ERR \(code.rawValue) \(message)" } else { nil }
        if let refusal { note("\(source) refused: \(refusal)") }
        if let seq = inject.replayedSeq {
            replayedInputs += 1
            // The real incident's input meets a world the what-if changed (a need cancelled after
            // the simulated officer sent its goods): a finding of the drill, not a broken scenario.
            if let refusal { replayRefusals.append(.init(seq: seq, minute: minute, text: inject.text, refusal: refusal)) }
        } else if inject.mustBeRefused {
            refusedInjectPlayed(index, refusal: refusal)
        } else if let refusal {
            // The scenario did not play as written, so what it meant to test was not tested.
            injectOutcomes.append(.init(line: inject.line, text: DrillTime.text(inject.minute) + " " + inject.text, held: false,
                                        detail: "inject refused at \(DrillTime.text(minute)): \(refusal)", minute: minute))
        }
    }

    /// Handles one request line at drill time now, and everything that follows from its entries:
    /// the journal, the record for the report, the officer's next steps, the expectations.
    @discardableResult
    func perform(_ line: String, actor: String) -> Outcome {
        engine.clock = .fixed(now)
        let outcome = engine.handle(line: line, actor: actor)
        guard !outcome.entries.isEmpty else { return outcome }
        entries.append(contentsOf: outcome.entries)
        let touched = DrillRun.stockTouched(by: outcome.entries, in: state)
        recorder.observe(outcome.entries, touched: touched, state: state, now: now)
        for entry in outcome.entries {
            if case .assignmentReleased(let id, _) = entry.event, let assignment = state.assignments[id], assignment.hoursMilliseconds > 0 {
                worked.insert(assignment.volunteer)
            }
        }
        react(to: outcome.entries)
        observeForExpectations(outcome.entries, touched: touched)
        return outcome
    }

    func note(_ text: String) {
        log.append(DrillLogLine(minute: minute, text: text))
    }

    func finish(stoppedEarly: Bool) {
        decideRemaining(stoppedEarly: stoppedEarly)
        recorder.close(state: state, now: now)
        agenda.removeAll()
        isFinished = true
        let failed = reportExpectations().filter { !$0.held }.count
        note("drill \(stoppedEarly ? "stopped" : "ended") at \(DrillTime.text(minute)): " + (failed == 0 ? "every expectation held" : "\(failed) expectation\(failed == 1 ? "" : "s") failed"))
    }

    /// (warehouse, item) pairs whose available stock the entries changed.
    static func stockTouched(by entries: [Entry], in state: State) -> Set<StockKey> {
        var touched = Set<StockKey>()
        for entry in entries {
            switch entry.event {
            case .lotReceived(let warehouse, _, let sku, _, _, _, _, _):
                touched.insert(StockKey(warehouse: warehouse, item: sku))
            case .lotIssued(let warehouse, let lot, _, _, _), .lotAdjusted(let warehouse, let lot, _, _, _):
                if let sku = state.lots[lot]?.sku { touched.insert(StockKey(warehouse: warehouse, item: sku)) }
            case .lotTransferred(let from, let to, let lot, _, _):
                if let sku = state.lots[lot]?.sku {
                    touched.insert(StockKey(warehouse: from, item: sku))
                    touched.insert(StockKey(warehouse: to, item: sku))
                }
            case .allocationReserved(let allocation):
                touched.insert(StockKey(warehouse: allocation.warehouse, item: allocation.sku))
            case .allocationDispatched(let id, _, _, _), .allocationReleased(let id, _):
                if let allocation = state.allocations[id] { touched.insert(StockKey(warehouse: allocation.warehouse, item: allocation.sku)) }
            default:
                break
            }
        }
        return touched
    }
}
