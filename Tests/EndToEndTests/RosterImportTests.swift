import Foundation
import ReliefProtocol
import XCTest

/// Bulk import and export of the roster through `reliefctl` against a real daemon, roles on the
/// Unix socket and over TCP, and that a restart keeps what was imported.
final class RosterImportTests: EndToEndTestCase {
    private var catalogFlags: [String] { ["--catalog-file", Daemon.packageDirectory + "/config/catalog/skills.commands"] }

    static let header = "id,name,phone,id_number,region,lat,lon,languages,skills,max_hours,min_rest,org,cert_skill,cert_issued,cert_expires,cert_issuer\r\n"
    static let hashtags = "#meta+id,#contact+name,#contact+phone,#meta+id_number,#adm1+code,#geo+lat,#geo+lon,#meta+languages,#meta+skills,,,#org+name,,,,\r\n"

    func testImportWithBadRowsImportsNothingThenAGoodFileImportsAndSurvivesRestart() throws {
        let port = try Daemon.freePort()
        let daemon = try startDaemon(catalogFlags + ["--tcp", "127.0.0.1:\(port)"])
        var client = try daemon.connect()
        _ = try settledInfo(client) // the catalog's snapshot sealed before the test counts entries
        try ok(client, "region add sx name=Shanxi")
        let socket = ["--socket", daemon.socketPath]

        // Lines: 1 header, 2 hashtags, 3 good, 4 unknown skill, 5 expiry before issue, 6 duplicate id.
        let bad = try write(Self.header + Self.hashtags + """
            v-1,"Wang, Li",13800000001,140100199001011234,sx,37.87,112.55,"zh,en",first-aid:3,12,8h,Taiyuan Red Cross,first-aid,2025-01-01,2030-01-01,Red Cross\r
            v-2,Zhao Min,13800000002,,sx,37.70,112.70,zh,basket-weaving:2,10,8h,,,,,\r
            v-3,"Chen ""Xiao"" Hong",13800000003,,sx,37.80,112.60,zh,first-aid:2,12,8h,,first-aid,2026-05-01,2025-05-01,Red Cross\r
            v-1,Duplicate,13800000004,,sx,37.80,112.60,zh,first-aid:1,12,8h,,,,,\r

            """, "bad.csv", in: daemon)
        let seqBefore = try info(client)["seq"]
        let rejected = try reliefctl(socket + ["import", "volunteers", bad])
        XCTAssertEqual(rejected.status, 1, rejected.err)
        let reported = rejected.err.split(separator: "\n").map(String.init)
        XCTAssertTrue(reported.first?.hasPrefix("ERR SYNTAX import refused, nothing imported: 3 bad rows") ?? false, rejected.err)
        let badLines = reported.filter { $0.hasPrefix("line ") }
        XCTAssertEqual(badLines.count, 3, rejected.err)
        XCTAssertTrue(badLines.contains { $0.hasPrefix("line 4:") && $0.contains("basket-weaving") }, rejected.err)
        XCTAssertTrue(badLines.contains { $0.hasPrefix("line 5:") }, rejected.err)
        XCTAssertTrue(badLines.contains { $0.hasPrefix("line 6:") && $0.contains("v-1") }, rejected.err)
        XCTAssertEqual(try rows(client, "volunteer list").count, 0, "nothing imported")
        XCTAssertEqual(try info(client)["seq"], seqBefore)

        let good = try write(Self.header + Self.hashtags + """
            v-1,"Wang, Li",13800000001,140100199001011234,sx,37.87,112.55,"zh,en",first-aid:3,12,8h,Taiyuan Red Cross,first-aid,2025-01-01,2030-01-01,Red Cross\r
            v-2,Zhao Min,13800000002,,sx,37.70,112.70,zh,first-aid:2,10,8h,,first-aid,2025-03-01,2030-03-01,Red Cross\r
            v-3,"Chen ""Xiao"" Hong",13800000003,,sx,37.80,112.60,zh,first-aid:2,12,8h,,first-aid,2025-05-01,2030-05-01,Red Cross\r

            """, "good.csv", in: daemon)
        let imported = try reliefctl(socket + ["import", "volunteers", good])
        XCTAssertEqual(imported.status, 0, imported.err)
        XCTAssertTrue(imported.out.hasPrefix("OK imported=6"), imported.out)
        let found = try rows(client, "volunteer find skill=first-aid near=37.87,112.55 radius=50km")
        XCTAssertEqual(Set(found.compactMap { $0["volunteer"] }), ["v-1", "v-2", "v-3"], "\(found)")
        XCTAssertEqual(found.first?["volunteer"], "v-1", "nearest first")
        XCTAssertFalse(found.contains { $0.values.contains("13800000001") }, "personal data masked in listings")

        // Roles: over TCP a viewer (logged in), on the Unix socket as the daemon's own uid an admin.
        let tcp = try tcpClient(port: port, as: "vera", role: "viewer", admin: client)
        XCTAssertEqual(try info(tcp)["your_role"], "viewer")
        XCTAssertEqual(try info(tcp)["your_user"], "vera")
        try refused(tcp, "volunteer show v-1 personal", "DENIED")
        XCTAssertFalse(try tcp.request("volunteer show v-1").text.contains("13800000001"))
        XCTAssertEqual(try info(client)["your_role"], "admin")
        let shown = try client.request("volunteer show v-1 personal")
        XCTAssertEqual(shown.okFields?["phone"], "13800000001", shown.text)
        XCTAssertEqual(shown.okFields?["name"], "Wang, Li", shown.text)

        // Export: personal data for the coordinator, DENIED over TCP.
        let exported = daemon.directory + "/out.csv"
        let export = try reliefctl(socket + ["export", "volunteers", exported, "--personal"])
        XCTAssertEqual(export.status, 0, export.err)
        let csv = try String(contentsOfFile: exported, encoding: .utf8)
        XCTAssertTrue(csv.contains("13800000001"), csv)
        XCTAssertTrue(csv.contains("\"Chen \"\"Xiao\"\" Hong\""), csv)
        let lines = csv.split(separator: "\r\n")
        XCTAssertEqual(lines.count, 5, "header, HXL hashtag row, 3 volunteers: \(csv)")
        XCTAssertTrue(lines.count > 1 && lines[1].hasPrefix("#contact+id,#contact+name,#contact+phone,#contact+id_number,"), csv)
        // The export imports into another store: its hashtags find the columns, last_drill and the
        // other live-state columns are skipped.
        let other = try startDaemon(catalogFlags)
        let otherClient = try other.connect()
        try ok(otherClient, "region add sx name=Shanxi")
        let reimported = try reliefctl(["--socket", other.socketPath, "import", "volunteers", exported])
        XCTAssertEqual(reimported.status, 0, reimported.err)
        XCTAssertTrue(reimported.err.contains("last_drill"), reimported.err)
        XCTAssertEqual(try otherClient.request("volunteer show v-3 personal").okFields?["name"], "Chen \"Xiao\" Hong")
        XCTAssertEqual(try rows(otherClient, "volunteer list").count, 3)
        otherClient.close()
        var exportedInfo = stat()
        XCTAssertEqual(stat(exported, &exportedInfo), 0)
        XCTAssertEqual(exportedInfo.st_mode & 0o777, 0o600, "an export with personal data is readable by its owner only")
        // A symlink planted at the export path is refused; its target is not written.
        let planted = daemon.directory + "/planted.csv", target = daemon.directory + "/target.txt"
        try "untouched\n".write(toFile: target, atomically: false, encoding: .utf8)
        XCTAssertEqual(symlink(target, planted), 0)
        let throughLink = try reliefctl(socket + ["export", "volunteers", planted, "--personal"])
        XCTAssertEqual(throughLink.status, 2, throughLink.err)
        XCTAssertTrue(throughLink.err.contains("\(planted) is a symbolic link; refusing to write through it"), throughLink.err)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "untouched\n")
        let veraToken = try ok(client, "token create vera cli").okFields?["token"] ?? ""
        let denied = try reliefctl(["--tcp", "127.0.0.1:\(port)", "export", "volunteers", "--personal"],
                                   environment: ["RELIEFD_USER": "vera", "RELIEFD_TOKEN": veraToken])
        XCTAssertEqual(denied.status, 1)
        XCTAssertTrue(denied.err.hasPrefix("ERR DENIED"), denied.err)

