import XCTest
@testable import ReliefCore
@testable import ReliefMatching

/// What a duty officer would accept: equally urgent needs share scarce stock, day 1 of every
/// incident before day 2 of any, people are sent across a city line rather than left out at a
/// radius, and a county's minimum level stays a reserve unless the need may draw on it.
final class FairMatchingTests: XCTestCase {
    /// Two incidents ten minutes apart, both priority 1, 304 bottles for 378 + 135 asked.
    private func typhoonAndFlood() -> (MatchingFixture, wenling: String, yueqing: String) {
        var f = MatchingFixture()
        f.warehouse("depot", "zj", 28.60, 121.20)
        f.warehouse("hz-01", "zj/huzhou", 30.87, 120.09)
        f.lot("depot", "W1", "water", 250)
        f.lot("hz-01", "W2", "water", 54)
        f.incident("WL", "zj/taizhou/wenling", 28.37, 121.37)
        f.incident("YQ", "zj/wenzhou/yueqing", 28.12, 120.96)
        let wenling = f.need("WL", .supply(sku: "water", quantity: 378), priority: 1, byHours: 24)
        f.setNeededBy(wenling, minutes: 24 * 60)
        let yueqing = f.need("YQ", .supply(sku: "water", quantity: 135), priority: 1, byHours: 24)
        f.setNeededBy(yueqing, minutes: 24 * 60 + 10)
        return (f, wenling, yueqing)
    }

    func testEquallyUrgentNeedsShareScarceStockInProportionToWhatTheyAsk() throws {
        let (f, wenling, yueqing) = typhoonAndFlood()
        let plan = try f.planAll()
        let wl = Double(plan.quantity(for: wenling)) / 378, yq = Double(plan.quantity(for: yueqing)) / 135
        XCTAssertEqual(plan.quantity(for: wenling) + plan.quantity(for: yueqing), 304, "every bottle is sent")
        XCTAssertEqual(wl, yq, accuracy: 0.05 + 1.0 / 135, "met fractions \(wl) and \(yq) differ by more than one share step")
        let reason = try XCTUnwrap(plan.unmet(yueqing)?.reason)
        XCTAssertTrue(reason.contains("shared with needs as urgent (priority 1, due within 6 h of each other)"), reason)
        XCTAssertTrue(reason.contains("\(wenling) (WL, priority 1"), reason)
    }

    func testDeadlinesBeyondTheUrgencyWindowStillGoFirstAndTheWindowIsConfigurable() throws {
        var (f, wenling, yueqing) = typhoonAndFlood()
        f.setNeededBy(yueqing, minutes: 24 * 60 + 7 * 60)   // seven hours later: not as urgent
        var plan = try f.planAll()
        XCTAssertEqual(plan.quantity(for: wenling), 304)
        XCTAssertTrue(plan.unmet(yueqing)!.reason.hasPrefix("due later than competing needs (beyond the urgency window): \(wenling)"),
                      plan.unmet(yueqing)!.reason)
        var policy = MatchingPolicy()
        policy.urgencyWindowMilliseconds = 8 * 3_600_000
        plan = try f.planAll(policy: policy)
        XCTAssertGreaterThan(plan.quantity(for: yueqing), 0, "within an 8 h window they share")
        policy.shareSteps = 1
        policy.urgencyWindowMilliseconds = 6 * 3_600_000
        XCTAssertEqual(try f.planAll(policy: policy).quantity(for: wenling), 304)
    }

    func testDayOneOfEveryIncidentIsServedBeforeDayTwoOfAny() throws {
        var f = MatchingFixture()
        f.warehouse("depot", "zj", 28.60, 121.20)
        f.lot("depot", "W1", "water", 200)
        f.incident("WL", "zj/taizhou/wenling", 28.37, 121.37)
        f.incident("YQ", "zj/wenzhou/yueqing", 28.12, 120.96)
        let wl1 = f.need("WL", .supply(sku: "water", quantity: 126), priority: 1, byHours: 24)
        let wl2 = f.need("WL", .supply(sku: "water", quantity: 126), priority: 1, byHours: 48)
        let yq1 = f.need("YQ", .supply(sku: "water", quantity: 45), priority: 1, byHours: 24)
        let yq2 = f.need("YQ", .supply(sku: "water", quantity: 45), priority: 1, byHours: 48)
        let plan = try f.planAll()
        XCTAssertEqual(plan.quantity(for: wl1), 126)
        XCTAssertEqual(plan.quantity(for: yq1), 45)
        XCTAssertEqual(plan.quantity(for: wl2) + plan.quantity(for: yq2), 29, "day 2 shares what is left")
    }

