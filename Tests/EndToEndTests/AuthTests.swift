import Foundation
import ReliefProtocol
import XCTest

/// Users, roles and tokens (issue 13), through a real daemon: TCP clients run nothing before
/// `auth`; failed logins are slowed and logged; tokens are kept only as hashes; roles and scopes
/// are enforced and refusals logged; the journal names the user, role and credential of every
/// entry; a Unix uid maps to a user.
final class AuthTests: EndToEndTestCase {
    private func tcpDaemon(_ flags: [String] = []) throws -> (daemon: Daemon, port: UInt16, admin: Client) {
        let port = try Daemon.freePort()
        let daemon = try startDaemon(["--tcp", "127.0.0.1:\(port)"] + flags)
        let admin = try daemon.connect()
        try addCatalog(admin)
        try ok(admin, "stock receive wh-a water 100 lot=W-1")
        return (daemon, port, admin)
    }

    func testAnUnauthenticatedTCPClientMayOnlyAuthPingHelpAndQuit() throws {
        let (daemon, port, admin) = try tcpDaemon()
        let before = try observable(admin)
        let tcp = try Client(tcpPort: port, timeout: 5)
        XCTAssertEqual(try tcp.request("ping"), .ok("pong"))
        // Every command help lists, each with plausible arguments: refused, nothing changed.
        let commands = try rows(tcp, "help").compactMap { $0["command"] }
        XCTAssertTrue(commands.contains("stock receive") && commands.contains("token create") && commands.contains("drill start"), "\(commands)")
        for command in commands where !["ping", "help", "auth", "quit"].contains(command) {
            let reply = try tcp.request(command + " wh-a water 5")
            XCTAssertEqual(reply.errorCode, "DENIED", "\(command): \(reply.text)")
            XCTAssertTrue(reply.text.contains("not authenticated; send auth USER TOKEN first"), reply.text)
            XCTAssertTrue(reply.text.contains("RELIEFD_USER"), "the refusal says how reliefctl logs in: \(reply.text)")
        }
        XCTAssertEqual(try observable(admin), before, "nothing ran")
        XCTAssertTrue(daemon.log.contains("reason=\"not authenticated\"") || daemon.log.contains("reason=not authenticated"), daemon.log)
        XCTAssertEqual(try tcp.request("quit"), .ok("bye"))
        XCTAssertTrue(tcp.waitForClose(timeout: 5))
    }

