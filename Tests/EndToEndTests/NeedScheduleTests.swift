import Foundation
import ReliefProtocol
import XCTest

/// Schedules of daily needs and reaches over the socket: `need add … per_day= days=` and `need
/// estimate … days=N accept` make one need a day, `reach=` is set and cleared, a schedule's open
/// days are cancelled together; all of it is the same after kill -9 (journal replay, SQLite schema
/// version 6) and after a clean restart (the snapshot).
final class NeedScheduleTests: EndToEndTestCase {
    func testSchedulesAndReachesHoldAcrossRestarts() throws {
        let config = Daemon.packageDirectory + "/config"
        let daemon = try startDaemon(["--planning-file", config + "/planning/sphere.standards",
                                      "--catalog-file", config + "/catalog/skills.commands"])
        var client = try daemon.connect()
        try addCatalog(client)
        for line in ["item add water-5l name=\"Water 5 L\" category=water unit=bottle pack=4",
                     "item add food-ration name=Ration category=food unit=ration pack=24",
                     "item add tent-12 name=Tent category=shelter unit=tent",
                     "stock receive wh-a water-5l 8000 lot=W1 expires=2027-06-30",
                     "incident open flood title=\"Drill flood\" kind=flood at=37.86,113.58 region=sx severity=3 affected=200"] {
            try ok(client, line)
        }

        let added = try client.request("need add flood item=water-5l per_day=100 days=3 ref=w reach=city")
        XCTAssertEqual(added.okFields?["needs"], "N-000001,N-000002,N-000003", added.text)
        XCTAssertEqual(added.okFields?["refs"], "w-d1,w-d2,w-d3", added.text)
        let estimate = try client.request("need estimate flood days=2 accept ref=e")
        XCTAssertEqual(estimate.okFields?["refs"], "e-water-5l-d1,e-water-5l-d2,e-food-ration-d1,e-food-ration-d2,e-tent-12", estimate.text)
        try ok(client, "need change e-water-5l-d2 reach=province qty=700")
        try ok(client, "need change w-d1 reach=default")
        try ok(client, "allocation reserve w-d2 wh-a W1 100")
        let cancelled = try client.request("need cancel w-d2 series=rest")
        XCTAssertEqual(cancelled.okFields?["cancelled"], "N-000002,N-000003", cancelled.text)
        XCTAssertEqual(cancelled.okFields?["released_allocations"], "AL-000001", cancelled.text)
        try refused(client, "need add flood item=water-5l per_day=5 days=40", "SYNTAX")
        try refused(client, "need change w-d1 reach=planet", "SYNTAX")

        let needs = try rows(client, "need list incident=flood")
        // Most urgent first, a schedule as one block: the estimate's water (priority 1), its food and
        // tent (2), then w (3).
        XCTAssertEqual(needs.map { $0["need"] ?? "-" }, ["N-000004", "N-000005", "N-000006", "N-000007", "N-000008", "N-000001", "N-000002", "N-000003"])
        XCTAssertEqual(needs.map { $0["day"] ?? "-" }, ["1/2", "2/2", "1/2", "2/2", "", "1/3", "2/3", "3/3"], "\(needs)")
        XCTAssertEqual(needs.map { $0["reach"] ?? "-" }, ["", "province", "", "", "", "", "city", "city"], "\(needs)")
        XCTAssertEqual(needs.map { $0["status"] ?? "-" }, ["open", "open", "open", "open", "open", "open", "cancelled", "cancelled"])

        let queries = ["need list", "incident show flood", "allocation list", "incident timeline flood"]
        let before = try answers(client, queries)
        client = try expectSameAnswers(queries, as: before, after: .afterKill, of: daemon, closing: client)
        _ = try settledInfo(client)
        client = try expectSameAnswers(queries, as: before, after: .afterRestart, of: daemon, closing: client)
        XCTAssertEqual(try client.request("need cancel e-food-ration-d1 series=all").okFields?["cancelled"], "N-000006,N-000007")
        client.close()
    }
}
