#if canImport(Glibc)
import Glibc
#endif
import CLibUV
import Foundation
import ReliefCore
import ReliefDrill
import ReliefEngine
import ReliefMatching
import ReliefProtocol
import ReliefLimits

/// One online drill on a thread of its own, beside live operation: it reads its scenario, builds
/// its start state, and plays its `DrillRun` paced by the wall clock (`speed` times faster, or as
/// fast as it goes), answering the organizer's commands between events. It owns the run; the loop
/// owns the live engine; they meet only at two mailboxes (commands in, events out, the loop woken
/// with `uv_async_send`). Its thread runs at a lower priority than the loop (nice 10), so live
/// clients keep their core even with a drill at `speed=max` on the other.
final class DrillWorker: @unchecked Sendable {
    // @unchecked: `run` (the DrillRun) is touched only on the worker's thread; everything else is
    // immutable, guarded by `lock` (commands), or the events mailbox.

    enum Speed: Sendable, Equatable, CustomStringConvertible {
        case times(Double)
        case max

        var description: String {
            switch self {
            case .max: "max"
            case .times(let factor): factor == factor.rounded() ? String(Int(factor)) : String(factor)
            }
        }
    }

    enum Command: Sendable {
        case pause
        case resume(Speed?)
        case stop
        case inject(String, ticket: Int)
        case ask(String, ticket: Int)
        case report(ticket: Int)
    }

    /// What the loop learns, in order.
    enum Event: Sendable {
        case started(Status)
        /// The scenario did not start: every error.
        case failed([String])
        case progress(Status)
        case reply(ticket: Int, Reply)
        /// Over (played to its end, or stopped): the report written to `directory`, and who took
        /// part (assigned in the sandbox), for the live drill record.
        case finished(Status, directory: String?, writeError: String?, teams: [String: String], volunteers: [String: String])
    }

    /// What `drill list` and `drill status` show.
    struct Status: Sendable {
        var scenario = ""
        var from = ""
        var state = "loading"
        var minute = 0
        var endMinute = 0
        var clock = ""
        var injects = 0
        var held = 0
        var failed = 0
        var pending = 0
        var needsOpen = 0
        var plans = 0
        var speed = Speed.max
        var lastLog = ""
    }

    struct Setup: Sendable {
        var id: String
        var path: String
        var speed: Speed
        var catalogFile: String?
        var live: State
        var planningStandards: PlanningStandards?
        var matchingPolicy: MatchingPolicy
        var timeZone: OperationTimeZone = .utc
        var reportDirectory: String
    }

    let setup: Setup
    private let lock = NSCondition()
    private var commands: [Command] = []
    private let events: LoopMailbox<Event>
    /// Worker thread only.
    private var run: DrillRun?
    private var speed: Speed
    private var paused = false
    /// Pacing anchor: at wall time `anchorWall` (monotonic ns) the drill stood at `anchorDrill`.
    private var anchorWall: UInt64 = 0
    private var anchorDrill = Timestamp(milliseconds: 0)
    private var lastProgress: UInt64 = 0

    /// Commands waiting at most: the organizer's, bounded so a flood of injects cannot queue without end.
    static let maxCommands = Limits.drillCommandsQueued

    init(setup: Setup, wakeLoop: UnsafeMutablePointer<uv_async_t>) {
        self.setup = setup
        self.speed = setup.speed
        events = LoopMailbox(wake: wakeLoop)
    }

    func start() {
        let thread = Thread { [self] in work() }
        thread.name = "reliefd-drill-\(setup.id)"
        thread.start()
    }

