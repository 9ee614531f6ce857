import ReliefCore

/// Keeps the current-state tables (regions, warehouses, items, lots, holdings, minimums, and the
/// roster tables through `SQLiteRosterProjector`) equal to `State`, so SQL tools can read the
/// operation directly. `project` mirrors `State.apply` for one entry inside the commit's
/// transaction; `replaceAll` rewrites the tables from a whole state (after a migration adds a
/// table, or when they have drifted). Owns its prepared statements.
final class SQLiteProjector {
    private let connection: SQLiteConnection
    private let insertRegion: SQLiteStatement
    private let insertWarehouse: SQLiteStatement
    private let insertItem: SQLiteStatement
    private let insertLot: SQLiteStatement
    private let addToHolding: SQLiteStatement
    private let takeFromHolding: SQLiteStatement
    private let dropEmptyHolding: SQLiteStatement
    private let setMinimum: SQLiteStatement
    private let clearMinimum: SQLiteStatement
    private let setTravelTime: SQLiteStatement
    private let clearTravelTime: SQLiteStatement
    private let insertMove: SQLiteStatement
    private let insertAllocationMove: SQLiteStatement
    private let roster: SQLiteRosterProjector
    private let incidents: SQLiteIncidentProjector

    init(connection: SQLiteConnection) throws {
        self.connection = connection
        insertRegion = try connection.prepare("INSERT INTO regions (id, name, level, parent) VALUES (?1, ?2, ?3, ?4)")
        insertWarehouse = try connection.prepare(
            "INSERT INTO warehouses (id, name, region, lat, lon, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        insertItem = try connection.prepare(
            "INSERT INTO items (sku, name, category, unit, pack_size, shelf_life_days) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        // A lot keeps the facts of its first receipt, as in State.apply.
        insertLot = try connection.prepare("""
            INSERT INTO lots (code, sku, expires, source, party, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT (code) DO NOTHING
            """)
        // Only for positive quantities: SQLite checks CHECK constraints on the row it would insert
        // before resolving the conflict, so a negative insert would fail even when the row exists.
        addToHolding = try connection.prepare("""
            INSERT INTO holdings (warehouse, lot, sku, on_hand, reserved)
            SELECT ?1, code, sku, ?3, 0 FROM lots WHERE code = ?2
            ON CONFLICT (warehouse, lot) DO UPDATE SET on_hand = on_hand + excluded.on_hand
            """)
        takeFromHolding = try connection.prepare("UPDATE holdings SET on_hand = on_hand - ?3 WHERE warehouse = ?1 AND lot = ?2")
        dropEmptyHolding = try connection.prepare(
            "DELETE FROM holdings WHERE warehouse = ?1 AND lot = ?2 AND on_hand = 0 AND reserved = 0")
        setMinimum = try connection.prepare("""
            INSERT INTO minimums (warehouse, sku, quantity) VALUES (?1, ?2, ?3)
            ON CONFLICT (warehouse, sku) DO UPDATE SET quantity = excluded.quantity
            """)
        clearMinimum = try connection.prepare("DELETE FROM minimums WHERE warehouse = ?1 AND sku = ?2")
        setTravelTime = try connection.prepare("""
            INSERT INTO travel_times (origin, destination, minutes) VALUES (?1, ?2, ?3)
            ON CONFLICT (origin, destination) DO UPDATE SET minutes = excluded.minutes
            """)
        clearTravelTime = try connection.prepare("DELETE FROM travel_times WHERE origin = ?1 AND destination = ?2")
        // The moves State.apply records (State.moves), one per change of a lot in a warehouse; a
        // lot's sku comes from the lots table when the event does not carry it.
        insertMove = try connection.prepare("""
            INSERT INTO stock_moves (seq, n, time, actor, kind, warehouse, lot, sku, delta, counterpart, reason, note)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, COALESCE(?8, (SELECT sku FROM lots WHERE code = ?7)), ?9, ?10, ?11, ?12)
            """)
        // A dispatch (from a reserved allocation) or a return (of a dispatched one), before the
        // incident projector changes its status: `?5` is -1 or +1.
        insertAllocationMove = try connection.prepare("""
            INSERT INTO stock_moves (seq, n, time, actor, kind, warehouse, lot, sku, delta, counterpart, reason, note)
            SELECT ?1, 0, ?2, ?3, ?4, warehouse, lot, sku, ?5 * quantity, incident, id, ?6 FROM allocations
            WHERE id = ?7 AND status = ?8
            """)
        roster = try SQLiteRosterProjector(connection: connection)
        incidents = try SQLiteIncidentProjector(connection: connection)
    }

    func finalize() {
        for statement in [insertRegion, insertWarehouse, insertItem, insertLot, addToHolding, takeFromHolding,
                          dropEmptyHolding, setMinimum, clearMinimum, setTravelTime, clearTravelTime, insertMove, insertAllocationMove] {
            statement.finalize()
        }
        roster.finalize()
        incidents.finalize()
    }

    /// Applies one entry to the tables. Runs inside the caller's transaction.
    func project(_ entry: Entry) throws {
        switch entry.event {
        case .regionAdded(let id, let name, let level):
            try addRegion(id: id, name: name, level: level)
        case .warehouseAdded(let id, let name, let region, let location):
            try addWarehouse(id: id, name: name, region: region, location: location, createdAt: entry.time)
        case .itemAdded(let item):
            try addItem(item)
        case .lotReceived(let warehouse, let code, let sku, let quantity, let expires, let source, let party, let note):
            try addLot(code: code, sku: sku, expires: expires, source: source, party: party, receivedAt: entry.time)
            try change(warehouse: warehouse, lot: code, by: quantity, seq: entry.seq)
            try addMove(entry, 0, .received, warehouse: warehouse, lot: code, sku: sku, delta: quantity,
                        counterpart: party, reason: source.rawValue, note: note)
        case .lotIssued(let warehouse, let code, let quantity, let recipient, let note):
            try change(warehouse: warehouse, lot: code, by: -quantity, seq: entry.seq)
            try addMove(entry, 0, .issued, warehouse: warehouse, lot: code, delta: -quantity, counterpart: recipient, reason: nil, note: note)
        case .lotTransferred(let from, let to, let code, let quantity, let note):
            try change(warehouse: from, lot: code, by: -quantity, seq: entry.seq)
            try change(warehouse: to, lot: code, by: quantity, seq: entry.seq)
            try addMove(entry, 0, .transferOut, warehouse: from, lot: code, delta: -quantity, counterpart: to, reason: nil, note: note)
            try addMove(entry, 1, .transferIn, warehouse: to, lot: code, delta: quantity, counterpart: from, reason: nil, note: note)
        case .lotAdjusted(let warehouse, let code, let delta, let reason, let note):
            try change(warehouse: warehouse, lot: code, by: delta, seq: entry.seq)
            try addMove(entry, 0, .adjusted, warehouse: warehouse, lot: code, delta: delta, counterpart: nil, reason: reason.rawValue, note: note)
        case .minimumSet(let warehouse, let sku, let quantity):
            if quantity == 0 {
                clearMinimum.bind(1, warehouse); clearMinimum.bind(2, sku)
                try clearMinimum.execute()
            } else {
                try putMinimum(warehouse: warehouse, sku: sku, quantity: quantity)
            }
        case .requestCompleted:
            break // request tokens live in the journal and the snapshot only
        case .snapshotSealed:
            break // a seal is a record about a snapshot, not a change of the operation
        case .drillRecorded:
            break // drill records live in the journal and the snapshot (team readiness reads them)
        case .userSet, .userRemoved, .tokenCreated, .tokenRevoked:
            break // users and token hashes live in the journal and the snapshot
        case .donationRecorded, .donationLotLinked, .donationMoneyReceived, .donationMoneySpent:
            break // donations live in the journal and the snapshot (`disclose` reads them from the state)
        case .alertRaised, .alertCleared, .alertAcknowledged:
            break // alerts live in the journal and the snapshot (`alert list` reads them from the state)
        case .skillAdded, .specialtyAdded, .volunteerAdded, .volunteerUpdated, .volunteerStatusSet, .certificationGranted,
             .certificationRevoked, .checkedIn, .checkedOut, .teamAdded, .teamMemberAdded, .teamMemberRemoved, .teamStateSet:
            try roster.project(entry)
        case .incidentOpened, .incidentUpdated, .incidentStatusSet, .needAdded, .needChanged, .needCancelled, .planProposed,
             .planApplied, .allocationReserved, .allocationDispatched, .allocationDelivered, .allocationReleased, .assignmentMade,
             .assignmentStatusSet, .assignmentReleased:
            switch entry.event {
            case .allocationDispatched(let id, let note, _, _):
                try addAllocationMove(entry, .dispatched, allocation: id, from: .reserved, note: note)
            case .allocationReleased(let id, let reason):
                // Only a dispatched allocation's goods come back (a reserved one moved nothing).
                try addAllocationMove(entry, .returned, allocation: id, from: .dispatched, note: reason, required: false)
            default:
                break
            }
            try incidents.project(entry)
        case .travelTimeSet(let from, let to, let minutes):
            if let minutes {
                try putTravelTime(from: from, to: to, minutes: minutes)
            } else {
                clearTravelTime.bind(1, from); clearTravelTime.bind(2, to)
                try clearTravelTime.execute()
                guard connection.changes == 1 else { throw drift(entry.seq, "travel time \(from) → \(to) missing from the travel_times table") }
            }
        }
    }

    private func addRegion(id: String, name: String, level: RegionLevel) throws {
        insertRegion.bind(1, id); insertRegion.bind(2, name); insertRegion.bind(3, level.rawValue)
        insertRegion.bind(4, State.parentPath(of: id))
        try insertRegion.execute()
    }

    private func addWarehouse(id: String, name: String, region: String, location: Coordinate, createdAt: Timestamp) throws {
        insertWarehouse.bind(1, id); insertWarehouse.bind(2, name); insertWarehouse.bind(3, region)
        insertWarehouse.bind(4, location.latitude); insertWarehouse.bind(5, location.longitude)
        insertWarehouse.bind(6, createdAt.milliseconds)
        try insertWarehouse.execute()
    }

    private func addItem(_ item: Item) throws {
        insertItem.bind(1, item.sku); insertItem.bind(2, item.name); insertItem.bind(3, item.category)
        insertItem.bind(4, item.unit); insertItem.bind(5, item.packSize); insertItem.bind(6, item.shelfLifeDays.map(Int64.init))
        try insertItem.execute()
    }

    private func addLot(code: String, sku: String, expires: Day?, source: LotSource, party: String?, receivedAt: Timestamp) throws {
        insertLot.bind(1, code); insertLot.bind(2, sku); insertLot.bind(3, expires?.iso8601)
        insertLot.bind(4, source.rawValue); insertLot.bind(5, party); insertLot.bind(6, receivedAt.milliseconds)
        try insertLot.execute()
    }

    private func putTravelTime(from: String, to: String, minutes: Int) throws {
        setTravelTime.bind(1, from); setTravelTime.bind(2, to); setTravelTime.bind(3, Int64(minutes))
        try setTravelTime.execute()
    }

    private func putMinimum(warehouse: String, sku: String, quantity: Int64) throws {
        setMinimum.bind(1, warehouse); setMinimum.bind(2, sku); setMinimum.bind(3, quantity)
        try setMinimum.execute()
    }

    private func addMove(_ entry: Entry, _ n: Int64, _ kind: StockMove.Kind, warehouse: String, lot: String, sku: String? = nil,
                         delta: Int64, counterpart: String?, reason: String?, note: String?) throws {
        try addMove(seq: entry.seq, time: entry.time, actor: entry.actor, n, kind, warehouse: warehouse, lot: lot, sku: sku,
                    delta: delta, counterpart: counterpart, reason: reason, note: note)
    }

    private func addMove(seq: Int64, time: Timestamp, actor: String, _ n: Int64, _ kind: StockMove.Kind, warehouse: String, lot: String,
                         sku: String?, delta: Int64, counterpart: String?, reason: String?, note: String?) throws {
        insertMove.bind(1, seq); insertMove.bind(2, n); insertMove.bind(3, time.milliseconds)
        insertMove.bind(4, actor); insertMove.bind(5, kind.rawValue); insertMove.bind(6, warehouse)
        insertMove.bind(7, lot); insertMove.bind(8, sku); insertMove.bind(9, delta)
        insertMove.bind(10, counterpart); insertMove.bind(11, reason); insertMove.bind(12, note)
        try insertMove.execute()
    }

    private func addAllocationMove(_ entry: Entry, _ kind: StockMove.Kind, allocation id: String, from status: AllocationStatus,
                                   note: String?, required: Bool = true) throws {
        insertAllocationMove.bind(1, entry.seq); insertAllocationMove.bind(2, entry.time.milliseconds)
        insertAllocationMove.bind(3, entry.actor); insertAllocationMove.bind(4, kind.rawValue)
        insertAllocationMove.bind(5, Int64(kind == .dispatched ? -1 : 1)); insertAllocationMove.bind(6, note)
        insertAllocationMove.bind(7, id); insertAllocationMove.bind(8, status.rawValue)
        try insertAllocationMove.execute()
        guard !required || connection.changes == 1 else { throw drift(entry.seq, "allocation \(id) is not \(status.rawValue) in the allocations table") }
    }

    /// Mirrors State.change: a holding left with nothing on hand and nothing reserved disappears.
    private func change(warehouse: String, lot: String, by delta: Int64, seq: Int64) throws {
        if delta > 0 {
            addToHolding.bind(1, warehouse); addToHolding.bind(2, lot); addToHolding.bind(3, delta)
            try addToHolding.execute()
            guard connection.changes == 1 else { throw drift(seq, "lot \(lot) missing from the lots table") }
        } else if delta < 0 {
            takeFromHolding.bind(1, warehouse); takeFromHolding.bind(2, lot); takeFromHolding.bind(3, -delta)
            try takeFromHolding.execute()
            guard connection.changes == 1 else { throw drift(seq, "holding \(warehouse)/\(lot) missing from the holdings table") }
            dropEmptyHolding.bind(1, warehouse); dropEmptyHolding.bind(2, lot)
            try dropEmptyHolding.execute()
        }
    }

    private func drift(_ seq: Int64, _ what: String) -> StoreError {
        StoreError("projecting entry \(seq): \(what); the current-state tables disagree with the journal "
                   + "(restart reliefd to rebuild them)", isTransient: false)
    }

    // MARK: whole-state rewrite

    /// Counts and totals of the stock tables, and every row of the roster tables, against `state`;
    /// true when the tables are in step. `volunteers: false`: all but the volunteers table
    /// (SQLiteRosterProjector.volunteersMatch, which SQLiteJournal.compareAndRepairTables runs beside
    /// this on a connection of its own).
    func tablesMatch(_ state: State, volunteers: Bool = true) throws -> Bool {
        let statement = try connection.prepare("""
            SELECT (SELECT COUNT(*) FROM regions), (SELECT COUNT(*) FROM warehouses), (SELECT COUNT(*) FROM items),
                   (SELECT COUNT(*) FROM lots), (SELECT COUNT(*) FROM holdings),
                   (SELECT \(ProjectionTotal.sql("on_hand")) FROM holdings), (SELECT \(ProjectionTotal.sql("reserved")) FROM holdings),
                   (SELECT COUNT(*) FROM minimums), (SELECT \(ProjectionTotal.sql("quantity")) FROM minimums)
            """)
        defer { statement.finalize() }
        guard try statement.step() else { return false }
        let held = state.stock.values.flatMap(\.values)
        let minimums = state.minimums.values.flatMap(\.values)
        let expected: [Int64] = [Int64(state.regions.count), Int64(state.warehouses.count), Int64(state.items.count),
                                 Int64(state.lots.count), Int64(held.reduce(0) { $0 + $1.lots.count }),
                                 ProjectionTotal.of(held.lazy.map(\.onHand)), ProjectionTotal.of(held.lazy.map(\.reserved)),
                                 Int64(minimums.count), ProjectionTotal.of(minimums)]
        guard expected.indices.allSatisfy({ statement.int64(Int32($0)) == expected[$0] }) else { return false }
        return try travelTimesMatch(state) && roster.tablesMatch(state, volunteers: volunteers) && incidents.tablesMatch(state)
    }

    /// Every row of travel_times is an entry of the state with its minutes, and there are as many.
    private func travelTimesMatch(_ state: State) throws -> Bool {
        let statement = try connection.prepare("SELECT origin, destination, minutes FROM travel_times")
        defer { statement.finalize() }
        let count = state.travelEntryCount
        var seen = 0
        while try statement.step() {
            seen += 1
            guard seen <= count, let origin = statement.text(0), let destination = statement.text(1),
                  let minutes = state.travelEntry(from: origin, to: destination), statement.int64(2) == Int64(minutes) else { return false }
        }
        return seen == count
    }

    /// Whether stock_moves holds the moves `state` holds in memory and as many before them (the
    /// table keeps what memory no longer does): count, newest seq, and the moves after the oldest
    /// seq in memory (count and totals) against the window.
    func movesMatch(_ state: State) throws -> Bool {
        let after = state.movesBefore == 0 ? Int64(0) : (state.oldestMoveSeqInMemory ?? 0)
        let window = state.moves.lazy.filter { $0.seq > after }
        let statement = try connection.prepare("""
            SELECT (SELECT COUNT(*) FROM stock_moves), (SELECT COALESCE(MAX(seq), 0) FROM stock_moves),
                   COUNT(*), \(ProjectionTotal.sql("MAX(delta, 0)")), \(ProjectionTotal.sql("MAX(-delta, 0)"))
            FROM stock_moves WHERE seq > ?1
            """)
        defer { statement.finalize() }
        statement.bind(1, after)
        guard try statement.step() else { return false }
        let expected: [Int64] = [Int64(state.movesBefore + state.moves.count), state.moves.last?.seq ?? 0, Int64(window.count),
                                 ProjectionTotal.of(window.lazy.map { max($0.delta, 0) }), ProjectionTotal.of(window.lazy.map { max(-$0.delta, 0) })]
        return expected.indices.allSatisfy { statement.int64(Int32($0)) == expected[$0] }
    }

    /// Adds one move as the `n`th of its entry (the rebuild from the journal).
    func insert(_ move: StockMove, n: Int64) throws {
        try addMove(seq: move.seq, time: move.time, actor: move.actor, n, move.kind, warehouse: move.warehouse, lot: move.lot,
                    sku: move.sku, delta: move.delta, counterpart: move.counterpart, reason: move.reason, note: move.note)
    }

    /// Rewrites every current-state table from `state` but stock_moves (which holds more than
    /// memory: `SQLiteJournal.rebuildStockMoves`). Runs inside the caller's transaction.
    func replaceAll(from state: State) throws {
        try incidents.deleteAll() // its rows reference everything else
        try roster.deleteAll() // its rows reference regions
        try connection.execute("""
            DELETE FROM travel_times; DELETE FROM minimums; DELETE FROM holdings; DELETE FROM lots; DELETE FROM items;
            DELETE FROM warehouses; DELETE FROM regions;
            """)
        // A parent's path sorts before its children's, so parents are inserted first.
        for region in state.regions.values.sorted(by: { $0.id < $1.id }) {
            try addRegion(id: region.id, name: region.name, level: region.level)
        }
        for warehouse in state.warehouses.values {
            try addWarehouse(id: warehouse.id, name: warehouse.name, region: warehouse.region, location: warehouse.location,
                             createdAt: warehouse.createdAt)
        }
        for item in state.items.values { try addItem(item) }
        for lot in state.lots.values {
            try addLot(code: lot.code, sku: lot.sku, expires: lot.expires, source: lot.source, party: lot.party, receivedAt: lot.receivedAt)
        }
        let insertHolding = try connection.prepare(
            "INSERT INTO holdings (warehouse, lot, sku, on_hand, reserved) VALUES (?1, ?2, ?3, ?4, ?5)")
        defer { insertHolding.finalize() }
        for (warehouse, skus) in state.stock {
            for (sku, skuStock) in skus {
                for (code, holding) in skuStock.lots {
                    insertHolding.bind(1, warehouse); insertHolding.bind(2, code); insertHolding.bind(3, sku)
                    insertHolding.bind(4, holding.onHand); insertHolding.bind(5, holding.reserved)
                    try insertHolding.execute()
                }
            }
        }
        for (warehouse, skus) in state.minimums {
            for (sku, quantity) in skus { try putMinimum(warehouse: warehouse, sku: sku, quantity: quantity) }
        }
        for (from, row) in state.travelTimes {
            for (to, minutes) in row { try putTravelTime(from: from, to: to, minutes: minutes) }
        }
        try roster.insertAll(from: state)
        try incidents.insertAll(from: state)
    }
}
