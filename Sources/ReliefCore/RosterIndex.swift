import Dispatch
import HashTreeCollections
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Indexes over `State.volunteers`, kept in step by `State.applyRoster`: which volunteers list a
/// skill, and where volunteers are on a grid of `cellDegrees`-wide cells (all volunteers, and per
/// skill). A search near a point visits only the cells overlapping the circle, nearest cells first,
/// and stops once no further cell can hold a nearer match; so its cost follows the number of
/// volunteers close by, not the size of the roster. Cells are 0.05° (about 5.5 km × 4.4 km in
/// Shanxi): volunteers crowd around city centres, and coarser cells would put thousands of them in
/// the cell a search starts from.
public struct RosterIndex: Sendable, Equatable {
    public static let cellDegrees = 0.05

    /// A grid cell: latitude and longitude divided by `cellDegrees`, rounded down.
    public struct Cell: Sendable, Hashable, Comparable {
        public var row: Int32
        public var column: Int32
        public init(row: Int32, column: Int32) { self.row = row; self.column = column }
        public init(_ coordinate: Coordinate) {
            row = Int32((coordinate.latitude / RosterIndex.cellDegrees).rounded(.down))
            column = Int32((min(coordinate.longitude, 179.999_999) / RosterIndex.cellDegrees).rounded(.down))
        }
        public static func < (a: Cell, b: Cell) -> Bool { (a.row, a.column) < (b.row, b.column) }
    }

    /// skill → volunteers listing it
    public private(set) var bySkill: [String: Set<String>] = [:]
    /// cell → volunteers based there, with their base (so a search can skip far ones unseen)
    public private(set) var byCell: [Cell: [String: Coordinate]] = [:]
    /// skill → cell → volunteers listing the skill based there, with their base
    public private(set) var bySkillCell: [String: [Cell: [String: Coordinate]]] = [:]

    public init() {}

    mutating func insert(_ id: String, _ profile: VolunteerProfile) {
        let cell = Cell(profile.base)
        byCell[cell, default: [:]][id] = profile.base
        for skill in profile.skills.keys {
            bySkill[skill, default: []].insert(id)
            bySkillCell[skill, default: [:]][cell, default: [:]][id] = profile.base
        }
    }

    mutating func remove(_ id: String, _ profile: VolunteerProfile) {
        let cell = Cell(profile.base)
        byCell[cell]?[id] = nil
        if byCell[cell]?.isEmpty == true { byCell[cell] = nil }
        for skill in profile.skills.keys {
            bySkill[skill]?.remove(id)
            if bySkill[skill]?.isEmpty == true { bySkill[skill] = nil }
            bySkillCell[skill]?[cell]?[id] = nil
            if bySkillCell[skill]?[cell]?.isEmpty == true { bySkillCell[skill]?[cell] = nil }
            if bySkillCell[skill]?.isEmpty == true { bySkillCell[skill] = nil }
        }
    }

    /// The range of cells a circle of `radius` km around `center` may touch (a conservative
    /// bounding box; clipped at the poles and the antimeridian, far from any region served here).
    public static func cellBounds(near center: Coordinate, radiusKilometres radius: Double) -> (low: Cell, high: Cell) {
        let kmPerDegreeLatitude = 111.0
        let latSpan = radius / kmPerDegreeLatitude + 1e-9
        let south = max(-90, center.latitude - latSpan), north = min(90, center.latitude + latSpan)
        // Longitude degrees shrink towards the poles: use the latitude of the box farthest from the equator.
        let widest = max(abs(south), abs(north))
        let cosine = cos(widest * Double.pi / 180)
        let lonSpan = widest >= 89.9 ? 360 : radius / (kmPerDegreeLatitude * cosine) + 1e-9
        let low = Cell(Coordinate(latitude: south, longitude: max(-180, center.longitude - lonSpan)))
        let high = Cell(Coordinate(latitude: north, longitude: min(180, center.longitude + lonSpan)))
        return (low, high)
    }

    /// A lower bound of the distance in km from `center` to any point of `cell` (haversine to the
    /// nearest corner-clamped point, less a margin for the sphere: exact enough for cells under
    /// a few hundred km away, which is where it is used).
    public static func minimumDistance(from center: Coordinate, to cell: Cell) -> Double {
        let south = Double(cell.row) * cellDegrees, west = Double(cell.column) * cellDegrees
        let nearest = Coordinate(latitude: min(max(center.latitude, south), south + cellDegrees),
                                 longitude: min(max(center.longitude, west), west + cellDegrees))
        return max(0, center.distanceKilometres(to: nearest) * 0.99 - 0.01)
    }

    /// Each cell of the square ring `ring` steps around `origin` (ring 0: `origin` itself), once:
    /// searches that look nearest first walk rings outwards.
    public static func forEachCell(inRing ring: Int, around origin: Cell, _ body: (Cell) -> Void) {
        guard ring > 0 else { body(origin); return }
        let r = Int32(ring)
        for column in (origin.column - r)...(origin.column + r) {
            body(Cell(row: origin.row - r, column: column))
            body(Cell(row: origin.row + r, column: column))
        }
        for row in (origin.row - r + 1)...(origin.row + r - 1) {
            body(Cell(row: row, column: origin.column - r))
            body(Cell(row: row, column: origin.column + r))
        }
    }

