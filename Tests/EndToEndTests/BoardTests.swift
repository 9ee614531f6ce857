import Foundation
import ReliefProtocol
import XCTest

/// The situation board over HTTP: its event stream (server-sent events) carries every change once
/// and in order, resumes after a restart from Last-Event-ID, is checked like `watch`, and cuts off
/// a reader that stops reading while writers go on; the board's log-in; and the board itself in
/// headless Chromium, showing a change made on the control socket within a second.
final class BoardTests: EndToEndTestCase {
    /// A daemon with HTTP on a free port and a viewer with a token.
    func boardDaemon(_ flags: [String] = []) throws -> (Daemon, Client, UInt16, String) {
        let port = try Daemon.freePort()
        let daemon = try startDaemon(["--http", "127.0.0.1:\(port)"] + flags)
        let admin = try daemon.connect()
        try ok(admin, "user add screen role=viewer")
        let token = try XCTUnwrap(try ok(admin, "token create screen board").okFields?["token"])
        return (daemon, admin, port, token)
    }

    func waitForEvents(_ reader: EventStreamReader, through seq: Int, timeout: Double = 20) throws -> [EventStreamReader.Event] {
        try waitFor("events through seq \(seq)", timeout: timeout) { reader.entries.last.flatMap { Int($0.id) } ?? 0 >= seq }
        return reader.entries
    }

    func testTheEventStreamCarriesEveryChangeOnceInOrderAndResumesAfterARestart() throws {
        let (daemon, admin, port, token) = try boardDaemon()
        let reader = try EventStreamReader(port: port, path: "/board/events", user: "screen", token: token)
        try waitFor("the stream to start") { reader.events.first?.event == "watching" }
        let hello = try json(reader.events[0].data)
        let start = try XCTUnwrap(Int(hello["from"] as? Int ?? -1))
        XCTAssertEqual(hello["seq"] as? Int, start)

        for line in FeedTests.script { try ok(admin, line) }
        let expected = try journal(admin, after: start)
        let seen = try waitForEvents(reader, through: expected.last!.seq)
        XCTAssertEqual(seen.map { Int($0.id)! }, expected.map(\.seq), "every change once, in commit order")
        for event in seen {
            let data = try json(event.data)
            XCTAssertEqual(data["seq"] as? Int, Int(event.id))
            XCTAssertEqual(data["channel"] as? String, event.event, "the event's name is its channel")
            XCTAssertNotNil(data["body"] as? [String: Any])
        }
        XCTAssertEqual(seen.compactMap { (try? json($0.data))?["event"] as? String }, expected.map(\.kind))
        // Typed as in the journal; a viewer never sees personal data.
        let dispatched = try json(try XCTUnwrap(seen.first { $0.data.contains("allocation.dispatched") }).data)
        let body = try XCTUnwrap(dispatched["body"] as? [String: Any])
        XCTAssertEqual(body["qty"] as? Int, 300)
        XCTAssertEqual(body["note"] as? String, "truck 7")
        XCTAssertFalse(reader.text.contains("13800000001"), "a viewer's stream carries no phone numbers")
        XCTAssertFalse(reader.text.contains("140102199001011234"))
        XCTAssertTrue(reader.text.contains("volunteer.added"))

        // After a restart, a browser reconnects with the last id it saw and gets exactly what
        // followed, changes made while it was away included.
        let lastSeen = Int(seen[seen.count / 2].id)!
        reader.stop()
        admin.close()
        try daemon.restart()
        let client = try daemon.connect()
        try ok(client, "need add flood supply water 40 priority=3")
        let resumed = try EventStreamReader(port: port, path: "/board/events?channels=needs,incidents", user: "screen", token: token,
                                            headers: ["Last-Event-ID: \(lastSeen)"])
        try ok(client, "incident update flood affected=1500")
        let after = try journal(client, after: lastSeen).filter { $0.kind.hasPrefix("need.") || $0.kind.hasPrefix("incident.") }
        XCTAssertEqual(after.suffix(2).map(\.kind), ["need.added", "incident.updated"])
        let replayed = try waitForEvents(resumed, through: after.last!.seq)
        XCTAssertEqual(replayed.map { Int($0.id)! }, after.map(\.seq), "resumed after \(lastSeen): every later need and incident change once")
        XCTAssertEqual(try json(resumed.events[0].data)["from"] as? Int, lastSeen)
    }

