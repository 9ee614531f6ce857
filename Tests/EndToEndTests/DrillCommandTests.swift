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

    // MARK: what-if

    /// A real incident handled on a running daemon (`reliefctl`'s lines): 2,000 bottles asked
    /// for where the province holds 1,000, 300 donated meanwhile, the officer's plans, dispatches
    /// and deliveries, then the incident closed with 700 still missing.
    func handleARealIncident(_ client: Client) throws {
        for line in [
            "region add shanxi name=Shanxi level=province",
            "region add shanxi/taiyuan name=Taiyuan level=city",
            "warehouse add ty-01 name=Taiyuan region=shanxi/taiyuan at=37.87,112.55",
            "item add water-5l name=Water category=water unit=bottle",
            "stock receive ty-01 water-5l 1000 lot=A expires=2027-06-30 supplier=S",
            "incident open f title=\"Flood, Xiaodian\" kind=flood at=38.23,112.55 region=shanxi/taiyuan severity=3 affected=500",
            "need add f supply water-5l 2000 priority=1 by=12h ref=f-water",
            "plan",
            "plan apply",
            "allocation dispatch AL-000001",
            "stock receive ty-01 water-5l 300 lot=DON-1 expires=2027-07-31 donor=\"Shanxi Coal Union\"",
            "allocation deliver AL-000001",
            "plan",
            "plan apply",
            "allocation dispatch AL-000002",
            "allocation deliver AL-000002",
            "incident status f closed note=\"evacuated\"",
        ] { try ok(client, line) }
    }

    static let asItWas = """
        scenario "Xiaodian flood, as it was"
        replay incident f
        officer plan every=30m apply_after=10m
        expect at T+03:00 need f-water missing = 0
        """

    static let withDepot = """
        scenario "Xiaodian flood, with a reserve depot"
        replay incident f
        officer plan every=30m apply_after=10m
        T+00:00 warehouse add yq-02 name="Yangqu reserve depot" region=shanxi/taiyuan at=38.05,112.60
        T+00:00 stock receive yq-02 water-5l 2000 lot=WHATIF-1 expires=2027-12-31 supplier="Provincial reserve"
        expect at T+03:00 need f-water missing = 0
        """

    func testAWhatIfReplaysARealIncidentOfTheRunningStoreAndComparesTheTwoDrills() throws {
        let daemon = try startDaemon(["--catalog-file", Self.repository.path + "/config/catalog/skills.commands"])
        let client = try daemon.connect()
        try handleARealIncident(client)
        let before = try settledInfo(client)
        let config = directory + "/drill.conf"
        try "data_dir = \(daemon.dataDirectory)\ncatalog_file = off\n".write(toFile: config, atomically: true, encoding: .utf8)
        let a = try scenario("as-it-was.drill", Self.asItWas), b = try scenario("with-depot.drill", Self.withDepot)

        let result = try drill(["run", a, "--compare", b, "--config", config, "--report", directory + "/whatif"])
        XCTAssertEqual(result.status, 1, "as it was, the water stayed 700 short: A's expectation fails\n" + result.out + result.err)
        XCTAssertTrue(result.out.hasPrefix("A:\nEXERCISE drill \"Xiaodian flood, as it was\""), result.out)
        XCTAssertTrue(result.out.contains("\nB:\nEXERCISE drill \"Xiaodian flood, with a reserve depot\""), result.out)
        XCTAssertTrue(result.out.contains("replay of incident f (journal entries"), result.out)
        XCTAssertTrue(result.out.contains("EXERCISE comparison: A \"Xiaodian flood, as it was\" vs B \"Xiaodian flood, with a reserve depot\""), result.out)
        XCTAssertTrue(result.out.contains("  f-water: ") && result.out.contains("missing at the end 700 → 0"), result.out)
        for file in ["a/report.html", "a/report.json", "a/drill.log", "b/report.html", "b/report.json", "b/drill.log", "compare.html", "compare.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/whatif/" + file), file)
        }
        let comparison = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/whatif/compare.json"))) as? [String: Any])
        XCTAssertEqual(comparison["exercise"] as? Bool, true)
        let water = try XCTUnwrap((comparison["needs"] as? [[String: Any]])?.first { $0["name"] as? String == "f-water" })
        XCTAssertEqual((water["a"] as? [String: Any])?["unmetAtEnd"] as? Int, 700)
        XCTAssertEqual((water["b"] as? [String: Any])?["unmetAtEnd"] as? Int, 0)
        XCTAssertEqual((comparison["a"] as? [String: Any])?["page"] as? String, "a/report.html")
        let page = try String(contentsOfFile: directory + "/whatif/compare.html", encoding: .utf8)
        XCTAssertTrue(page.contains("<title>EXERCISE — Drill comparison: Xiaodian flood, as it was vs Xiaodian flood, with a reserve depot</title>"))
        XCTAssertTrue(page.contains("<a href=\"b/report.html\">"))

        // The daemon saw nothing: the same journal position, no drill incident or depot in it.
        XCTAssertEqual(try info(client)["seq"], before["seq"])
        XCTAssertFalse(try client.request("warehouse list").text.contains("yq-02"))

        // Another process gives the same bytes; `drill compare` over the written reports too.
        let again = try drill(["run", a, "--compare", b, "--config", config, "--report", directory + "/again"])
        XCTAssertEqual(again.status, 1, again.out + again.err)
        for file in ["compare.json", "compare.html", "a/report.json", "b/report.json"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: directory + "/again/" + file)),
                           try Data(contentsOf: URL(fileURLWithPath: directory + "/whatif/" + file)), file)
        }
        let written = try Data(contentsOf: URL(fileURLWithPath: directory + "/whatif/compare.json"))
        let compared = try drill(["compare", directory + "/whatif/a", directory + "/whatif/b/report.json", "--report", directory + "/whatif"])
        XCTAssertEqual(compared.status, 0, compared.out + compared.err)
        XCTAssertTrue(compared.out.contains("missing at the end 700 → 0"), compared.out)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: directory + "/whatif/compare.json")), written, "the same comparison from the reports' JSON")
    }

    func testAWhatIfNamesWhatItCannotReplay() throws {
        let a = try scenario("nowhere.drill", """
            scenario "Nowhere"
            replay incident nowhere
            """)
        let empty = directory + "/empty-store"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let config = directory + "/drill.conf"
        try "data_dir = \(empty)\ncatalog_file = off\n".write(toFile: config, atomically: true, encoding: .utf8)
        let missing = try drill(["run", a, "--config", config])
        XCTAssertEqual(missing.status, 2, missing.out + missing.err)
        XCTAssertTrue(missing.err.contains("\(a):2:17: cannot replay incident nowhere: no SQLite store at \(empty)/reliefd.db"), missing.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: empty + "/reliefd.db"), "nothing is created where no store is")

        let postgres = directory + "/postgres.conf"
        try "store = postgres://relief@127.0.0.1:1/relief\ncatalog_file = off\n".write(toFile: postgres, atomically: true, encoding: .utf8)
        let offline = try drill(["run", a, "--config", postgres])
        XCTAssertEqual(offline.status, 2, offline.out + offline.err)
        XCTAssertTrue(offline.err.contains("replay incident reads the embedded SQLite store offline;") && offline.err.contains("is PostgreSQL, which is not read offline yet"),
                      offline.err)

        let withErrors = try scenario("broken-b.drill", "scenario \"B\"\nreplay incident f\nstart 2026-07-15T06:00Z\n")
        let both = try drill(["run", a, "--compare", withErrors, "--config", config])
        XCTAssertEqual(both.status, 2, both.out + both.err)
        XCTAssertTrue(both.err.contains("\(withErrors):3:1: start given with replay incident (line 2)"), both.err)
        XCTAssertTrue(both.err.contains("errors in the scenarios; they do not start"), both.err)
        XCTAssertFalse(both.out.contains("EXERCISE drill"), "neither plays when one has errors")

        let unreadable = try drill(["compare", directory + "/none", directory + "/none"])
        XCTAssertEqual(unreadable.status, 2)
        XCTAssertTrue(unreadable.err.contains("cannot read \(directory)/none; expected a drill report"), unreadable.err)
        XCTAssertEqual(try drill(["compare", directory]).status, 2)
        try FileManager.default.createDirectory(atPath: directory + "/broken", withIntermediateDirectories: true)
        try "{\"exercise\": true,\n \"scenario\" 3\n}".write(toFile: directory + "/broken/report.json", atomically: true, encoding: .utf8)
        let broken = try drill(["compare", directory + "/broken", directory + "/broken/report.json"])
        XCTAssertEqual(broken.status, 2)
        XCTAssertTrue(broken.err.contains("\(directory)/broken/report.json:2:13: not valid JSON (Invalid value around character 31); expected a report.json written by reliefd drill run --report"), broken.err)
        try "{\"exercise\": true, \"scenario\": 3}".write(toFile: directory + "/broken/report.json", atomically: true, encoding: .utf8)
        let notAReport = try drill(["compare", directory + "/broken", directory + "/broken"])
        XCTAssertEqual(notAReport.status, 2)
        XCTAssertTrue(notAReport.err.contains("/broken/report.json: at scenario: ") && notAReport.err.contains("; expected a report.json written by reliefd drill run --report"),
                      notAReport.err)
    }
}
