import Foundation
import XCTest
@testable import ReliefDrill

final class ReportHTMLTests: XCTestCase {
    let sample = SampleReports.fenRiverFlood()
    static let chartIDs = ["chart-timeline", "chart-needs", "chart-stock", "chart-map"]

    // MARK: exercise

    func testThePageSaysExerciseInItsTitleAtTheTopAndAtTheEnd() throws {
        let html = sample.html()
        let tags = HTMLTags(html)
        XCTAssertTrue(html.contains("<title>EXERCISE — After-action report: Fen River flood, July (72-hour provincial drill)</title>"))
        let banner = try XCTUnwrap(tags.tags.first { $0.attribute("id") == "exercise-banner" })
        let body = try XCTUnwrap(tags.tags.first { $0.name == "body" })
        let heading = try XCTUnwrap(tags.tags.first { $0.name == "h1" })
        XCTAssertTrue(body.offset < banner.offset && banner.offset < heading.offset, "the banner is the first thing in the body")
        XCTAssertTrue(html.contains("EXERCISE · EXERCISE · EXERCISE"))
        XCTAssertTrue(html.contains("END OF EXERCISE REPORT"))
        XCTAssertEqual(tags.tags.first { $0.attribute("name") == "drill-status" }?.attribute("content"), "Exercise")
        XCTAssertTrue(html.contains("@media print"), "a print layout")
    }

    func testAReportDecodedWithoutItsExerciseFlagStillRendersAsAnExercise() {
        var report = sample
        report.exercise = false
        let html = report.html()
        XCTAssertTrue(html.contains("<title>EXERCISE — "))
        XCTAssertTrue(html.contains("id=\"exercise-banner\""))
    }

    // MARK: escaping and self-containment

