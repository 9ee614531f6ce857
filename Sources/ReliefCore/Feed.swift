/// The event feed (`watch`): every committed journal entry that changes the operation, on the
/// channel it belongs to. What a subscriber sees is the journal itself — kind and body as stored —
/// so a line is the same whether it was pushed as it committed or read back from the store when a
/// client resumes.

/// What a subscriber chooses to follow.
public enum FeedChannel: String, Sendable, CaseIterable, Comparable {
    case incidents, needs, plans, allocations, assignments
    /// Lots, minimums, and allocations (which reserve and move stock), per warehouse.
    case stock
    /// Volunteers, teams, skills, certifications, duty.
    case rosters
    case alerts
    case drills
    /// Regions, warehouses, items, travel times.
    case catalog
    case donations
    /// Users and tokens (audit roles only).
    case users

    public static func < (lhs: FeedChannel, rhs: FeedChannel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One committed entry as the feed carries it.
public struct FeedRecord: Sendable, Equatable {
    public var seq: Int64
    /// Milliseconds since the epoch (the entry's time).
    public var time: Int64
    public var actor: String
    public var kind: String
    public var body: FlatJSON

    public init(seq: Int64, time: Int64, actor: String, kind: String, body: FlatJSON) {
        self.seq = seq; self.time = time; self.actor = actor; self.kind = kind; self.body = body
    }

    public init(_ entry: Entry) {
        self.init(seq: entry.seq, time: entry.time.milliseconds, actor: entry.actor, kind: entry.event.eventKind.rawValue,
                  body: entry.event.body)
    }

    /// An entry read back from the store; a body that does not decode is refused (the store's
    /// chain check is the place to look then).
    public init(_ stored: StoredEntry) throws {
        self.init(seq: stored.seq, time: stored.time, actor: stored.actor, kind: stored.kind, body: try FlatJSON.decode(stored.body))
    }

    /// The user part of the actor (`alice role=duty_officer token=t1` → `alice`).
    public var user: Substring {
        actor.firstIndex(of: " ").map { actor[..<$0] } ?? actor[...]
    }

    /// The body without personal data: a volunteer's phone and ID number, a donor's contact, and
    /// the name of a donor who asked to stay anonymous (as `audit log` masks them).
    public var maskedBody: FlatJSON {
        var masked = body
        let anonymous = body.pairs.contains { $0.0 == "anonymous" && $0.1 == .string("yes") }
        masked.pairs.removeAll { $0.0 == "phone" || $0.0 == "id_number" || $0.0 == "contact" || (anonymous && $0.0 == "donor") }
        return masked
    }
}

/// Where an entry goes on the feed: its channel, and for stock the warehouses it touches.
public struct FeedTopic: Sendable, Equatable {
    public var channel: FeedChannel
    /// Warehouses whose stock the entry changes (lots, minimums, allocations); empty otherwise.
    public var warehouses: [String]

    public init(channel: FeedChannel, warehouses: [String] = []) {
        self.channel = channel
        self.warehouses = warehouses
    }
}

extension State {
    /// The feed topic of an entry, or nil for entries that change nothing an operator follows
    /// (a remembered reply, a snapshot's seal). Allocations are looked up for their warehouse,
    /// so a keeper following a warehouse sees what is reserved from and dispatched out of it.
    public func feedTopic(of record: FeedRecord) -> FeedTopic? {
        guard let kind = Event.Kind(rawValue: record.kind) else { return nil }
        func string(_ key: String) -> String? {
            if case .string(let value)? = record.body[key] { return value }
            return nil
        }
        switch kind {
        case .stock(let stock):
            switch stock {
            case .regionAdded, .warehouseAdded, .itemAdded: return FeedTopic(channel: .catalog)
            case .lotReceived, .lotIssued, .lotAdjusted, .minimumSet:
                return FeedTopic(channel: .stock, warehouses: string("warehouse").map { [$0] } ?? [])
            case .lotTransferred:
                return FeedTopic(channel: .stock, warehouses: [string("from"), string("to")].compactMap { $0 })
            case .requestCompleted: return nil
            }
        case .roster: return FeedTopic(channel: .rosters)
        case .incident(let incident):
            switch incident {
            case .incidentOpened, .incidentUpdated, .incidentStatusSet: return FeedTopic(channel: .incidents)
            case .needAdded, .needChanged, .needCancelled: return FeedTopic(channel: .needs)
            case .planProposed, .planApplied: return FeedTopic(channel: .plans)
            case .allocationReserved, .allocationDispatched, .allocationDelivered, .allocationReleased:
                let warehouse = string("warehouse") ?? string("id").flatMap { allocations[$0]?.warehouse }
                return FeedTopic(channel: .allocations, warehouses: warehouse.map { [$0] } ?? [])
            case .assignmentMade, .assignmentStatusSet, .assignmentReleased: return FeedTopic(channel: .assignments)
            }
        case .travel: return FeedTopic(channel: .catalog)
        case .seal: return nil
        case .drill: return FeedTopic(channel: .drills)
        case .users: return FeedTopic(channel: .users)
        case .donations: return FeedTopic(channel: .donations)
        case .alerts: return FeedTopic(channel: .alerts)
        }
    }
}

/// What a subscriber follows: channels, and for stock optionally only some warehouses or regions.
public struct FeedSelection: Sendable, Hashable {
    public var channels: Set<FeedChannel>
    /// `stock:ID` words: warehouses, or regions with every warehouse under them. Empty: all stock.
    public var stockPlaces: [String]

    public init(channels: Set<FeedChannel>, stockPlaces: [String] = []) {
        self.channels = channels
        self.stockPlaces = stockPlaces
    }

    /// Whether an entry on `topic` is for this subscriber. Stock places are matched against the
    /// warehouses the entry touches, and their regions (read from `state`: warehouses never move).
    public func matches(_ topic: FeedTopic, in state: State) -> Bool {
        if topic.channel != .stock && channels.contains(topic.channel) { return true }
        guard channels.contains(.stock), !topic.warehouses.isEmpty || topic.channel == .stock else { return false }
        guard !stockPlaces.isEmpty else { return true }
        for warehouse in topic.warehouses {
            for place in stockPlaces {
                if place == warehouse { return true }
                if let region = state.warehouses[warehouse]?.region, State.region(region, isWithin: place) { return true }
            }
        }
        return false
    }

    /// The words that name this selection (`needs stock:W-01 …`), in channel order.
    public var description: String {
        var words: [String] = []
        for channel in channels.sorted() {
            if channel == .stock, !stockPlaces.isEmpty {
                words += stockPlaces.map { "stock:\($0)" }
            } else {
                words.append(channel.rawValue)
            }
        }
        return words.joined(separator: ",")
    }
}
