import Foundation
import ReliefProtocol
import XCTest

/// Matching over the socket: match an incident, see what is unmet and why, have the plan go stale
/// under a concurrent stock issue (refused whole, nothing changed), match again and apply — then
/// kill -9 and restart: the proposals, what was applied and the stock read the same, and the stale
/// plan stays refused.
final class MatchingTests: EndToEndTestCase {
    func testMatchApplyAndStalePlansSurviveKillNine() throws {
        let config = Daemon.packageDirectory + "/config"
        let daemon = try startDaemon(["--catalog-file", config + "/catalog/skills.commands"])
        var client = try daemon.connect()
        _ = try settledInfo(client) // the catalog's snapshot sealed before the test counts entries
        try addCatalog(client)
        for line in ["item add tent-12 name=Tent category=shelter unit=tent",
                     "stock receive wh-a water 100 lot=W1 expires=2027-06-30 donor=\"Yangquan Steel\"",
                     "stock receive wh-b water 50 lot=W2 expires=2027-03-31 supplier=Wahaha",
                     "volunteer add v1 name=\"Wang Wei\" region=sx at=37.80,112.61 skills=first-aid:3",
                     "volunteer certify v1 first-aid issued=2026-01-01 expires=2030-12-31 issuer=RC",
                     "volunteer add v2 name=\"Li Na\" region=sx at=37.95,112.61 skills=first-aid:3",
                     "volunteer certify v2 first-aid issued=2026-01-01 expires=2030-12-31 issuer=RC",
                     "incident open flood title=\"Flash flood\" kind=flood at=37.80,112.60 region=sx severity=4 affected=1000",
                     "need add flood supply water 120 priority=1",
                     "need add flood volunteers first-aid 1 hours=8 priority=2",
                     "need add flood supply tent-12 10 priority=2"] {
            try ok(client, line)
        }

        let first = try rows(client, "match flood")
        XCTAssertEqual(try info(client)["offloaded"], "1", "match is solved off the loop, like plan")
        XCTAssertEqual(first.first?["plan"], "PL-000001")
        XCTAssertEqual(first.first?["lines"], "3")
        XCTAssertEqual(first.filter { $0["line"] != nil }.map { $0["warehouse"] ?? $0["volunteer"] ?? "" }, ["wh-a", "wh-b", "v1"])
        let tents = try XCTUnwrap(first.first { $0["need"] == "N-000003" && $0["reason"] != nil })
        XCTAssertEqual(tents["missing"], "10")
        XCTAssertEqual(tents["reason"], "no stock of tent-12 in any warehouse")

        // Someone takes water from wh-b meanwhile: the plan no longer holds and nothing is applied.
        try ok(client, "stock issue wh-b water 40 lot=W2 to=school")
        let before = try observable(client)
        let stale = try client.request("plan apply")
        XCTAssertTrue(stale.text.hasPrefix("ERR CONFLICT plan PL-000001 no longer holds: line 2 (20 of wh-b/W2 for N-000001): only 10 available"), stale.text)
        XCTAssertTrue(stale.text.hasSuffix("nothing applied; run match flood again"), stale.text)
        XCTAssertEqual(try observable(client), before)

        let second = try rows(client, "match flood")
        XCTAssertEqual(second.first?["plan"], "PL-000002")
        XCTAssertEqual(second.first { $0["need"] == "N-000001" && $0["reason"] != nil }?["missing"], "10")
        let applied = try rows(client, "plan apply")
        XCTAssertEqual(applied.map { $0["allocation"] ?? $0["assignment"] ?? "" }, ["AL-000001", "AL-000002", "AS-000001"])
        try refused(client, "plan apply PL-000001", "CONFLICT")
        try refused(client, "plan apply PL-000002", "CONFLICT")

        let queries = ["plan show PL-000001", "plan show PL-000002", "plan list", "stock query", "incident show flood", "allocation list",
                       "assignment list"]
        let texts = try answers(client, queries)
        let fields = try info(client)
        client = try expectSameAnswers(queries, as: texts, after: .afterKill, of: daemon, closing: client)
        let settled = try settledInfo(client)
        XCTAssertEqual(settled["snapshot_seq"], fields["seq"])
        XCTAssertEqual(settled["seq"], String(Int(fields["seq"] ?? "")! + 1), "only the start-up snapshot's seal was added")
        let superseded = try client.request("plan apply PL-000001")
        XCTAssertTrue(superseded.text.hasPrefix("ERR CONFLICT plan PL-000001 was superseded by PL-000002"), superseded.text)
    }

    func testManyMatchesAtOnceWaitTheirTurnOffTheLoopAndAreEachAnswered() throws {
        let daemon = try startDaemon()
        let client = try daemon.connect()
        try addCatalog(client)
        for line in ["stock receive wh-a water 100 lot=W1", "incident open flood title=Flood kind=flood at=37.80,112.60 region=sx severity=4",
                     "need add flood supply water 30 priority=1"] {
            try ok(client, line)
        }
        // Twenty officers ask at once: one solve at a time, the rest wait with their words only.
        var officers: [Client] = []
        for _ in 0..<20 {
            let officer = try daemon.connect(timeout: 30)
            try officer.send("match flood")
            officers.append(officer)
        }
        var waiting = 0
        for _ in 0..<20 { waiting = max(waiting, Int(try info(client)["offload_queue"] ?? "") ?? 0) }
        var plans: Set<String> = []
        for officer in officers {
            let reply = try officer.reply(timeout: 30)
            guard let plan = reply.rowFields?.first?["plan"] else { return XCTFail(reply.text) }
            plans.insert(plan)
        }
        XCTAssertEqual(plans.count, 20, "each officer gets a proposal of their own")
        XCTAssertEqual(try info(client)["offloaded"], "20")
        XCTAssertEqual(try info(client)["offload_queue"], "0")
        print("twenty matches at once: at most \(waiting) off the loop or waiting when sampled")
        XCTAssertNil(daemon.checkAlive())
    }
}
