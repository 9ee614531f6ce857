/// How the simulated duty officer acts (the `officer …` directives). The officer works only
/// through the engine's own commands, so a drill meets every check a live officer would.
public struct OfficerOrders: Sendable, Equatable {
    /// `officer plan every=30m apply_after=10m [reach=city] [reserves=keep]`: run `plan` (with those
    /// options) every `every` minutes from T+00:00 and apply each proposal `applyAfter` minutes later. Nil (the default, or `officer plan off`): the
    /// officer never plans; injects do.
    public var plan: Cadence?
    /// `officer dispatch after=15m`: allocations are dispatched, and assigned people set off, this
    /// many minutes after they were reserved or assigned. Nil (`off`): they wait for injects.
    public var dispatchAfter: Int? = 15
    /// `officer travel speed=40kmh` or `officer travel matrix [speed=40kmh]`.
    public var travel = Travel(speedKilometresPerHour: 40, useMatrix: false)
    /// `officer noshow 5%`: each volunteer sent on their own fails to turn up with this chance,
    /// in hundredths of a percent (500 = 5 %), drawn from the drill's seed.
    public var noShowBasisPoints = 0
    /// `officer release after=need|DURATION|off`.
    public var release: Release = .need

    public init() {}

    public struct Cadence: Sendable, Equatable {
        public var every: Int
        public var applyAfter: Int
        /// `reach=` and `reserves=` given to each `plan` (nil: the plan's defaults).
        public var reach: String?
        public var reserves: String?
        public init(every: Int, applyAfter: Int, reach: String? = nil, reserves: String? = nil) {
            self.every = every; self.applyAfter = applyAfter; self.reach = reach; self.reserves = reserves
        }

        /// The request line the officer sends.
        public var command: String {
            "plan" + (reach.map { " reach=\($0)" } ?? "") + (reserves.map { " reserves=\($0)" } ?? "")
        }
    }

    public struct Travel: Sendable, Equatable {
        public var speedKilometresPerHour: Int
        /// Road minutes from the travel-time matrix where it has an entry (`State.travelTime`).
        public var useMatrix: Bool
        public init(speedKilometresPerHour: Int, useMatrix: Bool) {
            self.speedKilometresPerHour = speedKilometresPerHour; self.useMatrix = useMatrix
        }
    }

    /// When people on scene are stood down. Always no later than the moment a volunteer reaches
    /// their own duty-hour limit (`max_hours` in 24 h): the officer rotates people out there.
    public enum Release: Sendable, Equatable {
        /// After the need's `hours=`.
        case need
        case after(minutes: Int)
        /// Never by the officer: injects release them.
        case off
    }
}
