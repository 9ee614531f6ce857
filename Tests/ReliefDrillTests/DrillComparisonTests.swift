import Foundation
import XCTest
import ReliefCore
@testable import ReliefDrill

/// Two reports compared: the what-if of a real incident (WhatIf: the flood replayed as it was, and
/// with a reserve depot of the scarce water) shows the need met sooner; the comparison is the same
/// bytes every time, escapes what it shows, and draws its charts in a browser.
final class DrillComparisonTests: XCTestCase {
    static let chartIDs = ["chart-needs-compare", "chart-timeline-compare", "chart-stock-compare", "chart-flows-compare"]

    func testAReserveDepotOfTheScarceWaterMeetsTheNeedSoonerAndTheComparisonShowsIt() throws {
        let (a, b) = try WhatIf.play(LiveIncident())
        let reportA = a.report(), reportB = b.report()
        let comparison = DrillComparison(a: reportA, b: reportB)
        XCTAssertEqual(reportA.replay?.inputs, reportB.replay?.inputs, "both replayed the same real inputs")
        XCTAssertEqual(reportB.summary.injects, reportA.summary.injects + 2, "B adds the depot and its stock")

        let water = try XCTUnwrap(comparison.needs.first { $0.name == "f-water" })
        let deliveredA = try XCTUnwrap(water.a?.deliveredMinute), deliveredB = try XCTUnwrap(water.b?.deliveredMinute)
        XCTAssertGreaterThan(deliveredA, 360, "as it was, the water arrives in full only after the donation at T+06:00")
        XCTAssertLessThan(deliveredB, 180, "with the depot 20 km away, within three hours")
        XCTAssertEqual(water.deliveredDelta, deliveredB - deliveredA)
        XCTAssertEqual(water.appliedDelta, 0, "both officers applied their first plan at the same minute")
        XCTAssertTrue(water.changed)
        XCTAssertEqual(water.changes, ["delivered \(ReportFormat.drillTime(deliveredA)) → \(ReportFormat.drillTime(deliveredB)) (−\(ReportFormat.duration(deliveredA - deliveredB)))"])
        XCTAssertEqual(comparison.needs.map(\.name), ["g-water", "f-water", "real-N-000003", "f-extra"], "in the order they were raised")

        let onTime = try XCTUnwrap(comparison.expectations.first { $0.text == "expect by T+03:00 need f-water delivered" })
        XCTAssertEqual(onTime.a?.held, false)
        XCTAssertEqual(onTime.b?.held, true)
        let median = try XCTUnwrap(comparison.summary.first { $0.key == "medianToDelivery" })
        XCTAssertEqual(median.verdict, .better)
        XCTAssertEqual(comparison.summary.first { $0.key == "expectationsFailed" }?.verdict, .better)
        XCTAssertEqual(comparison.summary.first { $0.key == "expectationsFailed" }.map { [$0.a, $0.b] }, [2, 0])

        let depot = try XCTUnwrap(comparison.stock.first, "the depot is the most drawn down")
        XCTAssertEqual([depot.warehouse, depot.item], ["yq-02", "water-5l"])
        XCTAssertNil(depot.a, "the depot is not in A's world")
        XCTAssertEqual(depot.b?.first?.available, 5000)
        XCTAssertTrue(comparison.stock.contains { $0.warehouse == "ty-01" && $0.a?.last?.available == 0 }, "as it was, Taiyuan ran dry")
        let sent = try XCTUnwrap(comparison.flows.first { $0.warehouse == "yq-02" })
        XCTAssertEqual(sent.a, 0)
        XCTAssertEqual(sent.b, reportB.flows.filter { $0.warehouse == "yq-02" }.reduce(0) { $0 + $1.quantity })
        XCTAssertEqual(sent.incidentTitle, "Flood, north of Taiyuan")

        let html = comparison.html()
        XCTAssertTrue(html.contains("<strong>f-water</strong> (water-5l × 3,200 bottle) delivered in full \(ReportFormat.duration(deliveredA - deliveredB)) sooner in <span class=\"tag b\">B</span>"), "the finding first")
        XCTAssertTrue(html.contains("2 expectations held in <span class=\"tag b\">B</span> that failed in <span class=\"tag a\">A</span>."))
        XCTAssertTrue(html.contains("1 input of the real incident refused in both drills' worlds (see Needs)."))
        XCTAssertTrue(html.contains("real incident closed T+08:20"))
        XCTAssertTrue(html.contains("<td><span class=\"chip better\">−\(ReportFormat.duration(deliveredA - deliveredB))</span></td>"), "the difference in the need's row")
    }

