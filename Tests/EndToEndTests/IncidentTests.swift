import Foundation
import ReliefProtocol
import XCTest

/// An incident over the socket: open it, add needs, estimate more from the planning standards,
/// reserve stock by hand, dispatch and deliver it, send a volunteer, look at the whole picture —
/// then kill -9 and restart, and everything reads the same.
final class IncidentTests: EndToEndTestCase {
    func testIncidentLifecycleSurvivesKillNine() throws {
        let config = Daemon.packageDirectory + "/config"
        let daemon = try startDaemon(["--planning-file", config + "/planning/sphere.standards",
                                      "--catalog-file", config + "/catalog/skills.commands"])
        var client = try daemon.connect()
        try addCatalog(client)
        for line in ["item add water-5l name=\"Water 5 L\" category=water unit=bottle pack=4 shelf_life=365d",
                     "item add food-ration name=Ration category=food unit=ration pack=24",
                     "item add tent-12 name=Tent category=shelter unit=tent",
                     "item add latrine-slab name=Slab category=sanitation unit=slab pack=10",
                     "stock receive wh-a water-5l 8000 lot=W1 expires=2027-06-30 donor=\"Yangquan Steel\"",
                     "stock receive wh-b water-5l 2000 lot=W2 expires=2027-03-31 supplier=Wahaha",
                     "stock receive wh-a tent-12 300 lot=T1",
                     "volunteer add v1 name=\"Wang Wei\" region=sx at=37.87,112.55 skills=first-aid:3",
                     "volunteer certify v1 first-aid issued=2026-01-01 expires=2030-12-31 issuer=RC"] {
            try ok(client, line)
        }

        let opened = try client.request("incident open flood title=\"Yangquan flash flood\" kind=flood at=37.86,113.58 region=sx severity=4 affected=1000")
        XCTAssertEqual(opened.okFields?["incident"], "flood", opened.text)
        XCTAssertEqual(try client.request("need add flood volunteers first-aid 1 hours=8 priority=1").okFields?["need"], "N-000001")
        XCTAssertEqual(try client.request("need add flood supply tent-12 100 priority=2").okFields?["need"], "N-000002")

        // The estimate proposes what the Sphere minimums ask beyond the tents already needed, water
        // and food a need a day.
        let estimate = try rows(client, "need estimate flood days=2")
        XCTAssertEqual(estimate.map { $0["standard"] ?? "" }, ["water", "water", "food", "food", "shelter", "latrine"])
        XCTAssertEqual(estimate.map { $0["day"] ?? "" }, ["1/2", "2/2", "1/2", "2/2", "", ""])
        XCTAssertEqual(estimate[0]["propose"], "3000", "15 L × 1000 a day = 15000 L = 3000 bottles")
        XCTAssertEqual(estimate[4]["propose"], "192", "3.5 m² × 1000 = 3500 m² = 292 tents, 100 already needed")
        XCTAssertEqual(estimate[5]["propose"], "20", "20 latrines, a whole pack of 10 twice")
        let accepted = try client.request("need estimate flood days=2 accept")
        XCTAssertEqual(accepted.okFields?["added"], "6", accepted.text)
        XCTAssertEqual(accepted.okFields?["series"], "N-000003:water-5l:1-2,N-000005:food-ration:1-2", accepted.text)

        // By hand: water from both depots, one truck on its way and one arrived; tents reserved.
        XCTAssertEqual(try client.request("allocation reserve N-000003 wh-a W1 3000").okFields?["allocation"], "AL-000001")
        XCTAssertEqual(try client.request("allocation reserve N-000004 wh-b W2 1500").okFields?["allocation"], "AL-000002")
        try ok(client, "allocation reserve N-000002 wh-a T1 100")
        try refused(client, "allocation reserve N-000003 wh-b W2 100", "CONFLICT")
        try refused(client, "stock issue wh-b water-5l 600", "INSUFFICIENT")
        try ok(client, "allocation dispatch AL-000001 note=\"truck 7\"")
        try ok(client, "allocation dispatch AL-000002")
        try ok(client, "allocation deliver AL-000002")
        try ok(client, "assignment add N-000001 v1")
        try ok(client, "assignment onscene AS-000001")
        try refused(client, "incident status flood closed", "CONFLICT")

        let show = try rows(client, "incident show flood")
        XCTAssertEqual(show.first?["record"], "incident")
        let firstDay = try XCTUnwrap(show.first { $0["record"] == "need" && $0["id"] == "N-000003" })
        XCTAssertEqual([firstDay["day"], firstDay["amount"], firstDay["met"], firstDay["in_transit"], firstDay["delivered"], firstDay["missing"]],
                       ["1/2", "3000", "3000", "3000", "0", "0"])
        let secondDay = try XCTUnwrap(show.first { $0["record"] == "need" && $0["id"] == "N-000004" })
        XCTAssertEqual([secondDay["series"], secondDay["amount"], secondDay["met"], secondDay["in_transit"], secondDay["delivered"], secondDay["missing"]],
                       ["N-000003", "3000", "1500", "0", "1500", "1500"])
        let stock = try rows(client, "stock query item=water-5l")
        XCTAssertEqual(stock.first { $0["warehouse"] == "wh-a" }?["on_hand"], "5000")
        XCTAssertEqual(stock.first { $0["warehouse"] == "wh-b" }?["available"], "500")
        let tents = try rows(client, "stock query item=tent-12")
        XCTAssertEqual([tents.first?["on_hand"], tents.first?["reserved"], tents.first?["available"]], ["300", "100", "200"])

        let queries = ["incident show flood", "incident list", "incident timeline flood", "need list", "need list open",
                       "allocation list", "assignment list", "stock query", "stock lots", "stock history lot=W1", "assignment list volunteer=v1",
                       "need estimate flood days=2"]
        let before = try answers(client, queries)
        let fields = try info(client)
        XCTAssertEqual(fields["seq"], fields["committed_seq"])
        client = try expectSameAnswers(queries, as: before, after: .afterKill, of: daemon, closing: client)
        // The replayed tail went into a snapshot at start; its seal is the only entry added.
        let settled = try settledInfo(client)
        XCTAssertEqual(settled["snapshot_seq"], fields["seq"])
        XCTAssertEqual(settled["seq"], String(Int(fields["seq"] ?? "")! + 1))

        // And the lifecycle goes on after the restart.
        try ok(client, "allocation deliver AL-000001")
        try ok(client, "assignment release AS-000001")
        let cancel = try client.request("need cancel N-000002 reason=\"tents came from the county\"")
        XCTAssertEqual(cancel.okFields?["released_allocations"], "AL-000003", cancel.text)
        XCTAssertEqual(try rows(client, "stock query item=tent-12").first?["reserved"], "0")
    }

    func testABadPlanningFileStopsTheStartWithItsLine() throws {
        let daemon = try Daemon(flags: [])
        defer { daemon.cleanUp() }
        let file = daemon.directory + "/bad.standards"
        try "# standards\nwater amount=15 unit=L per=week item=water-5l content=5\n".write(toFile: file, atomically: true, encoding: .utf8)
        daemon.extraFlags = ["--planning-file", file]
        XCTAssertThrowsError(try daemon.start(timeout: 10))
        XCTAssertTrue(daemon.log.contains("planning standards not loaded: \(file):2: bad per \"week\""), daemon.log)
    }
}
