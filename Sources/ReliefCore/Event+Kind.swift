/// Every kind of event, by family, as the journal's `kind` column spells it. Adding an event is
/// guided by the compiler: `Event.eventKind` switches over every case, so a new case needs a kind
/// here; the journal decoder switches over the families and each family's decoder over its own
/// kinds, with no `default`, so the new kind needs a decoder too. The spellings are the journal
/// format: they never change.
extension Event {
    public enum Kind: Hashable, Sendable {
        case stock(Stock)
        case roster(Roster)
        case incident(Incident)
        case travel(Travel)
        case seal(Seal)
        case drill(Drill)
        case users(Users)
        case donations(Donations)
        case alerts(Alerts)

        public enum Stock: String, CaseIterable, Sendable {
            case regionAdded = "region.added"
            case warehouseAdded = "warehouse.added"
            case itemAdded = "item.added"
            case lotReceived = "lot.received"
            case lotIssued = "lot.issued"
            case lotTransferred = "lot.transferred"
            case lotAdjusted = "lot.adjusted"
            case minimumSet = "minimum.set"
            case requestCompleted = "request.completed"
        }

        public enum Roster: String, CaseIterable, Sendable {
            case skillAdded = "skill.added"
            case specialtyAdded = "specialty.added"
            case volunteerAdded = "volunteer.added"
            case volunteerUpdated = "volunteer.updated"
            case volunteerStatusSet = "volunteer.status_set"
            case certificationGranted = "certification.granted"
            case certificationRevoked = "certification.revoked"
            case checkedIn = "duty.checked_in"
            case checkedOut = "duty.checked_out"
            case teamAdded = "team.added"
            case teamMemberAdded = "team.member_added"
            case teamMemberRemoved = "team.member_removed"
            case teamStateSet = "team.state_set"
        }

        public enum Incident: String, CaseIterable, Sendable {
            case incidentOpened = "incident.opened"
            case incidentUpdated = "incident.updated"
            case incidentStatusSet = "incident.status_set"
            case needAdded = "need.added"
            case needChanged = "need.changed"
            case needCancelled = "need.cancelled"
            case planProposed = "plan.proposed"
            case planApplied = "plan.applied"
            case allocationReserved = "allocation.reserved"
            case allocationDispatched = "allocation.dispatched"
            case allocationDelivered = "allocation.delivered"
            case allocationReleased = "allocation.released"
            case assignmentMade = "assignment.made"
            case assignmentStatusSet = "assignment.status_set"
            case assignmentReleased = "assignment.released"
        }

        public enum Travel: String, CaseIterable, Sendable {
            case travelTimeSet = "travel.set"
        }

        public enum Seal: String, CaseIterable, Sendable {
            case snapshotSealed = "snapshot.sealed"
        }

        public enum Drill: String, CaseIterable, Sendable {
            case drillRecorded = "drill.recorded"
        }

        public enum Users: String, CaseIterable, Sendable {
            case userSet = "user.set"
            case userRemoved = "user.removed"
            case tokenCreated = "token.created"
            case tokenRevoked = "token.revoked"
        }

        public enum Donations: String, CaseIterable, Sendable {
            case donationRecorded = "donation.recorded"
            case donationLotLinked = "donation.lot_linked"
            case donationMoneyReceived = "donation.money_received"
            case donationMoneySpent = "donation.money_spent"
        }

        public enum Alerts: String, CaseIterable, Sendable {
            case alertRaised = "alert.raised"
            case alertCleared = "alert.cleared"
            case alertAcknowledged = "alert.acknowledged"
        }

        /// The kind a journal `kind` column names, or nil for one this version does not know.
        public init?(rawValue: String) {
            if let kind = Stock(rawValue: rawValue) { self = .stock(kind); return }
            if let kind = Roster(rawValue: rawValue) { self = .roster(kind); return }
            if let kind = Incident(rawValue: rawValue) { self = .incident(kind); return }
            if let kind = Travel(rawValue: rawValue) { self = .travel(kind); return }
            if let kind = Seal(rawValue: rawValue) { self = .seal(kind); return }
            if let kind = Drill(rawValue: rawValue) { self = .drill(kind); return }
            if let kind = Users(rawValue: rawValue) { self = .users(kind); return }
            if let kind = Donations(rawValue: rawValue) { self = .donations(kind); return }
            if let kind = Alerts(rawValue: rawValue) { self = .alerts(kind); return }
            return nil
        }

