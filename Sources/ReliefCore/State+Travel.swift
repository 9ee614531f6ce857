/// Road travel times: a matrix of minutes between places, where a place is a warehouse id or a
/// region path (province, province/city, province/city/county). Entries are directed (origin →
/// destination); `travel set … both` writes the two directions as two events.
///
/// The matcher asks for the time from a source — a warehouse (its id and region) or a volunteer's
/// or team's home region — to an incident's region. The most specific entry wins (see
/// `travelTime(fromWarehouse:region:toRegion:)`); when there is none, matching falls back to
/// great-circle distance.

import ReliefLimits
extension State {
    /// Minutes an entry may hold: at least one, at most 10,000 (about a week of driving), so
    /// minutes × cost per minute stays far inside the solver's limits.
    public static let travelMinutesRange: ClosedRange<Int64> = Limits.travelMinutes

    /// Where a travel time came from: the entry's own origin and destination and its minutes.
    public struct TravelTime: Sendable, Equatable {
        public var minutes: Int
        public var from: String
        public var to: String

        public init(minutes: Int, from: String, to: String) {
            self.minutes = minutes; self.from = from; self.to = to
        }
    }

    /// Whether `name` is a place a travel entry may name: a warehouse id or a region path.
    public func isTravelPlace(_ name: String) -> Bool { warehouses[name] != nil || regions[name] != nil }

    /// The entry from `from` to `to` itself, if any (no fallback).
    public func travelEntry(from: String, to: String) -> Int? { travelTimes[from]?[to] }

    /// Number of entries (directed pairs).
    public var travelEntryCount: Int { travelTimes.values.reduce(0) { $0 + $1.count } }

    /// The road minutes from a source to a destination region, from the most specific entry of the
    /// matrix, or nil when no entry applies (the caller falls back to great-circle distance).
    ///
    /// The source's places, finest first: the warehouse (when the source is one), its region, and
    /// the region's ancestors; the destination's: the region and its ancestors. Each place has a
    /// depth — a region the number of parts of its path (county 3, city 2, province 1), a
    /// warehouse one more than its region. Of the entries that join a source place to a
    /// destination place, the one whose coarser end is deepest wins; then the one deeper in sum;
    /// then the one with the deeper origin. So for a warehouse in a county and an incident in
    /// another county: warehouse → incident's county, county → county, warehouse → incident's
    /// city, county → city, city → county, city → city, …, province → province.
    public func travelTime(fromWarehouse warehouse: String?, region: String, toRegion target: String) -> TravelTime? {
        // Most states have no matrix, or no row for this source: nothing to build.
        if travelTimes.isEmpty { return nil }
        let origins = State.placeChain(region)
        let rowOfWarehouse = warehouse.flatMap { travelTimes[$0] }
        var rows: [(place: String, depth: Int, row: [String: Int])] = []
        if let warehouse, let row = rowOfWarehouse { rows.append((warehouse, origins.count + 1, row)) }
        for (index, place) in origins.enumerated() {
            if let row = travelTimes[place] { rows.append((place, origins.count - index, row)) }
        }
        if rows.isEmpty { return nil }
        let destinations = State.placeChain(target)
        var best: (key: (Int, Int, Int), time: TravelTime)?
        for (origin, originDepth, row) in rows {
            for (index, destination) in destinations.enumerated() {
                guard let minutes = row[destination] else { continue }
                let depth = destinations.count - index
                let key = (min(originDepth, depth), originDepth + depth, originDepth)
                if best == nil || key > best!.key {
                    best = (key, TravelTime(minutes: minutes, from: origin, to: destination))
                }
            }
        }
        return best?.time
    }

    /// `region` and its ancestors, finest first: `a/b/c`, `a/b`, `a`.
    static func placeChain(_ region: String) -> [String] {
        var chain = [region]
        var current = Substring(region)
        while let slash = current.utf8.lastIndex(of: 0x2F) {
            current = current[current.startIndex..<slash]
            chain.append(String(current))
        }
        return chain
    }

    mutating func applyTravel(_ entry: Entry) throws {
        func fail(_ message: String) -> InvariantViolation { InvariantViolation(seq: entry.seq, message: message) }
        switch entry.event {
        case .travelTimeSet(let from, let to, let minutes):
            guard from != to else { throw fail("travel time from \(from) to itself") }
            guard isTravelPlace(from) else { throw fail("travel origin \(from) is neither a warehouse nor a region") }
            guard isTravelPlace(to) else { throw fail("travel destination \(to) is neither a warehouse nor a region") }
            if let minutes {
                guard State.travelMinutesRange.contains(Int64(minutes)) else { throw fail("travel minutes \(minutes) out of range") }
                travelTimes[from, default: [:]][to] = minutes
            } else {
                guard travelTimes[from]?[to] != nil else { throw fail("no travel time from \(from) to \(to) to clear") }
                travelTimes[from]![to] = nil
                // No empty row left behind: a snapshot has no record for one.
                if travelTimes[from]!.isEmpty { travelTimes[from] = nil }
            }
        default:
            throw fail("\(entry.event.kind) is not a travel event")
        }
    }

    // MARK: snapshot

    func travelSnapshotLines(_ emit: (FlatJSON) -> Void) {
        for (from, row) in travelTimes.sorted(by: { $0.key < $1.key }) {
            for (to, minutes) in row.sorted(by: { $0.key < $1.key }) {
                var json = Event.travelTimeSet(from: from, to: to, minutes: minutes).body
                json.pairs.insert(("t", .string("travel")), at: 0)
                emit(json)
            }
        }
    }

    mutating func loadTravelRecord(_ record: FlatJSON) throws {
        guard case .travelTimeSet(let from, let to, let minutes?) = try Event(kind: "travel.set", body: record) else {
            throw FlatJSON.DecodingError.missing("minutes")
        }
        travelTimes[from, default: [:]][to] = minutes
    }
}
