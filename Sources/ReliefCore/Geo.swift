#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point on the Earth in decimal degrees (WGS 84).
public struct Coordinate: Sendable, Hashable, Codable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// Parses `lat,lon` with latitude in [-90, 90] and longitude in [-180, 180].
    public init?(parsing text: String) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let lat = Double(parts[0]), let lon = Double(parts[1]),
              lat.isFinite, lon.isFinite, (-90...90).contains(lat), (-180...180).contains(lon) else { return nil }
        self.init(latitude: lat, longitude: lon)
    }

    public var text: String { "\(latitude),\(longitude)" }

    /// Great-circle distance in kilometres (haversine, mean Earth radius 6371.0088 km).
    public func distanceKilometres(to other: Coordinate) -> Double {
        let radians = Double.pi / 180
        let dLat = (other.latitude - latitude) * radians
        let dLon = (other.longitude - longitude) * radians
        let a = sin(dLat / 2) * sin(dLat / 2)
            + cos(latitude * radians) * cos(other.latitude * radians) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * 6371.0088 * asin(min(1, sqrt(a)))
    }
}

/// Parses a radius such as `150km`, `800m` or a bare number of kilometres.
public func parseRadiusKilometres(_ text: String) -> Double? {
    let value: Double?
    if text.hasSuffix("km") { value = Double(text.dropLast(2)) }
    else if text.hasSuffix("m") { value = Double(text.dropLast()).map { $0 / 1000 } }
    else { value = Double(text) }
    guard let radius = value, radius.isFinite, radius >= 0, radius <= 40_100 else { return nil }
    return radius
}
