/// A snapshot is the state written as JSON lines, one record per line, each with a `t` (type).
/// Loading one and replaying the journal after its `seq` gives back the same state.
extension State {
    public static let snapshotFormat = "reliefd-snapshot-1"

    public func snapshotLines(_ emit: (FlatJSON) -> Void) {
        var header = FlatJSON()
        header.set("t", "header"); header.set("format", State.snapshotFormat)
        header.set("seq", lastSeq); header.set("auto_lot", autoLotCounter)
        if movesBefore > 0 { header.set("moves_before", movesBefore) }
        emit(header)
        for region in regions.values.sorted(by: { $0.id < $1.id }) {
            var json = Event.regionAdded(id: region.id, name: region.name, level: region.level).body
            json.pairs.insert(("t", .string("region")), at: 0)
            emit(json)
        }
        for warehouse in warehouses.values.sorted(by: { $0.id < $1.id }) {
            var json = Event.warehouseAdded(id: warehouse.id, name: warehouse.name, region: warehouse.region, location: warehouse.location).body
            json.pairs.insert(("t", .string("warehouse")), at: 0)
            json.set("created", warehouse.createdAt.milliseconds)
            emit(json)
        }
        for item in items.values.sorted(by: { $0.sku < $1.sku }) {
            var json = Event.itemAdded(item).body
            json.pairs.insert(("t", .string("item")), at: 0)
            emit(json)
        }
        for lot in lots.values.sorted(by: { $0.code < $1.code }) {
            var json = FlatJSON()
            json.set("t", "lot"); json.set("code", lot.code); json.set("sku", lot.sku)
            json.set("expires", lot.expires?.iso8601); json.set("source", lot.source.rawValue)
            json.set("party", lot.party); json.set("received", lot.receivedAt.milliseconds)
            emit(json)
        }
        for (warehouse, skus) in stock.sorted(by: { $0.key < $1.key }) {
            for (_, skuStock) in skus.sorted(by: { $0.key < $1.key }) {
                for (code, holding) in skuStock.lots.sorted(by: { $0.key < $1.key }) {
                    var json = FlatJSON()
                    json.set("t", "holding"); json.set("warehouse", warehouse); json.set("lot", code)
                    json.set("on_hand", holding.onHand); json.set("reserved", holding.reserved)
                    emit(json)
                }
            }
        }
        for (warehouse, skus) in minimums.sorted(by: { $0.key < $1.key }) {
            for (sku, quantity) in skus.sorted(by: { $0.key < $1.key }) {
                var json = FlatJSON()
                json.set("t", "minimum"); json.set("warehouse", warehouse); json.set("sku", sku); json.set("qty", quantity)
                emit(json)
            }
        }
        for move in moves {
            var json = FlatJSON()
            json.set("t", "move"); json.set("seq", move.seq); json.set("time", move.time.milliseconds)
            json.set("actor", move.actor); json.set("kind", move.kind.rawValue); json.set("warehouse", move.warehouse)
            json.set("lot", move.lot); json.set("sku", move.sku); json.set("delta", move.delta)
            json.set("counterpart", move.counterpart); json.set("reason", move.reason); json.set("note", move.note)
            emit(json)
        }
        // Moves out of memory (State+MoveWindow.swift): what they added up to, per lot and warehouse.
        for (lot, earlier) in earlierMoves.sorted(by: { $0.key < $1.key }) {
            var json = FlatJSON()
            json.set("t", "earlier"); json.set("lot", lot); json.set("count", earlier.count)
            json.set("net", String(earlier.net)); json.set("received", String(earlier.received))
            json.set("issued", String(earlier.issued)); json.set("adjusted", String(earlier.adjusted))
            emit(json)
            for warehouse in earlier.warehouses {
                var json = FlatJSON()
                json.set("t", "earlier_at"); json.set("lot", lot); json.set("warehouse", warehouse)
                emit(json)
            }
        }
        for (warehouse, count) in earlierMovesByWarehouse.sorted(by: { $0.key < $1.key }) {
            var json = FlatJSON()
            json.set("t", "earlier_in"); json.set("warehouse", warehouse); json.set("count", count)
            emit(json)
        }
        rosterSnapshotLines(emit)
        incidentSnapshotLines(emit)
        travelSnapshotLines(emit)
        for user in users.values.sorted(by: { $0.name < $1.name }) {
            var json = Event.userSet(user).body
            json.pairs.insert(("t", .string("user")), at: 0)
            if user.removed { json.set("removed", "yes") }
            emit(json)
            for (name, token) in user.tokens.sorted(by: { $0.key < $1.key }) {
                var json = FlatJSON()
                json.set("t", "token"); json.set("user", user.name); json.set("name", name); json.set("sha256", token.sha256)
                json.set("created", token.created.milliseconds)
                if let revoked = token.revoked { json.set("revoked", revoked.milliseconds) }
                emit(json)
            }
        }
        donationSnapshotLines(emit)
        alertSnapshotLines(emit)
        // In the window's own order: remembering them in this order rebuilds the same window.
        for request in requests.all {
            var json = FlatJSON()
            json.set("t", "request"); json.set("scope", request.scope); json.set("token", request.token)
            json.set("reply", request.reply); json.set("seq", request.seq)
            json.set("hash", request.digest?.hex); json.set("command", request.command)
            emit(json)
        }
    }

