#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ReliefProtocol
import XCTest

/// Clients that are hostile or broken — a web page posting to the TCP port, floods of requests
/// whose replies are never read, one byte at a time, every slot taken — each ending with the daemon
/// alive, other clients served and nothing acknowledged lost.
final class HostileClientTests: EndToEndTestCase {
    /// Resident memory of the daemon, in bytes.
    private func residentBytes(_ daemon: Daemon) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(daemon.pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }

    private func stocked(_ flags: [String] = []) throws -> (Daemon, Client) {
        let daemon = try startDaemon(flags)
        let client = try daemon.connect()
        try addCatalog(client)
        try ok(client, "stock receive wh-a water 100 lot=L-1")
        return (daemon, client)
    }

    func testHTTPPostOnTCPRunsNothingAndIsClosed() throws {
        let port = try Daemon.freePort()
        let (daemon, client) = try stocked(["--tcp", "127.0.0.1:\(port)"])
        let before = try observable(client)
        // What a browser sends when a web page posts a form to http://127.0.0.1:PORT/.
        let body = "stock issue wh-a water 60 to=attacker\n"
        let post = "POST / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nOrigin: http://evil.example\r\n"
            + "Content-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        let browser = try Client(tcpPort: port, timeout: 5)
        try browser.send(bytes: Array(post.utf8))
        XCTAssertTrue(browser.waitForClose(timeout: 5), "the connection is closed")
        XCTAssertEqual(browser.pendingReplies.count, 1, "one refusal, then nothing: \(browser.pendingReplies)")
        XCTAssertEqual(browser.pendingReplies.first?.errorCode, "DENIED")

        // Headers alone (a request line split off, or a client that starts with a header) end it too.
        let headers = try Client(tcpPort: port, timeout: 5)
        try headers.send(bytes: Array("Host: 127.0.0.1\r\nstock issue wh-a water 1\r\n".utf8))
        XCTAssertTrue(headers.waitForClose(timeout: 5))
        XCTAssertEqual(headers.pendingReplies.map(\.errorCode), ["DENIED"])

        XCTAssertEqual(try observable(client), before, "nothing the page sent ran")
        XCTAssertTrue(daemon.log.contains("HTTP request on the control protocol"), daemon.log)
        // A well-behaved TCP client is still served.
        let tcp = try Client(tcpPort: port, timeout: 5)
        XCTAssertEqual(try tcp.request("ping"), .ok("pong"))
        XCTAssertNil(daemon.checkAlive())
    }

