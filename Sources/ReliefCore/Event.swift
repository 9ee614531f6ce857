/// A change to the operation. Events carry every decision (lot codes, which lots an issue drew
/// from), so `State.apply` is deterministic and replay never re-decides anything.
public enum Event: Sendable, Equatable {
    case regionAdded(id: String, name: String, level: RegionLevel)
    case warehouseAdded(id: String, name: String, region: String, location: Coordinate)
    case itemAdded(Item)
    case lotReceived(warehouse: String, lot: String, sku: String, quantity: Int64, expires: Day?,
                     source: LotSource, party: String?, note: String?)
    case lotIssued(warehouse: String, lot: String, quantity: Int64, recipient: String?, note: String?)
    case lotTransferred(from: String, to: String, lot: String, quantity: Int64, note: String?)
    case lotAdjusted(warehouse: String, lot: String, delta: Int64, reason: AdjustReason, note: String?)
    case minimumSet(warehouse: String, sku: String, quantity: Int64)
    /// The reply given to a request carrying `req=token`, so a retry gets it again.
    case requestCompleted(token: String, reply: String)

    // Rosters (Roster.swift, Event+Roster.swift). Check-in and check-out take their time from the
    // entry; a volunteer's status until-date ends the status by itself, read against the clock.
    case skillAdded(Skill)
    case specialtyAdded(Specialty)
    case volunteerAdded(id: String, profile: VolunteerProfile)
    case volunteerUpdated(id: String, profile: VolunteerProfile)
    case volunteerStatusSet(id: String, status: VolunteerStatus, reason: String?, until: Day?)
    case certificationGranted(id: String, Certification)
    case certificationRevoked(id: String, skill: String, reason: String?)
    case checkedIn(id: String, incident: String?)
    case checkedOut(id: String)
    case teamAdded(Team)
    case teamMemberAdded(team: String, volunteer: String)
    case teamMemberRemoved(team: String, volunteer: String)
    case teamStateSet(team: String, state: TeamState, reason: String?)

    /// The event's kind as stored in the journal's `kind` column.
    public var kind: String {
        switch self {
        case .regionAdded: "region.added"
        case .warehouseAdded: "warehouse.added"
        case .itemAdded: "item.added"
        case .lotReceived: "lot.received"
        case .lotIssued: "lot.issued"
        case .lotTransferred: "lot.transferred"
        case .lotAdjusted: "lot.adjusted"
        case .minimumSet: "minimum.set"
        case .requestCompleted: "request.completed"
        case .skillAdded: "skill.added"
        case .specialtyAdded: "specialty.added"
        case .volunteerAdded: "volunteer.added"
        case .volunteerUpdated: "volunteer.updated"
        case .volunteerStatusSet: "volunteer.status_set"
        case .certificationGranted: "certification.granted"
        case .certificationRevoked: "certification.revoked"
        case .checkedIn: "duty.checked_in"
        case .checkedOut: "duty.checked_out"
        case .teamAdded: "team.added"
        case .teamMemberAdded: "team.member_added"
        case .teamMemberRemoved: "team.member_removed"
        case .teamStateSet: "team.state_set"
        }
    }
}

/// An event as journaled: its sequence number, when and by whom.
public struct Entry: Sendable, Equatable {
    public var seq: Int64
    public var time: Timestamp
    public var actor: String
    public var event: Event

    public init(seq: Int64, time: Timestamp, actor: String, event: Event) {
        self.seq = seq
        self.time = time
        self.actor = actor
        self.event = event
    }
}
