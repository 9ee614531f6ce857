import Foundation
import ReliefProtocol
import XCTest

/// A drill script over the socket names the needs it creates (`ref=`) and drives them by those
/// names alone, never reading back the ids the daemon gave; the names hold after kill -9 (journal
/// replay) and after a clean restart (the snapshot).
final class NeedRefTests: EndToEndTestCase {
    func testAScriptDrivesNeedsByTheNamesItChose() throws {
        let config = Daemon.packageDirectory + "/config"
        let daemon = try startDaemon(["--planning-file", config + "/planning/sphere.standards",
                                      "--catalog-file", config + "/catalog/skills.commands"])
        var client = try daemon.connect()
        try addCatalog(client)
        for line in ["item add water-5l name=\"Water 5 L\" category=water unit=bottle pack=4",
                     "item add food-ration name=Ration category=food unit=ration pack=24",
                     "item add tent-12 name=Tent category=shelter unit=tent",
                     "stock receive wh-a water-5l 8000 lot=W1 expires=2027-06-30",
                     "stock receive wh-a tent-12 300 lot=T1",
                     "volunteer add v1 name=\"Wang Wei\" region=sx at=37.87,112.55 skills=first-aid:3",
                     "volunteer certify v1 first-aid issued=2026-01-01 expires=2030-12-31 issuer=RC",
                     "incident open flood title=\"Drill flood\" kind=flood at=37.86,113.58 region=sx severity=3 affected=200"] {
            try ok(client, line)
        }

        let added = try client.request("need add flood supply tent-12 40 priority=1 ref=tents-east")
        XCTAssertTrue(added.text.hasPrefix("OK need=N-000001 ref=tents-east incident=flood priority=1 by="), added.text)
        try ok(client, "need add flood volunteers first-aid 1 hours=8 ref=medic")
        let estimate = try client.request("need estimate flood days=1 accept ref=drill1")
        XCTAssertEqual(estimate.okFields?["refs"], "drill1-water-5l,drill1-food-ration,drill1-tent-12", estimate.text)

        // Only the names from here on.
        XCTAssertEqual(try client.request("allocation reserve tents-east wh-a T1 40").okFields?["need"], "N-000001")
        XCTAssertEqual(try client.request("allocation reserve drill1-water-5l wh-a W1 200").okFields?["allocation"], "AL-000002")
        try ok(client, "need change drill1-tent-12 priority=1")
        try ok(client, "assignment add medic v1")
        try ok(client, "need cancel drill1-food-ration reason=\"drill: cancelled\"")
        XCTAssertEqual(try rows(client, "allocation list need=drill1-water-5l").map { $0["ref"] ?? "" }, ["drill1-water-5l"])
        XCTAssertEqual(try rows(client, "assignment list need=medic").map { $0["need"] ?? "" }, ["N-000002"])

        let taken = try client.request("need add flood supply tent-12 1 ref=drill1-food-ration")
        XCTAssertEqual(taken.errorCode, "CONFLICT", taken.text)
        XCTAssertTrue(taken.text.contains("ref drill1-food-ration is need N-000004 already"), taken.text)
        try refused(client, "need add flood supply tent-12 1 ref=N-000009", "SYNTAX")
        try refused(client, "need change no-such-need priority=1", "NOTFOUND")

        let needs = try rows(client, "need list incident=flood")
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: needs.map { ($0["ref"] ?? "", $0["need"] ?? "") }),
                       ["tents-east": "N-000001", "medic": "N-000002", "drill1-water-5l": "N-000003",
                        "drill1-food-ration": "N-000004", "drill1-tent-12": "N-000005"])

        let queries = ["need list", "incident show flood", "allocation list", "assignment list", "incident timeline flood"]
        let before = try answers(client, queries)
        // kill -9: the entries are replayed from the journal.
        client = try expectSameAnswers(queries, as: before, after: .afterKill, of: daemon, closing: client)
        _ = try settledInfo(client)
        // A clean restart: the state comes from the snapshot written at the last start.
        client = try expectSameAnswers(queries, as: before, after: .afterRestart, of: daemon, closing: client)
        XCTAssertEqual(try client.request("allocation reserve drill1-water-5l wh-a W1 100").okFields?["need"], "N-000003")
        try refused(client, "need add flood supply tent-12 1 ref=tents-east", "CONFLICT")
        client.close()
    }
}
