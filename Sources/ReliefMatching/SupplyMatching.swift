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
        var places: [Coordinate] = []
        for slot in needs where slot.need.request.isSupply && !places.contains(slot.incident.location) {
            places.append(slot.incident.location)
            if places.count > 8 { break }
        }
        let nearOnly = places.count <= 8
        let reach = policy.supplyReachKilometres
        // The warehouses in play, numbered in id order, and every lot of the asked-for items with
        // stock available, by item, in warehouse and lot-code order. One pass over the warehouses —
        // only those within reach of an incident when there are few incidents (a `match`) —
        // looking up only the items asked for, or walking the warehouse's items when it holds fewer.
        var held: [(warehouse: Warehouse, stock: [String: SkuStock])] = []
        for (id, stock) in state.stock {
            guard let warehouse = state.warehouses[id] else { continue }
            if nearOnly, !places.contains(where: { $0.distanceKilometres(to: warehouse.location) <= reach }) { continue }
            held.append((warehouse, stock))
        }
        held.sort { $0.warehouse.id < $1.warehouse.id }
        var lotsBySku: [String: [LotEntry]] = [:]
        for (w, entry) in held.enumerated() {
            func take(_ sku: String, _ skuStock: SkuStock) {
                guard skuStock.available > 0 else { return }
                for (code, holding) in skuStock.lots where holding.available > 0 {
                    guard let lot = state.lots[code] else { continue }
                    lotsBySku[sku, default: []].append(LotEntry(warehouse: w, code: code, expires: lot.expires, available: holding.available,
                                                                expiryCost: policy.expiryCost(expires: lot.expires, today: today)))
                }
            }
            if entry.stock.count < needsBySku.count {
                for (sku, skuStock) in entry.stock where needsBySku[sku] != nil { take(sku, skuStock) }
            } else {
                for sku in needsBySku.keys { if let skuStock = entry.stock[sku] { take(sku, skuStock) } }
            }
        }
        for sku in lotsBySku.keys {
            lotsBySku[sku]!.sort { $0.warehouse != $1.warehouse ? $0.warehouse < $1.warehouse : $0.code < $1.code }
        }

        // Per incident (its first supply need's slot): the distance to every warehouse in play
        // (infinite beyond reach), and the travel and region cost from it, found when first used.
        let warehouseLocations = held.map(\.warehouse.location), warehouseIDs = held.map(\.warehouse.id)
        let warehouseRegions = held.map(\.warehouse.region)
        var distances: [[Double]] = [], baseCosts: [[Int64]] = []
        var placeOfIncident: [String: Int] = [:]
        func place(of slot: NeedSlot) -> Int {
            if let known = placeOfIncident[slot.incident.id] { return known }
            let location = slot.incident.location
            var row = [Double](repeating: .infinity, count: held.count)
            for (w, at) in warehouseLocations.enumerated() {
                // A great circle is at least as long as its difference in latitude (111.19 km a degree).
                guard abs(at.latitude - location.latitude) * 111.0 <= reach + 1 else { continue }
                let distance = at.distanceKilometres(to: location)
                if distance <= reach { row[w] = distance }
            }
            distances.append(row)
            baseCosts.append([Int64](repeating: -1, count: held.count))
            placeOfIncident[slot.incident.id] = distances.count - 1
            return distances.count - 1
        }

        for sku in needsBySku.keys.sorted() {
            let lots = lotsBySku[sku] ?? []
            var nodes = [Int](repeating: -1, count: lots.count)   // a lot's node, made at its first arc
            for needIndex in needsBySku[sku]! {
                let slot = needs[needIndex]
                let usableFrom = max(slot.need.neededBy.day, today)
                let p = place(of: slot)
                // By index, without copying the entries (their codes are only needed for new nodes).
                for k in lots.indices {
                    if let expires = lots[k].expires, expires < usableFrom { continue }
                    let w = lots[k].warehouse
                    let distance = distances[p][w]
                    guard distance <= reach else { continue }
                    var base = baseCosts[p][w]
                    if base < 0 {
                        base = policy.travelCost(kilometres: distance, from: warehouseIDs[w], region: warehouseRegions[w],
                                                 to: slot.incident.region, in: state)
                            + policy.regionPenalty(from: warehouseRegions[w], to: slot.incident.region)
                        baseCosts[p][w] = base
                    }
                    let available = lots[k].available
                    if nodes[k] < 0 { nodes[k] = newSource(.lot(warehouse: warehouseIDs[w], lot: lots[k].code), supply: available) }
                    candidates.append(Candidate(source: nodes[k], need: needIndex, capacity: min(available, slot.missing),
                                                unitCost: base + lots[k].expiryCost, distance: distance))
                }
            }
        }
    }
}

/// A lot with stock available, for candidate generation: its warehouse (index into the warehouses
/// in play), code, expiry, what it has available and its first-expiring-first cost.
struct LotEntry {
    var warehouse: Int
    var code: String
    var expires: Day?
    var available: Int64
    var expiryCost: Int64
}
