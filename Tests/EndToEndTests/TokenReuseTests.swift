import Foundation
import ReliefProtocol
import XCTest

/// Token reuse (issue 9): `req=` tokens belong to the client that sent them (the user: here the
/// Unix socket's admin uid and a user logged in on TCP) and are bound to the request. Another client cannot claim, answer
/// or flush a client's tokens; a token reused for another request is refused; all of it holds
/// across a crash (journal replay) and a clean restart (snapshot).
final class TokenReuseTests: EndToEndTestCase {
    private func water(_ client: Client, _ warehouse: String) throws -> String? {
        try rows(client, "stock query item=water").first { $0["warehouse"] == warehouse }?["on_hand"]
    }

    private func tcpDaemon() throws -> (daemon: Daemon, port: UInt16, unix: Client) {
        let port = try Daemon.freePort()
        let daemon = try startDaemon(["--tcp", "127.0.0.1:\(port)"])
        let unix = try daemon.connect()
        try addCatalog(unix)
        return (daemon, port, unix)
    }

    func testTheSameTokenFromATCPAndAUnixClientAppliesEach() throws {
        let (_, port, unix) = try tcpDaemon()
        let tcp = try tcpClient(port: port, admin: unix)
        let mine = try unix.request("stock receive wh-a water 100 lot=U-1 req=shared")
        XCTAssertEqual(mine.okFields?["lot"], "U-1", mine.text)
        // With global tokens this got the Unix client's reply and received nothing.
        let theirs = try tcp.request("stock receive wh-b water 40 lot=T-1 req=shared")
        XCTAssertEqual(theirs.okFields?["lot"], "T-1", theirs.text)
        XCTAssertEqual(try water(unix, "wh-a"), "100")
        XCTAssertEqual(try water(unix, "wh-b"), "40")
        // Claimed first by the other side: the Unix client's request still applies.
        let claimed = try tcp.request("stock transfer wh-b wh-a water 5 req=claimed")
        XCTAssertEqual(claimed.okFields?["transferred"], "5", claimed.text)
        let own = try unix.request("stock issue wh-a water 10 req=claimed")
        XCTAssertEqual(own.okFields?["issued"], "10", own.text)
        XCTAssertEqual(try water(unix, "wh-a"), "95")
    }

    func testARetryOnANewTCPConnectionGetsTheFirstReply() throws {
        let (_, port, unix) = try tcpDaemon()
        var tcp = try tcpClient(port: port, admin: unix)
        let first = try tcp.request("stock receive wh-b water 40 lot=T-1 req=lost-reply")
        XCTAssertEqual(first.okFields?["lot"], "T-1", first.text)
        // The reply was lost: the client reconnects (from a new port), logs in again and retries.
        tcp.close()
        tcp = try tcpClient(port: port, admin: unix)
        let seq = try info(unix)["seq"]
        XCTAssertEqual(try tcp.request("stock receive wh-b water 40 lot=T-1 req=lost-reply"), first)
        XCTAssertEqual(try water(unix, "wh-b"), "40")
        XCTAssertEqual(try info(unix)["seq"], seq, "a retry appends nothing")
    }

    func testATokenReusedForADifferentRequestIsAConflict() throws {
        let (_, port, unix) = try tcpDaemon()
        let tcp = try tcpClient(port: port, admin: unix)
        let first = try tcp.request("stock receive wh-b water 40 lot=T-1 req=once")
        XCTAssertEqual(first.okFields?["lot"], "T-1", first.text)
        let before = try observable(unix)
        for other in ["stock receive wh-b water 41 lot=T-1 req=once", "stock issue wh-b water 40 req=once"] {
            let reply = try tcp.request(other)
            XCTAssertEqual(reply.errorCode, "CONFLICT", reply.text)
            XCTAssertTrue(reply.text.contains("req=once was already used for a different request (stock receive, journal entry "), reply.text)
            XCTAssertTrue(reply.text.hasSuffix("; use a new token"), reply.text)
        }
        XCTAssertEqual(try observable(unix), before)
        // The same request, options in another order, is a retry.
        XCTAssertEqual(try tcp.request("stock receive req=once wh-b water 40 lot=T-1"), first)
    }