    func testHostileStringsReachThePageOnlyAsText() {
        let html = SampleReports.hostileStrings().html()
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("href=\"http"))
        XCTAssertFalse(html.contains(SampleReports.hostile))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39; &lt;img src=x onerror=alert(1)&gt;"))
        XCTAssertTrue(html.contains("<title>EXERCISE — After-action report: &lt;script&gt;"))
        // The same elements as the plain sample, no more: nothing in the strings became markup
        // (in the tables, the charts' labels and tooltips, or the map).
        let hostile = HTMLTags(html), plain = HTMLTags(sample.html())
        XCTAssertEqual(hostile.counts, plain.counts)
        for id in Self.chartIDs {
            XCTAssertEqual(hostile.inside(id: id, of: html)?.counts, plain.inside(id: id, of: sample.html())?.counts, id)
        }
        assertSelfContained(html, allowingURLText: true)
    }

    func testThePageReferencesNothingOutsideItself() {
        for report in [sample, SampleReports.empty(), SampleReports.singlePoint()] {
            let html = report.html()
            XCTAssertNil(html.range(of: "https?:", options: [.regularExpression, .caseInsensitive]), report.scenario.name)
            XCTAssertFalse(html.contains("src="), report.scenario.name)
            assertSelfContained(html, allowingURLText: false)
        }
    }

    /// No element that loads anything, no attribute pointing anywhere but an anchor on the page,
    /// no script, no CSS that fetches.
    private func assertSelfContained(_ html: String, allowingURLText: Bool, file: StaticString = #filePath, line: UInt = #line) {
        let tags = HTMLTags(html)
        let ids = Set(tags.tags.compactMap { $0.attribute("id") })
        let loaders: Set<String> = ["script", "img", "iframe", "frame", "link", "object", "embed", "image", "use", "audio", "video",
                                    "source", "track", "base", "form", "input", "foreignobject", "picture", "portal"]
        for tag in tags.tags {
            XCTAssertFalse(loaders.contains(tag.name), "<\(tag.name)>", file: file, line: line)
            for (name, value) in tag.attributes {
                XCTAssertFalse(name.hasPrefix("on"), "event handler \(name) on <\(tag.name)>", file: file, line: line)
                XCTAssertFalse(["src", "srcset", "xlink:href", "action", "formaction", "poster", "data", "background", "ping"].contains(name),
                               "\(name) on <\(tag.name)>", file: file, line: line)
                if name == "href" {
                    XCTAssertTrue(value.hasPrefix("#") && ids.contains(String(value.dropFirst())), "href=\(value)", file: file, line: line)
                }
                let lowered = value.lowercased()
                for scheme in ["http:", "https:", "javascript:", "data:", "file:", "ftp:"] {
                    XCTAssertFalse(lowered.contains(scheme) && !(allowingURLText && name == "title"), "\(name)=\(value)", file: file, line: line)
                }
                if lowered.contains("url(") {
                    XCTAssertNil(lowered.range(of: "url\\((?!#)", options: .regularExpression), "\(name)=\(value)", file: file, line: line)
                }
            }
        }
        let style = html.components(separatedBy: "<style>").dropFirst().first?.components(separatedBy: "</style>").first ?? ""
        XCTAssertFalse(style.isEmpty, "the CSS is inline", file: file, line: line)
        for fetching in ["url(", "@import", "@font-face", "image-set("] {
            XCTAssertFalse(style.contains(fetching), fetching, file: file, line: line)
        }
        XCTAssertTrue(html.contains("default-src 'none'"), "a policy that blocks any fetch", file: file, line: line)
    }

    // MARK: determinism

    func testTheSameReportGivesTheSamePageAndJSONByteForByte() throws {
        let html = sample.html()
        XCTAssertEqual(html, sample.html())
        XCTAssertEqual(try sample.json(), try sample.json())
        let decoded = try JSONDecoder().decode(DrillReport.self, from: try sample.json())
        XCTAssertEqual(decoded.html(), html)

        // The runner's order of records does not change the page.
        var shuffled = sample
        shuffled.needs.reverse()
        shuffled.flows.reverse()
        shuffled.stock.series.reverse()
        shuffled.stock.warehouses.reverse()
        shuffled.incidents.reverse()
        shuffled.plans.reverse()
        shuffled.expectations.reverse()
        shuffled.timeline.reverse()
        for index in shuffled.needs.indices { shuffled.needs[index].reasons.reverse() }
        XCTAssertEqual(shuffled.html(), html)

        // No date of rendering: every date on the page falls within the drill.
        let dates = Set(html.matches(of: /\d{4}-\d{2}-\d{2}/).map { String($0.output) })
        XCTAssertEqual(dates, ["2026-07-15", "2026-07-16", "2026-07-17", "2026-07-18"])
    }

    func testNumbersAndTimesAreWrittenTheSameEverywhere() {
        XCTAssertEqual(ReportFormat.thousands(0), "0")
        XCTAssertEqual(ReportFormat.thousands(999), "999")
        XCTAssertEqual(ReportFormat.thousands(1000), "1,000")
        XCTAssertEqual(ReportFormat.thousands(-1_234_567), "-1,234,567")
        XCTAssertEqual(ReportFormat.thousands(Int64.max), "9,223,372,036,854,775,807")
        XCTAssertEqual(ReportFormat.thousands(Int64.min), "-9,223,372,036,854,775,808")
        XCTAssertEqual(ReportFormat.oneDecimal(1412.5), "1,412.5")
        XCTAssertEqual(ReportFormat.oneDecimal(12), "12.0")
        XCTAssertEqual(ReportFormat.oneDecimal(-3.25), "-3.3")
        XCTAssertEqual(ReportFormat.oneDecimal(.nan), "–")
        XCTAssertEqual(ReportFormat.drillTime(0), "T+00:00")
        XCTAssertEqual(ReportFormat.drillTime(410), "T+06:50")
        XCTAssertEqual(ReportFormat.drillTime(4320), "T+72:00")
        XCTAssertEqual(ReportFormat.drillTime(-10), "T-00:10")
        XCTAssertEqual(ReportFormat.duration(45), "45m")
        XCTAssertEqual(ReportFormat.duration(65), "1h 05m")
        XCTAssertEqual(ReportFormat.duration(315), "5h 15m")
        XCTAssertEqual(ReportFormat.duration(1440), "24h")
        XCTAssertEqual(ReportFormat.axisTime(360), "T+6h")
        XCTAssertEqual(ReportFormat.axisTime(30), "T+0:30")
        XCTAssertEqual(ReportFormat.svg(12.34), "12.3")
        XCTAssertEqual(ReportFormat.svg(-12.35), "-12.4")
        XCTAssertEqual(ReportFormat.svg(-0.04), "0")
        XCTAssertEqual(ReportFormat.svg(5), "5")
        XCTAssertEqual(ReportFormat.svg(.infinity), "0")
        XCTAssertEqual(ReportFormat.escape("a\u{1}b\tc\n<&>\"'"), "ab\tc\n&lt;&amp;&gt;&quot;&#39;")

        let clock = DrillClock(start: "2026-07-15T06:00:00+08:00")
        XCTAssertEqual(clock?.wallClock(0), "2026-07-15 06:00 +08:00")
        XCTAssertEqual(clock?.wallClock(1110), "2026-07-16 00:30 +08:00")
        XCTAssertEqual(clock?.wallClock(4320), "2026-07-18 06:00 +08:00")
        XCTAssertEqual(clock?.wallClock(-400), "2026-07-14 23:20 +08:00")
        XCTAssertEqual(DrillClock(start: "2026-12-31T23:59:59.5-05:00")?.wallClock(1), "2027-01-01 00:00 -05:00")
        XCTAssertEqual(DrillClock(start: "2026-01-01T00:00:00Z")?.wallClock(0), "2026-01-01 00:00 UTC")
        XCTAssertNil(DrillClock(start: "2026-02-30T06:00:00Z"))
        XCTAssertNil(DrillClock(start: "2026-07-15T06:00:00"), "a start without its offset is ambiguous")
        XCTAssertNil(DrillClock(start: "not a date"))

        XCTAssertEqual(ChartScale.valueTicks(maximum: 13, maximumCount: 7).ticks, [0, 5, 10, 15])
        XCTAssertEqual(ChartScale.valueTicks(maximum: 0, maximumCount: 7).ticks, [0, 1])
        XCTAssertGreaterThanOrEqual(ChartScale.valueTicks(maximum: .max, maximumCount: 7).top, .max)
        XCTAssertEqual(ChartScale.timeTicks(end: 4320, maximumCount: 14), Array(stride(from: 0, through: 4320, by: 360)))
        XCTAssertEqual(ChartScale.timeTicks(end: 0, maximumCount: 14), [0])
    }

    // MARK: content

    func testTheSampleDrawsItsChartsWithTheirMarks() throws {
        let html = sample.html()
        let tags = HTMLTags(html)
        XCTAssertEqual(tags.tags.filter { $0.name == "svg" }.compactMap { $0.attribute("id") }, Self.chartIDs)

        let timeline = try XCTUnwrap(tags.inside(id: "chart-timeline", of: html))
        for series in ["series-open", "series-unmet"] {
            let path = try XCTUnwrap(timeline.tags.first { $0.attribute("class") == series }?.attribute("d"), series)
            // A step line: a horizontal and a vertical move per change after the first point.
            XCTAssertEqual(path.filter { $0 == "V" }.count, sample.timeline.count - 1, series)
        }
        XCTAssertEqual(timeline.tags.filter { $0.name == "g" }.count, sample.expectations.filter { !$0.held }.count + 1,
                       "a ✗ per failed expectation, and the legend's")
        XCTAssertTrue(html.contains(">T+72h</text>"))

        let needs = try XCTUnwrap(tags.inside(id: "chart-needs", of: html))
        let stageBars = sample.needs.reduce(0) { $0 + $1.stages.filter { $0.stage != .delivered }.count }
        XCTAssertEqual(needs.tags.filter { $0.name == "rect" && $0.attribute("height") == "14" }.count,
                       stageBars + 4, "a bar per stage reached, and the legend's four swatches")
        XCTAssertEqual(needs.tags.filter { $0.name == "polygon" }.count, sample.needs.reduce(0) { $0 + $1.reasons.count } + 1)

        let stock = try XCTUnwrap(tags.inside(id: "chart-stock", of: html))
        XCTAssertEqual(stock.tags.filter { $0.attribute("class") == "series-stock" }.count, sample.stock.series.count)
        // A span is a run of points at zero: a rect each, however many points the run has.
        let emptySpans = sample.stock.series.reduce(0) { total, series in
            total + series.points.indices.filter { series.points[$0].available == 0 && ($0 == 0 || series.points[$0 - 1].available != 0) }.count
        }
        XCTAssertGreaterThan(emptySpans, 0, "the sample runs a warehouse dry")
        XCTAssertEqual(stock.tags.filter { $0.name == "rect" && $0.attribute("fill") == SVGChart.Colour.vermillion && $0.attribute("height") == "5" }.count,
                       emptySpans)
        let seriesHittingZero = sample.stock.series.filter { $0.points.contains { $0.available == 0 } }.count
        XCTAssertEqual(html.components(separatedBy: ">empty T+").count - 1, seriesHittingZero)
        XCTAssertTrue(html.contains("all: 50,400 → 17,400 ration"), "the column's total drawdown")

        let map = try XCTUnwrap(tags.inside(id: "chart-map", of: html))
        let pairs = Set(sample.flows.map { $0.warehouse + "→" + $0.incident })
        let crossPairs = Set(sample.flows.filter(\.crossRegion).map { $0.warehouse + "→" + $0.incident })
        XCTAssertEqual(map.tags.filter { $0.name == "line" && ($0.attribute("class") ?? "").hasPrefix("flow") }.count, pairs.count)
        XCTAssertEqual(map.tags.filter { $0.attribute("class") == "flow flow-cross" }.count, crossPairs.count)
        XCTAssertGreaterThan(crossPairs.count, 0)
        XCTAssertLessThan(crossPairs.count, pairs.count, "both kinds of flow are drawn")
        XCTAssertEqual(map.tags.filter { $0.name == "rect" && $0.attribute("width") == "12" }.count, sample.stock.warehouses.count + 2,
                       "a square per warehouse and the legend's two")
        for warehouse in sample.stock.warehouses { XCTAssertTrue(html.contains("paint-order=\"stroke\"><title>\(warehouse.id)</title>\(warehouse.id)</text>"), warehouse.id) }
        for incident in sample.incidents { XCTAssertTrue(html.contains(">\(incident.title)</text>"), incident.title) }
        XCTAssertNotNil(html.range(of: ">[0-9]+ km</text>", options: .regularExpression), "a scale bar")
        XCTAssertTrue(html.contains(">37°N</text>") && html.contains(">112°E</text>"), "graticule labels")
        assertCoordinatesAreFinite(html)
    }

    func testMoreItemsThanFitAcrossGoIntoAnotherBlockOfTheStockChart() throws {
        var report = sample
        report.stock.series.append(.init(warehouse: "sx-prov", item: "blanket", unit: "piece",
                                         points: [.init(minute: 0, available: 15000), .init(minute: 900, available: 9000)]))
        let html = report.html()
        let stock = try XCTUnwrap(HTMLTags(html).tags.first { $0.attribute("id") == "chart-stock" })
        XCTAssertEqual(stock.attribute("width"), "1120", "as wide as with three items: the fourth starts a block below")
        let cells = try XCTUnwrap(HTMLTags(html).inside(id: "chart-stock", of: html))
        let rows = Set(report.stock.series.map(\.warehouse)).count
        XCTAssertEqual(cells.tags.filter { $0.attribute("class") == "series-stock" }.count, report.stock.series.count)
        XCTAssertEqual(html.components(separatedBy: ">not stocked</text>").count - 1, rows * 4 - report.stock.series.count)
        let headerYs = html.matches(of: /<text x="[0-9.]+" y="([0-9.]+)" class="label-strong"><title>[a-z0-9-]+ \((bottle|tent|ration|piece)\)<\/title>/)
            .map { Double(String($0.output.1))! }
        XCTAssertEqual(Set(headerYs).count, 2, "item headers on two rows of blocks")
    }

    /// Every coordinate and size attribute is a plain number: a NaN or an infinity from a zero
    /// span would make the browser drop the element.
    private func assertCoordinatesAreFinite(_ html: String, file: StaticString = #filePath, line: UInt = #line) {
        for tag in HTMLTags(html).tags {
            for (name, value) in tag.attributes where ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height", "stroke-width"].contains(name) {
                XCTAssertTrue(Double(value)?.isFinite == true, "<\(tag.name) \(name)=\"\(value)\">", file: file, line: line)
            }
            for (name, value) in tag.attributes where name == "d" || name == "points" {
                XCTAssertFalse(value.contains("nan") || value.contains("inf") || value.isEmpty, "<\(tag.name) \(name)=\"\(value)\">", file: file, line: line)
            }
        }
    }

    func testNeedsShowDrillTimesStageDurationsAndReasonsOverTime() throws {
        let html = sample.html()
        let rows = html.components(separatedBy: "<tr class=\"need\">").dropFirst()
        let water = try XCTUnwrap(rows.first { $0.hasPrefix("<td><strong>jiexiu-water</strong>") })
        let cells = ["T+00:20", "T+00:35", "+15m", "T+00:50", "+15m", "T+01:35", "+45m", "T+06:50", "+5h 15m"]
        var position = water.startIndex
        for cell in cells {
            let found = try XCTUnwrap(water.range(of: cell, range: position..<water.endIndex), "\(cell) after the one before")
            position = found.upperBound
        }
        XCTAssertTrue(water.contains("title=\"2026-07-15 06:20 +08:00\">T+00:20"), "the wall clock as the tooltip")

        let shelter = try XCTUnwrap(rows.first { $0.hasPrefix("<td><strong>lingshi-shelter</strong>") })
        XCTAssertEqual(shelter.components(separatedBy: "<td class=\"never\">never</td>").count - 1, 4)
        XCTAssertTrue(shelter.contains("<td class=\"num unmet\">200</td>"))

        let food = try XCTUnwrap(rows.first { $0.hasPrefix("<td><strong>jiexiu-food</strong>") })
        XCTAssertTrue(food.contains("<td class=\"num unmet\">6,000</td>"))
        XCTAssertTrue(food.contains("T+05:20</span>–<span class=\"t\" title=\"2026-07-17 23:20 +08:00\">T+65:20</span> <span class=\"sub\">(7×)</span>"),
                      "repeated reasons folded into one line with their span")
        XCTAssertTrue(food.contains("<strong>6,000 missing</strong>: only 0 ration of food-ration"))

        let tents = try XCTUnwrap(rows.first { $0.hasPrefix("<td><strong>linfen-tents</strong>") })
        XCTAssertTrue(tents.contains("only 1200 tent") && tents.contains("(6×)"), "a change of reason starts a new line")
    }

    func testFailedExpectationsComeFirstAndTheSummaryCountsWhatTheIssueAsks() throws {
        let html = sample.html()
        let table = try XCTUnwrap(html.components(separatedBy: "<table class=\"expectations\">").dropFirst().first?.components(separatedBy: "</table>").first)
        let rows = table.components(separatedBy: "<tr class=\"").dropFirst().map { String($0.prefix(while: { $0 != "\"" })) }
        XCTAssertEqual(rows, ["failed-row", "failed-row", "held-row", "held-row", "held-row", "held-row"])
        XCTAssertTrue(table.contains("✗ FAILED</span></td><td class=\"num\">22</td>"))

        let strip = try XCTUnwrap(html.components(separatedBy: "<ul class=\"strip\">").dropFirst().first?.components(separatedBy: "</ul>").first)
        for (value, label) in [("9", "needs met of 13"), ("4", "needs unmet at the end"), ("2", "expectations failed"), ("12 / 11", "plans proposed / applied"),
                               ("86", "volunteers deployed"), ("6", "teams deployed"), ("1,412.5", "hours on scene, all people"),
                               ("14", "left out for rest or duty-hour limits"), ("3", "no-shows"),
                               ("\(sample.flows.filter(\.crossRegion).count)", "cross-region transfers")] {
            XCTAssertTrue(strip.contains("<span class=\"value\">\(value)</span><span class=\"what\">\(label)</span>"), label)
        }
        XCTAssertTrue(strip.contains("<li class=\"card bad\"><span class=\"value\">2</span><span class=\"what\">expectations failed"))
        XCTAssertEqual(sample.crossRegionTransfers, 18)
    }

    func testAnEmptyReportSaysThereIsNoDataInsteadOfDrawingBrokenCharts() throws {
        let report = SampleReports.empty()
        let html = report.html()
        let tags = HTMLTags(html)
        for id in Self.chartIDs {
            let chart = try XCTUnwrap(tags.inside(id: id, of: html), id)
            XCTAssertEqual(chart.tags.filter { $0.attribute("class") == "nodata" }.count, 1, id)
            XCTAssertFalse(chart.tags.contains { $0.name == "path" || $0.name == "polyline" }, id)
        }
        for note in ["The scenario stated no expectations.", "No data: the drill raised no needs.", "Nothing was dispatched", "No plan was proposed"] {
            XCTAssertTrue(html.contains(note), note)
        }
        XCTAssertTrue(html.contains("EXERCISE · EXERCISE · EXERCISE"))
        assertCoordinatesAreFinite(html)
    }

    func testOnePointOfEverythingStillDraws() throws {
        let report = SampleReports.singlePoint()
        let html = report.html()
        let tags = HTMLTags(html)
        XCTAssertTrue(try XCTUnwrap(tags.inside(id: "chart-timeline", of: html)).tags.contains { $0.attribute("class") == "series-open" })
        XCTAssertTrue(try XCTUnwrap(tags.inside(id: "chart-stock", of: html)).tags.contains { $0.attribute("class") == "series-stock" })
        XCTAssertEqual(try XCTUnwrap(tags.inside(id: "chart-map", of: html)).tags.filter { $0.attribute("class") == "flow" }.count, 1)
        for id in Self.chartIDs {
            XCTAssertFalse(try XCTUnwrap(tags.inside(id: id, of: html)).tags.contains { $0.attribute("class") == "nodata" }, id)
        }
        XCTAssertTrue(html.contains("T+00:00 = not a date"), "a start that is not a date is shown as written")
        assertCoordinatesAreFinite(html)
    }

    // MARK: files

    func testWriteLeavesTheJSONAndThePageReadableByAll() throws {
        let root = NSTemporaryDirectory() + "drill-report-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/drills/fen/report"
        try sample.write(to: directory)
        let json = try Data(contentsOf: URL(fileURLWithPath: directory + "/report.json"))
        XCTAssertEqual(try JSONDecoder().decode(DrillReport.self, from: json), sample)
        XCTAssertEqual(try String(contentsOfFile: directory + "/report.html", encoding: .utf8), sample.html())
        for name in ["report.json", "report.html"] {
            let permissions = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.posixPermissions] as? Int
            XCTAssertEqual(permissions, 0o644, name)
        }
        let text = String(decoding: json, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{\n  \"exercise\" : true,\n  \"expectations\" : ["), "pretty, with sorted keys")
        XCTAssertTrue(text.contains("\"file\" : \"config/drills/fen-river-flood.drill\""), "paths without escaped slashes")

        // Rewriting replaces the files with the same bytes.
        try sample.write(to: directory)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: directory + "/report.json")), json)

        // Readable by all holds while the report names no person: no key for a name, phone or ID number.
        let keys = try Self.keys(of: JSONSerialization.jsonObject(with: json))
        for personal in ["phone", "mobile", "email", "passport", "national", "birth", "volunteerName", "person"] {
            XCTAssertFalse(keys.contains { $0.lowercased().contains(personal.lowercased()) }, personal)
        }
    }

    private static func keys(of value: Any) -> Set<String> {
        if let object = value as? [String: Any] { return object.reduce(into: Set(object.keys)) { $0.formUnion(keys(of: $1.value)) } }
        if let array = value as? [Any] { return array.reduce(into: Set()) { $0.formUnion(keys(of: $1)) } }
        return []
    }

    func testWriteFailsWhereTheDirectoryCannotBeMade() throws {
        let root = NSTemporaryDirectory() + "drill-report-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        XCTAssertTrue(FileManager.default.createFile(atPath: root, contents: Data("a file".utf8)))
        XCTAssertThrowsError(try sample.write(to: root + "/report"))
    }

    // MARK: in a browser

    func testChromiumRendersTheChartsAndTheScreenshotIsNotBlank() throws {
        let browser = try HeadlessChromium.find()
        let directory = NSTemporaryDirectory() + "drill-report-browser-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try sample.write(to: directory)
        let page = directory + "/report.html"
        let html = sample.html()

        let dump = try browser.dumpDOM(page)
        XCTAssertEqual(dump.status, 0, dump.errors)
        let dom = String(decoding: dump.output, as: UTF8.self)
        let rendered = HTMLTags(dom), source = HTMLTags(html)
        XCTAssertEqual(rendered.tags.first { $0.attribute("id") == "exercise-banner" }?.name, "div")
        XCTAssertTrue(dom.contains("EXERCISE · EXERCISE · EXERCISE"))
        // The browser's parser kept every element we wrote where we wrote it: nothing unclosed
        // swallowed the rest, no table cell was moved out of its table.
        XCTAssertEqual(rendered.counts, source.counts)
        for id in Self.chartIDs {
            let built = try XCTUnwrap(rendered.inside(id: id, of: dom), "\(id) in the browser's DOM")
            let written = try XCTUnwrap(source.inside(id: id, of: html))
            XCTAssertEqual(built.counts, written.counts, id)
        }
        let timeline = try XCTUnwrap(rendered.inside(id: "chart-timeline", of: dom))
        XCTAssertGreaterThan(timeline.tags.first { $0.attribute("class") == "series-open" }?.attribute("d")?.count ?? 0, 40)
        let map = try XCTUnwrap(rendered.inside(id: "chart-map", of: dom))
        XCTAssertGreaterThanOrEqual(map.tags.filter { $0.name == "rect" }.count, 12)
        XCTAssertGreaterThanOrEqual(map.tags.filter { $0.name == "polygon" }.count, 3)
        XCTAssertGreaterThanOrEqual(map.tags.filter { $0.name == "line" && $0.attribute("class") != nil }.count, 10)
        let stock = try XCTUnwrap(rendered.inside(id: "chart-stock", of: dom))
        XCTAssertEqual(stock.tags.filter { $0.attribute("class") == "series-stock" }.count, sample.stock.series.count)

        let png = directory + "/report.png"
        let shot = try browser.screenshot(page, to: png, width: 1280, height: 3000)
        XCTAssertEqual(shot.status, 0, shot.errors)
        let image = try PNGImage(data: Data(contentsOf: URL(fileURLWithPath: png)))
        XCTAssertEqual(image.width, 1280)
        XCTAssertEqual(image.height, 3000)
        // RELIEFD_TEST_SCREENSHOT=PATH keeps the screenshot, and the page as PATH.html, to look at.
        if let keep = ProcessInfo.processInfo.environment["RELIEFD_TEST_SCREENSHOT"], !keep.isEmpty {
            for (from, to) in [(png, keep), (page, keep + ".html")] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        func near(_ pixel: (UInt8, UInt8, UInt8), _ colour: (Int, Int, Int), _ tolerance: Int) -> Bool {
            abs(Int(pixel.0) - colour.0) <= tolerance && abs(Int(pixel.1) - colour.1) <= tolerance && abs(Int(pixel.2) - colour.2) <= tolerance
        }
        var colours = Set<UInt32>()
        var inked = 0, bannerYellow = 0, blue = 0, vermillion = 0
        for y in stride(from: 0, to: image.height, by: 1) {
            for x in stride(from: 0, to: image.width, by: 1) {
                let pixel = image.pixel(x, y)
                colours.insert(UInt32(pixel.0) << 16 | UInt32(pixel.1) << 8 | UInt32(pixel.2))
                if !near(pixel, (255, 255, 255), 8) { inked += 1 }
                if y < 80 && near(pixel, (0xF0, 0xE4, 0x42), 10) { bannerYellow += 1 }
                if near(pixel, (0x00, 0x72, 0xB2), 12) { blue += 1 }
                if near(pixel, (0xD5, 0x5E, 0x00), 12) { vermillion += 1 }
            }
        }
        XCTAssertGreaterThan(colours.count, 200, "a page of text and charts, not a blank or single-colour image")
        XCTAssertGreaterThan(Double(inked) / Double(image.width * image.height), 0.05, "ink on more than 5 % of the page")
        XCTAssertGreaterThan(bannerYellow, 20_000, "the yellow EXERCISE banner across the top")
        XCTAssertGreaterThan(blue, 10_000, "the charts' blue (open needs, stock lines, flows)")
        XCTAssertGreaterThan(vermillion, 2_000, "the charts' vermillion (unmet needs, failures, incidents)")
    }
}
