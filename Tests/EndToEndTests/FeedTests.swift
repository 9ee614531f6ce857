import Foundation
import ReliefProtocol
import XCTest

/// The event feed (`watch`): every committed change once and in order, resumed across a restart
/// and a kill -9 from the store, cut off when a subscriber stops reading while writers go on, and
/// refused or masked by role.
final class FeedTests: EndToEndTestCase {
    /// The scripted operation: catalog, stock, a roster with personal data, an incident with its
    /// needs, reservations, dispatches and an assignment.
    static let script = [
        "region add sx name=Shanxi",
        "region add sx/yq name=Yangquan level=city",
        "warehouse add wh-a name=\"Depot A\" region=sx at=37.87,112.55",
        "warehouse add wh-b name=\"Depot B\" region=sx/yq at=37.86,113.58",
        "item add water name=\"Water 5l\" category=water unit=bottle",
        "item add tent name=Tent category=shelter unit=tent",
        "stock receive wh-a water 800 lot=W1",
        "stock receive wh-b water 200 lot=W2",
        "stock receive wh-a tent 50 lot=T1",
        "stock min wh-b water 100",
        "skill add first-aid name=\"First aid\"",
        "volunteer add v1 name=\"Wang Wei\" region=sx at=37.87,112.55 phone=13800000001 id_number=140102199001011234 skills=first-aid:3",
        "incident open flood title=\"Yangquan flash flood\" kind=flood at=37.86,113.58 region=sx severity=4 affected=1000",
        "need add flood supply water 300 priority=1",
        "need add flood supply tent 20 priority=2",
        "need add flood volunteers first-aid 1 hours=8 priority=1",
        "allocation reserve N-000001 wh-a W1 300",
        "allocation reserve N-000002 wh-a T1 20",
        "allocation dispatch AL-000001 note=\"truck 7\"",
        "allocation deliver AL-000001",
        "assignment add N-000003 v1",
        "stock transfer wh-a wh-b water 100",
        "need change N-000002 qty=25",
        "stock issue wh-b water 50 to=\"Shelter 3\"",
    ]

    func testEverySubscriberSeesEveryChangeOnceInOrderAndResumesAfterRestarts() throws {
        let daemon = try startDaemon()
        let admin = try daemon.connect()
        let everything = try daemon.connect()
        let started = try everything.request("watch")
        XCTAssertEqual(started.okFields?["from"], started.okFields?["seq"], started.text)
        for line in FeedTests.script.prefix(4) { try ok(admin, line) }
        // From 0, after the regions and warehouses exist: the start comes from the ring.
        let stock = try daemon.connect()
        XCTAssertEqual(try stock.request("watch stock:sx/yq needs from=0").okFields?["watching"], "needs,stock:sx/yq")

        for line in FeedTests.script.dropFirst(4) { try ok(admin, line) }
        let last = Int(try settledInfo(admin)["committed_seq"]!)!
        let expected = try journal(admin)
        let seen = try events(everything, through: expected.last!.seq)
        XCTAssertEqual(seen.map { Int($0["seq"]!)! }, expected.map(\.seq), "every change once, in commit order")
        XCTAssertEqual(seen.map { $0["event"]! }, expected.map(\.kind))
        XCTAssertLessThanOrEqual(expected.last!.seq, last)

        // The line is the journal's body, with its channel and who did it; a Unix-socket admin sees
        // personal data.
        let volunteer = try XCTUnwrap(seen.first { $0["event"] == "volunteer.added" })
        XCTAssertEqual(volunteer["channel"], "rosters")
        XCTAssertEqual(volunteer["phone"], "13800000001")
        XCTAssertEqual(volunteer["id"], "v1")
        let dispatched = try XCTUnwrap(seen.first { $0["event"] == "allocation.dispatched" })
        XCTAssertEqual([dispatched["channel"], dispatched["id"], dispatched["note"], dispatched["lot"], dispatched["qty"]],
                       ["allocations", "AL-000001", "truck 7", "W1", "300"])
        XCTAssertNotNil(dispatched["time"].flatMap { $0.hasSuffix("Z") ? $0 : nil })

        // stock:sx/yq is wh-b (under sx/yq) only: its lots, minimum, the transfer into it, the
        // issue from it; plus every need.
        let narrow = try events(stock, through: seen.last { ["need.changed", "lot.issued"].contains($0["event"]) }.map { Int($0["seq"]!)! } ?? 0)
        let wanted = seen.filter { line in
            line["channel"] == "needs" || (line["channel"] == "stock" && [line["warehouse"], line["to"], line["from"]].contains("wh-b"))
        }
        XCTAssertEqual(narrow.map { $0["seq"]! }, wanted.map { $0["seq"]! })
        XCTAssertEqual(narrow.filter { $0["channel"] == "stock" }.map { $0["event"]! },
                       ["lot.received", "minimum.set", "lot.transferred", "lot.issued"])

        // Resume across a clean restart, then across kill -9: from the seq last seen, exactly what
        // followed, read back from the store.
        let resumeFrom = Int(seen[seen.count / 2]["seq"]!)!
        everything.close(); stock.close(); admin.close()
        try daemon.restart()
        var client = try daemon.connect()
        try ok(client, "need add flood supply water 40 priority=3")
        daemon.kill()
        try daemon.start()
        client = try daemon.connect()
        try ok(client, "need cancel N-000004 reason=duplicate")
        let resumed = try daemon.connect()
        XCTAssertEqual(try resumed.request("watch from=\(resumeFrom)").okFields?["from"], String(resumeFrom))
        let after = try journal(client, after: resumeFrom)
        XCTAssertEqual(after.suffix(2).map(\.kind), ["need.added", "need.cancelled"])
        let replayed = try events(resumed, through: after.last!.seq)
        XCTAssertEqual(replayed.map { Int($0["seq"]!)! }, after.map(\.seq), "resumed after \(resumeFrom): every later change once")
        // …and live again after the catch-up.
        try ok(client, "incident update flood affected=1500")
        let live = try events(resumed, through: try journal(client).last!.seq)
        XCTAssertEqual(live.map { $0["event"]! }, ["incident.updated"])
    }