    /// The snapshot as one string of JSON lines.
    public func snapshotText() -> String {
        var out: [UInt8] = []
        snapshotLines { record in
            record.encode(into: &out)
            out.append(0x0A)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Adds a holding record to the totals, refusing one that takes them past the maximum (or a
    /// lot recorded twice) rather than building stock a later change would trap on.
    private static func add(_ holding: Holding, lot code: String, warehouse: String, sku: String, to skuStock: inout SkuStock) throws {
        guard skuStock.lots[code] == nil else { throw FlatJSON.DecodingError.invalid("holding of \(warehouse)/\(code) given twice") }
        guard let onHand = Quantity.adding(holding.onHand, to: skuStock.onHand),
              let reserved = Quantity.adding(holding.reserved, to: skuStock.reserved) else {
            throw FlatJSON.DecodingError.invalid("holdings of \(sku) in \(warehouse) add up to more than \(Quantity.maximum)")
        }
        skuStock.lots[code] = holding
        skuStock.onHand = onHand
        skuStock.reserved = reserved
    }

    /// `requests` is the empty window to remember the snapshot's `req=` tokens in (its bounds).
    public init(snapshotText text: String, requests window: RequestWindow = RequestWindow()) throws {
        try self.init(snapshot: .string(text), requests: window, batchLines: SnapshotDecoder.batchLines)
    }

    /// The snapshot as the store holds it, its UTF-8 bytes: decoded as they are, without first
    /// making them one String (a copy of the whole text and a pass to validate it, a sixth of
    /// reading a national roster's snapshot; each string value is validated where it is decoded).
    public init(snapshotBytes bytes: [UInt8], requests window: RequestWindow = RequestWindow()) throws {
        try self.init(snapshot: .bytes(bytes), requests: window, batchLines: SnapshotDecoder.batchLines)
    }

    /// `batchLines`: lines per batch of the snapshot decoder (other than its default for tests).
    init(snapshotText text: String, requests window: RequestWindow = RequestWindow(), batchLines: Int) throws {
        try self.init(snapshot: .string(text), requests: window, batchLines: batchLines)
    }

    private init(snapshot utf8: SnapshotText, requests window: RequestWindow, batchLines: Int) throws {
        precondition(window.count == 0, "a snapshot loads into an empty request window")
        self.init(requests: window)
        var sawHeader = false
        let lines = SnapshotDecoder.lines(of: utf8)
        // Prepared two batches ahead on other threads, applied here in order (SnapshotDecoder).
        textPool = try SnapshotDecoder.forEachItem(of: utf8, lines: lines, batchLines: batchLines) { item in
            switch item {
            case .record(let record): try load(record, sawHeader: &sawHeader)
            case .volunteer(let volunteer): volunteers[volunteer.id] = volunteer
            case .certification(let id, let certification):
                // index(forKey:), not `volunteers[id] != nil`, which copies the volunteer out to compare it.
                guard volunteers.index(forKey: id) != nil else { throw FlatJSON.DecodingError.invalid("certification of unknown volunteer \(id)") }
                volunteers[id]!.certifications[certification.skill] = certification
            }
        }
        guard sawHeader else { throw FlatJSON.DecodingError.missing("header") }
        rosterIndex = RosterIndex.build(volunteers)
        onDuty = Set(volunteers.values.lazy.filter { $0.onDutySince != nil }.map(\.id))
        rebuildIncidentIndexes()
    }

    /// Applies one record of a snapshot.
    private mutating func load(_ record: FlatJSON, sawHeader: inout Bool) throws {
            let type = try record.string("t")
            switch type {
            case "header":
                guard try record.string("format") == State.snapshotFormat else {
                    throw FlatJSON.DecodingError.invalid("snapshot format \(try record.string("format"))")
                }
                lastSeq = try record.int("seq")
                autoLotCounter = try record.int("auto_lot")
                movesBefore = Int(try record.optionalInt("moves_before") ?? 0)
                guard (0...State.maximumMoveCount).contains(movesBefore) else { throw FlatJSON.DecodingError.invalid("moves_before \(movesBefore)") }
                sawHeader = true
            case "region":
                let id = try record.string("id")
                regions[id] = Region(id: id, name: try record.string("name"),
                                     level: RegionLevel(rawValue: try record.string("level")) ?? .county, parent: State.parentPath(of: id))
            case "warehouse":
                guard case .warehouseAdded(let id, let name, let region, let location) = try Event(kind: "warehouse.added", body: record) else { return }
                warehouses[id] = Warehouse(id: id, name: name, region: region, location: location,
                                           createdAt: Timestamp(milliseconds: try record.int("created")))
            case "item":
                guard case .itemAdded(let item) = try Event(kind: "item.added", body: record) else { return }
                items[item.sku] = item
            case "lot":
                let code = try record.string("code")
                // A lot given twice would leave its holdings filed under the first one's item.
                guard lots[code] == nil else { throw FlatJSON.DecodingError.invalid("lot \(code) given twice") }
                let expires = try record.optionalString("expires").flatMap(Day.init(iso8601:))
                guard let source = LotSource(rawValue: try record.string("source")) else { throw FlatJSON.DecodingError.invalid("lot source") }
                lots[code] = Lot(code: code, sku: try record.string("sku"), expires: expires, source: source,
                                 party: try record.optionalString("party"), receivedAt: Timestamp(milliseconds: try record.int("received")))
            case "holding":
                let warehouse = try record.string("warehouse"), code = try record.string("lot")
                guard let sku = lots[code]?.sku else { throw FlatJSON.DecodingError.invalid("holding of unknown lot \(code)") }
                let onHand = try record.quantity("on_hand", in: Quantity.range)
                let holding = Holding(onHand: onHand, reserved: try record.quantity("reserved", in: 0...onHand))
                // In place: a copied-out SkuStock would duplicate its lot table for every record.
                try State.add(holding, lot: code, warehouse: warehouse, sku: sku, to: &stock[warehouse, default: [:]][sku, default: SkuStock()])
            case "minimum":
                minimums[try record.string("warehouse"), default: [:]][try record.string("sku")] = try record.quantity("qty", in: Quantity.range)
            case "move":
                guard let kind = StockMove.Kind(rawValue: try record.string("kind")) else { throw FlatJSON.DecodingError.invalid("move kind") }
                appendMove(StockMove(seq: try record.int("seq"), time: Timestamp(milliseconds: try record.int("time")),
                                     actor: try record.string("actor"), kind: kind, warehouse: try record.string("warehouse"),
                                     lot: try record.string("lot"), sku: try record.string("sku"), delta: try record.quantity("delta", in: Quantity.change),
                                     counterpart: try record.optionalString("counterpart"), reason: try record.optionalString("reason"),
                                     note: try record.optionalString("note")))
            case "earlier":
                let lot = try record.string("lot")
                guard earlierMoves[lot] == nil else { throw FlatJSON.DecodingError.invalid("earlier moves of lot \(lot) given twice") }
                func sum(_ key: String) throws -> Int128 {
                    // Bounded far inside Int128, so the sums of later moves added to it cannot trap.
                    guard let value = Int128(try record.string(key)), value.magnitude < (1 << 100) else {
                        throw FlatJSON.DecodingError.invalid("earlier moves \(key)")
                    }
                    return value
                }
                var earlier = EarlierMoves()
                earlier.count = Int(try record.int("count"))
                guard (1...State.maximumMoveCount).contains(earlier.count) else { throw FlatJSON.DecodingError.invalid("earlier moves count \(earlier.count)") }
                earlier.net = try sum("net"); earlier.received = try sum("received")
                earlier.issued = try sum("issued"); earlier.adjusted = try sum("adjusted")
                earlierMoves[lot] = earlier
            case "earlier_at":
                let lot = try record.string("lot"), warehouse = try record.string("warehouse")
                guard var earlier = earlierMoves[lot], !earlier.warehouses.contains(warehouse),
                      earlier.warehouses.last.map({ $0 < warehouse }) ?? true else {
                    throw FlatJSON.DecodingError.invalid("earlier moves of lot \(lot) at \(warehouse)")
                }
                earlier.warehouses.append(warehouse)
                earlierMoves[lot] = earlier
            case "earlier_in":
                let warehouse = try record.string("warehouse")
                let count = Int(try record.int("count"))
                guard (1...State.maximumMoveCount).contains(count), earlierMovesByWarehouse[warehouse] == nil else {
                    throw FlatJSON.DecodingError.invalid("earlier moves in \(warehouse)")
                }
                earlierMovesByWarehouse[warehouse] = count
            case "skill", "specialty", "duty", "team", "drill":
                try loadRosterRecord(type, record)
            case "incident", "timeline", "need", "plan", "allocation", "assignment":
                try loadIncidentRecord(type, record)
            case "travel":
                try loadTravelRecord(record)
            case "user":
                guard case .userSet(var user) = try Event(kind: "user.set", body: record) else { return }
                user.removed = try record.optionalString("removed") == "yes"
                users[user.name] = user
            case "token":
                guard case .tokenCreated(let name, let token, let sha256) = try Event(kind: "token.created", body: record) else { return }
                guard users[name] != nil else { throw FlatJSON.DecodingError.invalid("token of unknown user \(name)") }
                users[name]?.tokens[token] = UserToken(sha256: sha256, created: Timestamp(milliseconds: try record.int("created")),
                                                       revoked: try record.optionalInt("revoked").map(Timestamp.init(milliseconds:)))
            case "donation", "donation_lot", "donation_money", "donation_spend":
                try loadDonationRecord(type, record)
            case "alert", "alerts_raised":
                try loadAlertRecord(type, record)
            case "request":
                // A snapshot written before tokens were scoped has neither scope nor seq: such a
                // token stays unscoped (it answers any client) and older than every other.
                requests.remember(RememberedRequest(scope: try record.optionalString("scope"), token: try record.string("token"),
                                                    reply: try record.string("reply"), digest: try Event.requestDigest(record),
                                                    command: try record.optionalString("command"),
                                                    seq: try record.optionalInt("seq") ?? 0))
            default:
                throw FlatJSON.DecodingError.unknownKind(type)
            }
    }
}
