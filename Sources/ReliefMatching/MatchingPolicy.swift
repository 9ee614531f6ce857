import ReliefCore

/// The knobs of matching: what a kilometre costs, what crossing a region boundary costs, how far
/// supplies and people may come from, and how many people are considered per need. Costs are
/// integers in "cost points"; with the defaults one point is one metre of travel, so every other
/// knob reads as a distance (a county boundary costs as much as 5 km of road).
///
/// Defaults live here; `MatchingPolicy(parsing:)` reads the same knobs from configuration key/values
/// (`matching_cost_per_km = 1000`, …), refusing unknown keys and out-of-range values.
public struct MatchingPolicy: Sendable, Equatable {
    /// Cost points per kilometre of great-circle distance (0 to 100,000).
    public var costPerKilometre: Int64 = 1_000
    /// Cost points per minute of road travel where the travel-time matrix has an entry (0 to
    /// 100,000). The default is a kilometre's cost at 40 km/h (1000 × 40 / 60), so a matrix entry
    /// and a great-circle distance weigh alike; setting only `cost_per_km` keeps that ratio.
    public var costPerMinute: Int64 = 667
    /// Added per unit when the warehouse lies in another county of the incident's city.
    public var countyCrossingPenalty: Int64 = 5_000
    /// Added per unit when the warehouse lies in another city of the incident's province.
    public var cityCrossingPenalty: Int64 = 20_000
    /// Added per unit when the warehouse lies in another province.
    public var provinceCrossingPenalty: Int64 = 50_000
    /// Cost points per day a lot has left before it expires (capped at `expiryHorizonDays`; lots
    /// without expiry count one day more). Small on purpose: it orders lots of one warehouse
    /// first-expiring first and never outweighs more than horizon × weight points of travel.
    public var expiryCostPerDay: Int64 = 1
    public var expiryHorizonDays: Int64 = 1_000
    /// Supplies come from warehouses at most this far from the incident, whatever the reach tier:
    /// the outer bound of `country` (tiers, not kilometres, decide how far a plan looks).
    public var supplyReachKilometres: Double = 1_500
    /// Volunteers and teams come from at most this far from the incident, whatever the tier. The
    /// search for volunteers starts at `peopleSearchKilometres` and doubles until it has found
    /// its candidates or reaches this.
    public var peopleReachKilometres: Double = 1_500
    /// The first radius searched for volunteers (nearest first); wider only when too few are found.
    public var peopleSearchKilometres: Double = 100

    /// How far a plan looks for a need of each priority (1…5), by default: the incident's county,
    /// city, province or the whole country. Life-saving and urgent needs (1–3) are pooled across
    /// the province; routine ones (4–5) stay within the city.
    public var reachByPriority: [ReachTier] = [.province, .province, .province, .city, .city]
    /// Incidents of at least this severity (1–5; 6: none) reach one tier further than their needs'
    /// priorities say: a catastrophe draws on neighbouring provinces.
    public var widenReachSeverity: Int = 5

    /// Needs of one priority whose deadlines lie within this window of the earliest of them count
    /// as equally urgent and share scarce stock, instead of the earliest taking everything.
    public var urgencyWindowMilliseconds: Int64 = 6 * 3_600_000
    /// Fair shares are exact to 1 / `shareSteps` of each need (1: no sharing, equally urgent needs
    /// are served cheapest first).
    public var shareSteps: Int = 20

    /// Warehouse minimum levels are protected reserves: a plan draws on them only for needs of at
    /// most this priority (0: none by priority) …
    public var reservePriority: Int = 1
    /// … or of incidents of at least this severity (6: none by severity) …
    public var reserveSeverity: Int = 5
    /// … and at this extra cost per unit, so free stock farther away goes first (200 km of travel).
    public var reserveCostPerUnit: Int64 = 200_000
    /// Cost points per hour a volunteer was on duty in the last 24 hours (fatigue): with the default
    /// an hour already worked weighs like 10 km more travel.
    public var fatigueCostPerHour: Int64 = 10_000
    /// Volunteers (and teams) considered per unit of a personnel need, nearest first: a need for 5
    /// volunteers looks at the 50 nearest available, certified ones. Ten per unit leaves the solver
    /// plenty of room to settle competing needs, and keeps `match` within its 2 ms at province
    /// scale (20 per unit costs about 40 % more there).
    public var candidatesPerUnit: Int = 10
    /// `plan` over more open needs than this is solved off the loop, on a copy of the state.
    public var offloadAboveNeeds: Int = 200

    public init() {}

