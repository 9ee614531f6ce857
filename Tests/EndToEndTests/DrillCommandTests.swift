import Foundation
import XCTest

/// `reliefd drill run FILE --report DIR` as CI runs it: exit 0 when every expectation held, 1 when
/// one failed, 2 for a scenario with errors (every one printed); the report written, the same bytes
/// from two processes, and `from live` reading a running daemon's store without changing it.
final class DrillCommandTests: EndToEndTestCase {
    /// The repository, where `config/` is: relative paths in scenarios start there.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "reliefd-drill-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
        super.tearDown()
    }

    static let world = """
        T+00:00 region add shanxi name=Shanxi level=province
        T+00:00 region add shanxi/taiyuan name=Taiyuan level=city
        T+00:00 warehouse add ty-01 name=Taiyuan region=shanxi/taiyuan at=37.87,112.55
        T+00:00 item add water-5l name=Water category=water unit=bottle
        T+00:00 stock receive ty-01 water-5l 1000 lot=A expires=2027-06-30 supplier=S
        T+00:00 incident open f title=Flood kind=flood at=38.23,112.55 region=shanxi/taiyuan severity=3 affected=500
        T+00:05 need add f supply water-5l 400 priority=1 by=12h
        """

    func scenario(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func drill(_ arguments: [String], timeout: Double = 120) throws -> (status: Int32, out: String, err: String) {
        try reliefd(["drill"] + arguments, in: Self.repository.path, timeout: timeout)
    }

    func testAPassingDrillExitsZeroAndWritesTheSameReportFromEveryRun() throws {
        let file = try scenario("pass.drill", """
            scenario "Water for Xiaodian"
            start 2026-07-15T06:00+08:00
            from empty
            seed 3
            end T+06:00
            officer plan every=30m apply_after=10m
            \(Self.world)
            expect by T+03:00 need N-000001 delivered
            expect never stock ty-01 water-5l below 500
            """)
        let first = try drill(["run", file, "--report", directory + "/one"])
        XCTAssertEqual(first.status, 0, first.out + first.err)
        XCTAssertTrue(first.out.hasPrefix("EXERCISE drill \"Water for Xiaodian\""), first.out)
        XCTAssertTrue(first.out.contains("expectations: 2 held, 0 failed"), first.out)
        let report = try Data(contentsOf: URL(fileURLWithPath: directory + "/one/report.json"))
        let json = try JSONSerialization.jsonObject(with: report) as? [String: Any]
        XCTAssertEqual(json?["exercise"] as? Bool, true)
        XCTAssertEqual((json?["summary"] as? [String: Any])?["expectationsHeld"] as? Int, 2)
        let page = try String(contentsOfFile: directory + "/one/report.html", encoding: .utf8)
        XCTAssertTrue(page.contains("Water for Xiaodian"), "the HTML page is written beside the JSON")
        let log = try String(contentsOfFile: directory + "/one/drill.log", encoding: .utf8)
        XCTAssertTrue(log.split(separator: "\n").allSatisfy { $0.contains("[exercise]") }, log)

        // Another process (another hash seed) gives the same bytes.
        let second = try drill(["run", file, "--report", directory + "/two"])
        XCTAssertEqual(second.status, 0, second.out + second.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: directory + "/two/report.json")), report)
        XCTAssertEqual(try String(contentsOfFile: directory + "/two/drill.log", encoding: .utf8), log)
    }

    func testAFailedExpectationExitsOneAndSaysWhy() throws {
        let file = try scenario("fail.drill", """
            scenario "Too little water"
            start 2026-07-15T06:00+08:00
            from empty
            end T+06:00
            officer plan every=30m apply_after=10m
            \(Self.world)
            expect never stock ty-01 water-5l below 700
            """)
        let result = try drill(["run", file, "--report", directory + "/out"])
        XCTAssertEqual(result.status, 1, result.out + result.err)
        XCTAssertTrue(result.out.contains("FAILED line 13: expect never stock ty-01 water-5l below 700"), result.out)
        XCTAssertTrue(result.out.contains("available fell to 600 bottle of water-5l at T+00:40, below 700"), result.out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/out/report.json"))
    }

    func testAScenarioWithErrorsExitsTwoNamingEveryOne() throws {
        let file = try scenario("broken.drill", """
            scenario "Broken"
            start 2026-07-15T06:00+08:00
            from empty
            end T+06:00
            T+00:10 stock recieve ty-01 water-5l 10
            T+7:00 ping
            expect sometimes
            """)
        let result = try drill(["run", file, "--report", directory + "/out"])
        XCTAssertEqual(result.status, 2, result.out + result.err)
        XCTAssertTrue(result.err.contains("\(file):5:9: unknown stock command \"recieve\""), result.err)
        XCTAssertTrue(result.err.contains("\(file):6:1: inject time T+07:00 is after the drill's end T+06:00"), result.err)
        XCTAssertTrue(result.err.contains("\(file):7:8: unknown expectation \"sometimes\""), result.err)
        XCTAssertTrue(result.err.contains("3 errors in the scenario; it does not start"), result.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/out"), "a scenario with errors writes no report")
        XCTAssertEqual(try drill(["run"]).status, 2)
        XCTAssertEqual(try drill(["run", directory + "/missing.drill"]).status, 2)
    }

    func testADrillFromLiveReadsTheRunningStoreAndLeavesItAsItWas() throws {
        let daemon = try startDaemon(["--catalog-file", Self.repository.path + "/config/catalog/skills.commands"])
        let client = try daemon.connect()
        for line in Self.world.split(separator: "\n").map({ String($0.split(separator: " ", maxSplits: 1)[1]) }) {
            try ok(client, line)
        }
        let before = try settledInfo(client)
        let lotsBefore = try client.request("stock lots").text
        let config = directory + "/drill.conf"
        try "data_dir = \(daemon.dataDirectory)\ncatalog_file = off\n".write(toFile: config, atomically: true, encoding: .utf8)
        let file = try scenario("live.drill", """
            scenario "On the live picture"
            start now
            from live
            end T+04:00
            officer plan every=30m apply_after=10m
            T+00:00 stock receive ty-01 water-5l 100 lot=DRILL supplier="Drill"
            expect by T+03:00 need N-000001 delivered
            """)
        let result = try drill(["run", file, "--config", config, "--report", directory + "/live"])
        XCTAssertEqual(result.status, 0, result.out + result.err)
        XCTAssertTrue(result.out.contains("from live"), result.out)
        // The daemon saw nothing of it: the same journal position and the same lots.
        let after = try info(client)
        XCTAssertEqual(after["seq"], before["seq"])
        XCTAssertEqual(try client.request("stock lots").text, lotsBefore)
        XCTAssertFalse(lotsBefore.contains("DRILL"))
    }

    func testAShippedScenarioGatesLikeCIWouldTheSameBytesEveryRun() throws {
        let first = try drill(["run", "config/drills/fen-river-flood.drill", "--report", directory + "/one"])
        XCTAssertEqual(first.status, 0, first.out + first.err)
        XCTAssertTrue(first.out.contains("0 failed"), first.out)
        let second = try drill(["run", "config/drills/fen-river-flood.drill", "--report", directory + "/two"])
        XCTAssertEqual(second.status, 0, second.out + second.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: directory + "/two/report.json")),
                       try Data(contentsOf: URL(fileURLWithPath: directory + "/one/report.json")))
    }
}
