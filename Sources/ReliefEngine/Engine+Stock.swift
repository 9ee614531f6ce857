import ReliefCore
import ReliefProtocol

/// Receiving, issuing, transferring, counting and querying stock.
extension Engine {
    static let stockCommands: [Command] = [
        Command(words: ["stock", "receive"],
                usage: "stock receive WAREHOUSE SKU QTY [lot=CODE] [expires=YYYY-MM-DD] [donation=RECEIPT | donor=TEXT | supplier=TEXT] [source=donation|purchase|other] [note=TEXT] [unit=UNIT]",
                summary: "receive stock into a warehouse as a lot; donation=RECEIPT links it to a recorded donation (see donation add); unit= must be the item's (a check)",
                mutating: true, access: .write(.stock, .warehouse(0))) { engine, args, context in
            try args.expect(positionals: 3...3, options: ["lot", "expires", "donation", "donor", "supplier", "source", "note", "unit"])
            let warehouse = try engine.warehouse(try args.positional(0, "warehouse"))
            let item = try engine.item(try args.positional(1, "sku"))
            let quantity = try Arguments.quantity(try args.positional(2, "quantity"))
            // A spreadsheet's unit column: 50 cartons are not 50 bottles.
            if let unit = args.option("unit"), unit.lowercased() != item.unit.lowercased() {
                throw Refusal(.conflict, "\(item.sku) is counted in \(item.unit), not \(unit); expected the quantity in \(item.unit)")
            }
            let donation = try args.option("donation").map { try engine.donation($0) }
            if donation != nil && (args.option("donor") != nil || args.option("supplier") != nil) {
                throw Refusal(.syntax, "give donation=RECEIPT alone: the donor is the donation's")
            }
            if donation != nil, let source = args.option("source"), source != LotSource.donation.rawValue {
                throw Refusal(.syntax, "donation=RECEIPT receives a donation, not source=\(source); goods bought with donated money are received with supplier= and linked by donation spend")
            }
            // A donation's lot names its donor as the public account does (anonymous: unnamed).
            let donor = try donation.map(\.publicDonor) ?? args.option("donor").map { try Arguments.text($0, "donor") }
            let supplier = try args.option("supplier").map { try Arguments.text($0, "supplier") }
            if donor != nil && supplier != nil { throw Refusal(.syntax, "give donor= or supplier=, not both") }
            let source = try args.option("source").map { try Arguments.choice($0, "source", LotSource.self) }
                ?? (donor != nil ? .donation : supplier != nil ? .purchase : .other)
            if source == .donation && donor == nil {
                throw Refusal(.syntax, "a donation needs donor=TEXT, so the public account can name who gave it")
            }
            if source == .allocation { throw Refusal(.syntax, "source=allocation is not receivable; expected donation, purchase or other") }
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            var expires = try args.option("expires").map { try Arguments.day($0, "expires") }
            let code: String
            if let given = args.option("lot") {
                code = try Arguments.identifier(given, "lot")
                if let existing = engine.state.lots[code] {
                    guard existing.sku == item.sku else {
                        throw Refusal(.conflict, "lot \(code) holds \(existing.sku), not \(item.sku); expected a new lot code")
                    }
                    if expires == nil { expires = existing.expires }
                    guard existing.expires == expires else {
                        throw Refusal(.conflict, "lot \(code) expires \(existing.expires?.iso8601 ?? "never"), not \(expires?.iso8601 ?? "never"); expected a new lot code")
                    }
                    // More of a lot is more of the same consignment: the same donation, or none.
                    let linked = engine.state.lotDonation[code]
                    guard linked == donation?.receipt else {
                        throw Refusal(.conflict, "lot \(code) is " + (linked.map { "of donation \($0)" } ?? "not linked to a donation")
                                      + "; expected a new lot code for " + (donation.map { "donation \($0.receipt)" } ?? "goods of another origin"))
                    }
                }
            } else {
                code = engine.state.nextAutomaticLotCode()
            }
            if expires == nil, engine.state.lots[code] == nil, let days = item.shelfLifeDays {
                expires = context.now.day.adding(days: days)
            }
            try engine.checkStockChange(warehouse: warehouse.id, sku: item.sku, [State.StockDelta(lot: code, onHand: quantity)])
            engine.emit(.lotReceived(warehouse: warehouse.id, lot: code, sku: item.sku, quantity: quantity, expires: expires,
                                     source: source, party: donor ?? supplier, note: note))
            guard let donation else { return .ok(["lot": code]) }
            if engine.state.lotDonation[code] == nil { engine.emit(.donationLotLinked(receipt: donation.receipt, lot: code)) }
            return .ok(["lot": code, "donation": donation.receipt])
        },

        Command(words: ["stock", "issue"], usage: "stock issue WAREHOUSE SKU QTY [lot=CODE] [to=RECIPIENT] [note=TEXT]",
                summary: "issue stock out of a warehouse, first-expiring lots first", mutating: true, access: .write(.stock, .warehouse(0))) { engine, args, _ in
            try args.expect(positionals: 3...3, options: ["lot", "to", "note"])
            let warehouse = try engine.warehouse(try args.positional(0, "warehouse"))
            let item = try engine.item(try args.positional(1, "sku"))
            let quantity = try Arguments.quantity(try args.positional(2, "quantity"))
            let recipient = try args.option("to").map { try Arguments.text($0, "to") }
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            let picks = try engine.pick(warehouse: warehouse.id, item: item, quantity: quantity, lot: args.option("lot"))
            for pick in picks {
                engine.emit(.lotIssued(warehouse: warehouse.id, lot: pick.lot, quantity: pick.quantity, recipient: recipient, note: note))
            }
            return .ok(["issued": String(quantity), "lots": Engine.describe(picks)])
        },

        Command(words: ["stock", "transfer"], usage: "stock transfer FROM TO SKU QTY [lot=CODE] [note=TEXT]",
                summary: "move stock between warehouses, keeping lot identity", mutating: true, access: .write(.stock, .warehouse(0))) { engine, args, _ in
            try args.expect(positionals: 4...4, options: ["lot", "note"])
            let from = try engine.warehouse(try args.positional(0, "source warehouse"))
            let to = try engine.warehouse(try args.positional(1, "target warehouse"))
            guard from.id != to.id else { throw Refusal(.syntax, "source and target are both \(from.id); expected two warehouses") }
            let item = try engine.item(try args.positional(2, "sku"))
            let quantity = try Arguments.quantity(try args.positional(3, "quantity"))
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            let picks = try engine.pick(warehouse: from.id, item: item, quantity: quantity, lot: args.option("lot"))
            try engine.checkStockChange(warehouse: to.id, sku: item.sku, picks.map { State.StockDelta(lot: $0.lot, onHand: $0.quantity) })
            for pick in picks {
                engine.emit(.lotTransferred(from: from.id, to: to.id, lot: pick.lot, quantity: pick.quantity, note: note))
            }
            return .ok(["transferred": String(quantity), "lots": Engine.describe(picks)])
        },

        Command(words: ["stock", "adjust"],
                usage: "stock adjust WAREHOUSE LOT (count=N | delta=±N) reason=damaged|expired|lost|recount [note=TEXT]",
                summary: "correct a lot's count after a stock take", mutating: true, access: .write(.stock, .warehouse(0))) { engine, args, _ in
            try args.expect(positionals: 2...2, options: ["count", "delta", "reason", "note"])
            let warehouse = try engine.warehouse(try args.positional(0, "warehouse"))
            let code = try args.positional(1, "lot")
            guard let lot = engine.state.lots[code] else { throw Refusal(.notFound, "lot \(code) not found") }
            guard let reasonText = args.option("reason") else {
                throw Refusal(.syntax, "missing reason=; expected one of damaged, expired, lost, recount")
            }
            let reason = try Arguments.choice(reasonText, "reason", AdjustReason.self)
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            let holding = engine.state.holding(warehouse: warehouse.id, lot: code) ?? Holding(onHand: 0, reserved: 0)
            let delta: Int64
            switch (args.option("count"), args.option("delta")) {
            case (let count?, nil): delta = try Arguments.count(count, "count") - holding.onHand
            case (nil, let text?): delta = try Arguments.signedDelta(text)
            case (nil, nil): throw Refusal(.syntax, "missing count=N or delta=±N; usage: \(args.usage)")
            default: throw Refusal(.syntax, "give count= or delta=, not both")
            }
            guard delta != 0 else { throw Refusal(.conflict, "lot \(code) in \(warehouse.id) already counts \(holding.onHand); nothing to adjust") }
            if holding.onHand + delta < holding.reserved {
                throw Refusal(.insufficient, "lot \(code) in \(warehouse.id) has \(holding.onHand) on hand of which \(holding.reserved) reserved; cannot go to \(holding.onHand + delta)")
            }
            if delta > 0 && reason != .recount {
                throw Refusal(.syntax, "an increase must be reason=recount; \(reason.rawValue) only lowers a count")
            }
            try engine.checkStockChange(warehouse: warehouse.id, sku: lot.sku, [State.StockDelta(lot: code, onHand: delta)])
            engine.emit(.lotAdjusted(warehouse: warehouse.id, lot: code, delta: delta, reason: reason, note: note))
            return .ok(["lot": code, "sku": lot.sku, "on_hand": String(holding.onHand + delta), "delta": String(delta)])
        },

        Command(words: ["stock", "min"], usage: "stock min WAREHOUSE SKU QTY",
                summary: "set the minimum level below which an item counts as low (0 clears)", mutating: true, access: .write(.stock, .warehouse(0))) { engine, args, _ in
            try args.expect(positionals: 3...3, options: [])
            let warehouse = try engine.warehouse(try args.positional(0, "warehouse"))
            let item = try engine.item(try args.positional(1, "sku"))
            let quantity = try Arguments.count(try args.positional(2, "minimum"), "minimum")
            engine.emit(.minimumSet(warehouse: warehouse.id, sku: item.sku, quantity: quantity))
            return .ok(["warehouse": warehouse.id, "item": item.sku, "min": String(quantity)])
        },

        Command(words: ["stock", "query"],
                usage: "stock query [warehouse=ID] [item=SKU] [category=C] [region=PATH] [near=LAT,LON [radius=150km]] [expiring [within=30d]] [low]",
                summary: "what is where: per warehouse and item, expiring lots, or items below minimum", mutating: false, access: .read(.stock), listing: .standard) { engine, args, context in
            try args.expect(positionals: 0...0, options: ["warehouse", "item", "category", "region", "near", "radius", "within"],
                            flags: ["expiring", "low"])
            let filter = try engine.stockFilter(args)
            let expiring = args.request.hasFlag("expiring", from: args.first)
            let low = args.request.hasFlag("low", from: args.first)
            if expiring && low { throw Refusal(.syntax, "give expiring or low, not both") }
            if args.option("within") != nil && !expiring { throw Refusal(.syntax, "within= goes with expiring") }
            if expiring {
                let within = try args.option("within").map { text -> Int in
                    guard let days = DurationText.days(text) else { throw Refusal(.syntax, "bad within \"\(text)\"; expected days such as 30d or weeks such as 4w") }
                    return days
                } ?? 30
                return .rows(engine.state.expiringLots(filter, today: context.now.day, withinDays: within).map(Engine.lotFields))
            }
            let rows = low ? engine.state.lowStockRows(filter) : engine.state.stockRows(filter)
            return .rows(rows.map { row in
                var fields: Fields = ["warehouse": row.warehouse, "item": row.sku, "on_hand": String(row.onHand),
                                      "reserved": String(row.reserved), "available": String(row.available), "unit": row.unit]
                if low || row.minimum != nil { fields.append("min", String(row.minimum ?? 0)) }
                if let distance = row.distanceKilometres { fields.append("distance_km", Engine.kilometres(distance)) }
                return fields
            })
        },

        Command(words: ["stock", "lots"], usage: "stock lots [warehouse=ID] [item=SKU] [category=C] [region=PATH] [near=LAT,LON [radius=150km]]",
                summary: "lots held, in the order they will be issued", mutating: false, access: .read(.stock), listing: .standard) { engine, args, context in
            try args.expect(positionals: 0...0, options: ["warehouse", "item", "category", "region", "near", "radius"])
            let filter = try engine.stockFilter(args)
            return .rows(engine.state.lotRows(filter, today: context.now.day).map(Engine.lotFields))
        },

        Command(words: ["stock", "history"], usage: "stock history (lot=CODE | warehouse=ID) [item=SKU] [limit=1000]",
                summary: "movements of a lot or a warehouse, newest last (the newest limit= of them)", mutating: false, access: .read(.stock), listing: .standard,
                offload: { engine, args, context in
                    // Moves older than memory holds are read from the store, off the loop.
                    let (_, query) = try engine.historyMoves(args, limit: context.limit)
                    guard let query, let read = engine.storedMoves else { return nil }
                    return Offload(compute: { () -> any Sendable in
                        do { return try read(query) } catch { return "\(error)" }
                    }, finish: { engine, result, args, context in
                        guard let older = result as? [StockMove] else {
                            throw Refusal(.unavailable, "reading the older stock moves from the store failed: \(result)")
                        }
                        // Moves that left memory meanwhile would fall between the two: read again.
                        guard let oldest = engine.state.oldestMoveSeqInMemory, oldest <= query.before else { return nil }
                        let (memory, _) = try engine.historyMoves(args, limit: context.limit)
                        return Engine.newest(older + memory.filter { $0.seq >= query.before }, limit: context.limit, Engine.moveFields)
                    })
                }) { engine, args, context in
            let (moves, _) = try engine.historyMoves(args, limit: context.limit)
            return Engine.newest(moves, limit: context.limit, Engine.moveFields)
        },
    ]

