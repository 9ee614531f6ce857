#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ReliefProtocol
import XCTest

/// Followers (`role = follower`) on a streaming hot-standby replica of the test cluster's
/// PostgreSQL (deploy/test starts both: RELIEFD_TEST_PG_URL and RELIEFD_TEST_PG_REPLICA_DIR;
/// skipped with a message without them). A leader writes on the primary; the follower keeps its
/// state from the journal as the replica replays it. Each test gets a database of its own.
final class FollowerTests: EndToEndTestCase {
    private var database: String?
    private var primaryBase = ""
    private var replicaBase = ""
    private var replicaDir = ""

    override func setUpWithError() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["RELIEFD_TEST_PG_URL"], !url.isEmpty else {
            throw XCTSkip("RELIEFD_TEST_PG_URL is not set: no PostgreSQL to test against (deploy/test starts one)")
        }
        guard let dir = environment["RELIEFD_TEST_PG_REPLICA_DIR"], !dir.isEmpty,
              let replicaURL = try? String(contentsOfFile: dir + "/url", encoding: .utf8) else {
            throw XCTSkip("RELIEFD_TEST_PG_REPLICA_DIR is not set: no streaming replica to follow (deploy/test starts one with deploy/pg-test-cluster replica)")
        }
        primaryBase = url
        replicaBase = replicaURL.trimmingCharacters(in: .whitespacesAndNewlines)
        replicaDir = dir
        let name = "follow_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try psql(primaryBase, "CREATE DATABASE \(name)")
        database = name
        // The replica replays the CREATE DATABASE too.
        _ = try waitFor("the database to reach the replica", timeout: 30) {
            (try? psql(replicaBase, "SELECT count(*) FROM pg_database WHERE datname = '\(name)'")) == "1"
        }
    }

    override func tearDown() {
        super.tearDown() // kills the daemons first
        if let database { _ = try? psql(primaryBase, "DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
    }

    private func url(_ base: String) -> String {
        guard let slash = base.lastIndex(of: "/") else { return base }
        return String(base[...slash]) + database!
    }

    private var primaryURL: String { url(primaryBase) }
    private var replicaURL: String { url(replicaBase) }

    @discardableResult
    private func psql(_ url: String, _ sql: String) throws -> String {
        let run = try runProgram("/usr/bin/psql", [url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql], timeout: 60)
        guard run.status == 0 else { throw Daemon.Failure("psql \(sql): \(run.out)\(run.err)") }
        return run.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Halts or resumes the replica (deploy/pg-test-cluster).
    private func cluster(_ action: String) throws {
        let status = try spawnAndWait([Daemon.packageDirectory + "/deploy/pg-test-cluster", action, replicaDir])
        guard status == 0 else { throw Daemon.Failure("pg-test-cluster \(action) \(replicaDir) exited \(status)") }
    }

    private func infoOf(_ daemon: Daemon) -> [String: String]? {
        guard let client = try? daemon.connect(timeout: 2) else { return nil }
        defer { client.close() }
        return try? info(client)
    }

    private func startLeader(tcp port: UInt16? = nil, flags: [String] = []) throws -> Daemon {
        let leader = try startDaemon(["--store", primaryURL] + (port.map { ["--tcp", "127.0.0.1:\($0)"] } ?? []) + flags)
        _ = try waitFor("the leader to lead", timeout: 20) {
            let fields = infoOf(leader)
            return fields?["role"] == "leader" && fields?["store_status"] == "ok"
        }
        return leader
    }

    private func startFollower(tcp port: UInt16? = nil, flags: [String] = []) throws -> Daemon {
        let follower = try startDaemon(["--store", replicaURL, "--role", "follower"] + (port.map { ["--tcp", "127.0.0.1:\($0)"] } ?? []) + flags)
        _ = try waitFor("the follower to load", timeout: 20) {
            let fields = infoOf(follower)
            return fields?["role"] == "follower" && fields?["store_status"] == "ok" && fields?["store_error"] == nil
        }
        return follower
    }

    /// Waits until the follower has applied everything the leader committed (the leader's seq
    /// may move on by a snapshot's seal meanwhile: compared again each round).
    @discardableResult
    private func caughtUp(_ follower: Daemon, with leader: Daemon, timeout: Double = 30) throws -> Int {
        var seq = 0
        _ = try waitFor("the follower to catch up with the leader", timeout: timeout) {
            guard let leading = infoOf(leader)?["committed_seq"].flatMap({ Int($0) }),
                  let following = infoOf(follower)?["seq"].flatMap({ Int($0) }) else { return false }
            seq = following
            return following == leading
        }
        return seq
    }

    /// What an officer reads: stock, lots, the roster.
    private func answers(_ daemon: Daemon) throws -> [String] {
        let client = try daemon.connect()
        defer { client.close() }
        return try ["stock query", "stock lots limit=100000", "volunteer list limit=100000", "region list", "warehouse list"]
            .map { try client.request($0).text }
    }

    /// `threads` writers on the leader, each sending `count` stock receives (a lot of its own,
    /// with a req= token), acknowledged one by one; returns how many were acknowledged.
    private func write(_ leader: Daemon, threads: Int, count: Int, tag: String) -> Int {
        FollowerTests.write(socket: leader.socketPath, threads: threads, count: count, tag: tag)
    }

    private static func write(socket: String, threads: Int, count: Int, tag: String) -> Int {
        let acknowledged = Locked(0)
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let client = try? Client(socketPath: socket, timeout: 10) else { return }
                defer { client.close() }
                for index in 0..<count {
                    let lot = "\(tag)\(thread)-\(index)"
                    if (try? client.request("stock receive wh-\(index % 2 == 0 ? "a" : "b") water \(1 + index % 7) lot=\(lot) supplier=test req=\(lot)"))?.isOK == true {
                        acknowledged.withLock { $0 += 1 }
                    }
                }
            }.start()
        }
        group.wait()
        return acknowledged.withLock { $0 }
    }

    private func addRoster(_ client: Client, count: Int) throws {
        try ok(client, "skill add rescue name=\"Search and rescue\"")
        for index in 0..<count {
            try ok(client, "volunteer add V\(index) name=\"Volunteer \(index)\" region=sx at=37.8\(index % 10),112.5 skills=rescue phone=+8613800000\(String(format: "%03d", index))")
        }
    }

    func testFollowerOnTheReplicaSeesEveryWriteOfTheLeaderInOrder() throws {
        let leader = try startLeader()
        let setup = try leader.connect()
        try addCatalog(setup)
        let followerPort = try Daemon.freePort()
        let follower = try startFollower(tcp: followerPort, flags: ["--follow-wait", "0.5"])
        // A subscriber on the follower from the start of the journal, while the leader writes.
        let watcher = try follower.connect()
        let watching = try watcher.request("watch from=0")
        XCTAssertTrue(watching.isOK, watching.text)

        try addRoster(setup, count: 40)
        XCTAssertEqual(write(leader, threads: 4, count: 150, tag: "w"), 600)
        try ok(setup, "volunteer status V3 unavailable reason=sick")
        setup.close()

        let seq = try caughtUp(follower, with: leader)
        // Every entry on the follower's feed, in the leader's order: the leader's journal as
        // `audit log` reads it (the kinds the feed carries).
        let auditor = try leader.connect()
        let journal = try self.journal(auditor)
        auditor.close()
        let fed = try events(watcher, through: journal.last!.seq)
        XCTAssertEqual(fed.map { Int($0["seq"]!)! }, journal.map(\.seq))
        XCTAssertEqual(fed.map { $0["event"]! }, journal.map(\.kind))
        watcher.close()
        // And the follower answers reads as the leader does.
        XCTAssertEqual(try answers(follower), try answers(leader))
        let fields = try XCTUnwrap(infoOf(follower))
        XCTAssertEqual(fields["role"], "follower")
        XCTAssertEqual(fields["follow_source"], "replica")
        XCTAssertEqual(fields["lag_entries"], "0")
        XCTAssertEqual(fields["journal_head"], infoOf(leader)?["journal_head"], "same journal, same head (seq \(seq))")

        // A follower never writes to the database itself. A client known only by its uid has no
        // token to log in at the leader with; a logged-in client's write finds no leader address
        // (this leader has no TCP listener to record), and is refused once follow_wait has passed twice.
        let client = try follower.connect()
        try refused(client, "stock receive wh-a water 1 lot=on-follower", "DENIED")
        client.close()
        let remote = try followerClient(follower, port: followerPort, leader: leader)
        let refusal = try remote.request("stock receive wh-a water 1 lot=on-follower")
        XCTAssertEqual(refusal.errorCode, "UNAVAILABLE", refusal.text)
        XCTAssertTrue(refusal.text.contains("the leader's address is not known") && refusal.text.contains("nothing was applied")
                      && refusal.text.contains("retry with req=f-"), refusal.text)
        remote.close()
        XCTAssertFalse(try answers(leader)[1].contains("on-follower"))
        XCTAssertEqual(infoOf(follower)?["forwards_failed"], "1")
    }

    func testFollowerRestartedCatchesUpFromTheDatabase() throws {
        let leader = try startLeader()
        let setup = try leader.connect()
        try addCatalog(setup)
        setup.close()
        let follower = try startFollower()
        XCTAssertEqual(write(leader, threads: 2, count: 100, tag: "a"), 200)
        try caughtUp(follower, with: leader)

        // kill -9 the follower; the leader writes on; the follower starts again on the replica.
        follower.kill()
        XCTAssertEqual(write(leader, threads: 2, count: 100, tag: "b"), 200)
        try follower.restart()
        _ = try waitFor("the follower to load again", timeout: 20) { infoOf(follower)?["store_status"] == "ok" }
        try caughtUp(follower, with: leader)
        XCTAssertEqual(try answers(follower), try answers(leader))

        // Its feed resumes from the database: the whole journal from seq 0.
        let auditor = try leader.connect()
        let journal = try self.journal(auditor)
        auditor.close()
        let watcher = try follower.connect()
        XCTAssertTrue(try watcher.request("watch stock from=0").isOK)
        let fed = try events(watcher, through: journal.last!.seq)
        XCTAssertEqual(fed.filter { $0["event"] == "lot.received" }.count, 400)
        watcher.close()
    }

    func testReplicaStoppedAndRestartedMidLoadTheFollowerServesStaleReadsThenCatchesUp() throws {
        let leader = try startLeader()
        let setup = try leader.connect()
        try addCatalog(setup)
        setup.close()
        let follower = try startFollower()
        XCTAssertEqual(write(leader, threads: 2, count: 50, tag: "a"), 100)
        let before = try caughtUp(follower, with: leader)

        // The replica stops while the leader keeps writing.
        let writes = Locked(0)
        let writerDone = DispatchSemaphore(value: 0)
        let socket = leader.socketPath
        Thread {
            let acknowledged = FollowerTests.write(socket: socket, threads: 2, count: 150, tag: "b")
            writes.withLock { $0 = acknowledged }
            writerDone.signal()
        }.start()
        try cluster("halt")
        var resumed = false
        defer { if !resumed { try? cluster("resume") } }

        // Reads go on from what the follower has; info says the database is gone and how stale.
        let stale = try waitFor("the follower to notice its database is gone", timeout: 20) {
            infoOf(follower)?["store_status"] == "unavailable"
        }
        let client = try follower.connect()
        let lots = try rows(client, "stock lots limit=100000")
        XCTAssertGreaterThanOrEqual(lots.count, 100)
        let fields = try info(client)
        XCTAssertEqual(fields["role"], "follower")
        XCTAssertGreaterThanOrEqual(Int(fields["seq"] ?? "") ?? 0, before)
        XCTAssertNotNil(fields["store_error"])
        usleep(300_000)
        XCTAssertGreaterThanOrEqual(Int(try info(client)["stale_ms"] ?? "") ?? 0, 300)
        client.close()
        print("follower: database gone noticed after \(String(format: "%.2f", stale)) s")

        try cluster("resume")
        resumed = true
        writerDone.wait()
        XCTAssertEqual(writes.withLock { $0 }, 300)
        try caughtUp(follower, with: leader, timeout: 60)
        XCTAssertEqual(infoOf(follower)?["store_status"], "ok")
        XCTAssertEqual(try answers(follower), try answers(leader))
    }

    /// A TCP client of `follower` logged in as `user`, whose token the leader made (the follower
    /// checks it once it has followed the leader that far).
    private func followerClient(_ follower: Daemon, port: UInt16, leader: Daemon, user: String = "kim") throws -> Client {
        let admin = try leader.connect()
        defer { admin.close() }
        if try admin.request("user show \(user)").errorCode == "NOTFOUND" { try ok(admin, "user add \(user) role=admin") }
        let token = try ok(admin, "token create \(user) t\(UUID().uuidString.prefix(8))").okFields?["token"] ?? ""
        try caughtUp(follower, with: leader)
        let client = try Client(tcpPort: port, timeout: 30)
        XCTAssertEqual(try client.request("auth \(user) \(token)").okFields?["user"], user)
        return client
    }

    func testAWriteThroughTheFollowerLandsOnceEvenWhenRetriedAndItsClientReadsItThere() throws {
        let leaderPort = try Daemon.freePort(), followerPort = try Daemon.freePort()
        // The leader advertises a host name: the follower looks it up each time it connects.
        let leader = try startLeader(tcp: leaderPort, flags: ["--advertise", "localhost:\(leaderPort)"])
        let setup = try leader.connect()
        try addCatalog(setup)
        setup.close()
        let follower = try startFollower(tcp: followerPort)
        _ = try waitFor("the follower to know where the leader is", timeout: 20) { infoOf(follower)?["leader"] == "localhost:\(leaderPort)" }
        let client = try followerClient(follower, port: followerPort, leader: leader)

        // Sent twice with one token (a retry after a lost reply): applied once, the same reply.
        let first = try ok(client, "stock receive wh-a water 5 lot=once supplier=test req=t-once")
        let again = try ok(client, "stock receive wh-a water 5 lot=once supplier=test req=t-once")
        XCTAssertEqual(first.text, again.text)
        // Read your writes: this client's next read on the follower shows it, at once.
        let lots = try rows(client, "stock lots warehouse=wh-a")
        XCTAssertEqual(lots.filter { $0["lot"] == "once" }.count, 1)
        XCTAssertEqual(try rows(client, "stock query warehouse=wh-a item=water").first?["on_hand"], "5")
        // A write without a token gets one at the follower, and lands once too.
        try ok(client, "stock receive wh-b water 3 lot=untokened supplier=test")
        XCTAssertEqual(try rows(client, "stock query warehouse=wh-b item=water").first?["on_hand"], "3")
        // The leader has exactly these, written by the client's user.
        let auditor = try leader.connect()
        XCTAssertEqual(try rows(auditor, "stock query item=water").map { $0["on_hand"] }, ["5", "3"])
        let journal = try rows(auditor, "audit log limit=1000").filter { $0["kind"] == "lot.received" }
        XCTAssertEqual(journal.count, 2)
        XCTAssertEqual(Set(journal.map { $0["user"] }), ["kim"])
        auditor.close()

        // seq= on request, and min_seq= on another connection: it waits until the follower has it.
        XCTAssertEqual(try ok(client, "session seq=yes").okFields?["reports_seq"], "yes")
        let written = try ok(client, "stock receive wh-a water 2 lot=seen supplier=test")
        let seq = try XCTUnwrap(written.okFields?["seq"].flatMap { Int($0) })
        let other = try follower.connect()
        XCTAssertTrue(try rows(other, "stock lots warehouse=wh-a min_seq=\(seq)").contains { $0["lot"] == "seen" })
        try refused(other, "stock lots min_seq=soon", "SYNTAX")
        // A Unix-socket client known by its uid has no token to log in at the leader with.
        try refused(other, "stock receive wh-a water 1 lot=uid", "DENIED")
        other.close()
        // A refusal by the leader comes back as it is, and changes nothing.
        try refused(client, "stock receive wh-z water 1", "NOTFOUND")

        // A bulk import through the follower: held there, sent to the leader whole with its
        // commit; sent again with its token it applies once; its client reads it there at once.
        XCTAssertEqual(try ok(client, "session seq=no").okFields?["reports_seq"], "no")
        let roster = (1...40).map { "volunteer add fv-\($0) name=\"Volunteer \($0)\" region=sx at=37.8,112.5 line=\($0 + 1)" }
        func importThrough(_ client: Client, _ rows: [String], commit: String) throws -> ReplyReader.Parsed {
            XCTAssertEqual(try client.request("import begin volunteers").okFields?["import"], "volunteers")
            try client.send(lines: rows)
            return try client.request(commit)
        }
        let imported = try importThrough(client, roster, commit: "import commit req=roster-1")
        XCTAssertEqual(imported.okFields?["imported"], "40", imported.text)
        XCTAssertEqual(try rows(client, "volunteer list limit=1000").count, 40, "read your writes")
        let retried = try importThrough(client, roster, commit: "import commit req=roster-1")
        XCTAssertEqual(retried.okFields?["imported"], "40", retried.text)
        XCTAssertEqual(retried.okFields?["entries"], imported.okFields?["entries"])
        // The leader's refusal names the rows' lines; an abort never leaves the follower.
        let bad = try importThrough(client, ["volunteer add fv-99 name=X region=nowhere at=37.8,112.5 line=7"], commit: "import commit")
        XCTAssertEqual(bad.errorCode, "SYNTAX", bad.text)
        XCTAssertTrue(bad.text.contains("line 7: NOTFOUND"), bad.text)
        XCTAssertEqual(try importThrough(client, roster, commit: "import abort").okFields?["aborted"], "40")
        let leaderSide = try leader.connect()
        XCTAssertEqual(try rows(leaderSide, "volunteer list limit=1000").count, 40)
        let imports = try rows(leaderSide, "audit log limit=1000").filter { $0["kind"] == "volunteer.added" }
        XCTAssertEqual(Set(imports.map { $0["user"] }), ["kim"])
        leaderSide.close()
        // A client known only by its uid cannot import through the follower: refused at the begin.
        let anonymous = try follower.connect()
        let begin = try anonymous.request("import begin volunteers")
        XCTAssertEqual(begin.errorCode, "DENIED", begin.text)
        anonymous.close()
        client.close()
        XCTAssertEqual(infoOf(follower)?["forwards_failed"], "0")
        XCTAssertEqual(infoOf(follower)?["import_bytes"], "0", "the imports' bytes are given back")
    }

    func testKillingTheLeaderDuringWritesThroughTheFollowerLosesNoAcknowledgedWrite() throws {
        let leaderPort = try Daemon.freePort(), standbyPort = try Daemon.freePort(), followerPort = try Daemon.freePort()
        let leader = try startLeader(tcp: leaderPort)
        let setup = try leader.connect()
        try addCatalog(setup)
        setup.close()
        let standby = try startDaemon(["--store", primaryURL, "--tcp", "127.0.0.1:\(standbyPort)"])
        _ = try waitFor("the second daemon to wait as standby", timeout: 20) { infoOf(standby)?["role"] == "standby" }
        let follower = try startFollower(tcp: followerPort)
        _ = try waitFor("the follower to know where the leader is", timeout: 20) { infoOf(follower)?["leader"] == "127.0.0.1:\(leaderPort)" }
        var clients: [Client] = []
        for _ in 0..<4 { clients.append(try followerClient(follower, port: followerPort, leader: leader)) }

        // Three writers through the follower; kill -9 the leader a second in.
        let acknowledged = Locked(Set<String>()), unknown = Locked(Set<String>())
        let leaderPid = leader.pid
        DispatchQueue.global().asyncAfter(deadline: .now() + 1.0) { Glibc.kill(leaderPid, SIGKILL) }
        let group = DispatchGroup()
        let stopAt = Date().addingTimeInterval(6)
        for (number, client) in clients.enumerated() {
            group.enter()
            // Each writer thread alone uses its client.
            nonisolated(unsafe) let client = client
            Thread {
                defer { group.leave() }
                var index = 0
                while Date() < stopAt, index < 2_000 {
                    let token = "k\(number)-\(index)"
                    index += 1
                    let reply: ReplyReader.Parsed?
                    if number == 3 {
                        // The fourth writer imports: ten volunteers at a time, each import with its token.
                        reply = try? { () throws -> ReplyReader.Parsed in
                            _ = try client.request("import begin volunteers", timeout: 30)
                            try client.send(lines: (0..<10).map { "volunteer add \(token)-\($0) name=V region=sx at=37.8,112.5" })
                            return try client.request("import commit req=\(token)", timeout: 30)
                        }()
                    } else {
                        reply = try? client.request("stock receive wh-a water 1 lot=\(token) supplier=test req=\(token)", timeout: 30)
                    }
                    if let reply, reply.isOK { acknowledged.withLock { _ = $0.insert(token) } } else { unknown.withLock { _ = $0.insert(token) } }
                    if reply == nil { return }
                }
            }.start()
        }
        group.wait()
        leader.kill() // reap
        let acked = acknowledged.current, doubtful = unknown.current
        XCTAssertGreaterThan(acked.count, 10, "writers got going before the kill")
        // The follower sent the writes the kill caught in flight again, to the leader that took
        // over, with their tokens: none is left in doubt for its client.
        XCTAssertEqual(doubtful.sorted(), [], "writes the follower did not carry over to the new leader")
        _ = try waitFor("the standby to lead", timeout: 20) { infoOf(standby)?["role"] == "leader" && infoOf(standby)?["store_status"] == "ok" }
        // The follower follows the new leader without a restart: writes go there now.
        _ = try waitFor("the follower to learn the new leader's address", timeout: 20) { infoOf(follower)?["leader"] == "127.0.0.1:\(standbyPort)" }
        let after = clients[0]
        try ok(after, "stock receive wh-b water 1 lot=after-failover supplier=test")
        XCTAssertTrue(try rows(after, "stock lots warehouse=wh-b").contains { $0["lot"] == "after-failover" })
        let writesAfterKill = acked.filter { token in !token.isEmpty }.count
        print("writes through the follower: \(writesAfterKill) acknowledged, \(doubtful.count) in doubt")

        // Every acknowledged write is on the new leader; nothing else but those in doubt.
        let check = try standby.connect()
        // Each acknowledged import is there whole, once; no other.
        let volunteers = try rows(check, "volunteer list limit=100000").compactMap { $0["volunteer"] }
        let importsPresent = Dictionary(grouping: volunteers, by: { String($0[..<$0.lastIndex(of: "-")!]) })
        let importsAcked = acked.filter { $0.hasPrefix("k3-") }
        XCTAssertGreaterThan(importsAcked.count, 2, "imports got going before the kill")
        XCTAssertTrue(importsAcked.isSubset(of: Set(importsPresent.keys)), "imports lost: \(importsAcked.subtracting(importsPresent.keys).sorted().prefix(10))")
        XCTAssertEqual(importsPresent.values.filter { $0.count != 10 }.count, 0, "an import applied in part or twice")
        let stockAcked = acked.subtracting(importsAcked), stockDoubtful = doubtful.filter { !$0.hasPrefix("k3-") }
        let present = Set(try rows(check, "stock lots limit=100000").compactMap { $0["lot"] }.filter { $0.hasPrefix("k") })
        XCTAssertTrue(stockAcked.isSubset(of: present), "lost: \(stockAcked.subtracting(present).sorted().prefix(10))")
        XCTAssertTrue(present.isSubset(of: stockAcked.union(stockDoubtful)), "never sent: \(present.subtracting(stockAcked.union(stockDoubtful)).sorted().prefix(10))")
        // Those in doubt, retried with their tokens through the follower: each applied exactly once.
        for token in stockDoubtful.sorted() { try ok(after, "stock receive wh-a water 1 lot=\(token) supplier=test req=\(token)") }
        let everything = stockAcked.union(stockDoubtful)
        XCTAssertEqual(Set(try rows(check, "stock lots limit=100000").compactMap { $0["lot"] }.filter { $0.hasPrefix("k") }), everything)
        XCTAssertEqual(try rows(check, "stock query warehouse=wh-a item=water").first?["on_hand"], String(everything.count))
        check.close()
        try caughtUp(follower, with: standby)
        XCTAssertEqual(try answers(follower), try answers(standby))
        for client in clients { client.close() }
    }
}
