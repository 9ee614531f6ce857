/// A journal entry that cannot be applied: the engine let through something it should have refused,
/// or the journal is damaged. `apply` checks before it changes anything, so the state is untouched.
public struct InvariantViolation: Error, CustomStringConvertible, Equatable {
    public var seq: Int64
    public var message: String
    public var description: String { "entry \(seq): \(message)" }
}

extension State {
    /// Applies one journal entry. Deterministic: it reads nothing but the entry and the state.
    /// Every precondition is checked before the first change, so a thrown violation leaves the state
    /// exactly as it was.
    public mutating func apply(_ entry: Entry) throws {
        func fail(_ message: String) -> InvariantViolation { InvariantViolation(seq: entry.seq, message: message) }
        guard entry.seq > lastSeq else { throw fail("sequence \(entry.seq) is not after \(lastSeq)") }

        switch entry.event {
        case .regionAdded(let id, let name, let level):
            guard regions[id] == nil else { throw fail("region \(id) exists") }
            let parent = State.parentPath(of: id)
            if let parent, regions[parent] == nil { throw fail("parent region \(parent) missing") }
            regions[id] = Region(id: id, name: name, level: level, parent: parent)

        case .warehouseAdded(let id, let name, let region, let location):
            guard warehouses[id] == nil else { throw fail("warehouse \(id) exists") }
            guard regions[region] != nil else { throw fail("region \(region) missing") }
            warehouses[id] = Warehouse(id: id, name: name, region: region, location: location, createdAt: entry.time)

        case .itemAdded(let item):
            guard items[item.sku] == nil else { throw fail("item \(item.sku) exists") }
            guard item.packSize > 0 else { throw fail("pack size must be positive") }
            items[item.sku] = item

        case .lotReceived(let warehouse, let code, let sku, let quantity, let expires, let source, let party, let note):
            guard warehouses[warehouse] != nil else { throw fail("warehouse \(warehouse) missing") }
            guard items[sku] != nil else { throw fail("item \(sku) missing") }
            guard quantity > 0 else { throw fail("received quantity \(quantity) not positive") }
            if let existing = lots[code] {
                guard existing.sku == sku, existing.expires == expires else { throw fail("lot \(code) differs in item or expiry") }
            } else {
                if code == nextAutomaticLotCode() { autoLotCounter = State.automaticLotNumber(code) ?? autoLotCounter }
                lots[code] = Lot(code: code, sku: sku, expires: expires, source: source, party: party, receivedAt: entry.time)
            }
            change(warehouse: warehouse, sku: sku, lot: code, by: quantity)
            record(entry, .received, warehouse: warehouse, lot: code, sku: sku, delta: quantity, counterpart: party, reason: source.rawValue, note: note)

        case .lotIssued(let warehouse, let code, let quantity, let recipient, let note):
            guard let lot = lots[code], let holding = stock[warehouse]?[lot.sku]?.lots[code] else { throw fail("lot \(code) not held in \(warehouse)") }
            guard quantity > 0, holding.available >= quantity else { throw fail("issue of \(quantity) exceeds available \(holding.available) of lot \(code)") }
            change(warehouse: warehouse, sku: lot.sku, lot: code, by: -quantity)
            record(entry, .issued, warehouse: warehouse, lot: code, sku: lot.sku, delta: -quantity, counterpart: recipient, reason: nil, note: note)

        case .lotTransferred(let from, let to, let code, let quantity, let note):
            guard warehouses[to] != nil, from != to else { throw fail("transfer target \(to) invalid") }
            guard let lot = lots[code], let holding = stock[from]?[lot.sku]?.lots[code] else { throw fail("lot \(code) not held in \(from)") }
            guard quantity > 0, holding.available >= quantity else { throw fail("transfer of \(quantity) exceeds available \(holding.available) of lot \(code)") }
            change(warehouse: from, sku: lot.sku, lot: code, by: -quantity)
            change(warehouse: to, sku: lot.sku, lot: code, by: quantity)
            record(entry, .transferOut, warehouse: from, lot: code, sku: lot.sku, delta: -quantity, counterpart: to, reason: nil, note: note)
            record(entry, .transferIn, warehouse: to, lot: code, sku: lot.sku, delta: quantity, counterpart: from, reason: nil, note: note)

        case .lotAdjusted(let warehouse, let code, let delta, let reason, let note):
            guard warehouses[warehouse] != nil, let lot = lots[code] else { throw fail("lot \(code) or warehouse \(warehouse) missing") }
            let holding = stock[warehouse]?[lot.sku]?.lots[code] ?? Holding(onHand: 0, reserved: 0)
            guard delta != 0, holding.onHand + delta >= holding.reserved else {
                throw fail("adjustment \(delta) of lot \(code) would leave \(holding.onHand + delta) below reserved \(holding.reserved)")
            }
            change(warehouse: warehouse, sku: lot.sku, lot: code, by: delta)
            record(entry, .adjusted, warehouse: warehouse, lot: code, sku: lot.sku, delta: delta, counterpart: nil, reason: reason.rawValue, note: note)

        case .minimumSet(let warehouse, let sku, let quantity):
            guard warehouses[warehouse] != nil, items[sku] != nil, quantity >= 0 else { throw fail("minimum for \(warehouse)/\(sku) invalid") }
            if quantity == 0 {
                minimums[warehouse]?[sku] = nil
            } else {
                minimums[warehouse, default: [:]][sku] = quantity
            }

        case .requestCompleted(let token, let reply):
            guard requestReplies[token] == nil else { throw fail("request token \(token) already completed") }
            rememberRequest(token: token, reply: reply)

        default:
            if Event.incidentKinds.contains(entry.event.kind) {
                try applyIncident(entry)
            } else if Event.travelKinds.contains(entry.event.kind) {
                try applyTravel(entry)
            } else if case .snapshotSealed(let seq, _, _) = entry.event {
                // Only a record for loaders: the state is what it was. A seal can only follow what it seals.
                guard seq < entry.seq else { throw fail("seal of snapshot \(seq) is not after it") }
            } else {
                try applyRoster(entry)
            }
        }
        lastSeq = entry.seq
    }