    func testResumingFromFarBackReadsTheStoreInPages() throws {
        // More entries than one page and the ring hold, so a resume from 0 reads pages from the
        // store while writes go on, then joins the live feed without a gap or a repeat.
        let daemon = try startDaemon()
        let admin = try daemon.connect()
        try addCatalog(admin)
        let lines = (1...2_500).map { "stock receive wh-a water \($0) lot=L\($0)" }
        try admin.send(lines: lines)
        for _ in lines { XCTAssertTrue(try admin.reply().isOK) }
        let watcher = try daemon.connect()
        try ok(watcher, "watch stock from=0")
        let writer = try daemon.connect()
        try writer.send(lines: (1...300).map { "stock receive wh-b water \($0) lot=M\($0)" })
        for _ in 0..<300 { XCTAssertTrue(try writer.reply().isOK) }
        let expected = try journal(admin).filter { $0.kind == "lot.received" }
        XCTAssertEqual(expected.count, 2_800)
        let seen = try events(watcher, through: expected.last!.seq, timeout: 60)
        XCTAssertEqual(seen.map { Int($0["seq"]!)! }, expected.map(\.seq))
    }

    func testASubscriberThatStopsReadingIsCutOffWhileWritersGoOn() throws {
        let daemon = try startDaemon(["--watch-max-output", "65536"])
        let admin = try daemon.connect()
        try addCatalog(admin)
        // Subscribes and never reads again.
        let stalled = try daemon.connect()
        try ok(stalled, "watch stock")
        // A subscriber that keeps up, reading on a thread of its own while the writes go on.
        let count = 6_000
        let socketPath = daemon.socketPath
        let reading = Locked((subscribed: false, events: 0, error: ""))
        let done = DispatchSemaphore(value: 0)
        Thread {
            defer { done.signal() }
            do {
                let reader = try Client(socketPath: socketPath, timeout: 60)
                guard try reader.request("watch stock").isOK else { throw Daemon.Failure("watch refused") }
                reading.withLock { $0.subscribed = true }
                while reading.withLock({ $0.events }) < count {
                    let reply = try reader.reply(timeout: 60)
                    guard let fields = reply.pushedFields else { throw Daemon.Failure("expected a feed line, got \(reply.text)") }
                    if fields["type"] == "EVENT" { reading.withLock { $0.events += 1 } }
                }
            } catch {
                reading.withLock { $0.error = "\(error)" }
            }
        }.start()
        try waitFor("the reader subscribed") { reading.withLock { $0.subscribed || !$0.error.isEmpty } }
        // Lines of ~190 bytes: 6,000 are over a megabyte, more than the socket buffers and the
        // 64 KiB limit hold.
        // Written 200 at a time (about 40 KB of feed), each time waiting for the reader to have
        // them all, so the reader is never near its limit however slow this machine is.
        let writer = try daemon.connect(timeout: 60)
        for chunk in stride(from: 1, through: count, by: 200) {
            try writer.send(lines: (chunk..<chunk + 200).map { "stock receive wh-a water 1 lot=LOT-\($0) note=\"pallet \($0) of the morning delivery\"" })
            for index in chunk..<chunk + 200 {
                let reply = try writer.reply()
                XCTAssertTrue(reply.isOK, "write \(index): \(reply.text)")
            }
            try waitFor("the reader to keep up", timeout: 30) { reading.withLock { $0.events >= chunk + 199 || !$0.error.isEmpty } }
        }
        try waitFor("the stalled subscriber cut off") { try info(admin)["feed_cut_off"] == "1" }
        // The reader got all of them; the stalled one, once it reads, finds where it was cut off.
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(reading.withLock { $0.error }, "")
        XCTAssertEqual(reading.withLock { $0.events }, count)
        // The reader's thread is done (its connection closes); a subscriber cut off is not counted.
        try waitFor("no subscriber counted") { try info(admin)["subscribers"] == "0" }
        var final: ReplyReader.Parsed?
        while true {
            let reply = try stalled.reply(timeout: 20)
            if reply.pushedFields == nil { final = reply; break }
        }
        XCTAssertEqual(final?.errorCode, "LIMIT", final?.text ?? "")
        XCTAssertTrue(final?.text.contains("watch cut off") == true, final?.text ?? "")
        XCTAssertTrue(stalled.waitForClose(timeout: 10))
        XCTAssertTrue(daemon.log.contains("watch subscriber cut off"))
    }