        let before = ["volunteer show v-1 personal", "volunteer show v-3 personal", "volunteer list"].map { try? client.request($0).text }
        client.close()
        try daemon.stop()
        try daemon.start()
        client = try daemon.connect()
        let after = ["volunteer show v-1 personal", "volunteer show v-3 personal", "volunteer list"].map { try? client.request($0).text }
        XCTAssertEqual(after, before, "a restart keeps the import")
    }

    func testTeamsImportAndACSVErrorAbortsTheImport() throws {
        let daemon = try startDaemon(catalogFlags)
        let client = try daemon.connect()
        _ = try settledInfo(client) // the catalog's snapshot sealed before the test counts entries
        try ok(client, "region add sx name=Shanxi")
        let socket = ["--socket", daemon.socketPath]
        let volunteers = try write(Self.header + """
            v-1,Wang Li,13800000001,,sx,37.87,112.55,zh,first-aid:3,12,8h,,first-aid,2025-01-01,2030-01-01,Red Cross
            v-2,Zhao Min,13800000002,,sx,37.70,112.70,zh,first-aid:2,10,8h,,first-aid,2025-03-01,2030-03-01,Red Cross

            """, "v.csv", in: daemon)
        XCTAssertEqual(try reliefctl(socket + ["import", "volunteers", volunteers]).status, 0)

        let specialty = "search-rescue"
        let teams = try write("""
            id,name,specialty,region,lat,lon,leader,members
            t-1,"Taiyuan SAR, team 1",\(specialty),sx,37.87,112.55,v-1,v-1;v-2

            """, "t.csv", in: daemon)
        let imported = try reliefctl(socket + ["import", "teams", teams])
        XCTAssertEqual(imported.status, 0, imported.err)
        let team = try client.request("team show t-1")
        XCTAssertTrue(team.text.contains("v-2"), team.text)

        // A CSV problem is reported with its line and the import is aborted: nothing changes.
        let seq = try info(client)["seq"]
        let broken = try write("id,name,specialty,region,lat,lon,leader,members\nt-2,Two,x,sx,1,2,,\nt-3,\"Three,x,sx,1,2,,\n", "b.csv", in: daemon)
        let result = try reliefctl(socket + ["import", "teams", broken])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.err.contains("line 3: unbalanced quote"), result.err)
        let columns = try write("id,name,colour\nt-2,Two,red\n", "c.csv", in: daemon)
        let usage = try reliefctl(socket + ["import", "teams", columns])
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.err.contains("unknown column \"colour\""), usage.err)
        XCTAssertEqual(try info(client)["seq"], seq)
    }

    /// The protocol itself: rows that do not parse are reported with their line= too; commit and
    /// abort need an open import; max_import_rows aborts the import with ERR LIMIT.
    func testImportProtocol() throws {
        let daemon = try startDaemon(catalogFlags + ["--max-import-rows", "3", "--max-line", "2048"])
        let client = try daemon.connect()
        try ok(client, "region add sx name=Shanxi")
        try refused(client, "import commit", "CONFLICT")
        try refused(client, "import begin widgets", "SYNTAX")
        XCTAssertEqual(try client.request("import begin volunteers").okFields?["import"], "volunteers")
        try client.send(lines: [
            "volunteer add v-1 name=A region=sx at=37.8,112.5 line=10",
            "volunteer add \"v-2 name=B line=11",
            "region add nope name=Nope line=12",
        ])
        let reply = try client.request("import commit")
        XCTAssertEqual(reply.errorCode, "SYNTAX", reply.text)
        XCTAssertTrue(reply.text.contains("2 bad rows of 3: line 11: SYNTAX"), reply.text)
        XCTAssertTrue(reply.text.contains("; line 12: expected one of: volunteer add, volunteer certify"), reply.text)
        XCTAssertEqual(try rows(client, "volunteer list").count, 0)

        // Past max_import_rows (3): the rest is dropped unread, not run as ordinary requests.
        try ok(client, "import begin volunteers")
        try client.send(lines: (1...5).map { "volunteer add v-\($0) name=A region=sx at=37.8,112.5" })
        try refused(client, "import commit", "LIMIT")
        XCTAssertEqual(try rows(client, "volunteer list").count, 0)

        try ok(client, "import begin volunteers")
        try client.send(lines: ["volunteer add v-1 name=A region=sx at=37.8,112.5"])
        XCTAssertEqual(try client.request("import abort").okFields?["aborted"], "1")
        XCTAssertEqual(try rows(client, "volunteer list").count, 0)
        try ok(client, "import begin volunteers")
        try client.send(lines: ["volunteer add v-1 name=A region=sx at=37.8,112.5"])
        XCTAssertEqual(try client.request("import commit").okFields?["imported"], "1")
        XCTAssertEqual(try rows(client, "volunteer list").count, 1)

        // A row longer than max_line cannot be left out of an all-or-nothing import: the import
        // dies, the row gets no reply of its own, and the commit says why.
        try ok(client, "import begin volunteers")
        try client.send(lines: ["volunteer add v-7 name=A region=sx at=37.8,112.5",
                                "volunteer add v-8 name=\"\(String(repeating: "x", count: 3_000))\" region=sx at=37.8,112.5",
                                "volunteer add v-9 name=C region=sx at=37.8,112.5"])
        let overlong = try client.request("import commit")
        XCTAssertEqual(overlong.errorCode, "LIMIT", overlong.text)
        XCTAssertTrue(overlong.text.contains("import aborted: a row of "), overlong.text)
        XCTAssertTrue(overlong.text.contains("exceeds max_line 2048; nothing was imported"), overlong.text)
        XCTAssertEqual(try rows(client, "volunteer list").count, 1)

        // A refused begin with its rows pipelined behind it: the rows never run one by one.
        try client.send(lines: ["import begin widgets", "volunteer add v-9 name=A region=sx at=37.8,112.5", "import commit"])
        let begin = try client.reply(timeout: 10)
        XCTAssertEqual(begin.errorCode, "SYNTAX", begin.text)
        XCTAssertTrue(begin.text.contains("the rows that follow are discarded until import commit or import abort"), begin.text)
        let commit = try client.reply(timeout: 10)
        XCTAssertEqual(commit.errorCode, "SYNTAX", commit.text)
        XCTAssertTrue(commit.text.contains("its 1 rows were discarded; nothing was imported"), commit.text)
        XCTAssertEqual(try rows(client, "volunteer list").count, 1)
    }
}
