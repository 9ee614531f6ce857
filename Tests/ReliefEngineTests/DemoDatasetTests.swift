import Foundation
import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// config/demo/shanxi.commands is executed by the daemon on first start: every line must succeed,
/// and the queries the README tour shows must have something to show.
final class DemoDatasetTests: XCTestCase {
    static var datasetURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/demo/shanxi.commands")
    }

    func loadDemo(at time: Timestamp = december1) throws -> (Engine, [Entry]) {
        let text = try String(contentsOf: Self.datasetURL, encoding: .utf8)
        let engine = Engine.testEngine(at: time)
        var entries: [Entry] = []
        var commands = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            commands += 1
            let outcome = engine.handle(line: line, actor: "demo")
            XCTAssertFalse(outcome.reply.isError, "shanxi.commands:\(index + 1): \(line) → \(replyText(outcome.reply))")
            entries += outcome.entries
        }
        XCTAssertGreaterThan(commands, 150)
        return (engine, entries)
    }

    func testEveryLineSucceedsAndBuildsTheProvince() throws {
        let (engine, entries) = try loadDemo()
        let state = engine.state
        XCTAssertEqual(state.regions.values.filter { $0.level == .province }.map(\.id), ["shanxi"])
        XCTAssertEqual(state.regions.values.filter { $0.level == .city }.count, 11)
        XCTAssertTrue(state.regions.values.filter { $0.level == .city }.allSatisfy { $0.parent == "shanxi" })
        XCTAssertGreaterThanOrEqual(state.regions.values.filter { $0.level == .county }.count, 3)
        XCTAssertEqual(state.warehouses.count, 12)
        XCTAssertEqual(Set(state.warehouses.keys), ["sx-prov", "ty-01", "dt-01", "yq-01", "cz-01", "jc-01", "sz-01",
                                                     "jz-01", "yc-01", "xz-01", "lf-01", "ll-01"])
        XCTAssertEqual(state.warehouses["dt-01"]?.location, Coordinate(latitude: 40.08, longitude: 113.30))
        XCTAssertEqual(state.warehouses["ll-01"]?.region, "shanxi/luliang")
        XCTAssertEqual(state.regions["shanxi/luliang"]?.name, "Lüliang City")
        XCTAssertGreaterThanOrEqual(state.items.count, 20)
        XCTAssertNotNil(state.items["water-5l"])
        XCTAssertGreaterThan(state.lots.values.filter { $0.source == .donation && $0.party != nil }.count, 10)
        XCTAssertGreaterThan(state.lots.values.filter { $0.source == .purchase && $0.party != nil }.count, 10)
        XCTAssertEqual(state.invariantViolations(), [])

        // The provincial depot holds far more than any city warehouse.
        let totals = Dictionary(grouping: state.stockRows(StockFilter()), by: \.warehouse).mapValues { $0.reduce(0) { $0 + $1.onHand } }
        let largestCity = totals.filter { $0.key != "sx-prov" }.values.max() ?? 0
        XCTAssertGreaterThan(totals["sx-prov"] ?? 0, 5 * largestCity)
        XCTAssertEqual(Set(totals.keys).count, 12, "every warehouse holds stock")

        // On 2026-12-01 some lots expire within 30 days and a few items are below their minimum.
        let expiring = engine.rows("stock query expiring")
        XCTAssertEqual(expiring.map { $0["lot"]! }.sorted(), ["D-2026-171", "D-2026-181", "D-2026-201", "D-2026-212", "P-2026-043"])
        XCTAssertTrue(expiring.allSatisfy { Int($0["days_left"]!)! >= 0 })
        let low = engine.rows("stock query low")
        XCTAssertEqual(low.map { "\($0["warehouse"]!)/\($0["item"]!)" },
                       ["dt-01/winter-coat", "ll-01/tent-12", "xz-01/quilt-cotton", "yq-01/water-5l"])
        XCTAssertEqual(engine.rows("stock query item=water-5l near=37.70,112.70 radius=150km").first?["warehouse"], "jz-01")

        // The dataset replays deterministically from its journal entries.
        var replayed = State()
        try replayed.apply(entries)
        XCTAssertEqual(replayed.snapshotText(), state.snapshotText())
    }

    func testDatasetAlsoLoadsOnTheDayTheDaemonFirstStarts() throws {
        // Started a week earlier, the short-dated lots are still within the 30-day window.
        let (engine, _) = try loadDemo(at: Timestamp(milliseconds: december1.milliseconds - 6 * 86_400_000))
        XCTAssertEqual(engine.rows("stock query expiring").count, 5)
    }
}
