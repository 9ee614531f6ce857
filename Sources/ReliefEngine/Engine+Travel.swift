import ReliefCore
import ReliefMatching
import ReliefProtocol

/// The travel-time matrix: road minutes between places (warehouse ids and region paths), which the
/// matcher prefers to great-circle distance (State+Travel.swift, MatchingPolicy.travelCost).
extension Engine {
    static let travelCommands: [Command] = [
        Command(words: ["travel", "set"], usage: "travel set FROM TO MINUTES [both]",
                summary: "set the road travel time from a warehouse or region to a region or warehouse (both: and back)",
                mutating: true, access: .write(.incidents, .place(0))) { engine, args, _ in
            try args.expect(positionals: 3...4, options: [])
            let minutes = try Engine.travelMinutes(try args.positional(2, "MINUTES"))
            let both = try Engine.bothFlag(args, at: 3)
            let (from, to) = try engine.travelPair(args)
            var changed = 0
            for (a, b) in both ? [(from, to), (to, from)] : [(from, to)] where engine.state.travelEntry(from: a, to: b) != minutes {
                engine.emit(.travelTimeSet(from: a, to: b, minutes: minutes))
                changed += 1
            }
            var fields: Fields = ["from": from, "to": to, "minutes": String(minutes)]
            if both { fields.append("both", "yes") }
            fields.append("changed", String(changed))
            return .ok(fields)
        },
        Command(words: ["travel", "clear"], usage: "travel clear FROM TO [both]",
                summary: "remove a travel time (both: and the one back); matching falls back to great-circle distance",
                mutating: true, access: .write(.incidents, .place(0))) { engine, args, _ in
            try args.expect(positionals: 2...3, options: [])
            let both = try Engine.bothFlag(args, at: 2)
            let (from, to) = try engine.travelPair(args)
            let pairs = (both ? [(from, to), (to, from)] : [(from, to)]).filter { engine.state.travelEntry(from: $0.0, to: $0.1) != nil }
            guard !pairs.isEmpty else {
                throw Refusal(.notFound, "no travel time from \(from) to \(to)\(both ? " or back" : "") to clear; see travel list")
            }
            for (a, b) in pairs { engine.emit(.travelTimeSet(from: a, to: b, minutes: nil)) }
            return .ok(["from": from, "to": to, "cleared": String(pairs.count)])
        },
        Command(words: ["travel", "list"], usage: "travel list [from=PLACE] [to=PLACE]",
                summary: "travel-time entries (from= or to= a region also lists the places inside it)", mutating: false, access: .read(.catalog), listing: .roster) { engine, args, _ in
            try args.expect(positionals: 0...0, options: ["from", "to"])
            let from = try args.option("from").map { try engine.travelPlace($0, "from=") }
            let to = try args.option("to").map { try engine.travelPlace($0, "to=") }
            var rows: [Fields] = []
            for (origin, row) in engine.state.travelTimes.sorted(by: { $0.key < $1.key }) where from == nil || engine.place(origin, isIn: from!) {
                for (destination, minutes) in row.sorted(by: { $0.key < $1.key }) where to == nil || engine.place(destination, isIn: to!) {
                    // back: the minutes of the entry the other way, if there is one.
                    rows.append(["from": origin, "to": destination, "minutes": String(minutes),
                                 "back": engine.state.travelEntry(from: destination, to: origin).map(String.init) ?? ""])
                }
            }
            return .rows(rows)
        },
        Command(words: ["travel", "show"], usage: "travel show FROM TO",
                summary: "the travel time and cost the matcher uses from a warehouse, region, team or volunteer to an incident or region, and where it comes from",
                mutating: false, access: .read(.catalog)) { engine, args, _ in
            try args.expect(positionals: 2...2, options: [])
            return .ok(try engine.travelShow(from: try args.positional(0, "FROM"), to: try args.positional(1, "TO")))
        },
    ]

    static func travelMinutes(_ text: String) throws -> Int {
        guard let value = Int64(text), State.travelMinutesRange.contains(value) else {
            throw Refusal(.syntax, "bad MINUTES \"\(text)\"; expected a whole number of minutes from "
                          + "\(State.travelMinutesRange.lowerBound) to \(State.travelMinutesRange.upperBound)")
        }
        return Int(value)
    }