    func testTheStreamIsCheckedLikeWatchAndTheBoardLogsInWithACookie() throws {
        let (daemon, admin, port, token) = try boardDaemon()
        try addCatalog(admin)
        XCTAssertEqual(try get(port, "/board/events").status, 401)
        XCTAssertEqual(try get(port, "/board/events", user: "screen", token: "rlf_wrong").status, 401)
        XCTAssertEqual(try get(port, "/board/events?channels=users", user: "screen", token: token).status, 403, "users is for admin and auditor")
        XCTAssertEqual(try get(port, "/board/events?channels=stock:nowhere", user: "screen", token: token).status, 404)
        XCTAssertEqual(try get(port, "/board/events?colour=red", user: "screen", token: token).status, 400)
        XCTAssertEqual(try get(port, "/board/events?from=banana", user: "screen", token: token).status, 400)
        XCTAssertEqual(try get(port, "/board/events", user: "screen", token: token, extra: ["-X", "POST"]).status, 405)

        // Not logged in: the log-in form. Logged in: a session cookie (HttpOnly, SameSite=Strict)
        // that reads what the user may read.
        let jar = daemon.directory + "/cookies"
        let form = try get(port, "/board")
        XCTAssertEqual(form.status, 200)
        XCTAssertTrue(form.body.contains("action=\"/board/login\""), form.body)
        let failed = try get(port, "/board/login", extra: ["-d", "user=screen&token=rlf_wrong", "-c", jar])
        XCTAssertEqual(failed.status, 401)
        XCTAssertTrue(failed.body.contains("Log-in failed"), failed.body)
        let login = try get(port, "/board/login", extra: ["-d", "user=screen&token=\(token)", "-c", jar, "-D", daemon.directory + "/headers"])
        XCTAssertEqual(login.status, 303)
        let headers = try String(contentsOfFile: daemon.directory + "/headers", encoding: .utf8)
        XCTAssertTrue(headers.contains("HttpOnly; SameSite=Strict"), headers)
        let board = try get(port, "/board", extra: ["-b", jar])
        XCTAssertTrue(board.body.contains("Situation board") && board.body.contains("screen (viewer)"), board.body)
        XCTAssertEqual(try get(port, "/api/warehouse/list", extra: ["-b", jar]).status, 200)
        XCTAssertEqual(try get(port, "/board/board.js").status, 200, "the script holds no data: no log-in needed")
        // A form from another site is refused; logging out ends the session.
        XCTAssertEqual(try get(port, "/board/login", extra: ["-d", "user=screen&token=\(token)", "-H", "Origin: http://evil.example"]).status, 403)
        XCTAssertEqual(try get(port, "/board/logout", extra: ["-X", "POST", "-b", jar, "-c", jar]).status, 303)
        XCTAssertEqual(try get(port, "/api/warehouse/list", extra: ["-b", jar]).status, 401)
        // A revoked token ends the sessions made with it.
        XCTAssertEqual(try get(port, "/board/login", extra: ["-d", "user=screen&token=\(token)", "-c", jar]).status, 303)
        XCTAssertEqual(try get(port, "/api/warehouse/list", extra: ["-b", jar]).status, 200)
        try ok(admin, "token revoke screen board")
        XCTAssertEqual(try get(port, "/api/warehouse/list", extra: ["-b", jar]).status, 401)
    }

    func testAStreamThatStopsReadingIsCutOffWhileWritersGoOn() throws {
        let (daemon, admin, port, token) = try boardDaemon(["--watch-max-output", "65536"])
        try addCatalog(admin)
        // A reader that never reads: a raw socket with a small receive buffer.
        let stalled = try StalledHTTPClient(port: port, request: "GET /board/events?channels=stock HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Basic \(Data("screen:\(token)".utf8).base64EncodedString())\r\n\r\n")
        defer { stalled.close() }
        let reader = try EventStreamReader(port: port, path: "/board/events?channels=stock", user: "screen", token: token)
        try waitFor("both subscribed") { try info(admin)["subscribers"] == "2" }
        let writer = try daemon.connect(timeout: 60)
        // Events of ~280 bytes, written 100 at a time (about 28 KB), each time waiting for the
        // reader to have them all, so the reader that keeps up is never near its limit however
        // slow this machine is. The stalled one is cut off once the kernel's buffers for it
        // (its send buffer grows to a few MB) and the 64 KiB limit are full: writes go on until
        // then, at most 40,000 (11 MB).
        let step = 100
        var count = 0
        while count < 40_000 {
            try writer.send(lines: (count + 1...count + step).map { "stock receive wh-a water 1 lot=LOT-\($0) note=\"pallet \($0) of the morning delivery\"" })
            for index in count + 1...count + step {
                let reply = try writer.reply()
                XCTAssertTrue(reply.isOK, "write \(index): \(reply.text)")
            }
            count += step
            do {
                try waitFor("the reader to keep up", timeout: 30) { reader.count(of: "stock") >= count }
            } catch {
                XCTFail("after \(count) writes the reader had \(reader.count(of: "stock")) events; info: \(try info(admin))")
                throw error
            }
            if count % 1000 == 0, try info(admin)["feed_cut_off"] == "1" { break }
        }
        try waitFor("the stalled stream cut off") { try info(admin)["feed_cut_off"] == "1" }
        XCTAssertEqual(reader.count(of: "stock"), count, "the reader that kept up got every change")
        XCTAssertEqual(try info(admin)["subscribers"], "1", "the stalled stream no longer counts")
        XCTAssertTrue(daemon.log.contains("watch subscriber cut off"))
        // Once it reads, it finds the cut-off and where to resume.
        let rest = stalled.read(until: "\"resume\":", timeout: 30)
        XCTAssertTrue(rest.contains("event: cutoff"), String(rest.suffix(300)))
        XCTAssertTrue(rest.contains("\"resume\":"), String(rest.suffix(300)))
    }

