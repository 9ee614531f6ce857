import ReliefCore

/// From a CAP alert to incident requests: pure functions, so the rules are tested without a daemon.
/// The rules are in docs/operations.md "CAP alerts".
extension CAP {
    /// The incident id an alert opens: `cap-` and 16 hex digits of FNV-1a 64 over `sender,identifier`
    /// (CAP 1.2 names a message by sender and identifier). Deterministic, so a repeat or a later
    /// Update or Cancel that references the alert finds its incident without the daemon keeping
    /// anything new.
    public static func incidentID(sender: String, identifier: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(sender),\(identifier)".utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return "cap-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// CAP severity to the daemon's 1..5: Extreme 5, Severe 4, Moderate 3, Minor 2; Unknown 3
    /// (the middle, until someone assesses it).
    public static func severity(_ text: String) -> Int {
        switch text {
        case "Extreme": 5
        case "Severe": 4
        case "Minor": 2
        default: 3
        }
    }

    /// Words of `event` (lower-cased) that name a kind, checked in this order; the first hit wins.
    static let kindWords: [(IncidentKind, [String])] = [
        (.chemical, ["chemical", "hazmat", "hazardous material", "toxic", "gas leak", "radiolog", "nuclear"]),
        (.epidemic, ["epidemic", "pandemic", "outbreak", "disease", "cholera", "measles", "ebola", "influenza"]),
        (.earthquake, ["earthquake", "quake", "seismic", "aftershock"]),
        (.landslide, ["landslide", "mudslide", "mudflow", "debris flow", "rockfall", "rock fall"]),
        (.snow, ["snow", "blizzard", "avalanche", "winter storm", "ice storm"]),
        (.flood, ["flood", "tsunami", "storm surge", "inundation"]),
        (.fire, ["wildfire", "bushfire", "forest fire", "fire"]),
        (.drought, ["drought"]),
        (.storm, ["storm", "cyclone", "hurricane", "typhoon", "tornado", "gale", "wind"]),
    ]

    /// The incident kind: a word of `event` first (kindWords), else the category (Fire fire,
    /// Health epidemic, CBRNE chemical), else other.
    public static func kind(_ info: Info) -> IncidentKind {
        let event = info.event.lowercased()
        for (kind, words) in kindWords where words.contains(where: { event.contains($0) }) { return kind }
        for category in info.categories {
            switch category {
            case "Fire": return .fire
            case "Health": return .epidemic
            case "CBRNE": return .chemical
            default: continue
            }
        }
        return .other
    }

    /// The area-weighted centroid of a ring (shoelace, in the lat/lon plane: alert polygons are
    /// small, and none crosses the antimeridian); the mean of its distinct vertices when the
    /// ring encloses no area (all points on one line).
    public static func centroid(_ ring: [Point]) -> Point {
        var points = ring
        if points.count > 1, points.first == points.last { points.removeLast() }
        guard let origin = points.first else { return Point(latitude: 0, longitude: 0) }
        var twiceArea = 0.0, cx = 0.0, cy = 0.0
        for i in points.indices {
            let a = points[i], b = points[(i + 1) % points.count]
            let (x0, y0) = (a.longitude - origin.longitude, a.latitude - origin.latitude)
            let (x1, y1) = (b.longitude - origin.longitude, b.latitude - origin.latitude)
            let cross = x0 * y1 - x1 * y0
            twiceArea += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        }
        let extent = points.reduce(0.0) { max($0, abs($1.latitude - origin.latitude), abs($1.longitude - origin.longitude)) }
        guard abs(twiceArea) > 1e-12 * max(extent * extent, 1e-300) else {
            let n = Double(points.count)
            return Point(latitude: points.reduce(0) { $0 + $1.latitude } / n, longitude: points.reduce(0) { $0 + $1.longitude } / n)
        }
        let centroid = Point(latitude: origin.latitude + cy / (3 * twiceArea), longitude: origin.longitude + cx / (3 * twiceArea))
        // A ring that crosses itself has lobes of opposite sign: when they nearly cancel, the
        // centroid lies far outside the ring, even past the globe. Then the vertices' mean.
        let latitudes = points.map(\.latitude), longitudes = points.map(\.longitude)
        guard (latitudes.min()!...latitudes.max()!).contains(centroid.latitude),
              (longitudes.min()!...longitudes.max()!).contains(centroid.longitude) else {
            let n = Double(points.count)
            return Point(latitude: latitudes.reduce(0, +) / n, longitude: longitudes.reduce(0, +) / n)
        }
        return centroid
    }

    /// The incident's location: the first shape of the info's areas in document order — a
    /// polygon's centroid or a circle's centre; nil when no area has one.
    public static func location(_ info: Info) -> Point? {
        for area in info.areas {
            switch area.shapes.first {
            case .polygon(let ring): return centroid(ring)
            case .circle(let circle): return circle.centre
            case nil: continue
            }
        }
        return nil
    }

    /// The info block used: the first in English (`language` en or en-*, or none given: CAP's
    /// default is en-US), else the first.
    public static func chosenInfo(_ alert: Alert) -> Info? {
        alert.infos.first { ($0.language ?? "en-US").lowercased().hasPrefix("en") } ?? alert.infos.first
    }

    /// `EVENT — AREADESC; AREADESC`, cut to 200 bytes.
    public static func title(_ info: Info) -> String {
        let areas = info.areas.map(\.description).filter { !$0.isEmpty }
        return cut(areas.isEmpty ? info.event : "\(info.event) — \(areas.joined(separator: "; "))", to: 200)
    }

    /// The timeline note: which message, and what it said; cut to 500 bytes.
    public static func note(_ alert: Alert, _ info: Info?) -> String {
        var text = "CAP \(alert.msgType) (\(alert.status)) \(alert.identifier) from \(alert.sender) sent \(alert.sent)"
        if let info {
            text += ": \(info.event), severity \(info.severity), urgency \(info.urgency), certainty \(info.certainty)"
            if let headline = info.headline, !headline.isEmpty { text += "; \(headline)" }
            let areas = info.areas.map(\.description).filter { !$0.isEmpty }
            if !areas.isEmpty { text += "; area: \(areas.joined(separator: "; "))" }
        }
        if let note = alert.note, !note.isEmpty { text += "; note: \(note)" }
        return cut(text, to: 500)
    }

    static func cut(_ text: String, to bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var out = ""
        for character in text {
            if out.utf8.count + character.utf8.count > bytes - 3 { break }
            out.append(character)
        }
        return out + "…"
    }

    /// `lat,lon` rounded to 5 decimals (about a metre), as `at=` takes it.
    public static func coordinateText(_ point: Point) -> String {
        func decimal(_ value: Double) -> String {
            // Locations are on the globe; anything else is written as Swift writes it, not trapped on.
            guard let scaled = Int64(exactly: (value * 100_000).rounded()) else { return "\(value)" }
            let sign = scaled < 0 ? "-" : ""
            let magnitude = scaled.magnitude
            let fraction = String(magnitude % 100_000)
            return "\(sign)\(magnitude / 100_000).\(String(repeating: "0", count: 5 - fraction.count))\(fraction)"
        }
        return "\(decimal(point.latitude)),\(decimal(point.longitude))"
    }

    /// What one alert does to the daemon's incidents.
    public struct Plan: Sendable, Equatable {
        public let alert: Alert
        public let info: Info?
        /// Incident ids to look for, in order: the referenced alerts' (Update, Cancel), then its own.
        public let candidates: [String]
        /// The id an incident is opened under when none is found: the alert's own for an Alert,
        /// the first referenced alert's for an Update (so later messages that reference the
        /// original find it).
        public let newID: String

        /// Refuses Test, System and Draft alerts (nothing happened), Ack and Error messages (they
        /// answer other messages), an Update or Cancel without references, and an Alert or Update
        /// without an info block.
        public init(_ alert: Alert) throws(Failure) {
            switch alert.status {
            case "Actual", "Exercise": break
            default: throw Failure("a \(alert.status) alert is not imported: only Actual alerts (and Exercise ones, into a drill) open incidents")
            }
            switch alert.msgType {
            case "Alert", "Update", "Cancel": break
            default: throw Failure("a \(alert.msgType) message is not imported: it answers another message and describes no incident")
            }
            if alert.msgType != "Alert" && alert.references.isEmpty {
                throw Failure("missing required element <references>: an \(alert.msgType) must name the alerts it \(alert.msgType == "Cancel" ? "cancels" : "updates")")
            }
            let info = CAP.chosenInfo(alert)
            if alert.msgType != "Cancel" && info == nil { throw Failure("missing required element <info>") }
            let own = CAP.incidentID(sender: alert.sender, identifier: alert.identifier)
            var candidates: [String] = []
            for reference in alert.references {
                let id = CAP.incidentID(sender: reference.sender, identifier: reference.identifier)
                if !candidates.contains(id) { candidates.append(id) }
            }
            if !candidates.contains(own) { candidates.append(own) }
            self.alert = alert
            self.info = info
            self.candidates = candidates
            self.newID = alert.references.first.map { CAP.incidentID(sender: $0.sender, identifier: $0.identifier) } ?? own
        }

        /// The requests to send, as words, given the incident found (its id and status) among
        /// `candidates`, or nil. Opening needs a region (CAP names none) and a location (the
        /// alert's, else `at`).
        public func requests(found: (id: String, status: String)?, region: String?, at: Point?) throws(Failure) -> [[String]] {
            let note = CAP.note(alert, info)
            guard let found else {
                if alert.msgType == "Cancel" {
                    throw Failure("nothing to cancel: no incident was opened from the alerts it references (\(alert.references.map { "\($0.sender),\($0.identifier)" }.joined(separator: " ")))")
                }
                let info = info!
                guard let region else { throw Failure("opening an incident needs --region PATH: a CAP alert names no region of the operation") }
                guard let point = CAP.location(info) ?? at else {
                    throw Failure("the alert has no polygon or circle to place the incident; give --at LAT,LON")
                }
                return [
                    ["incident", "open", newID, "title=\(CAP.title(info))", "kind=\(CAP.kind(info).rawValue)",
                     "at=\(CAP.coordinateText(point))", "region=\(region)", "severity=\(CAP.severity(info.severity))"],
                    ["incident", "update", newID, "note=\(note)"],
                ]
            }
            if found.status == "closed" {
                throw Failure("incident \(found.id) from this alert is closed; a closed incident takes no changes")
            }
            if alert.msgType == "Cancel" {
                if found.status == "open" || found.status == "active" {
                    return [["incident", "status", found.id, "contained", "note=\(note)"]]
                }
                return [["incident", "update", found.id, "note=\(note)"]]
            }
            let info = info!
            return [["incident", "update", found.id, "title=\(CAP.title(info))", "severity=\(CAP.severity(info.severity))", "note=\(note)"]]
        }
    }
}
