/// A journal entry that cannot be applied: the engine let through something it should have refused,
/// or the journal is damaged. `apply` checks before it changes anything, so the state is untouched.
public struct InvariantViolation: Error, CustomStringConvertible, Equatable {
    public var seq: Int64
    public var message: String
    public var description: String { "entry \(seq): \(message)" }
    public init(seq: Int64, message: String) {
        self.seq = seq
        self.message = message
    }
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
            guard Quantity.positive.contains(item.packSize) else { throw fail("pack size \(item.packSize) outside \(Quantity.positive)") }
            items[item.sku] = item

        case .lotReceived(let warehouse, let code, let sku, let quantity, let expires, let source, let party, let note):
            guard warehouses[warehouse] != nil else { throw fail("warehouse \(warehouse) missing") }
            guard items[sku] != nil else { throw fail("item \(sku) missing") }
            guard Quantity.positive.contains(quantity) else { throw fail("received quantity \(quantity) outside \(Quantity.positive)") }
            if let existing = lots[code] {
                guard existing.sku == sku, existing.expires == expires else { throw fail("lot \(code) differs in item or expiry") }
            }
            let change = try stockChange(for: entry, warehouse: warehouse, sku: sku, [StockDelta(lot: code, onHand: quantity)])
            if lots[code] == nil {
                if code == nextAutomaticLotCode() { autoLotCounter = State.automaticLotNumber(code) ?? autoLotCounter }
                lots[code] = Lot(code: code, sku: sku, expires: expires, source: source, party: party, receivedAt: entry.time)
            }
            commit(change)
            record(entry, .received, warehouse: warehouse, lot: code, sku: sku, delta: quantity, counterpart: party, reason: source.rawValue, note: note)

        case .lotIssued(let warehouse, let code, let quantity, let recipient, let note):
            guard let lot = lots[code], let holding = stock[warehouse]?[lot.sku]?.lots[code] else { throw fail("lot \(code) not held in \(warehouse)") }
            guard quantity > 0, holding.available >= quantity else { throw fail("issue of \(quantity) exceeds available \(holding.available) of lot \(code)") }
            let change = try stockChange(for: entry, warehouse: warehouse, sku: lot.sku, [StockDelta(lot: code, onHand: -quantity)])
            commit(change)
            record(entry, .issued, warehouse: warehouse, lot: code, sku: lot.sku, delta: -quantity, counterpart: recipient, reason: nil, note: note)

        case .lotTransferred(let from, let to, let code, let quantity, let note):
            guard warehouses[to] != nil, from != to else { throw fail("transfer target \(to) invalid") }
            guard let lot = lots[code], let holding = stock[from]?[lot.sku]?.lots[code] else { throw fail("lot \(code) not held in \(from)") }
            guard quantity > 0, holding.available >= quantity else { throw fail("transfer of \(quantity) exceeds available \(holding.available) of lot \(code)") }
            let out = try stockChange(for: entry, warehouse: from, sku: lot.sku, [StockDelta(lot: code, onHand: -quantity)])
            let into = try stockChange(for: entry, warehouse: to, sku: lot.sku, [StockDelta(lot: code, onHand: quantity)])
            commit(out)
            commit(into)
            record(entry, .transferOut, warehouse: from, lot: code, sku: lot.sku, delta: -quantity, counterpart: to, reason: nil, note: note)
            record(entry, .transferIn, warehouse: to, lot: code, sku: lot.sku, delta: quantity, counterpart: from, reason: nil, note: note)

        case .lotAdjusted(let warehouse, let code, let delta, let reason, let note):
            guard warehouses[warehouse] != nil, let lot = lots[code] else { throw fail("lot \(code) or warehouse \(warehouse) missing") }
            guard delta != 0 else { throw fail("adjustment of lot \(code) by 0") }
            let change = try stockChange(for: entry, warehouse: warehouse, sku: lot.sku, [StockDelta(lot: code, onHand: delta)])
            commit(change)
            record(entry, .adjusted, warehouse: warehouse, lot: code, sku: lot.sku, delta: delta, counterpart: nil, reason: reason.rawValue, note: note)

        case .minimumSet(let warehouse, let sku, let quantity):
            guard warehouses[warehouse] != nil, items[sku] != nil, Quantity.range.contains(quantity) else {
                throw fail("minimum \(quantity) for \(warehouse)/\(sku) invalid; expected a known warehouse and item and \(Quantity.range)")
            }
            if quantity == 0 {
                minimums[warehouse]?[sku] = nil
            } else {
                minimums[warehouse, default: [:]][sku] = quantity
            }

        case .requestCompleted(let token, let reply, let digest, let command):
            let scope = RequestScope.of(actor: entry.actor)
            // The engine answers a known token instead of running the request again, so a bound
            // token seen twice is a bug. An unbound one comes from a journal of the global window,
            // which forgot tokens in another order and may legitimately repeat one.
            if digest != nil, let known = requests.lookup(scope: scope, token: token) {
                throw fail("request token \(token) of \(scope) already completed at entry \(known.seq)")
            }
            requests.remember(RememberedRequest(scope: scope, token: token, reply: reply, digest: digest, command: command, seq: entry.seq))

        default:
            // By family, every family named: a new family does not compile until it is applied.
            switch entry.event.eventKind {
            case .incident: try applyIncident(entry)
            case .travel: try applyTravel(entry)
            case .drill: try applyDrill(entry)
            case .roster: try applyRoster(entry)
            case .users: try applyUsers(entry)
            case .donations: try applyDonations(entry)
            case .alerts: try applyAlerts(entry)
            case .seal:
                // Only a record for loaders: the state is what it was. A seal can only follow what it seals.
                if case .snapshotSealed(let seq, _, _) = entry.event, seq >= entry.seq { throw fail("seal of snapshot \(seq) is not after it") }
            case .stock:
                throw fail("\(entry.event.kind) has no apply case")
            }
        }
        lastSeq = entry.seq
    }

    /// Applies entries in order; on a violation, the entries before it stay applied.
    public mutating func apply(_ entries: [Entry]) throws {
        for entry in entries { try apply(entry) }
    }

    private mutating func record(_ entry: Entry, _ kind: StockMove.Kind, warehouse: String, lot: String, sku: String,
                                 delta: Int64, counterpart: String?, reason: String?, note: String?) {
        appendMove(StockMove(seq: entry.seq, time: entry.time, actor: entry.actor, kind: kind, warehouse: warehouse,
                             lot: lot, sku: sku, delta: delta, counterpart: counterpart, reason: reason, note: note))
    }

    mutating func appendMove(_ move: StockMove) {
        let number = movesBefore + moves.count
        moves.append(move)
        movesByLot[move.lot, default: []].append(number)
        movesByWarehouse[move.warehouse, default: []].append(number)
        // Trimmed a chunk at a time, so a trim's work is spread over that many appends.
        if moves.count >= moveWindow + ChunkedList<StockMove>.chunkSize { trimMoves(keeping: moveWindow) }
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