    /// 20,000 tokens from one client (twice the window of one client) cannot make another
    /// client's retry apply twice; the flooding client forgets its own oldest tokens instead, and
    /// replay and a snapshot forget exactly the same ones.
    func testAFloodOfTokensCannotFlushAnotherClientsAndTheWindowSurvivesRestarts() throws {
        let (daemon, port, firstUnix) = try tcpDaemon()
        var unix = firstUnix
        let victim = try unix.request("stock receive wh-a water 100 lot=V-1 req=victim")
        XCTAssertEqual(victim.okFields?["lot"], "V-1", victim.text)
        let conflicting = "stock receive wh-a water 1 lot=V-1 req=victim"

        var tcp = try tcpClient(port: port, admin: unix, timeout: 60)
        let flood = 20_000, batch = 1_000
        for start in stride(from: 0, to: flood, by: batch) {
            try tcp.send(lines: (start..<(start + batch)).map { "stock receive wh-b water 1 lot=F-1 req=flood-\($0)" })
            for index in start..<(start + batch) {
                let reply = try tcp.reply()
                guard reply.okFields?["lot"] == "F-1" else { return XCTFail("flood-\(index) → \(reply.text)") }
            }
        }
        var floodWater = flood
        XCTAssertEqual(try water(unix, "wh-b"), String(floodWater))

        /// Checks the victim's token and the flooding client's window: `kept` is its oldest token
        /// still remembered (a retry changes nothing), `forgotten` the newest one forgotten (its
        /// retry applies again — and so forgets `kept`, the oldest then).
        func check(kept: Int, forgotten: Int, _ moment: String) throws {
            XCTAssertEqual(try unix.request("stock receive wh-a water 100 lot=V-1 req=victim"), victim, moment)
            XCTAssertEqual(try unix.request(conflicting).errorCode, "CONFLICT", moment)
            XCTAssertEqual(try water(unix, "wh-a"), "100", moment)
            XCTAssertEqual(try tcp.request("stock receive wh-b water 1 lot=F-1 req=flood-\(kept)").okFields?["lot"], "F-1", moment)
            XCTAssertEqual(try water(unix, "wh-b"), String(floodWater), "\(moment): flood-\(kept) is still remembered")
            XCTAssertEqual(try tcp.request("stock receive wh-b water 1 lot=F-1 req=flood-\(forgotten)").okFields?["lot"], "F-1", moment)
            floodWater += 1
            XCTAssertEqual(try water(unix, "wh-b"), String(floodWater), "\(moment): flood-\(forgotten) was forgotten, so it applied again")
        }
        // One client keeps its last 10,000 tokens.
        try check(kept: 10_000, forgotten: 9_999, "after the flood")

        // A crash: the state is replayed from the journal.
        let beforeCrash = try info(unix)
        XCTAssertEqual(beforeCrash["snapshot_seq"], "0", "no snapshot yet: the restart replays every entry")
        unix.close(); tcp.close()
        daemon.kill()
        try daemon.start()
        unix = try daemon.connect()
        tcp = try tcpClient(port: port, admin: unix, timeout: 60)
        // The replayed entries go into a snapshot at start; wait for it, so the clean stop below
        // writes its own (it does not while another is being written).
        let replayedSeq = try info(unix)["seq"]
        let deadline = Date().addingTimeInterval(60)
        while try info(unix)["snapshot_seq"] != replayedSeq, Date() < deadline { usleep(50_000) }
        try check(kept: 10_001, forgotten: 10_000, "after a crash")

        // A clean restart: the state is loaded from the snapshot written at shutdown.
        unix.close(); tcp.close()
        try daemon.stop()
        try daemon.start()
        unix = try daemon.connect()
        let restarted = try settledInfo(unix)
        XCTAssertEqual(Int(restarted["snapshot_seq"] ?? ""), Int(restarted["seq"] ?? "")! - 1,
                       "loaded from the snapshot, nothing after it but its seal")
        tcp = try tcpClient(port: port, admin: unix, timeout: 60)
        try check(kept: 10_002, forgotten: 10_001, "after a clean restart")
    }
}
