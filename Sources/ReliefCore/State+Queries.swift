/// Filters of `stock query`; nil means "any".
public struct StockFilter: Sendable {
    public var warehouse: String?
    public var sku: String?
    public var category: String?
    public var region: String?
    public var near: Coordinate?
    public var radiusKilometres: Double?

    public init(warehouse: String? = nil, sku: String? = nil, category: String? = nil, region: String? = nil,
                near: Coordinate? = nil, radiusKilometres: Double? = nil) {
        self.warehouse = warehouse
        self.sku = sku
        self.category = category
        self.region = region
        self.near = near
        self.radiusKilometres = radiusKilometres
    }
}

/// One warehouse's stock of one item.
public struct StockRow: Sendable, Equatable {
    public var warehouse: String
    public var sku: String
    public var onHand: Int64
    public var reserved: Int64
    public var available: Int64
    public var unit: String
    public var minimum: Int64?
    public var distanceKilometres: Double?
}

/// One lot held in one warehouse, with its expiry.
public struct LotRow: Sendable, Equatable {
    public var warehouse: String
    public var lot: String
    public var sku: String
    public var onHand: Int64
    public var reserved: Int64
    public var unit: String
    public var expires: Day?
    public var daysLeft: Int?
    public var source: LotSource
    public var party: String?
    public var distanceKilometres: Double?
}

extension State {
    /// Warehouses passing the place filters (warehouse, region, near/radius), with their distance.
    public func warehousesMatching(_ filter: StockFilter) -> [(Warehouse, Double?)] {
        var candidates: [Warehouse]
        if let id = filter.warehouse {
            candidates = warehouses[id].map { [$0] } ?? []
        } else {
            candidates = Array(warehouses.values)
        }
        if let region = filter.region {
            candidates = candidates.filter { State.region($0.region, isWithin: region) }
        }
        guard let near = filter.near else { return candidates.map { ($0, nil) } }
        let radius = filter.radiusKilometres ?? .infinity
        return candidates.compactMap { warehouse in
            let distance = near.distanceKilometres(to: warehouse.location)
            return distance <= radius ? (warehouse, distance) : nil
        }
    }

    private func skuMatches(_ sku: String, _ filter: StockFilter) -> Bool {
        if let wanted = filter.sku, wanted != sku { return false }
        if let category = filter.category, items[sku]?.category != category { return false }
        return true
    }

    private static func sortRows<T>(_ rows: inout [T], distance: (T) -> Double?, key: (T) -> (String, String)) {
        rows.sort { a, b in
            if let da = distance(a), let db = distance(b), da != db { return da < db }
            return key(a) < key(b)
        }
    }

    /// Stock per warehouse and item, nearest first when a point is given, otherwise by warehouse and item.
    public func stockRows(_ filter: StockFilter) -> [StockRow] {
        var rows: [StockRow] = []
        for (warehouse, distance) in warehousesMatching(filter) {
            guard let skus = stock[warehouse.id] else { continue }
            if let sku = filter.sku {
                if let skuStock = skus[sku], skuMatches(sku, filter) {
                    rows.append(row(warehouse.id, sku, skuStock, distance))
                }
                continue
            }
            for (sku, skuStock) in skus where skuMatches(sku, filter) {
                rows.append(row(warehouse.id, sku, skuStock, distance))
            }
        }
        State.sortRows(&rows, distance: { $0.distanceKilometres }, key: { ($0.warehouse, $0.sku) })
        return rows
    }

    private func row(_ warehouse: String, _ sku: String, _ skuStock: SkuStock, _ distance: Double?) -> StockRow {
        StockRow(warehouse: warehouse, sku: sku, onHand: skuStock.onHand, reserved: skuStock.reserved,
                 available: skuStock.available, unit: items[sku]?.unit ?? "", minimum: minimums[warehouse]?[sku],
                 distanceKilometres: distance)
    }

    /// Items whose available stock is below the warehouse's minimum level, including items with a
    /// minimum and no stock at all.
    public func lowStockRows(_ filter: StockFilter) -> [StockRow] {
        var rows: [StockRow] = []
        for (warehouse, distance) in warehousesMatching(filter) {
            guard let levels = minimums[warehouse.id] else { continue }
            for (sku, minimum) in levels where skuMatches(sku, filter) {
                let skuStock = stock[warehouse.id]?[sku] ?? SkuStock()
                if skuStock.available < minimum {
                    rows.append(row(warehouse.id, sku, skuStock, distance))
                }
            }
        }
        State.sortRows(&rows, distance: { $0.distanceKilometres }, key: { ($0.warehouse, $0.sku) })
        return rows
    }

    /// Lots that expire on or before `today + withinDays` (already expired lots included, with
    /// negative days left), soonest first.
    public func expiringLots(_ filter: StockFilter, today: Day, withinDays: Int) -> [LotRow] {
        let horizon = today.adding(days: withinDays)
        var rows: [LotRow] = []
        for (warehouse, distance) in warehousesMatching(filter) {
            guard let skus = stock[warehouse.id] else { continue }
            for (sku, skuStock) in skus where skuMatches(sku, filter) {
                for (code, holding) in skuStock.lots {
                    guard let lot = lots[code], let expires = lot.expires, expires <= horizon else { continue }
                    rows.append(LotRow(warehouse: warehouse.id, lot: code, sku: sku, onHand: holding.onHand, reserved: holding.reserved,
                                       unit: items[sku]?.unit ?? "", expires: expires,
                                       daysLeft: Int(expires.daysSinceEpoch - today.daysSinceEpoch), source: lot.source,
                                       party: lot.party, distanceKilometres: distance))
                }
            }
        }
        rows.sort { a, b in
            if a.expires != b.expires { return a.expires! < b.expires! }
            return (a.warehouse, a.lot) < (b.warehouse, b.lot)
        }
        return rows
    }

    /// Lots held, per warehouse, in picking order.
    public func lotRows(_ filter: StockFilter, today: Day) -> [LotRow] {
        var rows: [LotRow] = []
        for (warehouse, distance) in warehousesMatching(filter).sorted(by: { $0.0.id < $1.0.id }) {
            guard let skus = stock[warehouse.id] else { continue }
            for sku in skus.keys.sorted() where skuMatches(sku, filter) {
                for (code, holding) in lotsInPickingOrder(warehouse: warehouse.id, sku: sku) {
                    let lot = lots[code]!
                    rows.append(LotRow(warehouse: warehouse.id, lot: code, sku: sku, onHand: holding.onHand, reserved: holding.reserved,
                                       unit: items[sku]?.unit ?? "", expires: lot.expires,
                                       daysLeft: lot.expires.map { Int($0.daysSinceEpoch - today.daysSinceEpoch) },
                                       source: lot.source, party: lot.party, distanceKilometres: distance))
                }
            }
        }
        return rows
    }
}
