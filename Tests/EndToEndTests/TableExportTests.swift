import Foundation
import ReliefProtocol
import XCTest

/// `reliefctl export KIND` and `reliefctl import stock` against real daemons: every export has its
/// header, its HXL hashtag row and the listing's rows; formula cells are made text and negative
/// numbers kept; exported stock and lots import into a fresh daemon as the same stock, all or
/// nothing, and survive a restart.
final class TableExportTests: EndToEndTestCase {
    private var catalogFlags: [String] { ["--catalog-file", Daemon.packageDirectory + "/config/catalog/skills.commands"] }

    /// A fresh daemon with the catalog only: region sx, warehouses wh-a and wh-b, water and tents.
    private func catalogDaemon() throws -> (Daemon, Client) {
        let daemon = try startDaemon(catalogFlags)
        let client = try daemon.connect()
        try addCatalog(client)
        try ok(client, "item add tent name=Tent category=shelter unit=tent")
        return (daemon, client)
    }

    /// The records of a CSV file written by reliefctl.
    private func records(_ path: String) throws -> [[String]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\r\n"), "CRLF records")
        return try CSVText.records(text)
    }

    /// Only the columns named, of each row.
    private func project(_ rows: [[String: String]], _ columns: [String]) -> [[String]] {
        rows.map { row in columns.map { row[$0] ?? "" } }
    }

