import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// Schedules of daily needs (`need add … per_day=Q days=N`, `need estimate … days=N accept`) and a
/// need's reach (`reach=`): one need a day, due 24 h apart, each changed and cancelled alone or the
/// open days together (`need cancel … series=all|rest`), listed together, refs NAME-dK; bad input
/// refused naming what was wrong, changing nothing.
final class NeedScheduleCommandTests: XCTestCase {
    var clock = ManualClock(december1)

    func engine() throws -> Engine {
        clock = ManualClock(december1)
        return try Engine.incidentFixture(clock: clock)
    }

    func testPerDayAddsOneNeedADayDue24HoursApart() throws {
        let engine = try engine()
        let reply = engine.okFields("need add flood item=water-5l per_day=600 days=3 by=2026-12-02T06:00Z priority=1 ref=w note=\"three camps\"")
        XCTAssertEqual(reply, ["need": "N-000001", "ref": "w-d1", "incident": "flood", "priority": "1", "by": "2026-12-02T06:00:00Z",
                               "series": "N-000001", "days": "3", "last_by": "2026-12-04T06:00:00Z",
                               "needs": "N-000001,N-000002,N-000003", "refs": "w-d1,w-d2,w-d3"])
        for (index, id) in ["N-000001", "N-000002", "N-000003"].enumerated() {
            let need = try XCTUnwrap(engine.state.needs[id])
            XCTAssertEqual(need.request, .supply(sku: "water-5l", quantity: 600), "each day asks for one day's quantity")
            XCTAssertEqual(need.neededBy.milliseconds, Timestamp(milliseconds: 1_796_191_200_000).milliseconds + Int64(index) * 86_400_000)
            XCTAssertEqual(need.schedule, NeedSchedule(series: "N-000001", day: index + 1, days: 3))
            XCTAssertEqual(need.ref, "w-d\(index + 1)")
            XCTAssertEqual(need.priority, 1)
            XCTAssertEqual(need.note, "three camps")
            XCTAssertNil(need.reach)
        }
        XCTAssertEqual(engine.state.needSeries, ["N-000001": ["N-000001", "N-000002", "N-000003"]])

        // The words form, the default first deadline (now + 24 h), no ref.
        let words = engine.okFields("need add flood supply tent-12 per_day=5 days=2 reach=city")
        XCTAssertEqual([words["needs"], words["series"], words["by"], words["last_by"], words["ref"], words["reach"]],
                       ["N-000004,N-000005", "N-000004", "2026-12-02T08:00:00Z", "2026-12-03T08:00:00Z", "", "city"])
        XCTAssertNil(words["refs"])
        XCTAssertEqual(engine.state.needs["N-000005"]?.reach, .city)
        // One day is a schedule of one.
        XCTAssertEqual(engine.okFields("need add flood item=tent-12 per_day=1 days=1 ref=one")["refs"], "one-d1")
        XCTAssertEqual(engine.state.needs["N-000006"]?.schedule, NeedSchedule(series: "N-000006", day: 1, days: 1))
        // item= with qty= is one need, as supply SKU QTY is.
        XCTAssertEqual(engine.okFields("need add flood item=quilt qty=20 ref=quilts"),
                       ["need": "N-000007", "ref": "quilts", "incident": "flood", "priority": "3", "by": "2026-12-02T08:00:00Z"])
        XCTAssertNil(engine.state.needs["N-000007"]?.schedule)
        XCTAssertEqual(engine.state.needs["N-000007"]?.request, .supply(sku: "quilt", quantity: 20))
        engine.ok("need add flood supply quilt qty=5")
        XCTAssertEqual(engine.state.needs["N-000008"]?.request.amount, 5)

        // A day answers to its ref like any need.
        XCTAssertEqual(engine.okFields("allocation reserve w-d1 ty-01 W1 600")["missing"], "0")
        XCTAssertTrue(engine.state.incidents["flood"]!.timeline.contains { $0.text.contains("need N-000002 (ref w-d2) added") && $0.text.hasSuffix("day 2/3 of series N-000001") })
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testListingsKeepAScheduleTogetherWithItsColumns() throws {
        let engine = try engine()
        engine.ok(#"incident open quake title=Quake kind=earthquake at=37.8,112.5 region=shanxi/taiyuan severity=2 affected=300"#)
        engine.ok("need add flood item=water-5l per_day=100 days=3 priority=2")           // N-1..3, by +24 h, +48 h, +72 h
        engine.ok("need add flood supply tent-12 10 priority=2 by=36h reach=province")    // N-4, between day 1 and day 2
        engine.ok("need add quake supply water-5l per_day=50 days=2 priority=1 by=48h")   // N-5..6, more urgent
        engine.ok("need add quake supply tent-12 3 priority=3 by=12h")                     // N-7

        let listed = engine.rows("need list")
        XCTAssertEqual(listed.map { $0["need"]! }, ["N-000005", "N-000006", "N-000001", "N-000002", "N-000003", "N-000004", "N-000007"],
                       "a schedule reads as one block, where its most urgent day stands")
        XCTAssertEqual(listed.map { $0["series"]! }, ["N-000005", "N-000005", "N-000001", "N-000001", "N-000001", "", ""])
        XCTAssertEqual(listed.map { $0["day"]! }, ["1/2", "2/2", "1/3", "2/3", "3/3", "", ""])
        XCTAssertEqual(listed.map { $0["reach"]! }, ["", "", "", "", "", "province", ""])
        XCTAssertEqual(listed[0].pairs.prefix(5).map(\.key), ["need", "ref", "incident", "series", "day"])
        XCTAssertEqual(engine.rows("need list incident=flood open").map { $0["need"]! }, ["N-000001", "N-000002", "N-000003", "N-000004"])
        XCTAssertEqual(engine.rows("need list priority=2").map { $0["need"]! }, ["N-000001", "N-000002", "N-000003", "N-000004"])

        let shown = engine.rows("incident show flood").filter { $0["record"] == "need" }
        XCTAssertEqual(shown.map { $0["id"]! }, ["N-000001", "N-000002", "N-000003", "N-000004"])
        XCTAssertEqual(shown.map { $0["day"]! }, ["1/3", "2/3", "3/3", ""])
        XCTAssertEqual(shown[0].pairs.prefix(5).map(\.key), ["record", "id", "ref", "series", "day"])
        XCTAssertEqual(shown.map { $0["reach"]! }, ["", "", "", "province"])

        // The order of seriesTogether: the first day listed places the block, days in day order.
        let needs = ["N-000003", "N-000004", "N-000001", "N-000007", "N-000002"].map { engine.state.needs[$0]! }
        XCTAssertEqual(Engine.seriesTogether(needs).map(\.id), ["N-000001", "N-000002", "N-000003", "N-000004", "N-000007"])
    }

    func testOneDayChangesAloneAndTheOpenDaysCancelTogether() throws {
        let engine = try engine()
        engine.ok("need add flood item=water-5l per_day=500 days=4 ref=w")   // N-1..4
        engine.ok("need add flood supply tent-12 5")                          // N-5, on its own

        // Changing one day leaves the others.
        engine.ok("need change w-d2 qty=800 by=2026-12-03T20:00Z")
        XCTAssertEqual(engine.state.needs["N-000002"]?.request.amount, 800)
        XCTAssertEqual((1...4).map { engine.state.needs["N-00000\($0)"]!.request.amount }, [500, 800, 500, 500])
        XCTAssertEqual(engine.state.needs["N-000003"]?.neededBy.iso8601, "2026-12-04T08:00:00Z")

        // One day cancelled alone.
        XCTAssertEqual(engine.okFields("need cancel w-d4")["need"], "N-000004")
        XCTAssertEqual((1...4).map { engine.state.needs["N-00000\($0)"]!.status }, [.open, .open, .open, .cancelled])

        // Day 1 on the road: cancelling every day is refused whole, naming the day and the way out.
        engine.ok("allocation reserve w-d1 ty-01 W1 500")
        engine.ok("allocation dispatch AL-000001")
        engine.ok("allocation reserve w-d2 ty-01 W1 300")
        let refused = engine.refused("need cancel N-000001 series=all", .conflict)
        XCTAssertTrue(refused.contains("day 1/4 N-000001: goods in transit: AL-000001") && refused.contains("nothing cancelled"), refused)
        XCTAssertTrue(refused.contains("need cancel N-000002 series=rest"), refused)

        // The rest, from day 2: its reservation released, day 4 (already cancelled) left as it is.
        let rest = engine.okFields("need cancel w-d2 series=rest reason=\"water main repaired\"")
        XCTAssertEqual(rest, ["need": "N-000002", "series": "N-000001", "status": "cancelled", "cancelled": "N-000002,N-000003",
                              "released_allocations": "AL-000002", "released_assignments": ""])
        XCTAssertEqual((1...5).map { engine.state.needs["N-00000\($0)"]!.status }, [.open, .cancelled, .cancelled, .cancelled, .open])
        XCTAssertEqual(engine.state.allocations["AL-000002"]?.status, .released)
        XCTAssertTrue(engine.refused("need cancel N-000002 series=rest", .conflict).contains("no open day from day 2 on"))

        // Delivered, day 1 can go too: series=all named by the series id, whatever its own status.
        engine.ok("allocation deliver AL-000001")
        XCTAssertEqual(engine.okFields("need cancel N-000003 series=all")["cancelled"], "N-000001")
        XCTAssertTrue(engine.refused("need cancel N-000001 series=all", .conflict).contains("series N-000001 has no open day left"))

        // Not a schedule; a bad scope.
        XCTAssertTrue(engine.refused("need cancel N-000005 series=all", .conflict).contains("not one day of a schedule"))
        XCTAssertTrue(engine.refused("need cancel N-000005 series=every", .syntax).contains("expected all"))
        engine.refused("need cancel nowhere series=all", .notFound)
        XCTAssertEqual(engine.state.needs["N-000005"]?.status, .open)
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testReachIsSetChangedClearedAndRefused() throws {
        let engine = try engine()
        XCTAssertEqual(engine.okFields("need add flood supply water-5l 100 reach=city")["reach"], "city")
        XCTAssertEqual(engine.state.needs["N-000001"]?.reach, .city)
        XCTAssertNil(engine.okFields("need add flood supply tent-12 5")["reach"], "reach= only when given")
        XCTAssertNil(engine.state.needs["N-000002"]?.reach)
        engine.ok("need add flood volunteers first-aid 2 hours=8 reach=county")
        XCTAssertEqual(engine.state.needs["N-000003"]?.reach, .county, "people needs have a reach too")

        XCTAssertEqual(engine.okFields("need change N-000002 reach=province"),
                       ["need": "N-000002", "changed": "yes", "amount": "5", "priority": "3", "by": "2026-12-02T08:00:00Z", "reach": "province"])
        XCTAssertEqual(engine.state.needs["N-000002"]?.reach, .province)
        XCTAssertEqual(engine.okFields("need change N-000002 reach=province"), ["need": "N-000002", "changed": "no"])
        XCTAssertEqual(engine.okFields("need change N-000001 reach=default")["reach"], "")
        XCTAssertNil(engine.state.needs["N-000001"]?.reach)
        XCTAssertEqual(engine.okFields("need change N-000001 reach=default"), ["need": "N-000001", "changed": "no"])
        XCTAssertEqual(engine.okFields("need change N-000001 reach=country priority=1")["priority"], "1")
        XCTAssertEqual(engine.state.needs["N-000001"]?.reach, .country)
        XCTAssertTrue(engine.state.incidents["flood"]!.timeline.last!.text.contains("reach country"))
        XCTAssertEqual(engine.rows("need list").map { $0["reach"]! }, ["country", "province", "county"])

        for bad in ["planet", "City", "", "near"] {
            let message = engine.refused("need change N-000001 reach=\"\(bad)\"", .syntax)
            XCTAssertTrue(message.contains("bad reach \"\(bad)\"") && message.contains("county, city, province, country"), message)
            engine.refused("need add flood supply water-5l 1 reach=\"\(bad)\"", .syntax)
        }
        engine.ok("need cancel N-000002")
        XCTAssertTrue(engine.refused("need change N-000002 reach=city", .conflict).contains("cancelled"))
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testBadScheduleInputIsRefusedNamingWhatWasWrong() throws {
        let engine = try engine()
        engine.ok("need add flood supply tent-12 1 ref=taken-d2")
        func refusedWith(_ line: String, _ code: ErrorCode, _ words: String..., file: StaticString = #filePath, lineNumber: UInt = #line) {
            let message = engine.refused(line, code, file: file, lineNumber: lineNumber)
            for word in words { XCTAssertTrue(message.contains(word), "\(line): \(message)", file: file, line: lineNumber) }
        }
        refusedWith("need add flood item=water-5l per_day=10 days=0", .syntax, "bad days \"0\"", "1 to 30")
        refusedWith("need add flood item=water-5l per_day=10 days=31", .syntax, "bad days \"31\"", "1 to 30")
        refusedWith("need add flood item=water-5l per_day=10 days=x", .syntax, "bad days \"x\"")
        refusedWith("need add flood item=water-5l per_day=10 qty=30", .syntax, "per_day=", "not both")
        refusedWith("need add flood supply water-5l 30 per_day=10 days=3", .syntax, "per_day=", "not both")
        refusedWith("need add flood item=water-5l per_day=10", .syntax, "per_day= goes with days=N")
        refusedWith("need add flood item=water-5l qty=10 days=3", .syntax, "days= goes with per_day=")
        refusedWith("need add flood supply water-5l 10 days=3", .syntax, "days= goes with per_day=")
        refusedWith("need add flood item=water-5l per_day=0 days=3", .syntax, "bad per_day \"0\"")
        refusedWith("need add flood item=water-5l per_day=-5 days=3", .syntax, "bad per_day")
        refusedWith("need add flood item=water-5l per_day=1000000000000 days=2", .limit, "per_day=1000000000000 × days=2", "more than 1000000000000")
        refusedWith("need add flood item=water-5l per_day=9223372036854775807 days=2", .syntax, "bad per_day")
        refusedWith("need add flood item=water-5l qty=5 per_day=1 days=2", .syntax, "not both")
        refusedWith("need add flood item=water-5l", .syntax, "missing quantity")
        refusedWith("need add flood item=water-5l qty=5 priority=9", .syntax, "bad priority")
        refusedWith("need add flood item=nothing per_day=5 days=2", .notFound, "nothing")
        refusedWith("need add flood supply water-5l item=water-5l qty=5", .syntax, "item= names")
        refusedWith("need add flood", .syntax, "missing the need")
        refusedWith("need add flood volunteers first-aid 2 hours=8 per_day=2 days=3", .syntax, "per_day= is for supply needs")
        refusedWith("need add flood team medical 1 hours=8 days=3", .syntax, "days= is for supply needs")
        refusedWith("need add flood item=water-5l per_day=5 days=3 ref=taken", .conflict, "ref taken-d2 (day 2 of ref=taken) is need N-000001 already", "nothing added")
        refusedWith("need add flood item=water-5l per_day=5 days=3 ref=N-5", .syntax, "bad ref \"N-5\"")
        let long = String(repeating: "r", count: 61)
        refusedWith("need add flood item=water-5l per_day=5 days=10 ref=\(long)", .syntax, "\(long)-d10", "longer than 64 bytes")
        engine.ok("need add flood item=water-5l per_day=5 days=9 ref=\(long)")
        refusedWith("need add flood item=water-5l per_day=5 days=3 reach=near", .syntax, "bad reach \"near\"")
        refusedWith("need change N-000001 reach=wide", .syntax, "bad reach \"wide\"")
        refusedWith("need estimate flood days=31", .syntax, "bad days \"31\"")
        XCTAssertEqual(engine.state.needs.count, 10)
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testEstimateCountsWhatIsAlreadyNeededAgainstTheEarliestDays() throws {
        let engine = try engine()
        engine.planningStandards = Engine.sphereStandards
        engine.ok("need add flood supply water-5l 5000")                      // 1 day and 1400 of the next
        let rows = engine.rows("need estimate flood days=3").filter { $0["standard"] == "water" }
        XCTAssertEqual(rows.map { [$0["day"]!, $0["quantity"]!, $0["already_needed"]!, $0["propose"]!, $0["note"]!] }, [
            ["1/3", "3600", "3600", "0", "already needed in full"],
            ["2/3", "3600", "1400", "2200", ""],
            ["3/3", "3600", "0", "3600", ""],
        ])
        let accepted = engine.okFields("need estimate flood days=3 accept by=2026-12-01T20:00Z ref=e")
        XCTAssertTrue(accepted["needs"]!.hasPrefix("N-000002:water-5l:2200,N-000003:water-5l:3600,"), accepted["needs"]!)
        XCTAssertTrue(accepted["series"]!.hasPrefix("N-000002:water-5l:2-3,"), accepted["series"]!)
        XCTAssertTrue(accepted["refs"]!.hasPrefix("e-water-5l-d2,e-water-5l-d3,e-food-ration-d1,"), accepted["refs"]!)
        XCTAssertTrue(accepted["skipped"]!.contains("water day 1/3 (already needed in full)"), accepted["skipped"]!)
        // Day 2 is due a day after the first deadline, day 3 two days after; the series is its first need.
        XCTAssertEqual(engine.state.needs["N-000002"]?.neededBy.iso8601, "2026-12-02T20:00:00Z")
        XCTAssertEqual(engine.state.needs["N-000003"]?.neededBy.iso8601, "2026-12-03T20:00:00Z")
        XCTAssertEqual(engine.state.needs["N-000003"]?.schedule, NeedSchedule(series: "N-000002", day: 3, days: 3))
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    /// Issue 11: two incidents ten minutes apart, both estimated for three days, water for not
    /// even two days of both. With one need a day, every first day is met before any second day
    /// gets a bottle, and nothing goes to a third day.
    func testUnderScarcityEveryFirstDayIsServedBeforeAnySecondDay() throws {
        let engine = try engine()
        engine.planningStandards = try PlanningStandards(text: "water amount=15 unit=L per=person-day item=water-5l content=5 priority=1",
                                                         name: "water.standards")
        engine.ok(#"incident open typhoon title="Typhoon" kind=storm at=37.88,112.54 region=shanxi/taiyuan severity=4 affected=800"#)
        clock.now.milliseconds += 10 * 60_000
        engine.ok(#"incident open flood2 title="Flood" kind=flood at=37.85,112.57 region=shanxi/taiyuan severity=3 affected=300"#)
        engine.ok("need estimate typhoon days=3 accept")      // 2400 bottles a day
        engine.ok("need estimate flood2 days=3 accept")       // 900 bottles a day
        engine.ok("plan")
        var given: [String: Int64] = [:]
        for allocation in engine.state.allocations.values { given[allocation.need, default: 0] += allocation.quantity }
        let plan = engine.state.plans.values.first!
        for line in plan.lines { if case .supply(let need, _, _, let quantity, _) = line { given[need, default: 0] += quantity } }
        let water = engine.state.needs.values.filter { $0.request.isSupply }
        XCTAssertEqual(water.count, 6)
        let firstDays = water.filter { $0.schedule?.day == 1 }, secondDays = water.filter { $0.schedule?.day == 2 }
        let thirdDays = water.filter { $0.schedule?.day == 3 }
        XCTAssertEqual(firstDays.count, 2)
        for need in firstDays { XCTAssertEqual(given[need.id] ?? 0, need.request.amount, "day 1 of \(need.incident) met in full") }
        XCTAssertGreaterThan(secondDays.reduce(0) { $0 + (given[$1.id] ?? 0) }, 0, "what is left goes to the second days")
        for need in thirdDays { XCTAssertEqual(given[need.id] ?? 0, 0, "nothing for day 3 of \(need.incident) while day 2 is short") }
    }
}
