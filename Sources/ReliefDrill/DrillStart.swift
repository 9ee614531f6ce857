import Foundation
import ReliefCore
import ReliefEngine

/// The state a drill starts from (`from dataset …`, `from empty`, `from live`). Datasets and the
/// skill catalog are request lines run through an engine whose clock stands at the drill's
/// T+00:00, so lots are received, and the generated roster's certifications are dated, as of the
/// drill's own day: the same scenario gives the same start state on any day it is run.
public enum DrillStart {
    /// Where the files a start needs are, and how to read the live state (the host's store).
    public struct Sources {
        /// The skill catalog loaded before a dataset or into an empty store (`catalog_file`); nil: none.
        public var catalogFile: String?
        /// The live state, read-only (nil where there is none, e.g. a test).
        public var live: (() throws -> State)?
        /// One incident's history in the live store, read-only, for `replay incident ID` (nil
        /// where there is no store).
        public var history: ((String) throws -> IncidentHistory)?
        /// The operation's time zone, for date-times without an offset in a dataset's lines.
        public var timeZone: OperationTimeZone

        public init(catalogFile: String? = "config/catalog/skills.commands", live: (() throws -> State)? = nil,
                    history: ((String) throws -> IncidentHistory)? = nil, timeZone: OperationTimeZone = .utc) {
            self.catalogFile = catalogFile
            self.live = live
            self.history = history
            self.timeZone = timeZone
        }
    }

    /// The scenario as it runs and the state it starts from. A replay (`replay incident ID`) reads
    /// the incident's history and gets its start, its injects and its end from it
    /// (`IncidentReplay`); any other scenario is returned as it is, with the state of its `from`
    /// at its T+00:00 (`start now`: `wallClock`, to the minute).
    public static func prepare(_ scenario: Scenario, wallClock: Timestamp?, sources: Sources) throws(ScenarioErrors) -> (scenario: Scenario, state: State) {
        func failure(_ message: String) -> ScenarioErrors {
            ScenarioErrors([.init(file: scenario.file, line: scenario.fromPosition.line, column: scenario.fromPosition.column, message: message)])
        }
        if case .replay(let incident) = scenario.from {
            guard let read = sources.history else {
                throw failure("no store to replay incident \(incident) from here; expected from dataset PATH or from empty")
            }
            let history: IncidentHistory
            do {
                history = try read(incident)
            } catch {
                throw failure("cannot replay incident \(incident): \(error)")
            }
            return (try IncidentReplay.resolve(scenario, history: history), history.before)
        }
        guard let time = scenario.start?.instant ?? wallClock.map({ Timestamp(milliseconds: $0.milliseconds / 60_000 * 60_000) }) else {
            throw ScenarioErrors([.init(file: scenario.file, line: 1, column: 1, message: "start now needs the host's clock; expected start DATE-TIME")])
        }
        return (scenario, try state(for: scenario, at: time, sources: sources))
    }

    /// A refused line of a file of requests.
    public struct LineFailure: Error, Sendable {
        public var line: Int
        public var message: String
    }

    /// The start state of `scenario` with its clock at `time` (T+00:00). Errors name the `from`
    /// line of the scenario and what went wrong in the file it names.
    public static func state(for scenario: Scenario, at time: Timestamp, sources: Sources) throws(ScenarioErrors) -> State {
        func failure(_ message: String) -> ScenarioErrors {
            ScenarioErrors([.init(file: scenario.file, line: scenario.fromPosition.line, column: scenario.fromPosition.column, message: message)])
        }
        switch scenario.from {
        case .live:
            guard let live = sources.live else { throw failure("no live state to start from here; expected from dataset PATH or from empty") }
            do {
                return try live()
            } catch {
                throw failure("cannot read the live state: \(error)")
            }
        case .replay(let incident):
            throw failure("replay incident \(incident) starts from what the store says of it; expected DrillStart.prepare, which reads it")
        case .empty:
            return try catalog(sources, at: time, failure)
        case .dataset(let path, let volunteers, let rosterSeed):
            var state = try catalog(sources, at: time, failure)
            guard let text = read(path) else {
                throw failure("cannot read dataset \(path); expected a file of request lines (relative paths start in the current directory)")
            }
            do {
                state = try run(lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init), on: state, at: time,
                                timeZone: sources.timeZone)
            } catch {
                throw failure("dataset \(path) line \(error.line): \(error.message); expected a dataset the engine accepts")
            }
            if volunteers > 0 {
                let lines = RosterGenerator.demoLines(seed: rosterSeed, volunteers: volunteers, now: time.day)
                do {
                    state = try run(lines: lines, on: state, at: time, timeZone: sources.timeZone)
                } catch {
                    throw failure("generated roster (seed \(rosterSeed), \(volunteers) volunteers) line \(error.line): \(error.message); expected dataset \(path) to hold the regions of the Shanxi demo")
                }
            }
            return state
        }
    }

    private static func catalog(_ sources: Sources, at time: Timestamp, _ failure: (String) -> ScenarioErrors) throws(ScenarioErrors) -> State {
        guard let file = sources.catalogFile else { return State() }
        guard let text = read(file) else { throw failure("cannot read the skill catalog \(file) (catalog_file); expected a file of skill add and specialty add lines") }
        do {
            return try run(lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init), on: State(), at: time,
                           timeZone: sources.timeZone)
        } catch {
            throw failure("skill catalog \(file) line \(error.line): \(error.message)")
        }
    }

    private static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(validating: data, as: UTF8.self)
    }

    /// Runs request lines (blank lines and `#` comments skipped) on `state` with the clock at
    /// `time` (date-times without an offset read in `timeZone`); the first refused line stops it,
    /// named by its number.
    public static func run(lines: [String], on state: State, at time: Timestamp, timeZone: OperationTimeZone = .utc) throws(LineFailure) -> State {
        let engine = Engine(state: state, clock: .fixed(time))
        engine.timeZone = timeZone
        for (index, line) in lines.enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let outcome = engine.handle(line: line.hasSuffix("\r") ? String(line.dropLast()) : line, actor: "exercise:setup")
            if case .error(let code, let message) = outcome.reply {
                throw LineFailure(line: index + 1, message: "ERR \(code.rawValue) \(message)")
            }
        }
        return engine.state
    }
}
