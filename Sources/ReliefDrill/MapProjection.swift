#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An equirectangular projection of the bounding box of some places, with a margin, filling
/// `maxWidth` × `maxHeight` user units (less only where the box meets a pole) with its top-left
/// corner at (`left`, `top`). One
/// degree of latitude is `pixelsPerDegree` units; one degree of longitude that times the cosine of
/// the box's middle latitude.
struct MapProjection {
    let latitudeLow: Double
    let latitudeHigh: Double
    let longitudeLow: Double
    let longitudeHigh: Double
    let pixelsPerDegree: Double
    let longitudeFactor: Double
    let left: Double
    let top: Double
    let right: Double
    let bottom: Double

    /// `places` are (latitude, longitude) pairs, at least one. A single place, or places in a
    /// line, still get a box about 50 km across so the map has room for labels.
    init(_ places: [(Double, Double)], maxWidth: Double, maxHeight: Double, left: Double, top: Double) {
        var south = places.map(\.0).min()!, north = places.map(\.0).max()!
        var west = places.map(\.1).min()!, east = places.map(\.1).max()!
        let middle = (south + north) / 2
        let factor = max(cos(middle * Double.pi / 180), 0.05)
        let minimumSpan = 0.45
        if north - south < minimumSpan { south = middle - minimumSpan / 2; north = middle + minimumSpan / 2 }
        if (east - west) * factor < minimumSpan {
            let centre = (east + west) / 2
            west = centre - minimumSpan / factor / 2; east = centre + minimumSpan / factor / 2
        }
        // A tenth of the span on every side keeps markers off the frame.
        var latitudeMargin = (north - south) * 0.1, longitudeMargin = (east - west) * 0.1
        // Then the box grows to the frame's shape, so a province taller than wide still fills the
        // frame's width, and labels have room beside the outermost places.
        let height = north - south + 2 * latitudeMargin, width = (east - west + 2 * longitudeMargin) * factor
        if width / height < maxWidth / maxHeight {
            longitudeMargin += (height * maxWidth / maxHeight - width) / factor / 2
        } else {
            latitudeMargin += (width * maxHeight / maxWidth - height) / 2
        }
        latitudeLow = max(-90, south - latitudeMargin); latitudeHigh = min(90, north + latitudeMargin)
        longitudeLow = west - longitudeMargin; longitudeHigh = east + longitudeMargin
        longitudeFactor = factor
        pixelsPerDegree = min(maxWidth / ((longitudeHigh - longitudeLow) * factor), maxHeight / (latitudeHigh - latitudeLow))
        self.left = left
        self.top = top
        right = left + (longitudeHigh - longitudeLow) * factor * pixelsPerDegree
        bottom = top + (latitudeHigh - latitudeLow) * pixelsPerDegree
    }

    func callAsFunction(_ latitude: Double, _ longitude: Double) -> (Double, Double) {
        (left + (longitude - longitudeLow) * longitudeFactor * pixelsPerDegree, top + (latitudeHigh - latitude) * pixelsPerDegree)
    }

    /// Graticule lines every half, one, two, five or ten degrees: a handful across the box.
    var graticuleStep: Double {
        let span = max(latitudeHigh - latitudeLow, longitudeHigh - longitudeLow)
        return [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30].first { span / $0 <= 10 } ?? 30
    }
}
