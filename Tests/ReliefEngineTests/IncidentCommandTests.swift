import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

extension Engine {
    /// The roster fixture plus stock, certified volunteers, a medical team and an open incident
    /// `flood` (1200 people affected) in Taiyuan.
    static func incidentFixture(clock: ManualClock) throws -> Engine {
        let engine = try rosterFixture(clock: clock)
        engine.ok("item add food-ration name=\"Emergency food ration\" category=food unit=ration pack=24 shelf_life=1825d")
        engine.ok("stock receive ty-01 water-5l 4000 lot=W1 expires=2027-06-30 donor=\"Yangquan Steel\"")
        engine.ok("stock receive jz-01 water-5l 900 lot=W2 expires=2026-12-02 supplier=Wahaha")
        engine.ok("stock receive ty-01 tent-12 50 lot=T1")
        for id in ["v1", "v2", "v3", "m1", "m2"] {
            engine.ok("volunteer add \(id) name=\(id) region=shanxi/taiyuan at=37.87,112.55 skills=first-aid:3,cpr:2,logistics:2")
            engine.ok("volunteer certify \(id) first-aid issued=2026-01-01 expires=2027-12-31 issuer=RC")
            engine.ok("volunteer certify \(id) cpr issued=2026-01-01 expires=2027-12-31 issuer=RC")
        }
        engine.ok("team add med-1 name=\"Medical 1\" specialty=medical region=shanxi/taiyuan at=37.87,112.55 leader=m1")
        engine.ok("team member add med-1 m2")
        engine.ok(#"incident open flood title="Taiyuan flash flood" kind=flood at=37.86,112.56 region=shanxi/taiyuan severity=4 affected=1200"#)
        return engine
    }

    static var sphereStandards: PlanningStandards {
        let url = repositoryURL.appendingPathComponent("config/planning/sphere.standards")
        let text = try! String(contentsOf: url, encoding: .utf8)
        return try! PlanningStandards(text: text, name: "sphere.standards")
    }
}

final class IncidentCommandTests: XCTestCase {
    var clock = ManualClock(december1)

    func engine() throws -> Engine {
        clock = ManualClock(december1)
        return try Engine.incidentFixture(clock: clock)
    }

    // MARK: incidents

