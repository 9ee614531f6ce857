import Foundation
import ReliefProtocol
import XCTest

/// A holding at the documented maximum of 10^12 units (docs/protocol.md, "Limits on quantities")
/// through a real daemon: the next receipt, recount or transfer into it gets ERR LIMIT and changes
/// nothing, the daemon stays up, match and plan answer on it, and after a crash (the journal
/// replays) and after a clean restart (the snapshot loads) it starts, answers and still refuses.
final class QuantityLimitTests: EndToEndTestCase {
    static let maximum = "1000000000000"

    func testAHoldingAtTheMaximumRefusesMoreAndSurvivesRestarts() throws {
        let daemon = try startDaemon()
        var client = try daemon.connect()
        try addCatalog(client)
        try ok(client, "stock receive wh-a water 999999999999 lot=A")
        try ok(client, "stock adjust wh-a A delta=+1 reason=recount")
        try ok(client, "stock receive wh-b water 5 lot=B")
        XCTAssertEqual(try rows(client, "stock query warehouse=wh-a").first?["on_hand"], Self.maximum)

        func refusedForTheLimit(_ line: String, file: StaticString = #filePath, line number: UInt = #line) throws {
            let reply = try client.request(line)
            XCTAssertEqual(reply.errorCode, "LIMIT", "\(line) → \(reply.text)", file: file, line: number)
            if case .error(_, let message) = reply {
                XCTAssertTrue(message.hasPrefix("wh-a would hold 1000000000001 water (lot "), message, file: file, line: number)
                XCTAssertTrue(message.hasSuffix("at most 1000000000000 of one item may be held in one warehouse"), message, file: file, line: number)
            }
        }
        let before = try observable(client)
        try refusedForTheLimit("stock receive wh-a water 1 lot=A")
        try refusedForTheLimit("stock receive wh-a water 1")
        try refusedForTheLimit("stock adjust wh-a A delta=+1 reason=recount")
        try refusedForTheLimit("stock transfer wh-b wh-a water 1")
        try refused(client, "stock receive wh-a water 1000000000001", "SYNTAX")
        XCTAssertEqual(try observable(client), before, "refused requests changed the state")
        XCTAssertNil(daemon.checkAlive())

        // Needs at the maximum are matched against it.
        try ok(client, "incident open flood title=Flood kind=flood at=37.80,112.60 region=sx severity=4")
        try ok(client, "need add flood supply water \(Self.maximum) priority=1")
        try ok(client, "need add flood supply water \(Self.maximum) priority=2")
        let proposal = try rows(client, "match flood")
        XCTAssertEqual(proposal.compactMap { $0["qty"].flatMap { Int64($0) } }.reduce(0, +), 1_000_000_000_005, proposal.description)
        XCTAssertEqual(proposal.last?["need"], "N-000002")
        XCTAssertEqual(proposal.last?["missing"], "999999999995")
        XCTAssertEqual(try rows(client, "plan").first?["unmet"], "1")
        try ok(client, "plan apply")
        try refusedForTheLimit("stock receive wh-a water 1")
        let fields = try info(client)
        XCTAssertEqual(fields["snapshot_seq"], "0", "no snapshot yet: a restart now replays the journal")

        let queries = ["stock query", "stock lots", "need list", "allocation list", "plan show", "item show water"]
        let shown = try queries.map { try client.request($0).text }
        XCTAssertNil(daemon.checkAlive())
        client.close()

        // A crash: the journal replays to the state at the maximum, which must load and answer.
        daemon.kill()
        try daemon.start()
        client = try daemon.connect()
        XCTAssertEqual(try queries.map { try client.request($0).text }, shown, "after the journal replayed")
        // The replayed state at the same seq, snapshotted at start (its seal adds one entry).
        XCTAssertEqual(try settledInfo(client)["snapshot_seq"], fields["seq"])
        try refusedForTheLimit("stock receive wh-a water 1")
        XCTAssertEqual(try rows(client, "match flood").first?["unmet"], "1")
        // The daemon snapshots what it replayed; wait for it, so the next start loads the snapshot.
        let deadline = Date().addingTimeInterval(20)
        while try info(client)["snapshot_seq"] == "0" && Date() < deadline { usleep(50_000) }
        XCTAssertNotEqual(try info(client)["snapshot_seq"], "0")
        client.close()

        // A clean restart loads a snapshot (that one, or a later one taken at shutdown).
        try daemon.restart()
        client = try daemon.connect()
        XCTAssertNotEqual(try info(client)["snapshot_seq"], "0")
        XCTAssertEqual(try rows(client, "stock query warehouse=wh-a").first?["on_hand"], Self.maximum)
        try refusedForTheLimit("stock adjust wh-a A delta=+1 reason=recount")
        // It still takes writes: what was reserved is released, one unit leaves and comes back.
        for allocation in try rows(client, "allocation list status=reserved") { try ok(client, "allocation release \(allocation["allocation"] ?? "?")") }
        try ok(client, "stock issue wh-a water 1")
        try ok(client, "stock receive wh-a water 1 lot=A")
        try refusedForTheLimit("stock receive wh-a water 1 lot=A")
        XCTAssertNil(daemon.checkAlive())
    }
}