    func testTheSameReportsGiveTheSameBytesInAnyOrderAndFromTheirJSON() throws {
        let (a, b) = try WhatIf.play(LiveIncident())
        let comparison = DrillComparison(a: a.report(), b: b.report(), reportPaths: ("a/report.html", "b/report.html"))
        let html = comparison.html(), json = try comparison.json()
        let (again, againB) = try WhatIf.play(LiveIncident())
        let second = DrillComparison(a: again.report(), b: againB.report(), reportPaths: ("a/report.html", "b/report.html"))
        XCTAssertEqual(second.html(), html)
        XCTAssertEqual(try second.json(), json)

        // From the reports' JSON, as `reliefd drill compare` reads them.
        let decodedA = try JSONDecoder().decode(DrillReport.self, from: try a.report().json())
        let decodedB = try JSONDecoder().decode(DrillReport.self, from: try b.report().json())
        XCTAssertEqual(DrillComparison(a: decodedA, b: decodedB, reportPaths: ("a/report.html", "b/report.html")).html(), html)
        XCTAssertEqual(try JSONDecoder().decode(DrillComparison.self, from: json), comparison)

        // The runner's order of records changes nothing.
        var shuffledA = a.report(), shuffledB = b.report()
        func shuffle(_ report: inout DrillReport) {
            report.needs.reverse(); report.flows.reverse(); report.stock.series.reverse(); report.stock.warehouses.reverse()
            report.incidents.reverse(); report.expectations.reverse(); report.timeline.reverse(); report.plans.reverse()
        }
        shuffle(&shuffledA)
        shuffle(&shuffledB)
        let shuffled = DrillComparison(a: shuffledA, b: shuffledB, reportPaths: ("a/report.html", "b/report.html"))
        XCTAssertEqual(shuffled.html(), html)
        XCTAssertEqual(try shuffled.json(), json)

        // No date of rendering: every date on the page is a drill's.
        let dates = Set(html.matches(of: /\d{4}-\d{2}-\d{2}/).map { String($0.output) })
        XCTAssertEqual(dates, ["2026-07-15"])
    }

    func testAReportComparedWithItselfShowsNoDifference() throws {
        let report = SampleReports.fenRiverFlood()
        let comparison = DrillComparison(a: report, b: report)
        XCTAssertTrue(comparison.summary.allSatisfy { $0.verdict == .same }, "\(comparison.summary.filter { $0.verdict != .same })")
        XCTAssertFalse(comparison.needs.contains(where: \.changed))
        XCTAssertEqual(comparison.needs.count, report.needs.count)
        XCTAssertTrue(comparison.expectations.allSatisfy { $0.a == $0.b })
        XCTAssertTrue(comparison.flows.allSatisfy { $0.a == $0.b })
        XCTAssertTrue(comparison.html().contains("No need was delivered sooner or later in one drill than in the other."))
        XCTAssertFalse(comparison.html().contains("chip better"))
        XCTAssertFalse(comparison.html().contains("chip worse"))
        XCTAssertFalse(comparison.html().contains("<li class=\"card"), "no card: nothing moved")
        XCTAssertTrue(comparison.html().contains("<p class=\"unchanged\"><strong>The same in both:</strong> needs met at the end <span class=\"value\">9</span>"))
    }