        public var rawValue: String {
            switch self {
            case .stock(let kind): kind.rawValue
            case .roster(let kind): kind.rawValue
            case .incident(let kind): kind.rawValue
            case .travel(let kind): kind.rawValue
            case .seal(let kind): kind.rawValue
            case .drill(let kind): kind.rawValue
            case .users(let kind): kind.rawValue
            case .donations(let kind): kind.rawValue
            case .alerts(let kind): kind.rawValue
            }
        }

        public static let allCases: [Kind] =
            Stock.allCases.map { .stock($0) } + Roster.allCases.map { .roster($0) } + Incident.allCases.map { .incident($0) } + Travel.allCases.map { .travel($0) } + Seal.allCases.map { .seal($0) } + Drill.allCases.map { .drill($0) }
            + Users.allCases.map { .users($0) } + Donations.allCases.map { .donations($0) } + Alerts.allCases.map { .alerts($0) }
    }

    /// The event's kind and family.
    public var eventKind: Kind {
        switch self {
        case .regionAdded: .stock(.regionAdded)
        case .warehouseAdded: .stock(.warehouseAdded)
        case .itemAdded: .stock(.itemAdded)
        case .lotReceived: .stock(.lotReceived)
        case .lotIssued: .stock(.lotIssued)
        case .lotTransferred: .stock(.lotTransferred)
        case .lotAdjusted: .stock(.lotAdjusted)
        case .minimumSet: .stock(.minimumSet)
        case .requestCompleted: .stock(.requestCompleted)
        case .skillAdded: .roster(.skillAdded)
        case .specialtyAdded: .roster(.specialtyAdded)
        case .volunteerAdded: .roster(.volunteerAdded)
        case .volunteerUpdated: .roster(.volunteerUpdated)
        case .volunteerStatusSet: .roster(.volunteerStatusSet)
        case .certificationGranted: .roster(.certificationGranted)
        case .certificationRevoked: .roster(.certificationRevoked)
        case .checkedIn: .roster(.checkedIn)
        case .checkedOut: .roster(.checkedOut)
        case .teamAdded: .roster(.teamAdded)
        case .teamMemberAdded: .roster(.teamMemberAdded)
        case .teamMemberRemoved: .roster(.teamMemberRemoved)
        case .teamStateSet: .roster(.teamStateSet)
        case .incidentOpened: .incident(.incidentOpened)
        case .incidentUpdated: .incident(.incidentUpdated)
        case .incidentStatusSet: .incident(.incidentStatusSet)
        case .needAdded: .incident(.needAdded)
        case .needChanged: .incident(.needChanged)
        case .needCancelled: .incident(.needCancelled)
        case .planProposed: .incident(.planProposed)
        case .planApplied: .incident(.planApplied)
        case .allocationReserved: .incident(.allocationReserved)
        case .allocationDispatched: .incident(.allocationDispatched)
        case .allocationDelivered: .incident(.allocationDelivered)
        case .allocationReleased: .incident(.allocationReleased)
        case .assignmentMade: .incident(.assignmentMade)
        case .assignmentStatusSet: .incident(.assignmentStatusSet)
        case .assignmentReleased: .incident(.assignmentReleased)
        case .travelTimeSet: .travel(.travelTimeSet)
        case .snapshotSealed: .seal(.snapshotSealed)
        case .drillRecorded: .drill(.drillRecorded)
        case .userSet: .users(.userSet)
        case .userRemoved: .users(.userRemoved)
        case .tokenCreated: .users(.tokenCreated)
        case .tokenRevoked: .users(.tokenRevoked)
        case .donationRecorded: .donations(.donationRecorded)
        case .donationLotLinked: .donations(.donationLotLinked)
        case .donationMoneyReceived: .donations(.donationMoneyReceived)
        case .donationMoneySpent: .donations(.donationMoneySpent)
        case .alertRaised: .alerts(.alertRaised)
        case .alertCleared: .alerts(.alertCleared)
        case .alertAcknowledged: .alerts(.alertAcknowledged)
        }
    }

    /// The event's kind as stored in the journal's `kind` column.
    public var kind: String { eventKind.rawValue }

    static let rosterKinds = Set(Kind.Roster.allCases.map(\.rawValue))
    static let incidentKinds = Set(Kind.Incident.allCases.map(\.rawValue))
    static let travelKinds = Set(Kind.Travel.allCases.map(\.rawValue))
}
