#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Roster look-ups the matcher (ReliefMatching) needs to explain an unmet personnel need: who lists
/// a skill at all, and who lists it near a place — through the roster indexes, so an explanation
/// costs what the volunteers around the incident cost, not the whole roster.
extension State {
    /// Volunteers listing `skill` (certified or not), unordered.
    public func volunteerIDs(listing skill: String) -> Set<String> { rosterIndex.bySkill[skill] ?? [] }

    /// Volunteers listing `skill` based within `radius` km of `center`, with their distance, nearest
    /// first (then by id).
    public func volunteersListing(_ skill: String, near center: Coordinate, radiusKilometres radius: Double) -> [(id: String, distance: Double)] {
        var out: [(id: String, distance: Double)] = []
        for id in rosterIndex.candidates(near: center, radiusKilometres: radius, skill: skill) {
            guard let base = volunteers[id]?.profile.base else { continue }
            let distance = center.distanceKilometres(to: base)
            if distance <= radius { out.append((id, distance)) }
        }
        out.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }
        return out
    }
}

extension State {
    /// The `limit` nearest volunteers listing `skill` within `radius` km of `center` who could be
    /// sent now: certified for the skill on `day` (where it needs a certificate), available at
    /// `now` (status, rest and duty-hour limits), not in `excluded`, and passing `accept` (the
    /// matcher's reach tier) when given. Nearest first, then by id:
    /// the same answer as `findVolunteers` with those filters, found for the matcher's hot path.
    ///
    /// It walks the skill's grid in square rings around the centre cell and stops as soon as the
    /// next ring cannot hold anything nearer than the `limit`-th match so far, so it looks at about
    /// the `limit` nearest listing volunteers, never at a whole circle of cells.
    public func nearestDeployable(skill: String, certifiedOn day: Day, near center: Coordinate, radiusKilometres radius: Double,
                                  limit: Int, at now: Timestamp, excluding excluded: Set<String> = [],
                                  accepting accept: ((Volunteer) -> Bool)? = nil) -> [(id: String, distance: Double)] {
        nearestDeployable(skill: skill, certifiedOn: day, near: center, radiusKilometres: radius, limit: limit, at: now,
                          excluding: excluded, accepting: accept, costing: { _, _ in 0 }).map { ($0.id, $0.distance) }
    }

    /// `nearestDeployable`, each with `cost(volunteer, distance)`: what the matcher charges for
    /// sending them, found while the volunteer is at hand rather than looked up again.
    public func nearestDeployable(skill: String, certifiedOn day: Day, near center: Coordinate, radiusKilometres radius: Double,
                                  limit: Int, at now: Timestamp, excluding excluded: Set<String> = [],
                                  accepting accept: ((Volunteer) -> Bool)? = nil,
                                  costing cost: (Volunteer, Double) -> Int64) -> [(id: String, distance: Double, cost: Int64)] {
        guard limit > 0, let grid = rosterIndex.bySkillCell[skill], !grid.isEmpty else { return [] }
        let needsCertificate = skills[skill]?.needsCertificate ?? false
        let origin = RosterIndex.Cell(center)
        let (low, high) = RosterIndex.cellBounds(near: center, radiusKilometres: radius)
        let rings = max(Int(origin.row - low.row), Int(high.row - origin.row), Int(origin.column - low.column), Int(high.column - origin.column))
        // Longitude degrees are shortest at the latitude of the box farthest from the equator.
        let widest = min(89.0, max(abs(center.latitude) + radius / 111.0, 0))
        let kmPerDegreeLongitude = 111.0 * cos(widest * Double.pi / 180)
        var found: [(id: String, distance: Double, cost: Int64)] = []
        var worst = Double.infinity
        func visit(_ cell: RosterIndex.Cell) {
            guard cell.row >= low.row, cell.row <= high.row, cell.column >= low.column, cell.column <= high.column,
                  let members = grid[cell] else { return }
            for (id, base) in members {
                let distance = center.distanceKilometres(to: base)
                guard distance <= radius, distance <= worst, excluded.isEmpty || !excluded.contains(id),
                      let volunteer = volunteers[id] else { continue }
                if needsCertificate {
                    guard volunteer.certifications[skill]?.isValid(on: day) == true else { continue }
                }
                guard isAvailable(volunteer, at: now), accept?(volunteer) ?? true else { continue }
                found.append((id, distance, cost(volunteer, distance)))
            }
        }
        // A wide radius over a sparse skill (few cells hold anyone) walks the cells that hold
        // someone, ring by ring, instead of every cell of every ring: the same rings in the same
        // order, so the same answer, without visiting hundreds of thousands of empty cells.
        var sparse: [Int: [RosterIndex.Cell]]? = nil
        let ringCells = (2 * Double(rings) + 1) * (2 * Double(rings) + 1)
        if ringCells > 2 * Double(grid.count) {
            var byRing: [Int: [RosterIndex.Cell]] = [:]
            for cell in grid.keys where cell.row >= low.row && cell.row <= high.row && cell.column >= low.column && cell.column <= high.column {
                let ring = max(abs(Int(cell.row) - Int(origin.row)), abs(Int(cell.column) - Int(origin.column)))
                byRing[ring, default: []].append(cell)
            }
            sparse = byRing
        }
        let ringOrder = sparse.map { Array($0.keys).sorted() } ?? Array(0...max(0, rings))
        for ring in ringOrder {
            if let sparse {
                for cell in sparse[ring]!.sorted() { visit(cell) }
            } else {
                RosterIndex.forEachCell(inRing: ring, around: origin, visit)
            }
            if found.count >= limit {
                found.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }
                found.removeLast(found.count - limit)
                worst = found[limit - 1].distance
                // Everything in the rings after this one lies outside the square of rings so far.
                let bound = RosterIndex.distanceBeyond(ring: ring, around: center, origin: origin, kmPerDegreeLongitude: kmPerDegreeLongitude)
                if bound > worst { break }
            }
        }
        found.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }
        if found.count > limit { found.removeLast(found.count - limit) }
        return found
    }
}
