import Dispatch

extension State {
    /// Every broken invariant, as a sentence; empty when the state is sound. Checked by the property
    /// tests after every step and by the daemon after loading a snapshot.
    ///
    /// `indexesJustRebuilt`: the derived indexes (the roster's grid and skill index) were built from
    /// the snapshot's records a moment ago and kept in step over the few entries after it by
    /// `apply`, as loading does; comparing them with a second build of the same records costs a
    /// tenth of a start on a roster of 100,000. That `apply` keeps them in step is what the
    /// property tests check, after every step, with this false.
    public func invariantViolations(indexesJustRebuilt: Bool = false) -> [String] {
        var problems: [String] = []
        for (warehouse, skus) in stock {
            if warehouses[warehouse] == nil { problems.append("stock held in unknown warehouse \(warehouse)") }
            for (sku, skuStock) in skus {
                // Sums in 128 bits: this also runs on states loaded from a snapshot, which may be damaged.
                var onHand: Int128 = 0, reserved: Int128 = 0
                for (code, holding) in skuStock.lots {
                    if holding.onHand < 0 { problems.append("\(warehouse)/\(code) on hand \(holding.onHand) < 0") }
                    if holding.reserved < 0 || holding.reserved > holding.onHand {
                        problems.append("\(warehouse)/\(code) reserved \(holding.reserved) outside 0...\(holding.onHand)")
                    }
                    if lots[code]?.sku != sku { problems.append("\(warehouse)/\(code) filed under \(sku) but lot is \(lots[code]?.sku ?? "unknown")") }
                    onHand += Int128(holding.onHand)
                    reserved += Int128(holding.reserved)
                }
                if skuStock.onHand > Quantity.maximum { problems.append("\(warehouse)/\(sku) on hand \(skuStock.onHand) > maximum \(Quantity.maximum)") }
                if onHand != Int128(skuStock.onHand) { problems.append("\(warehouse)/\(sku) on hand \(skuStock.onHand) != sum of lots \(onHand)") }
                if reserved != Int128(skuStock.reserved) { problems.append("\(warehouse)/\(sku) reserved \(skuStock.reserved) != sum of lots \(reserved)") }
            }
        }
        // The movement log accounts for every unit on hand.
        // Keyed by warehouse, then lot: a damaged snapshot may name an empty one of either (a key
        // joined into one string and split again lost it, and trapped: found by the journal fuzzer).
        // A lot with moves out of memory (State+MoveWindow.swift) is checked over all its
        // warehouses together: its earlier moves are kept as one total.
        var fromMoves: [String: [String: Int128]] = [:]
        var lotTotals: [String: Int128] = [:]
        for move in moves {
            if earlierMoves[move.lot] != nil {
                lotTotals[move.lot, default: 0] += Int128(move.delta)
            } else {
                fromMoves[move.warehouse, default: [:]][move.lot, default: 0] += Int128(move.delta)
            }
        }
        for (warehouse, lots) in fromMoves {
            for (lot, total) in lots {
                let held = holding(warehouse: warehouse, lot: lot)?.onHand ?? 0
                if Int128(held) != total { problems.append("\(warehouse)/\(lot) holds \(held) but its moves add up to \(total)") }
            }
        }
        if !earlierMoves.isEmpty {
            for (lot, earlier) in earlierMoves { lotTotals[lot, default: 0] += earlier.net }
            var held: [String: Int128] = [:]
            for skus in stock.values {
                for skuStock in skus.values {
                    for (lot, holding) in skuStock.lots where lotTotals[lot] != nil { held[lot, default: 0] += Int128(holding.onHand) }
                }
            }
            for (lot, total) in lotTotals where held[lot, default: 0] != total {
                problems.append("lot \(lot) holds \(held[lot, default: 0]) in all warehouses but its moves add up to \(total)")
            }
        }
        let earlierCount = earlierMoves.values.reduce(0) { $0 &+ $1.count }
        let earlierByWarehouse = earlierMovesByWarehouse.values.reduce(0, &+)
        if earlierCount != movesBefore || earlierByWarehouse != movesBefore {
            problems.append("\(movesBefore) moves are out of memory but their lots count \(earlierCount) and their warehouses \(earlierByWarehouse)")
        }
        for (warehouse, levels) in minimums {
            for (sku, level) in levels where !Quantity.range.contains(level) {
                problems.append("\(warehouse)/\(sku) minimum \(level) outside \(Quantity.range)")
            }
        }
        problems += rosterInvariantViolations(indexesJustRebuilt: indexesJustRebuilt)
        problems += incidentInvariantViolations()
        return problems
    }

