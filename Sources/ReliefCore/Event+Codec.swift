/// The journal form of events: a `kind` string and a flat JSON body.
extension Event {
    public var body: FlatJSON {
        var json = FlatJSON()
        switch self {
        case .regionAdded(let id, let name, let level):
            json.set("id", id); json.set("name", name); json.set("level", level.rawValue)
        case .warehouseAdded(let id, let name, let region, let location):
            json.set("id", id); json.set("name", name); json.set("region", region)
            json.set("lat", location.latitude); json.set("lon", location.longitude)
        case .itemAdded(let item):
            json.set("sku", item.sku); json.set("name", item.name); json.set("category", item.category)
            json.set("unit", item.unit); json.set("pack", item.packSize)
            if let days = item.shelfLifeDays { json.set("shelf_life_days", days) }
        case .lotReceived(let warehouse, let lot, let sku, let quantity, let expires, let source, let party, let note):
            json.set("warehouse", warehouse); json.set("lot", lot); json.set("sku", sku); json.set("qty", quantity)
            json.set("expires", expires?.iso8601); json.set("source", source.rawValue)
            json.set("party", party); json.set("note", note)
        case .lotIssued(let warehouse, let lot, let quantity, let recipient, let note):
            json.set("warehouse", warehouse); json.set("lot", lot); json.set("qty", quantity)
            json.set("recipient", recipient); json.set("note", note)
        case .lotTransferred(let from, let to, let lot, let quantity, let note):
            json.set("from", from); json.set("to", to); json.set("lot", lot); json.set("qty", quantity)
            json.set("note", note)
        case .lotAdjusted(let warehouse, let lot, let delta, let reason, let note):
            json.set("warehouse", warehouse); json.set("lot", lot); json.set("delta", delta)
            json.set("reason", reason.rawValue); json.set("note", note)
        case .minimumSet(let warehouse, let sku, let quantity):
            json.set("warehouse", warehouse); json.set("sku", sku); json.set("qty", quantity)
        case .requestCompleted(let token, let reply, let digest, let command):
            json.set("token", token); json.set("reply", reply)
            json.set("hash", digest?.hex); json.set("command", command)
        default:
            return rosterBody ?? incidentBody ?? travelBody ?? sealBody ?? drillBody ?? usersBody ?? donationsBody ?? alertsBody!
        }
        return json
    }

    public init(kind: String, body: FlatJSON) throws {
        func day(_ key: String) throws -> Day? {
            guard let text = try body.optionalString(key) else { return nil }
            guard let day = Day(iso8601: text) else { throw FlatJSON.DecodingError.invalid("\(key)=\(text)") }
            return day
        }
        func enumValue<E: RawRepresentable>(_ key: String, _: E.Type) throws -> E where E.RawValue == String {
            let text = try body.string(key)
            guard let value = E(rawValue: text) else { throw FlatJSON.DecodingError.invalid("\(key)=\(text)") }
            return value
        }
        guard let family = Kind(rawValue: kind) else { throw FlatJSON.DecodingError.unknownKind(kind) }
        let stock: Kind.Stock
        switch family {
        case .stock(let kind): stock = kind
        case .roster(let kind): self = try Event.decodeRoster(kind: kind, body: body); return
        case .incident(let kind): self = try Event.decodeIncident(kind: kind, body: body); return
        case .travel(let kind): self = try Event.decodeTravel(kind: kind, body: body); return
        case .seal(let kind): self = try Event.decodeSeal(kind: kind, body: body); return
        case .drill(let kind): self = try Event.decodeDrill(kind: kind, body: body); return
        case .users(let kind): self = try Event.decodeUsers(kind: kind, body: body); return
        case .donations(let kind): self = try Event.decodeDonations(kind: kind, body: body); return
        case .alerts(let kind): self = try Event.decodeAlerts(kind: kind, body: body); return
        }
        switch stock {
        case .regionAdded:
            self = .regionAdded(id: try body.string("id"), name: try body.string("name"), level: try enumValue("level", RegionLevel.self))
        case .warehouseAdded:
            self = .warehouseAdded(id: try body.string("id"), name: try body.string("name"), region: try body.string("region"),
                                   location: Coordinate(latitude: try body.double("lat"), longitude: try body.double("lon")))
        case .itemAdded:
            self = .itemAdded(Item(sku: try body.string("sku"), name: try body.string("name"), category: try body.string("category"),
                                   unit: try body.string("unit"), packSize: try body.int("pack"),
                                   shelfLifeDays: try body.optionalInt("shelf_life_days").map { Int($0) }))
        case .lotReceived:
            self = .lotReceived(warehouse: try body.string("warehouse"), lot: try body.string("lot"), sku: try body.string("sku"),
                                quantity: try body.quantity("qty", in: Quantity.positive), expires: try day("expires"),
                                source: try enumValue("source", LotSource.self), party: try body.optionalString("party"),
                                note: try body.optionalString("note"))
        case .lotIssued:
            self = .lotIssued(warehouse: try body.string("warehouse"), lot: try body.string("lot"), quantity: try body.quantity("qty", in: Quantity.positive),
                              recipient: try body.optionalString("recipient"), note: try body.optionalString("note"))
        case .lotTransferred:
            self = .lotTransferred(from: try body.string("from"), to: try body.string("to"), lot: try body.string("lot"),
                                   quantity: try body.quantity("qty", in: Quantity.positive), note: try body.optionalString("note"))
        case .lotAdjusted:
            self = .lotAdjusted(warehouse: try body.string("warehouse"), lot: try body.string("lot"), delta: try body.quantity("delta", in: Quantity.change),
                                reason: try enumValue("reason", AdjustReason.self), note: try body.optionalString("note"))
        case .minimumSet:
            self = .minimumSet(warehouse: try body.string("warehouse"), sku: try body.string("sku"), quantity: try body.quantity("qty", in: Quantity.range))
        case .requestCompleted:
            self = .requestCompleted(token: try body.string("token"), reply: try body.string("reply"),
                                     digest: try Event.requestDigest(body), command: try body.optionalString("command"))
        }
    }

    /// The `hash` of a `request.completed` body: absent in journals written before tokens were
    /// bound to their request (such a token answers a retry with any request).
    static func requestDigest(_ body: FlatJSON) throws -> RequestDigest? {
        guard let hex = try body.optionalString("hash") else { return nil }
        guard let digest = RequestDigest(hex: hex) else { throw FlatJSON.DecodingError.invalid("hash=\(hex)") }
        return digest
    }
}
