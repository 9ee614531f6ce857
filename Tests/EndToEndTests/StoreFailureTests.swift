import CSQLite
import Foundation
import ReliefProtocol
import XCTest

/// A store that cannot commit never yields OK: writes get ERR UNAVAILABLE, reads keep working and
/// show only what was committed, and the daemon takes writes again once the store is back.
final class StoreFailureTests: EndToEndTestCase {
    /// Sets the daemon's file-size limit (`SOFT[:HARD]` or `unlimited`): past it every write to the
    /// database files fails with EFBIG, like a full disk. (prlimit(2) is a GNU extension Swift's
    /// Glibc module leaves out; util-linux's tool calls it.)
    private func limitFileSize(of daemon: Daemon, _ limit: String) throws {
        let prlimit = Process()
        prlimit.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        prlimit.arguments = ["--pid", String(daemon.pid), "--fsize=\(limit)"]
        try prlimit.run()
        prlimit.waitUntilExit()
        XCTAssertEqual(prlimit.terminationStatus, 0, "prlimit --fsize=\(limit)")
    }

    /// A store slower than its writers bounds what they make the daemon hold: past max_uncommitted
    /// entries not yet durable, a client pipelining writes is no longer read (its next write waits)
    /// until commits catch up, and then every write is acknowledged in order.
    func testWritesPipelinedFasterThanTheStoreCommitsWaitInsteadOfPilingUp() throws {
        let daemon = try startDaemon(["--max-uncommitted", "100"])
        let client = try daemon.connect()
        try addCatalog(client)
        try ok(client, "stock receive wh-a water 1 lot=first")

        // Another process holds the database's write lock: the daemon's next commit waits for it
        // (SQLite's busy timeout is 5 s; the lock is let go well before).
        var db: OpaquePointer?
        guard sqlite3_open_v2(daemon.dataDirectory + "/reliefd.db", &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            throw Daemon.Failure("cannot open the daemon's database")
        }
        defer { sqlite3_close(db) }
        XCTAssertEqual(sqlite3_exec(db, "BEGIN EXCLUSIVE", nil, nil, nil), SQLITE_OK)
        let writes = 2000
        try client.send(lines: (1...writes).map { "stock receive wh-a water 1 lot=P\($0)" })
        let observer = try daemon.connect()
        var status: [String: String] = [:]
        try waitFor("a writer to wait for commits") {
            status = try info(observer)
            return status["writes_waiting"] == "1"
        }
        // Loop turns go by (each ping is answered on one): the writer stays parked, nothing more is read.
        for _ in 0..<10 { XCTAssertEqual(try observer.request("ping"), .ok("pong")) }
        status = try info(observer)
        let uncommitted = Int(status["uncommitted"] ?? "") ?? -1
        XCTAssertTrue((100...101).contains(uncommitted), "at most max_uncommitted (plus the write that reached it) held: \(status)")
        XCTAssertEqual(status["writes_waiting"], "1", "\(status)")
        XCTAssertEqual(sqlite3_exec(db, "ROLLBACK", nil, nil, nil), SQLITE_OK)

        for index in 1...writes {
            let reply = try client.reply(timeout: 20)
            guard reply.isOK else { return XCTFail("write \(index) → \(reply.text)") }
        }
        XCTAssertEqual(try rows(client, "stock query item=water").first?["on_hand"], String(writes + 1))
        XCTAssertEqual(try info(observer)["uncommitted"], "0")
    }

