import ReliefProtocol

/// A drill scenario as read from its file (docs/drills.md): what it starts from, when its clock
/// starts and ends, how the simulated duty officer acts, the timed injects and the expectations.
/// Made only by `ScenarioParser`, which refuses a file with any error, so every value here is valid
/// on its own; what depends on the start state (a warehouse named in an expectation) is checked
/// when a `DrillRun` is made.
public struct Scenario: Sendable {
    /// The file as named to the parser (errors and the report use it).
    public var file: String
    public var name: String
    /// The drill clock at T+00:00; nil for `start now` (the host's clock when the drill is made).
    public var start: DrillTime.Start?
    public var from: Origin
    /// The drill's own randomness (no-shows); the roster's seed is part of `from`.
    public var seed: UInt64
    public var endMinute: Int
    public var officer: OfficerOrders
    /// In the order they run: by time, then file order.
    public var injects: [Inject]
    /// In file order.
    public var expectations: [ExpectationSpec]
    /// Where `from` was written, for errors found while loading the start state.
    public var fromPosition: Position

    /// What the drill starts from.
    public enum Origin: Sendable, Equatable {
        /// A dataset file of request lines run on an empty store with the skill catalog, then a
        /// generated demo roster of `volunteers` (0: none) from `rosterSeed`.
        case dataset(path: String, volunteers: Int, rosterSeed: UInt64)
        /// An empty store with the skill catalog only.
        case empty
        /// A copy of the live state when the drill starts.
        case live

        /// As the report shows it: `dataset config/demo/shanxi.commands volunteers=28500 seed=2026`.
        public var text: String {
            switch self {
            case .dataset(let path, let volunteers, let seed):
                "dataset \(path)" + (volunteers > 0 ? " volunteers=\(volunteers) seed=\(seed)" : "")
            case .empty: "empty"
            case .live: "live"
            }
        }
    }

    public struct Position: Sendable, Equatable {
        public var line: Int
        public var column: Int
        public init(line: Int, column: Int) { self.line = line; self.column = column }
    }

    /// A request line run at its drill minute, as the organizer (or, online, an observer) would
    /// send it to the daemon.
    public struct Inject: Sendable {
        public var minute: Int
        public var line: Int
        /// Column of the request's first word.
        public var column: Int
        /// The request as written (without its time and any comment).
        public var text: String
        public var request: Request
        /// Written `expect refused at T+…`: the engine must refuse it (a drill checking a rule holds).
        public var mustBeRefused: Bool
    }
}
