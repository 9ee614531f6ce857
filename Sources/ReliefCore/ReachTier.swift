/// How far a plan may look for supplies and people for a need, in the tiers of the administrative
/// hierarchy regions are named in (`province/city/county`): the incident's own county, its city,
/// its province, or anywhere. Tiers only widen: `city` includes the county, `province` the city.
/// Cost still grows with distance inside a tier (travel and region-crossing costs); the tier says
/// where the search stops, not what it prefers.
public enum ReachTier: Int, Sendable, Comparable, CaseIterable {
    case county = 0, city, province, country

    public var name: String {
        switch self {
        case .county: "county"
        case .city: "city"
        case .province: "province"
        case .country: "country"
        }
    }

    public init?(name: String) {
        guard let tier = ReachTier.allCases.first(where: { $0.name == name }) else { return nil }
        self = tier
    }

    public static let names = ReachTier.allCases.map(\.name).joined(separator: ", ")

    public static func < (a: ReachTier, b: ReachTier) -> Bool { a.rawValue < b.rawValue }

    /// The next tier out (the widest stays as it is).
    public var wider: ReachTier { ReachTier(rawValue: rawValue + 1) ?? .country }

    /// The narrowest tier that holds both regions: a source in region `from` is within reach of an
    /// incident in region `to` when this is at most the need's reach. Counted on the path parts the
    /// two share: three or more (or the same region) is `county`; two, `city`; one, `province`; none,
    /// `country`. So a city-level depot (`zj/taizhou`) is `city` from a county of its city, and a
    /// provincial depot (`zj`) is `province` from every incident of the province.
    public static func between(_ from: String, _ to: String) -> ReachTier {
        if from == to { return .county }
        var a = from.utf8.makeIterator(), b = to.utf8.makeIterator()
        var shared = 0
        while true {
            let x = a.next(), y = b.next()
            if x != y {
                // A part ends where the other string ends or has a slash too.
                if (x == nil && y == 0x2F) || (y == nil && x == 0x2F) { shared += 1 }
                break
            }
            guard let byte = x else { shared += 1; break }
            if byte == 0x2F { shared += 1 }
        }
        switch shared {
        case 0: return .country
        case 1: return .province
        case 2: return .city
        default: return .county
        }
    }
}