    /// `stock history`'s moves held in memory, oldest first, and the read of the older ones the
    /// store holds when those do not fill the listing (nil when memory holds enough, or all).
    func historyMoves(_ args: Arguments, limit: Int) throws -> (moves: [StockMove], older: MoveQuery?) {
        let limit = min(limit, MoveQuery.maximumRows)
        try args.expect(positionals: 0...0, options: ["lot", "warehouse", "item"])
        var moves: [StockMove]
        let earlier: Bool
        switch (args.option("lot"), args.option("warehouse")) {
        case (let lot?, let warehouse):
            guard state.lots[lot] != nil else { throw Refusal(.notFound, "lot \(lot) not found") }
            moves = state.movesFor(lot: lot)
            if let warehouse { moves = moves.filter { $0.warehouse == warehouse } }
            earlier = state.hasEarlierMoves(lot: lot)
        case (nil, let warehouse?):
            _ = try self.warehouse(warehouse)
            // Without item=, only the newest limit= (and one more, to say there are more)
            // are read: a warehouse's history grows with every receipt.
            moves = args.option("item") == nil
                ? state.movesFor(warehouse: warehouse, newest: limit + 1)
                : state.movesFor(warehouse: warehouse)
            earlier = state.hasEarlierMoves(warehouse: warehouse)
        case (nil, nil):
            throw Refusal(.syntax, "missing lot= or warehouse=; usage: \(args.usage)")
        }
        let sku = args.option("item")
        if let sku { moves = moves.filter { $0.sku == sku } }
        guard earlier, moves.count <= limit, let oldest = state.oldestMoveSeqInMemory else { return (moves, nil) }
        return (moves, MoveQuery(lot: args.option("lot"), warehouse: args.option("warehouse"), sku: sku, before: oldest,
                                 newest: limit + 1 - moves.count))
    }

