import XCTest
import ReliefCore
import ReliefMatching
import ReliefProtocol
@testable import ReliefEngine

/// A small operation for the matching commands, built by applying events (incidents and needs
/// included), then driven through the engine: two warehouses, water and tents, volunteers with
/// first aid, a medical team, one flood with a supply, a volunteer and a team need.
struct MatchingEngineFixture {
    var state = State()
    var entries: [Entry] = []

    mutating func apply(_ event: Event, at time: Timestamp = Timestamp(milliseconds: december1.milliseconds - 48 * 3_600_000)) {
        let entry = Entry(seq: state.lastSeq + 1, time: time, actor: "test", event: event)
        do { try state.apply(entry) } catch { XCTFail("fixture event refused: \(error)") }
        entries.append(entry)
    }

    static func standard() -> MatchingEngineFixture {
        var f = MatchingEngineFixture()
        for (id, level) in [("shanxi", RegionLevel.province), ("shanxi/taiyuan", .city), ("shanxi/taiyuan/xiaodian", .county)] {
            f.apply(.regionAdded(id: id, name: id, level: level))
        }
        f.apply(.warehouseAdded(id: "ty-01", name: "Taiyuan", region: "shanxi/taiyuan/xiaodian", location: Coordinate(latitude: 37.80, longitude: 112.55)))
        f.apply(.warehouseAdded(id: "ty-02", name: "Taiyuan 2", region: "shanxi/taiyuan", location: Coordinate(latitude: 37.95, longitude: 112.55)))
        f.apply(.itemAdded(Item(sku: "water", name: "Water", category: "water", unit: "bottle", packSize: 1, shelfLifeDays: 365)))
        f.apply(.itemAdded(Item(sku: "tent", name: "Tent", category: "shelter", unit: "tent", packSize: 1, shelfLifeDays: nil)))
        f.apply(.lotReceived(warehouse: "ty-01", lot: "W1", sku: "water", quantity: 60, expires: Day(iso8601: "2027-06-30"), source: .donation, party: nil, note: nil))
        f.apply(.lotReceived(warehouse: "ty-02", lot: "W2", sku: "water", quantity: 100, expires: Day(iso8601: "2027-06-30"), source: .donation, party: nil, note: nil))
        f.apply(.skillAdded(Skill(id: "first-aid", name: "First aid", specialty: "medical", needsCertificate: true)))
        f.apply(.specialtyAdded(Specialty(id: "medical", name: "Medical", requiredSkills: ["first-aid"])))
        for (index, id) in ["v-1", "v-2", "v-3", "m-1", "m-2"].enumerated() {
            f.apply(.volunteerAdded(id: id, profile: VolunteerProfile(
                name: id, phone: nil, idNumber: nil, region: "shanxi/taiyuan/xiaodian",
                base: Coordinate(latitude: 37.76 + Double(index) * 0.01, longitude: 112.55), languages: ["zh"],
                skills: ["first-aid": 3], maxDutyHoursPerDay: 12, minRestHours: 8, organization: nil)))
            f.apply(.certificationGranted(id: id, Certification(skill: "first-aid", issued: Day(iso8601: "2025-01-01")!,
                                                                 expires: Day(iso8601: "2027-12-31")!, issuer: "Red Cross")))
        }
        f.apply(.teamAdded(Team(id: "med-1", name: "Medical 1", specialty: "medical", region: "shanxi/taiyuan/xiaodian",
                                base: Coordinate(latitude: 37.79, longitude: 112.55), leader: "m-1")))
        f.apply(.teamMemberAdded(team: "med-1", volunteer: "m-2"))
        f.apply(.incidentOpened(Incident(id: "flood-1", title: "Flood", kind: .flood, location: Coordinate(latitude: 37.75, longitude: 112.55),
                                         region: "shanxi/taiyuan/xiaodian", severity: 4, affected: 5000,
                                         openedAt: Timestamp(milliseconds: december1.milliseconds - 24 * 3_600_000))))
        f.need("flood-1", .supply(sku: "water", quantity: 100), priority: 1)            // N-000001
        f.need("flood-1", .volunteers(skill: "first-aid", count: 2, hours: 8), priority: 2) // N-000002
        f.need("flood-1", .teams(specialty: "medical", count: 1, hours: 12), priority: 2)  // N-000003
        return f
    }

