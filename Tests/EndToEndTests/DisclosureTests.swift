import Foundation
import XCTest

/// Donations through the daemon: the public account written by `disclose file=`, carrying the
/// journal head it was computed at (checked against the store and by the independent verifier),
/// and no personal data in anything a viewer, an auditor or the public reads.
final class DisclosureTests: EndToEndTestCase {
    func testDiscloseWritesTheAccountWithTheJournalHeadItWasComputedAt() throws {
        let port = try Daemon.freePort()
        let daemon = try startDaemon(["--tcp", "127.0.0.1:\(port)"])
        let admin = try daemon.connect()
        try addCatalog(admin)
        try ok(admin, #"donation add receipt=D-1 donor="Yangquan Steel" goods=water:500 money=1000"#)
        try ok(admin, #"donation add receipt=D-2 donor="Zhang San" anonymous=yes contact=13912345678 money=300.50"#)
        XCTAssertEqual(try ok(admin, "stock receive wh-a water 500 lot=W-1 donation=D-1").okFields?["donation"], "D-1")
        try ok(admin, "donation money D-1 1000")
        try ok(admin, "donation money D-2 300.50")
        try ok(admin, "stock receive wh-b water 40 lot=P-1 supplier=\"Water Co\"")
        try ok(admin, "donation spend D-2 300 purpose=\"40 bottles\" lots=P-1")
        try ok(admin, #"incident open f1 title="Fen flood" kind=flood at=37.80,112.60 region=sx severity=3 affected=500"#)
        try ok(admin, "need add f1 supply water 300")
        try ok(admin, "allocation reserve N-000001 wh-a W-1 260")
        try ok(admin, "allocation reserve N-000001 wh-b P-1 40")
        for id in ["AL-000001", "AL-000002"] {
            let dispatched = try ok(admin, "allocation dispatch \(id)").okFields
            XCTAssertNotNil(dispatched?["lot"])
            try ok(admin, "allocation deliver \(id)")
        }
        let body = try sqliteScalar(daemon.dataDirectory + "/reliefd.db", "SELECT body FROM journal WHERE kind = 'allocation.delivered' ORDER BY seq LIMIT 1")
        XCTAssertEqual(body, #"{"id":"AL-000001","lot":"W-1","qty":260}"#, "the journal names the lot and quantity delivered")

        let written = try XCTUnwrap(try ok(admin, "disclose file=public-2026").okFields)
        let seq = try XCTUnwrap(written["as_of_seq"]), head = try XCTUnwrap(written["journal_head"])
        XCTAssertEqual(head, try sqliteScalar(daemon.dataDirectory + "/reliefd.db", "SELECT hash FROM journal WHERE seq = \(seq)"))
        XCTAssertEqual(written["money_in"], "1300.50")
        let directory = try XCTUnwrap(written["dir"])
        XCTAssertEqual(directory, daemon.dataDirectory + "/disclosures/public-2026")
        let page = try String(contentsOfFile: directory + "/index.html", encoding: .utf8)
        XCTAssertTrue(page.contains(head))
        let served = try String(contentsOfFile: directory + "/served.csv", encoding: .utf8)
        XCTAssertTrue(served.contains("D-1,Yangquan Steel,f1,Fen flood,sx,water,260,"), served)
        XCTAssertTrue(served.contains("D-2,anonymous,f1,Fen flood,sx,water,40,"), served)
        let everything = try FileManager.default.contentsOfDirectory(atPath: directory).map {
            try String(contentsOfFile: directory + "/" + $0, encoding: .utf8)
        }.joined()
        for secret in ["Zhang San", "13912345678"] { XCTAssertFalse(everything.contains(secret), secret) }
        // Never over a published account; names are identifiers, not paths.
        try refused(admin, "disclose file=public-2026", "UNAVAILABLE")
        try refused(admin, "disclose file=../etc", "SYNTAX")

        // Later writes move the head on; an export of the journal still contains the published one,
        // which the independent verifier checks.
        try ok(admin, "stock issue wh-a water 10 lot=W-1 to=shelter")
        let exported = try XCTUnwrap(try ok(admin, "audit export later").okFields?["file"])
        let verifier = try runProgram("/usr/bin/python3", [Daemon.packageDirectory + "/deploy/verify-journal", exported, "--head", head], timeout: 60)
        XCTAssertEqual(verifier.status, 0, verifier.err)

        // An auditor may publish and read the account; a viewer may not; a keeper may link donated goods.
        let auditor = try tcpClient(port: port, as: "aud", role: "auditor", admin: admin)
        XCTAssertEqual(try rows(auditor, "disclose section=donations").map { $0["donor"] }, ["Yangquan Steel", "anonymous"])
        let viewer = try tcpClient(port: port, as: "vera", role: "viewer", admin: admin)
        try refused(viewer, "disclose", "DENIED")
        try refused(viewer, "donation add donor=x money=1", "DENIED")
        XCTAssertEqual(try ok(viewer, "donation show D-2").okFields?["donor"], "anonymous")
        let keeper = try tcpClient(port: port, as: "kim", role: "warehouse_keeper", scope: "warehouses=wh-b", admin: admin)
        try ok(keeper, "stock receive wh-b water 5 donation=D-1")
        try refused(keeper, "donation money D-1 5", "DENIED")
    }

    /// The demo roster's phone and ID numbers, read from the journal, appear in nothing a viewer or
    /// an auditor reads (listings, finds, exports, teams, the audit log) nor in the disclosure.
    func testNoPersonalDataReachesViewersAuditorsOrThePublic() throws {
        let port = try Daemon.freePort()
        let config = Daemon.packageDirectory + "/config"
        let daemon = try startDaemon(["--tcp", "127.0.0.1:\(port)", "--demo", "on", "--demo-file", config + "/demo/shanxi.commands",
                                      "--demo-volunteers", "600", "--catalog-file", config + "/catalog/skills.commands"])
        let admin = try daemon.connect(timeout: 120)
        let database = daemon.dataDirectory + "/reliefd.db"
        try waitFor("the demo roster", timeout: 60) {
            try self.sqliteScalar(database, "SELECT count(*) FROM journal WHERE kind = 'volunteer.added'") == "600"
        }
        _ = try settledInfo(admin, timeout: 60)
        let bodies = try XCTUnwrap(try sqliteScalar(daemon.dataDirectory + "/reliefd.db",
            "SELECT group_concat(body, char(10)) FROM (SELECT body FROM journal WHERE kind = 'volunteer.added' ORDER BY seq)"))
        var secrets: [String] = []
        for line in bodies.split(separator: "\n") {
            for key in ["\"phone\":\"", "\"id_number\":\""] {
                guard let start = line.range(of: key) else { continue }
                secrets.append(String(line[start.upperBound...].prefix { $0 != "\"" }))
            }
        }
        XCTAssertGreaterThan(secrets.count, 1000, "the demo roster has phone and ID numbers to look for")
        let someone = try XCTUnwrap(try rows(admin, "volunteer list limit=1").first.flatMap { $0["id"] ?? $0["volunteer"] })
        let adminShow = try ok(admin, "volunteer show \(someone) personal").text
        XCTAssertTrue(secrets.contains { adminShow.contains($0) }, "the admin sees them: the search would find them")
        try ok(admin, #"donation add receipt=D-9 donor="Red Cross members" goods=water-5l:100"#)

        var outputs: [String: String] = [:]
        for (user, role) in [("vera", "viewer"), ("aud", "auditor")] {
            let client = try tcpClient(port: port, as: user, role: role, admin: admin, timeout: 60)
            var requests = ["volunteer list limit=1000", "volunteer list limit=1000 personal", "volunteer find skill=first-aid limit=1000",
                            "volunteer export limit=1000", "volunteer show \(someone)", "team list", "team readiness",
                            "donation list", "donation show D-9", "incident list", "stock query"]
            if role == "auditor" {
                requests += ["audit log limit=5000", "audit log kind=volunteer.added limit=1000"] + ["checkpoint", "donations", "served", "sources", "donors", "items", "regions", "months", "money"].map { "disclose section=\($0)" }
            }
            for request in requests { outputs["\(role): \(request)"] = try client.request(request, timeout: 60).text }
            client.close()
        }
        XCTAssertTrue(outputs["auditor: audit log kind=volunteer.added limit=1000"]?.contains("volunteer.added") ?? false, "the audit log was read")
        let published = try XCTUnwrap(try ok(admin, "disclose file=grep").okFields?["dir"])
        for file in try FileManager.default.contentsOfDirectory(atPath: published) {
            outputs["published \(file)"] = try String(contentsOfFile: published + "/" + file, encoding: .utf8)
        }
        for (what, text) in outputs.sorted(by: { $0.key < $1.key }) {
            if let leaked = secrets.first(where: { text.contains($0) }) { XCTFail("\(what) shows \(leaked)") }
        }
    }
}
