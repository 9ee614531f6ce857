import ReliefCore

/// Supply candidates: lot → need arcs.
///
/// A lot in a warehouse is a candidate for a supply need when it holds the need's item, has stock
/// available (on hand − reserved), is still good on the need's day (expires on or after both that
/// day and today; lots without expiry always are), and its warehouse is within the need's reach
/// (`MatchingPolicy.reach(for:of:)`: the incident's county, city, province or the country, by
/// the region hierarchy) and at most `policy.supplyReachKilometres` away. Cost per unit:
///
///     great-circle km × cost_per_km                      (travel; or the travel-time matrix's
///                                                         road minutes × cost_per_minute)
///   + region-crossing penalty (county / city / province)  (MatchingPolicy.regionPenalty)
///   + min(days of shelf life left, horizon) × expiry_cost_per_day   (first-expiring first)
///   + reserve_cost                                        (only from a protected reserve)
///
/// **Protected reserves.** Where a warehouse has a minimum level of the item, the stock available
/// up to that level is its reserve: the latest-expiring units (first-expiring stock is used
/// first, so the reserve stays the freshest). A lot is then split into up to two sources, its free
/// part and its reserve part; the reserve part is a candidate only for needs that may draw
/// reserves (`MatchingPolicy.mayDrawReserves`) and only when the plan was not told to keep them,
/// at `reserve_cost` more per unit, so free stock farther away goes first.
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
        let outer = policy.supplyReachKilometres
        // The places of the supply needs with the widest reach asked there; few places (a `match`)
        // let the warehouses out of everyone's reach be skipped before their lots are read.
        var places: [(location: Coordinate, region: String, reach: ReachTier)] = []
        for slot in needs where slot.need.request.isSupply {
            if let k = places.firstIndex(where: { $0.location == slot.incident.location && $0.region == slot.incident.region }) {
                places[k].reach = max(places[k].reach, slot.reach)
            } else {
                places.append((slot.incident.location, slot.incident.region, slot.reach))
                if places.count > 8 { break }
            }
        }
        let nearOnly = places.count <= 8
        // The warehouses in play, numbered in id order, and every lot of the asked-for items with
        // stock available, by item, in warehouse and lot-code order.
        var held: [(warehouse: Warehouse, stock: [String: SkuStock])] = []
        for (id, stock) in state.stock {
            guard let warehouse = state.warehouses[id] else { continue }
            if nearOnly, !places.contains(where: {
                ReachTier.between(warehouse.region, $0.region) <= $0.reach && $0.location.distanceKilometres(to: warehouse.location) <= outer
            }) { continue }
            held.append((warehouse, stock))
        }
        held.sort { $0.warehouse.id < $1.warehouse.id }
        var lotsBySku: [String: [LotEntry]] = [:]
        for (w, entry) in held.enumerated() {
            func take(_ sku: String, _ skuStock: SkuStock) {
                guard skuStock.available > 0 else { return }
                let minimum = state.minimums[entry.warehouse.id]?[sku] ?? 0
                func add(_ code: String, _ available: Int64, reserve: Bool) {
                    guard available > 0, let lot = state.lots[code] else { return }
                    lotsBySku[sku, default: []].append(LotEntry(warehouse: w, code: code, expires: lot.expires, available: available,
                                                                expiryCost: policy.expiryCost(expires: lot.expires, today: today),
                                                                reserve: reserve))
                }
                guard minimum > 0 else {
                    for (code, holding) in skuStock.lots where holding.available > 0 { add(code, holding.available, reserve: false) }
                    return
                }
                // First-expiring units are free, the last `minimum` available are the reserve.
                var free = max(0, skuStock.available - minimum)
                for (code, holding) in state.lotsInPickingOrder(warehouse: entry.warehouse.id, sku: sku) where holding.available > 0 {
                    let freePart = min(free, holding.available)
                    free -= freePart
                    add(code, freePart, reserve: false)
                    if !options.keepReserves { add(code, holding.available - freePart, reserve: true) }
                }
            }
            if entry.stock.count < needsBySku.count {
                for (sku, skuStock) in entry.stock where needsBySku[sku] != nil { take(sku, skuStock) }
            } else {
                for sku in needsBySku.keys { if let skuStock = entry.stock[sku] { take(sku, skuStock) } }
            }
        }
        for sku in lotsBySku.keys {
            lotsBySku[sku]!.sort {
                $0.warehouse != $1.warehouse ? $0.warehouse < $1.warehouse : $0.code != $1.code ? $0.code < $1.code : !$0.reserve && $1.reserve
            }
        }

        // Per incident (its first supply need's slot): the distance and reach tier to every
        // warehouse in play (infinite beyond the outer bound), and the travel and region cost
        // from it, found when first used.
        let warehouseLocations = held.map(\.warehouse.location), warehouseIDs = held.map(\.warehouse.id)
        let warehouseRegions = held.map(\.warehouse.region)
        var distances: [[Double]] = [], tiers: [[ReachTier]] = [], baseCosts: [[Int64]] = []
        var placeOfIncident: [String: Int] = [:]
        func place(of slot: NeedSlot) -> Int {
            if let known = placeOfIncident[slot.incident.id] { return known }
            let location = slot.incident.location
            var row = [Double](repeating: .infinity, count: held.count)
            var tierRow = [ReachTier](repeating: .country, count: held.count)
            for (w, at) in warehouseLocations.enumerated() {
                // A great circle is at least as long as its difference in latitude (111.19 km a degree).
                guard abs(at.latitude - location.latitude) * 111.0 <= outer + 1 else { continue }
                let distance = at.distanceKilometres(to: location)
                if distance <= outer {
                    row[w] = distance
                    tierRow[w] = ReachTier.between(warehouseRegions[w], slot.incident.region)
                }
            }
            distances.append(row)
            tiers.append(tierRow)
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
                    if lots[k].reserve && !slot.mayDrawReserves { continue }
                    if let expires = lots[k].expires, expires < usableFrom { continue }
                    let w = lots[k].warehouse
                    let distance = distances[p][w]
                    guard distance <= outer, tiers[p][w] <= slot.reach else { continue }
                    var base = baseCosts[p][w]
                    if base < 0 {
                        base = policy.travelCost(kilometres: distance, from: warehouseIDs[w], region: warehouseRegions[w],
                                                 to: slot.incident.region, in: state)
                            + policy.regionPenalty(from: warehouseRegions[w], to: slot.incident.region)
                        baseCosts[p][w] = base
                    }
                    let available = lots[k].available
                    if nodes[k] < 0 {
                        nodes[k] = newSource(.lot(warehouse: warehouseIDs[w], lot: lots[k].code, reserve: lots[k].reserve), supply: available)
                    }
                    candidates.append(Candidate(source: nodes[k], need: needIndex, capacity: min(available, slot.missing),
                                                unitCost: base + lots[k].expiryCost + (lots[k].reserve ? policy.reserveCostPerUnit : 0),
                                                distance: distance))
                }
            }
        }
    }
}

/// A lot with stock available, for candidate generation: its warehouse (index into the warehouses
/// in play), code, expiry, what it has available (of its free or its reserve part) and its
/// first-expiring-first cost.
struct LotEntry {
    var warehouse: Int
    var code: String
    var expires: Day?
    var available: Int64
    var expiryCost: Int64
    /// The part of the lot inside the warehouse's minimum level of the item.
    var reserve: Bool
}
