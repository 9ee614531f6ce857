import ReliefLimits

/// The incident side of an operation: incidents, what they need, and what has been reserved,
/// dispatched and assigned to meet it. Plans (proposals of the matcher) are recorded as they were
/// proposed, so an after-action report can show what was suggested and what was applied.

public enum IncidentKind: String, Sendable, CaseIterable {
    case flood, earthquake, landslide, fire, epidemic, drought, storm, snow, chemical, other
}

/// open → active → contained → closed; a status never goes back.
public enum IncidentStatus: String, Sendable, CaseIterable {
    case open, active, contained, closed

    public var rank: Int {
        switch self {
        case .open: 0
        case .active: 1
        case .contained: 2
        case .closed: 3
        }
    }
}

/// One line of an incident's timeline, written by `apply` for every event that touches it.
public struct TimelineEntry: Sendable, Equatable {
    public var seq: Int64
    public var time: Timestamp
    public var actor: String
    public var text: String

    public init(seq: Int64, time: Timestamp, actor: String, text: String) {
        self.seq = seq; self.time = time; self.actor = actor; self.text = text
    }
}

public struct Incident: Sendable, Equatable {
    public var id: String
    public var title: String
    public var kind: IncidentKind
    public var location: Coordinate
    public var region: String
    /// 1 (minor) to 5 (catastrophic).
    public var severity: Int
    public var affected: Int64
    public var status: IncidentStatus = .open
    public var openedAt: Timestamp
    /// Needs of the incident, in the order they were added.
    public var needs: [String] = []
    public var timeline: [TimelineEntry] = []
    /// Opened in a drill (CAP's status=Exercise): never a real event, whoever reads it. Journaled
    /// only when true, so entries of real incidents are what they always were.
    public var exercise = false

    public init(id: String, title: String, kind: IncidentKind, location: Coordinate, region: String, severity: Int,
                affected: Int64, openedAt: Timestamp, exercise: Bool = false) {
        self.id = id; self.title = title; self.kind = kind; self.location = location; self.region = region
        self.severity = severity; self.affected = affected; self.openedAt = openedAt; self.exercise = exercise
    }
}

/// What a need asks for: a quantity of a catalog item, or people — volunteers with a skill, or
/// whole ready teams of a specialty.
public enum NeedRequest: Sendable, Equatable {
    case supply(sku: String, quantity: Int64)
    /// `count` volunteers certified (where the skill needs it) in `skill`, for `hours` each.
    case volunteers(skill: String, count: Int, hours: Int)
    /// `count` ready teams of `specialty`, for `hours`.
    case teams(specialty: String, count: Int, hours: Int)

    /// Units asked for: items, volunteers or teams.
    public var amount: Int64 {
        switch self {
        case .supply(_, let quantity): quantity
        case .volunteers(_, let count, _), .teams(_, let count, _): Int64(count)
        }
    }

    public var isSupply: Bool { if case .supply = self { true } else { false } }
}

public enum NeedStatus: String, Sendable, CaseIterable {
    case open, cancelled
}

public struct Need: Sendable, Equatable {
    public var id: String
    /// A name the client chose (`need add … ref=NAME`), so a script or a drill scenario can refer to
    /// the need without first reading back the id the daemon gave. Unique among all needs, open or
    /// not, and never reused.
    public var ref: String?
    public var incident: String
    public var request: NeedRequest
    /// 1 (most urgent) to 5; under scarcity lower numbers are served first.
    public var priority: Int
    public var neededBy: Timestamp
    public var status: NeedStatus = .open
    public var note: String?
    public var createdAt: Timestamp
    /// Every change, for the incident's log and the after-action report.
    public var changes: Int = 0
    /// Day k of a schedule of N daily needs (`need add … per_day=Q days=N`, `need estimate … days=N
    /// accept`); nil for a need on its own. Set when the need is added and never changed.
    public var schedule: NeedSchedule?
    /// How far a plan may look for what the need asks (`need add … reach=`, `need change … reach=`);
    /// nil = the configured default.
    public var reach: ReachTier?

    public init(id: String, incident: String, request: NeedRequest, priority: Int, neededBy: Timestamp, note: String?,
                createdAt: Timestamp, ref: String? = nil, schedule: NeedSchedule? = nil, reach: ReachTier? = nil) {
        self.id = id; self.incident = incident; self.request = request; self.priority = priority
        self.neededBy = neededBy; self.note = note; self.createdAt = createdAt; self.ref = ref
        self.schedule = schedule; self.reach = reach
    }

    public static let priorities = 1...5

