import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An OASIS CAP 1.2 alert (docs.oasis-open.org/emergency/cap/v1.2), as far as reliefd uses one:
/// `reliefctl import cap FILE.xml` opens or updates an incident from it (docs/operations.md "CAP").
public enum CAP {
    public static let namespace = "urn:oasis:names:tc:emergency:cap:1.2"
    /// A CAP file larger than this is refused before it is parsed (real alerts are a few KiB).
    public static let maxBytes = 1 << 20

    public struct Point: Sendable, Equatable {
        public var latitude: Double
        public var longitude: Double
        public init(latitude: Double, longitude: Double) { self.latitude = latitude; self.longitude = longitude }
    }

    public struct Circle: Sendable, Equatable {
        public var centre: Point
        public var radiusKilometres: Double
        public init(centre: Point, radiusKilometres: Double) { self.centre = centre; self.radiusKilometres = radiusKilometres }
    }

    public struct Area: Sendable, Equatable {
        public var description: String
        /// Polygons (each closed ring as written, first pair repeated last) and circles, in
        /// document order, as the location rule reads them.
        public var shapes: [Shape]
        public init(description: String, shapes: [Shape] = []) { self.description = description; self.shapes = shapes }
    }

    public enum Shape: Sendable, Equatable {
        case polygon([Point])
        case circle(Circle)
    }

    public struct Info: Sendable, Equatable {
        public var language: String?
        public var categories: [String] = []
        public var event = ""
        public var urgency = ""
        public var severity = ""
        public var certainty = ""
        public var headline: String?
        public var areas: [Area] = []
        public init() {}
    }

    /// One entry of `<references>`: an earlier alert, `sender,identifier,sent`.
    public struct Reference: Sendable, Equatable {
        public var sender: String
        public var identifier: String
        public var sent: String
        public init(sender: String, identifier: String, sent: String) { self.sender = sender; self.identifier = identifier; self.sent = sent }
    }

    public struct Alert: Sendable, Equatable {
        public var identifier = ""
        public var sender = ""
        public var sent = ""
        public var status = ""
        public var msgType = ""
        public var scope = ""
        public var note: String?
        public var references: [Reference] = []
        public var infos: [Info] = []
        public init() {}
    }

