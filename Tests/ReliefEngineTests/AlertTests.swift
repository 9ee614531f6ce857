import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// Every kind of alert raised once when its condition becomes true — by a change or by the time
/// passing — and cleared when it stops; kept by the journal and the snapshot.
final class AlertTests: XCTestCase {
    var clock = ManualClock(december1)
    var journal: [Entry] = []
    var fixture = ""

    func engine() throws -> Engine {
        clock = ManualClock(december1)
        journal = []
        let engine = try Engine.rosterFixture(clock: clock)
        fixture = engine.state.snapshotText()
        engine.alertThresholds.deliveryMinutes = 120
        engine.alertThresholds.planMinutes = 30
        _ = evaluate(engine) // the first look, at everything: nothing holds yet
        return engine
    }

    /// A request, as the server runs it: its entries are journaled and shown to the monitor.
    func run(_ engine: Engine, _ line: String, file: StaticString = #filePath, lineNumber: UInt = #line) {
        let outcome = engine.handle(line: line, actor: "officer")
        if case .error(let code, let message) = outcome.reply { XCTFail("\(line) → ERR \(code.rawValue) \(message)", file: file, line: lineNumber) }
        journal += outcome.entries
        engine.alertMonitor.touched(by: outcome.entries, in: engine.state)
    }

    /// One look, as the server's tick does: what was raised (`+KIND SUBJECT`) and cleared (`-KIND SUBJECT`).
    func evaluate(_ engine: Engine) -> [String] {
        let before = engine.state.alerts
        let entries = engine.evaluateAlerts()
        journal += entries
        return entries.compactMap { entry in
            switch entry.event {
            case .alertRaised(let alert): "+\(alert.kind.rawValue) \(alert.subject)"
            case .alertCleared(let id, _): before[id].map { "-\($0.kind.rawValue) \($0.subject)" }
            default: nil
            }
        }
    }

    func testStockBelowItsMinimumIsRaisedOnceAndClearedWhenRestocked() throws {
        let engine = try engine()
        run(engine, "stock min ty-01 water-5l 100")
        XCTAssertEqual(evaluate(engine), ["+stock_low ty-01:water-5l"], "a minimum with no stock at all is low")
        XCTAssertEqual(evaluate(engine), [], "raised once")
        run(engine, "stock receive ty-01 water-5l 80 lot=W1")
        XCTAssertEqual(evaluate(engine), [], "still low: the alert stays")
        run(engine, "stock receive ty-01 water-5l 50 lot=W2")
        XCTAssertEqual(evaluate(engine), ["-stock_low ty-01:water-5l"])
        run(engine, "stock issue ty-01 water-5l 40")
        XCTAssertEqual(evaluate(engine), ["+stock_low ty-01:water-5l"], "low again: a new alert")
        XCTAssertEqual(engine.state.alertList.first?.message, "Taiyuan depot (ty-01): 90 bottle of water-5l available, below the minimum of 100")
        run(engine, "stock min ty-01 water-5l 0")
        XCTAssertEqual(evaluate(engine), ["-stock_low ty-01:water-5l"], "minimum cleared")
    }

    func testStockThatCanHoldNoAlertIsNotMarkedForALook() throws {
        let engine = try engine()
        // No minimum for tents in ty-01 and no expiry date: nothing for the next look to check.
        run(engine, "stock receive ty-01 tent-12 30 lot=T1")
        run(engine, "stock issue ty-01 tent-12 5")
        run(engine, "stock transfer ty-01 dt-01 tent-12 5 lot=T1")
        XCTAssertEqual(engine.alertMonitor.subjects, [:])
        // A minimum, and a lot that expires: each marks its subject.
        run(engine, "stock min ty-01 tent-12 50")
        run(engine, "stock receive ty-01 water-5l 10 lot=W9 expires=2027-03-01")
        run(engine, "stock issue ty-01 tent-12 1")
        XCTAssertEqual(engine.alertMonitor.subjects[.stockLow], ["ty-01:tent-12"])
        XCTAssertEqual(engine.alertMonitor.subjects[.lotExpiring], ["ty-01:W9"])
        XCTAssertEqual(evaluate(engine), ["+stock_low ty-01:tent-12"])
    }