    func testATeamInTheNextCityIsSentWithItsDistanceNotDroppedAtARadius() throws {
        var f = MatchingFixture()
        f.incident("LH", "zj/taizhou/linhai", 28.85, 121.14)
        for id in ["m1", "m2", "m3"] { f.volunteer(id, 28.00, 120.70, region: "zj/wenzhou") }   // Wenzhou, ~104 km
        f.team("t-medical-wz", specialty: "medical", members: ["m1", "m2", "m3"])
        let need = f.need("LH", .teams(specialty: "medical", count: 1, hours: 48), priority: 1)
        let plan = try f.match("LH")
        XCTAssertEqual(plan.lines.count, 1, "\(plan.unmet)")
        guard case .team(need, "t-medical-wz", _)? = plan.lines.first else { return XCTFail("\(plan.lines)") }
        // Told to stay in the city, it is not sent, and the reason says the reach stopped it.
        let narrow = try f.match("LH", options: MatchingOptions(reach: .city))
        XCTAssertEqual(narrow.lines, [])
        let reason = try XCTUnwrap(narrow.unmet(need)?.reason)
        XCTAssertTrue(reason.hasPrefix("no ready medical team in the incident's city; nearest ready: t-medical-wz at 10"), reason)
        XCTAssertTrue(reason.contains("plan reach=province looks further"), reason)
    }

    func testAMinimumLevelIsAReserveOnlyUrgentNeedsDrawOnAndTheLineSaysSo() throws {
        var f = MatchingFixture()
        f.warehouse("wl-01", "zj/taizhou/wenling", 28.37, 121.37)
        f.warehouse("depot", "zj", 29.80, 120.30)                     // far, but free stock
        f.lot("wl-01", "W1", "water", 100)
        f.lot("depot", "W2", "water", 30)
        f.apply(.minimumSet(warehouse: "wl-01", sku: "water", quantity: 60))
        f.incident("WL", "zj/taizhou/wenling", 28.37, 121.37)
        let routine = f.need("WL", .supply(sku: "water", quantity: 100), priority: 3)
        var plan = try f.planAll()
        XCTAssertEqual(plan.quantity(for: routine), 70, "40 above the minimum here, 30 from the depot; the reserve of 60 kept")
        XCTAssertEqual(plan.reserveLines, [])
        let reason = try XCTUnwrap(plan.unmet(routine)?.reason)
        XCTAssertTrue(reason.contains("60 piece in the incident's province held as protected reserve (the minimum level of 1 warehouse; drawn only for needs of priority 1"), reason)

        var f2 = f
        f2.state.setPriorityForTesting(routine, 1)
        plan = try f2.planAll()
        XCTAssertEqual(plan.quantity(for: routine), 100, "a priority 1 need may draw on the reserve")
        let reserveLine = try XCTUnwrap(plan.reserveLines.first)
        guard case .supply(_, "wl-01", _, _, _) = plan.lines[reserveLine - 1] else { return XCTFail("\(plan.lines)") }
        XCTAssertEqual(plan.reserveLines.count, 1)
        // … unless the plan is told to keep reserves.
        plan = try f2.planAll(options: MatchingOptions(keepReserves: true))
        XCTAssertEqual(plan.quantity(for: routine), 70)
        XCTAssertEqual(plan.reserveLines, [])
        XCTAssertTrue(plan.keepReserves)
        XCTAssertTrue(plan.unmet(routine)!.reason.contains("this plan was asked to keep reserves (reserves=keep)"), plan.unmet(routine)!.reason)
    }

    func testFreeStockFartherAwayGoesBeforeAReserveNearBy() throws {
        var f = MatchingFixture()
        f.warehouse("wl-01", "zj/taizhou/wenling", 28.37, 121.37)
        f.warehouse("tz-01", "zj/taizhou", 28.66, 121.42)             // 32 km
        f.lot("wl-01", "W1", "water", 50)
        f.lot("tz-01", "W2", "water", 50)
        f.apply(.minimumSet(warehouse: "wl-01", sku: "water", quantity: 50))
        f.incident("WL", "zj/taizhou/wenling", 28.37, 121.37)
        let need = f.need("WL", .supply(sku: "water", quantity: 50), priority: 1)
        let plan = try f.planAll()
        XCTAssertEqual(plan.lines.count, 1)
        guard case .supply(need, "tz-01", _, 50, _)? = plan.lines.first else { return XCTFail("\(plan.lines)") }
    }
}
