import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// Client references of needs: `need add … ref=NAME` and `need estimate … accept ref=PREFIX` name
/// what they create, every command that takes a need id takes the ref instead, replies show it, and
/// it lives in the journal body, the snapshot and the state's index.
final class NeedRefCommandTests: XCTestCase {
    var clock = ManualClock(december1)

    func engine() throws -> Engine {
        clock = ManualClock(december1)
        return try Engine.incidentFixture(clock: clock)
    }

    func testAddWithRefAndShowIt() throws {
        let engine = try engine()
        XCTAssertEqual(engine.okFields("need add flood supply water-5l 2000 ref=water-east"),
                       ["need": "N-000001", "ref": "water-east", "incident": "flood", "priority": "3", "by": "2026-12-02T08:00:00Z"])
        engine.ok("need add flood supply tent-12 10")
        XCTAssertEqual(engine.state.needs["N-000001"]?.ref, "water-east")
        XCTAssertNil(engine.state.needs["N-000002"]?.ref)
        XCTAssertEqual(engine.state.needByRef, ["water-east": "N-000001"])

        let listed = engine.rows("need list")
        XCTAssertEqual(listed.map { [$0["need"]!, $0["ref"]!] }, [["N-000001", "water-east"], ["N-000002", ""]])
        XCTAssertEqual(listed[0].pairs.prefix(3).map(\.key), ["need", "ref", "incident"], "ref stands beside the need's id")
        let shown = engine.rows("incident show flood").filter { $0["record"] == "need" }
        XCTAssertEqual(shown.map { [$0["id"]!, $0["ref"]!] }, [["N-000001", "water-east"], ["N-000002", ""]])
        XCTAssertTrue(engine.state.incidents["flood"]!.timeline.last { $0.text.contains("N-000001") }!.text.contains("(ref water-east)"))
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testTheRefWorksWhereverANeedIdDoes() throws {
        let engine = try engine()
        engine.ok("need add flood supply water-5l 2000 ref=water")
        engine.ok("need add flood volunteers first-aid 2 hours=8 ref=medics")
        engine.ok("need add flood team medical 1 hours=12 ref=med-team")
        engine.ok("need add flood supply tent-12 30 ref=tents")

        XCTAssertEqual(engine.okFields("need change water qty=2500 priority=1")["need"], "N-000001")
        XCTAssertEqual(engine.state.needs["N-000001"]?.request.amount, 2500)

        XCTAssertEqual(engine.okFields("allocation reserve water ty-01 W1 1000")["need"], "N-000001")
        let allocations = engine.rows("allocation list need=water")
        XCTAssertEqual(allocations.map { $0["allocation"]! }, ["AL-000001"])
        XCTAssertEqual(allocations.first?.pairs.prefix(3).map(\.value), ["AL-000001", "N-000001", "water"])

        XCTAssertEqual(engine.okFields("assignment add medics v1")["need"], "N-000002")
        XCTAssertEqual(engine.okFields("assignment add med-team med-1")["need"], "N-000003")
        let assignments = engine.rows("assignment list need=medics")
        XCTAssertEqual(assignments.map { $0["assignment"]! }, ["AS-000001"])
        XCTAssertEqual(assignments.first?["ref"], "medics")
        XCTAssertEqual(engine.rows("assignment list need=med-team").map { $0["ref"]! }, ["med-team", "med-team"])

        let picture = engine.rows("incident show flood")
        XCTAssertEqual(picture.first { $0["record"] == "allocation" }?["ref"], "water")
        XCTAssertEqual(picture.filter { $0["record"] == "assignment" }.map { $0["ref"]! }, ["medics", "med-team", "med-team"])

        // Plan rows: the lines and the unmet needs name the ref beside the need.
        let plan = engine.rows("match flood")
        let lines = plan.filter { $0["line"] != nil }
        XCTAssertFalse(lines.isEmpty, "match proposed nothing")
        for row in plan.dropFirst() {
            XCTAssertEqual(row["ref"], engine.state.needs[row["need"]!]?.ref ?? "", "\(row)")
        }
        XCTAssertTrue(lines.contains { $0["ref"] == "tents" }, "\(lines)")
        XCTAssertEqual(engine.rows("plan show").dropFirst().map { $0["ref"]! }, plan.dropFirst().map { $0["ref"]! })
        let applied = engine.rows("plan apply")
        XCTAssertEqual(applied.map { $0["ref"]! }, applied.map { engine.state.needs[$0["need"]!]!.ref! })

        // Cancelling by ref; the cancelled need keeps its ref, and still answers to it.
        engine.ok("need add flood supply tent-12 5 ref=spare-tents")
        XCTAssertEqual(engine.okFields("need cancel spare-tents reason=duplicate")["need"], "N-000005")
        XCTAssertEqual(engine.state.needs["N-000005"]?.ref, "spare-tents")
        XCTAssertTrue(engine.refused("need change spare-tents priority=1", .conflict).contains("N-000005 is cancelled"))
        XCTAssertTrue(engine.refused("need add flood supply tent-12 5 ref=spare-tents", .conflict)
            .contains("ref spare-tents is need N-000005 already"), "a cancelled need's ref is not reused")
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testBadAndTakenRefsAreRefused() throws {
        let engine = try engine()
        engine.ok("need add flood supply water-5l 100 ref=water")
        let taken = engine.refused("need add flood supply tent-12 5 ref=water", .conflict)
        XCTAssertTrue(taken.contains("ref water is need N-000001 already"), taken)
        XCTAssertTrue(taken.contains("never reused"), taken)
        // Refs are compared as written: another case is another ref.
        engine.ok("need add flood supply tent-12 5 ref=Water")

        for idShaped in ["N-000001", "N-7", "n-12", "N-000099"] {
            let message = engine.refused("need add flood supply tent-12 5 ref=\(idShaped)", .syntax)
            XCTAssertTrue(message.contains("bad ref \"\(idShaped)\"") && message.contains("N- followed by digits"), message)
        }
        // Shaped like an id only when all that follows N- is digits.
        engine.ok("need add flood supply tent-12 5 ref=N-12a")
        engine.ok("need add flood supply tent-12 5 ref=N-")

        for bad in ["-x", "a/b", "\"two words\"", String(repeating: "r", count: 65), "\"\"", "水"] {
            let message = engine.refused("need add flood supply tent-12 5 ref=\(bad)", .syntax)
            XCTAssertTrue(message.contains("bad ref") && message.contains("expected 1-64 letters, digits"), "\(bad): \(message)")
        }
        engine.ok("need add flood supply tent-12 5 ref=\(String(repeating: "r", count: 64))")

        // A word that is neither an id nor a ref.
        for command in ["need change nowhere priority=1", "need cancel nowhere", "allocation reserve nowhere ty-01 W1 1",
                        "allocation list need=nowhere", "assignment add nowhere v1", "assignment list need=nowhere"] {
            let message = engine.refused(command, .notFound)
            XCTAssertTrue(message.contains("need nowhere not found") && message.contains("ref"), "\(command): \(message)")
        }
        // A closed incident's needs keep their refs, and the refs stay taken.
        engine.ok("incident open quake title=Q kind=earthquake at=37.8,112.5 region=shanxi/taiyuan severity=1")
        engine.ok("need add quake supply tent-12 1 ref=quake-tent")
        engine.ok("need cancel quake-tent")
        engine.ok("incident status quake closed")
        XCTAssertTrue(engine.refused("need add flood supply tent-12 1 ref=quake-tent", .conflict).contains("N-"))
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testEstimateNamesEachNeedByPrefixAndItem() throws {
        let engine = try engine()
        engine.planningStandards = Engine.sphereStandards
        let accepted = engine.okFields("need estimate flood days=3 accept ref=d1")
        XCTAssertEqual(accepted["needs"], "N-000001:water-5l:3600,N-000002:water-5l:3600,N-000003:water-5l:3600,"
                       + "N-000004:food-ration:1200,N-000005:food-ration:1200,N-000006:food-ration:1200,N-000007:tent-12:350")
        // A daily standard's days are PREFIX-ITEM-dK; a standard needed once PREFIX-ITEM.
        XCTAssertEqual(accepted["refs"], "d1-water-5l-d1,d1-water-5l-d2,d1-water-5l-d3,d1-food-ration-d1,d1-food-ration-d2,d1-food-ration-d3,d1-tent-12")
        XCTAssertEqual(engine.state.needs["N-000001"]?.ref, "d1-water-5l-d1")
        XCTAssertEqual(engine.state.needs["N-000007"]?.ref, "d1-tent-12")
        XCTAssertEqual(engine.okFields("need change d1-tent-12 priority=1")["need"], "N-000007")
        XCTAssertEqual(engine.okFields("need change d1-food-ration-d2 priority=1")["need"], "N-000005")
        XCTAssertNil(engine.okFields("need estimate flood days=4 accept")["refs"], "no refs= without ref=")
        // One day: nothing to phase, the refs of before.
        engine.ok("incident open quake title=Q kind=earthquake at=37.8,112.5 region=shanxi/taiyuan severity=1 affected=100")
        XCTAssertEqual(engine.okFields("need estimate quake days=1 accept ref=q")["refs"], "q-water-5l,q-food-ration,q-tent-12")

        // One of the refs taken: refused, nothing added.
        engine.ok("need add flood supply tent-12 1 ref=d2-food-ration-d6")
        let taken = engine.refused("need estimate flood days=9 accept ref=d2", .conflict)
        XCTAssertTrue(taken.contains("ref d2-food-ration-d6 is need N-000013 already") && taken.contains("nothing added"), taken)
        XCTAssertTrue(engine.refused("need estimate flood days=9 ref=d3", .syntax).contains("go with accept"))
        engine.refused("need estimate flood days=9 accept ref=-x", .syntax)
        XCTAssertTrue(engine.refused("need estimate flood days=9 accept ref=\(String(repeating: "p", count: 60))", .syntax)
            .contains("longer than 64 bytes"))
        // The day suffix counts too: 64 bytes with -d1 … -d9, not with -d10.
        let prefix = String(repeating: "p", count: 64 - "-water-5l-d9".utf8.count)
        XCTAssertTrue(engine.refused("need estimate flood days=10 accept ref=\(prefix)", .syntax).contains("\(prefix)-water-5l-d10"))

        // Two standards for one item would give two needs the same ref.
        engine.planningStandards = try PlanningStandards(text: """
            water amount=15 unit=L per=person-day item=water-5l content=5
            washing amount=50 unit=L per=person-day item=water-5l content=5
            """, name: "test.standards")
        engine.ok("incident open slide title=S kind=landslide at=37.8,112.5 region=shanxi/taiyuan severity=2 affected=100")
        let twice = engine.refused("need estimate slide days=2 accept ref=d4", .conflict)
        XCTAssertTrue(twice.contains("standards water and washing both add item water-5l") && twice.contains("d4-water-5l-d1"), twice)
        let both = engine.okFields("need estimate slide days=2 accept")
        XCTAssertEqual(both["needs"], "N-000014:water-5l:300,N-000015:water-5l:300,N-000016:water-5l:1000,N-000017:water-5l:1000",
                       "without ref= both are added")
        XCTAssertEqual(both["series"], "N-000014:water-5l:1-2,N-000016:water-5l:1-2")
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testRefsSurviveTheSnapshotAndOldBodiesHaveNone() throws {
        let engine = try engine()
        engine.ok("need add flood supply water-5l 100 ref=water")
        engine.ok("need add flood supply tent-12 5")
        engine.ok("need add flood volunteers first-aid 1 hours=8 ref=medic")
        engine.ok("need cancel medic")

        let text = engine.state.snapshotText()
        let loaded = try State(snapshotText: text)
        XCTAssertEqual(loaded.snapshotText(), text)
        XCTAssertEqual(loaded.needByRef, ["water": "N-000001", "medic": "N-000003"])
        XCTAssertEqual(loaded.need(named: "medic")?.id, "N-000003")
        XCTAssertEqual(loaded.invariantViolations(), [])

        // The journal body of a need without a ref is as before refs existed: no "ref" key.
        let plain = Event.needAdded(engine.state.needs["N-000002"]!).body
        XCTAssertNil(plain["ref"])
        let named = Event.needAdded(engine.state.needs["N-000001"]!)
        XCTAssertEqual(try Event(kind: "need.added", body: named.body), named)

        // An entry written before refs: decodes as no ref and replays.
        let old = try FlatJSON.decode(#"{"id":"N-000004","incident":"flood","type":"supply","sku":"tent-12","amount":7,"priority":2,"by":1796198400000,"created":1796112000000}"#)
        guard case .needAdded(let need) = try Event(kind: "need.added", body: old) else { return XCTFail("not a need") }
        XCTAssertNil(need.ref)
        var state = engine.state
        try state.apply(Entry(seq: state.lastSeq + 1, time: december1, actor: "officer", event: .needAdded(need)))
        XCTAssertEqual(state.needs["N-000004"]?.request, .supply(sku: "tent-12", quantity: 7))
        XCTAssertEqual(state.needByRef.count, 2)
        XCTAssertEqual(state.invariantViolations(), [])
    }

    func testApplyAndTheInvariantsHoldRefsToTheirRules() throws {
        let engine = try engine()
        engine.ok("need add flood supply water-5l 100 ref=water")
        var state = engine.state
        func added(_ id: String, ref: String) -> Entry {
            Entry(seq: state.lastSeq + 1, time: december1, actor: "officer",
                  event: .needAdded(Need(id: id, incident: "flood", request: .supply(sku: "tent-12", quantity: 1), priority: 3,
                                         neededBy: december1, note: nil, createdAt: december1, ref: ref)))
        }
        for (ref, problem) in [("water", "ref water is need N-000001 already"), ("N-000009", "looks like a need id"), ("", "is empty")] {
            XCTAssertThrowsError(try state.apply(added("N-000002", ref: ref))) { error in
                XCTAssertTrue("\(error)".contains(problem), "\(error)")
            }
        }
        XCTAssertEqual(state.snapshotText(), engine.state.snapshotText(), "a refused entry changed nothing")

        // A damaged snapshot: two needs with one ref, and a ref shaped like an id.
        try state.apply(added("N-000002", ref: "tent"))
        let damaged = state.snapshotText()
            .replacingOccurrences(of: #""id":"N-000002","ref":"tent""#, with: #""id":"N-000002","ref":"water""#)
        XCTAssertNotEqual(damaged, state.snapshotText())
        XCTAssertTrue(try State(snapshotText: damaged).invariantViolations().contains("needs N-000001 and N-000002 have the same ref water"))
        let idShaped = state.snapshotText().replacingOccurrences(of: #""ref":"tent""#, with: #""ref":"N-000005""#)
        XCTAssertTrue(try State(snapshotText: idShaped).invariantViolations().contains { $0.contains("looks like a need id") })
    }
}