    static func moveFields(_ move: StockMove) -> Fields {
        var fields: Fields = ["seq": String(move.seq), "time": move.time.iso8601, "kind": move.kind.rawValue,
                              "warehouse": move.warehouse, "lot": move.lot, "item": move.sku,
                              "delta": move.delta > 0 ? "+\(move.delta)" : String(move.delta)]
        if let counterpart = move.counterpart { fields.append("counterpart", counterpart) }
        if let reason = move.reason { fields.append("reason", reason) }
        if let note = move.note { fields.append("note", note) }
        fields.append("actor", move.actor)
        return fields
    }

    func warehouse(_ id: String) throws -> Warehouse {
        guard let warehouse = state.warehouses[id] else { throw Refusal(.notFound, "warehouse \(id) not found") }
        return warehouse
    }

    func item(_ sku: String) throws -> Item {
        guard let item = state.items[sku] else { throw Refusal(.notFound, "item \(sku) not found in the catalog") }
        return item
    }

    /// Refuses, before anything is emitted, a change `apply` would refuse: ERR LIMIT when the
    /// warehouse's stock of the item would exceed `Quantity.maximum`.
    func checkStockChange(warehouse: String, sku: String, _ deltas: [State.StockDelta]) throws {
        do {
            try state.checkStockChange(warehouse: warehouse, sku: sku, deltas)
        } catch {
            throw Refusal(error.exceedsMaximum ? .limit : .insufficient, error.message)
        }
    }