    func testNonReadingFloodsStayBoundedAndOthersAreServed() throws {
        let (daemon, client) = try stocked(["--max-clients-per-peer", "64"])
        for n in 0..<30 {
            try ok(client, "item add kit-\(n) name=\"Hygiene kit \(n)\" category=hygiene unit=kit")
            try ok(client, "stock receive wh-a kit-\(n) \(n + 1) lot=K-\(n)")
        }
        let before = try observable(client)
        let baseline = residentBytes(daemon)
        // 40 clients each pipeline 2,000 requests for large replies (help ≈ 12 KB, stock lots and
        // stock query a few KB) and never read one.
        var flooders: [Client] = []
        let mix = ["help", "stock lots", "stock query", "help stock"]
        for index in 0..<40 {
            let flooder = try daemon.connect(timeout: 1)
            flooders.append(flooder)
            let lines = (0..<2000).map { mix[($0 + index) % mix.count] }
            do {
                for chunk in stride(from: 0, to: lines.count, by: 250) {
                    try flooder.send(lines: Array(lines[chunk..<min(chunk + 250, lines.count)]))
                }
            } catch Client.Failure.timedOut {
                // The daemon stopped reading this client: what it is meant to do.
            }
        }
        // Others are served while the floods are taken up, until every flooder is paused.
        var peak = 0
        var slowest = 0.0
        var pings = 0
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let started = Date()
            XCTAssertEqual(try client.request("ping", timeout: 5), .ok("pong"))
            slowest = max(slowest, Date().timeIntervalSince(started))
            pings += 1
            peak = max(peak, residentBytes(daemon))
            if pings % 10 == 0, try info(client)["clients_paused"] == "40" { break }
            usleep(10_000)
        }
        let status = try info(client)
        print("non-reading flood: RSS \(baseline >> 20) MiB before, peak \(peak >> 20) MiB; slowest of \(pings) pings \(Int(slowest * 1000)) ms; "
              + "paused \(status["clients_paused"] ?? "?"), held \(status["output_held_bytes"] ?? "?") bytes")
        XCTAssertEqual(status["clients_paused"], "40", "every flooder is paused, not served without end")
        // Each holds about output_soft_limit (256 KiB) and one read (64 KiB): 40 × 320 KiB ≈ 13 MiB.
        XCTAssertLessThan(peak - baseline, 64 << 20, "memory grew by \((peak - baseline) >> 20) MiB")
        XCTAssertEqual(try observable(client), before)
        for flooder in flooders { flooder.close() }
        XCTAssertNil(daemon.checkAlive())
    }

    func testOneByteAtATimeIsCutOffFromTheLinesFirstByte() throws {
        let (daemon, client) = try stocked(["--partial-line-timeout", "1"])
        let before = try observable(client)
        let loris = try daemon.connect(timeout: 5)
        let started = Date()
        var closedAfter: Double?
        for byte in Array("stock receive wh-a water 5 lot=SLOW".utf8) {
            do {
                try loris.send(bytes: [byte])
            } catch {
                closedAfter = Date().timeIntervalSince(started)
                break
            }
            usleep(200_000)
            if !loris.discardAvailable() {
                closedAfter = Date().timeIntervalSince(started)
                break
            }
        }
        guard let closedAfter else { return XCTFail("a client sending a byte every 200 ms was never cut off (partial_line_timeout 1 s)") }
        XCTAssertLessThan(closedAfter, 4, "cut off \(closedAfter) s after the line began; the timeout counts from its first byte")
        XCTAssertEqual(try observable(client), before)
        XCTAssertNil(daemon.checkAlive())
    }

    func testTCPCannotTakeTheUnixSocketsSlotsNorOnePeerAll() throws {
        let port = try Daemon.freePort()
        let daemon = try startDaemon(["--tcp", "127.0.0.1:\(port)", "--max-clients", "24", "--unix-reserved-clients", "8",
                                      "--max-clients-per-peer", "20"])
        // The Unix socket's own probe from start() is gone; fill the TCP share (24 − 8 = 16).
        var tcp: [Client] = []
        for _ in 0..<16 {
            let client = try Client(tcpPort: port, timeout: 5)
            XCTAssertEqual(try client.request("ping"), .ok("pong"))
            tcp.append(client)
        }
        let extra = try Client(tcpPort: port, timeout: 5)
        let refusal = try extra.reply(timeout: 5)
        XCTAssertEqual(refusal.errorCode, "LIMIT", refusal.text)
        XCTAssertTrue(refusal.text.contains("kept for the Unix socket"), refusal.text)
        XCTAssertTrue(extra.waitForClose(timeout: 5))
        // The Unix socket still gets its reserved slots.
        var unix: [Client] = []
        for _ in 0..<8 {
            let client = try daemon.connect()
            XCTAssertEqual(try client.request("ping"), .ok("pong"))
            unix.append(client)
        }
        let status = try info(unix[0])
        XCTAssertEqual(status["clients"], "24")
        XCTAssertEqual(status["clients_tcp"], "16")
        XCTAssertTrue(status["connections_refused"]?.contains("tcp_share:1") ?? false, status["connections_refused"] ?? "")
        for client in tcp + unix { client.close() }
        let watcher = try daemon.connect()
        let deadline = Date().addingTimeInterval(5)
        while try info(watcher)["clients"] != "1", Date() < deadline { usleep(20_000) }

        // One peer (this test's uid) may hold max_clients_per_peer connections, not more.
        var mine: [Client] = []
        var refusedAt: Int?
        for index in 0..<20 {
            let client = try daemon.connect()
            var reply: ReplyReader.Parsed
            do {
                reply = try client.request("ping")
            } catch Client.Failure.closed {
                // Refused before the ping went out: the refusal is what it sent before closing.
                _ = client.waitForClose(timeout: 5)
                reply = try XCTUnwrap(client.pendingReplies.first)
            }
            if reply.errorCode == "LIMIT" {
                XCTAssertTrue(reply.text.contains("max_clients_per_peer"), reply.text)
                refusedAt = index
                break
            }
            mine.append(client)
        }
        XCTAssertEqual(refusedAt, 19, "with the watcher, the 21st connection of one peer is refused")
        XCTAssertNil(daemon.checkAlive())
    }

    func testLargeListingsHeldOpenAreBoundedPerPeer() throws {
        let (daemon, client) = try stocked()
        // 10,001 lots: a `stock lots` of them is a large listing (more than 10,000 rows).
        var lines: [String] = []
        for n in 0..<10_001 { lines.append("stock receive wh-b water 1 lot=B-\(n)") }
        for chunk in stride(from: 0, to: lines.count, by: 500) {
            try client.send(lines: Array(lines[chunk..<min(chunk + 500, lines.count)]))
            for _ in chunk..<min(chunk + 500, lines.count) { XCTAssertTrue(try client.reply(timeout: 30).isOK) }
        }
        // Two clients of this peer ask for it and do not read: both are being sent.
        let first = try daemon.connect()
        let second = try daemon.connect()
        try first.send("stock lots limit=20000")
        try second.send("stock lots limit=20000")
        try waitFor("both large listings to be under way") { try info(client)["large_listings"] == "2" }
        // A third large listing from the same peer waits its turn: refused, saying why.
        let third = try client.request("stock lots limit=20000")
        XCTAssertEqual(third.errorCode, "LIMIT", third.text)
        XCTAssertTrue(third.text.contains("large listings"), third.text)
        // Small listings are not affected.
        XCTAssertEqual(try rows(client, "stock lots warehouse=wh-a").count, 1)
        // Once the first is read, there is room again.
        XCTAssertEqual(try first.reply(timeout: 30).rowFields?.count, 10_002)
        XCTAssertEqual(try client.request("stock lots limit=20000", timeout: 30).rowFields?.count, 10_002)
        XCTAssertEqual(try second.reply(timeout: 30).rowFields?.count, 10_002)
        XCTAssertNil(daemon.checkAlive())
    }

    func testImportFloodsAreBoundedInBytesPerImportAndInAll() throws {
        let (daemon, client) = try stocked(["--max-import-bytes", "1048576", "--max-import-bytes-total", "2097152"])
        let before = try observable(client)
        // Rows of about 100 bytes, all refused (no such region): an import holds its text all the same.
        func rows(_ prefix: String, _ count: Int) -> [String] {
            (0..<count).map { "volunteer add \(prefix)-\($0) name=\"Volunteer number \($0)\" region=nowhere at=37.8,112.5 line=\($0 + 2)" }
        }
        func send(_ importer: Client, _ lines: [String]) throws {
            for chunk in stride(from: 0, to: lines.count, by: 1000) {
                try importer.send(lines: Array(lines[chunk..<min(chunk + 1000, lines.count)]))
            }
        }
        // One import past max_import_bytes: dead, its rows freed; commit says why.
        let big = try daemon.connect(timeout: 30)
        try ok(big, "import begin volunteers")
        try send(big, rows("big", 12_000))
        let refusal = try big.request("import commit", timeout: 30)
        XCTAssertEqual(refusal.errorCode, "LIMIT", refusal.text)
        XCTAssertTrue(refusal.text.contains("max_import_bytes"), refusal.text)
        XCTAssertEqual(try info(client)["import_bytes"], "0")

        // Three imports of ~0.8 MiB each, open at once: the third passes 2 MiB in all and dies.
        var importers: [Client] = []
        var sizes: [Int] = []
        for index in 0..<3 {
            let importer = try daemon.connect(timeout: 30)
            try ok(importer, "import begin volunteers")
            let lines = rows("i\(index)", 8_000)
            sizes.append(lines.reduce(0) { $0 + $1.utf8.count })
            try send(importer, lines)
            importers.append(importer)
        }
        XCTAssertGreaterThan(sizes.reduce(0, +), 2_097_152, "the three together pass the total")
        // Rows get no reply: wait until the daemon holds what the first two sent (the third died).
        var held = -1
        let deadline = Date().addingTimeInterval(30)
        while held != sizes[0] + sizes[1], Date() < deadline {
            usleep(20_000)
            held = Int(try info(client)["import_bytes"] ?? "") ?? -1
            XCTAssertLessThanOrEqual(held, 2_097_152, "never more than max_import_bytes_total held")
        }
        XCTAssertEqual(held, sizes[0] + sizes[1])
        let third = try importers[2].request("import commit", timeout: 30)
        XCTAssertEqual(third.errorCode, "LIMIT", third.text)
        XCTAssertTrue(third.text.contains("max_import_bytes_total"), third.text)
        for importer in importers.prefix(2) {
            // Within the limits: refused only for its bad rows, every one counted.
            let reply = try importer.request("import commit", timeout: 30)
            XCTAssertTrue(reply.text.contains("8000 bad rows of 8000"), String(reply.text.prefix(200)))
        }
        XCTAssertEqual(try info(client)["import_bytes"], "0", "every import's bytes are released")
        XCTAssertEqual(try observable(client), before)
        XCTAssertNil(daemon.checkAlive())
    }
}
