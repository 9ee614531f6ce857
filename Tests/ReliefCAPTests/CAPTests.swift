import ReliefCAP
import ReliefCore
import XCTest

/// The CAP 1.2 parser and its mapping to incident requests (reliefctl import cap), on the sample
/// alerts in Fixtures/ and inline ones.
final class CAPTests: XCTestCase {
    static func fixture(_ name: String) throws -> [UInt8] {
        let path = #filePath.split(separator: "/").dropLast().joined(separator: "/")
        let fd = open("/\(path)/Fixtures/\(name)", O_RDONLY)
        guard fd >= 0 else { throw CAP.Failure("no fixture \(name)") }
        defer { close(fd) }
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return bytes }
            bytes += buffer[0..<count]
        }
    }

    func parse(_ name: String) throws -> CAP.Alert { try CAP.parse(try Self.fixture(name)) }

    func refusal(_ bytes: [UInt8]) -> String {
        do { _ = try CAP.parse(bytes); return "parsed" } catch { return error.message }
    }

    func testAnActualAlertWithACircleOpensAFloodIncidentAtTheCentre() throws {
        let alert = try parse("flood-alert.xml")
        XCTAssertEqual(alert.identifier, "CN-SX-2024-0712-001")
        XCTAssertEqual(alert.status, "Actual")
        let plan = try CAP.Plan(alert)
        let id = CAP.incidentID(sender: "warnings@shanxi-hydro.example", identifier: "CN-SX-2024-0712-001")
        XCTAssertEqual(plan.candidates, [id])
        XCTAssertEqual(plan.newID, id)
        let requests = try plan.requests(found: nil, region: "shanxi/taiyuan", at: nil)
        XCTAssertEqual(requests.count, 2)
        XCTAssertEqual(requests[0], ["incident", "open", id, "title=Flash Flood — Xiaodian district", "kind=flood",
                                     "at=37.74000,112.56000", "region=shanxi/taiyuan", "severity=4"])
        XCTAssertEqual(requests[1][0...2], ["incident", "update", id])
        XCTAssertTrue(requests[1][3].hasPrefix("note=CAP Alert (Actual) CN-SX-2024-0712-001 from warnings@shanxi-hydro.example"), requests[1][3])
        XCTAssertThrowsError(try plan.requests(found: nil, region: nil, at: nil)) { error in
            XCTAssertTrue("\(error)".contains("--region"), "\(error)")
        }
        // A repeat of the same alert finds the incident and updates it.
        XCTAssertEqual(try plan.requests(found: (id, "active"), region: nil, at: nil).map { Array($0.prefix(5)) },
                       [["incident", "update", id, "title=Flash Flood — Xiaodian district", "severity=4"]])
    }

    func testIncidentIdsAreDeterministicIdentifiers() {
        let id = CAP.incidentID(sender: "a@example", identifier: "X-1")
        XCTAssertEqual(id, CAP.incidentID(sender: "a@example", identifier: "X-1"))
        XCTAssertNotEqual(id, CAP.incidentID(sender: "b@example", identifier: "X-1"))
        XCTAssertTrue(id.hasPrefix("cap-"))
        XCTAssertEqual(id.count, 20)
        XCTAssertTrue(id.dropFirst(4).allSatisfy { $0.isHexDigit })
    }

    func testAnUpdateWithAPrefixedNamespaceUpdatesTheReferencedAlertsIncident() throws {
        let alert = try parse("flood-update.xml")
        XCTAssertEqual(alert.msgType, "Update")
        XCTAssertEqual(alert.references, [CAP.Reference(sender: "warnings@shanxi-hydro.example", identifier: "CN-SX-2024-0712-001",
                                                        sent: "2024-07-12T06:30:00+08:00")])
        let plan = try CAP.Plan(alert)
        let original = CAP.incidentID(sender: "warnings@shanxi-hydro.example", identifier: "CN-SX-2024-0712-001")
        XCTAssertEqual(plan.candidates.first, original)
        XCTAssertEqual(plan.newID, original, "an Update with nothing found opens under the original's id")
        let requests = try plan.requests(found: (original, "open"), region: nil, at: nil)
        XCTAssertEqual(requests.count, 1)
        XCTAssertEqual(Array(requests[0].prefix(5)), ["incident", "update", original, "title=Flash Flood — Xiaodian and Jinyuan districts", "severity=5"])
        XCTAssertEqual(CAP.location(plan.info!), CAP.Point(latitude: 37.75, longitude: 112.55))
    }

    func testACancelContainsTheIncidentOrOnlyNotesIt() throws {
        let plan = try CAP.Plan(try parse("flood-cancel.xml"))
        let original = CAP.incidentID(sender: "warnings@shanxi-hydro.example", identifier: "CN-SX-2024-0712-001")
        XCTAssertEqual(plan.candidates.count, 3)
        let contain = try plan.requests(found: (original, "active"), region: nil, at: nil)
        XCTAssertEqual(Array(contain[0].prefix(4)), ["incident", "status", original, "contained"])
        XCTAssertTrue(contain[0][4].contains("The river is back within its banks."), contain[0][4])
        let noted = try plan.requests(found: (original, "contained"), region: nil, at: nil)
        XCTAssertEqual(Array(noted[0].prefix(3)), ["incident", "update", original])
        XCTAssertThrowsError(try plan.requests(found: nil, region: "r", at: nil)) { XCTAssertTrue("\($0)".hasPrefix("nothing to cancel"), "\($0)") }
        XCTAssertThrowsError(try plan.requests(found: (original, "closed"), region: nil, at: nil))
    }

    func testAnExerciseAlertParsesAndMapsToAnEarthquake() throws {
        let alert = try parse("quake-exercise.xml")
        XCTAssertEqual(alert.status, "Exercise")
        let plan = try CAP.Plan(alert)
        XCTAssertEqual(CAP.kind(plan.info!), .earthquake)
        XCTAssertEqual(CAP.severity(plan.info!.severity), 5)
    }

    func testTestSystemAndDraftAlertsAndAcksAreRefused() throws {
        var alert = try parse("flood-alert.xml")
        for status in ["Test", "System", "Draft"] {
            alert.status = status
            XCTAssertThrowsError(try CAP.Plan(alert)) { XCTAssertTrue("\($0)".contains("a \(status) alert is not imported"), "\($0)") }
        }
        alert.status = "Actual"
        alert.msgType = "Ack"
        XCTAssertThrowsError(try CAP.Plan(alert))
        alert.msgType = "Update"
        XCTAssertThrowsError(try CAP.Plan(alert)) { XCTAssertTrue("\($0)".contains("<references>"), "\($0)") }
    }

    func testMalformedXMLIsRefused() throws {
        let malformed = refusal(try Self.fixture("malformed.xml"))
        XCTAssertTrue(malformed.hasPrefix("malformed XML near line"), malformed)
        XCTAssertTrue(refusal(Array("not xml at all".utf8)).hasPrefix("malformed XML"))
    }

    func testAMissingRequiredElementIsNamed() throws {
        XCTAssertEqual(refusal(try Self.fixture("missing-severity.xml")), "missing required element <info/severity>")
        let noSender = String(decoding: try Self.fixture("flood-alert.xml"), as: UTF8.self)
            .replacingOccurrences(of: "<sender>warnings@shanxi-hydro.example</sender>", with: "")
        XCTAssertEqual(refusal(Array(noSender.utf8)), "missing required element <sender>")
    }

    func testADoctypeOrEntityIsRefusedBeforeParsing() throws {
        XCTAssertTrue(refusal(try Self.fixture("entity.xml")).contains("declares a DOCTYPE"))
        XCTAssertTrue(refusal(Array("<?xml version=\"1.0\"?><!doctype alert><alert/>".utf8)).contains("DOCTYPE"))
        XCTAssertTrue(refusal(Array("<!ENTITY x \"y\">".utf8)).contains("entity"))
    }

    func testTheWrongNamespaceOrRootIsRefused() throws {
        let old = String(decoding: try Self.fixture("flood-alert.xml"), as: UTF8.self)
            .replacingOccurrences(of: "cap:1.2", with: "cap:1.1")
        XCTAssertTrue(refusal(Array(old.utf8)).hasPrefix("not a CAP 1.2 alert"), refusal(Array(old.utf8)))
        XCTAssertTrue(refusal(Array("<alert><identifier>x</identifier></alert>".utf8)).hasPrefix("not a CAP 1.2 alert"))
    }

    func testAFileThatIsNotUTF8IsRefusedBeforeParsing() throws {
        // A 0xFF byte in the start tag made FoundationXML trap (found by the cap fuzz target).
        var bytes = try Self.fixture("flood-alert.xml")
        let tag = bytes.firstIndex(of: 0x0A)! + 1 + "<alert ".utf8.count
        bytes.insert(0xFF, at: tag)
        XCTAssertEqual(refusal(bytes), "the file is not UTF-8: byte 0xFF at line 2, column 8; CAP alerts are read as UTF-8")
        // A truncated sequence, and a UTF-16 byte order mark; accented text in UTF-8 is fine.
        XCTAssertTrue(refusal(Array("<alert>é".utf8.dropLast())).hasPrefix("the file is not UTF-8: byte 0xC3 at line 1, column 8"))
        XCTAssertTrue(refusal([0xFF, 0xFE, 0x3C, 0x00]).hasPrefix("the file is not UTF-8: byte 0xFF at line 1, column 1"))
        let accented = String(decoding: try Self.fixture("flood-alert.xml"), as: UTF8.self)
            .replacingOccurrences(of: "Xiaodian district", with: "Xiǎodiàn 小店区")
        XCTAssertEqual(try CAP.parse(Array(accented.utf8)).infos.first?.areas.first?.description, "Xiǎodiàn 小店区")
    }

    func testProcessingInstructionsAndOtherEncodingsAreRefusedBeforeParsing() throws {
        // A processing instruction without data made FoundationXML read a null pointer (cap fuzz target).
        XCTAssertEqual(refusal(Array("<?xe?><".utf8)), "a processing instruction (<?) at line 1, column 1; a CAP alert has none but the XML declaration at its start")
        let alert = String(decoding: try Self.fixture("flood-alert.xml"), as: UTF8.self)
        let styled = alert.replacingOccurrences(of: "<alert ", with: "<?xml-stylesheet href=\"cap.xsl\"?>\n<alert ")
        XCTAssertEqual(refusal(Array(styled.utf8)), "a processing instruction (<?) at line 2, column 1; a CAP alert has none but the XML declaration at its start")
        let latin1 = alert.replacingOccurrences(of: "encoding=\"UTF-8\"", with: "encoding = 'ISO-8859-1'")
        XCTAssertEqual(refusal(Array(latin1.utf8)), "the file declares encoding ISO-8859-1; CAP alerts are read as UTF-8")
        XCTAssertEqual(refusal(Array("<?xml version=\"1.0\"".utf8)), "malformed XML near line 1: the XML declaration has no end ?> before the next tag")
        // A declaration cannot swallow an instruction inside it (cap fuzz target).
        XCTAssertEqual(refusal(Array("<?xml <?x-0:00>\n<?m?><alert/>".utf8)), "malformed XML near line 1: the XML declaration has no end ?> before the next tag")
        // `<?xml?>` is no declaration (it has no version) but a processing instruction without data.
        XCTAssertEqual(refusal(Array("<?xml?><alert/>".utf8)), "a processing instruction (<?) at line 1, column 1; a CAP alert has none but the XML declaration at its start")
        // The declaration in single quotes, lower case, after a byte order mark; or none at all.
        let quoted = alert.replacingOccurrences(of: "encoding=\"UTF-8\"", with: "encoding='utf-8'")
        XCTAssertEqual(try CAP.parse([0xEF, 0xBB, 0xBF] + Array(quoted.utf8)).identifier, "CN-SX-2024-0712-001")
        let bare = String(alert[alert.range(of: "<alert ")!.lowerBound...])
        XCTAssertEqual(try CAP.parse(Array(bare.utf8)).identifier, "CN-SX-2024-0712-001")
    }

    func testAFileOverTheSizeLimitIsRefused() {
        let big = [UInt8](repeating: 0x20, count: CAP.maxBytes + 1)
        XCTAssertTrue(refusal(big).contains("at most \(CAP.maxBytes)"))
    }

    func testBadValuesAndShapesAreRefused() throws {
        let text = String(decoding: try Self.fixture("flood-alert.xml"), as: UTF8.self)
        let badSeverity = text.replacingOccurrences(of: "<severity>Severe</severity>", with: "<severity>Awful</severity>")
        XCTAssertTrue(refusal(Array(badSeverity.utf8)).hasPrefix("bad <info/severity> \"Awful\""))
        let badCircle = text.replacingOccurrences(of: "37.74,112.56 10", with: "97.74,112.56 10")
        XCTAssertTrue(refusal(Array(badCircle.utf8)).hasPrefix("bad <circle>"))
    }

    // MARK: centroids

    func p(_ lat: Double, _ lon: Double) -> CAP.Point { CAP.Point(latitude: lat, longitude: lon) }

    func assertClose(_ a: CAP.Point, _ b: CAP.Point, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.latitude, b.latitude, accuracy: 1e-9, file: file, line: line)
        XCTAssertEqual(a.longitude, b.longitude, accuracy: 1e-9, file: file, line: line)
    }

    func testTheCentroidOfASquareIsItsCentre() {
        assertClose(CAP.centroid([p(0, 0), p(0, 2), p(2, 2), p(2, 0), p(0, 0)]), p(1, 1))
    }

    func testTheCentroidIsAreaWeightedNotTheMeanOfVertices() {
        // An L: a 2×1 bar and a 1×1 block on it; many vertices bunched at one corner pull the
        // vertex mean away, not the area centroid.
        let ring = [p(0, 0), p(0, 2), p(1, 2), p(1, 1), p(2, 1), p(2, 0), p(0, 0)]
        // Areas: bar [0,1]x[0,2] (2, centre 0.5,1), block [1,2]x[0,1] (1, centre 1.5,0.5).
        assertClose(CAP.centroid(ring), p((2 * 0.5 + 1 * 1.5) / 3, (2 * 1 + 1 * 0.5) / 3))
        // Clockwise or counter-clockwise: the same point.
        assertClose(CAP.centroid(ring.reversed()), CAP.centroid(ring))
        // A triangle: the mean of its corners.
        assertClose(CAP.centroid([p(37, 112), p(37, 113), p(38, 112), p(37, 112)]), p(37 + 1.0 / 3, 112 + 1.0 / 3))
    }

    func testADegeneratePolygonFallsBackToTheMeanOfItsVertices() {
        assertClose(CAP.centroid([p(0, 0), p(1, 1), p(2, 2), p(0, 0)]), p(1, 1))
        assertClose(CAP.centroid([p(5, 5), p(5, 5), p(5, 5), p(5, 5)]), p(5, 5))
    }

    func testARingThatCrossesItselfIsPlacedWithinItsBoundsAndWritesAsACoordinate() {
        // A bow tie whose two lobes almost cancel: the signed-area centroid lies 33 million
        // degrees away (found by the cap fuzz target); closer still, at= could not be written.
        for gap in [0.000001, 1e-12] {
            let ring = [p(0, 0), p(10, 10), p(10, 0), p(0, 10 + gap), p(0, 0)]
            assertClose(CAP.centroid(ring), p(5, 5 + gap / 4))
            XCTAssertEqual(CAP.coordinateText(CAP.centroid(ring)), "5.00000,5.00000")
        }
        // A plain bow tie with equal lobes has no area: the vertices' mean as before.
        assertClose(CAP.centroid([p(0, 0), p(10, 10), p(10, 0), p(0, 10), p(0, 0)]), p(5, 5))
        // coordinateText writes what it cannot round to 5 decimals instead of trapping.
        XCTAssertEqual(CAP.coordinateText(p(1e20, -1)), "1e+20,-1.00000")
    }

    func testTheFirstShapeInDocumentOrderPlacesTheIncident() {
        var info = CAP.Info()
        info.areas = [CAP.Area(description: "nothing drawn"),
                      CAP.Area(description: "a", shapes: [.circle(CAP.Circle(centre: p(1, 2), radiusKilometres: 5)),
                                                          .polygon([p(0, 0), p(0, 2), p(2, 2), p(2, 0), p(0, 0)])]),
                      CAP.Area(description: "b", shapes: [.polygon([p(10, 10), p(10, 12), p(12, 12), p(12, 10), p(10, 10)])])]
        XCTAssertEqual(CAP.location(info), p(1, 2))
        info.areas.removeFirst(2)
        assertClose(CAP.location(info)!, p(11, 11))
        info.areas = []
        XCTAssertNil(CAP.location(info))
    }

    // MARK: mapping

    func testKindsComeFromTheEventThenTheCategory() {
        func kind(_ event: String, _ categories: [String] = ["Met"]) -> IncidentKind {
            var info = CAP.Info(); info.event = event; info.categories = categories
            return CAP.kind(info)
        }
        XCTAssertEqual(kind("Flash Flood Warning"), .flood)
        XCTAssertEqual(kind("Tsunami Warning", ["Geo"]), .flood)
        XCTAssertEqual(kind("Winter Storm Warning"), .snow)
        XCTAssertEqual(kind("Tropical Cyclone"), .storm)
        XCTAssertEqual(kind("Storm Surge"), .flood)
        XCTAssertEqual(kind("Red Flag Warning", ["Fire"]), .fire)
        XCTAssertEqual(kind("Cholera outbreak", ["Health"]), .epidemic)
        XCTAssertEqual(kind("Public health emergency", ["Health"]), .epidemic)
        XCTAssertEqual(kind("Ammonia release", ["CBRNE"]), .chemical)
        XCTAssertEqual(kind("Debris flow", ["Geo"]), .landslide)
        XCTAssertEqual(kind("Heat advisory"), .other)
        XCTAssertEqual(kind("Drought Warning"), .drought)
    }

    func testSeveritiesMapOntoOneToFive() {
        XCTAssertEqual(["Extreme", "Severe", "Moderate", "Minor", "Unknown"].map(CAP.severity), [5, 4, 3, 2, 3])
    }

    func testTitlesAndNotesAreCutToWhatTheDaemonTakes() {
        var info = CAP.Info(); info.event = "Flood"
        info.areas = [CAP.Area(description: String(repeating: "长", count: 100))]
        let title = CAP.title(info)
        XCTAssertLessThanOrEqual(title.utf8.count, 200)
        XCTAssertTrue(title.hasSuffix("…"))
        XCTAssertEqual(CAP.coordinateText(p(-0.000004, 12.3456789)), "0.00000,12.34568")
        XCTAssertEqual(CAP.coordinateText(p(-33.5, -70.25)), "-33.50000,-70.25000")
    }
}
