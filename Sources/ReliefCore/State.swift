import HashTreeCollections

/// Stock of one item in one warehouse: its lots and the cached totals over them.
public struct SkuStock: Sendable, Equatable {
    public var lots: TreeDictionary<String, Holding> = [:]
    public var onHand: Int64 = 0
    public var reserved: Int64 = 0
    public var available: Int64 { onHand - reserved }
    public init() {}
}

/// The whole live picture, owned by the loop thread. A value type: copying it (for a snapshot) is
/// cheap until one side changes.
public struct State: Sendable {
    public internal(set) var lastSeq: Int64 = 0
    public internal(set) var regions: [String: Region] = [:]
    public internal(set) var warehouses: [String: Warehouse] = [:]
    public internal(set) var items: [String: Item] = [:]
    public internal(set) var lots: TreeDictionary<String, Lot> = [:]
    /// warehouse → sku → stock
    public internal(set) var stock: [String: [String: SkuStock]] = [:]
    /// warehouse → sku → minimum level below which the item is "low"
    public internal(set) var minimums: [String: [String: Int64]] = [:]
    /// The newest stock moves (at most `moveWindow` plus a chunk): older ones are in the store's
    /// stock_moves table, and what they added up to per lot in `earlierMoves`
    /// (State+MoveWindow.swift). Kept in structures a copy shares (ChunkedList, TreeDictionary):
    /// the loop's first write after a snapshot's copy, or a map's growth, never copies or rehashes
    /// the whole history.
    public internal(set) var moves = ChunkedList<StockMove>()
    /// Moves no longer in memory: `moves[0]` is move number `movesBefore` (from 0) of the history.
    public internal(set) var movesBefore = 0
    /// How many moves are kept in memory (State+MoveWindow.swift).
    public internal(set) var moveWindow = State.defaultMoveWindow
    /// lot → what its moves out of memory added up to; warehouse → how many of its moves are out.
    public internal(set) var earlierMoves: TreeDictionary<String, EarlierMoves> = [:]
    public internal(set) var earlierMovesByWarehouse: TreeDictionary<String, Int> = [:]
    /// Indexes of the moves in memory, by their number in the whole history.
    var movesByLot: TreeDictionary<String, [Int]> = [:]
    var movesByWarehouse: TreeDictionary<String, ChunkedList<Int>> = [:]
    /// `req=` tokens remembered for retries, per client (RequestWindow).
    public internal(set) var requests = RequestWindow()
    /// Number of lots created without a code given; the next automatic code is derived from it.
    public internal(set) var autoLotCounter: Int64 = 0

    // Rosters (State+Roster.swift).
    public internal(set) var skills: [String: Skill] = [:]
    public internal(set) var specialties: [String: Specialty] = [:]
    /// A persistent map, like `lots`: a snapshot's copy shares it, so a roster change after a
    /// snapshot copies a path of small nodes, not a table of every volunteer (70 MB at 100,000);
    /// and it holds no empty buckets (a Dictionary of 100,000 volunteers reserves 262,144).
    public internal(set) var volunteers: TreeDictionary<String, Volunteer> = [:]
    public internal(set) var teams: [String: Team] = [:]
    /// Per-skill and spatial indexes over `volunteers`, kept in step by `applyRoster`.
    var rosterIndex = RosterIndex()
    /// One copy of the text volunteers share (organizations, certificate issuers).
    var textPool = TextPool()
    /// Volunteers checked in or on scene now (those with `onDutySince`), for the duty-hours alert.
    public internal(set) var onDuty: Set<String> = []
    /// Alerts raised and not cleared, by id, and the id of each condition's alert (`Alert.key`).
    public internal(set) var alerts: [String: Alert] = [:]
    public internal(set) var alertByKey: [String: String] = [:]
    /// Alerts ever raised: the next one is `A-` this plus one.
    public internal(set) var alertsRaised = 0

    // Incidents (Incident.swift, State+Incident.swift).
    public internal(set) var incidents: [String: Incident] = [:]
    public internal(set) var needs: [String: Need] = [:]
    public internal(set) var allocations: [String: Allocation] = [:]
    public internal(set) var assignments: [String: Assignment] = [:]
    public internal(set) var plans: [String: Plan] = [:]
    /// need → its allocations / assignments, in the order they were made (rebuilt on snapshot load).
    public internal(set) var allocationsByNeed: [String: [String]] = [:]
    public internal(set) var assignmentsByNeed: [String: [String]] = [:]
    /// lot → the allocations drawn on it, in the order they were made (rebuilt on snapshot load):
    /// where a lot's units went (Lineage.swift).
    public internal(set) var allocationsByLot: [String: [String]] = [:]
    /// volunteer → their one active (not released) assignment.
    public internal(set) var activeAssignment: [String: String] = [:]
    /// need ref → need id, for every need that has a ref (rebuilt on snapshot load).
    public internal(set) var needByRef: [String: String] = [:]
    /// schedule's first need id → its needs, in day order (rebuilt on snapshot load).
    public internal(set) var needSeries: [String: [String]] = [:]

