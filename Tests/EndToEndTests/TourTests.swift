import Foundation
import ReliefProtocol
import XCTest

/// The five-minute tour against a real daemon, and that a clean restart keeps all of it.
final class TourTests: EndToEndTestCase {
    func testTourSurvivesCleanRestart() throws {
        let daemon = try startDaemon()
        var client = try daemon.connect()
        try addCatalog(client)
        try ok(client, "item add blanket name=Blanket category=shelter unit=piece shelf_life=3650d")

        XCTAssertEqual(try client.request("stock receive wh-a water 4000 lot=D-114 expires=2027-06-30 donor=\"Yangquan Steel\"").okFields?["lot"], "D-114")
        XCTAssertEqual(try client.request("stock receive wh-a water 500 lot=D-115 expires=2027-01-31 supplier=Acme").okFields?["lot"], "D-115")
        XCTAssertEqual(try client.request("stock receive wh-b blanket 300 lot=B-1").okFields?["lot"], "B-1")

        // 700 first-expiring first: all 500 of D-115, then 200 of D-114.
        let transfer = try client.request("stock transfer wh-a wh-b water 700")
        XCTAssertEqual(transfer.okFields?["transferred"], "700", transfer.text)
        XCTAssertEqual(transfer.okFields?["lots"], "D-115:500,D-114:200", transfer.text)
        try ok(client, "stock issue wh-b blanket 40 to=\"Shelter 3\"")

        let stock = try rows(client, "stock query")
        func onHand(_ rows: [[String: String]], _ warehouse: String, _ item: String) -> String? {
            rows.first { $0["warehouse"] == warehouse && $0["item"] == item }?["on_hand"]
        }
        XCTAssertEqual(onHand(stock, "wh-a", "water"), "3800")
        XCTAssertEqual(onHand(stock, "wh-b", "water"), "700")
        XCTAssertEqual(onHand(stock, "wh-b", "blanket"), "260")
        XCTAssertEqual(stock.count, 3)

        let queries = ["stock query", "stock lots", "stock query item=water", "stock lots warehouse=wh-b",
                       "stock history lot=D-114", "stock history warehouse=wh-b", "warehouse list", "item list",
                       "region list", "warehouse show wh-a"]
        var before: [String] = []
        for query in queries { before.append(try client.request(query).text) }
        let seqBefore = try info(client)["seq"]
        XCTAssertEqual(seqBefore, try info(client)["committed_seq"], "every acknowledged write is committed")

        client.close()
        try daemon.stop()
        try daemon.start()
        client = try daemon.connect()

        for (query, old) in zip(queries, before) {
            XCTAssertEqual(try client.request(query).text, old, "\(query) differs after restart")
        }
        // The clean stop stored a snapshot of the state at seqBefore and journaled its seal: the only entry added.
        let fields = try settledInfo(client)
        XCTAssertEqual(fields["snapshot_seq"], seqBefore)
        XCTAssertEqual(fields["seq"], String(Int(seqBefore ?? "")! + 1))
        XCTAssertEqual(fields["committed_seq"], fields["seq"])
        XCTAssertEqual(fields["store_status"], "ok")

        // And it still takes writes on the reloaded state.
        try ok(client, "stock transfer wh-b wh-a water 100 lot=D-114")
        XCTAssertEqual(onHand(try rows(client, "stock query item=water"), "wh-a", "water"), "3900")
    }
}