    /// Why a file is not an alert reliefd takes; the message names the element or the problem.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    public static let statuses = ["Actual", "Exercise", "System", "Test", "Draft"]
    public static let msgTypes = ["Alert", "Update", "Cancel", "Ack", "Error"]
    public static let scopes = ["Public", "Restricted", "Private"]
    public static let categories = ["Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"]
    public static let urgencies = ["Immediate", "Expected", "Future", "Past", "Unknown"]
    public static let severities = ["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
    public static let certainties = ["Observed", "Likely", "Possible", "Unlikely", "Unknown"]

    /// Parses and checks a CAP 1.2 alert. Refused: more than `maxBytes`, bytes that are not
    /// UTF-8, an XML declaration of another encoding, a processing instruction, a DOCTYPE or
    /// entity declaration (no DTD is processed and no external entity is resolved), malformed XML,
    /// a root other than `alert` in the CAP 1.2 namespace, a missing required element, a value
    /// outside CAP's lists, and a `polygon` or `circle` that does not parse.
    public static func parse(_ bytes: [UInt8]) throws(Failure) -> Alert {
        try screen(bytes)
        let collector = Collector()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = collector
        let parsed = parser.parse()
        if let failure = collector.failure { throw failure }
        // libxml2 may recover from some errors and parse() still say yes: any error refuses.
        guard parsed, parser.parserError == nil, collector.xmlError == nil else {
            let line = parser.lineNumber
            let detail = collector.xmlError ?? parser.parserError.map { "\($0.localizedDescription)" } ?? "parse error"
            throw Failure("malformed XML near line \(line): \(detail)")
        }
        guard collector.sawRoot else { throw Failure("no alert element") }
        return try check(collector.alert)
    }

    /// What is refused before XMLParser sees the file. FoundationXML's callbacks trap on input
    /// libxml2 passes on: a name that is not UTF-8 (a 0xFF byte in a start tag) and a processing
    /// instruction without data (`<?x?>`), both found by the cap fuzz target. A CAP alert needs
    /// neither, nor another encoding, a DTD or an entity.
    static func screen(_ bytes: [UInt8]) throws(Failure) {
        guard bytes.count <= maxBytes else { throw Failure("the file has \(bytes.count) bytes; a CAP alert may have at most \(maxBytes)") }
        func position(_ offset: Int) -> String {
            let line = bytes[..<offset].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            let column = offset - (bytes[..<offset].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
            return "line \(line), column \(column)"
        }
        if let offset = firstInvalidUTF8(bytes) {
            throw Failure("the file is not UTF-8: byte 0x\(String(bytes[offset], radix: 16, uppercase: true)) at \(position(offset)); CAP alerts are read as UTF-8")
        }
        if let declaration = declaration(in: bytes) {
            throw Failure("the file declares \(declaration); a CAP alert needs no DTD, and none is processed")
        }
        // The XML declaration may open the file (after a UTF-8 byte order mark); no other `<?`.
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var searchFrom = 0
        if bytes[start...].starts(with: Array("<?xml".utf8)), bytes.count > start + 5,
           [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start + 5]) {
            // Its end: the first `?>`, with no `<` or `>` before it (else the "declaration" would
            // swallow the instructions inside it).
            guard let end = find([0x3F, 0x3E], in: bytes, from: start + 5),
                  !bytes[(start + 5)..<end].contains(where: { $0 == 0x3C || $0 == 0x3E }) else {
                throw Failure("malformed XML near line 1: the XML declaration has no end ?> before the next tag")
            }
            if let encoding = encodingName(String(decoding: bytes[(start + 5)..<end], as: UTF8.self)),
               !["utf-8", "utf8"].contains(encoding.lowercased()) {
                throw Failure("the file declares encoding \(encoding); CAP alerts are read as UTF-8")
            }
            searchFrom = end + 2
        }
        if let offset = find([0x3C, 0x3F], in: bytes, from: searchFrom) {
            throw Failure("a processing instruction (<?) at \(position(offset)); a CAP alert has none but the XML declaration at its start")
        }
    }

    /// The first offset at or after `from` where `pattern` starts, or nil.
    static func find(_ pattern: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard bytes.count >= pattern.count, from <= bytes.count - pattern.count else { return nil }
        for start in from...(bytes.count - pattern.count) where bytes[start] == pattern[0] {
            if pattern.indices.allSatisfy({ bytes[start + $0] == pattern[$0] }) { return start }
        }
        return nil
    }

    /// The value of `encoding="…"` (or '…') in an XML declaration's text, or nil.
    static func encodingName(_ declaration: String) -> String? {
        guard let key = declaration.range(of: "encoding") else { return nil }
        let rest = declaration[key.upperBound...].drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard rest.first == "=" else { return nil }
        let value = rest.dropFirst().drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let quote = value.first, quote == "\"" || quote == "'" else { return nil }
        return String(value.dropFirst().prefix { $0 != quote })
    }

    /// The offset of the first byte that does not belong to a valid UTF-8 sequence, or nil.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// `<!DOCTYPE` or `<!ENTITY` anywhere (ASCII case ignored): refused before parsing.
    static func declaration(in bytes: [UInt8]) -> String? {
        func lower(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }
        for (word, name) in [("<!doctype", "a DOCTYPE"), ("<!entity", "an entity")] {
            let pattern = Array(word.utf8)
            guard bytes.count >= pattern.count else { continue }
            for start in 0...(bytes.count - pattern.count) where bytes[start] == 0x3C {
                if pattern.indices.allSatisfy({ lower(bytes[start + $0]) == pattern[$0] }) { return name }
            }
        }
        return nil
    }

    static func check(_ alert: Alert) throws(Failure) -> Alert {
        func need(_ value: String, _ name: String) throws(Failure) {
            if value.isEmpty { throw Failure("missing required element <\(name)>") }
        }
        func oneOf(_ value: String, _ name: String, _ allowed: [String]) throws(Failure) {
            guard allowed.contains(value) else {
                throw Failure("bad <\(name)> \"\(value)\"; expected one of \(allowed.joined(separator: ", "))")
            }
        }
        try need(alert.identifier, "identifier")
        try need(alert.sender, "sender")
        try need(alert.sent, "sent")
        try need(alert.status, "status")
        try need(alert.msgType, "msgType")
        try need(alert.scope, "scope")
        try oneOf(alert.status, "status", statuses)
        try oneOf(alert.msgType, "msgType", msgTypes)
        try oneOf(alert.scope, "scope", scopes)
        for (index, info) in alert.infos.enumerated() {
            let at = alert.infos.count == 1 ? "info" : "info[\(index + 1)]"
            guard !info.categories.isEmpty else { throw Failure("missing required element <\(at)/category>") }
            for category in info.categories { try oneOf(category, "\(at)/category", categories) }
            try need(info.event, "\(at)/event")
            try need(info.urgency, "\(at)/urgency")
            try need(info.severity, "\(at)/severity")
            try need(info.certainty, "\(at)/certainty")
            try oneOf(info.urgency, "\(at)/urgency", urgencies)
            try oneOf(info.severity, "\(at)/severity", severities)
            try oneOf(info.certainty, "\(at)/certainty", certainties)
            for area in info.areas where area.description.isEmpty {
                throw Failure("missing required element <\(at)/area/areaDesc>")
            }
        }
        return alert
    }

    /// `lat,lon lat,lon …`: a closed ring of at least four pairs (CAP 1.2 3.2.4).
    public static func parsePolygon(_ text: String) -> [Point]? {
        let pairs = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        var points: [Point] = []
        for pair in pairs {
            guard let point = parsePoint(Substring(pair)) else { return nil }
            points.append(point)
        }
        guard points.count >= 4, points.first == points.last else { return nil }
        return points
    }

    /// `lat,lon radius` with the radius in kilometres (CAP 1.2 3.2.4).
    public static func parseCircle(_ text: String) -> Circle? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        guard parts.count == 2, let centre = parsePoint(parts[0]), let radius = Double(parts[1]), radius.isFinite, radius >= 0 else { return nil }
        return Circle(centre: centre, radiusKilometres: radius)
    }