    // Travel times (State+Travel.swift): origin (warehouse or region) → destination → road minutes.
    public internal(set) var travelTimes: [String: [String: Int]] = [:]

    // Users, their grants and login tokens (Users.swift, State+Users.swift), by name.
    public internal(set) var users: [String: User] = [:]

    // Donations (Donations.swift, State+Donations.swift), by receipt; lot → the donation it was
    // given as, and lot → the donation whose money bought it (rebuilt on snapshot load).
    public internal(set) var donations: [String: Donation] = [:]
    public internal(set) var lotDonation: [String: String] = [:]
    public internal(set) var lotFunding: [String: String] = [:]

    public init() {}

    /// An empty state whose `req=` tokens are kept in `requests` (an empty window with other bounds).
    public init(requests: RequestWindow) {
        self.requests = requests
    }

    public func stock(warehouse: String, sku: String) -> SkuStock? { stock[warehouse]?[sku] }

    public func holding(warehouse: String, lot: String) -> Holding? {
        guard let sku = lots[lot]?.sku else { return nil }
        return stock[warehouse]?[sku]?.lots[lot]
    }

    /// The moves of a lot held in memory, oldest first (`earlierMoves[lot]` says whether the store
    /// holds older ones).
    public func movesFor(lot: String) -> [StockMove] { (movesByLot[lot] ?? []).map { moves[$0 - movesBefore] } }
    /// The moves of a warehouse held in memory, oldest first (`earlierMovesByWarehouse`: older ones).
    public func movesFor(warehouse: String) -> [StockMove] {
        (movesByWarehouse[warehouse] ?? ChunkedList()).map { moves[$0 - movesBefore] }
    }
    /// The newest `count` moves of a warehouse in memory, oldest first: a listing's end without
    /// walking the warehouse's whole history.
    public func movesFor(warehouse: String, newest count: Int) -> [StockMove] {
        guard let indexes = movesByWarehouse[warehouse] else { return [] }
        return indexes.suffix(max(count, 0)).map { moves[$0 - movesBefore] }
    }

    /// The next free automatic lot code (`L-000001`, …), skipping codes already taken by hand.
    public func nextAutomaticLotCode() -> String {
        var counter = autoLotCounter + 1
        while true {
            let digits = String(counter)
            let code = "L-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
            if lots[code] == nil { return code }
            counter += 1
        }
    }

    /// True when `region` is `ancestor` or lies under it in the hierarchy.
    public static func region(_ region: String, isWithin ancestor: String) -> Bool {
        region == ancestor || (region.hasPrefix(ancestor) && region.utf8.dropFirst(ancestor.utf8.count).first == 0x2F)
    }

    /// Lots of `sku` in `warehouse` in first-expiry-first-out order: earliest expiry first, lots
    /// without expiry last, ties broken by receipt time and then code, so the order is total.
    public func lotsInPickingOrder(warehouse: String, sku: String) -> [(code: String, holding: Holding)] {
        guard let skuStock = stock[warehouse]?[sku] else { return [] }
        return skuStock.lots.map { (code: $0.key, holding: $0.value) }.sorted { a, b in
            let la = lots[a.code]!, lb = lots[b.code]!
            switch (la.expires, lb.expires) {
            case let (x?, y?) where x != y: return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: break
            }
            if la.receivedAt != lb.receivedAt { return la.receivedAt < lb.receivedAt }
            return a.code < b.code
        }
    }

    /// Splits `quantity` over the available stock of `sku` in `warehouse`, first-expiring first.
    /// Returns nil when less than `quantity` is available.
    public func pickFirstExpiring(warehouse: String, sku: String, quantity: Int64) -> [(lot: String, quantity: Int64)]? {
        guard quantity > 0, let skuStock = stock[warehouse]?[sku], skuStock.available >= quantity else { return nil }
        var remaining = quantity
        var picks: [(lot: String, quantity: Int64)] = []
        for (code, holding) in lotsInPickingOrder(warehouse: warehouse, sku: sku) where holding.available > 0 {
            let take = min(remaining, holding.available)
            picks.append((code, take))
            remaining -= take
            if remaining == 0 { break }
        }
        precondition(remaining == 0, "totals of \(warehouse)/\(sku) disagree with its lots")
        return picks
    }
}