    func testLotsExpiringAreRaisedWhenReceivedOrWhenTheDayComesAndClearedWhenEmptied() throws {
        let engine = try engine()
        run(engine, "stock receive ty-01 water-5l 200 lot=SOON expires=2026-12-20")
        run(engine, "stock receive jz-01 water-5l 200 lot=LATER expires=2027-01-15")
        XCTAssertEqual(evaluate(engine), ["+lot_expiring ty-01:SOON"])
        run(engine, "stock transfer ty-01 dt-01 water-5l 50 lot=SOON")
        XCTAssertEqual(evaluate(engine), ["+lot_expiring dt-01:SOON"], "the part moved is alerted where it is now")
        clock.advance(hours: 24 * 16) // 2026-12-17: LATER is 29 days out
        XCTAssertEqual(evaluate(engine), ["+lot_expiring jz-01:LATER"], "raised by the day coming, with no change")
        run(engine, "stock issue ty-01 water-5l 150 lot=SOON")
        XCTAssertEqual(evaluate(engine), ["-lot_expiring ty-01:SOON"])
        XCTAssertEqual(engine.state.alerts.values.first { $0.subject == "dt-01:SOON" }?.kind, .lotExpiring)
    }

    func testTeamMembersCertificationsExpiring() throws {
        let engine = try engine()
        run(engine, "volunteer add v1 name=\"Wang Wei\" region=shanxi/taiyuan at=37.87,112.55 skills=first-aid:3")
        run(engine, "volunteer add v2 name=\"Li Na\" region=shanxi/taiyuan at=37.87,112.55 skills=first-aid:3")
        run(engine, "volunteer certify v1 first-aid issued=2026-01-01 expires=2027-01-20 issuer=RC")
        run(engine, "volunteer certify v2 first-aid issued=2026-01-01 expires=2026-12-10 issuer=RC")
        XCTAssertEqual(evaluate(engine), [], "not team members")
        run(engine, "team add t1 name=\"Team 1\" specialty=medical region=shanxi/taiyuan at=37.8,112.5")
        run(engine, "team member add t1 v1")
        run(engine, "team member add t1 v2")
        XCTAssertEqual(evaluate(engine), ["+certification_expiring v2:first-aid"])
        clock.advance(hours: 24 * 22) // 2026-12-23: v1's is 28 days out
        XCTAssertEqual(evaluate(engine), ["+certification_expiring v1:first-aid"])
        run(engine, "volunteer certify v1 first-aid issued=2026-12-23 expires=2028-12-23 issuer=RC")
        run(engine, "team member remove t1 v2")
        XCTAssertEqual(evaluate(engine).sorted(), ["-certification_expiring v1:first-aid", "-certification_expiring v2:first-aid"],
                       "renewed; and no longer a member")
    }

    func testNeedPastItsDeadlineAndNotDelivered() throws {
        let engine = try engine()
        engine.alertThresholds.deliveryMinutes = 600
        run(engine, "stock receive ty-01 water-5l 500 lot=W1")
        run(engine, "incident open flood title=Flood kind=flood at=37.86,113.58 region=shanxi/taiyuan severity=3")
        run(engine, "need add flood supply water-5l 300 by=2026-12-01T10:00Z")
        run(engine, "allocation reserve N-000001 ty-01 W1 300")
        run(engine, "allocation dispatch AL-000001")
        XCTAssertEqual(evaluate(engine), [])
        clock.advance(hours: 1)
        XCTAssertEqual(evaluate(engine), [], "09:00, not yet due")
        clock.advance(hours: 1)
        XCTAssertEqual(evaluate(engine), ["+need_overdue N-000001"], "raised by the deadline passing")
        XCTAssertTrue(engine.state.alertList[0].message.contains("in transit 300"), engine.state.alertList[0].message)
        run(engine, "allocation deliver AL-000001")
        XCTAssertEqual(evaluate(engine), ["-need_overdue N-000001"])
    }

