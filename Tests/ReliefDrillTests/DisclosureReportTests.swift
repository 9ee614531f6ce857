import Foundation
import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine
@testable import ReliefDrill

/// The public account of donations as published: one HTML page and a CSV per section. It carries
/// the journal head, names no one who asked not to be named, holds no contact, and is checked in
/// a real browser.
final class DisclosureReportTests: XCTestCase {
    static let head = String(repeating: "5e", count: 32)

    /// Three months of donations in a province: named and anonymous donors, goods given and bought,
    /// deliveries to two incidents, an issue to a shelter, damage, and a donor whose name a
    /// spreadsheet would take for a formula.
    static func sample() -> Disclosure {
        final class Hands: @unchecked Sendable { var now = Timestamp(milliseconds: 1_788_220_800_000) } // 2026-09-01T00:00Z
        let clock = Hands()
        let engine = Engine(clock: Clock { clock.now })
        func run(_ line: String) {
            let reply = engine.handle(line: line, actor: "admin").reply
            if reply.isError { XCTFail("\(line) → \(TextEncoder.encode(reply))") }
        }
        for line in [
            "region add shanxi name=Shanxi level=province", "region add shanxi/taiyuan name=Taiyuan", "region add shanxi/linfen name=Linfen",
            #"warehouse add ty-01 name="Taiyuan depot" region=shanxi/taiyuan at=37.87,112.55"#,
            #"warehouse add lf-01 name="Linfen depot" region=shanxi/linfen at=36.08,111.52"#,
            #"item add water-5l name="Bottled water 5 L" category=water unit=bottle pack=4 shelf_life=365d"#,
            #"item add tent-12 name="Relief tent" category=shelter unit=tent"#,
            #"item add quilt name="Cotton quilt" category=shelter unit=piece"#,
            #"donation add receipt=D-0901 donor="Yangquan Steel Works" goods=water-5l:6000 money=50000"#,
            #"donation add receipt=D-0902 donor="Li Wei" anonymous=yes contact="13800005555" goods=quilt:800"#,
            #"donation add receipt=D-0903 donor="=HYPERLINK(\"http://example.invalid\")" money=12000.50"#,
            "stock receive ty-01 water-5l 6000 lot=W-0901 donation=D-0901",
            "stock receive lf-01 quilt 800 lot=Q-0902 donation=D-0902",
            "donation money D-0901 50000", "donation money D-0903 12000.50",
        ] { run(line) }
        clock.now.milliseconds += 30 * 86_400_000
        for line in [
            #"incident open fen title="Fen river flood" kind=flood at=36.09,111.52 region=shanxi/linfen severity=4 affected=20000"#,
            #"incident open ty title="Taiyuan hail" kind=storm at=37.86,112.56 region=shanxi/taiyuan severity=2 affected=3000"#,
            #"stock receive lf-01 tent-12 300 lot=P-T1 supplier="Tent Works""#,
            #"donation spend D-0901 30000 purpose="300 relief tents" lots=P-T1"#,
            #"donation spend D-0903 2000 purpose="fuel for water trucks""#,
            "stock transfer ty-01 lf-01 water-5l 2500 lot=W-0901",
            "need add fen supply water-5l 2500", "need add fen supply tent-12 300", "need add fen supply quilt 600", "need add ty supply water-5l 1200",
            "allocation reserve N-000001 lf-01 W-0901 2500", "allocation reserve N-000002 lf-01 P-T1 300",
            "allocation reserve N-000003 lf-01 Q-0902 600", "allocation reserve N-000004 ty-01 W-0901 1200",
            "allocation dispatch AL-000001", "allocation dispatch AL-000002", "allocation dispatch AL-000003", "allocation dispatch AL-000004",
        ] { run(line) }
        clock.now.milliseconds += 31 * 86_400_000
        for line in ["allocation deliver AL-000001", "allocation deliver AL-000002", "allocation deliver AL-000003",
                     #"stock issue ty-01 water-5l 400 lot=W-0901 to="Taiyuan No. 3 school shelter""#,
                     "stock adjust lf-01 Q-0902 delta=-25 reason=damaged"] { run(line) }
        var report = engine.state.disclosure(Disclosure.Period(from: nil, to: nil), now: clock.now)
        report.journalHead = head
        return report
    }

