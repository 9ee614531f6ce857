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
    /// The reply given to a request carrying `req=token`, so a retry gets it again. The token
    /// belongs to the scope of the entry's actor (`RequestScope`); `digest` binds it to the request
    /// and `command` names that request. Both are nil in journals written before tokens were bound.
    case requestCompleted(token: String, reply: String, digest: RequestDigest? = nil, command: String? = nil)

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

    // Incidents, needs, plans, allocations and assignments (Incident.swift, Event+Incident.swift).
    // Ids are chosen by the engine and carried in the events; every event also writes a line of
    // its incident's timeline.
    case incidentOpened(Incident)
    case incidentUpdated(id: String, title: String?, severity: Int?, affected: Int64?, note: String?)
    case incidentStatusSet(id: String, status: IncidentStatus, note: String?)
    case needAdded(Need)
    /// A change of amount (quantity, or count of volunteers/teams), priority, deadline or reach; nil = unchanged.
    case needChanged(id: String, amount: Int64?, priority: Int?, neededBy: Timestamp?, note: String?, reach: Need.ReachChange? = nil)
    case needCancelled(id: String, reason: String?)
    case planProposed(Plan)
    /// Lines (1-based) of a plan applied by the events that follow in the same request.
    case planApplied(id: String, lines: [Int])
    case allocationReserved(Allocation)
    /// `lot` and `quantity` name what left the warehouse (or reached the incident): the
    /// allocation's, repeated so the journal alone tells where every unit went. nil only in
    /// journals written before they were recorded.
    case allocationDispatched(id: String, note: String?, lot: String? = nil, quantity: Int64? = nil)
    case allocationDelivered(id: String, note: String?, lot: String? = nil, quantity: Int64? = nil)
    case allocationReleased(id: String, reason: String?)
    case assignmentMade(Assignment)
    case assignmentStatusSet(id: String, status: AssignmentStatus)
    case assignmentReleased(id: String, reason: String?)

    // Travel times (State+Travel.swift, Event+Travel.swift): road minutes from a warehouse or
    // region to a region (or warehouse), directed; nil minutes clears the entry.
    case travelTimeSet(from: String, to: String, minutes: Int?)

    /// The snapshot of the state at `seq` was stored with these exact bytes (lowercase hex SHA-256
    /// of its body, in `format`). Changes nothing in the state; see Event+Seal.swift.
    case snapshotSealed(seq: Int64, format: String, sha256: String)

    /// Teams and volunteers took part in a drill (DrillRecord.swift, Event+Drill.swift).
    case drillRecorded(DrillParticipation)

    // Users and grants (Users.swift, Event+Users.swift): only the admin makes them. A token is
    // journaled by its SHA-256 alone; its text is shown once, to whoever created it.
    case userSet(User)
    case userRemoved(name: String)
    case tokenCreated(user: String, name: String, sha256: String)
    case tokenRevoked(user: String, name: String)

    // Donations (Donations.swift, Event+Donations.swift): recorded when pledged; a donated lot is
    // linked by the entry after its `lot.received`; money in and out, with the lots it bought.
    case donationRecorded(Donation)
    case donationLotLinked(receipt: String, lot: String)
    case donationMoneyReceived(receipt: String, amount: Int64, note: String?)
    case donationMoneySpent(receipt: String, amount: Int64, purpose: String, lots: [String])

    // Alerts (Alerts.swift, Event+Alerts.swift): raised by the daemon when a condition a duty
    // officer must not have to poll for becomes true, cleared when it stops, acknowledged by a user.
    case alertRaised(Alert)
    case alertCleared(id: String, reason: String)
    case alertAcknowledged(id: String, note: String?)
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
