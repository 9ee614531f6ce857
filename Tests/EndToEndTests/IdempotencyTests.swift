import Foundation
import ReliefProtocol
import XCTest

/// `req=TOKEN`: a repeated request gets the first reply again and applies nothing, also after a
/// restart (clean or a crash).
final class IdempotencyTests: EndToEndTestCase {
    func testRepeatedTokenAppliesOnceAcrossRestarts() throws {
        let daemon = try startDaemon()
        var client = try daemon.connect()
        try addCatalog(client)

        func waterIn(_ warehouse: String) throws -> String? {
            try rows(client, "stock query item=water").first { $0["warehouse"] == warehouse }?["on_hand"]
        }

        let receive = "stock receive wh-a water 250 lot=R-1 req=t-receive-1"
        let first = try client.request(receive)
        XCTAssertEqual(first.okFields?["lot"], "R-1", first.text)
        let seq = try info(client)["seq"]
        XCTAssertEqual(try client.request(receive), first)
        XCTAssertEqual(try waterIn("wh-a"), "250")
        XCTAssertEqual(try info(client)["seq"], seq, "a repeat must append nothing to the journal")

        // The same token on a different request is refused, changing nothing (TokenReuseTests).
        XCTAssertEqual(try client.request("stock receive wh-a water 999 lot=R-2 req=t-receive-1").errorCode, "CONFLICT")
        XCTAssertEqual(try waterIn("wh-a"), "250")

        let transfer = "stock transfer wh-a wh-b water 100 req=t-transfer-1"
        let moved = try client.request(transfer)
        XCTAssertEqual(moved.okFields?["transferred"], "100", moved.text)

        // Several repeats pipelined in one write: each gets the identical reply.
        try client.send(lines: Array(repeating: transfer, count: 5) + Array(repeating: receive, count: 5))
        for index in 0..<10 { XCTAssertEqual(try client.reply(), index < 5 ? moved : first) }
        XCTAssertEqual(try waterIn("wh-a"), "150")
        XCTAssertEqual(try waterIn("wh-b"), "100")

        // A refused request is not remembered: its token may be used once the request can succeed.
        XCTAssertEqual(try client.request("stock issue wh-b water 500 req=t-issue-1").errorCode, "INSUFFICIENT")
        let issued = try client.request("stock issue wh-b water 30 req=t-issue-1")
        XCTAssertEqual(issued.okFields?["issued"], "30", issued.text)

        // Clean restart.
        client.close()
        try daemon.stop()
        try daemon.start()
        client = try daemon.connect()
        XCTAssertEqual(try client.request(receive), first)
        XCTAssertEqual(try client.request(transfer), moved)
        XCTAssertEqual(try client.request("stock issue wh-b water 30 req=t-issue-1"), issued)
        XCTAssertEqual(try waterIn("wh-a"), "150")
        XCTAssertEqual(try waterIn("wh-b"), "70")

        // Crash: the token survives a kill -9 as well (it was committed with its events).
        let late = try client.request("stock receive wh-b water 5 lot=R-3 req=t-receive-3")
        XCTAssertEqual(late.okFields?["lot"], "R-3", late.text)
        let seqBeforeCrash = try info(client)["seq"]
        client.close()
        daemon.kill()
        try daemon.start()
        client = try daemon.connect()
        XCTAssertEqual(try client.request("stock receive wh-b water 5 lot=R-3 req=t-receive-3"), late)
        XCTAssertEqual(try client.request(receive), first)
        XCTAssertEqual(try waterIn("wh-a"), "150")
        XCTAssertEqual(try waterIn("wh-b"), "75")
        // Nothing applied again: the only entry added is the seal of the start-up snapshot.
        let settled = try settledInfo(client)
        XCTAssertEqual(settled["snapshot_seq"], seqBeforeCrash)
        XCTAssertEqual(settled["seq"], String(Int(seqBeforeCrash ?? "")! + 1))
    }

    /// `import commit req=TOKEN`: an import sent again whole with its token (its reply was lost
    /// with the connection) applies once, also when the first was checked again because the state
    /// moved meanwhile, and after a kill -9; the token with other rows is refused.
    func testAnImportCommittedWithATokenAppliesOnceWhenSentAgain() throws {
        let daemon = try startDaemon()
        var client = try daemon.connect()
        try addCatalog(client)
        let rowsOf = (1...50).map { "volunteer add v-\($0) name=\"Volunteer \($0)\" region=sx at=37.8,112.5" }
        func importAll(_ client: Client, _ rows: [String], token: String, during: (() throws -> Void)? = nil) throws -> ReplyReader.Parsed {
            try ok(client, "import begin volunteers")
            try client.send(lines: rows)
            try during?()
            return try client.request("import commit req=\(token)")
        }
        // Another client writes while the rows arrive: the commit checks them again off the loop.
        let first = try importAll(client, rowsOf, token: "imp-1") {
            let other = try daemon.connect()
            try self.ok(other, "stock receive wh-a water 1 lot=meanwhile")
            other.close()
        }
        XCTAssertEqual(first.okFields?["imported"], "50", first.text)
        let seq = try info(client)["seq"]

        client.close()
        client = try daemon.connect()
        XCTAssertEqual(try importAll(client, rowsOf, token: "imp-1"), first, "the retry gets the first reply")
        XCTAssertEqual(try info(client)["seq"], seq, "and appends nothing")
        let conflict = try importAll(client, Array(rowsOf.prefix(10)), token: "imp-1")
        XCTAssertEqual(conflict.errorCode, "CONFLICT", conflict.text)
        XCTAssertTrue(conflict.text.contains("import commit"), conflict.text)
        // Without a token the same rows are a new import, refused as duplicates.
        XCTAssertEqual(try importAll(client, Array(rowsOf.prefix(1)), token: "imp-2").errorCode, "SYNTAX")

        client.close()
        daemon.kill()
        try daemon.start()
        client = try daemon.connect()
        XCTAssertEqual(try importAll(client, rowsOf, token: "imp-1"), first, "remembered across a crash")
        XCTAssertEqual(try rows(client, "volunteer list limit=1000").count, 50)
        client.close()
    }
}