    func testEveryKindExportsWithHashtagsAndStockImportsBackIntoAFreshDaemon() throws {
        let (daemon, client) = try catalogDaemon()
        for line in [
            #"stock receive wh-a water 100 lot=W-1 expires=2099-06-30 donor="=HYPERLINK(1)""#,
            "stock receive wh-b water 40 lot=W-2 expires=2099-01-31 supplier=Wahaha",
            "stock receive wh-b water 10 lot=W-1",
            "stock receive wh-a tent 12 lot=T-1",
            "stock min wh-a water 20",
            #"volunteer add v1 name="@Wang Wei" region=sx at=-33.86,151.2 skills=first-aid:3"#,
            "volunteer certify v1 first-aid issued=2026-01-01 expires=2030-12-31 issuer=RC",
            #"incident open flood title="=cmd flood" kind=flood at=37.86,113.58 region=sx severity=3 affected=200"#,
            "need add flood supply water 30 priority=1 ref=water-east",
            "need add flood volunteers first-aid 1 hours=8 ref=medic",
            "allocation reserve water-east wh-a W-1 30",
            "assignment add medic v1",
        ] { try ok(client, line) }
        let socket = ["--socket", daemon.socketPath]
        let listings: [(kind: String, listing: String, hashtags: [String: String])] = [
            ("volunteers", "volunteer export", ["id": "#contact+id", "lat": "#geo+lat", "last_drill": "#date+last_drill"]),
            ("stock", "stock query", ["warehouse": "#loc+code+warehouse", "item": "#item+code", "on_hand": "#indicator+num+on_hand", "min": "#indicator+num+min"]),
            ("lots", "stock lots", ["lot": "#item+code+lot", "expires": "#date+expires", "party": "#org+name"]),
            ("incidents", "incident list", ["incident": "#event+id", "at": "#geo+coord", "severity": "#severity"]),
            ("needs", "need list", ["need": "#meta+id+need", "amount": "#indicator+num+amount", "by": "#date+due"]),
            ("allocations", "allocation list", ["allocation": "#meta+id+allocation", "quantity": "#indicator+num+quantity"]),
            ("assignments", "assignment list", ["assignment": "#meta+id+assignment", "volunteer": "#contact+id"]),
        ]
        var files: [String: [[String]]] = [:]
        for (kind, listing, hashtags) in listings {
            let path = daemon.directory + "/\(kind).csv"
            let result = try reliefctl(socket + ["export", kind, path])
            XCTAssertEqual(result.status, 0, "\(kind): \(result.err)")
            let expected = try rows(client, listing)
            XCTAssertFalse(expected.isEmpty, kind)
            let written = try records(path)
            XCTAssertEqual(written.count, 2 + expected.count, "\(kind): header, hashtag row, a record per row")
            let header = written.first ?? []
            XCTAssertEqual(header.count, Set(header).count, kind)
            XCTAssertEqual(Set(header), Set(expected.flatMap(\.keys)), "\(kind): a column per field")
            for (name, tag) in hashtags {
                guard let index = header.firstIndex(of: name) else { XCTFail("\(kind): no \(name) column in \(header)"); continue }
                XCTAssertEqual(written[1][index], tag, "\(kind).\(name)")
            }
            XCTAssertTrue(written[1].allSatisfy { $0.isEmpty || $0.hasPrefix("#") }, "\(kind): \(written[1])")
            files[kind] = written
        }
        // Formula cells are text; negative numbers in numeric columns stay numbers.
        let lots = try String(contentsOfFile: daemon.directory + "/lots.csv", encoding: .utf8)
        XCTAssertTrue(lots.contains(",'=HYPERLINK(1)"), lots)
        let volunteers = try XCTUnwrap(files["volunteers"])
        let column = { (name: String) in volunteers[0].firstIndex(of: name) ?? 0 }
        XCTAssertEqual(volunteers[2][column("lat")], "-33.86", "a latitude is kept a number")
        XCTAssertEqual(volunteers[2][column("name")], "'@Wang Wei")
        let incidents = try XCTUnwrap(files["incidents"])
        XCTAssertEqual(incidents[2][incidents[0].firstIndex(of: "title") ?? 0], "'=cmd flood")
        let assignments = try XCTUnwrap(files["assignments"])
        XCTAssertEqual(assignments[2][assignments[0].firstIndex(of: "name") ?? 0], "'@Wang Wei")

        // A filter and a flag reach the listing; a cut export says so and fails.
        let open = try reliefctl(socket + ["export", "needs", daemon.directory + "/open.csv", "open", "incident=flood"])
        XCTAssertEqual(open.status, 0, open.err)
        let cut = try reliefctl(socket + ["export", "lots", daemon.directory + "/cut.csv", "limit=1"])
        XCTAssertEqual(cut.status, 1, cut.err)
        XCTAssertTrue(cut.err.contains("cut at 1 rows"), cut.err)
        let personal = try reliefctl(socket + ["export", "stock", "--personal"])
        XCTAssertEqual(personal.status, 2, personal.err)
        let unknown = try reliefctl(socket + ["export", "widgets"])
        XCTAssertEqual(unknown.status, 2, unknown.err)

        // The lots import into a fresh daemon as the same lots: quote taken off, reservations not.
        let lotColumns = ["warehouse", "lot", "item", "on_hand", "unit", "expires", "source", "party"]
        let lotsBefore = project(try rows(client, "stock lots"), lotColumns)
        XCTAssertTrue(lotsBefore.contains(["wh-a", "W-1", "water", "100", "bottle", "2099-06-30", "donation", "=HYPERLINK(1)"]), "\(lotsBefore)")
        var (fresh, freshClient) = try catalogDaemon()
        let imported = try reliefctl(["--socket", fresh.socketPath, "import", "stock", daemon.directory + "/lots.csv"])
        XCTAssertEqual(imported.status, 0, imported.err)
        XCTAssertTrue(imported.out.hasPrefix("OK imported=4 "), imported.out)
        XCTAssertTrue(imported.err.contains("skipping live-state columns reserved, days_left"), imported.err)
        XCTAssertEqual(project(try rows(freshClient, "stock lots"), lotColumns), lotsBefore)
        let lotsAfter = try freshClient.request("stock lots").text
        freshClient.close()
        try fresh.stop()
        try fresh.start()
        freshClient = try fresh.connect()
        XCTAssertEqual(try freshClient.request("stock lots").text, lotsAfter, "a restart keeps the import")

        // The stock query's file: the same stock per warehouse and item, and its minimum.
        let stockColumns = ["warehouse", "item", "on_hand", "unit", "min"]
        let (other, otherClient) = try catalogDaemon()
        let stockImport = try reliefctl(["--socket", other.socketPath, "import", "stock", daemon.directory + "/stock.csv"])
        XCTAssertEqual(stockImport.status, 0, stockImport.err)
        XCTAssertEqual(project(try rows(otherClient, "stock query"), stockColumns), project(try rows(client, "stock query"), stockColumns))
    }