    /// Every configuration key, its form and meaning (for the lead's Configuration and the docs).
    public static let keys: [(key: String, form: String, help: String)] = [
        ("cost_per_km", "POINTS", "cost points per km of great-circle distance (0 to 100000; default 1000)"),
        ("cost_per_minute", "POINTS", "cost points per minute of road travel from the travel-time matrix (0 to 100000; default cost_per_km × 40 / 60, i.e. 40 km/h: 667)"),
        ("county_penalty", "POINTS", "per unit sent across a county boundary within a city (default 5000)"),
        ("city_penalty", "POINTS", "per unit sent across a city boundary within a province (default 20000)"),
        ("province_penalty", "POINTS", "per unit sent across a province boundary (default 50000)"),
        ("expiry_cost_per_day", "POINTS", "per unit and day of shelf life left: first-expiring lots first (default 1)"),
        ("expiry_horizon_days", "DAYS", "shelf life counted at most this many days (default 1000)"),
        ("supply_reach_km", "KM", "farthest warehouse considered for a supply need, whatever the reach tier (default 1500)"),
        ("people_reach_km", "KM", "farthest volunteer or team considered for a personnel need, whatever the reach tier (default 1500)"),
        ("people_search_km", "KM", "first radius searched for volunteers, doubled until enough are found (default 100)"),
        ("reach_priority_1", "TIER", "how far a plan looks for priority 1 needs: county, city, province or country (default province)"),
        ("reach_priority_2", "TIER", "… for priority 2 needs (default province)"),
        ("reach_priority_3", "TIER", "… for priority 3 needs (default province)"),
        ("reach_priority_4", "TIER", "… for priority 4 needs (default city)"),
        ("reach_priority_5", "TIER", "… for priority 5 needs (default city)"),
        ("reach_widen_severity", "N", "incidents of at least this severity reach one tier further (1 to 6, 6 = never; default 5)"),
        ("urgency_window", "DURATION", "deadlines of one priority within this of the earliest count as equally urgent and share scarce stock (0m to 7d; default 6h)"),
        ("share_steps", "N", "fair shares are exact to 1/N of each need (1 to 100, 1 = no sharing; default 20)"),
        ("reserve_priority", "N", "warehouse minimum levels are drawn on only for needs of at most this priority (0 to 5, 0 = none; default 1)"),
        ("reserve_severity", "N", "… or of incidents of at least this severity (1 to 6, 6 = none; default 5)"),
        ("reserve_cost", "POINTS", "per unit drawn from a protected reserve, so free stock farther away goes first (default 200000)"),
        ("fatigue_cost_per_hour", "POINTS", "per hour on duty in the last 24 h (default 10000)"),
        ("candidates_per_unit", "N", "volunteers or teams considered per unit of a personnel need, nearest first (1 to 1000; default 10)"),
        ("offload_above_needs", "N", "plan over more open needs than this is solved off the loop (0 to 1000000; default 200)"),
    ]