    /// A lower bound of the distance in km from `center` (in cell `origin`) to any point outside
    /// the rings 0…`ring` around it; `kmPerDegreeLongitude` is taken at the latitude farthest from
    /// the equator the search may reach, so the bound holds across the search's box.
    public static func distanceBeyond(ring: Int, around center: Coordinate, origin: Cell, kmPerDegreeLongitude: Double) -> Double {
        let south = Double(Int(origin.row) - ring) * cellDegrees, north = Double(Int(origin.row) + ring + 1) * cellDegrees
        let west = Double(Int(origin.column) - ring) * cellDegrees, east = Double(Int(origin.column) + ring + 1) * cellDegrees
        return min((center.latitude - south) * 111.0, (north - center.latitude) * 111.0,
                   (center.longitude - west) * kmPerDegreeLongitude, (east - center.longitude) * kmPerDegreeLongitude) * 0.99 - 0.01
    }

    /// The occupied cells around `center` (of volunteers listing `skill`, when given) with the
    /// lower bound of their distance, nearest first; cells wholly beyond `radius` are left out.
    public func cellsByDistance(near center: Coordinate, radiusKilometres radius: Double, skill: String?) -> [(bound: Double, members: [String: Coordinate])] {
        guard let grid = grid(skill: skill) else { return [] }
        var out: [(cell: Cell, bound: Double, members: [String: Coordinate])] = []
        forEachCell(near: center, radiusKilometres: radius, in: grid) { cell, ids in
            let bound = RosterIndex.minimumDistance(from: center, to: cell)
            if bound <= radius { out.append((cell, bound, ids)) }
        }
        out.sort { $0.bound != $1.bound ? $0.bound < $1.bound : $0.cell < $1.cell }
        return out.map { ($0.bound, $0.members) }
    }

    /// The grid of volunteers listing `skill`, or of everyone; nil when nobody lists the skill.
    private func grid(skill: String?) -> [Cell: [String: Coordinate]]? {
        guard let skill else { return byCell }
        return bySkillCell[skill]
    }

    private func forEachCell(near center: Coordinate, radiusKilometres radius: Double, in grid: [Cell: [String: Coordinate]],
                             _ body: (Cell, [String: Coordinate]) -> Void) {
        let (low, high) = RosterIndex.cellBounds(near: center, radiusKilometres: radius)
        let boxCells = (Int(high.row) - Int(low.row) + 1) * (Int(high.column) - Int(low.column) + 1)
        if boxCells > grid.count {
            // A huge radius: walking the occupied cells is cheaper than walking the box.
            for (cell, ids) in grid where (low.row...high.row).contains(cell.row) && (low.column...high.column).contains(cell.column) {
                body(cell, ids)
            }
        } else {
            for row in low.row...high.row {
                for column in low.column...high.column {
                    let cell = Cell(row: row, column: column)
                    if let ids = grid[cell] { body(cell, ids) }
                }
            }
        }
    }

    /// Volunteers (listing `skill`, when given) based in the cells around `center`: candidates only;
    /// the caller checks the exact distance.
    public func candidates(near center: Coordinate, radiusKilometres radius: Double, skill: String?) -> [String] {
        guard let grid = grid(skill: skill) else { return [] }
        var out: [String] = []
        forEachCell(near: center, radiusKilometres: radius, in: grid) { _, members in out.append(contentsOf: members.keys) }
        return out
    }

    /// The index as it should be for `volunteers` (rebuilt from scratch). A large roster's grids
    /// are built on two threads: the per-skill grid on one, the skill sets and the grid of
    /// everyone on the other; each reads the map, writes only its own part.
    public static func build(_ volunteers: TreeDictionary<String, Volunteer>) -> RosterIndex {
        var index = RosterIndex()
        guard volunteers.count >= 20_000 else {
            for (id, volunteer) in volunteers { index.insert(id, volunteer.profile) }
            return index
        }
        final class Part: @unchecked Sendable { var skillCells: [String: [Cell: [String: Coordinate]]] = [:] }
        let part = Part()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            var grids: [String: [Cell: [String: Coordinate]]] = [:]
            for (id, volunteer) in volunteers {
                let base = volunteer.profile.base, cell = Cell(base)
                for skill in volunteer.profile.skills.keys { grids[skill, default: [:]][cell, default: [:]][id] = base }
            }
            part.skillCells = grids
        }
        for (id, volunteer) in volunteers {
            let base = volunteer.profile.base
            index.byCell[Cell(base), default: [:]][id] = base
            for skill in volunteer.profile.skills.keys { index.bySkill[skill, default: []].insert(id) }
        }
        group.wait()
        index.bySkillCell = part.skillCells
        return index
    }
}