    func testTokensAuthenticateAreSlowedWhenWrongAndAreNeverStored() throws {
        let (daemon, port, admin) = try tcpDaemon()
        try ok(admin, "user add kim role=warehouse_keeper warehouses=wh-a")
        let created = try ok(admin, "token create kim laptop").okFields ?? [:]
        let token = try XCTUnwrap(created["token"])
        XCTAssertEqual(created["shown"], "once")
        XCTAssertTrue(token.hasPrefix("rlf_") && token.utf8.count == 52, token)
        // A lost reply cannot be retried into the journal.
        try refused(admin, "token create kim phone req=t-1", "SYNTAX")

        let tcp = try Client(tcpPort: port, timeout: 10)
        var start = Date()
        let wrong = try tcp.request("auth kim rlf_0000")
        XCTAssertEqual(wrong.errorCode, "DENIED", wrong.text)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.9, "a failed login is answered after a delay")
        start = Date()
        _ = try tcp.request("auth nobody \(token)")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 1.9, "the delay doubles with the peer's failures")
        XCTAssertTrue(daemon.log.contains("authentication failed"), daemon.log)
        XCTAssertEqual(try info(admin)["auth_failures"], "2")

        let login = try tcp.request("auth kim \(token)")
        XCTAssertEqual(login.okFields?["role"], "warehouse_keeper", login.text)
        XCTAssertEqual(login.okFields?["scope"], "warehouses wh-a", login.text)
        let whoami = try ok(tcp, "whoami").okFields ?? [:]
        XCTAssertEqual(whoami["user"], "kim")
        XCTAssertEqual(whoami["credential"], "token=laptop")
        XCTAssertEqual(whoami["personal_data"], "masked")

        // Scope: the keeper's own warehouse, not another.
        try ok(tcp, "stock issue wh-a water 10 to=shelter")
        let refusal = try tcp.request("stock receive wh-b water 5")
        XCTAssertEqual(refusal.errorCode, "DENIED", refusal.text)
        XCTAssertTrue(refusal.text.contains("kim (warehouse_keeper) may not run stock receive for warehouse wh-b"), refusal.text)
        try refused(tcp, "user add eve role=admin", "DENIED")
        XCTAssertTrue(daemon.log.contains("denied") && daemon.log.contains("user=kim"), daemon.log)

        // The journal names who acted and how; it holds the token's hash, never the token.
        let path = daemon.dataDirectory + "/reliefd.db"
        XCTAssertEqual(try sqliteScalar(path, "SELECT actor FROM journal WHERE kind = 'lot.issued' ORDER BY seq DESC LIMIT 1"),
                       "kim role=warehouse_keeper token=laptop")
        XCTAssertNil(try sqliteScalar(path, "SELECT seq FROM journal WHERE instr(body, '\(token)') > 0"), "the token's text is not in the journal")
        let hash = try XCTUnwrap(sqliteScalar(path, "SELECT body FROM journal WHERE kind = 'token.created'"))
        XCTAssertTrue(hash.contains("\"sha256\":\""), hash)
        let audit = try rows(admin, "user show kim")
        XCTAssertEqual(audit.last?["token"], "laptop")
        XCTAssertFalse(audit.description.contains(token))

        // Revoked: the next login fails; a connection already in keeps what it had until it closes.
        try ok(admin, "token revoke kim laptop")
        let again = try Client(tcpPort: port, timeout: 10)
        XCTAssertEqual(try again.request("auth kim \(token)").errorCode, "DENIED")

        // Users and tokens survive a restart (journal replay, then the snapshot).
        admin.close()
        daemon.kill()
        try daemon.start()
        let restarted = try daemon.connect()
        try ok(restarted, "token create kim tablet")
        XCTAssertEqual(try rows(restarted, "user show kim").count, 3, "the grant and both tokens")
    }

    /// An unmapped Unix peer gets unix_default_role; `user add … uids=` maps a uid to a user
    /// (once the uid is no longer an admin by configuration).
    func testUnixPeersAreMappedToUsersByUID() throws {
        let uid = getuid()
        let daemon = try startDaemon()
        var client = try daemon.connect()
        try addCatalog(client)
        try ok(client, "user add carla role=coordinator uids=\(uid)")
        XCTAssertEqual(try ok(client, "whoami").okFields?["role"], "admin", "admin_uids comes first")
        client.close()
        try daemon.stop()
        daemon.extraFlags += ["--admin-uids", ""]
        try daemon.start()
        client = try daemon.connect()
        let whoami = try ok(client, "whoami").okFields ?? [:]
        XCTAssertEqual(whoami["user"], "carla")
        XCTAssertEqual(whoami["role"], "coordinator")
        XCTAssertEqual(whoami["credential"], "uid=\(uid)")
        try ok(client, "volunteer add v1 name=Wang region=sx at=37.8,112.5 phone=13800000001")
        try refused(client, "stock receive wh-a water 1", "DENIED")
        try refused(client, "user add eve role=admin", "DENIED")
        client.close()
        try daemon.stop()
        daemon.extraFlags += ["--unix-default-role", "none"]
        try daemon.start()
        client = try daemon.connect()
        XCTAssertEqual(try ok(client, "whoami").okFields?["user"], "carla", "a mapped uid is its user whatever the default")
    }

    /// `audit log` answers who did what, when, without SQL: by user, kind, time and incident; an
    /// auditor sees no personal data in it.
    func testAuditLogAnswersWhoDidWhatWhen() throws {
        let (_, port, admin) = try tcpDaemon()
        let kim = try tcpClient(port: port, as: "kim", role: "warehouse_keeper", scope: "warehouses=wh-a", admin: admin)
        try ok(kim, "stock issue wh-a water 10 to=shelter")
        try ok(kim, "stock issue wh-a water 5 to=school")
        try ok(admin, "volunteer add v1 name=Wang region=sx at=37.8,112.5 phone=13800000001 id_number=140102199001011234")
        try ok(admin, "incident open f1 title=Flood kind=flood at=37.8,112.5 region=sx severity=3")
        try ok(admin, "need add f1 supply water 50")

        let byKim = try rows(admin, "audit log user=kim")
        XCTAssertEqual(byKim.map { $0["kind"] ?? "" }, ["lot.issued", "lot.issued"], "\(byKim)")
        XCTAssertEqual(Set(byKim.map { "\($0["user"] ?? "") \($0["role"] ?? "") \($0["credential"] ?? "")" }),
                       ["kim warehouse_keeper token=t1"])
        XCTAssertTrue(byKim[1]["body"]?.contains("school") ?? false, "\(byKim)")
        XCTAssertEqual(try rows(admin, "audit log user=kim limit=1").map { $0["body"]?.contains("school") }, [true], "the newest")
        XCTAssertEqual(try rows(admin, "audit log kind=incident.opened").count, 1)
        XCTAssertEqual(try rows(admin, "audit log since=2999-01-01").count, 0)
        let incident = try rows(admin, "audit log incident=f1").map { $0["kind"] ?? "" }
        XCTAssertEqual(incident, ["incident.opened", "need.added"])
        try refused(admin, "audit log kind=lot.teleported", "SYNTAX")
        try refused(admin, "audit log incident=nowhere", "NOTFOUND")

        // The auditor reads the log without personal data; the admin sees it; a viewer may not read the log.
        let ada = try tcpClient(port: port, as: "ada", role: "auditor", admin: admin)
        let seen = try rows(ada, "audit log kind=volunteer.added").first?["body"] ?? ""
        XCTAssertFalse(seen.contains("13800000001") || seen.contains("140102199001011234"), seen)
        XCTAssertTrue(seen.contains("Wang"), seen)
        XCTAssertTrue(try rows(admin, "audit log kind=volunteer.added").first?["body"]?.contains("13800000001") ?? false)
        try refused(kim, "audit log", "DENIED")
        XCTAssertEqual(try ok(ada, "audit verify").okFields?["intact"], "yes")
    }
}