    func testOpenListUpdateAndStatus() throws {
        let engine = try engine()
        XCTAssertEqual(engine.okFields("incident open quake title=\"Datong quake\" kind=earthquake at=40.08,113.30 region=shanxi/datong severity=5"),
                       ["incident": "quake", "status": "open"])
        XCTAssertEqual(engine.state.incidents["quake"]?.affected, 0, "affected defaults to 0 until known")
        XCTAssertEqual(engine.state.incidents["quake"]?.openedAt, december1)
        XCTAssertEqual(engine.rows("incident list").map { $0["incident"]! }, ["flood", "quake"])
        XCTAssertEqual(engine.rows("incident list region=shanxi/datong").map { $0["incident"]! }, ["quake"])
        XCTAssertEqual(engine.rows("incident list region=shanxi").count, 2)
        XCTAssertEqual(engine.rows("incident list status=active").count, 0)
        let flood = engine.rows("incident list status=open region=shanxi/taiyuan")
        XCTAssertEqual(flood.first?["title"], "Taiyuan flash flood")
        XCTAssertEqual(flood.first?["severity"], "4")
        XCTAssertEqual(flood.first?["affected"], "1200")
        XCTAssertEqual(flood.first?["at"], "37.86,112.56")

        XCTAssertEqual(engine.okFields("incident update flood affected=1500 severity=5 note=\"river rising\""), ["incident": "flood", "changed": "yes"])
        XCTAssertEqual(engine.state.incidents["flood"]?.affected, 1500)
        XCTAssertEqual(engine.state.incidents["flood"]?.severity, 5)
        XCTAssertEqual(engine.okFields("incident update flood severity=5"), ["incident": "flood", "changed": "no"])
        XCTAssertTrue(engine.state.incidents["flood"]!.timeline.last!.text.contains("river rising"))

        XCTAssertEqual(engine.okFields("incident status flood active"), ["incident": "flood", "status": "active"])
        XCTAssertEqual(engine.okFields("incident status flood contained note=\"water receding\""), ["incident": "flood", "status": "contained"])
        XCTAssertTrue(engine.refused("incident status flood active", .conflict).contains("only moves forward"))
        XCTAssertEqual(engine.okFields("incident status quake closed"), ["incident": "quake", "status": "closed"])
        XCTAssertTrue(engine.refused("incident update quake title=X", .conflict).contains("closed"))
        let timeline = engine.rows("incident timeline flood")
        XCTAssertEqual(timeline.map { $0["text"]!.prefix(6) }, ["opened", "update", "status", "status"])
        XCTAssertEqual(engine.rows("incident timeline flood limit=1").count, 1)
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testIncidentRefusals() throws {
        let engine = try engine()
        let good = "title=T kind=flood at=37.8,112.5 region=shanxi/taiyuan severity=3"
        XCTAssertTrue(engine.refused("incident open flood \(good)", .conflict).contains("flood already exists"))
        XCTAssertTrue(engine.refused("incident open -x \(good)", .syntax).contains("\"-x\""))
        XCTAssertTrue(engine.refused("incident open x title=T kind=flood at=37.8,112.5 region=shanxi/taiyuan", .syntax).contains("missing severity="))
        XCTAssertTrue(engine.refused("incident open x title=T kind=meteor at=37.8,112.5 region=shanxi/taiyuan severity=3", .syntax).contains("\"meteor\"; expected one of flood"))
        XCTAssertTrue(engine.refused("incident open x title=T kind=flood at=97,112.5 region=shanxi/taiyuan severity=3", .syntax).contains("\"97,112.5\""))
        XCTAssertTrue(engine.refused("incident open x title=T kind=flood at=37.8,112.5 region=shanxi/nowhere severity=3", .notFound).contains("shanxi/nowhere"))
        for bad in ["0", "6", "three"] {
            XCTAssertTrue(engine.refused("incident open x title=T kind=flood at=37.8,112.5 region=shanxi/taiyuan severity=\(bad)", .syntax).contains("\"\(bad)\""))
        }
        XCTAssertTrue(engine.refused("incident open x \(good) affected=-1", .syntax).contains("\"-1\""))
        engine.refused("incident open x \(good) affected=99999999999", .syntax)
        engine.refused("incident open x \(good) colour=red", .syntax)
        engine.refused("incident open x y \(good)", .syntax)
        XCTAssertTrue(engine.refused("incident update nope severity=2", .notFound).contains("incident nope not found"))
        XCTAssertTrue(engine.refused("incident update flood", .syntax).contains("nothing to update"))
        engine.refused("incident update flood severity=9", .syntax)
        engine.refused("incident update flood title=\"\"", .syntax)
        XCTAssertTrue(engine.refused("incident status flood open", .conflict).contains("open → active"))
        XCTAssertTrue(engine.refused("incident status flood finished", .syntax).contains("\"finished\""))
        engine.refused("incident status nope active", .notFound)
        engine.refused("incident show nope", .notFound)
        engine.refused("incident list status=burning", .syntax)
        engine.refused("incident list region=atlantis", .notFound)
        engine.refused("incident timeline flood limit=0", .syntax)
    }

    // MARK: needs

    func testNeedAddDefaultsAndKinds() throws {
        let engine = try engine()
        XCTAssertEqual(engine.okFields("need add flood supply water-5l 2000"),
                       ["need": "N-000001", "ref": "", "incident": "flood", "priority": "3", "by": "2026-12-02T08:00:00Z"])
        XCTAssertEqual(engine.okFields("need add flood volunteers first-aid 2 hours=12 priority=1 by=2026-12-01T20:00Z note=\"field clinic\"")["by"],
                       "2026-12-01T20:00:00Z")
        XCTAssertEqual(engine.okFields("need add flood team medical 1 hours=48 by=2026-12-03")["by"], "2026-12-03T23:59:59Z")
        XCTAssertEqual(engine.okFields("need add flood supply tent-12 40 by=6h priority=2")["by"], "2026-12-01T14:00:00Z")
        XCTAssertEqual(engine.state.needs["N-000002"]?.request, .volunteers(skill: "first-aid", count: 2, hours: 12))
        XCTAssertEqual(engine.state.needs["N-000003"]?.request, .teams(specialty: "medical", count: 1, hours: 48))
        XCTAssertEqual(engine.state.needs["N-000002"]?.note, "field clinic")
        // Most urgent first: priority, then deadline.
        XCTAssertEqual(engine.rows("need list").map { $0["need"]! }, ["N-000002", "N-000004", "N-000001", "N-000003"])
        XCTAssertEqual(engine.rows("need list priority=3").map { $0["need"]! }, ["N-000001", "N-000003"])
        let water = engine.rows("need list incident=flood open").first { $0["need"] == "N-000001" }!
        XCTAssertEqual(water["type"], "supply")
        XCTAssertEqual(water["what"], "water-5l")
        XCTAssertEqual(water["unit"], "bottle")
        XCTAssertEqual(water["missing"], "2000")
        XCTAssertEqual(water["met"], "0")
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testNeedAddRefusals() throws {
        let engine = try engine()
        XCTAssertTrue(engine.refused("need add nope supply water-5l 10", .notFound).contains("incident nope"))
        XCTAssertTrue(engine.refused("need add flood supply caviar 10", .notFound).contains("caviar"))
        XCTAssertTrue(engine.refused("need add flood supply water-5l 0", .syntax).contains("\"0\""))
        XCTAssertTrue(engine.refused("need add flood supply water-5l 10 hours=3", .syntax).contains("hours="))
        XCTAssertTrue(engine.refused("need add flood money cash 10", .syntax).contains("\"money\"; expected supply, volunteers or team"))
        XCTAssertTrue(engine.refused("need add flood volunteers first-aid 2", .syntax).contains("missing hours="))
        XCTAssertTrue(engine.refused("need add flood volunteers juggling 2 hours=3", .notFound).contains("juggling"))
        XCTAssertTrue(engine.refused("need add flood volunteers first-aid 20000 hours=3", .syntax).contains("\"20000\""))
        XCTAssertTrue(engine.refused("need add flood volunteers first-aid 2 hours=0", .syntax).contains("\"0\""))
        XCTAssertTrue(engine.refused("need add flood team cooking 1 hours=3", .notFound).contains("cooking"))
        XCTAssertTrue(engine.refused("need add flood supply water-5l 10 priority=0", .syntax).contains("\"0\""))
        XCTAssertTrue(engine.refused("need add flood supply water-5l 10 by=2026-11-30", .syntax).contains("not after now"))
        XCTAssertTrue(engine.refused("need add flood supply water-5l 10 by=tomorrow", .syntax).contains("\"tomorrow\""))
        engine.refused("need add flood supply water-5l 10 by=2026-12-01T25:00Z", .syntax)
        engine.refused("need add flood supply water-5l", .syntax)
        engine.ok("incident status flood closed")
        XCTAssertTrue(engine.refused("need add flood supply water-5l 10", .conflict).contains("closed"))
    }

    func testNeedChange() throws {
        let engine = try engine()
        engine.ok("need add flood supply water-5l 2000")
        engine.ok("need add flood volunteers first-aid 2 hours=8")
        XCTAssertEqual(engine.okFields("need change N-000001 qty=2500 priority=1 by=2026-12-02"),
                       ["need": "N-000001", "changed": "yes", "amount": "2500", "priority": "1", "by": "2026-12-02T23:59:59Z"])
        XCTAssertEqual(engine.okFields("need change N-000001 priority=1"), ["need": "N-000001", "changed": "no"])
        engine.ok("need change N-000002 count=3 note=\"two shifts\"")
        XCTAssertEqual(engine.state.needs["N-000002"]?.request.amount, 3)
        XCTAssertEqual(engine.state.needs["N-000002"]?.changes, 1)
        XCTAssertTrue(engine.refused("need change N-000001 count=3", .syntax).contains("supply need; expected qty="))
        XCTAssertTrue(engine.refused("need change N-000002 qty=3", .syntax).contains("expected count="))
        engine.refused("need change N-000001 qty=1 count=1", .syntax)
        engine.refused("need change N-000001", .syntax)
        engine.refused("need change N-000009 qty=5", .notFound)
        engine.refused("need change N-000001 by=2026-11-01", .syntax)
        // Not below what is committed.
        engine.ok("allocation reserve N-000001 ty-01 W1 1500")
        let message = engine.refused("need change N-000001 qty=1000", .conflict)
        XCTAssertTrue(message.contains("1500 committed (AL-000001)"), message)
        engine.ok("need change N-000001 qty=1500")
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testNeedCancelReleasesReservationsAndPeopleNotOnScene() throws {
        let engine = try engine()
        engine.ok("need add flood supply water-5l 3000")
        engine.ok("need add flood volunteers first-aid 3 hours=8")
        engine.ok("allocation reserve N-000001 ty-01 W1 1000")
        engine.ok("allocation reserve N-000001 ty-01 W1 500")
        engine.ok("allocation dispatch AL-000002")
        engine.ok("assignment add N-000002 v1")
        engine.ok("assignment add N-000002 v2")
        engine.ok("assignment add N-000002 v3")
        engine.ok("assignment enroute AS-000002")
        engine.ok("assignment onscene AS-000003")

        let message = engine.refused("need cancel N-000001", .conflict)
        XCTAssertTrue(message.contains("goods in transit: AL-000002 (dispatched: 500 water-5l of lot W1 at ty-01)"), message)
        XCTAssertTrue(message.contains("allocation release"), message)
        let people = engine.refused("need cancel N-000002", .conflict)
        XCTAssertTrue(people.contains("people on scene: AS-000003 (v3, on_scene)"), people)

        engine.ok("allocation deliver AL-000002")
        let outcome = engine.handle(line: "need cancel N-000001 reason=\"road open again\"", actor: "officer")
        XCTAssertEqual(outcome.reply, .ok(["need": "N-000001", "status": "cancelled", "released_allocations": "AL-000001", "released_assignments": ""]))
        XCTAssertEqual(outcome.entries.map(\.event.kind), ["allocation.released", "need.cancelled"])
        XCTAssertEqual(engine.state.stock(warehouse: "ty-01", sku: "water-5l")?.reserved, 0)
        XCTAssertEqual(engine.state.stock(warehouse: "ty-01", sku: "water-5l")?.onHand, 3500, "the delivered 500 stay delivered")

        clock.advance(hours: 5)
        engine.ok("assignment release AS-000003")
        let cancel = engine.handle(line: "need cancel N-000002", actor: "officer")
        XCTAssertEqual(cancel.reply, .ok(["need": "N-000002", "status": "cancelled", "released_allocations": "", "released_assignments": "AS-000001,AS-000002"]))
        XCTAssertEqual(cancel.entries.map(\.event.kind), ["assignment.released", "assignment.released", "need.cancelled"])
        for id in ["v1", "v2", "v3"] { XCTAssertEqual(engine.state.volunteers[id]?.status, .available) }
        XCTAssertEqual(engine.state.volunteers["v3"]?.duty.count, 1)
        XCTAssertTrue(engine.refused("need cancel N-000002", .conflict).contains("cancelled"))
        engine.refused("need change N-000002 count=9", .conflict)
        engine.refused("allocation reserve N-000001 ty-01 W1 1", .conflict)
        XCTAssertEqual(engine.rows("need list open").count, 0)
        XCTAssertEqual(engine.rows("need list").count, 2)
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    // MARK: allocations

    func testAllocationLifecycleMovesStock() throws {
        let engine = try engine()
        engine.ok("need add flood supply water-5l 3000")
        XCTAssertEqual(engine.okFields("allocation reserve N-000001 ty-01 W1 1200"),
                       ["allocation": "AL-000001", "need": "N-000001", "reserved": "1200", "missing": "1800"])
        // stock query and stock lots show what is reserved and what is left available.
        let row = engine.rows("stock query warehouse=ty-01 item=water-5l").first!
        XCTAssertEqual([row["on_hand"], row["reserved"], row["available"]], ["4000", "1200", "2800"])
        XCTAssertEqual(engine.rows("stock lots warehouse=ty-01 item=water-5l").first?["reserved"], "1200")
        XCTAssertTrue(engine.refused("stock issue ty-01 water-5l 3000", .insufficient).contains("reserved 1200"))

        engine.ok("allocation dispatch AL-000001 note=\"truck 3\"")
        let after = engine.rows("stock query warehouse=ty-01 item=water-5l").first!
        XCTAssertEqual([after["on_hand"], after["reserved"], after["available"]], ["2800", "0", "2800"])
        let moves = engine.rows("stock history lot=W1")
        XCTAssertEqual(moves.last?["kind"], "dispatched")
        XCTAssertEqual(moves.last?["delta"], "-1200")
        XCTAssertEqual(moves.last?["counterpart"], "flood")
        XCTAssertEqual(engine.rows("need list").first?["in_transit"], "1200")

        engine.ok("allocation deliver AL-000001")
        XCTAssertEqual(engine.rows("need list").first?["delivered"], "1200")
        XCTAssertEqual(engine.rows("need list").first?["missing"], "1800")

        // Released from reserved: back to available. Released in transit: back on the shelf.
        engine.ok("allocation reserve N-000001 ty-01 W1 100")
        engine.ok("allocation reserve N-000001 ty-01 W1 200")
        XCTAssertEqual(engine.okFields("allocation release AL-000002 reason=\"wrong truck\"")["was"], "reserved")
        engine.ok("allocation dispatch AL-000003")
        XCTAssertEqual(engine.okFields("allocation release AL-000003")["was"], "dispatched")
        let back = engine.rows("stock query warehouse=ty-01 item=water-5l").first!
        XCTAssertEqual([back["on_hand"], back["reserved"]], ["2800", "0"])
        XCTAssertEqual(engine.rows("stock history lot=W1").last?["kind"], "returned")

        XCTAssertEqual(engine.rows("allocation list").map { $0["status"]! }, ["delivered", "released", "released"])
        XCTAssertEqual(engine.rows("allocation list status=released").count, 2)
        XCTAssertEqual(engine.rows("allocation list need=N-000001 status=delivered").first?["quantity"], "1200")
        XCTAssertEqual(engine.rows("allocation list incident=flood").count, 3)
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testAllocationRefusals() throws {
        let engine = try engine()
        engine.ok("need add flood supply water-5l 1000")
        engine.ok("need add flood supply tent-12 10")
        engine.ok("need add flood volunteers first-aid 1 hours=4")
        engine.refused("allocation reserve N-000009 ty-01 W1 10", .notFound)
        engine.refused("allocation reserve N-000001 zz-01 W1 10", .notFound)
        engine.refused("allocation reserve N-000001 ty-01 NOPE 10", .notFound)
        engine.refused("allocation reserve N-000001 ty-01 W1 ten", .syntax)
        engine.refused("allocation reserve N-000001 ty-01 W1", .syntax)
        XCTAssertTrue(engine.refused("allocation reserve N-000001 ty-01 T1 5", .conflict).contains("lot T1 holds tent-12, but need N-000001 asks for water-5l"))
        XCTAssertTrue(engine.refused("allocation reserve N-000003 ty-01 W1 1", .conflict).contains("use assignment add"))
        XCTAssertTrue(engine.refused("allocation reserve N-000001 ty-01 W1 1001", .conflict).contains("missing only 1000"))
        XCTAssertTrue(engine.refused("allocation reserve N-000002 ty-01 T1 11", .conflict).contains("missing only 10"))
        XCTAssertTrue(engine.refused("allocation reserve N-000001 dt-01 W1 10", .insufficient).contains("only 0 bottle of lot W1 available in dt-01"))
        clock.advance(hours: 48)
        XCTAssertTrue(engine.refused("allocation reserve N-000001 jz-01 W2 10", .conflict).contains("expired on 2026-12-02"))
        engine.ok("allocation reserve N-000001 ty-01 W1 900")
        XCTAssertTrue(engine.refused("stock adjust ty-01 W1 count=100 reason=lost", .insufficient).contains("reserved"))
        XCTAssertTrue(engine.refused("allocation deliver AL-000001", .conflict).contains("dispatch it first"))
        engine.refused("allocation dispatch AL-000009", .notFound)
        engine.ok("allocation dispatch AL-000001")
        XCTAssertTrue(engine.refused("allocation dispatch AL-000001", .conflict).contains("is dispatched"))
        engine.ok("allocation deliver AL-000001")
        XCTAssertTrue(engine.refused("allocation release AL-000001", .conflict).contains("is delivered"))
        engine.refused("allocation list status=lost", .syntax)
        engine.refused("allocation list incident=nope", .notFound)
        engine.refused("allocation list need=N-000099", .notFound)
    }

    func testReservationWarnsOfLotExpiringBeforeTheDeadline() throws {
        let engine = try engine()
        engine.ok("need add flood supply water-5l 100 by=2026-12-05")
        let fields = engine.okFields("allocation reserve N-000001 jz-01 W2 100")
        XCTAssertEqual(fields["warning"], "lot W2 expires 2026-12-02, before the need's deadline 2026-12-05T23:59:59Z")
    }

    // MARK: assignments

    func testAssignmentLifecycleLogsHours() throws {
        let engine = try engine()
        engine.ok("need add flood volunteers first-aid 2 hours=8")
        XCTAssertEqual(engine.okFields("assignment add N-000001 v1"), ["assignment": "AS-000001", "need": "N-000001", "volunteer": "v1", "missing": "1"])
        XCTAssertEqual(engine.state.volunteers["v1"]?.status, .deployed)
        XCTAssertEqual(engine.rows("volunteer find skill=first-aid available").map { $0["volunteer"]! }.contains("v1"), false)
        XCTAssertTrue(engine.refused("volunteer checkin v1", .conflict).contains("not available"))
        XCTAssertTrue(engine.refused("volunteer status v1 standby", .conflict).contains("assignment AS-000001"))
        engine.ok("assignment enroute AS-000001")
        clock.advance(hours: 1)
        XCTAssertEqual(engine.okFields("assignment onscene AS-000001")["since"], "2026-12-01T09:00:00Z")
        XCTAssertTrue(engine.refused("volunteer checkout v1", .conflict).contains("assignment release AS-000001"))
        clock.advance(hours: 6)
        XCTAssertEqual(engine.okFields("assignment release AS-000001"), ["assignment": "AS-000001", "status": "released", "hours": "6"])
        let v1 = engine.state.volunteers["v1"]!
        XCTAssertEqual(v1.status, .available)
        XCTAssertEqual(v1.duty, [DutyRecord(start: Timestamp(milliseconds: december1.milliseconds + 3_600_000),
                                            end: Timestamp(milliseconds: december1.milliseconds + 7 * 3_600_000), incident: "flood")])
        XCTAssertEqual(engine.okFields("volunteer show v1")["hours_total"], "6")
        XCTAssertEqual(engine.rows("assignment list volunteer=v1").first?["hours"], "6")
        // Resting now (min_rest 8h by default): cannot be sent again yet.
        XCTAssertTrue(engine.refused("assignment add N-000001 v1", .conflict).contains("resting until"))
        engine.ok("assignment add N-000001 v2")
        engine.ok("assignment onscene AS-000002")
        XCTAssertEqual(engine.rows("assignment list need=N-000001 status=on_scene").map { $0["assignment"]! }, ["AS-000002"])
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testAssignmentRefusals() throws {
        let engine = try engine()
        engine.ok("need add flood volunteers first-aid 1 hours=8")
        engine.ok("need add flood volunteers logistics 3 hours=8")
        engine.ok("need add flood supply water-5l 10")
        engine.ok("volunteer add u1 name=u1 region=shanxi/taiyuan at=37.87,112.55 skills=first-aid:2")
        XCTAssertTrue(engine.refused("assignment add N-000001 u1", .conflict).contains("no first-aid certification"))
        engine.ok("volunteer certify u1 first-aid issued=2020-01-01 expires=2026-11-30 issuer=RC")
        XCTAssertTrue(engine.refused("assignment add N-000001 u1", .conflict).contains("certification expired 2026-11-30"))
        engine.ok("volunteer status v3 unavailable reason=ill")
        XCTAssertTrue(engine.refused("assignment add N-000001 v3", .conflict).contains("not available: unavailable: ill"))
        engine.ok("volunteer checkin v2")
        XCTAssertTrue(engine.refused("assignment add N-000001 v2", .conflict).contains("on duty since"))
        XCTAssertTrue(engine.refused("assignment add N-000003 v1", .conflict).contains("use allocation reserve"))
        engine.refused("assignment add N-000001 nobody", .notFound)
        engine.refused("assignment add N-000099 v1", .notFound)
        engine.ok("assignment add N-000001 v1")
        XCTAssertTrue(engine.refused("assignment add N-000001 m1", .conflict).contains("already has all 1 volunteers"))
        XCTAssertTrue(engine.refused("assignment add N-000002 v1", .conflict).contains("already has assignment AS-000001"))
        XCTAssertTrue(engine.refused("assignment onscene AS-000009", .notFound).contains("AS-000009"))
        engine.ok("assignment onscene AS-000001")
        XCTAssertTrue(engine.refused("assignment enroute AS-000001", .conflict).contains("is on_scene"))
        XCTAssertTrue(engine.refused("assignment onscene AS-000001", .conflict).contains("is on_scene"))
        engine.ok("assignment release AS-000001")
        XCTAssertTrue(engine.refused("assignment release AS-000001", .conflict).contains("already released"))
        engine.refused("assignment list status=lost", .syntax)
        engine.refused("assignment list volunteer=nobody", .notFound)
    }

    func testTeamNeedTakesAReadyTeamAsAUnit() throws {
        let engine = try engine()
        engine.ok("need add flood team medical 1 hours=24")
        engine.ok("need add flood team search-rescue 1 hours=24")
        XCTAssertTrue(engine.refused("assignment add N-000002 med-1", .conflict).contains("team med-1 is medical"))
        engine.refused("assignment add N-000001 nope", .notFound)
        engine.ok("volunteer status m2 off_duty")
        XCTAssertTrue(engine.refused("assignment add N-000001 med-1", .conflict).contains("not ready (partial): m2: off_duty"))
        engine.ok("volunteer status m2 available")
        XCTAssertEqual(engine.okFields("assignment add N-000001 med-1"),
                       ["assignments": "AS-000001,AS-000002", "need": "N-000001", "team": "med-1", "missing": "0"])
        XCTAssertEqual(engine.state.committedAmount(of: "N-000001"), 1)
        XCTAssertTrue(engine.refused("team member remove med-1 m2", .conflict).contains("release it first"))
        XCTAssertEqual(engine.rows("need list").first { $0["need"] == "N-000001" }?["met"], "1")
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    // MARK: the whole picture

    func testIncidentShowGivesTheWholePicture() throws {
        let engine = try engine()
        engine.ok("need add flood supply water-5l 3000 priority=1")
        engine.ok("need add flood supply tent-12 80")
        engine.ok("need add flood volunteers first-aid 2 hours=8")
        engine.ok("allocation reserve N-000001 ty-01 W1 1000")
        engine.ok("allocation reserve N-000001 ty-01 W1 500")
        engine.ok("allocation reserve N-000001 ty-01 W1 300")
        engine.ok("allocation dispatch AL-000002")
        engine.ok("allocation dispatch AL-000003")
        engine.ok("allocation deliver AL-000003")
        engine.ok("allocation reserve N-000002 ty-01 T1 50")
        engine.ok("assignment add N-000003 v1")
        // A plan (the matcher's, here made by hand) that left the tents short, and why.
        engine.emit(.planProposed(Plan(id: engine.state.nextPlanID, incident: "flood", basedOnSeq: engine.state.lastSeq, createdAt: december1,
                                       lines: [], unmet: [UnmetNeed(need: "N-000002", missing: 30, reason: "no stock of tent-12 within reach beyond ty-01")])))

        let rows = engine.rows("incident show flood")
        XCTAssertEqual(rows.map { $0["record"]! }, ["incident", "need", "need", "need", "allocation", "allocation", "allocation", "allocation", "assignment"])
        XCTAssertEqual(rows[0]["id"], "flood")
        XCTAssertEqual(rows[0]["what"], "Taiyuan flash flood")
        XCTAssertEqual(rows[0]["affected"], "1200")
        let water = rows[1]
        XCTAssertEqual([water["id"], water["amount"], water["met"], water["in_transit"], water["delivered"], water["missing"]],
                       ["N-000001", "3000", "1800", "500", "300", "1200"])
        XCTAssertEqual(water["why"], "", "no plan has looked at the water yet")
        XCTAssertEqual([rows[2]["met"], rows[2]["missing"], rows[2]["why"]], ["50", "30", "no stock of tent-12 within reach beyond ty-01"])
        XCTAssertEqual([rows[3]["met"], rows[3]["missing"]], ["1", "1"])
        XCTAssertEqual([rows[5]["id"], rows[5]["status"], rows[5]["from"], rows[5]["need"]], ["AL-000002", "dispatched", "ty-01/W1", "N-000001"])
        XCTAssertEqual([rows[8]["id"], rows[8]["volunteer"], rows[8]["status"]], ["AS-000001", "v1", "assigned"])

        // A later plan that meets the tents replaces the reason.
        engine.emit(.planProposed(Plan(id: engine.state.nextPlanID, incident: "flood", basedOnSeq: engine.state.lastSeq, createdAt: december1,
                                       lines: [.supply(need: "N-000002", warehouse: "ty-01", lot: "T1", quantity: 30, cost: 0)], unmet: [])))
        XCTAssertEqual(engine.rows("incident show flood")[2]["why"], "")
        XCTAssertEqual(engine.rows("need list").first { $0["need"] == "N-000001" }?["in_transit"], "500")
    }

    func testClosingIsRefusedWhileSuppliesOrPeopleAreOut() throws {
        let engine = try engine()
        engine.ok("need add flood supply water-5l 3000")
        engine.ok("need add flood volunteers first-aid 2 hours=8")
        engine.ok("allocation reserve N-000001 ty-01 W1 1000")
        engine.ok("allocation reserve N-000001 ty-01 W1 500")
        engine.ok("allocation dispatch AL-000002")
        engine.ok("assignment add N-000002 v1")
        let message = engine.refused("incident status flood closed", .conflict)
        XCTAssertTrue(message.contains("AL-000001 (reserved: 1000 water-5l of lot W1 at ty-01)"), message)
        XCTAssertTrue(message.contains("AL-000002 (dispatched"), message)
        XCTAssertTrue(message.contains("people still assigned: AS-000001 (v1, assigned)"), message)
        engine.ok("incident status flood contained")
        engine.ok("allocation release AL-000001")
        engine.ok("allocation deliver AL-000002")
        engine.ok("assignment release AS-000001")
        engine.ok("incident status flood closed")
        XCTAssertEqual(engine.rows("need list open").count, 0, "needs of a closed incident are no longer open")
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    // MARK: estimates

    func testEstimateProposesWholePacksAndAcceptAddsThem() throws {
        let engine = try engine()
        XCTAssertTrue(engine.refused("need estimate flood days=3", .notFound).contains("planning_file"))
        engine.planningStandards = Engine.sphereStandards
        let rows = engine.rows("need estimate flood days=3")
        // Daily standards give a row a day, together; the others one row.
        XCTAssertEqual(rows.map { $0["standard"]! }, ["water", "water", "water", "food", "food", "food", "shelter", "latrine"])
        XCTAssertEqual(rows.map { $0["day"]! }, ["1/3", "2/3", "3/3", "1/3", "2/3", "3/3", "", ""])
        XCTAssertEqual(rows[0].pairs.prefix(3).map(\.key), ["standard", "item", "day"])
        // 15 L × 1200 a day = 18000 L = 3600 bottles of 5 L (900 packs of 4), each day.
        for row in rows[0...2] {
            XCTAssertEqual([row["item"], row["quantity"], row["packs"], row["propose"], row["priority"]], ["water-5l", "3600", "900", "3600", "1"])
            XCTAssertEqual(row["basis"], "15 L per person × 1200 people × 1 day = 18000 L ÷ 5 L per bottle = 3600 bottle = 900 packs of 4")
        }
        // 2100 kcal × 1200 ÷ 2100 = 1200 rations (50 packs of 24) a day.
        XCTAssertEqual([rows[3]["quantity"], rows[3]["packs"]], ["1200", "50"])
        // 3.5 m² × 1200 = 4200 m² ÷ 12 = 350 tents, once (not per day).
        XCTAssertEqual(rows[6]["quantity"], "350")
        XCTAssertTrue(rows[6]["basis"]!.hasPrefix("3.5 m2 per person × 1200 people = 4200 m2"))
        // One latrine per 50: 24, but the fixture's catalog has no latrine-slab.
        XCTAssertEqual(rows[7]["quantity"], "")
        XCTAssertEqual(rows[7]["propose"], "0")
        XCTAssertTrue(rows[7]["note"]!.contains("item latrine-slab not in the catalog"))
        XCTAssertTrue(rows[7]["basis"]!.hasPrefix("1 latrine per 50 people × 1200 people = 24 latrine"))
        XCTAssertEqual(engine.state.needs.count, 0, "an estimate only proposes")
        // One day is not phased: the rows of before, with an empty day.
        let oneDay = engine.rows("need estimate flood days=1")
        XCTAssertEqual(oneDay.map { $0["day"]! }, ["", "", "", ""])
        XCTAssertEqual(oneDay[0]["basis"], "15 L per person × 1200 people × 1 days = 18000 L ÷ 5 L per bottle = 3600 bottle = 900 packs of 4")

        engine.ok("need add flood supply tent-12 100")
        XCTAssertEqual(engine.rows("need estimate flood days=3")[6]["propose"], "250", "open needs of the item count as already needed")
        let accepted = engine.okFields("need estimate flood days=3 accept")
        XCTAssertEqual(accepted["added"], "7")
        XCTAssertEqual(accepted["needs"], "N-000002:water-5l:3600,N-000003:water-5l:3600,N-000004:water-5l:3600,"
                       + "N-000005:food-ration:1200,N-000006:food-ration:1200,N-000007:food-ration:1200,N-000008:tent-12:250")
        XCTAssertEqual(accepted["series"], "N-000002:water-5l:1-3,N-000005:food-ration:1-3")
        XCTAssertTrue(accepted["skipped"]!.contains("latrine (item latrine-slab not in the catalog"))
        XCTAssertEqual(engine.state.needs["N-000002"]?.priority, 1)
        XCTAssertEqual(engine.state.needs["N-000005"]?.priority, 2)
        XCTAssertTrue(engine.state.needs["N-000003"]!.note!.hasPrefix("estimate water, day 2 of 3: 15 L per person"))
        XCTAssertTrue(engine.state.needs["N-000008"]!.note!.hasPrefix("estimate shelter, 3 days: 3.5 m2 per person"))
        // Day k is due 24 h after day k − 1, from the first deadline (now + 24 h).
        XCTAssertEqual(["N-000002", "N-000003", "N-000004"].map { engine.state.needs[$0]!.neededBy.iso8601 },
                       ["2026-12-02T08:00:00Z", "2026-12-03T08:00:00Z", "2026-12-04T08:00:00Z"])
        XCTAssertEqual(["N-000005", "N-000006", "N-000007"].map { engine.state.needs[$0]!.schedule },
                       (1...3).map { NeedSchedule(series: "N-000005", day: $0, days: 3) })
        XCTAssertNil(engine.state.needs["N-000008"]?.schedule, "a standard needed once is one need")
        XCTAssertEqual(engine.state.needs["N-000008"]?.neededBy.iso8601, "2026-12-02T08:00:00Z")
        // Accepting again adds nothing; more days add only the later days.
        XCTAssertEqual(engine.okFields("need estimate flood days=3 accept")["added"], "0")
        let more = engine.okFields("need estimate flood days=5 accept priority=2 by=48h")
        XCTAssertEqual(more["needs"], "N-000009:water-5l:3600,N-000010:water-5l:3600,N-000011:food-ration:1200,N-000012:food-ration:1200")
        XCTAssertEqual(more["series"], "N-000009:water-5l:4-5,N-000011:food-ration:4-5")
        XCTAssertTrue(more["skipped"]!.contains("water day 1/5 (already needed in full)"), more["skipped"]!)
        XCTAssertEqual(engine.state.needs["N-000009"]?.priority, 2)
        XCTAssertEqual(engine.state.needs["N-000009"]?.schedule, NeedSchedule(series: "N-000009", day: 4, days: 5))
        XCTAssertEqual(engine.state.needs["N-000009"]?.neededBy.iso8601, "2026-12-06T08:00:00Z", "by=48h is day 1's deadline")
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testEstimateRefusals() throws {
        let engine = try engine()
        engine.planningStandards = Engine.sphereStandards
        engine.refused("need estimate nope days=3", .notFound)
        XCTAssertTrue(engine.refused("need estimate flood", .syntax).contains("missing days="))
        for bad in ["0", "31", "x", "-1"] { XCTAssertTrue(engine.refused("need estimate flood days=\(bad)", .syntax).contains("\"\(bad)\"")) }
        XCTAssertTrue(engine.refused("need estimate flood days=31", .syntax).contains("1 to 30"))
        XCTAssertTrue(engine.refused("need estimate flood days=3 priority=1", .syntax).contains("go with accept"))
        engine.ok("incident open q title=Q kind=earthquake at=40,113 region=shanxi/datong severity=2")
        XCTAssertTrue(engine.refused("need estimate q days=3", .conflict).contains("incident update q affected=N"))
        engine.ok("incident status q closed")
        engine.refused("need estimate q days=3 accept", .conflict)
    }

    func testPlanningStandardsFileProblemsNameTheLine() {
        func problem(_ text: String) -> String {
            do { _ = try PlanningStandards(text: text, name: "p"); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(problem("# nothing\n"), "p: no standards; expected lines such as: water amount=15 unit=L per=person-day item=water-5l content=5")
        XCTAssertEqual(problem("\nwater amount=15 unit=L per=person-day item=water-5l\n"), "p:2: missing content=")
        XCTAssertTrue(problem("water amount=-3 unit=L per=person-day item=w content=5").contains("p:1: bad amount \"-3\""))
        XCTAssertTrue(problem("water amount=1.2345 unit=L per=person-day item=w content=5").contains("bad amount"))
        XCTAssertTrue(problem("water amount=1 unit=L per=week item=w content=5").contains("bad per \"week\""))
        XCTAssertTrue(problem("water amount=1 unit=L per=person people=0 item=w content=5").contains("bad people"))
        XCTAssertTrue(problem("water amount=1 unit=L per=person item=w content=5 colour=blue").contains("unknown option colour="))
        XCTAssertTrue(problem("water amount=1 unit=L per=person item=w content=5\nwater amount=1 unit=L per=person item=w content=5").contains("p:2: standard water given twice"))
        XCTAssertTrue(problem("water and more amount=1").contains("expected one standard name"))
        let standards = Engine.sphereStandards.standards
        XCTAssertEqual(standards.map(\.name), ["water", "food", "shelter", "latrine"])
        XCTAssertEqual(standards[2].amountMilli, 3500)
        XCTAssertEqual(standards[3].people, 50)
        XCTAssertFalse(standards[3].daily)
    }

    func testDeadlineForms() {
        let now = december1
        XCTAssertEqual(try Arguments.deadline("2026-12-01", now: now).iso8601, "2026-12-01T23:59:59Z")
        XCTAssertEqual(try Arguments.deadline("2026-12-01T09:30Z", now: now).iso8601, "2026-12-01T09:30:00Z")
        XCTAssertEqual(try Arguments.deadline("2026-12-01T09:30:15", now: now).iso8601, "2026-12-01T09:30:15Z")
        XCTAssertEqual(try Arguments.deadline("90m", now: now).iso8601, "2026-12-01T09:30:00Z")
        for bad in ["2026-12-01T08:00Z", "0h", "2026-12-01T9:30Z", "2026-12-01T09:60Z", "2026-13-01", "soon", "2026-12-01T09:30+08"] {
            XCTAssertThrowsError(try Arguments.deadline(bad, now: now), bad)
        }
    }

    func testHelpListsTheIncidentCommands() throws {
        let engine = try engine()
        let commands = Set(engine.rows("help").map { $0["command"]! })
        for command in ["incident open", "incident update", "incident status", "incident list", "incident show", "incident timeline",
                        "need add", "need change", "need cancel", "need list", "need estimate", "allocation reserve", "allocation dispatch",
                        "allocation deliver", "allocation release", "allocation list", "assignment add", "assignment enroute",
                        "assignment onscene", "assignment release", "assignment list"] {
            XCTAssertTrue(commands.contains(command), command)
        }
        XCTAssertEqual(engine.rows("help need").count, 5)
        XCTAssertTrue(engine.refused("incident close flood", .syntax).contains("expected one of: list, open, show, status, timeline, update"))
    }
}