    public struct Problem: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(_ message: String) { self.message = message }
    }

    /// The defaults with the given keys (from `keys`; a `matching_` prefix is accepted and dropped)
    /// changed. Throws on an unknown key or a value out of range, naming it.
    public init(parsing values: [String: String]) throws {
        self.init()
        for key in values.keys.sorted() {
            let value = values[key]!
            let name = key.hasPrefix("matching_") ? String(key.dropFirst("matching_".count)) : key
            func points(_ range: ClosedRange<Int64>) throws -> Int64 {
                guard let parsed = Int64(value.trimmingSpaces), range.contains(parsed) else {
                    throw Problem("bad value \"\(value)\" for \(key); expected a whole number from \(range.lowerBound) to \(range.upperBound)")
                }
                return parsed
            }
            func kilometres() throws -> Double {
                guard let parsed = parseRadiusKilometres(value.trimmingSpaces), parsed > 0, parsed <= 20_000 else {
                    throw Problem("bad value \"\(value)\" for \(key); expected a distance from 1 m to 20000 km such as 150km")
                }
                return parsed
            }
            switch name {
            case "cost_per_km": costPerKilometre = try points(0...100_000)
            case "cost_per_minute": costPerMinute = try points(0...100_000)
            case "county_penalty": countyCrossingPenalty = try points(0...1_000_000_000)
            case "city_penalty": cityCrossingPenalty = try points(0...1_000_000_000)
            case "province_penalty": provinceCrossingPenalty = try points(0...1_000_000_000)
            case "expiry_cost_per_day": expiryCostPerDay = try points(0...1_000_000)
            case "expiry_horizon_days": expiryHorizonDays = try points(1...36_500)
            case "supply_reach_km": supplyReachKilometres = try kilometres()
            case "people_reach_km": peopleReachKilometres = try kilometres()
            case "people_search_km": peopleSearchKilometres = try kilometres()
            case "reach_priority_1", "reach_priority_2", "reach_priority_3", "reach_priority_4", "reach_priority_5":
                guard let tier = ReachTier(name: value.trimmingSpaces) else {
                    throw Problem("bad value \"\(value)\" for \(key); expected one of \(ReachTier.names)")
                }
                reachByPriority[Int(name.last!.asciiValue! - 0x31)] = tier
            case "reach_widen_severity": widenReachSeverity = Int(try points(1...6))
            case "urgency_window":
                guard let window = DurationText.milliseconds(value.trimmingSpaces), window <= 7 * 86_400_000 else {
                    throw Problem("bad value \"\(value)\" for \(key); expected a duration from 0m to 7d such as 6h")
                }
                urgencyWindowMilliseconds = window
            case "share_steps": shareSteps = Int(try points(1...100))
            case "reserve_priority": reservePriority = Int(try points(0...5))
            case "reserve_severity": reserveSeverity = Int(try points(1...6))
            case "reserve_cost": reserveCostPerUnit = try points(0...1_000_000_000)
            case "fatigue_cost_per_hour": fatigueCostPerHour = try points(0...1_000_000_000)
            case "candidates_per_unit": candidatesPerUnit = Int(try points(1...1_000))
            case "offload_above_needs": offloadAboveNeeds = Int(try points(0...1_000_000))
            default:
                throw Problem("unknown matching key \"\(key)\"; expected one of " + MatchingPolicy.keys.map(\.key).joined(separator: ", "))
            }
        }
        // cost_per_minute follows cost_per_km (at 40 km/h) unless it is given itself.
        let names = values.keys.map { $0.hasPrefix("matching_") ? String($0.dropFirst("matching_".count)) : $0 }
        if !names.contains("cost_per_minute") { costPerMinute = (costPerKilometre * 2 + 1) / 3 }
    }

    /// How far a plan looks for `need` of `incident`: the plan's own reach if it was given one,
    /// else the need's, else the priority's default, one tier wider for a severe incident.
    public func reach(for need: Need, of incident: Incident, planReach: ReachTier? = nil) -> ReachTier {
        if let planReach { return planReach }
        if let own = need.reach { return own }
        let byPriority = reachByPriority[min(max(need.priority, 1), 5) - 1]
        return incident.severity >= widenReachSeverity ? byPriority.wider : byPriority
    }

    /// Whether a plan may draw on protected reserves (warehouse minimum levels) for `need`.
    public func mayDrawReserves(for need: Need, of incident: Incident) -> Bool {
        need.priority <= reservePriority || incident.severity >= reserveSeverity
    }

    /// Cost points of travelling `kilometres` (rounded to the nearest point).
    public func travelCost(kilometres: Double) -> Int64 {
        Int64((kilometres * Double(costPerKilometre)).rounded())
    }

    /// Cost points of travel from a source — a warehouse (`warehouse` its id, `region` its region)
    /// or a volunteer's or team's home `region` (`warehouse` nil) — to an incident in
    /// `incidentRegion`, `kilometres` away as the crow flies: the road minutes of the most specific
    /// travel-time matrix entry (`State.travelTime`) × `cost_per_minute`, or, with no entry,
    /// great-circle km × `cost_per_km`. At most 10,000 minutes × 100,000 points: inside the
    /// bounds the matcher checks.
    public func travelCost(kilometres: Double, from warehouse: String?, region: String, to incidentRegion: String,
                           in state: State) -> Int64 {
        guard let time = state.travelTime(fromWarehouse: warehouse, region: region, toRegion: incidentRegion) else {
            return travelCost(kilometres: kilometres)
        }
        return Int64(time.minutes) * costPerMinute
    }

    /// The penalty for sending from region `from` to an incident in region `to`: the largest
    /// boundary crossed. Regions are paths `province/city/county`; a region that stops above the
    /// county (a city-level warehouse) is not inside any county, so it crosses a county boundary
    /// to reach a county-level incident of its own city.
    public func regionPenalty(from: String, to: String) -> Int64 {
        if from == to { return 0 }
        // On the UTF-8 bytes, without splitting: it runs for every candidate lot.
        let a = from.utf8, b = to.utf8
        let a1 = a.firstIndex(of: 0x2F) ?? a.endIndex, b1 = b.firstIndex(of: 0x2F) ?? b.endIndex
        guard a[..<a1].elementsEqual(b[..<b1]) else { return provinceCrossingPenalty }
        guard a1 != a.endIndex, b1 != b.endIndex else { return cityCrossingPenalty }
        let a2 = a[a.index(after: a1)...].firstIndex(of: 0x2F) ?? a.endIndex
        let b2 = b[b.index(after: b1)...].firstIndex(of: 0x2F) ?? b.endIndex
        guard a[a1..<a2].elementsEqual(b[b1..<b2]) else { return cityCrossingPenalty }
        return countyCrossingPenalty
    }

    /// Cost points favouring lots that expire first: days left (capped at the horizon; no expiry
    /// counts as horizon + 1) times the weight.
    public func expiryCost(expires: Day?, today: Day) -> Int64 {
        let days: Int64
        if let expires { days = min(max(0, Int64(expires.daysSinceEpoch - today.daysSinceEpoch)), expiryHorizonDays) }
        else { days = expiryHorizonDays + 1 }
        return days * expiryCostPerDay
    }

    /// Cost points of fatigue for `milliseconds` on duty in the last 24 hours.
    public func fatigueCost(dutyMilliseconds: Int64) -> Int64 {
        dutyMilliseconds * fatigueCostPerHour / 3_600_000
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while view.first == " " || view.first == "\t" { view = view.dropFirst() }
        while view.last == " " || view.last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