    public static func parsePoint(_ text: Substring) -> Point? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let lat = Double(parts[0]), let lon = Double(parts[1]),
              lat.isFinite, lon.isFinite, (-90...90).contains(lat), (-180...180).contains(lon) else { return nil }
        return Point(latitude: lat, longitude: lon)
    }
}

/// The XMLParser delegate: keeps the text of the CAP elements reliefd reads, by their path.
/// Elements of other namespaces are skipped (with everything inside them).
final class Collector: NSObject, XMLParserDelegate {
    var alert = CAP.Alert()
    var failure: CAP.Failure?
    var sawRoot = false
    /// The first error libxml2 reported (its code: NSXMLParserErrorDomain's numbering).
    var xmlError: String?
    private var path: [String] = []
    private var foreignDepth = 0
    private var text = ""
    private var info: CAP.Info?
    private var area: CAP.Area?

    private func fail(_ parser: XMLParser, _ message: String) {
        if failure == nil { failure = CAP.Failure(message) }
        parser.abortParsing()
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        if path.isEmpty && foreignDepth == 0 && !sawRoot {
            sawRoot = true
            guard namespaceURI == CAP.namespace, elementName == "alert" else {
                let ns = namespaceURI.map { $0.isEmpty ? "no namespace" : $0 } ?? "no namespace"
                return fail(parser, "not a CAP 1.2 alert: the root is <\(elementName)> in \(ns); expected <alert> in \(CAP.namespace)")
            }
        }
        if foreignDepth > 0 || namespaceURI != CAP.namespace {
            foreignDepth += 1
            return
        }
        path.append(elementName)
        text = ""
        switch path {
        case ["alert", "info"]: info = CAP.Info()
        case ["alert", "info", "area"]: area = CAP.Area(description: "")
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if foreignDepth == 0 { text += string }
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        if foreignDepth == 0 { text += String(decoding: CDATABlock, as: UTF8.self) }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        if foreignDepth > 0 { foreignDepth -= 1; return }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        text = ""
        defer { path.removeLast() }
        switch path {
        case ["alert", "identifier"]: alert.identifier = value
        case ["alert", "sender"]: alert.sender = value
        case ["alert", "sent"]: alert.sent = value
        case ["alert", "status"]: alert.status = value
        case ["alert", "msgType"]: alert.msgType = value
        case ["alert", "scope"]: alert.scope = value
        case ["alert", "note"]: alert.note = value
        case ["alert", "references"]:
            for entry in value.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) {
                let parts = entry.split(separator: ",", omittingEmptySubsequences: false)
                guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
                    return fail(parser, "bad <references> entry \"\(entry)\"; expected sender,identifier,sent")
                }
                alert.references.append(CAP.Reference(sender: String(parts[0]), identifier: String(parts[1]), sent: String(parts[2])))
            }
        case ["alert", "info", "language"]: info?.language = value
        case ["alert", "info", "category"]: info?.categories.append(value)
        case ["alert", "info", "event"]: info?.event = value
        case ["alert", "info", "urgency"]: info?.urgency = value
        case ["alert", "info", "severity"]: info?.severity = value
        case ["alert", "info", "certainty"]: info?.certainty = value
        case ["alert", "info", "headline"]: info?.headline = value
        case ["alert", "info", "area", "areaDesc"]: area?.description = value
        case ["alert", "info", "area", "polygon"]:
            guard let ring = CAP.parsePolygon(value) else {
                return fail(parser, "bad <polygon> \"\(value.prefix(80))\"; expected at least four lat,lon pairs, the first repeated last")
            }
            area?.shapes.append(.polygon(ring))
        case ["alert", "info", "area", "circle"]:
            guard let circle = CAP.parseCircle(value) else {
                return fail(parser, "bad <circle> \"\(value.prefix(80))\"; expected lat,lon radius (kilometres)")
            }
            area?.shapes.append(.circle(circle))
        case ["alert", "info", "area"]:
            if let area { info?.areas.append(area) }
            area = nil
        case ["alert", "info"]:
            if let info { alert.infos.append(info) }
            info = nil
        default: break
        }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        if xmlError == nil { xmlError = "XML error \((parseError as NSError).code)" }
    }

    func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
        fail(parser, "the file declares an entity; a CAP alert needs no DTD, and none is processed")
    }

    func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?, systemID: String?) {
        fail(parser, "the file declares an entity; a CAP alert needs no DTD, and none is processed")
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        fail(parser, "the file refers to an external entity; none is resolved")
        return nil
    }
}