    /// A change of a need's reach (`need change … reach=`): to a tier, or back to the configured
    /// default (`reach=default`).
    public enum ReachChange: Sendable, Equatable {
        case tier(ReachTier)
        case configuredDefault

        /// The word for it in a request and in the journal: a tier's name, or `default`.
        public var name: String {
            switch self {
            case .tier(let tier): tier.name
            case .configuredDefault: ReachChange.defaultName
            }
        }

        public init?(name: String) {
            if name == ReachChange.defaultName { self = .configuredDefault; return }
            guard let tier = ReachTier(name: name) else { return nil }
            self = .tier(tier)
        }

        public static let defaultName = "default"

        /// The reach a need has after the change.
        public var tier: ReachTier? {
            if case .tier(let tier) = self { tier } else { nil }
        }
    }

    /// `N-` followed by digits, in either case: the shape of the ids the daemon gives. A ref may not
    /// have it, so a word that names a need is either an id or a ref, never both.
    public static func looksLikeID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count > 2, bytes[0] | 0x20 == 0x6E, bytes[1] == 0x2D else { return false }
        return bytes[2...].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}

/// Where a need stands in a schedule of daily needs: a supply asked for every day for N days as N
/// needs, day k due 24 hours after day k − 1, so that under scarcity day 1 of every incident is
/// served before day 2 of any (the matcher ranks by priority, then deadline). Each day is a need
/// of its own — changed, met or cancelled alone — and names its schedule by `series`, the id of
/// the schedule's first need.
public struct NeedSchedule: Sendable, Equatable {
    /// The id of the schedule's first need (its own id for that need).
    public var series: String
    /// 1 … days.
    public var day: Int
    public var days: Int

    public init(series: String, day: Int, days: Int) {
        self.series = series; self.day = day; self.days = days
    }

    /// At most this many days in one schedule.
    public static let maximumDays = Limits.scheduleDays
    /// Day k is due this long after day k − 1: 24 hours.
    public static let dayMilliseconds: Int64 = 86_400_000

    /// `2/3`.
    public var text: String { "\(day)/\(days)" }

    /// Whether the numbers can be a schedule's: 1 ≤ day ≤ days ≤ `maximumDays`.
    public var isWellFormed: Bool { (1...NeedSchedule.maximumDays).contains(days) && (1...days).contains(day) }

    /// The deadline of day `day` of a schedule whose first day is due at `first`; nil when it does
    /// not fit in a timestamp.
    public static func deadline(first: Timestamp, day: Int) -> Timestamp? {
        let (offset, overflow) = Int64(day - 1).multipliedReportingOverflow(by: dayMilliseconds)
        guard !overflow, day >= 1 else { return nil }
        let (time, overflowAgain) = first.milliseconds.addingReportingOverflow(offset)
        return overflowAgain ? nil : Timestamp(milliseconds: time)
    }
}

/// reserved → dispatched → delivered, or released (from reserved: back to available; from
/// dispatched: returned to the warehouse's stock).
public enum AllocationStatus: String, Sendable, CaseIterable {
    case reserved, dispatched, delivered, released

    /// Still counts against the need (and, while reserved, against the warehouse's available stock).
    public var isActive: Bool { self != .released }
}

/// Stock of one lot in one warehouse promised to a supply need.
public struct Allocation: Sendable, Equatable {
    public var id: String
    public var need: String
    public var incident: String
    public var warehouse: String
    public var lot: String
    public var sku: String
    public var quantity: Int64
    public var status: AllocationStatus = .reserved
    /// The plan it came from (nil when reserved by hand).
    public var plan: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// The journal entry of its last change (0: loaded from a snapshot written before it was kept).
    public var updatedSeq: Int64 = 0

    public init(id: String, need: String, incident: String, warehouse: String, lot: String, sku: String, quantity: Int64,
                plan: String?, createdAt: Timestamp) {
        self.id = id; self.need = need; self.incident = incident; self.warehouse = warehouse; self.lot = lot
        self.sku = sku; self.quantity = quantity; self.plan = plan; self.createdAt = createdAt; self.updatedAt = createdAt
    }
}

/// assigned → en route → on scene → released (hours on scene go to the volunteer's duty log).
public enum AssignmentStatus: String, Sendable, CaseIterable {
    case assigned, enRoute = "en_route", onScene = "on_scene", released

    public var rank: Int {
        switch self {
        case .assigned: 0
        case .enRoute: 1
        case .onScene: 2
        case .released: 3
        }
    }

    public var isActive: Bool { self != .released }
}