    func testDispatchNotDeliveredInTime() throws {
        let engine = try engine()
        run(engine, "stock receive ty-01 water-5l 500 lot=W1")
        run(engine, "incident open flood title=Flood kind=flood at=37.86,113.58 region=shanxi/taiyuan severity=3")
        run(engine, "need add flood supply water-5l 300 by=2026-12-05T10:00Z")
        run(engine, "allocation reserve N-000001 ty-01 W1 300")
        run(engine, "allocation dispatch AL-000001")
        clock.advance(hours: 1)
        XCTAssertEqual(evaluate(engine), [])
        clock.advance(hours: 1)
        XCTAssertEqual(evaluate(engine), ["+delivery_late AL-000001"], "120 minutes after dispatch")
        run(engine, "allocation release AL-000001 reason=\"truck broke down\"")
        XCTAssertEqual(evaluate(engine), ["-delivery_late AL-000001"])
    }

    func testVolunteerOverDutyHours() throws {
        let engine = try engine()
        run(engine, "volunteer add v1 name=\"Wang Wei\" region=shanxi/taiyuan at=37.87,112.55 skills=first-aid:3 max_hours=4")
        run(engine, "volunteer checkin v1")
        XCTAssertEqual(evaluate(engine), [])
        clock.advance(hours: 4)
        XCTAssertEqual(evaluate(engine), [], "at the limit, not over it")
        clock.now.milliseconds += 60_000
        XCTAssertEqual(evaluate(engine), ["+duty_hours v1"])
        run(engine, "volunteer checkout v1")
        XCTAssertEqual(evaluate(engine), ["-duty_hours v1"])
        XCTAssertEqual(engine.state.onDuty, [])
    }

    func testNewestPlanLeftUnapplied() throws {
        let engine = try engine()
        run(engine, "stock receive ty-01 water-5l 500 lot=W1")
        run(engine, "incident open flood title=Flood kind=flood at=37.86,113.58 region=shanxi/taiyuan severity=3")
        run(engine, "need add flood supply water-5l 300")
        run(engine, "match flood")
        clock.now.milliseconds += 31 * 60_000
        XCTAssertEqual(evaluate(engine), ["+plan_unapplied PL-000001"])
        run(engine, "match flood")
        XCTAssertEqual(evaluate(engine), ["-plan_unapplied PL-000001"], "superseded by a newer plan, not yet old")
        clock.now.milliseconds += 31 * 60_000
        XCTAssertEqual(evaluate(engine), ["+plan_unapplied PL-000002"])
        run(engine, "plan apply PL-000002")
        XCTAssertEqual(evaluate(engine), ["-plan_unapplied PL-000002"])
        // A plan over every open need supersedes the incidents' own.
        run(engine, "need add flood supply water-5l 100")
        run(engine, "match flood")
        clock.now.milliseconds += 31 * 60_000
        XCTAssertEqual(evaluate(engine), ["+plan_unapplied PL-000003"])
        run(engine, "plan")
        XCTAssertEqual(evaluate(engine), ["-plan_unapplied PL-000003"])
    }

    func testAcknowledgedAlertsAreKeptByTheJournalAndTheSnapshot() throws {
        let engine = try engine()
        run(engine, "stock min ty-01 water-5l 100")
        run(engine, "stock min jz-01 water-5l 100")
        XCTAssertEqual(evaluate(engine).count, 2)
        let id = engine.state.alertList[0].id
        run(engine, "alert ack \(id) note=\"truck ordered\"")
        XCTAssertEqual(engine.refused("alert ack \(id)", .conflict).contains("already acknowledged by officer"), true)
        XCTAssertTrue(engine.refused("alert ack A-000099", .notFound).contains("not raised"))
        let listed = engine.rows("alert list acknowledged=yes")
        XCTAssertEqual(listed.map { $0["alert"] }, [id])
        XCTAssertEqual(listed.first?["acknowledged_by"], "officer")
        engine.refused("alert list kind=flood", .syntax)

        var replayed = try State(snapshotText: fixture)
        try replayed.apply(journal)
        XCTAssertEqual(replayed.alerts, engine.state.alerts, "the journal alone rebuilds the alerts")
        let reloaded = try State(snapshotText: engine.state.snapshotText())
        XCTAssertEqual(reloaded.alerts, engine.state.alerts)
        XCTAssertEqual(reloaded.nextAlertID, engine.state.nextAlertID)
        XCTAssertEqual(reloaded.snapshotText(), engine.state.snapshotText())
    }
}
