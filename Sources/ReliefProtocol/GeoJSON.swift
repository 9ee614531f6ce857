/// GeoJSON (RFC 7946) of a listing: every row with `at=LAT,LON` (as warehouse, incident, team and
/// volunteer listings give it) is a Point feature — longitude first, as GeoJSON orders it — whose
/// properties are the row's other fields, typed as all of reliefd's JSON is (TypedJSON: numbers,
/// flags, null for an empty number, strings otherwise). A row without a readable `at` is a feature
/// with a null geometry, so nothing listed is lost. QGIS, uMap and Leaflet open the result as is.
public enum GeoJSON {
    public static func featureCollection(_ rows: [Fields], dropping dropped: Set<String> = []) -> String {
        var out = "{\"type\":\"FeatureCollection\",\"features\":["
        for (index, row) in rows.enumerated() {
            if index > 0 { out += "," }
            out += "{\"type\":\"Feature\",\"geometry\":"
            if let at = row["at"], let point = point(at) {
                out += "{\"type\":\"Point\",\"coordinates\":[\(point.longitude),\(point.latitude)]}"
            } else {
                out += "null"
            }
            out += ",\"properties\":{"
            var first = true
            for pair in row.pairs where pair.key != "at" && !dropped.contains(pair.key) {
                if !first { out += "," }
                first = false
                var member: [UInt8] = []
                TypedJSON.appendMember(pair.key, pair.value, into: &member)
                out += String(decoding: member, as: UTF8.self)
            }
            out += "}}"
        }
        return out + "]}\n"
    }

    /// `LAT,LON` in degrees, within range; nil otherwise.
    static func point(_ text: String) -> (latitude: Double, longitude: Double)? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let latitude = Double(parts[0]), let longitude = Double(parts[1]),
              (-90...90).contains(latitude), (-180...180).contains(longitude) else { return nil }
        return (latitude, longitude)
    }

    static func string(_ text: String) -> String { JSONText.string(text) }
}
