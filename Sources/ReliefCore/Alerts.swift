/// Alerts: conditions a duty officer must not have to poll for. Each is raised once, when its
/// condition becomes true, as a journaled `alert.raised` (so it is on the feed, in the audit log,
/// and survives restarts), and cleared with `alert.cleared` when the condition stops. A user may
/// acknowledge it meanwhile. The daemon decides; `State.alertFindings` says what holds now.

public enum AlertKind: String, Sendable, CaseIterable, Comparable {
    /// Available stock of an item in a warehouse below the warehouse's minimum for it.
    case stockLow = "stock_low"
    /// A lot with stock left expiring within `lotExpiryDays` (or already expired).
    case lotExpiring = "lot_expiring"
    /// A team member's certification expiring within `certificationDays` (or expired).
    case certificationExpiring = "certification_expiring"
    /// An open need past its deadline and not delivered (supplies) or not on scene (people).
    case needOverdue = "need_overdue"
    /// A dispatched allocation not delivered within `deliveryMinutes` of its dispatch.
    case deliveryLate = "delivery_late"
    /// A volunteer on duty past the hours of duty a day their profile allows.
    case dutyHours = "duty_hours"
    /// The newest plan of an incident (or over every open need) with lines, proposed more than
    /// `planMinutes` ago and not applied.
    case planUnapplied = "plan_unapplied"

