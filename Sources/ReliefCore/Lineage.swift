/// Where every unit of a lot went, read from what the state already keeps: the lot's moves
/// (received, transferred, issued, adjusted, dispatched, returned) and the allocations that name
/// it (in transit, delivered). Nothing is kept twice, so the account cannot drift from the stock;
/// `balances` is the check that it adds up:
///
///     received + adjusted = in stock + in transit + delivered + issued
///
/// (adjusted is signed: a recount may add). Sums are Int128: a lot's history may move its quantity
/// many times over.
public struct LotLineage: Sendable, Equatable {
    public var lot: String
    public var sku: String
    public var received: Int128 = 0
    public var adjusted: Int128 = 0
    public var issued: Int128 = 0
    public var inStock: Int128 = 0
    public var inTransit: Int128 = 0
    public var delivered: Int128 = 0
    /// Where it is now: warehouse → on hand (reserved included), in warehouse order.
    public var held: [(warehouse: String, quantity: Int64)] = []
    /// Every step, oldest first — but for the lot's `earlierMoves` moves out of memory
    /// (State+MoveWindow.swift; a transfer is two) when the lineage was made without them: its
    /// totals count them all the same.
    public var steps: [Step] = []
    public var earlierMoves = 0

    public init(lot: String, sku: String) { self.lot = lot; self.sku = sku }

    public static func == (a: LotLineage, b: LotLineage) -> Bool {
        a.lot == b.lot && a.sku == b.sku && a.received == b.received && a.adjusted == b.adjusted && a.issued == b.issued
            && a.inStock == b.inStock && a.inTransit == b.inTransit && a.delivered == b.delivered && a.steps == b.steps
            && a.earlierMoves == b.earlierMoves
            && a.held.map(\.warehouse) == b.held.map(\.warehouse) && a.held.map(\.quantity) == b.held.map(\.quantity)
    }

    public var balances: Bool { received + adjusted == inStock + inTransit + delivered + issued }

    public struct Step: Sendable, Equatable {
        public enum Kind: String, Sendable {
            case received, transferred, issued, adjusted, dispatched, returned, delivered
        }
        public var seq: Int64
        public var time: Timestamp
        public var kind: Kind
        /// The warehouse it left or stood in (for a delivery: the one it was dispatched from).
        public var warehouse: String
        /// Transfers: the warehouse it went to; issues: the recipient; dispatch, return and
        /// delivery: the incident.
        public var to: String?
        /// Units moved; for an adjustment the signed change of the count.
        public var quantity: Int64
        public var allocation: String?
        /// Adjustments: the reason (damaged, expired, lost, recount).
        public var reason: String?
    }
}

extension State {
    /// The reads of the moves older than memory holds of `lots` (those that have any), for
    /// `lineage(of:earlier:)` and `disclosure(_:now:earlier:)`.
    public func earlierMoveReads(_ lots: some Sequence<String>) -> [(lot: String, query: MoveQuery)] {
        guard let oldest = oldestMoveSeqInMemory else { return [] }
        var seen = Set<String>()
        return lots.compactMap { lot in
            guard seen.insert(lot).inserted, let summary = earlierMoves[lot] else { return nil }
            return (lot, MoveQuery(lot: lot, before: oldest, newest: summary.count))
        }
    }

    /// The lots of every donation, given and bought.
    public var donatedLots: [String] { donations.values.flatMap { $0.lots + $0.spends.flatMap(\.lots) } }

    /// The lineage of `lot` (nil for an unknown lot): its moves and its allocations, both indexed
    /// by lot, so tracing a lot costs what its own history holds.
    ///
    /// `earlier`: the lot's moves older than those in memory, read from the store, for every step;
    /// without them (or with fewer than its totals count) the lot's earlier moves count in the
    /// totals only (`earlierMoves`).
    public func lineage(of lot: String, earlier: [StockMove]? = nil) -> LotLineage? {
        guard let info = lots[lot] else { return nil }
        var lineage = LotLineage(lot: lot, sku: info.sku)
        var warehouses: [String] = []
        var seen = Set<String>()
        var history = movesFor(lot: lot)
        let oldest = history.first?.seq ?? Int64.max
        let given = earlier?.filter { $0.lot == lot && $0.seq < oldest }
        if let summary = earlierMoves[lot], let given, given.count == summary.count {
            history = given + history
        } else if let summary = earlierMoves[lot] {
            // Not read (or not all of them): counted from the totals.
            lineage.received += summary.received
            lineage.issued += summary.issued
            lineage.adjusted += summary.adjusted
            lineage.earlierMoves = summary.count
            for warehouse in summary.warehouses where seen.insert(warehouse).inserted { warehouses.append(warehouse) }
        }
        for move in history {
            if seen.insert(move.warehouse).inserted { warehouses.append(move.warehouse) }
            var step = LotLineage.Step(seq: move.seq, time: move.time, kind: .received, warehouse: move.warehouse,
                                       to: nil, quantity: abs(move.delta), allocation: nil, reason: nil)
            switch move.kind {
            case .received:
                lineage.received += Int128(move.delta)
            case .issued:
                lineage.issued -= Int128(move.delta)
                step.kind = .issued; step.to = move.counterpart
            case .transferOut:
                step.kind = .transferred; step.to = move.counterpart
            case .transferIn:
                continue // the transfer's other half: one step is enough
            case .adjusted:
                lineage.adjusted += Int128(move.delta)
                step.kind = .adjusted; step.reason = move.reason; step.quantity = move.delta
            case .dispatched:
                step.kind = .dispatched; step.to = move.counterpart; step.allocation = move.reason
            case .returned:
                step.kind = .returned; step.to = move.counterpart; step.allocation = move.reason
            }
            lineage.steps.append(step)
        }
        for warehouse in warehouses.sorted() {
            if let onHand = holding(warehouse: warehouse, lot: lot)?.onHand, onHand > 0 {
                lineage.held.append((warehouse, onHand))
                lineage.inStock += Int128(onHand)
            }
        }
        for id in allocationsByLot[lot] ?? [] {
            guard let allocation = allocations[id] else { continue }
            switch allocation.status {
            case .dispatched:
                lineage.inTransit += Int128(allocation.quantity)
            case .delivered:
                lineage.delivered += Int128(allocation.quantity)
                lineage.steps.append(.init(seq: allocation.updatedSeq, time: allocation.updatedAt, kind: .delivered, warehouse: allocation.warehouse,
                                           to: allocation.incident, quantity: allocation.quantity, allocation: allocation.id, reason: nil))
            case .reserved, .released:
                break
            }
        }
        // Deliveries carry no move: put them in journal order among the rest (by time where the
        // seq is unknown, in a snapshot written before allocations kept theirs).
        lineage.steps = lineage.steps.enumerated().sorted { a, b in
            let x = a.element, y = b.element
            if x.seq != 0 && y.seq != 0 { return x.seq < y.seq }
            return x.time != y.time ? x.time < y.time : a.offset < b.offset
        }.map(\.element)
        return lineage
    }
}