    func testAStockFileWithBadRowsReportsEveryOneByLineAndImportsNothing() throws {
        let (daemon, client) = try catalogDaemon()
        try ok(client, "stock receive wh-a water 5 lot=OLD")
        let socket = ["--socket", daemon.socketPath]
        // Chinese headers, the hashtag row says which column is which.
        // Lines: 1 header, 2 hashtags, 3 good, 4 unknown warehouse, 5 good, 6 wrong unit, 7 bad quantity, 8 good.
        let header = "物品,仓库,数量,单位,批号\r\n#item+code,#loc+code+warehouse,#indicator+num+on_hand,#item+unit,#item+code+lot\r\n"
        let bad = try write(header + """
            water,wh-a,100,bottle,L-1\r
            water,wh-z,10,bottle,L-2\r
            tent,wh-b,12,tent,T-1\r
            water,wh-b,10,carton,L-3\r
            tent,wh-a,-4,tent,T-2\r
            tent,wh-a,3,,\r

            """, "bad.csv", in: daemon)
        let before = try observable(client)
        let rejected = try reliefctl(socket + ["import", "stock", bad])
        XCTAssertEqual(rejected.status, 1, rejected.err)
        let reported = rejected.err.split(separator: "\n").map(String.init)
        XCTAssertTrue(reported.first?.hasPrefix("ERR SYNTAX import refused, nothing imported: 3 bad rows of 6") ?? false, rejected.err)
        let badLines = reported.filter { $0.hasPrefix("line ") }
        XCTAssertEqual(badLines.count, 3, rejected.err)
        XCTAssertTrue(badLines.contains { $0.hasPrefix("line 4: NOTFOUND") && $0.contains("wh-z") }, rejected.err)
        XCTAssertTrue(badLines.contains { $0.hasPrefix("line 6: CONFLICT water is counted in bottle, not carton") }, rejected.err)
        XCTAssertTrue(badLines.contains { $0.hasPrefix("line 7: SYNTAX bad quantity \"-4\"") }, rejected.err)
        XCTAssertEqual(try observable(client), before, "nothing imported")

        // A CSV problem (an empty quantity) stops it before anything is sent, naming its line.
        let empty = try write(header + "water,wh-a,,bottle,L-1\r\n", "empty.csv", in: daemon)
        let aborted = try reliefctl(socket + ["import", "stock", empty])
        XCTAssertEqual(aborted.status, 1, aborted.err)
        XCTAssertTrue(aborted.err.contains("line 3: empty quantity (on_hand)"), aborted.err)
        XCTAssertEqual(try observable(client), before)

        let good = try write(header + "water,wh-a,100,bottle,L-1\r\ntent,wh-b,12,tent,T-1\r\n", "good.csv", in: daemon)
        let imported = try reliefctl(socket + ["import", "stock", good])
        XCTAssertEqual(imported.status, 0, imported.err)
        XCTAssertTrue(imported.out.hasPrefix("OK imported=2 entries=2"), imported.out)
        XCTAssertEqual(Set(project(try rows(client, "stock query"), ["warehouse", "item", "on_hand"])),
                       [["wh-a", "water", "105"], ["wh-b", "tent", "12"]])
    }
}

/// A small RFC 4180 reader for the tests (the one under test is reliefctl's).
enum CSVText {
    static func records(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var scalars = Array(text.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            if quoted {
                if scalar == "\"" {
                    if scalars.first == "\"" { field.unicodeScalars.append("\""); scalars = scalars.dropFirst() } else { quoted = false }
                } else {
                    field.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" {
                quoted = true
            } else if scalar == "," {
                record.append(field); field = ""
            } else if scalar == "\r" && scalars.first == "\n" {
                scalars = scalars.dropFirst()
                record.append(field); field = ""
                records.append(record); record = []
            } else {
                field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}
