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
    /// Where `from` (or `replay`) was written, for errors found while loading the start state.
    public var fromPosition: Position
    /// `replay incident ID`: the drill replays a real incident of the store (IncidentReplay).
    public var replay: Replay?
    /// Every drill time the file wrote (inject times, deadlines), for checking them against an
    /// end that is only known once a replayed incident has been read.
    var writtenTimes: [WrittenTime] = []

    struct WrittenTime: Sendable, Equatable {
        var line: Int
        var column: Int
        var minute: Int
        var what: String
    }

    /// What the drill starts from.
    public enum Origin: Sendable, Equatable {
        /// A dataset file of request lines run on an empty store with the skill catalog, then a
        /// generated demo roster of `volunteers` (0: none) from `rosterSeed`.
        case dataset(path: String, volunteers: Int, rosterSeed: UInt64)
        /// An empty store with the skill catalog only.
        case empty
        /// A copy of the live state when the drill starts.
        case live
        /// The live store as it was just before this incident was opened (`replay incident ID`).
        case replay(incident: String)

        /// As the report shows it: `dataset config/demo/shanxi.commands volunteers=28500 seed=2026`.
        public var text: String {
            switch self {
            case .dataset(let path, let volunteers, let seed):
                "dataset \(path)" + (volunteers > 0 ? " volunteers=\(volunteers) seed=\(seed)" : "")
            case .empty: "empty"
            case .live: "live"
            case .replay(let incident): "replay incident \(incident) (the live store just before it was opened)"
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
        /// For an input of a replayed incident: the seq of the journal entry it re-expresses (its
        /// `line` and `column` are the `replay` directive's).
        public var replayedSeq: Int64? = nil
    }

    /// `replay incident ID [offset=±HH:MM]`: a real incident of the store played again as a drill.
    public struct Replay: Sendable, Equatable {
        public var incident: String
        /// The UTC offset the report shows times in (the journal keeps UTC).
        public var offsetMinutes: Int
        /// `end` was written; else the drill ends a margin after the incident's last entry.
        public var endGiven: Bool
        /// What the store said, once read (`IncidentReplay.resolve`); nil before.
        public var source: Source?

        public struct Source: Sendable, Equatable {
            public var openedSeq: Int64
            public var lastSeq: Int64
            /// The real incident's opening (UTC, ISO 8601), to the millisecond the journal has.
            public var openedAt: String
            /// Drill minute the real incident was closed at (its closing is not replayed), if it was.
            public var closedMinute: Int?
            /// Drill minute of its last entry.
            public var lastMinute: Int
            /// Entries of the incident that were officer's decisions and so are left to the
            /// simulated officer, by kind (`plan.proposed`: 12, …).
            public var leftToTheOfficer: [String: Int]
            /// Inputs after an `end` written earlier than the incident's last entry, not replayed.
            public var afterTheEnd: Int
            /// Stock receipts no request can make (goods returned as `source=allocation`), left out.
            public var inexpressible: Int
        }
    }
}
