import ReliefCore
import ReliefProtocol

/// Allocations (stock of a lot promised to a supply need: reserved → dispatched → delivered, or
/// released) and assignments (a volunteer sent to a personnel need: assigned → en route → on scene
/// → released). The matcher makes the same events through `plan apply`; these commands are for the
/// officer who decides by hand and for the lifecycle after either.
extension Engine {
    static let allocationCommands: [Command] = [
        Command(words: ["allocation", "reserve"], usage: "allocation reserve NEED WAREHOUSE LOT QTY",
                summary: "reserve stock of one lot in one warehouse for a supply need (by hand; the matcher does it through plan apply)",
                mutating: true, access: .write(.incidents, .need(0))) { engine, args, context in
            try args.expect(positionals: 4...4, options: [])
            let need = try engine.need(try args.positional(0, "need id"))
            let warehouse = try engine.warehouse(try args.positional(1, "warehouse"))
            let code = try args.positional(2, "lot")
            let quantity = try Arguments.quantity(try args.positional(3, "quantity"))
            guard let lot = engine.state.lots[code] else { throw Refusal(.notFound, "lot \(code) not found") }
            _ = try engine.openNeed(need.id)
            guard case .supply(let sku, let asked) = need.request else {
                throw Refusal(.conflict, "need \(need.id) asks for people, not supplies; use assignment add")
            }
            guard lot.sku == sku else { throw Refusal(.conflict, "lot \(code) holds \(lot.sku), but need \(need.id) asks for \(sku)") }
            let committed = engine.state.committedAmount(of: need.id)
            guard quantity <= asked - committed else {
                throw Refusal(.conflict, "need \(need.id) is missing only \(asked - committed) of \(asked) \(sku) (\(committed) already committed); reserve at most that, or raise the need with need change")
            }
            if let expires = lot.expires, expires < context.now.day {
                throw Refusal(.conflict, "lot \(code) expired on \(expires.iso8601); expected a lot still good")
            }
            let holding = engine.state.holding(warehouse: warehouse.id, lot: code) ?? Holding(onHand: 0, reserved: 0)
            guard holding.available >= quantity else {
                let unit = engine.state.items[sku]?.unit ?? ""
                throw Refusal(.insufficient, "only \(holding.available) \(unit) of lot \(code) available in \(warehouse.id) (on hand \(holding.onHand), reserved \(holding.reserved)); asked \(quantity)")
            }
            let id = engine.state.nextAllocationID
            engine.emit(.allocationReserved(Allocation(id: id, need: need.id, incident: need.incident, warehouse: warehouse.id, lot: code,
                                                       sku: sku, quantity: quantity, plan: nil, createdAt: context.now)))
            var fields: Fields = ["allocation": id, "need": need.id, "reserved": String(quantity),
                                  "missing": String(asked - committed - quantity)]
            if let expires = lot.expires, expires < need.neededBy.day {
                fields.append("warning", "lot \(code) expires \(expires.iso8601), before the need's deadline \(need.neededBy.iso8601)")
            }
            return .ok(fields)
        },

        Command(words: ["allocation", "dispatch"], usage: "allocation dispatch ALLOCATION [note=TEXT]",
                summary: "the reserved goods leave the warehouse (off its shelf, in transit)", mutating: true, access: .write(.incidents, .allocation(0))) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["note"])
            let allocation = try engine.allocation(try args.positional(0, "allocation id"))
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            guard allocation.status == .reserved else {
                throw Refusal(.conflict, "allocation \(allocation.id) is \(allocation.status.rawValue); only a reserved allocation can be dispatched")
            }
            engine.emit(.allocationDispatched(id: allocation.id, note: note, lot: allocation.lot, quantity: allocation.quantity))
            return .ok(["allocation": allocation.id, "status": AllocationStatus.dispatched.rawValue,
                        "lot": allocation.lot, "quantity": String(allocation.quantity)])
        },

        Command(words: ["allocation", "deliver"], usage: "allocation deliver ALLOCATION [note=TEXT]",
                summary: "the goods in transit arrived at the incident", mutating: true, access: .write(.incidents, .allocation(0))) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["note"])
            let allocation = try engine.allocation(try args.positional(0, "allocation id"))
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            guard allocation.status == .dispatched else {
                let hint = allocation.status == .reserved ? "; dispatch it first" : ""
                throw Refusal(.conflict, "allocation \(allocation.id) is \(allocation.status.rawValue); only a dispatched allocation can be delivered\(hint)")
            }
            engine.emit(.allocationDelivered(id: allocation.id, note: note, lot: allocation.lot, quantity: allocation.quantity))
            return .ok(["allocation": allocation.id, "status": AllocationStatus.delivered.rawValue,
                        "lot": allocation.lot, "quantity": String(allocation.quantity)])
        },

        Command(words: ["allocation", "release"], usage: "allocation release ALLOCATION [reason=TEXT]",
                summary: "give reserved stock back to available, or take goods in transit back into their warehouse", mutating: true, access: .write(.incidents, .allocation(0))) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["reason"])
            let allocation = try engine.allocation(try args.positional(0, "allocation id"))
            let reason = try args.option("reason").map { try Arguments.text($0, "reason", max: 500) }
            guard allocation.status == .reserved || allocation.status == .dispatched else {
                throw Refusal(.conflict, "allocation \(allocation.id) is \(allocation.status.rawValue); only a reserved or dispatched allocation can be released")
            }
            if allocation.status == .dispatched {
                // The goods come back on the shelf, which may have filled up meanwhile.
                try engine.checkStockChange(warehouse: allocation.warehouse, sku: allocation.sku,
                                            [State.StockDelta(lot: allocation.lot, onHand: allocation.quantity)])
            }
            engine.emit(.allocationReleased(id: allocation.id, reason: reason))
            return .ok(["allocation": allocation.id, "status": AllocationStatus.released.rawValue, "was": allocation.status.rawValue,
                        "returned_to": allocation.warehouse])
        },

        Command(words: ["allocation", "list"],
                usage: "allocation list [incident=ID] [need=ID] [status=reserved|dispatched|delivered|released]",
                summary: "allocations, oldest first", mutating: false, access: .read(.incidents), listing: .standard) { engine, args, _ in
            try args.expect(positionals: 0...0, options: ["incident", "need", "status"])
            let incident = try args.option("incident").map { try engine.incident($0).id }
            let need = try args.option("need").map { try engine.need($0).id }
            let status = try args.option("status").map { try Arguments.choice($0, "status", AllocationStatus.self) }
            return .rows(engine.state.allocationList(incident: incident, need: need, status: status).map(engine.allocationFields))
        },
    ]

    static let assignmentCommands: [Command] = [
        Command(words: ["assignment", "add"], usage: "assignment add NEED (VOLUNTEER | TEAM)",
                summary: "send a volunteer (available now, certified for the skill) or a ready team to a personnel need, by hand",
                mutating: true, access: .write(.incidents, .need(0))) { engine, args, context in
            try args.expect(positionals: 2...2, options: [])
            let need = try engine.need(try args.positional(0, "need id"))
            let who = try args.positional(1, "volunteer or team")
            _ = try engine.openNeed(need.id)
            let committed = engine.state.committedAmount(of: need.id)
            switch need.request {
            case .supply:
                throw Refusal(.conflict, "need \(need.id) asks for supplies, not people; use allocation reserve")
            case .volunteers(let skill, let count, _):
                let volunteer = try engine.volunteer(who)
                guard committed < Int64(count) else {
                    throw Refusal(.conflict, "need \(need.id) already has all \(count) volunteers it asks for; raise it with need change count=")
                }
                try engine.checkDeployable(volunteer, skill: skill, at: context.now)
                let id = engine.state.nextAssignmentID
                engine.emit(.assignmentMade(Assignment(id: id, need: need.id, incident: need.incident, volunteer: volunteer.id, team: nil,
                                                       plan: nil, createdAt: context.now)))
                return .ok(["assignment": id, "need": need.id, "volunteer": volunteer.id, "missing": String(Int64(count) - committed - 1)])
            case .teams(let specialty, let count, _):
                guard let team = engine.state.teams[who] else {
                    throw Refusal(.notFound, "team \(who) not found; need \(need.id) asks for \(specialty) teams")
                }
                guard team.specialty == specialty else {
                    throw Refusal(.conflict, "team \(team.id) is \(team.specialty), but need \(need.id) asks for \(specialty) teams")
                }
                guard committed < Int64(count) else {
                    throw Refusal(.conflict, "need \(need.id) already has all \(count) teams it asks for; raise it with need change count=")
                }
                if engine.state.assignmentList(need: need.id).contains(where: { $0.team == team.id && $0.status.isActive }) {
                    throw Refusal(.conflict, "team \(team.id) is already assigned to need \(need.id)")
                }
                let readiness = engine.state.teamReadiness(team, at: context.now)
                guard readiness.state == .ready else {
                    throw Refusal(.conflict, "team \(team.id) is not ready (\(readiness.state.rawValue)): \(readiness.reason ?? "unknown"); a team need takes a ready team as a unit")
                }
                var ids: [String] = []
                for member in team.members {
                    let id = engine.state.nextAssignmentID
                    engine.emit(.assignmentMade(Assignment(id: id, need: need.id, incident: need.incident, volunteer: member, team: team.id,
                                                           plan: nil, createdAt: context.now)))
                    ids.append(id)
                }
                return .ok(["assignments": ids.joined(separator: ","), "need": need.id, "team": team.id,
                            "missing": String(Int64(count) - committed - 1)])
            }
        },

        Command(words: ["assignment", "enroute"], usage: "assignment enroute ASSIGNMENT",
                summary: "the assigned volunteer is on the way", mutating: true, access: .write(.incidents, .assignment(0))) { engine, args, _ in
            try args.expect(positionals: 1...1, options: [])
            let assignment = try engine.assignment(try args.positional(0, "assignment id"))
            guard assignment.status == .assigned else {
                throw Refusal(.conflict, "assignment \(assignment.id) is \(assignment.status.rawValue); only an assigned volunteer can be en route")
            }
            engine.emit(.assignmentStatusSet(id: assignment.id, status: .enRoute))
            return .ok(["assignment": assignment.id, "status": AssignmentStatus.enRoute.rawValue])
        },

        Command(words: ["assignment", "onscene"], usage: "assignment onscene ASSIGNMENT",
                summary: "the volunteer arrived: on duty from now (hours count until release)", mutating: true, access: .write(.incidents, .assignment(0))) { engine, args, context in
            try args.expect(positionals: 1...1, options: [])
            let assignment = try engine.assignment(try args.positional(0, "assignment id"))
            guard assignment.status == .assigned || assignment.status == .enRoute else {
                throw Refusal(.conflict, "assignment \(assignment.id) is \(assignment.status.rawValue); only an assigned or en route volunteer can arrive")
            }
            let volunteer = try engine.volunteer(assignment.volunteer)
            if let since = volunteer.onDutySince {
                throw Refusal(.conflict, "volunteer \(volunteer.id) is already on duty since \(since.iso8601)")
            }
            if let last = volunteer.duty.last, context.now < last.end {
                throw Refusal(.conflict, "clock \(context.now.iso8601) is before the volunteer's last check-out \(last.end.iso8601)")
            }
            engine.emit(.assignmentStatusSet(id: assignment.id, status: .onScene))
            return .ok(["assignment": assignment.id, "status": AssignmentStatus.onScene.rawValue, "since": context.now.iso8601])
        },

        Command(words: ["assignment", "release"], usage: "assignment release ASSIGNMENT [reason=TEXT]",
                summary: "stand the volunteer down; hours on scene go to their duty record", mutating: true, access: .write(.incidents, .assignment(0))) { engine, args, context in
            try args.expect(positionals: 1...1, options: ["reason"])
            let assignment = try engine.assignment(try args.positional(0, "assignment id"))
            let reason = try args.option("reason").map { try Arguments.text($0, "reason", max: 500) }
            guard assignment.status.isActive else { throw Refusal(.conflict, "assignment \(assignment.id) is already released") }
            if let since = engine.state.volunteers[assignment.volunteer]?.onDutySince, context.now < since {
                throw Refusal(.conflict, "clock \(context.now.iso8601) is before the arrival on scene \(since.iso8601)")
            }
            engine.emit(.assignmentReleased(id: assignment.id, reason: reason))
            let released = engine.state.assignments[assignment.id]!
            return .ok(["assignment": assignment.id, "status": AssignmentStatus.released.rawValue,
                        "hours": State.hoursText(released.hoursMilliseconds)])
        },

        Command(words: ["assignment", "list"],
                usage: "assignment list [incident=ID] [need=ID] [volunteer=ID] [status=assigned|en_route|on_scene|released]",
                summary: "assignments, oldest first", mutating: false, access: .read(.incidents), listing: .standard) { engine, args, _ in
            try args.expect(positionals: 0...0, options: ["incident", "need", "volunteer", "status"])
            let incident = try args.option("incident").map { try engine.incident($0).id }
            let need = try args.option("need").map { try engine.need($0).id }
            let volunteer = try args.option("volunteer").map { try engine.volunteer($0).id }
            let status = try args.option("status").map { try Arguments.choice($0, "status", AssignmentStatus.self) }
            return .rows(engine.state.assignmentList(incident: incident, need: need, volunteer: volunteer, status: status)
                .map(engine.assignmentFields))
        },
    ]

    /// Refuses a volunteer who cannot be sent now: already assigned, not available (standby counts
    /// as available, as for check-in), or without a valid certification for the skill.
    func checkDeployable(_ volunteer: Volunteer, skill: String, at now: Timestamp) throws {
        if let other = state.activeAssignment[volunteer.id] {
            throw Refusal(.conflict, "volunteer \(volunteer.id) already has assignment \(other); a volunteer is in one place at a time")
        }
        var candidate = volunteer
        if state.effectiveStatus(of: volunteer, at: now) == .standby { candidate.status = .available; candidate.statusUntil = nil }
        let (available, reason) = state.availability(of: candidate, at: now)
        if !available { throw Refusal(.conflict, "volunteer \(volunteer.id) is not available: \(reason ?? "unknown")") }
        if let gap = state.skillGap(volunteer, skill, on: now.day) {
            throw Refusal(.conflict, "volunteer \(volunteer.id) cannot be sent for \(skill): \(gap)")
        }
    }
}
