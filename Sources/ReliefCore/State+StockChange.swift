/// Every change to stock goes through here: first `stockChange` works out what the holdings and
/// the warehouse's totals of the item would become and refuses a result outside its range, then
/// `commit` writes that result. `apply` checks every change of an entry before it commits any (so
/// a refused entry leaves the state as it was), and the engine asks the same question before it
/// emits an event (so a request that would break a limit gets ERR LIMIT, never a trap in `apply`).
extension State {
    /// A change of one lot's on-hand and reserved quantities in one warehouse.
    public struct StockDelta: Sendable, Equatable {
        public var lot: String
        public var onHand: Int64
        public var reserved: Int64

        public init(lot: String, onHand: Int64, reserved: Int64 = 0) {
            self.lot = lot; self.onHand = onHand; self.reserved = reserved
        }
    }

    /// What one warehouse's stock of one item becomes: the changed holdings and the new totals.
    struct StockChange {
        var warehouse: String
        var sku: String
        var holdings: [(lot: String, holding: Holding)]
        var onHand: Int64
        var reserved: Int64
    }

    /// Checks that `warehouse`'s stock of `sku` may take `deltas` (in order, each on the result of
    /// those before it): every lot keeps 0 ≤ reserved ≤ on hand, and the warehouse's total of the
    /// item — and so each of its lots — stays at most `Quantity.maximum`.
    public func checkStockChange(warehouse: String, sku: String, _ deltas: [StockDelta]) throws(QuantityError) {
        _ = try stockChange(warehouse: warehouse, sku: sku, deltas)
    }

    func stockChange(warehouse: String, sku: String, _ deltas: [StockDelta]) throws(QuantityError) -> StockChange {
        let current = stock[warehouse]?[sku]
        // In 128 bits: a delta from a damaged journal may be anything, and the refusal states the
        // quantity the change would come to, however large.
        var onHand = Int128(current?.onHand ?? 0), reserved = Int128(current?.reserved ?? 0)
        var changed: [(lot: String, onHand: Int128, reserved: Int128)] = []
        for delta in deltas {
            let index = changed.firstIndex { $0.lot == delta.lot }
            let before = index.map { (changed[$0].onHand, changed[$0].reserved) }
                ?? current?.lots[delta.lot].map { (Int128($0.onHand), Int128($0.reserved)) } ?? (0, 0)
            let after = (lot: delta.lot, onHand: before.0 + Int128(delta.onHand), reserved: before.1 + Int128(delta.reserved))
            guard after.reserved >= 0, after.onHand >= after.reserved else {
                throw QuantityError("lot \(delta.lot) of \(sku) in \(warehouse) would have \(after.onHand) on hand and \(after.reserved) reserved; "
                                    + "expected 0 ≤ reserved ≤ on hand", exceedsMaximum: false)
            }
            if let index { changed[index] = after } else { changed.append(after) }
            onHand += Int128(delta.onHand)
            reserved += Int128(delta.reserved)
        }
        // Every lot holds at least 0, so a total within the maximum keeps each lot within it too.
        guard onHand <= Int128(Quantity.maximum) else {
            let lots = changed.map { "\($0.lot): \($0.onHand)" }.joined(separator: ", ")
            throw QuantityError("\(warehouse) would hold \(onHand) \(sku) (lot\(changed.count == 1 ? "" : "s") \(lots)); "
                                + "at most \(Quantity.maximum) of one item may be held in one warehouse", exceedsMaximum: true)
        }
        return StockChange(warehouse: warehouse, sku: sku,
                           holdings: changed.map { ($0.lot, Holding(onHand: Int64($0.onHand), reserved: Int64($0.reserved))) },
                           onHand: Int64(onHand), reserved: Int64(reserved))
    }

    /// `stockChange` for `apply`, its refusal turned into the entry's violation.
    func stockChange(for entry: Entry, warehouse: String, sku: String, _ deltas: [StockDelta]) throws(InvariantViolation) -> StockChange {
        do { return try stockChange(warehouse: warehouse, sku: sku, deltas) } catch { throw InvariantViolation(seq: entry.seq, message: error.message) }
    }

    /// Writes a checked change.
    mutating func commit(_ change: StockChange) {
        // In place through the dictionaries' accessors: copying a SkuStock out and writing it back
        // would copy its whole lot table on every write (copy-on-write with two owners).
        let emptied = stock[change.warehouse, default: [:]][change.sku, default: SkuStock()].take(change)
        // An item no longer held leaves no empty entry behind: a snapshot has no record for one, so
        // keeping it would make queries differ between a running daemon and one restarted from a snapshot.
        if emptied { stock[change.warehouse]?[change.sku] = nil }
    }
}

extension SkuStock {
    /// Takes the holdings and totals of a checked change; returns true when no lot is left.
    mutating func take(_ change: State.StockChange) -> Bool {
        for (lot, holding) in change.holdings {
            lots[lot] = holding.onHand == 0 && holding.reserved == 0 ? nil : holding
        }
        onHand = change.onHand
        reserved = change.reserved
        return lots.isEmpty
    }
}