    func testThePageAndTheCSVCarryTheAccountAndNoOneWhoAskedNotToBeNamed() throws {
        let report = Self.sample()
        let html = report.html()
        XCTAssertTrue(html.contains("<code id=\"journal-head\">\(Self.head)</code>"))
        XCTAssertTrue(html.contains("<meta name=\"journal-seq\" content=\"\(report.asOfSeq)\">"))
        XCTAssertEqual(html, Self.sample().html(), "the same account gives the same page byte for byte")
        let csv = Dictionary(uniqueKeysWithValues: report.csvFiles().map { ($0.name, $0.text) })
        XCTAssertEqual(csv.keys.sorted(), Disclosure.sections.map { $0 + ".csv" }.sorted())
        XCTAssertTrue(csv["checkpoint.csv"]!.contains(Self.head))
        XCTAssertTrue(csv["donations.csv"]!.hasPrefix("receipt,donor,recorded,pledged,"))
        XCTAssertTrue(csv["donations.csv"]!.contains("D-0902,anonymous,"))
        // The spreadsheet-formula donor is inert in the CSV and escaped in the page; a negative
        // number stays a number.
        XCTAssertTrue(csv["donations.csv"]!.contains(#"'=HYPERLINK(""http://example.invalid"")""#), csv["donations.csv"]!)
        XCTAssertTrue(csv["donations.csv"]!.contains(",-25\r\n"))
        XCTAssertFalse(html.contains("=HYPERLINK(\"http"))
        XCTAssertTrue(csv["served.csv"]!.contains("D-0901,Yangquan Steel Works,fen,Fen river flood,shanxi/linfen,water-5l,2500,"))
        XCTAssertTrue(csv["money.csv"]!.contains("out,30000.00,300 relief tents,P-T1"))
        let everything = html + csv.values.joined()
        for secret in ["Li Wei", "13800005555", "No. 3 school", "admin"] {
            XCTAssertFalse(everything.contains(secret), "\(secret) is in the published account")
        }
    }

    func testAPublishedAccountIsNeverReplaced() throws {
        let directory = NSTemporaryDirectory() + "disclosure-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try Self.sample().write(to: directory)
        XCTAssertEqual(files.count, 1 + Disclosure.sections.count)
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/index.html")[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o644)
        XCTAssertThrowsError(try Self.sample().write(to: directory))
    }

    func testChromiumRendersTheAccount() throws {
        let browser = try HeadlessChromium.find()
        let directory = NSTemporaryDirectory() + "disclosure-browser-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let report = Self.sample()
        _ = try report.write(to: directory)
        let page = directory + "/index.html"
        let html = report.html()

        let dump = try browser.dumpDOM(page)
        XCTAssertEqual(dump.status, 0, dump.errors)
        let dom = String(decoding: dump.output, as: UTF8.self)
        let rendered = HTMLTags(dom), source = HTMLTags(html)
        XCTAssertEqual(rendered.counts, source.counts, "the browser kept every element where it was written")
        let fate = try XCTUnwrap(rendered.inside(id: "fate-chart", of: dom))
        // D-0901: delivered, in transit, in stock, issued; D-0902: delivered, in stock, removed; D-0903: bought tents delivered.
        XCTAssertGreaterThanOrEqual(fate.tags.filter { $0.name == "rect" && $0.attribute("fill") == "#009E73" }.count, 1 + 2)
        XCTAssertEqual(fate.tags.filter { $0.name == "rect" && $0.attribute("fill") == "#D55E00" }.count, 1 + 1, "one legend swatch, one removed bar")
        for id in ["goods-chart", "money-chart", "table-donations", "table-served", "table-sources", "table-money", "journal-head"] {
            XCTAssertNotNil(rendered.inside(id: id, of: dom), id)
        }
        XCTAssertTrue(dom.contains(Self.head))

        let png = directory + "/account.png"
        let shot = try browser.screenshot(page, to: png, width: 1280, height: 2400)
        XCTAssertEqual(shot.status, 0, shot.errors)
        let image = try PNGImage(data: Data(contentsOf: URL(fileURLWithPath: png)))
        XCTAssertEqual(image.width, 1280)
        if let keep = ProcessInfo.processInfo.environment["RELIEFD_TEST_SCREENSHOT"], !keep.isEmpty {
            try? FileManager.default.removeItem(atPath: keep + ".disclosure.png")
            try FileManager.default.copyItem(atPath: png, toPath: keep + ".disclosure.png")
        }
        var green = 0, blue = 0, inked = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let p = image.pixel(x, y)
                if abs(Int(p.0) - 0x00) < 12 && abs(Int(p.1) - 0x9E) < 12 && abs(Int(p.2) - 0x73) < 12 { green += 1 }
                if abs(Int(p.0) - 0x00) < 12 && abs(Int(p.1) - 0x72) < 12 && abs(Int(p.2) - 0xB2) < 12 { blue += 1 }
                if p.0 < 200 || p.1 < 200 || p.2 < 200 { inked += 1 }
            }
        }
        XCTAssertGreaterThan(green, 5_000, "delivered goods and money received drawn in green")
        XCTAssertGreaterThan(blue, 3_000, "goods in warehouses and arrivals drawn in blue")
        XCTAssertGreaterThan(Double(inked) / Double(image.width * image.height), 0.03)
    }
}