    func testRemovedDatabaseFileRefusesWritesKeepsReadsAndRecoversWhenRestored() throws {
        let daemon = try startDaemon()
        var client = try daemon.connect()
        try addCatalog(client)
        try ok(client, "stock receive wh-a water 100 lot=A")

        let database = daemon.dataDirectory + "/reliefd.db"
        let aside = daemon.directory + "/aside.db"
        XCTAssertEqual(rename(database, aside), 0)

        // The commit fails: the write is refused, and a read right after it does not show it.
        let failed = try client.request("stock receive wh-a water 5 lot=B")
        XCTAssertEqual(failed.errorCode, "UNAVAILABLE", failed.text)
        let lots = try rows(client, "stock lots")
        XCTAssertEqual(lots.map { $0["lot"] }, ["A"], "a refused write must not show in reads")
        let status = try info(client)
        XCTAssertEqual(status["store_status"], "unavailable")
        XCTAssertEqual(status["seq"], status["committed_seq"])
        // Later writes are refused up front; reads still work.
        try refused(client, "stock receive wh-a water 7 lot=C", "UNAVAILABLE")
        try refused(client, "stock issue wh-a water 1", "UNAVAILABLE")
        XCTAssertEqual(try rows(client, "stock query item=water").first?["on_hand"], "100")

        // The operator puts the file back: the daemon notices and takes writes again.
        XCTAssertEqual(rename(aside, database), 0)
        try waitFor("store_status=ok") { try info(client)["store_status"] == "ok" }
        try ok(client, "stock receive wh-a water 5 lot=B")

        client.close()
        try daemon.restart()
        client = try daemon.connect()
        let after = try rows(client, "stock lots")
        XCTAssertEqual(Set(after.compactMap { $0["lot"] }), ["A", "B"])
        XCTAssertEqual(try rows(client, "stock query item=water").first?["on_hand"], "105")
    }

    func testReadsNeverShowAWriteWhoseCommitFailed() throws {
        let daemon = try startDaemon()
        let writer = try daemon.connect()
        let reader = try daemon.connect()
        try addCatalog(writer)
        try ok(writer, "stock receive wh-a water 100 lot=BASE")

        // A write and, from another client, a read that arrives while the write's commit is in
        // flight (computed on a state that already holds the write). The commit fails: the read
        // must not show the lot, whichever way it is answered. Then the store comes back; again.
        var shown = 0
        var answered = 0
        let rounds = 8
        for round in 0..<rounds {
            try limitFileSize(of: daemon, "1:unlimited")
            try writer.send("stock receive wh-a water 1 lot=GHOST-\(round)")
            try reader.send("stock lots")
            let write = try writer.reply()
            XCTAssertFalse(write.isOK, "acknowledged although no commit can succeed: \(write.text)")
            let read = try reader.reply()
            if let lots = read.rowFields {
                answered += 1
                if lots.contains(where: { ($0["lot"] ?? "").hasPrefix("GHOST") }) { shown += 1 }
            } else {
                XCTAssertEqual(read.errorCode, "UNAVAILABLE", read.text)
            }
            try limitFileSize(of: daemon, "unlimited")
            try waitFor("the store to recover") { try info(reader)["store_status"] == "ok" }
        }
        print("reads during failing commits: \(answered) answered, \(rounds - answered) refused, \(shown) showed a lost write")
        XCTAssertEqual(shown, 0, "a read showed a write whose commit failed")
        XCTAssertFalse(try rows(reader, "stock lots").contains { ($0["lot"] ?? "").hasPrefix("GHOST") })
        XCTAssertNil(daemon.checkAlive())
    }

    func testCommitsFailingWithAFileSizeLimitAreNeverAcknowledged() throws {
        let daemon = try startDaemon()
        var client = try daemon.connect()
        try addCatalog(client)
        try ok(client, "stock receive wh-a water 100 lot=BASE")

        // Every further write to the database files fails with EFBIG, like a full disk.
        try limitFileSize(of: daemon, "1:1")

        var lines: [String] = []
        for n in 0..<50 { lines.append("stock receive wh-a water 1 lot=F\(n) req=f\(n)") }
        try client.send(lines: lines)
        var acknowledged = 0
        for _ in lines {
            let reply = try client.reply()
            if reply.isOK { acknowledged += 1 } else { XCTAssertEqual(reply.errorCode, "UNAVAILABLE", reply.text) }
        }
        XCTAssertEqual(acknowledged, 0, "no write may be acknowledged while the store cannot commit")
        XCTAssertEqual(try rows(client, "stock lots").map { $0["lot"] }, ["BASE"])
        XCTAssertEqual(try info(client)["store_status"], "unavailable")
        XCTAssertNil(daemon.checkAlive(), "the daemon must survive EFBIG")

        // A crash and a start without the limit: exactly what was acknowledged is there.
        client.close()
        daemon.kill()
        try daemon.start()
        client = try daemon.connect()
        XCTAssertEqual(try rows(client, "stock lots").map { $0["lot"] }, ["BASE"])
        try ok(client, "stock receive wh-a water 1 lot=F0 req=f0")
        XCTAssertEqual(try rows(client, "stock query item=water").first?["on_hand"], "101")
    }
}