    /// Which lots an issue or transfer draws from: the named lot, or first-expiring first.
    func pick(warehouse: String, item: Item, quantity: Int64, lot: String?) throws -> [(lot: String, quantity: Int64)] {
        if let code = lot {
            guard let known = state.lots[code] else { throw Refusal(.notFound, "lot \(code) not found") }
            guard known.sku == item.sku else { throw Refusal(.conflict, "lot \(code) holds \(known.sku), not \(item.sku)") }
            let holding = state.holding(warehouse: warehouse, lot: code) ?? Holding(onHand: 0, reserved: 0)
            guard holding.available >= quantity else {
                throw Refusal(.insufficient, "only \(holding.available) \(item.unit) of lot \(code) available in \(warehouse) (on hand \(holding.onHand), reserved \(holding.reserved)); asked \(quantity)")
            }
            return [(code, quantity)]
        }
        let stock = state.stock(warehouse: warehouse, sku: item.sku) ?? SkuStock()
        guard let picks = state.pickFirstExpiring(warehouse: warehouse, sku: item.sku, quantity: quantity) else {
            throw Refusal(.insufficient, "only \(stock.available) \(item.unit) of \(item.sku) available in \(warehouse) (on hand \(stock.onHand), reserved \(stock.reserved)); asked \(quantity)")
        }
        return picks
    }

    static func describe(_ picks: [(lot: String, quantity: Int64)]) -> String {
        picks.map { "\($0.lot):\($0.quantity)" }.joined(separator: ",")
    }

    func stockFilter(_ args: Arguments) throws -> StockFilter {
        var filter = try placeFilter(args)
        if let id = args.option("warehouse") { filter.warehouse = try warehouse(id).id }
        if let sku = args.option("item") { filter.sku = try item(sku).sku }
        if let category = args.option("category") {
            guard state.items.values.contains(where: { $0.category == category }) else {
                throw Refusal(.notFound, "no items in category \(category)")
            }
            filter.category = category
        }
        return filter
    }

    static func lotFields(_ row: LotRow) -> Fields {
        var fields: Fields = ["warehouse": row.warehouse, "lot": row.lot, "item": row.sku, "on_hand": String(row.onHand),
                              "reserved": String(row.reserved), "unit": row.unit, "expires": row.expires?.iso8601 ?? ""]
        if let days = row.daysLeft { fields.append("days_left", String(days)) }
        fields.append("source", row.source.rawValue)
        if let party = row.party { fields.append("party", party) }
        if let distance = row.distanceKilometres { fields.append("distance_km", kilometres(distance)) }
        return fields
    }
}
