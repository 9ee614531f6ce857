import ReliefCore
import ReliefProtocol

/// Regions, warehouses and the item catalog.
extension Engine {
    static let catalogCommands: [Command] = [
        Command(words: ["region", "add"], usage: "region add PATH name=TEXT level=province|city|county",
                summary: "add a region under its parent (shanxi/taiyuan needs shanxi)", mutating: true, access: .administer) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["name", "level"])
            let id = try Arguments.regionPath(try args.positional(0, "region path"))
            let name = try Arguments.text(try args.requiredOption("name", "TEXT"), "name")
            let depth = id.split(separator: "/").count
            let level = try args.option("level").map { try Arguments.choice($0, "level", RegionLevel.self) }
                ?? [RegionLevel.province, .city, .county][depth - 1]
            guard engine.state.regions[id] == nil else { throw Refusal(.conflict, "region \(id) already exists") }
            if let parent = State.parentPath(of: id), engine.state.regions[parent] == nil {
                throw Refusal(.notFound, "parent region \(parent) not found; add it first")
            }
            engine.emit(.regionAdded(id: id, name: name, level: level))
            return .ok(["region": id])
        },
        Command(words: ["region", "list"], usage: "region list [under=PATH]", summary: "list regions", mutating: false, access: .read(.catalog), listing: .standard) { engine, args, _ in
            try args.expect(positionals: 0...0, options: ["under"])
            let under = args.option("under")
            return .rows(engine.state.regions.values
                .filter { under == nil || State.region($0.id, isWithin: under!) }
                .sorted { $0.id < $1.id }
                .map { engine.regionFields($0) })
        },
        Command(words: ["region", "show"], usage: "region show PATH", summary: "show a region and what it holds", mutating: false, access: .read(.catalog)) { engine, args, _ in
            try args.expect(positionals: 1...1, options: [])
            let id = try args.positional(0, "region path")
            guard let region = engine.state.regions[id] else { throw Refusal(.notFound, "region \(id) not found") }
            var fields = engine.regionFields(region)
            let inside = engine.state.warehouses.values.filter { State.region($0.region, isWithin: id) }
            fields.append("warehouses", String(inside.count))
            fields.append("subregions", String(engine.state.regions.values.filter { $0.parent == id }.count))
            return .ok(fields)
        },

        Command(words: ["warehouse", "add"], usage: "warehouse add ID name=TEXT region=PATH at=LAT,LON",
                summary: "add a warehouse", mutating: true, access: .administer) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["name", "region", "at"])
            let id = try Arguments.identifier(try args.positional(0, "warehouse id"), "warehouse id")
            let name = try Arguments.text(try args.requiredOption("name", "TEXT"), "name")
            let region = try args.requiredOption("region", "PATH")
            let location = try Arguments.coordinate(try args.requiredOption("at", "LAT,LON"), "at")
            guard engine.state.warehouses[id] == nil else { throw Refusal(.conflict, "warehouse \(id) already exists") }
            guard engine.state.regions[region] != nil else { throw Refusal(.notFound, "region \(region) not found; add it with region add") }
            engine.emit(.warehouseAdded(id: id, name: name, region: region, location: location))
            return .ok(["warehouse": id])
        },
        Command(words: ["warehouse", "list"], usage: "warehouse list [region=PATH] [near=LAT,LON radius=150km]",
                summary: "list warehouses", mutating: false, access: .read(.catalog), listing: .standard) { engine, args, _ in
            try args.expect(positionals: 0...0, options: ["region", "near", "radius"])
            let filter = try engine.placeFilter(args)
            return .rows(engine.state.warehousesMatchingSorted(filter).map { warehouse, distance in
                var fields = engine.warehouseFields(warehouse)
                if let distance { fields.append("distance_km", Engine.kilometres(distance)) }
                return fields
            })
        },
        Command(words: ["warehouse", "show"], usage: "warehouse show ID", summary: "show a warehouse and its stock totals",
                mutating: false, access: .read(.catalog)) { engine, args, _ in
            try args.expect(positionals: 1...1, options: [])
            let id = try args.positional(0, "warehouse id")
            guard let warehouse = engine.state.warehouses[id] else { throw Refusal(.notFound, "warehouse \(id) not found") }
            var fields = engine.warehouseFields(warehouse)
            let skus = engine.state.stock[id] ?? [:]
            fields.append("items", String(skus.count))
            fields.append("lots", String(skus.values.reduce(0) { $0 + $1.lots.count }))
            fields.append("low", String(engine.state.lowStockRows(StockFilter(warehouse: id)).count))
            return .ok(fields)
        },

        Command(words: ["item", "add"],
                usage: "item add SKU name=TEXT category=TEXT unit=TEXT [pack=N] [shelf_life=DAYSd]",
                summary: "add a catalog item", mutating: true, access: .administer) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["name", "category", "unit", "pack", "shelf_life"])
            let sku = try Arguments.identifier(try args.positional(0, "sku"), "sku")
            let name = try Arguments.text(try args.requiredOption("name", "TEXT"), "name")
            let category = try Arguments.identifier(try args.requiredOption("category", "TEXT"), "category")
            let unit = try Arguments.text(try args.requiredOption("unit", "TEXT"), "unit", max: 32)
            let pack = try args.option("pack").map { try Arguments.quantity($0, "pack") } ?? 1
            var shelfLife: Int?
            if let text = args.option("shelf_life") {
                guard let days = DurationText.days(text), days > 0 else {
                    throw Refusal(.syntax, "bad shelf_life \"\(text)\"; expected days such as 365d or weeks such as 26w")
                }
                shelfLife = days
            }
            guard engine.state.items[sku] == nil else { throw Refusal(.conflict, "item \(sku) already exists") }
            engine.emit(.itemAdded(Item(sku: sku, name: name, category: category, unit: unit, packSize: pack, shelfLifeDays: shelfLife)))
            return .ok(["item": sku])
        },
        Command(words: ["item", "list"], usage: "item list [category=TEXT]", summary: "list the item catalog", mutating: false, access: .read(.catalog), listing: .standard) { engine, args, _ in
            try args.expect(positionals: 0...0, options: ["category"])
            let category = args.option("category")
            return .rows(engine.state.items.values
                .filter { category == nil || $0.category == category }
                .sorted { $0.sku < $1.sku }
                .map(Engine.itemFields))
        },
        Command(words: ["item", "show"], usage: "item show SKU", summary: "show an item and where it is held", mutating: false, access: .read(.catalog)) { engine, args, _ in
            try args.expect(positionals: 1...1, options: [])
            let sku = try args.positional(0, "sku")
            guard let item = engine.state.items[sku] else { throw Refusal(.notFound, "item \(sku) not found") }
            var fields = Engine.itemFields(item)
            let rows = engine.state.stockRows(StockFilter(sku: sku))
            // Each warehouse holds at most Quantity.maximum of the item; their total is summed in
            // 128 bits, so no number of warehouses can overflow it.
            fields.append("on_hand", String(rows.reduce(Int128(0)) { $0 + Int128($1.onHand) }))
            fields.append("available", String(rows.reduce(Int128(0)) { $0 + Int128($1.available) }))
            fields.append("warehouses", String(rows.count))
            return .ok(fields)
        },
    ]

    func regionFields(_ region: Region) -> Fields {
        ["region": region.id, "name": region.name, "level": region.level.rawValue, "parent": region.parent ?? ""]
    }

    func warehouseFields(_ warehouse: Warehouse) -> Fields {
        ["warehouse": warehouse.id, "name": warehouse.name, "region": warehouse.region, "at": warehouse.location.text]
    }

    static func itemFields(_ item: Item) -> Fields {
        ["item": item.sku, "name": item.name, "category": item.category, "unit": item.unit,
         "pack": String(item.packSize), "shelf_life": item.shelfLifeDays.map { "\($0)d" } ?? ""]
    }

    static func kilometres(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return String(tenths)
    }

    func placeFilter(_ args: Arguments) throws -> StockFilter {
        var filter = StockFilter()
        if let region = args.option("region") {
            guard state.regions[region] != nil else { throw Refusal(.notFound, "region \(region) not found") }
            filter.region = region
        }
        if let near = args.option("near") { filter.near = try Arguments.coordinate(near, "near") }
        if let radius = args.option("radius") {
            guard filter.near != nil else { throw Refusal(.syntax, "radius= needs near=LAT,LON") }
            guard let km = parseRadiusKilometres(radius) else {
                throw Refusal(.syntax, "bad radius \"\(radius)\"; expected a distance such as 150km or 800m")
            }
            filter.radiusKilometres = km
        }
        return filter
    }
}

extension State {
    func warehousesMatchingSorted(_ filter: StockFilter) -> [(Warehouse, Double?)] {
        warehousesMatching(filter).sorted { a, b in
            if let da = a.1, let db = b.1, da != db { return da < db }
            return a.0.id < b.0.id
        }
    }
}