    private static func bothFlag(_ args: Arguments, at index: Int) throws -> Bool {
        guard let word = args.optionalPositional(index) else { return false }
        guard word.lowercased() == "both" else { throw Refusal(.syntax, "unexpected word \"\(word)\"; expected both or nothing; usage: \(args.usage)") }
        return true
    }

    /// FROM and TO of `travel set` / `travel clear`: two different known places.
    private func travelPair(_ args: Arguments) throws -> (String, String) {
        let from = try travelPlace(try args.positional(0, "FROM"), "FROM")
        let to = try travelPlace(try args.positional(1, "TO"), "TO")
        guard from != to else { throw Refusal(.syntax, "FROM and TO are both \(from); expected two different places") }
        return (from, to)
    }

    /// A place of the matrix: a known warehouse id or region path, and not both.
    func travelPlace(_ name: String, _ what: String) throws -> String {
        let isWarehouse = state.warehouses[name] != nil, isRegion = state.regions[name] != nil
        if isWarehouse && isRegion {
            throw Refusal(.conflict, "\(what) \"\(name)\" names both a warehouse and a region; a travel time needs a place that is one of them")
        }
        guard isWarehouse || isRegion else {
            throw Refusal(.notFound, "unknown place \"\(name)\" for \(what); expected a warehouse id or a region path (warehouse list, region list)")
        }
        return name
    }

    /// Whether matrix place `name` is `filter` or inside it (a region inside a region filter, a
    /// warehouse whose region is inside it).
    private func place(_ name: String, isIn filter: String) -> Bool {
        if name == filter { return true }
        guard state.regions[filter] != nil else { return false }
        if state.regions[name] != nil { return State.region(name, isWithin: filter) }
        if let warehouse = state.warehouses[name] { return State.region(warehouse.region, isWithin: filter) }
        return false
    }

    /// `travel show FROM TO`: what `MatchingPolicy.travelCost` uses for this source and destination.
    private func travelShow(from: String, to: String) throws -> Fields {
        var warehouseID: String?
        let region: String, fromKind: String
        var origin: Coordinate?
        if let warehouse = state.warehouses[from] {
            (warehouseID, region, origin, fromKind) = (warehouse.id, warehouse.region, warehouse.location, "warehouse")
        } else if state.regions[from] != nil {
            (region, fromKind) = (from, "region")
        } else if let team = state.teams[from] {
            (region, origin, fromKind) = (team.region, team.base, "team")
        } else if let volunteer = state.volunteers[from] {
            (region, origin, fromKind) = (volunteer.profile.region, volunteer.profile.base, "volunteer")
        } else {
            throw Refusal(.notFound, "unknown place \"\(from)\" for FROM; expected a warehouse, region, team or volunteer")
        }
        let target: String, toKind: String
        var destination: Coordinate?
        if let incident = state.incidents[to] {
            (target, destination, toKind) = (incident.region, incident.location, "incident")
        } else if state.regions[to] != nil {
            (target, toKind) = (to, "region")
        } else {
            throw Refusal(.notFound, "unknown place \"\(to)\" for TO; expected an incident id or a region path")
        }
        var fields: Fields = ["from": from, "from_kind": fromKind, "to": to, "to_kind": toKind]
        if toKind == "incident" { fields.append("to_region", target) }
        let kilometres = origin.flatMap { a in destination.map { a.distanceKilometres(to: $0) } }
        if let time = state.travelTime(fromWarehouse: warehouseID, region: region, toRegion: target) {
            fields.append("source", "matrix")
            fields.append("minutes", String(time.minutes))
            fields.append("entry_from", time.from)
            fields.append("entry_to", time.to)
            if let kilometres { fields.append("distance_km", Engine.kilometres(kilometres)) }
            fields.append("travel_cost", String(matchingPolicy.travelCost(kilometres: kilometres ?? 0, from: warehouseID, region: region,
                                                                          to: target, in: state)))
        } else {
            fields.append("source", "great-circle")
            if let kilometres {
                fields.append("distance_km", Engine.kilometres(kilometres))
                fields.append("travel_cost", String(matchingPolicy.travelCost(kilometres: kilometres)))
            } else {
                fields.append("note", "no matrix entry applies; the matcher uses the great-circle distance between the source's and the incident's locations")
            }
        }
        return fields
    }
}
