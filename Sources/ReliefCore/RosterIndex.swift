#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Indexes over `State.volunteers`, kept in step by `State.applyRoster`: which volunteers list a
/// skill, and where volunteers are on a grid of `cellDegrees`-wide cells (all volunteers, and per
/// skill). A search near a point visits only the cells overlapping the circle, so its cost follows
/// the number of volunteers nearby, not the size of the roster.
public struct RosterIndex: Sendable, Equatable {
    public static let cellDegrees = 0.25

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
    /// cell → volunteers based there
    public private(set) var byCell: [Cell: Set<String>] = [:]
    /// skill → cell → volunteers listing the skill based there
    public private(set) var bySkillCell: [String: [Cell: Set<String>]] = [:]

    public init() {}

    mutating func insert(_ id: String, _ profile: VolunteerProfile) {
        let cell = Cell(profile.base)
        byCell[cell, default: []].insert(id)
        for skill in profile.skills.keys {
            bySkill[skill, default: []].insert(id)
            bySkillCell[skill, default: [:]][cell, default: []].insert(id)
        }
    }

    mutating func remove(_ id: String, _ profile: VolunteerProfile) {
        let cell = Cell(profile.base)
        byCell[cell]?.remove(id)
        if byCell[cell]?.isEmpty == true { byCell[cell] = nil }
        for skill in profile.skills.keys {
            bySkill[skill]?.remove(id)
            if bySkill[skill]?.isEmpty == true { bySkill[skill] = nil }
            bySkillCell[skill]?[cell]?.remove(id)
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

    /// Volunteers (listing `skill`, when given) based in the cells around `center`: candidates only;
    /// the caller checks the exact distance.
    public func candidates(near center: Coordinate, radiusKilometres radius: Double, skill: String?) -> [String] {
        let grid: [Cell: Set<String>]
        if let skill {
            guard let perSkill = bySkillCell[skill] else { return [] }
            grid = perSkill
        } else {
            grid = byCell
        }
        let (low, high) = RosterIndex.cellBounds(near: center, radiusKilometres: radius)
        let boxCells = (Int(high.row) - Int(low.row) + 1) * (Int(high.column) - Int(low.column) + 1)
        var out: [String] = []
        if boxCells > grid.count {
            // A huge radius: walking the occupied cells is cheaper than walking the box.
            for (cell, ids) in grid where (low.row...high.row).contains(cell.row) && (low.column...high.column).contains(cell.column) {
                out.append(contentsOf: ids)
            }
        } else {
            for row in low.row...high.row {
                for column in low.column...high.column {
                    if let ids = grid[Cell(row: row, column: column)] { out.append(contentsOf: ids) }
                }
            }
        }
        return out
    }

    /// The index as it should be for `volunteers` (rebuilt from scratch).
    public static func build(_ volunteers: [String: Volunteer]) -> RosterIndex {
        var index = RosterIndex()
        for (id, volunteer) in volunteers { index.insert(id, volunteer.profile) }
        return index
    }
}