    /// The board in Debian's headless Chromium, driven over the DevTools protocol by
    /// Browser/board_cdp.py (Python's standard library only): it logs in with the form, waits for
    /// every panel, checks the map and tables are there, makes a change on the control socket and
    /// times how long until the page shows it.
    func testTheBoardInABrowserShowsASocketChangeWithinASecond() throws {
        let chromium = try BrowserCheck.chromium()
        let (daemon, admin, port, token) = try boardDaemon()
        for line in FeedTests.script { try ok(admin, line) }
        try ok(admin, "stock min wh-a tent 100")
        try waitFor("the tent minimum's alert") { try rows(admin, "alert list kind=stock_low").count >= 1 }
        let tokenFile = daemon.directory + "/token"
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let screenshot = daemon.directory + "/board.png"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser/board_cdp.py").path
        let run = try runProgram("/usr/bin/python3", [script, "--url", "http://127.0.0.1:\(port)", "--user", "screen", "--token-file", tokenFile,
                                                      "--socket", daemon.socketPath, "--chromium", chromium,
                                                      "--change", "incident open quake title=\"Yangquan aftershock\" kind=earthquake at=37.9,113.4 region=sx severity=3 affected=200",
                                                      "--expect-selector", "tr.incident[data-id=\"quake\"]",
                                                      "--screenshot", screenshot, "--timeout", "90"], timeout: 150)
        let last = run.out.split(separator: "\n").last.map(String.init) ?? ""
        let result = try json(last)
        XCTAssertNil(result["error"], "\(last)\n\(run.err.suffix(2000))")
        XCTAssertEqual(result["login_ok"] as? Bool, true, last)
        let structure = try XCTUnwrap(result["structure"] as? [String: Any], last)
        func count(_ key: String) -> Int { structure[key] as? Int ?? -1 }
        XCTAssertEqual(count("map_warehouses"), 2, last)
        XCTAssertEqual(count("map_incidents"), 1, last)
        XCTAssertGreaterThanOrEqual(count("map_flows"), 1, "allocations on the map: \(last)")
        XCTAssertEqual(count("incident_rows"), 1, last)
        XCTAssertGreaterThanOrEqual(count("need_rows"), 3, last)
        XCTAssertGreaterThanOrEqual(count("alert_rows"), 1, "the tent minimum's alert: \(last)")
        XCTAssertGreaterThanOrEqual(count("stock_low_rows"), 1, last)
        XCTAssertEqual(structure["live"] as? String, "live", last)
        XCTAssertNotNil(Int(structure["seq"] as? String ?? ""), "the page knows the seq it shows: \(last)")
        XCTAssertEqual(result["seen"] as? Bool, true, last)
        let elapsed = try XCTUnwrap(result["change_ms"] as? Double, last)
        XCTAssertLessThan(elapsed, 1000, "the change shown within a second: \(last)")
        XCTAssertEqual((result["console_errors"] as? [Any])?.count, 0, last)
        XCTAssertTrue(FileManager.default.fileExists(atPath: screenshot))
    }
}

/// The browser for BoardTests: Debian's chromium, or a skip where there is none (a failure when
/// deploy/test, having installed it, sets RELIEFD_TEST_BROWSER=required).
enum BrowserCheck {
    static func chromium() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let chosen = environment["RELIEFD_TEST_CHROMIUM"].flatMap { $0.isEmpty ? nil : $0 }
        let candidates = chosen.map { [$0] } ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        if let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
           FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") {
            return path
        }
        if environment["RELIEFD_TEST_BROWSER"] == "required" {
            throw Daemon.Failure("RELIEFD_TEST_BROWSER=required but no chromium at \(candidates.joined(separator: " or ")) or no /usr/bin/python3")
        }
        throw XCTSkip("the board's browser test needs Debian's chromium and python3 (apt-get install chromium python3)")
    }
}

/// An HTTP client that sends one request and then does not read (a receive buffer of 4 KiB), to
/// stall an event stream; `read(until:)` reads what the server sent until a text arrives.
final class StalledHTTPClient {
    let fd: Int32

    init(port: UInt16, request: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Daemon.Failure("socket failed") }
        var size: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { Glibc.close(fd); throw Daemon.Failure("connect failed: \(String(cString: strerror(errno)))") }
        let bytes = Array(request.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw Daemon.Failure("send failed") }
    }

    func read(until marker: String, timeout: Double) -> String {
        var timeval = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeval, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 {
                data += buffer[0..<count]
                if String(decoding: data.suffix(4096), as: UTF8.self).contains(marker) { break }
                continue
            }
            if count == 0 { break }
            if errno != EAGAIN && errno != EINTR { break }
        }
        return String(decoding: data, as: UTF8.self)
    }

    func close() { Glibc.close(fd) }
}
