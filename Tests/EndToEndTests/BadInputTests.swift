#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ReliefProtocol
import XCTest

/// Bad bytes, half lines, floods, slow readers and too many clients: each is refused or cut off,
/// changes nothing, and never disturbs another client or the daemon.
final class BadInputTests: EndToEndTestCase {
    static let limits = ["--partial-line-timeout", "1", "--max-clients", "20", "--max-output", "65536", "--output-soft-limit", "16384",
                         "--output-stall-timeout", "2", "--max-line", "1024"]

    private func stockedDaemon() throws -> (Daemon, Client) {
        let daemon = try startDaemon(BadInputTests.limits)
        let client = try daemon.connect()
        try addCatalog(client)
        try ok(client, "stock receive wh-a water 100 lot=L-1 expires=2027-06-30")
        try ok(client, "stock receive wh-a water 50 lot=L-2")
        return (daemon, client)
    }

    func testMalformedRequestsGetTheRightErrorAndChangeNothing() throws {
        let (daemon, client) = try stockedDaemon()
        let before = try observable(client)
        let cases: [(bytes: [UInt8], code: String)] = [
            (Array("frobnicate the depot".utf8), "SYNTAX"),
            (Array("stock levitate wh-a".utf8), "SYNTAX"),
            (Array("stock receive wh-a water".utf8), "SYNTAX"),                        // too few words
            (Array("stock receive wh-a water 5 6".utf8), "SYNTAX"),                    // too many
            (Array("stock transfer wh-a wh-b".utf8), "SYNTAX"),
            (Array("stock receive wh-a water five".utf8), "SYNTAX"),
            (Array("stock receive wh-a water -5".utf8), "SYNTAX"),
            (Array("stock receive wh-a water 1.5".utf8), "SYNTAX"),
            (Array("stock receive wh-a water 0".utf8), "SYNTAX"),
            (Array("stock receive wh-a water 99999999999999999999".utf8), "SYNTAX"),
            (Array("stock receive wh-a water 5 expires=2027-13-45".utf8), "SYNTAX"),
            (Array("stock receive wh-a water 5 expires=tomorrow".utf8), "SYNTAX"),
            (Array("stock receive wh-a water 5 colour=blue".utf8), "SYNTAX"),          // unknown option
            (Array("stock receive wh-a water 5 lot=A lot=B".utf8), "SYNTAX"),          // option twice
            (Array("stock receive wh-a water 5 donor=\"Yangquan Steel".utf8), "SYNTAX"), // unbalanced quote
            (Array("\"stock receive wh-a water 5".utf8), "SYNTAX"),
            (Array("stock receive wh-a water 5 note=\"bad \\q escape\"".utf8), "SYNTAX"),
            (Array("stock receive wh-a water 5 lot=".utf8) + [0xC3, 0x28], "SYNTAX"),  // invalid UTF-8
            ([0xFF, 0xFE, 0xFD, 0x20, 0x80], "SYNTAX"),
            (Array("stock receive wh-a water 5 lot=".utf8) + [0xED, 0xA0, 0x80], "SYNTAX"), // UTF-16 surrogate
            ([0x00, 0x01, 0x02, 0x03, 0x1B, 0x5B, 0x41], "SYNTAX"),                    // NUL and control bytes
            (Array("stock receive wh-a water 5".utf8) + [0x00] + Array(" lot=X".utf8), "SYNTAX"),
            ([0x7F], "SYNTAX"),
            (Array("stock receive wh-z water 5".utf8), "NOTFOUND"),
            (Array("stock receive wh-a gold 5".utf8), "NOTFOUND"),
            (Array("stock issue wh-a water 1000".utf8), "INSUFFICIENT"),
            (Array("stock transfer wh-a wh-b water 151".utf8), "INSUFFICIENT"),
            (Array("warehouse add wh-a name=Again region=sx at=1,1".utf8), "CONFLICT"),
            (Array("stock receive wh-a water 5 lot=L-1 expires=2030-01-01".utf8), "CONFLICT"),
            (Array("stock adjust wh-a L-1 count=7 reason=gremlins".utf8), "SYNTAX"),
            (Array(repeating: UInt8(ascii: "x"), count: 1025), "LIMIT"),               // just over max_line
            (Array("stock query ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 200_000), "LIMIT"),
            (Array((0..<300).map { _ in "w " }.joined().utf8), "LIMIT"),               // too many words
        ]
        XCTAssertLessThanOrEqual(cases.count, 64)
        for (bytes, code) in cases {
            let shown = String(decoding: bytes.prefix(60), as: UTF8.self).debugDescription
            try client.send(bytes: bytes + [0x0A])
            let reply = try client.reply()
            XCTAssertEqual(reply.errorCode, code, "\(shown) → \(reply.text)")
            if case .error(_, let message) = reply { XCTAssertFalse(message.isEmpty, "\(shown): an error names what was wrong") }
            // The same connection keeps working after each bad line.
            XCTAssertEqual(try client.request("ping"), .ok("pong"), "after \(shown)")
        }
        // Several bad lines pipelined with good ones, CRLF endings and empty lines (which get no reply).
        try client.send(bytes: Array("nonsense\r\n\r\n\nping\r\n".utf8) + [0xC0, 0x0A] + Array("\n\nping\n".utf8))
        XCTAssertEqual(try client.reply().errorCode, "SYNTAX")
        XCTAssertEqual(try client.reply(), .ok("pong"))
        XCTAssertEqual(try client.reply().errorCode, "SYNTAX")
        XCTAssertEqual(try client.reply(), .ok("pong"))

        XCTAssertEqual(try observable(client), before, "refused requests changed the state")
        XCTAssertNil(daemon.checkAlive())
    }

    func testStalledHalfLineIsAnsweredAndDisconnectedWhileOthersAreServed() throws {
        let (daemon, other) = try stockedDaemon()
        let before = try observable(other)
        let staller = try daemon.connect()
        try staller.send(bytes: Array("stock receive wh-a water 10 lo".utf8))
        let started = Date()
        var answered: ReplyReader.Parsed?
        var pings = 0
        while answered == nil, Date().timeIntervalSince(started) < 8 {
            XCTAssertEqual(try other.request("ping", timeout: 2), .ok("pong"))
            pings += 1
            do {
                answered = try staller.reply(timeout: 0.1)
            } catch Client.Failure.timedOut {
                continue
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        guard let answered else { return XCTFail("no reply to a half line within 8 s (partial_line_timeout 1)") }
        XCTAssertEqual(answered.errorCode, "SYNTAX", answered.text)
        if case .error(_, let message) = answered { XCTAssertTrue(message.hasPrefix("incomplete"), message) }
        XCTAssertGreaterThanOrEqual(elapsed, 0.9, "cut off before partial_line_timeout")
        XCTAssertLessThan(elapsed, 4, "partial_line_timeout is 1 s")
        XCTAssertTrue(staller.waitForClose(timeout: 3), "the stalled client is disconnected")
        XCTAssertGreaterThan(pings, 3, "the other client was answered meanwhile")
        XCTAssertEqual(try observable(other), before)
    }

    func testClientThatNeverReadsIsDisconnected() throws {
        let (daemon, other) = try stockedDaemon()
        // Make `stock query` replies a few KB each: 20 items in two warehouses.
        for n in 0..<20 {
            try ok(other, "item add kit-\(n) name=\"Hygiene kit \(n)\" category=hygiene unit=kit")
            try ok(other, "stock receive wh-a kit-\(n) \(n + 1)")
            try ok(other, "stock receive wh-b kit-\(n) \(n + 2)")
        }
        let before = try observable(other)
        let sink = try daemon.connect(timeout: 5)
        let requests = 4000
        var sent = 0
        var cutOffWhileSending = false
        do {
            while sent < requests {
                try sink.send(lines: Array(repeating: "stock query", count: 500))
                sent += 500
            }
        } catch Client.Failure.closed {
            cutOffWhileSending = true
        } catch Client.Failure.timedOut {
            // The daemon stopped reading us: fine, it must still cut us off below.
        }
        // Meanwhile the daemon keeps serving others, and holds the sink's replies back rather than
        // running all its requests.
        XCTAssertEqual(try other.request("ping", timeout: 5), .ok("pong"))
        var paused = try info(other)["clients_paused"]
        let pauseDeadline = Date().addingTimeInterval(5)
        while paused != "1", Date() < pauseDeadline {
            usleep(20_000)
            paused = try info(other)["clients_paused"]
        }
        XCTAssertEqual(paused, "1", "the sink is paused once it holds more than output_soft_limit")
        // Not reading for longer than output_stall_timeout (2 s, checked every second) ends it: the
        // daemon counts the cut-off before the client reads anything more.
        try waitFor("the sink to be cut off for not reading (output_stall)") {
            try info(other)["connections_refused"]?.contains("output_stall") == true
        }
        XCTAssertTrue(sink.waitForClose(timeout: 10), "a client not reading \(sent) replies of ~3 KB was not disconnected (output_stall_timeout 2 s)")
        let got = sink.pendingReplies.count
        print("slow reader: sent \(sent) requests, received \(got) replies (\(sink.bytesReceived) bytes) before disconnect; cut off while sending: \(cutOffWhileSending)")
        XCTAssertLessThan(got, sent, "all replies arrived: the client was not cut off")
        XCTAssertEqual(try observable(other), before)
        XCTAssertEqual(try info(other)["clients"], "1")
        XCTAssertNil(daemon.checkAlive())
    }

    func testConnectionsBeyondMaxClientsAreRefused() throws {
        let (daemon, first) = try stockedDaemon()
        var clients = [first]
        for _ in 1..<20 {
            let client = try daemon.connect()
            XCTAssertEqual(try client.request("ping"), .ok("pong"))
            clients.append(client)
        }
        XCTAssertEqual(try info(first)["clients"], "20")
        for _ in 0..<3 {
            let extra = try daemon.connect()
            let reply = try extra.reply(timeout: 5)
            XCTAssertEqual(reply.errorCode, "LIMIT", reply.text)
            XCTAssertTrue(extra.waitForClose(timeout: 5), "a refused client is closed")
        }
        for client in clients { XCTAssertEqual(try client.request("ping"), .ok("pong")) }
        XCTAssertEqual(try info(first)["clients"], "20")

        // Room again once some leave.
        for client in clients.suffix(5) { client.close() }
        clients.removeLast(5)
        var admitted = false
        let deadline = Date().addingTimeInterval(5)
        while !admitted, Date() < deadline {
            let late = try daemon.connect()
            admitted = (try? late.request("ping", timeout: 2)) == .ok("pong")
            if !admitted { usleep(50_000) }
        }
        XCTAssertTrue(admitted, "a client is admitted after others left")
    }

    func testRapidConnectAndCloseDoesNotHurt() throws {
        let (daemon, client) = try stockedDaemon()
        let before = try observable(client)
        for n in 0..<200 {
            let churn = try daemon.connect()
            switch n % 5 {
            case 0: break                                                    // open and close
            case 1: try? churn.send("ping")                                  // ask, never read
            case 2: try? churn.send(bytes: Array("stock receive wh-a water 1 lot=Z".utf8)) // half a line
            case 3: try? churn.send(bytes: [0xFF, 0x00, 0x0A, 0xC3])
            default: try? churn.send(lines: Array(repeating: "stock lots", count: 50))
            }
            churn.close()
        }
        XCTAssertEqual(try client.request("ping"), .ok("pong"))
        var clients = ""
        let deadline = Date().addingTimeInterval(5)
        repeat {
            clients = try info(client)["clients"] ?? "?"
            if clients != "1" { usleep(50_000) }
        } while clients != "1" && Date() < deadline
        XCTAssertEqual(clients, "1", "closed connections are forgotten")
        XCTAssertEqual(try observable(client), before)
        XCTAssertNil(daemon.checkAlive())
    }

    func testGarbageFloodDoesNotDisturbAnotherClient() throws {
        let (daemon, client) = try stockedDaemon()
        let before = try observable(client)
        let expectedStock = try client.request("stock query")
        let socketPath = daemon.socketPath
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        print("garbage flood seed \(seed)")
        let flooded = Locked((bytes: 0, cutOff: false, error: "", finished: false))
        let done = DispatchSemaphore(value: 0)
        Thread {
            defer {
                flooded.withLock { $0.finished = true }
                done.signal()
            }
            var random = SplitMix64(seed: seed)
            do {
                let flood = try Client(socketPath: socketPath, timeout: 5)
                let total = 2 << 20
                var chunk = [UInt8](repeating: 0, count: 32 << 10)
                var sent = 0
                while sent < total {
                    for index in chunk.indices {
                        chunk[index] = UInt8(truncatingIfNeeded: random.next())
                    }
                    // Every so often a very long run without LF, to exercise the line limit.
                    if sent % (256 << 10) == 0 { for index in chunk.indices where chunk[index] == 0x0A { chunk[index] = 0x41 } }
                    do {
                        try flood.send(bytes: chunk)
                    } catch Client.Failure.closed {
                        flooded.withLock { $0.cutOff = true }
                        break
                    }
                    sent += chunk.count
                    flooded.withLock { $0.bytes = sent }
                    if !flood.discardAvailable() {
                        flooded.withLock { $0.cutOff = true }
                        break
                    }
                }
                // Take the last replies before hanging up, like a client that reads them.
                for _ in 0..<20 where flood.discardAvailable() { usleep(25_000) }
            } catch {
                flooded.withLock { $0.error = "\(error)" }
            }
        }.start()

        var answered = 0
        while !flooded.current.finished, answered < 5000 {
            XCTAssertEqual(try client.request("ping", timeout: 5), .ok("pong"))
            XCTAssertEqual(try client.request("stock query", timeout: 5), expectedStock)
            answered += 1
        }
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success, "flood did not finish")
        let result = flooded.current
        print("garbage flood: \(result.bytes) bytes sent, cut off: \(result.cutOff), \(answered) query pairs answered meanwhile")
        XCTAssertEqual(result.error, "")
        XCTAssertGreaterThan(answered, 0)
        XCTAssertEqual(try observable(client), before)
        XCTAssertNil(daemon.checkAlive())
    }
}