    /// Applies entries in order; on a violation, the entries before it stay applied.
    public mutating func apply(_ entries: [Entry]) throws {
        for entry in entries { try apply(entry) }
    }

    mutating func rememberRequest(token: String, reply: String) {
        requestReplies[token] = reply
        requestOrder.append(token)
        if requestOrder.count - requestOrderHead > State.requestTokenCapacity {
            requestReplies[requestOrder[requestOrderHead]] = nil
            requestOrderHead += 1
            // Compact now and then so the order list does not grow forever.
            if requestOrderHead >= State.requestTokenCapacity {
                requestOrder.removeFirst(requestOrderHead)
                requestOrderHead = 0
            }
        }
    }

    /// Tokens still remembered, oldest first.
    public var rememberedRequestTokens: ArraySlice<String> { requestOrder[requestOrderHead...] }

    private mutating func change(warehouse: String, sku: String, lot: String, by delta: Int64) {
        // Mutate through the dictionaries' in-place accessors: copying a SkuStock out and writing it
        // back would copy its whole lot table on every write (copy-on-write with two owners).
        let emptied = stock[warehouse, default: [:]][sku, default: SkuStock()].change(lot: lot, by: delta)
        // An item no longer held leaves no empty entry behind: a snapshot has no record for one, so
        // keeping it would make queries differ between a running daemon and one restarted from a snapshot.
        if emptied { stock[warehouse]?[sku] = nil }
    }

    private mutating func record(_ entry: Entry, _ kind: StockMove.Kind, warehouse: String, lot: String, sku: String,
                                 delta: Int64, counterpart: String?, reason: String?, note: String?) {
        appendMove(StockMove(seq: entry.seq, time: entry.time, actor: entry.actor, kind: kind, warehouse: warehouse,
                             lot: lot, sku: sku, delta: delta, counterpart: counterpart, reason: reason, note: note))
    }

    mutating func appendMove(_ move: StockMove) {
        let index = moves.count
        moves.append(move)
        movesByLot[move.lot, default: []].append(index)
        movesByWarehouse[move.warehouse, default: []].append(index)
    }

    public static func parentPath(of id: String) -> String? {
        guard let slash = id.lastIndex(of: "/") else { return nil }
        return String(id[id.startIndex..<slash])
    }

    static func automaticLotNumber(_ code: String) -> Int64? {
        guard code.hasPrefix("L-") else { return nil }
        return Int64(code.dropFirst(2))
    }
}

extension SkuStock {
    /// Changes one lot's on-hand quantity; returns true when no lot is left.
    mutating func change(lot: String, by delta: Int64) -> Bool {
        var holding = lots[lot] ?? Holding(onHand: 0, reserved: 0)
        holding.onHand += delta
        onHand += delta
        precondition(holding.onHand >= holding.reserved && onHand >= 0, "negative stock of lot \(lot)")
        if holding.onHand == 0 && holding.reserved == 0 {
            lots[lot] = nil
        } else {
            lots[lot] = holding
        }
        return lots.isEmpty
    }
}
