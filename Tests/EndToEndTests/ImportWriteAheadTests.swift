import Foundation
import ReliefProtocol
import XCTest

/// A large import is written ahead into an open transaction while its rows arrive
/// (`import_written_ahead` in `info`). It must stay all or nothing: a `kill -9` in the middle leaves
/// no trace of it, and another client's write in the middle ends the staging without losing either.
final class ImportWriteAheadTests: EndToEndTestCase {
    /// Enough rows that the daemon stages several slices (8,192 entries each).
    private let count = 20_000

    private func rows(_ range: Range<Int>, prefix: String = "v") -> [String] {
        range.map { n in "volunteer add \(prefix)-\(n) name=\"Volunteer \(n)\" region=sx at=37.\(n % 90),112.\(n % 70) line=\(n + 2)" }
    }

    /// Waits until the open import has at least `entries` entries written ahead.
    private func waitForWriteAhead(_ client: Client, atLeast entries: Int, timeout: Double = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let written = Int(try info(client)["import_written_ahead"] ?? ""), written >= entries { return }
            usleep(20_000)
        }
        XCTFail("no \(entries) entries written ahead within \(timeout) s; info: \(try info(client))")
    }

    func testWrittenAheadImportCommitsWholeAndKillMidwayLeavesNoTrace() throws {
        let daemon = try startDaemon()
        let observer = try daemon.connect()
        try ok(observer, "region add sx name=Shanxi")
        let seq = try info(observer)["committed_seq"]

        // kill -9 while the import is being written ahead: nothing of it after the restart.
        var importer = try daemon.connect(timeout: 120)
        try ok(importer, "import begin volunteers")
        try importer.send(lines: rows(0..<count))
        try waitForWriteAhead(observer, atLeast: 8192)
        XCTAssertEqual(try rows(observer, "volunteer list limit=5").count, 0, "nothing visible before the commit")
        daemon.kill()
        try daemon.start()
        var client = try daemon.connect()
        // Nothing of the import: only the seal of the start-up snapshot (of the state at seq) was added.
        let restarted = try settledInfo(client)
        XCTAssertEqual(restarted["snapshot_seq"], seq)
        XCTAssertEqual(restarted["committed_seq"], String(Int(seq ?? "")! + 1))
        XCTAssertEqual(try rows(client, "volunteer list limit=5").count, 0)

        // The same import to the end: OK only once durable, and all of it after a kill -9.
        importer = try daemon.connect(timeout: 120)
        try ok(importer, "import begin volunteers")
        try importer.send(lines: rows(0..<count))
        try waitForWriteAhead(client, atLeast: 8192)
        // With a token: its record follows the entries written ahead, in the same commit.
        let reply = try importer.request("import commit req=ahead-1", timeout: 120)
        XCTAssertEqual(reply.okFields?["imported"], String(count), reply.text)
        XCTAssertEqual(try info(client)["import_written_ahead"], "0", "no import open any more")
        daemon.kill()
        try daemon.start()
        client = try daemon.connect()
        // That seal, the import, its token's record, and the seal of this start's snapshot.
        XCTAssertEqual(Int(try settledInfo(client)["committed_seq"] ?? ""), Int(seq ?? "")! + 1 + count + 1 + 1)
        XCTAssertEqual(try client.request("volunteer show v-\(count - 1)").okFields?["name"], "Volunteer \(count - 1)")
        // Sent again whole with its token (as after a lost reply): the first reply, nothing applied.
        importer = try daemon.connect(timeout: 120)
        try ok(importer, "import begin volunteers")
        try importer.send(lines: rows(0..<count))
        XCTAssertEqual(try importer.request("import commit req=ahead-1", timeout: 120), reply)
        XCTAssertEqual(Int(try info(client)["committed_seq"] ?? ""), Int(seq ?? "")! + 1 + count + 1 + 1)
    }

    func testAnotherWriteDuringTheImportEndsTheStagingAndBothCommit() throws {
        let daemon = try startDaemon()
        let other = try daemon.connect()
        try ok(other, "region add sx name=Shanxi")
        let importer = try daemon.connect(timeout: 120)
        try ok(importer, "import begin volunteers")
        try importer.send(lines: rows(0..<count))
        try waitForWriteAhead(other, atLeast: 8192)

        // Another client's write is answered at once; the staged transaction is rolled back first.
        try ok(other, "volunteer add w-1 name=Walk-in region=sx at=37.8,112.5")
        XCTAssertEqual(try info(other)["import_written_ahead"], "0")
        // The import's rows are checked again against the changed state at commit: a clash is refused.
        try importer.send(lines: ["volunteer add w-1 name=Clash region=sx at=37.8,112.5 line=99999"])
        let refused = try importer.request("import commit", timeout: 120)
        XCTAssertEqual(refused.errorCode, "SYNTAX", refused.text)
        XCTAssertTrue(refused.text.contains("1 bad row of \(count + 1): line 99999: CONFLICT"), refused.text)

        // Again without the clash, with a write in the middle: both are there after a kill -9.
        try ok(importer, "import begin volunteers")
        try importer.send(lines: rows(0..<count))
        try waitForWriteAhead(other, atLeast: 8192)
        try ok(other, "volunteer add w-2 name=\"Second walk-in\" region=sx at=37.8,112.5")
        try importer.send(lines: rows(0..<100, prefix: "late"))
        let reply = try importer.request("import commit", timeout: 120)
        XCTAssertEqual(reply.okFields?["imported"], String(count + 100), reply.text)
        let committed = try info(other)["committed_seq"]
        daemon.kill()
        try daemon.start()
        let client = try daemon.connect()
        XCTAssertEqual(try settledInfo(client)["committed_seq"], String(Int(committed ?? "")! + 1), "all of it, and the start-up snapshot's seal")
        for id in ["w-1", "w-2", "v-0", "v-\(count - 1)", "late-99"] {
            XCTAssertTrue(try client.request("volunteer show \(id)").isOK, id)
        }
    }

    func testAnImportCheckedAgainOffTheLoopHoldsWritesUntilItIsDone() throws {
        let daemon = try startDaemon()
        let other = try daemon.connect(timeout: 120)
        let observer = try daemon.connect()
        try ok(other, "region add sx name=Shanxi")
        let importer = try daemon.connect(timeout: 120)
        try ok(importer, "import begin volunteers")
        try importer.send(lines: rows(0..<count, prefix: "b"))
        // A write while the rows arrive: they were checked on a state that is no longer the live one.
        try ok(other, "volunteer add w-3 name=Walk-in region=sx at=37.8,112.5")
        let offloadedBefore = Int(try info(observer)["offloaded"] ?? "") ?? -1
        try importer.send("import commit")
        // The daemon has taken the commit once the re-check is queued or done.
        try waitFor("the import's re-check to start", timeout: 60) {
            let fields = try info(observer)
            return fields["offload_queue"] != "0" || Int(fields["offloaded"] ?? "") ?? -1 > offloadedBefore
        }
        // A write that clashes with a row of the import, sent while its rows are checked again: it
        // waits, so the check is the last word and the import applies whole; then the write is
        // refused against the state with the import in it.
        try other.send("volunteer add b-5 name=Latecomer region=sx at=37.8,112.5")
        var sawWaiting = false
        var imported: ReplyReader.Parsed?
        while imported == nil {
            if try info(observer)["writes_waiting"] == "1" { sawWaiting = true }
            do { imported = try importer.reply(timeout: 0.05) } catch Client.Failure.timedOut { continue }
        }
        XCTAssertEqual(imported?.okFields?["imported"], String(count), imported?.text ?? "")
        let clash = try other.reply(timeout: 60)
        XCTAssertEqual(clash.errorCode, "CONFLICT", clash.text)
        XCTAssertEqual(try client(observer, "volunteer show b-5")["name"], "Volunteer 5")
        XCTAssertGreaterThan(Int(try info(observer)["offloaded"] ?? "") ?? -1, offloadedBefore, "the check ran off the loop")
        print("import checked again off the loop: a write was seen waiting: \(sawWaiting)")
        XCTAssertNil(daemon.checkAlive())
    }

    private func client(_ client: Client, _ line: String) throws -> [String: String] {
        let reply = try client.request(line)
        guard let fields = reply.okFields else { throw Daemon.Failure("\(line) → \(reply.text)") }
        return fields
    }
}