    @discardableResult
    mutating func need(_ incident: String, _ request: NeedRequest, priority: Int, byHours: Int64 = 24) -> String {
        let id = state.nextNeedID
        apply(.needAdded(Need(id: id, incident: incident, request: request, priority: priority,
                              neededBy: Timestamp(milliseconds: december1.milliseconds + byHours * 3_600_000), note: nil,
                              createdAt: Timestamp(milliseconds: december1.milliseconds - 3_600_000))))
        return id
    }

    func engine() -> Engine { Engine(state: state, clock: .fixed(december1)) }
}

/// `match`, `plan`, `plan show`, `plan list` and `plan apply` through the engine.
final class MatchingCommandTests: XCTestCase {
    func testMatchRecordsAProposalAndRepliesItsLinesAndUnmetNeeds() throws {
        let engine = MatchingEngineFixture.standard().engine()
        let outcome = engine.handle(line: "match flood-1", actor: "officer")
        guard let rows = outcome.reply.rowList else { return XCTFail(replyText(outcome.reply)) }
        XCTAssertEqual(outcome.entries.map(\.event.kind), ["plan.proposed"])
        XCTAssertEqual(rows[0]["plan"], "PL-000001")
        XCTAssertEqual(rows[0]["incident"], "flood-1")
        XCTAssertEqual(rows[0]["lines"], "5")
        XCTAssertEqual(rows[0]["unmet"], "0")
        // Water: 60 from the nearer ty-01, 40 from ty-02; two volunteers (not the team's members); the team.
        let lines = rows.dropFirst().map { row in
            [row["line"], row["need"], row["warehouse"] ?? row["volunteer"] ?? row["team"], row["qty"]].map { $0 ?? "-" }.joined(separator: " ")
        }
        XCTAssertEqual(lines, ["1 N-000001 ty-01 60", "2 N-000001 ty-02 40", "3 N-000002 v-1 -", "4 N-000002 v-2 -", "5 N-000003 med-1 -"])
        XCTAssertEqual(rows[1]["distance_km"], "5.6")
        XCTAssertNotNil(rows[1]["cost"])
        XCTAssertEqual(engine.state.plans["PL-000001"]?.lines.count, 5)
        XCTAssertEqual(engine.state.plans["PL-000001"]?.basedOnSeq, outcome.entries[0].seq - 1)
    }

    func testPlanApplyReservesAssignsAndMarksThePlanApplied() throws {
        let engine = MatchingEngineFixture.standard().engine()
        engine.ok("match flood-1")
        let outcome = engine.handle(line: "plan apply", actor: "officer")
        guard let rows = outcome.reply.rowList else { return XCTFail(replyText(outcome.reply)) }
        XCTAssertEqual(outcome.entries.map(\.event.kind),
                       ["plan.applied", "allocation.reserved", "allocation.reserved", "assignment.made", "assignment.made",
                        "assignment.made", "assignment.made"])
        XCTAssertEqual(rows.map { $0["allocation"] ?? $0["assignment"] ?? $0["assignments"] ?? "-" },
                       ["AL-000001", "AL-000002", "AS-000001", "AS-000002", "AS-000003,AS-000004"])
        XCTAssertEqual(engine.state.plans["PL-000001"]?.status, .applied)
        XCTAssertEqual(engine.state.holding(warehouse: "ty-01", lot: "W1")?.available, 0)
        XCTAssertEqual(engine.state.holding(warehouse: "ty-02", lot: "W2")?.available, 60)
        XCTAssertEqual(engine.state.committedAmount(of: "N-000001"), 100)
        XCTAssertEqual(engine.state.committedAmount(of: "N-000003"), 1)
        XCTAssertEqual(engine.state.allocations["AL-000001"]?.plan, "PL-000001")
        XCTAssertEqual(engine.state.invariantViolations(), [])
        let again = engine.refused("plan apply PL-000001", .conflict)
        XCTAssertTrue(again.contains("already applied"), again)
        // Nothing left to match.
        XCTAssertEqual(engine.okFields("match flood-1")["plan"], "none")
    }

