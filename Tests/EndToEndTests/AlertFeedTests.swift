import Foundation
import ReliefProtocol
import XCTest

/// Alerts through the daemon: a scripted sequence raises and clears them, each once, on the feed's
/// alerts channel; they are listed, acknowledged, and kept across a restart without being raised
/// again. (Duty hours and the day-by-day expiries need hours or days to pass: AlertTests drives
/// them on a hand-moved clock.)
final class AlertFeedTests: EndToEndTestCase {
    /// Alert lines from `client` until `count` were seen: `+KIND SUBJECT`, `-KIND SUBJECT`, `ack ID`.
    func alerts(_ client: Client, count: Int, subjects: inout [String: String], timeout: Double = 20) throws -> [String] {
        var seen: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        while seen.count < count {
            guard Date() < deadline else { throw Daemon.Failure("saw \(seen) of \(count) alert events within \(timeout) s") }
            let reply = try client.reply(timeout: deadline.timeIntervalSinceNow)
            guard let fields = reply.pushedFields else { throw Daemon.Failure("expected a feed line, got \(reply.text)") }
            guard fields["type"] == "EVENT", let id = fields["id"] else { continue }
            XCTAssertEqual(fields["channel"], "alerts")
            switch fields["event"] {
            case "alert.raised":
                subjects[id] = "\(fields["kind"] ?? "?") \(fields["subject"] ?? "?")"
                seen.append("+" + subjects[id]!)
            case "alert.cleared": seen.append("-" + (subjects[id] ?? id))
            case "alert.acknowledged": seen.append("ack " + (subjects[id] ?? id))
            default: XCTFail("unexpected \(reply.text)")
            }
        }
        return seen
    }

    func testAScriptedOperationRaisesAndClearsEachAlertOnce() throws {
        let daemon = try startDaemon(["--alert-delivery-minutes", "0", "--alert-plan-minutes", "0", "--alert-lot-expiry-days", "30",
                                      "--catalog-file", Daemon.packageDirectory + "/config/catalog/skills.commands"])
        let admin = try daemon.connect()
        try addCatalog(admin)
        let watcher = try daemon.connect()
        try ok(watcher, "watch alerts")
        var subjects: [String: String] = [:]

        // Stock below its minimum, then restocked.
        try ok(admin, "stock min wh-a water 100")
        XCTAssertEqual(try alerts(watcher, count: 1, subjects: &subjects), ["+stock_low wh-a:water"])
        try ok(admin, "stock receive wh-a water 500 lot=W1")
        XCTAssertEqual(try alerts(watcher, count: 1, subjects: &subjects), ["-stock_low wh-a:water"])

        // A lot that expires soon, until it is issued.
        let soon = String(ISO8601DateFormatter().string(from: Date().addingTimeInterval(10 * 86_400)).prefix(10))
        try ok(admin, "stock receive wh-b water 40 lot=SOON expires=\(soon)")
        XCTAssertEqual(try alerts(watcher, count: 1, subjects: &subjects), ["+lot_expiring wh-b:SOON"])
        try ok(admin, "stock issue wh-b water 40 lot=SOON to=\"Shelter 3\"")
        XCTAssertEqual(try alerts(watcher, count: 1, subjects: &subjects), ["-lot_expiring wh-b:SOON"])

        // A team member's certification about to lapse, renewed.
        try ok(admin, "volunteer add v1 name=\"Wang Wei\" region=sx at=37.87,112.55 skills=first-aid:3")
        try ok(admin, "volunteer certify v1 first-aid issued=2026-01-01 expires=\(soon) issuer=RC")
        try ok(admin, "team add t1 name=\"Team 1\" specialty=medical region=sx at=37.8,112.5")
        try ok(admin, "team member add t1 v1")
        XCTAssertEqual(try alerts(watcher, count: 1, subjects: &subjects), ["+certification_expiring v1:first-aid"])
        try ok(admin, "volunteer certify v1 first-aid issued=2026-01-01 expires=2030-01-01 issuer=RC")
        XCTAssertEqual(try alerts(watcher, count: 1, subjects: &subjects), ["-certification_expiring v1:first-aid"])

        // A need due in three seconds, its goods dispatched and late at once (0 minutes allowed),
        // then delivered; a plan left unapplied (0 minutes), then applied.
        let due = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3))
        try ok(admin, "incident open flood title=Flood kind=flood at=37.86,113.58 region=sx severity=3")
        try ok(admin, "need add flood supply water 300 by=\(due)")
        try ok(admin, "allocation reserve N-000001 wh-a W1 300")
        try ok(admin, "allocation dispatch AL-000001")
        XCTAssertEqual(try alerts(watcher, count: 1, subjects: &subjects), ["+delivery_late AL-000001"])
        XCTAssertEqual(try alerts(watcher, count: 1, subjects: &subjects), ["+need_overdue N-000001"], "raised by the deadline passing")
        let listed = try rows(admin, "alert list")
        XCTAssertEqual(listed.map { $0["kind"]! }, ["delivery_late", "need_overdue"])
        let overdue = listed[1]["alert"]!
        try ok(admin, "alert ack \(overdue) note=\"truck 7 called\"")
        XCTAssertEqual(try alerts(watcher, count: 1, subjects: &subjects), ["ack need_overdue N-000001"])
        try ok(admin, "allocation deliver AL-000001")
        XCTAssertEqual(try alerts(watcher, count: 2, subjects: &subjects).sorted(), ["-delivery_late AL-000001", "-need_overdue N-000001"])

        try ok(admin, "need add flood supply water 100")
        try ok(admin, "match flood")
        XCTAssertEqual(try alerts(watcher, count: 1, subjects: &subjects), ["+plan_unapplied PL-000001"])
        try ok(admin, "plan apply PL-000001")
        XCTAssertEqual(try alerts(watcher, count: 1, subjects: &subjects), ["-plan_unapplied PL-000001"])

        // One left raised and acknowledged, across a restart: still there, not raised again.
        try ok(admin, "stock min wh-b water 10")
        let low = try alerts(watcher, count: 1, subjects: &subjects)
        XCTAssertEqual(low, ["+stock_low wh-b:water"])
        let id = try XCTUnwrap(subjects.first { $0.value == "stock_low wh-b:water" }?.key)
        try ok(admin, "alert ack \(id)")
        let before = try rows(admin, "alert list")
        XCTAssertEqual(before.map { $0["alert"] }, [id])
        XCTAssertEqual(before.first?["acknowledged_by"], "uid:0")
        let seq = Int(try settledInfo(admin)["committed_seq"]!)!
        watcher.close(); admin.close()
        try daemon.restart()
        let again = try daemon.connect()
        XCTAssertEqual(try rows(again, "alert list"), before)
        let resumed = try daemon.connect()
        try ok(resumed, "watch alerts from=\(seq)")
        try ok(again, "stock receive wh-b water 20 lot=W3")
        XCTAssertEqual(try alerts(resumed, count: 1, subjects: &subjects), ["-stock_low wh-b:water"], "cleared, never raised twice")
    }
}