/// One volunteer sent to a personnel need; a team need gives one assignment per member, all with
/// the team's id.
public struct Assignment: Sendable, Equatable {
    public var id: String
    public var need: String
    public var incident: String
    public var volunteer: String
    public var team: String?
    public var status: AssignmentStatus = .assigned
    public var plan: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// Time on scene, set when released.
    public var hoursMilliseconds: Int64 = 0

    public init(id: String, need: String, incident: String, volunteer: String, team: String?, plan: String?, createdAt: Timestamp) {
        self.id = id; self.need = need; self.incident = incident; self.volunteer = volunteer; self.team = team
        self.plan = plan; self.createdAt = createdAt; self.updatedAt = createdAt
    }
}

/// One decision of a plan: a quantity of a lot from a warehouse for a supply need, a volunteer for
/// a volunteer need, or a team for a team need.
public enum PlanLine: Sendable, Equatable {
    case supply(need: String, warehouse: String, lot: String, quantity: Int64, cost: Int64)
    case volunteer(need: String, volunteer: String, cost: Int64)
    case team(need: String, team: String, cost: Int64)

    public var need: String {
        switch self {
        case .supply(let need, _, _, _, _), .volunteer(let need, _, _), .team(let need, _, _): need
        }
    }

    public var cost: Int64 {
        switch self {
        case .supply(_, _, _, _, let cost), .volunteer(_, _, let cost), .team(_, _, let cost): cost
        }
    }
}

/// What a plan could not meet, and why, in words a duty officer can act on.
public struct UnmetNeed: Sendable, Equatable {
    public var need: String
    /// Units still missing after the plan (items, volunteers or teams).
    public var missing: Int64
    public var reason: String

    public init(need: String, missing: Int64, reason: String) {
        self.need = need; self.missing = missing; self.reason = reason
    }
}

public enum PlanStatus: String, Sendable, CaseIterable {
    case proposed, applied, discarded
}

/// A proposal of the matcher for one incident (`match`) or for every open need (`plan`).
public struct Plan: Sendable, Equatable {
    public var id: String
    /// The incident it was computed for; nil for a plan over all open needs.
    public var incident: String?
    /// The journal position of the state it was computed on.
    public var basedOnSeq: Int64
    public var createdAt: Timestamp
    public var lines: [PlanLine]
    public var unmet: [UnmetNeed]
    public var status: PlanStatus = .proposed
    /// Line numbers (1-based) applied so far; a plan applied line by line stays `proposed` until all are.
    public var appliedLines: Set<Int> = []
    /// The reach the plan was asked for (`plan reach=`), overriding every need's; nil: each need's own.
    public var reach: ReachTier?
    /// Asked to leave protected reserves (warehouse minimum levels) alone (`plan reserves=keep`).
    public var keepReserves = false
    /// Supply lines (1-based) that draw a warehouse below its minimum level of the item.
    public var reserveLines: Set<Int> = []

    public init(id: String, incident: String?, basedOnSeq: Int64, createdAt: Timestamp, lines: [PlanLine], unmet: [UnmetNeed]) {
        self.id = id; self.incident = incident; self.basedOnSeq = basedOnSeq; self.createdAt = createdAt
        self.lines = lines; self.unmet = unmet
    }

    /// Sum of the line costs; `checkQuantities` makes sure it fits.
    public var totalCost: Int64 { lines.reduce(0) { $0 + $1.cost } }

    /// Refuses a plan no matcher run can have proposed: a line or an unmet amount outside
    /// `Quantity.positive`, a negative cost, or costs whose total does not fit in 64 bits.
    public func checkQuantities() throws(QuantityError) {
        var total: Int64 = 0
        for (index, line) in lines.enumerated() {
            if case .supply(_, _, _, let quantity, _) = line, !Quantity.positive.contains(quantity) {
                throw QuantityError("plan \(id) line \(index + 1) quantity \(quantity) outside \(Quantity.positive)", exceedsMaximum: quantity > 0)
            }
            let (sum, overflow) = total.addingReportingOverflow(line.cost)
            guard line.cost >= 0, !overflow else {
                throw QuantityError("plan \(id) line \(index + 1) cost \(line.cost) is negative or takes the total past \(Int64.max)",
                                    exceedsMaximum: line.cost >= 0)
            }
            total = sum
        }
        for unmet in self.unmet where !Quantity.positive.contains(unmet.missing) {
            throw QuantityError("plan \(id) leaves \(unmet.missing) of \(unmet.need) unmet, outside \(Quantity.positive)", exceedsMaximum: unmet.missing > 0)
        }
    }
}