    func testPlanApplyByLinesThenTheRest() throws {
        let engine = MatchingEngineFixture.standard().engine()
        engine.ok("match flood-1")
        let first = engine.rows("plan apply PL-000001 lines=2,4-5")
        XCTAssertEqual(first.map { $0["line"] ?? "" }, ["2", "4", "5"])
        XCTAssertEqual(engine.state.plans["PL-000001"]?.status, .proposed)
        XCTAssertEqual(engine.refused("plan apply lines=4", .conflict), "line 4 of plan PL-000001 is already applied")
        XCTAssertEqual(engine.rows("plan apply").map { $0["line"] ?? "" }, ["1", "3"])
        XCTAssertEqual(engine.state.plans["PL-000001"]?.status, .applied)
        let show = engine.rows("plan show")
        XCTAssertEqual(show[0]["status"], "applied")
        XCTAssertEqual(show.dropFirst().map { $0["applied"] ?? "" }, ["yes", "yes", "yes", "yes", "yes"])
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testApplyAfterTheStockWasTakenMeanwhileIsRefusedAndChangesNothing() throws {
        let engine = MatchingEngineFixture.standard().engine()
        engine.ok("match flood-1")
        engine.ok("stock issue ty-01 water 30 lot=W1 to=school")
        let message = engine.refused("plan apply", .conflict)
        XCTAssertEqual(message, "plan PL-000001 no longer holds: line 1 (60 of ty-01/W1 for N-000001): only 30 available in ty-01/W1, "
                       + "the line takes 60; nothing applied; run match flood-1 again")
        // Lines that still hold may be applied on their own.
        engine.ok("plan apply lines=2-5")
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testApplyAfterAVolunteerCheckedInMeanwhileIsRefused() throws {
        let engine = MatchingEngineFixture.standard().engine()
        engine.ok("match flood-1")
        engine.ok("volunteer checkin v-2 incident=elsewhere")
        let message = engine.refused("plan apply", .conflict)
        XCTAssertTrue(message.contains("line 4 (v-2 for N-000002): volunteer v-2 is not available: on duty since"), message)
        XCTAssertTrue(message.hasSuffix("nothing applied; run match flood-1 again"), message)
        // A team member gone: the team line is refused too.
        engine.ok("volunteer checkin m-2")
        XCTAssertTrue(engine.refused("plan apply lines=5", .conflict).contains("team med-1 is not ready"))
    }

    func testAnOlderPlanForTheSameIncidentIsSuperseded() throws {
        let engine = MatchingEngineFixture.standard().engine()
        engine.ok("match flood-1")
        engine.ok("match flood-1")
        XCTAssertEqual(engine.refused("plan apply PL-000001", .conflict),
                       "plan PL-000001 was superseded by PL-000002, proposed later for the same needs; apply PL-000002 (plan show PL-000002) or run match flood-1 again")
        let list = engine.rows("plan list")
        XCTAssertEqual(list.map { "\($0["plan"]!) \($0["status"]!)" }, ["PL-000002 proposed", "PL-000001 superseded"])
        engine.ok("plan apply")
        XCTAssertEqual(engine.state.plans["PL-000002"]?.status, .applied)
    }

    func testPlanCoversEveryIncidentAndUnmetNeedsGetReasons() throws {
        var f = MatchingEngineFixture.standard()
        f.apply(.incidentOpened(Incident(id: "quake-1", title: "Quake", kind: .earthquake, location: Coordinate(latitude: 37.85, longitude: 112.55),
                                         region: "shanxi/taiyuan", severity: 5, affected: 9000, openedAt: december1)))
        let tents = f.need("quake-1", .supply(sku: "tent", quantity: 10), priority: 1)
        let water = f.need("quake-1", .supply(sku: "water", quantity: 100), priority: 3)
        let engine = f.engine()
        let rows = engine.rows("plan")
        XCTAssertEqual(rows[0]["incident"], "all")
        let unmet = Dictionary(uniqueKeysWithValues: rows.filter { $0["reason"] != nil }.map { ($0["need"]!, $0) })
        XCTAssertEqual(unmet[tents]?["reason"], "no stock of tent in any warehouse")
        XCTAssertEqual(unmet[tents]?["missing"], "10")
        XCTAssertEqual(unmet[water]?["missing"], "40")
        XCTAssertTrue(unmet[water]?["reason"]?.hasPrefix("lower priority than competing needs: N-000001 (Flood, priority 1") == true,
                      unmet[water]?["reason"] ?? "")
        XCTAssertEqual(engine.rows("plan show PL-000001"), engine.rows("plan show"))
    }

    func testRefusals() throws {
        let engine = MatchingEngineFixture.standard().engine()
        XCTAssertEqual(engine.refused("match nowhere", .notFound), "incident nowhere not found")
        XCTAssertEqual(engine.refused("plan show", .notFound), "no plan yet; run match INCIDENT or plan")
        XCTAssertEqual(engine.refused("plan apply", .notFound), "no plan yet; run match INCIDENT or plan")
        engine.ok("match flood-1")
        XCTAssertEqual(engine.refused("plan show PL-000009", .notFound), "plan PL-000009 not found; plan list shows the plans")
        for bad in ["0", "6", "3-2", "1,1", "a", "1-", ""] {
            XCTAssertEqual(engine.refused("plan apply lines=\(bad)", .syntax),
                           "bad lines \"\(bad)\"; expected line numbers from 1 to 5 such as 1,3-5", bad)
        }
        engine.refused("match flood-1 extra", .syntax)
    }

    func testOffloadedPlanIsKeptWhenTheStateStillHoldsAndComputedAgainWhenNot() throws {
        let engine = MatchingEngineFixture.standard().engine()
        engine.matchingPolicy.offloadAboveNeeds = 0
        let request = try RequestParser.parse("plan").get()

        // Unchanged state: recorded as computed.
        var deferred = try XCTUnwrap(engine.offload(request, as: .system("officer")))
        guard case .outcome(let kept) = engine.complete(deferred, result: deferred.compute()) else { return XCTFail("expected an outcome") }
        XCTAssertEqual(kept.entries.map(\.event.kind), ["plan.proposed"])

        // An unrelated change meanwhile: every line still holds, so the plan is kept.
        deferred = try XCTUnwrap(engine.offload(request, as: .system("officer")))
        let result = deferred.compute()
        engine.ok("skill add driver name=Driver")
        guard case .outcome(let alsoKept) = engine.complete(deferred, result: result), let rows = alsoKept.reply.rowList else {
            return XCTFail("expected rows")
        }
        XCTAssertEqual(rows[0]["plan"], "PL-000002")

        // The stock a line takes went meanwhile: computed again.
        deferred = try XCTUnwrap(engine.offload(request, as: .system("officer")))
        let stale = deferred.compute()
        engine.ok("stock issue ty-02 water 90 lot=W2")
        guard case .again(let again) = engine.complete(deferred, result: stale) else { return XCTFail("expected to compute again") }
        guard case .outcome(let fresh) = engine.complete(again, result: again.compute()), let freshRows = fresh.reply.rowList else {
            return XCTFail("expected rows")
        }
        XCTAssertEqual(freshRows[0]["plan"], "PL-000003")
        XCTAssertEqual(freshRows.first { $0["need"] == "N-000001" && $0["reason"] != nil }?["missing"], "30")
    }

    /// Found by the simulation: a match computed off the loop while a failed commit made the daemon
    /// reload an older state from the store came back "based on a later state" than the one it
    /// found, and recording it stopped the daemon (the state refuses such a plan). Work computed
    /// before a reload is computed again, on the state the store holds.
    func testOffloadedWorkFromBeforeAReloadIsComputedAgain() throws {
        let engine = MatchingEngineFixture.standard().engine()
        let durable = engine.state
        engine.ok("stock receive ty-01 water 5 lot=LOST")
        let request = try RequestParser.parse("match flood-1").get()
        let deferred = try XCTUnwrap(engine.offload(request, as: .system("officer")))
        let computed = deferred.compute()
        // The commit of the receive failed: the daemon reloads what the store holds.
        engine.reset(to: durable)
        guard case .again(let again) = engine.complete(deferred, result: computed) else {
            return XCTFail("work from before the reload must be computed again")
        }
        guard case .outcome(let outcome) = engine.complete(again, result: again.compute()) else { return XCTFail("expected an outcome") }
        XCTAssertEqual(outcome.entries.map(\.event.kind), ["plan.proposed"])
        let plan = try XCTUnwrap(engine.state.plans.values.first)
        XCTAssertEqual(plan.basedOnSeq, durable.lastSeq)
        XCTAssertFalse(plan.lines.contains { if case .supply(_, _, "LOST", _, _) = $0 { true } else { false } }, "nothing from the lost receive")

        // Reloaded again and again while it runs: the client is told, nothing is recorded.
        var current = try XCTUnwrap(engine.offload(request, as: .system("officer")))
        for _ in 1..<Engine.offloadAttempts {
            engine.reset(to: engine.state)
            guard case .again(let next) = engine.complete(current, result: current.compute()) else { return XCTFail("expected again") }
            current = next
        }
        engine.reset(to: engine.state)
        guard case .outcome(let refused) = engine.complete(current, result: current.compute()) else { return XCTFail("expected an outcome") }
        guard case .error(.conflict, let message) = refused.reply else { return XCTFail("expected CONFLICT: \(refused.reply)") }
        XCTAssertTrue(message.contains("the state changed"), message)
        XCTAssertTrue(refused.entries.isEmpty)
    }

        /// When the state moved so that the request no longer needs the thread — every need it was for
    /// was cancelled meanwhile — the answer is the one the request gets now, not "the state changed".
    func testOffloadedWorkThatNoLongerNeedsTheThreadIsAnsweredOnTheLoop() throws {
        let engine = MatchingEngineFixture.standard().engine()
        let request = try RequestParser.parse("match flood-1").get()
        let deferred = try XCTUnwrap(engine.offload(request, as: .system("officer")))
        let computed = deferred.compute()
        for need in ["N-000001", "N-000002", "N-000003"] { engine.ok("need cancel \(need) reason=duplicate") }
        guard case .outcome(let outcome) = engine.complete(deferred, result: computed) else { return XCTFail("answered at once") }
        XCTAssertEqual(outcome.reply, engine.handle(request, actor: "officer").reply)
        XCTAssertFalse(outcome.reply.isError, "\(outcome.reply)")
        XCTAssertTrue(outcome.entries.isEmpty)
    }

        func testMatchRunsOffTheLoopAndProposesWhatItWouldInline() throws {
        let inline = MatchingEngineFixture.standard().engine()
        let offloaded = MatchingEngineFixture.standard().engine()
        let request = try RequestParser.parse("match flood-1").get()
        XCTAssertNil(inline.offload(try RequestParser.parse("match nowhere").get(), as: .system("officer")),
                     "a refusal is given on the loop")
        let deferred = try XCTUnwrap(offloaded.offload(request, as: .system("officer")),
                                     "match goes off the loop whatever its size")
        guard case .outcome(let outcome) = offloaded.complete(deferred, result: deferred.compute()) else { return XCTFail("expected an outcome") }
        XCTAssertEqual(outcome.entries.map(\.event.kind), ["plan.proposed"])
        XCTAssertEqual(outcome.reply, inline.handle(request, actor: "officer").reply)
        XCTAssertEqual(offloaded.state.plans, inline.state.plans)
    }

    func testPolicyParsing() throws {
        let policy = try MatchingPolicy(parsing: ["cost_per_km": "500", "matching_supply_reach_km": "150km", "people_reach_km": "20",
                                                  "county_penalty": "0", "candidates_per_unit": "5"])
        XCTAssertEqual(policy.costPerKilometre, 500)
        XCTAssertEqual(policy.supplyReachKilometres, 150)
        XCTAssertEqual(policy.peopleReachKilometres, 20)
        XCTAssertEqual(policy.countyCrossingPenalty, 0)
        XCTAssertEqual(policy.candidatesPerUnit, 5)
        XCTAssertEqual(policy.cityCrossingPenalty, MatchingPolicy().cityCrossingPenalty)
        XCTAssertThrowsError(try MatchingPolicy(parsing: ["cost_per_mile": "1"])) { error in
            XCTAssertTrue("\(error)".hasPrefix("unknown matching key \"cost_per_mile\"; expected one of cost_per_km"), "\(error)")
        }
        XCTAssertThrowsError(try MatchingPolicy(parsing: ["cost_per_km": "-1"])) { error in
            XCTAssertEqual("\(error)", "bad value \"-1\" for cost_per_km; expected a whole number from 0 to 100000")
        }
        XCTAssertThrowsError(try MatchingPolicy(parsing: ["supply_reach_km": "far"]))
    }

    func testNewPolicyKeysParseAndRefuseBadValues() throws {
        let policy = try MatchingPolicy(parsing: ["reach_priority_4": "province", "matching_reach_widen_severity": "6", "urgency_window": "90m",
                                                  "share_steps": "10", "reserve_priority": "0", "reserve_severity": "6",
                                                  "reserve_cost": "0", "people_search_km": "50km"])
        XCTAssertEqual(policy.reachByPriority, [.province, .province, .province, .province, .city])
        XCTAssertEqual(policy.widenReachSeverity, 6)
        XCTAssertEqual(policy.urgencyWindowMilliseconds, 90 * 60_000)
        XCTAssertEqual(policy.shareSteps, 10)
        XCTAssertEqual(policy.reservePriority, 0)
        XCTAssertEqual(policy.reserveSeverity, 6)
        XCTAssertEqual(policy.reserveCostPerUnit, 0)
        XCTAssertEqual(policy.peopleSearchKilometres, 50)
        XCTAssertThrowsError(try MatchingPolicy(parsing: ["reach_priority_1": "planet"])) { error in
            XCTAssertEqual("\(error)", "bad value \"planet\" for reach_priority_1; expected one of county, city, province, country")
        }
        XCTAssertThrowsError(try MatchingPolicy(parsing: ["urgency_window": "8d"]))
        XCTAssertThrowsError(try MatchingPolicy(parsing: ["share_steps": "0"]))
        XCTAssertThrowsError(try MatchingPolicy(parsing: ["reserve_severity": "7"]))
    }

    func testPlanTakesReachAndReservesAndRefusesBadOnes() throws {
        var f = MatchingEngineFixture.standard()
        f.apply(.minimumSet(warehouse: "ty-01", sku: "water", quantity: 50))
        // A priority 3 need may not draw on the reserve; the priority 1 need of the fixture may.
        f.need("flood-1", .supply(sku: "water", quantity: 30), priority: 3)                 // N-000004
        let engine = f.engine()
        var rows = engine.rows("plan reserves=keep")
        XCTAssertEqual(rows[0]["reserves"], "keep")
        XCTAssertNil(rows[0]["from_reserve"])
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0["reason"] != nil || $0["from_reserve"] == "no" }, "\(rows)")
        let taken = rows.filter { $0["warehouse"] == "ty-01" }.compactMap { Int($0["qty"] ?? "") }.reduce(0, +)
        XCTAssertEqual(taken, 10, "only what is above ty-01's minimum of 50")
        XCTAssertEqual(engine.state.plans["PL-000001"]?.keepReserves, true)

        rows = engine.rows("plan reach=county")
        XCTAssertEqual(rows[0]["reach"], "county")
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0["tier"] == nil || $0["tier"] == "county" }, "\(rows)")
        XCTAssertFalse(rows.contains { $0["warehouse"] == "ty-02" }, "ty-02 is a city-level warehouse: not in the county")

        rows = engine.rows("plan")
        let reserveRows = rows.filter { $0["from_reserve"] == "yes" }
        XCTAssertFalse(reserveRows.isEmpty, "the priority 1 need draws on ty-01's reserve: \(rows)")
        XCTAssertTrue(reserveRows.allSatisfy { $0["need"] == "N-000001" && $0["warehouse"] == "ty-01" }, "\(reserveRows)")
        XCTAssertEqual(rows[0]["from_reserve"], String(reserveRows.count))

        XCTAssertEqual(engine.refused("plan reach=planet", .syntax), "bad reach \"planet\"; expected one of county, city, province, country")
        XCTAssertEqual(engine.refused("match flood-1 reserves=maybe", .syntax),
                       "bad reserves \"maybe\"; expected use (draw on minimum levels for needs the policy allows) or keep")
    }

    func testApplyRefusesALineThatWouldNowDipIntoAProtectedReserve() throws {
        var f = MatchingEngineFixture.standard()
        f.apply(.minimumSet(warehouse: "ty-01", sku: "water", quantity: 20))
        let engine = f.engine()
        engine.ok("plan reserves=keep")
        let plan = engine.state.plans["PL-000001"]!
        let line = try XCTUnwrap(plan.lines.firstIndex { if case .supply(_, "ty-01", _, _, _) = $0 { true } else { false } }) + 1
        // A keeper issues stock meanwhile: the line would now take ty-01 below its minimum.
        engine.ok("stock issue ty-01 water 20 lot=W1 to=school")
        let message = engine.refused("plan apply", .conflict)
        XCTAssertTrue(message.contains("line \(line) ("), message)
        XCTAssertTrue(message.contains("it would now take ty-01 below its minimum of 20 water (a protected reserve): only 20 above it"), message)
        XCTAssertEqual(engine.state.plans["PL-000001"]?.appliedLines, [])
    }

    func testAPlansReachReservesAndReserveLinesSurviveTheJournalAndSnapshots() throws {
        var plan = Plan(id: "PL-000001", incident: nil, basedOnSeq: 3, createdAt: december1,
                        lines: [.supply(need: "N-000001", warehouse: "ty-01", lot: "W1", quantity: 5, cost: 10),
                                .volunteer(need: "N-000002", volunteer: "v-1", cost: 3)], unmet: [])
        plan.reach = .city
        plan.keepReserves = true
        plan.reserveLines = [1]
        func roundTrip(_ plan: Plan) throws -> Plan {
            let event = Event.planProposed(plan)
            guard case .planProposed(let back) = try Event(kind: event.kind, body: try FlatJSON.decode(event.body.encoded())) else {
                throw Refusal(.internal, "not a plan")
            }
            return back
        }
        let back = try roundTrip(plan)
        XCTAssertEqual(back.reach, .city)
        XCTAssertTrue(back.keepReserves)
        XCTAssertEqual(back.reserveLines, [1])
        // A plan proposed before these fields existed is journaled, and reads, as it was.
        let old = Plan(id: "PL-000002", incident: nil, basedOnSeq: 3, createdAt: december1, lines: plan.lines, unmet: [])
        let oldText = Event.planProposed(old).body.encoded()
        XCTAssertFalse(oldText.contains("reach") || oldText.contains("reserve"), oldText)
        XCTAssertEqual(try roundTrip(old), old)
        // A reserve line that is not a supply line is refused.
        var bad = plan
        bad.reserveLines = [2]
        XCTAssertThrowsError(try roundTrip(bad))
    }
}
