import Foundation
import ReliefProtocol
import XCTest

/// Online drills beside live operation: `drill start` plays a scenario on a sandbox on its own
/// thread; the live state is untouched (compared listing for listing, and its journal position);
/// organizers pause, resume, stop, ask and inject; the report is written; a drill from the live
/// state records its participants in the live state when it ends, and nothing else.
final class OnlineDrillTests: EndToEndTestCase {
    private var config: String { Daemon.packageDirectory + "/config" }

    /// A daemon on the demo operation with a small generated roster, its drills in `drillsDir`.
    private func daemon(drillsDir: String? = nil, _ flags: [String] = []) throws -> (Daemon, Client) {
        let daemon = try startDaemon(["--demo", "on", "--demo-file", config + "/demo/shanxi.commands", "--demo-volunteers", "2000",
                                      "--catalog-file", config + "/catalog/skills.commands", "--planning-file", config + "/planning/sphere.standards",
                                      "--drills-dir", drillsDir ?? config + "/drills"] + flags)
        let client = try daemon.connect(timeout: 120)
        // The first look at the alerts (a second after start) raises the demo operation's: the
        // live picture is taken after it.
        try waitFor("the first look at the alerts", timeout: 60) { Int(try info(client)["alert_checks"] ?? "0")! >= 1 }
        _ = try settledInfo(client, timeout: 60)
        return (daemon, client)
    }

    /// What the live operation shows: every listing a drill could disturb, and the journal position.
    private func livePicture(_ client: Client) throws -> String {
        let listings = ["stock query limit=100000", "stock lots limit=100000", "incident list", "need list", "allocation list",
                        "assignment list", "volunteer list limit=1000000", "team readiness limit=100000", "plan list"]
        let fields = try info(client)
        return try listings.map { try client.request($0, timeout: 60).text }.joined(separator: "\n")
            + "\nseq=\(fields["seq"] ?? "?") committed_seq=\(fields["committed_seq"] ?? "?")"
    }

    /// The live journal's last seq and hash (`reliefd verify` recomputes the whole chain, beside the
    /// running daemon): equal only if every byte of every entry is.
    private func lastHash(_ daemon: Daemon) throws -> String {
        let result = try reliefd(["verify", "--data-dir", daemon.dataDirectory])
        XCTAssertEqual(result.status, 0, result.err)
        let fields = ReplyReader.Parsed.dictionary(result.out.replacingOccurrences(of: "\n", with: " "))
        let seq = try XCTUnwrap(fields["last_seq"], result.out), hash = try XCTUnwrap(fields["last_hash"], result.out)
        XCTAssertEqual(hash.count, 64, result.out)
        return "\(seq) \(hash)"
    }