    func testHostileStringsReachTheComparisonOnlyAsText() throws {
        let hostile = SampleReports.hostileStrings()
        let comparison = DrillComparison(a: hostile, b: SampleReports.fenRiverFlood(), reportPaths: (SampleReports.hostile, "b/report.html"))
        let html = comparison.html()
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("href=\"http"))
        XCTAssertFalse(html.contains(SampleReports.hostile))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;"))
        let allowed: Set<String> = ["html", "head", "meta", "title", "style", "body", "div", "span", "main", "header", "p", "h1", "h2", "h3", "br",
                                    "table", "thead", "tbody", "tr", "th", "td", "code", "strong", "nav", "a", "section", "ul", "li", "figure",
                                    "figcaption", "svg", "g", "rect", "line", "text", "path", "polygon", "circle", "footer"]
        XCTAssertEqual(Set(HTMLTags(html).counts.keys).subtracting(allowed), [], "nothing in the strings became an element")
        assertSelfContained(html)
    }

    func testReportsWithNothingInThemSayThereIsNoData() throws {
        let comparison = DrillComparison(a: SampleReports.empty(), b: SampleReports.empty())
        let html = comparison.html()
        let tags = HTMLTags(html)
        for id in Self.chartIDs {
            let chart = try XCTUnwrap(tags.inside(id: id, of: html), id)
            XCTAssertEqual(chart.tags.filter { $0.attribute("class") == "nodata" }.count, 1, id)
            XCTAssertFalse(chart.tags.contains { $0.name == "path" }, id)
        }
        XCTAssertTrue(html.contains("Neither scenario stated an expectation."))
        XCTAssertTrue(html.contains("EXERCISE · EXERCISE · EXERCISE") && html.contains("END OF EXERCISE COMPARISON"))
        assertSelfContained(html)
    }

    func testWriteLeavesTheJSONAndThePageReadableByAll() throws {
        let comparison = try WhatIf.comparison()
        let directory = NSTemporaryDirectory() + "drill-compare-\(UUID().uuidString)/out"
        defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
        try comparison.write(to: directory)
        XCTAssertEqual(try JSONDecoder().decode(DrillComparison.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/compare.json"))), comparison)
        XCTAssertEqual(try String(contentsOfFile: directory + "/compare.html", encoding: .utf8), comparison.html())
        for name in ["compare.json", "compare.html"] {
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.posixPermissions] as? Int, 0o644, name)
        }
        let text = try String(contentsOfFile: directory + "/compare.json", encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("{\n  \"a\" : {"), "pretty, with sorted keys")
        XCTAssertTrue(text.contains("\"exercise\" : true"))
    }

    /// Nothing loads from elsewhere: no script, no element that fetches, links only to anchors of
    /// the page and to the compared drills' own report pages.
    private func assertSelfContained(_ html: String, file: StaticString = #filePath, line: UInt = #line) {
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
                    let anchor = value.hasPrefix("#") && ids.contains(String(value.dropFirst()))
                    let report = value.hasSuffix("report.html") && !value.contains(":")
                    XCTAssertTrue(anchor || report || value == SampleReports.hostile, "href=\(value)", file: file, line: line)
                    XCTAssertFalse(value.lowercased().contains("javascript:") || value.lowercased().hasPrefix("http"), "href=\(value)", file: file, line: line)
                }
            }
        }
        let style = html.components(separatedBy: "<style>").dropFirst().first?.components(separatedBy: "</style>").first ?? ""
        for fetching in ["url(", "@import", "@font-face", "image-set("] { XCTAssertFalse(style.contains(fetching), fetching, file: file, line: line) }
        XCTAssertTrue(html.contains("default-src 'none'"), file: file, line: line)
    }

    // MARK: in a browser

    func testChromiumRendersTheComparisonsChartsAndTheScreenshotShowsBothDrills() throws {
        let browser = try HeadlessChromium.find()
        let directory = NSTemporaryDirectory() + "drill-compare-browser-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let comparison = try WhatIf.comparison(pages: ("a/report.html", "b/report.html"))
        try comparison.write(to: directory)
        let page = directory + "/compare.html"
        let html = comparison.html()

        let dump = try browser.dumpDOM(page)
        XCTAssertEqual(dump.status, 0, dump.errors)
        let dom = String(decoding: dump.output, as: UTF8.self)
        let rendered = HTMLTags(dom), source = HTMLTags(html)
        XCTAssertEqual(rendered.counts, source.counts, "the browser kept every element where it was written")
        XCTAssertEqual(rendered.tags.filter { $0.name == "svg" }.compactMap { $0.attribute("id") }, Self.chartIDs)
        for id in Self.chartIDs {
            let chart = try XCTUnwrap(rendered.inside(id: id, of: dom), id)
            XCTAssertEqual(chart.counts, try XCTUnwrap(source.inside(id: id, of: html)).counts, id)
            XCTAssertFalse(chart.tags.contains { $0.attribute("class") == "nodata" }, "\(id) has data")
        }
        let timeline = try XCTUnwrap(rendered.inside(id: "chart-timeline-compare", of: dom))
        for series in ["series-unmet-a", "series-unmet-b", "series-open-a", "series-open-b"] {
            let path = try XCTUnwrap(timeline.tags.first { $0.attribute("class") == series }?.attribute("d"), series)
            XCTAssertGreaterThan(path.filter { $0 == "V" }.count, 2, series)
        }
        let needs = try XCTUnwrap(rendered.inside(id: "chart-needs-compare", of: dom))
        let stageBars = comparison.needs.reduce(0) { total, pair in
            total + [pair.a, pair.b].compactMap { $0 }.reduce(0) { $0 + $1.stages.filter { $0.stage != .delivered }.count }
        }
        XCTAssertEqual(needs.tags.filter { $0.name == "rect" && $0.attribute("height") == "12" }.count, stageBars + 4,
                       "a bar per stage reached in each drill, and the legend's four swatches")
        let stock = try XCTUnwrap(rendered.inside(id: "chart-stock-compare", of: dom))
        XCTAssertEqual(stock.tags.filter { $0.attribute("class") == "series-stock-a" }.count, comparison.stock.filter { $0.a != nil }.count)
        XCTAssertEqual(stock.tags.filter { $0.attribute("class") == "series-stock-b" }.count, comparison.stock.filter { $0.b != nil }.count)

        let png = directory + "/compare.png"
        let shot = try browser.screenshot(page, to: png, width: 1280, height: 4400)
        XCTAssertEqual(shot.status, 0, shot.errors)
        let image = try PNGImage(data: Data(contentsOf: URL(fileURLWithPath: png)))
        XCTAssertEqual([image.width, image.height], [1280, 4400])
        // RELIEFD_TEST_COMPARE_SCREENSHOT=PATH keeps the screenshot, and the page as PATH.html, to look at.
        if let keep = ProcessInfo.processInfo.environment["RELIEFD_TEST_COMPARE_SCREENSHOT"], !keep.isEmpty {
            for (from, to) in [(png, keep), (page, keep + ".html")] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        func near(_ pixel: (UInt8, UInt8, UInt8), _ colour: (Int, Int, Int), _ tolerance: Int) -> Bool {
            abs(Int(pixel.0) - colour.0) <= tolerance && abs(Int(pixel.1) - colour.1) <= tolerance && abs(Int(pixel.2) - colour.2) <= tolerance
        }
        var colours = Set<UInt32>()
        var inked = 0, bannerYellow = 0, blue = 0, orange = 0, green = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let pixel = image.pixel(x, y)
                colours.insert(UInt32(pixel.0) << 16 | UInt32(pixel.1) << 8 | UInt32(pixel.2))
                if !near(pixel, (255, 255, 255), 8) { inked += 1 }
                if y < 80 && near(pixel, (0xF0, 0xE4, 0x42), 10) { bannerYellow += 1 }
                if near(pixel, (0x00, 0x72, 0xB2), 12) { blue += 1 }
                if near(pixel, (0xE6, 0x9F, 0x00), 12) { orange += 1 }
                if near(pixel, (0xD8, 0xEF, 0xE6), 4) { green += 1 }
            }
        }
        XCTAssertGreaterThan(colours.count, 200, "text and charts, not a blank or single-colour image")
        XCTAssertGreaterThan(Double(inked) / Double(image.width * image.height), 0.05)
        XCTAssertGreaterThan(bannerYellow, 20_000, "the yellow EXERCISE banner across the top")
        XCTAssertGreaterThan(blue, 8_000, "A's blue in the charts")
        XCTAssertGreaterThan(orange, 8_000, "B's orange in the charts")
        XCTAssertGreaterThan(green, 500, "a difference in B's favour marked green")
    }
}
