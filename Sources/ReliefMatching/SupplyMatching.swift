import ReliefCore

/// Supply candidates: lot → need arcs.
///
/// A lot in a warehouse is a candidate for a supply need when it holds the need's item, has stock
/// available (on hand − reserved), is still good on the need's day (expires on or after both that
/// day and today; lots without expiry always are) and its warehouse is within
/// `policy.supplyReachKilometres` of the incident. Cost per unit:
///
///     great-circle km × cost_per_km                      (travel; or the travel-time matrix's
///                                                         road minutes × cost_per_minute)
///   + region-crossing penalty (county / city / province)  (MatchingPolicy.regionPenalty)
///   + min(days of shelf life left, horizon) × expiry_cost_per_day   (first-expiring first)
///
/// The arc's capacity is min(available, missing): the lot's node already limits what it sends.
extension NetworkBuilder {
    mutating func addSupplyCandidates() {
        var needsBySku: [String: [Int]] = [:]
        for (index, slot) in needs.enumerated() {
            if case .supply(let sku, _) = slot.need.request { needsBySku[sku, default: []].append(index) }
        }
        guard !needsBySku.isEmpty else { return }
        let today = now.day
        // Every lot of the asked-for items with stock available, by item, in warehouse and lot-code
        // order. One pass over the warehouses — only those within reach of an incident when there
        // are few incidents (a `match`) — looking up only the items asked for, or walking the
        // warehouse's items when it holds fewer.
        var places: [Coordinate] = []
        for slot in needs where slot.need.request.isSupply && !places.contains(slot.incident.location) {
            places.append(slot.incident.location)
            if places.count > 8 { break }
        }
        let nearOnly = places.count <= 8
        var lotsBySku: [String: [(warehouse: Warehouse, lot: Lot, available: Int64)]] = [:]
        for (id, held) in state.stock {
            guard let warehouse = state.warehouses[id] else { continue }
            if nearOnly, !places.contains(where: { $0.distanceKilometres(to: warehouse.location) <= policy.supplyReachKilometres }) { continue }
            func take(_ sku: String, _ skuStock: SkuStock) {
                guard skuStock.available > 0 else { return }
                for (code, holding) in skuStock.lots where holding.available > 0 {
                    guard let lot = state.lots[code] else { continue }
                    lotsBySku[sku, default: []].append((warehouse, lot, holding.available))
                }
            }
            if held.count < needsBySku.count {
                for (sku, skuStock) in held where needsBySku[sku] != nil { take(sku, skuStock) }
            } else {
                for sku in needsBySku.keys { if let skuStock = held[sku] { take(sku, skuStock) } }
            }
        }
        for sku in lotsBySku.keys {
            lotsBySku[sku]!.sort { ($0.warehouse.id, $0.lot.code) < ($1.warehouse.id, $1.lot.code) }
        }
        for sku in needsBySku.keys.sorted() {
            let lots = lotsBySku[sku] ?? []
            var nodes = [Int](repeating: -1, count: lots.count)   // a lot's node, made at its first arc
            for needIndex in needsBySku[sku]! {
                let slot = needs[needIndex]
                let usableFrom = max(slot.need.neededBy.day, today)
                for (k, entry) in lots.enumerated() {
                    if let expires = entry.lot.expires, expires < usableFrom { continue }
                    let distance = entry.warehouse.location.distanceKilometres(to: slot.incident.location)
                    guard distance <= policy.supplyReachKilometres else { continue }
                    let cost = policy.travelCost(kilometres: distance, from: entry.warehouse.id, region: entry.warehouse.region,
                                                 to: slot.incident.region, in: state)
                        + policy.regionPenalty(from: entry.warehouse.region, to: slot.incident.region)
                        + policy.expiryCost(expires: entry.lot.expires, today: today)
                    if nodes[k] < 0 { nodes[k] = newSource(.lot(warehouse: entry.warehouse.id, lot: entry.lot.code), supply: entry.available) }
                    candidates.append(Candidate(source: nodes[k], need: needIndex, capacity: min(entry.available, slot.missing),
                                                unitCost: cost, distance: distance))
                }
            }
        }
    }
}