    private func waitForState(_ client: Client, _ drill: String, _ states: Set<String>, timeout: Double = 240) throws -> [String: String] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let status = try client.request("drill status \(drill)", timeout: 30)
            guard let fields = status.okFields else { throw Daemon.Failure("drill status \(drill) → \(status.text)") }
            if states.contains(fields["state"] ?? "") { return fields }
            guard Date() < deadline else { throw Daemon.Failure("drill \(drill) did not reach \(states) within \(timeout) s: \(fields)") }
            usleep(100_000)
        }
    }

    func testADrillAtFullSpeedPassesLeavesLiveOperationAloneAndWritesItsReport() throws {
        let (daemon, client) = try daemon()
        let before = try livePicture(client)
        let journalBefore = try lastHash(daemon)
        let started = try client.request("drill start fen-river-flood speed=max", timeout: 120)
        XCTAssertEqual(started.okFields?["drill"], "d-1", started.text)
        XCTAssertEqual(started.okFields?["exercise"], "yes")
        // Live clients keep being served while it runs.
        XCTAssertEqual(try client.request("ping"), .ok("pong"))
        let done = try waitForState(client, "d-1", ["finished", "stopped"])
        XCTAssertEqual(done["state"], "finished")
        XCTAssertEqual(done["failed"], "0", "the scenario passes its own expectations: \(done)")
        XCTAssertNotEqual(done["held"], "0")
        XCTAssertEqual(try livePicture(client), before, "a drill from a dataset touched the live operation")
        XCTAssertEqual(try lastHash(daemon), journalBefore, "the live journal is the same, byte for byte (its whole hash chain)")

        let report = try client.request("drill report d-1")
        let path = try XCTUnwrap(report.okFields?["report"], report.text)
        let html = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(html.contains("EXERCISE"))
        let json = try String(contentsOfFile: try XCTUnwrap(report.okFields?["json"]), encoding: .utf8)
        XCTAssertTrue(json.contains("\"exercise\" : true"), String(json.prefix(200)))
        let log = try String(contentsOfFile: (path as NSString).deletingLastPathComponent + "/drill.log", encoding: .utf8)
        XCTAssertFalse(log.isEmpty)
        XCTAssertTrue(log.split(separator: "\n").allSatisfy { $0.contains("[exercise]") }, "every line of the drill's log is marked")
        XCTAssertNil(daemon.checkAlive())
    }

    func testOrganizersPauseResumeAskInjectAndStop() throws {
        let (daemon, client) = try daemon()
        XCTAssertEqual(try client.request("drill start fen-river-flood speed=60 id=slow", timeout: 120).okFields?["speed"], "60")
        let incidents = try client.request("drill ask slow incident list", timeout: 30)
        XCTAssertTrue(incidents.rowFields?.allSatisfy { $0["exercise"] == "yes" } ?? false, incidents.text)
        XCTAssertEqual(try client.request("drill inject slow stock receive ty-01 water-5l 100 lot=EX-1", timeout: 30).okFields?["lot"], "EX-1")
        XCTAssertEqual(try client.request("drill ask slow stock history lot=EX-1", timeout: 30).rowFields?.count, 1)
        XCTAssertEqual(try client.request("drill ask slow stock issue ty-01 water-5l 1", timeout: 30).errorCode, "DENIED", "a question only reads")
        XCTAssertNil(try rows(client, "stock lots warehouse=ty-01").first { $0["lot"] == "EX-1" }, "an inject stays in the drill")

        XCTAssertEqual(try client.request("drill pause slow").okFields?["state"], "paused")
        let paused = try waitForState(client, "slow", ["paused"])
        usleep(1_500_000)
        XCTAssertEqual(try waitForState(client, "slow", ["paused"])["at"], paused["at"], "drill time stands still while paused")
        XCTAssertEqual(try client.request("drill resume slow speed=600").okFields?["state"], "running")
        XCTAssertEqual(try waitForState(client, "slow", ["running"])["speed"], "600")
        XCTAssertEqual(try client.request("drill stop slow").okFields?["drill"], "slow")
        let stopped = try waitForState(client, "slow", ["stopped", "finished"])
        XCTAssertEqual(stopped["state"], "stopped")
        XCTAssertFalse((stopped["report"] ?? "").isEmpty)
        XCTAssertEqual(try client.request("drill inject slow ping").errorCode, "CONFLICT", "nothing more goes to a drill that is over")
        XCTAssertEqual(try rows(client, "drill list").map { $0["drill"] }, ["slow"])
        XCTAssertNil(daemon.checkAlive())
    }

    /// Issue 15: a CAP alert with status Exercise opens an exercise incident in the drill named by
    /// --drill, and nothing in the live operation.
    func testAnExerciseCAPAlertOpensAnIncidentInTheDrillOnly() throws {
        let (daemon, client) = try daemon()
        XCTAssertEqual(try client.request("drill start fen-river-flood speed=60 id=quake", timeout: 120).okFields?["drill"], "quake")
        let before = try livePicture(client)
        let alert = Daemon.packageDirectory + "/Tests/ReliefCAPTests/Fixtures/quake-exercise.xml"
        let imported = try reliefctl(["--socket", daemon.socketPath, "import", "cap", alert, "--region", "shanxi", "--drill", "quake"])
        XCTAssertEqual(imported.status, 0, imported.err)
        XCTAssertTrue(imported.out.hasPrefix("OK incident=cap-"), imported.out)
        let inDrill = try XCTUnwrap(client.request("drill ask quake incident list", timeout: 30).rowFields)
        let incident = try XCTUnwrap(inDrill.first { $0["incident"]?.hasPrefix("cap-") == true }, "\(inDrill)")
        XCTAssertEqual(incident["exercise"], "yes")
        XCTAssertEqual(incident["kind"], "earthquake")
        XCTAssertEqual(incident["severity"], "5")
        XCTAssertEqual(try livePicture(client), before, "an Exercise alert touched the live operation")
        XCTAssertNil(try rows(client, "incident list").first { $0["incident"]?.hasPrefix("cap-") == true })
        XCTAssertEqual(try client.request("drill stop quake").okFields?["drill"], "quake")
        XCTAssertNil(daemon.checkAlive())
    }

    func testRefusalsNameWhatWasWrong() throws {
        let directory = NSTemporaryDirectory() + "drills-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
        scenario "Broken"
        start 2026-07-15T06:00+08:00
        from empty
        end T+99:70
        officer plan every=often
        T+00:00 frobnicate the depot
        """.write(toFile: directory + "/broken.drill", atomically: true, encoding: .utf8)
        let (daemon, client) = try daemon(drillsDir: directory, ["--max-drills", "1"])
        let broken = try client.request("drill start broken", timeout: 60)
        XCTAssertEqual(broken.errorCode, "SYNTAX", broken.text)
        for place in ["broken.drill:4:", "broken.drill:5:", "broken.drill:6:"] {
            XCTAssertTrue(broken.text.contains(place), "every error is named with its line: \(broken.text)")
        }
        XCTAssertEqual(try client.request("drill start nope").errorCode, "NOTFOUND")
        XCTAssertEqual(try client.request("drill start ../../etc/passwd").errorCode, "SYNTAX", "only files in drills_dir")
        XCTAssertEqual(try client.request("drill start /etc/passwd").errorCode, "SYNTAX")
        XCTAssertEqual(try client.request("drill status d-9").errorCode, "NOTFOUND")
        try """
        scenario "Quiet"
        start 2026-07-15T06:00+08:00
        from empty
        end T+10:00
        """.write(toFile: directory + "/quiet.drill", atomically: true, encoding: .utf8)
        XCTAssertEqual(try client.request("drill start quiet speed=fast").errorCode, "SYNTAX")
        let quiet = try client.request("drill start quiet speed=1", timeout: 60)
        XCTAssertTrue(quiet.isOK, quiet.text)
        XCTAssertEqual(try client.request("drill start quiet", timeout: 60).errorCode, "LIMIT", "max_drills 1")
        XCTAssertNil(daemon.checkAlive())
        // A clean stop with a drill running: the drill is stopped and its report written.
        try daemon.stop()
        let id = try XCTUnwrap(quiet.okFields?["drill"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: daemon.dataDirectory + "/drills/\(id)/report.json"))
    }

    func testADrillFromTheLiveStateRecordsWhoTookPartAndNothingElse() throws {
        let directory = NSTemporaryDirectory() + "drills-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
        scenario "Taiyuan flash flood (live roster)"
        start now
        from live
        end T+06:00
        officer plan every=30m apply_after=5m
        officer dispatch after=10m
        T+00:00 incident open ex-ty title="Flash flood (exercise)" kind=flood at=37.87,112.55 region=shanxi/taiyuan severity=3 affected=500
        T+00:05 need add ex-ty supply water-5l 200 priority=1 ref=ex-water
        T+00:05 need add ex-ty volunteers first-aid 2 hours=4 priority=1 ref=ex-aid
        expect by T+03:00 need ex-water dispatched
        expect by T+03:00 need ex-aid met
        """.write(toFile: directory + "/live-flood.drill", atomically: true, encoding: .utf8)
        let (daemon, client) = try daemon(drillsDir: directory)
        let before = try livePicture(client)
        let seq = Int(try info(client)["seq"] ?? "") ?? -1
        XCTAssertTrue(try client.request("drill start live-flood speed=max", timeout: 120).isOK)
        let done = try waitForState(client, "d-1", ["finished", "stopped"])
        XCTAssertEqual(done["failed"], "0", "\(done)")
        // Only the drill record was added to the live journal.
        var after = try info(client)
        let deadline = Date().addingTimeInterval(10)
        while Int(after["seq"] ?? "") == seq, Date() < deadline { usleep(50_000); after = try info(client) }
        XCTAssertEqual(Int(after["seq"] ?? ""), seq + 1, "one entry: the drill record")
        let drilled = try rows(client, "volunteer export limit=1000000").filter { !($0["last_drill"] ?? "").isEmpty }
        XCTAssertGreaterThanOrEqual(drilled.count, 2, "the first-aiders sent in the drill (and their relief) have drilled today")
        XCTAssertEqual(Set(drilled.compactMap { $0["last_drill"] }).count, 1)
        // Everything else reads as before.
        XCTAssertEqual(try livePicture(client).split(separator: "\n").filter { !$0.hasPrefix("seq=") },
                       before.split(separator: "\n").filter { !$0.hasPrefix("seq=") })
        XCTAssertNil(daemon.checkAlive())
    }
}
