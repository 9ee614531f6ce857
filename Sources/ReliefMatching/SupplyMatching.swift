import Dispatch
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
        let state = self.state, policy = self.policy, options = self.options
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
        let parallel = needs.count >= options.parallelSearchesFrom
        /// `count` pieces of work, on every core when the plan is large enough.
        func each(_ count: Int, _ body: @Sendable (Int) -> Void) {
            if parallel && count > 1 { DispatchQueue.concurrentPerform(iterations: count, execute: body) } else { for k in 0..<count { body(k) } }
        }

        // Every lot of the asked-for items with stock available, by item, in warehouse and
        // lot-code order: the warehouses read in slices, a slice per iteration.
        let skus = Set(needsBySku.keys), heldNow = held
        let slices = parallel ? min(heldNow.count, 32) : min(heldNow.count, 1)
        let gathered = ParallelSlots<[(sku: String, entry: LotEntry)]>(count: slices, initial: [])
        each(slices) { slice in
            var out: [(sku: String, entry: LotEntry)] = []
            var w = slice
            while w < heldNow.count {
                let entry = heldNow[w]
                func take(_ sku: String, _ skuStock: SkuStock) {
                    guard skuStock.available > 0 else { return }
                    let minimum = state.minimums[entry.warehouse.id]?[sku] ?? 0
                    func add(_ code: String, _ available: Int64, reserve: Bool) {
                        guard available > 0, let lot = state.lots[code] else { return }
                        out.append((sku, LotEntry(warehouse: w, code: code, expires: lot.expires, available: available,
                                                  expiryCost: policy.expiryCost(expires: lot.expires, today: today), reserve: reserve)))
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
                if entry.stock.count < skus.count {
                    for (sku, skuStock) in entry.stock where skus.contains(sku) { take(sku, skuStock) }
                } else {
                    for sku in skus { if let skuStock = entry.stock[sku] { take(sku, skuStock) } }
                }
                w += slices
            }
            gathered.put(slice, out)
        }
        var lotsBySku: [String: [LotEntry]] = [:]
        for slice in 0..<slices { for (sku, entry) in gathered.get(slice) { lotsBySku[sku, default: []].append(entry) } }
        for sku in lotsBySku.keys {
            lotsBySku[sku]!.sort {
                $0.warehouse != $1.warehouse ? $0.warehouse < $1.warehouse : $0.code != $1.code ? $0.code < $1.code : !$0.reserve && $1.reserve
            }
        }

        // Per incident of a supply need: the distance and reach tier to every warehouse in play
        // (infinite beyond the outer bound), and the travel and region cost from it.
        let warehouseLocations = held.map(\.warehouse.location), warehouseIDs = held.map(\.warehouse.id)
        let warehouseRegions = held.map(\.warehouse.region)
        var placeOfIncident: [String: Int] = [:]
        var placeSlots: [NeedSlot] = []
        var placeOfNeed = [Int](repeating: -1, count: needs.count)
        for (index, slot) in needs.enumerated() where slot.need.request.isSupply {
            if let known = placeOfIncident[slot.incident.id] { placeOfNeed[index] = known; continue }
            placeOfIncident[slot.incident.id] = placeSlots.count
            placeOfNeed[index] = placeSlots.count
            placeSlots.append(slot)
        }
        let placeRows = ParallelSlots<(distance: [Double], tier: [ReachTier], base: [Int64])>(count: placeSlots.count, initial: ([], [], []))
        let placeList = placeSlots
        each(placeList.count) { p in
            let slot = placeList[p], location = slot.incident.location
            var row = [Double](repeating: .infinity, count: warehouseLocations.count)
            var tierRow = [ReachTier](repeating: .country, count: warehouseLocations.count)
            var baseRow = [Int64](repeating: 0, count: warehouseLocations.count)
            for (w, at) in warehouseLocations.enumerated() {
                // A great circle is at least as long as its difference in latitude (111.19 km a degree).
                guard abs(at.latitude - location.latitude) * 111.0 <= outer + 1 else { continue }
                let distance = at.distanceKilometres(to: location)
                guard distance <= outer else { continue }
                row[w] = distance
                tierRow[w] = ReachTier.between(warehouseRegions[w], slot.incident.region)
                baseRow[w] = policy.travelCost(kilometres: distance, from: warehouseIDs[w], region: warehouseRegions[w],
                                               to: slot.incident.region, in: state)
                    + policy.regionPenalty(from: warehouseRegions[w], to: slot.incident.region)
            }
            placeRows.put(p, (row, tierRow, baseRow))
        }

        // The arcs, item by item (each on its own core), then numbered in item, need and lot
        // order: the network is the same whatever the number of threads.
        let skuOrder = needsBySku.keys.sorted()
        let bySku = needsBySku, slotsNow = needs, lotsNow = lotsBySku, placeOf = placeOfNeed
        let arcs = ParallelSlots<[(lot: Int, need: Int, capacity: Int64, cost: Int64, distance: Double)]>(count: skuOrder.count, initial: [])
        each(skuOrder.count) { n in
            let lots = lotsNow[skuOrder[n]] ?? []
            var out: [(lot: Int, need: Int, capacity: Int64, cost: Int64, distance: Double)] = []
            for needIndex in bySku[skuOrder[n]]! {
                let slot = slotsNow[needIndex]
                let usableFrom = max(slot.need.neededBy.day, today)
                let place = placeRows.get(placeOf[needIndex])
                for k in lots.indices {
                    if lots[k].reserve && !slot.mayDrawReserves { continue }
                    if let expires = lots[k].expires, expires < usableFrom { continue }
                    let w = lots[k].warehouse
                    let distance = place.distance[w]
                    guard distance <= outer, place.tier[w] <= slot.reach else { continue }
                    out.append((k, needIndex, min(lots[k].available, slot.missing),
                                place.base[w] + lots[k].expiryCost + (lots[k].reserve ? policy.reserveCostPerUnit : 0), distance))
                }
            }
            arcs.put(n, out)
        }
        for (n, sku) in skuOrder.enumerated() {
            let lots = lotsBySku[sku] ?? []
            var nodes = [Int](repeating: -1, count: lots.count)   // a lot's node, made at its first arc
            for arc in arcs.get(n) {
                if nodes[arc.lot] < 0 {
                    let lot = lots[arc.lot]
                    nodes[arc.lot] = newSource(.lot(warehouse: warehouseIDs[lot.warehouse], lot: lot.code, reserve: lot.reserve), supply: lot.available)
                }
                candidates.append(Candidate(source: nodes[arc.lot], need: arc.need, capacity: arc.capacity, unitCost: arc.cost, distance: arc.distance))
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