    func rosterInvariantViolations(indexesJustRebuilt: Bool = false) -> [String] {
        var problems: [String] = []
        var teamOf: [String: String] = [:]
        for team in teams.values.sorted(by: { $0.id < $1.id }) {
            if specialties[team.specialty] == nil { problems.append("team \(team.id) has unknown specialty \(team.specialty)") }
            if Set(team.members).count != team.members.count { problems.append("team \(team.id) lists a member twice") }
            if let leader = team.leader, !team.members.contains(leader) { problems.append("team \(team.id) leader \(leader) is not a member") }
            for member in team.members {
                if let other = teamOf[member] { problems.append("volunteer \(member) in teams \(other) and \(team.id)") }
                teamOf[member] = team.id
                if volunteers[member] == nil { problems.append("team \(team.id) member \(member) does not exist") }
                else if volunteers[member]!.team != team.id {
                    problems.append("team \(team.id) member \(member) points to team \(volunteers[member]!.team ?? "none")")
                }
            }
        }
        // In the map's order, not sorted: sorting 100,000 volunteers costs more than checking them.
        // The sentences found here are sorted instead (there are none in a sound state). A large
        // roster is checked in two halves, the second on another thread: at the end of a start
        // this check is all that runs, and the second core would otherwise idle.
        var volunteerProblems: [String]
        if volunteers.count >= 20_000 {
            let middle = volunteers.index(volunteers.startIndex, offsetBy: volunteers.count / 2)
            final class Half: @unchecked Sendable { var problems: [String] = [] }
            let second = Half(), group = DispatchGroup()
            let state = self, teams = teamOf
            DispatchQueue.global().async(group: group) {
                second.problems = state.volunteerProblems(state.volunteers[middle...].lazy.map(\.value), teamOf: teams)
            }
            volunteerProblems = self.volunteerProblems(volunteers[..<middle].lazy.map(\.value), teamOf: teamOf)
            group.wait()
            volunteerProblems += second.problems
        } else {
            volunteerProblems = self.volunteerProblems(volunteers.values, teamOf: teamOf)
        }
        problems += volunteerProblems.sorted()
        if !indexesJustRebuilt && rosterIndex != RosterIndex.build(volunteers) {
            problems.append("roster indexes disagree with the volunteers")
        }
        return problems
    }

    /// What is wrong with each of `volunteers` on its own and against the teams (`teamOf`: the
    /// team each member is listed in).
    private func volunteerProblems<Volunteers: Sequence<Volunteer>>(_ volunteers: Volunteers, teamOf: [String: String]) -> [String] {
        var volunteerProblems: [String] = []
        for volunteer in volunteers {
            let id = volunteer.id
            if let team = volunteer.team, teamOf[id] != team { volunteerProblems.append("volunteer \(id) points to team \(team) which does not list it") }
            // Deployed means on duty (checked in, or on scene) or sent on an assignment not yet on scene.
            if volunteer.onDutySince != nil && volunteer.status != .deployed {
                volunteerProblems.append("volunteer \(id) on duty true but status \(volunteer.status.rawValue)")
            }
            if volunteer.status == .deployed && volunteer.onDutySince == nil && activeAssignment[id] == nil {
                volunteerProblems.append("volunteer \(id) on duty false but status deployed, and no active assignment")
            }
            for skill in volunteer.profile.skills.keys where skills[skill] == nil { volunteerProblems.append("volunteer \(id) lists unknown skill \(skill)") }
            for certification in volunteer.certifications.values where certification.issued > certification.expires {
                volunteerProblems.append("volunteer \(id) \(certification.skill) certification expires before it is issued")
            }
            var previousEnd: Timestamp?
            for duty in volunteer.duty {
                if duty.end < duty.start { volunteerProblems.append("volunteer \(id) duty ends before it starts") }
                if let previousEnd, duty.start < previousEnd { volunteerProblems.append("volunteer \(id) duty stretches overlap") }
                previousEnd = duty.end
            }
            if let since = volunteer.onDutySince, let previousEnd, since < previousEnd {
                volunteerProblems.append("volunteer \(id) checked in before the last check-out")
            }
        }
        return volunteerProblems
    }
}