    /// Hands the worker a command; false when too many are waiting.
    func send(_ command: Command) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard commands.count < DrillWorker.maxCommands else { return false }
        commands.append(command)
        lock.signal()
        return true
    }

    /// Takes every event posted so far (loop thread).
    func drainEvents() -> [Event] { events.drain() }

    private func post(_ event: Event) { events.post(event) }

    // MARK: the worker's thread

    private func work() {
        // Below the loop: a drill at speed=max takes the spare core, never the loop's.
        _ = reliefd_nice_this_thread(10)
        guard let run = load() else { return }
        self.run = run
        anchor()
        post(.started(status()))
        while true {
            let (command, deadline) = nextCommand()
            if let command {
                if handle(command) { break }
                continue
            }
            if paused { continue }
            step(until: deadline)
            if run.isFinished { break }
            let now = DispatchTime.now().uptimeNanoseconds
            if now &- lastProgress >= 200_000_000 {
                lastProgress = now
                post(.progress(status()))
            }
        }
        finish()
    }

    /// Reads and checks the scenario and builds its start state (seconds for a dataset with a
    /// generated roster: here, not on the loop).
    private func load() -> DrillRun? {
        guard let bytes = FileManager.default.contents(atPath: setup.path) else {
            post(.failed(["\(setup.path): cannot read the scenario"]))
            return nil
        }
        do throws(ScenarioErrors) {
            let scenario = try ScenarioParser.parse(bytes: Array(bytes), file: setup.path)
            let wallClock = Clock.system.now()
            let startTime = scenario.start?.instant ?? Timestamp(milliseconds: wallClock.milliseconds / 60_000 * 60_000)
            let live = setup.live
            let state = try DrillStart.state(for: scenario, at: startTime,
                                             sources: DrillStart.Sources(catalogFile: setup.catalogFile, live: { live }, timeZone: setup.timeZone))
            return try DrillRun(scenario: scenario, state: state, planningStandards: setup.planningStandards,
                                matchingPolicy: setup.matchingPolicy, timeZone: setup.timeZone, wallClock: wallClock)
        } catch {
            post(.failed(error.items.map { "\($0)" }))
            return nil
        }
    }

    private func anchor() {
        anchorWall = DispatchTime.now().uptimeNanoseconds
        anchorDrill = run!.now
    }

    /// The drill time the wall clock has reached at this speed.
    private func drillTimeNow() -> Timestamp {
        guard case .times(let factor) = speed else { return run!.endTime }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds &- anchorWall) / 1e6 * factor
        return Timestamp(milliseconds: anchorDrill.milliseconds + Int64(elapsed.rounded(.down)))
    }

    /// The next command, or nil once there is drill work to do: waits (without spinning) until a
    /// command comes or the next event is due on the wall clock. Returns the drill time to play up to.
    private func nextCommand() -> (Command?, Timestamp) {
        lock.lock()
        defer { lock.unlock() }
        while commands.isEmpty {
            if paused {
                lock.wait()
                continue
            }
            guard case .times(let factor) = speed, let next = run!.nextEventTime else { break }
            let target = drillTimeNow()
            if next <= target { return (nil, target) }
            // Sleep until the next event is due (at most a second, so status keeps moving).
            let wallDue = Double(next.milliseconds - anchorDrill.milliseconds) / factor / 1000
            let waitSeconds = min(max(wallDue - Double(DispatchTime.now().uptimeNanoseconds &- anchorWall) / 1e9, 0.001), 1)
            _ = lock.wait(until: Date(timeIntervalSinceNow: waitSeconds))
            if commands.isEmpty { return (nil, drillTimeNow()) }
        }
        if !commands.isEmpty { return (commands.removeFirst(), Timestamp(milliseconds: 0)) }
        return (nil, drillTimeNow())
    }

    /// Plays events up to `deadline`; at speed=max a few milliseconds' worth at a time, so
    /// commands are answered promptly.
    private func step(until deadline: Timestamp) {
        let run = run!
        guard case .max = speed else {
            run.run(until: deadline)
            return
        }
        let started = DispatchTime.now().uptimeNanoseconds
        while !run.isFinished, let next = run.nextEventTime, DispatchTime.now().uptimeNanoseconds &- started < 20_000_000 {
            run.run(until: next)
        }
        if run.nextEventTime == nil, !run.isFinished { run.runToEnd() }
    }

    /// True when the drill is over.
    private func handle(_ command: Command) -> Bool {
        let run = run!
        switch command {
        case .pause:
            if !paused { paused = true }
            post(.progress(status()))
        case .resume(let newSpeed):
            paused = false
            if let newSpeed { speed = newSpeed }
            anchor()
            post(.progress(status()))
        case .stop:
            run.stop()
            return true
        case .inject(let line, let ticket):
            post(.reply(ticket: ticket, run.inject(line: line)))
            post(.progress(status()))
        case .ask(let line, let ticket):
            post(.reply(ticket: ticket, run.ask(line: line)))
        case .report(let ticket):
            let directory = setup.reportDirectory
            do {
                try write(run.report(), log: run.log, to: directory)
                post(.reply(ticket: ticket, .ok(["drill": setup.id, "report": directory + "/report.html", "json": directory + "/report.json",
                                                 "exercise": "yes"])))
            } catch {
                post(.reply(ticket: ticket, .error(.unavailable, "cannot write the report to \(directory): \(error)")))
            }
        }
        return run.isFinished
    }

    private func finish() {
        let run = run!
        let report = run.report()
        var writeError: String?
        do {
            try write(report, log: run.log, to: setup.reportDirectory)
        } catch {
            writeError = "\(error)"
        }
        // Who took part: everyone the sandbox assigned (a team by its specialty, a volunteer by
        // the need's skill).
        var teams: [String: String] = [:], volunteers: [String: String] = [:]
        for assignment in run.state.assignments.values {
            guard let need = run.state.needs[assignment.need] else { continue }
            if let team = assignment.team, let specialty = run.state.teams[team]?.specialty {
                teams[team] = specialty
            } else if case .volunteers(let skill, _, _) = need.request {
                volunteers[assignment.volunteer] = skill
            } else {
                volunteers[assignment.volunteer] = "participant"
            }
        }
        post(.finished(status(), directory: writeError == nil ? setup.reportDirectory : nil, writeError: writeError,
                       teams: teams, volunteers: volunteers))
    }

    private func write(_ report: DrillReport, log: [DrillLogLine], to directory: String) throws {
        try report.write(to: directory)
        try Data(log.map { "\($0)\n" }.joined().utf8).write(to: URL(fileURLWithPath: directory + "/drill.log"), options: .atomic)
    }

    private func status() -> Status {
        let run = run!
        var status = Status()
        status.scenario = run.scenario.name
        status.from = run.scenario.from.text
        status.state = run.isFinished ? "finished" : paused ? "paused" : "running"
        // Between events the drill clock still moves (paced by the wall clock).
        status.minute = run.minute
        if case .times = speed, !run.isFinished, !paused {
            status.minute = max(run.minute, run.clockStart.minute(of: min(drillTimeNow(), run.endTime)))
        }
        status.endMinute = run.scenario.endMinute
        status.clock = run.clockStart.iso8601
        status.speed = speed
        let report = run.report()
        status.injects = report.summary.injects
        status.held = report.summary.expectationsHeld
        status.failed = report.summary.expectationsFailed
        status.pending = report.expectations.filter(\.isPending).count
        status.needsOpen = run.state.needs.values.filter { $0.status == .open }.count
        status.plans = report.summary.plansProposed
        status.lastLog = run.log.last.map { "\($0)" } ?? ""
        return status
    }
}