    public static func < (lhs: AlertKind, rhs: AlertKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One raised alert.
public struct Alert: Sendable, Equatable {
    public var id: String
    public var kind: AlertKind
    /// What it is about, unique within its kind: `WAREHOUSE:SKU`, a lot, `VOLUNTEER:SKILL`, a
    /// need, an allocation, a volunteer, a plan.
    public var subject: String
    /// What a person reads: what is wrong, with the numbers.
    public var message: String
    public var warehouse: String?
    public var incident: String?
    public var raisedAt: Timestamp
    public var acknowledgedBy: String?
    public var acknowledgedAt: Timestamp?
    public var acknowledgedNote: String?

    public init(id: String, kind: AlertKind, subject: String, message: String, warehouse: String? = nil, incident: String? = nil,
                raisedAt: Timestamp) {
        self.id = id; self.kind = kind; self.subject = subject; self.message = message
        self.warehouse = warehouse; self.incident = incident; self.raisedAt = raisedAt
    }

    public var key: String { Alert.key(kind, subject) }
    public static func key(_ kind: AlertKind, _ subject: String) -> String { kind.rawValue + " " + subject }
}

/// A condition that holds now: what `alert.raised` would say.
public struct AlertFinding: Sendable, Equatable {
    public var kind: AlertKind
    public var subject: String
    public var message: String
    public var warehouse: String?
    public var incident: String?

    public var key: String { Alert.key(kind, subject) }
}

/// The thresholds of the alerts (configuration keys `alert_*`).
public struct AlertThresholds: Sendable, Equatable {
    /// Lots expiring within this many days.
    public var lotExpiryDays = 30
    /// Team members' certifications expiring within this many days.
    public var certificationDays = 30
    /// A dispatched allocation not delivered this many minutes after its dispatch.
    public var deliveryMinutes = 720
    /// A plan proposed this many minutes ago and not applied.
    public var planMinutes = 30

    public init() {}
}

/// Which kinds, and which of their subjects, must be looked at again (the monitor's to-do list):
/// a kind is looked at whole at start, when its time comes (`due`) or when its inputs changed in a
/// way that is not tied to one subject; otherwise only the subjects the committed entries touched.
public struct AlertMonitor: Sendable, Equatable {
    /// Kinds to look at whole.
    public private(set) var whole: Set<AlertKind> = Set(AlertKind.allCases)
    /// Subjects to look at, by kind (kinds not in `whole`).
    public private(set) var subjects: [AlertKind: Set<String>] = [:]
    /// When each kind must be looked at whole again, because a time passes (a deadline, a day).
    public private(set) var due: [AlertKind: Timestamp] = [:]

    public init() {}

    /// Everything again (after a start or a reload).
    public mutating func lookAgainAtEverything() {
        whole = Set(AlertKind.allCases)
        subjects = [:]
    }

    private mutating func mark(_ kind: AlertKind, _ subject: String) {
        guard !whole.contains(kind) else { return }
        subjects[kind, default: []].insert(subject)
    }

    /// Entries just applied: what they may have changed. Only what can hold an alert is marked:
    /// stock of an item with a minimum in that warehouse (low stock), and lots with an expiry
    /// date (expiring) — most receipts and issues touch neither, and cost nothing here. Setting or
    /// removing a minimum is always marked, so an alert whose minimum goes is cleared.
    public mutating func touched(by entries: [Entry], in state: State) {
        func stockLow(_ warehouse: String, _ sku: String) {
            if state.minimums[warehouse]?[sku] != nil { mark(.stockLow, warehouse + ":" + sku) }
        }
        func expiring(_ warehouse: String, _ lot: String) {
            if state.lots[lot]?.expires != nil { mark(.lotExpiring, warehouse + ":" + lot) }
        }
        for entry in entries {
            switch entry.event {
            case .lotReceived(let warehouse, let lot, let sku, _, _, _, _, _):
                stockLow(warehouse, sku); expiring(warehouse, lot)
            case .lotIssued(let warehouse, let lot, _, _, _), .lotAdjusted(let warehouse, let lot, _, _, _):
                if let sku = state.lots[lot]?.sku { stockLow(warehouse, sku) }
                expiring(warehouse, lot)
            case .lotTransferred(let from, let to, let lot, _, _):
                if let sku = state.lots[lot]?.sku { stockLow(from, sku); stockLow(to, sku) }
                expiring(from, lot); expiring(to, lot)
            case .minimumSet(let warehouse, let sku, _):
                mark(.stockLow, warehouse + ":" + sku)
            case .allocationReserved(let allocation):
                stockLow(allocation.warehouse, allocation.sku); expiring(allocation.warehouse, allocation.lot)
                whole.insert(.needOverdue)
            case .allocationDispatched(let id, _, _, _), .allocationDelivered(let id, _, _, _), .allocationReleased(let id, _):
                if let allocation = state.allocations[id] {
                    stockLow(allocation.warehouse, allocation.sku); expiring(allocation.warehouse, allocation.lot)
                }
                mark(.deliveryLate, id)
                whole.insert(.needOverdue)
            case .needAdded, .needChanged, .needCancelled, .incidentStatusSet, .assignmentMade, .assignmentStatusSet, .assignmentReleased:
                whole.insert(.needOverdue)
                whole.insert(.dutyHours)
            case .planProposed, .planApplied:
                whole.insert(.planUnapplied)
            case .certificationGranted, .certificationRevoked, .teamMemberAdded, .teamMemberRemoved, .teamAdded, .volunteerUpdated:
                whole.insert(.certificationExpiring)
                whole.insert(.dutyHours)
            case .checkedIn, .checkedOut:
                whole.insert(.dutyHours)
            default:
                break
            }
        }
    }

    /// What to look at now: kinds whole (those marked, and those whose time has come) and
    /// subjects of the others. Clears the to-do list.
    public mutating func take(now: Timestamp) -> (whole: Set<AlertKind>, subjects: [AlertKind: Set<String>]) {
        var whole = self.whole
        for (kind, time) in due where time <= now { whole.insert(kind) }
        let subjects = self.subjects.filter { !whole.contains($0.key) }
        self.whole = []
        self.subjects = [:]
        for kind in whole { due[kind] = nil }
        return (whole, subjects)
    }

    /// A kind must be looked at whole again by `time`.
    public mutating func lookAgain(_ kind: AlertKind, by time: Timestamp) {
        if let current = due[kind], current <= time { return }
        due[kind] = time
    }

    public var isIdle: Bool { whole.isEmpty && subjects.isEmpty }
}
