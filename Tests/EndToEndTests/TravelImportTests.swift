import Foundation
import ReliefProtocol
import XCTest

/// `reliefctl import travel FILE.csv` against a real daemon: a file with a bad row imports
/// nothing, a good one imports every entry, the matcher follows it, and a restart keeps it.
final class TravelImportTests: EndToEndTestCase {
    func testATravelFileWithABadRowImportsNothingAndAGoodOneChangesTheMatch() throws {
        let daemon = try startDaemon()
        var client = try daemon.connect()
        for line in [
            "region add shanxi name=Shanxi level=province",
            "region add shanxi/lvliang name=Lvliang",
            "region add shanxi/lvliang/fangshan name=Fangshan",
            "region add shanxi/lvliang/lishi name=Lishi",
            "region add shanxi/lvliang/jiaocheng name=Jiaocheng",
            #"warehouse add ls-01 name="Lishi depot" region=shanxi/lvliang/lishi at=37.50,111.50"#,
            #"warehouse add jc-01 name="Jiaocheng depot" region=shanxi/lvliang/jiaocheng at=37.50,111.80"#,
            #"item add water-5l name="Water 5 L" category=water unit=bottle"#,
            "stock receive ls-01 water-5l 100 lot=W-LS expires=2099-06-30 supplier=Wahaha",
            "stock receive jc-01 water-5l 100 lot=W-JC expires=2099-06-30 supplier=Wahaha",
            #"incident open slide title="Fangshan landslide" kind=landslide at=37.50,111.20 region=shanxi/lvliang/fangshan severity=3"#,
            "need add slide supply water-5l 50 priority=1",
        ] { try ok(client, line) }
        let socket = ["--socket", daemon.socketPath]
        func matched() throws -> [String] { try rows(client, "match slide").compactMap { $0["warehouse"] } }
        XCTAssertEqual(try matched(), ["ls-01"], "as the crow flies")

        // Lines: 1 header, 2 hashtags, 3 good, 4 minutes out of range, 5 unknown place, 6 good.
        let header = "from,to,minutes,both\r\n#loc+from,#loc+to,#indicator+minutes,\r\n"
        let bad = try write(header + """
            ls-01,shanxi/lvliang/fangshan,180,yes\r
            jc-01,shanxi/lvliang/fangshan,20000,\r
            shanxi/lvliang/nowhere,shanxi/lvliang/fangshan,45,\r
            jc-01,shanxi/lvliang/fangshan,60,yes\r

            """, "bad.csv", in: daemon)
        let seqBefore = try info(client)["seq"]
        let rejected = try reliefctl(socket + ["import", "travel", bad])
        XCTAssertEqual(rejected.status, 1, rejected.err)
        XCTAssertTrue(rejected.err.hasPrefix("ERR SYNTAX import refused, nothing imported: 2 bad rows of 4"), rejected.err)
        XCTAssertTrue(rejected.err.contains("line 4: SYNTAX bad MINUTES \"20000\""), rejected.err)
        XCTAssertTrue(rejected.err.contains("line 5: NOTFOUND unknown place \"shanxi/lvliang/nowhere\" for FROM"), rejected.err)
        XCTAssertEqual(try rows(client, "travel list").count, 0, "nothing imported")
        XCTAssertEqual(try info(client)["seq"], seqBefore)
        XCTAssertEqual(try matched(), ["ls-01"]) // records a plan: the journal moves on

        // A CSV problem (a bad both) aborts before anything is committed, too.
        let seqBeforeCSV = try info(client)["seq"]
        let broken = try write(header + "ls-01,shanxi/lvliang/fangshan,180,perhaps\r\n", "broken.csv", in: daemon)
        let aborted = try reliefctl(socket + ["import", "travel", broken])
        XCTAssertEqual(aborted.status, 1, aborted.err)
        XCTAssertTrue(aborted.err.contains("line 3: bad both \"perhaps\""), aborted.err)
        XCTAssertEqual(try info(client)["seq"], seqBeforeCSV)

        let good = try write(header + """
            ls-01,shanxi/lvliang/fangshan,180,yes\r
            jc-01,shanxi/lvliang/fangshan,60,yes\r

            """, "good.csv", in: daemon)
        let imported = try reliefctl(socket + ["import", "travel", good])
        XCTAssertEqual(imported.status, 0, imported.err)
        XCTAssertTrue(imported.out.hasPrefix("OK imported=2 entries=4"), imported.out)
        XCTAssertEqual(try rows(client, "travel list").count, 4)
        XCTAssertEqual(try matched(), ["jc-01"], "by road")
        XCTAssertEqual(try client.request("travel show ls-01 slide").okFields?["minutes"], "180")

        let before = try client.request("travel list").text
        client.close()
        try daemon.stop()
        try daemon.start()
        client = try daemon.connect()
        XCTAssertEqual(try client.request("travel list").text, before, "a restart keeps the matrix")
        XCTAssertEqual(try matched(), ["jc-01"])
    }
}
