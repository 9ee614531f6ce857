// Target `cap`: CAP 1.2 alerts as `reliefctl import cap` reads them (ReliefCAP): CAP.parse, then
// CAP.Plan and the requests it would send for each incident it might find.
//
// Checked, besides "does not crash":
// - a refusal (parse or plan) says what is wrong;
// - an accepted alert has CAP's required elements, each coded value within CAP's lists, and every
//   shape's points on the globe (latitude -90...90, longitude -180...180, a circle's radius ≥ 0);
// - the incident's location lies within the shape it came from — a circle's centre, or a point in
//   the bounding box of a polygon (the centroid of a ring that crosses itself may lie anywhere,
//   even past the globe) — and its `at=` text reads back within 0.00001 degrees;
// - incident ids are `cap-` and 16 hex digits; titles stay within 200 bytes and notes within 500;
// - every request, built as reliefctl builds it (RequestLine: TextEncoder.quoteArgument), parses
//   (RequestParser) to the same words and options: no text of an alert adds or drops a word.

import Foundation
import ReliefCAP
import ReliefProtocol

enum CAPFuzz {
    static let target = FuzzTarget(name: "cap", summary: "CAP 1.2 alerts (reliefctl import cap): parse, plan and the requests sent",
                                   maxLength: 16_384) { bytes in run(Array(bytes)) }

    static func run(_ input: [UInt8]) {
        let alert: CAP.Alert
        do {
            alert = try CAP.parse(input)
        } catch {
            if error.message.isEmpty { Fuzz.fail("a refusal without a message", input) }
            return
        }
        checkAlert(alert, input)
        let plan: CAP.Plan
        do {
            plan = try CAP.Plan(alert)
        } catch {
            if error.message.isEmpty { Fuzz.fail("a plan refused without a message", input) }
            return
        }
        for id in plan.candidates + [plan.newID] where !isIncidentID(id) { Fuzz.fail("incident id \(id)", input) }
        if let info = plan.info, let point = CAP.location(info) { checkLocation(point, info, input) }
        let fallback = CAP.Point(latitude: 22.5, longitude: 114.1)
        for found in [nil, ("cap-0000000000000001", "open"), ("cap-0000000000000001", "monitoring"), ("cap-0000000000000001", "closed")] as [(id: String, status: String)?] {
            for (region, at) in [("gd/sz", nil), ("gd/sz", fallback), (nil, fallback)] as [(String?, CAP.Point?)] {
                guard let requests = try? plan.requests(found: found, region: region, at: at) else { continue }
                if requests.isEmpty { Fuzz.fail("an accepted plan sends no request", input) }
                for words in requests { checkRequest(words, input) }
            }
        }
    }

    static func checkAlert(_ alert: CAP.Alert, _ input: [UInt8]) {
        for (value, name) in [(alert.identifier, "identifier"), (alert.sender, "sender"), (alert.sent, "sent")] where value.isEmpty {
            Fuzz.fail("an alert without \(name) was accepted", input)
        }
        if !CAP.statuses.contains(alert.status) { Fuzz.fail("status \(alert.status) was accepted", input) }
        if !CAP.msgTypes.contains(alert.msgType) { Fuzz.fail("msgType \(alert.msgType) was accepted", input) }
        if !CAP.scopes.contains(alert.scope) { Fuzz.fail("scope \(alert.scope) was accepted", input) }
        for info in alert.infos {
            if info.event.isEmpty { Fuzz.fail("an info without event was accepted", input) }
            if info.categories.isEmpty || !info.categories.allSatisfy(CAP.categories.contains) {
                Fuzz.fail("categories \(info.categories) were accepted", input)
            }
            if !CAP.urgencies.contains(info.urgency) { Fuzz.fail("urgency \(info.urgency) was accepted", input) }
            if !CAP.severities.contains(info.severity) { Fuzz.fail("severity \(info.severity) was accepted", input) }
            if !CAP.certainties.contains(info.certainty) { Fuzz.fail("certainty \(info.certainty) was accepted", input) }
            for area in info.areas {
                for shape in area.shapes {
                    switch shape {
                    case .polygon(let ring):
                        if ring.count < 4 || ring.first != ring.last { Fuzz.fail("an open ring of \(ring.count) points was accepted", input) }
                        for point in ring where !onGlobe(point) { Fuzz.fail("polygon point \(point) was accepted", input) }
                    case .circle(let circle):
                        if !onGlobe(circle.centre) || !(circle.radiusKilometres >= 0) || !circle.radiusKilometres.isFinite {
                            Fuzz.fail("circle \(circle) was accepted", input)
                        }
                    }
                }
            }
        }
    }

    static func onGlobe(_ point: CAP.Point) -> Bool {
        (-90...90).contains(point.latitude) && (-180...180).contains(point.longitude)
    }

    static func isIncidentID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        return bytes.count == 20 && id.hasPrefix("cap-") && bytes[4...].allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The location lies within its shape's bounds, and `at=` writes it so it reads back.
    static func checkLocation(_ point: CAP.Point, _ info: CAP.Info, _ input: [UInt8]) {
        guard let shape = info.areas.lazy.compactMap(\.shapes.first).first else {
            Fuzz.fail("a location \(point) without a shape", input)
        }
        switch shape {
        case .circle(let circle):
            if point != circle.centre { Fuzz.fail("location \(point) is not the circle's centre \(circle.centre)", input) }
        case .polygon(let ring):
            let latitudes = ring.map(\.latitude), longitudes = ring.map(\.longitude)
            if !(latitudes.min()!...latitudes.max()!).contains(point.latitude) || !(longitudes.min()!...longitudes.max()!).contains(point.longitude) {
                Fuzz.fail("location \(point) lies outside its polygon's bounds \(ring)", input)
            }
        }
        let text = CAP.coordinateText(point)
        let parts = text.split(separator: ",")
        guard parts.count == 2, let latitude = Double(parts[0]), let longitude = Double(parts[1]),
              abs(latitude - point.latitude) <= 0.000_005_000_1, abs(longitude - point.longitude) <= 0.000_005_000_1 else {
            Fuzz.fail("location \(point) is written as at=\(text)", input)
        }
    }

    /// A request built as reliefctl builds it parses to the same words and options, and its title
    /// and note stay within their lengths.
    static func checkRequest(_ words: [String], _ input: [UInt8]) {
        let line = words.map(TextEncoder.quoteArgument).joined(separator: " ")
        // The encoder writes control characters other than tab, CR and LF as spaces.
        func clean(_ text: Substring) -> String {
            String(decoding: text.utf8.map { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D) || $0 == 0x7F ? 0x20 : $0 }, as: UTF8.self)
        }
        var expectedWords: [String] = [], expectedOptions: [Request.Option] = []
        for word in words {
            if let equals = word.firstIndex(of: "="), word.startIndex != equals {
                let key = String(word[..<equals]), value = word[word.index(after: equals)...]
                if key == "title" && value.utf8.count > 200 { Fuzz.fail("a title of \(value.utf8.count) bytes", input) }
                if key == "note" && value.utf8.count > 500 { Fuzz.fail("a note of \(value.utf8.count) bytes", input) }
                expectedOptions.append(Request.Option(key: key, value: clean(value)))
            } else {
                expectedWords.append(clean(Substring(word)))
            }
        }
        switch RequestParser.parse(line) {
        case .success(let request):
            if request != Request(words: expectedWords, options: expectedOptions) {
                Fuzz.fail("request \(words) is sent as \(line), which reads as \(request)", input)
            }
        case .failure(let error):
            Fuzz.fail("request \(words) is sent as \(line), which does not parse: \(error.message)", input)
        }
    }
}