    func testReliefctlWatchResumesAcrossARestartWithoutMissingOrRepeating() throws {
        let daemon = try startDaemon()
        var admin = try daemon.connect()
        try addCatalog(admin)
        try ok(admin, "incident open flood title=Flood kind=flood at=37.86,113.58 region=sx severity=3")
        let scratch = NSTemporaryDirectory() + "watch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        FileManager.default.createFile(atPath: scratch + "/out", contents: nil)
        FileManager.default.createFile(atPath: scratch + "/err", contents: nil)
        let watch = Process()
        watch.executableURL = URL(fileURLWithPath: try Daemon.siblingBinary("reliefctl"))
        watch.arguments = ["--socket", daemon.socketPath, "watch", "needs", "--count", "4"]
        watch.standardOutput = FileHandle(forWritingAtPath: scratch + "/out")
        watch.standardError = FileHandle(forWritingAtPath: scratch + "/err")
        try watch.run()
        defer { if watch.isRunning { watch.terminate() } }
        try waitFor("reliefctl watch subscribed") { try info(admin)["subscribers"] == "1" }
        try ok(admin, "need add flood supply water 10")
        try ok(admin, "need add flood supply water 20")
        try waitFor("two needs printed") { (try String(contentsOfFile: scratch + "/out", encoding: .utf8)).split(separator: "\n").count == 2 }
        admin.close()
        try daemon.restart()
        admin = try daemon.connect()
        try ok(admin, "need add flood supply water 30")
        daemon.kill()
        try daemon.start()
        admin = try daemon.connect()
        try ok(admin, "need cancel N-000001 reason=duplicate")
        let deadline = Date().addingTimeInterval(60)
        while watch.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertFalse(watch.isRunning, "reliefctl watch did not print 4 events")
        XCTAssertEqual(watch.terminationStatus, 0)
        let out = try String(contentsOfFile: scratch + "/out", encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(out.map { ReplyReader.Parsed.dictionary(String($0.dropFirst(6)))["event"] ?? "" },
                       ["need.added", "need.added", "need.added", "need.cancelled"], out.joined(separator: "\n"))
        let seqs = out.compactMap { Int(ReplyReader.Parsed.dictionary(String($0.dropFirst(6)))["seq"] ?? "") }
        XCTAssertEqual(seqs, seqs.sorted())
        XCTAssertEqual(Set(seqs).count, 4)
        let err = try String(contentsOfFile: scratch + "/err", encoding: .utf8)
        XCTAssertTrue(err.contains("resuming after seq"), err)
    }

    func testWatchIsCheckedAndMaskedByRole() throws {
        let port = try Daemon.freePort()
        let daemon = try startDaemon(["--tcp", "127.0.0.1:\(port)"])
        let admin = try daemon.connect()
        try addCatalog(admin)
        try refused(admin, "watch floods", "SYNTAX")
        try refused(admin, "watch stock:nowhere", "NOTFOUND")
        try refused(admin, "watch from=999999", "SYNTAX")
        try refused(admin, "watch from=-1", "SYNTAX")
        try refused(admin, "watch needs limit=3", "SYNTAX")

        let organizer = try tcpClient(port: port, as: "drills", role: "drill_organizer", admin: admin)
        try refused(organizer, "watch stock", "DENIED")
        XCTAssertEqual(try organizer.request("watch").okFields?["watching"], "drills,catalog", "only what the role may read")
        let viewer = try tcpClient(port: port, as: "screen", role: "viewer", admin: admin)
        try refused(viewer, "watch users", "DENIED")
        XCTAssertEqual(try viewer.request("watch rosters").okFields?["watching"], "rosters")
        // A subscriber runs ping and quit only.
        try refused(viewer, "stock query", "SYNTAX")
        XCTAssertEqual(try viewer.request("ping").text, "OK pong")

        try ok(admin, "skill add first-aid name=\"First aid\"")
        try ok(admin, "volunteer add v1 name=\"Wang Wei\" region=sx at=37.87,112.55 phone=13800000001 id_number=140102199001011234")
        let seq = try journal(admin).last!.seq
        let masked = try events(viewer, through: seq)
        XCTAssertEqual(masked.map { $0["event"]! }, ["skill.added", "volunteer.added"])
        XCTAssertNil(masked[1]["phone"], "a viewer does not see a volunteer's phone")
        XCTAssertNil(masked[1]["id_number"])
        XCTAssertEqual(masked[1]["name"], "Wang Wei")
        XCTAssertEqual(masked[1]["actor"], "uid:0", "who did it, without role or credential")
    }
}
