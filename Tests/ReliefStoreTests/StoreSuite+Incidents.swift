import Foundation
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefStore

/// The incident part of the store suite: an operation with incidents, needs, a plan, reservations,
/// dispatch, delivery, releases (from the shelf and from the road) and assignments through on scene
/// and release commits on the store under test; its tables (the incident tables and the holdings,
/// volunteers and duty log they change) equal the embedded store's row for row, without the repair
/// at load ever being needed.
extension StoreSuite {
    /// A clock the scenario moves on, so hours on scene are not zero.
    final class SteppedClock: @unchecked Sendable {
        // @unchecked: read and moved on the test's thread only.
        var now = StoreSuite.clock
        var clock: Clock { Clock { [self] in self.now } }
    }

    /// Steps of the scenario: hours to move the clock on, then request lines (each committed on its own).
    static let incidentScenario: [(hours: Int64, lines: [String])] = [
        (0, [
            "region add shanxi name=Shanxi level=province",
            "region add shanxi/taiyuan name=Taiyuan",
            #"warehouse add ty-01 name="Taiyuan depot" region=shanxi/taiyuan at=37.87,112.55"#,
            #"warehouse add jz-01 name="Jinzhong depot" region=shanxi at=37.69,112.75"#,
            "item add water-5l name=Water category=water unit=bottle pack=4",
            "item add tent-12 name=Tent category=shelter unit=tent",
            #"skill add first-aid name="First aid" certificate=yes"#,
            #"skill add rope name="Rope rescue" specialty=sar certificate=yes"#,
            #"specialty add sar name="Search and rescue" skills=rope,first-aid"#,
            "stock receive ty-01 water-5l 4000 lot=W1 expires=2027-06-30 donor=Steel",
            "stock receive jz-01 water-5l 900 lot=W2 expires=2027-01-31 supplier=Wahaha",
            "stock receive ty-01 tent-12 60 lot=T1",
            "volunteer add v1 name=v1 region=shanxi/taiyuan at=37.87,112.55 skills=first-aid:3",
            "volunteer add v2 name=v2 region=shanxi/taiyuan at=37.86,112.54 skills=first-aid:3",
            "volunteer add v3 name=v3 region=shanxi/taiyuan at=37.85,112.53 skills=first-aid:2,rope:2",
            "volunteer add v4 name=v4 region=shanxi at=37.70,112.70 skills=first-aid:2,rope:3",
            "volunteer add v5 name=v5 region=shanxi/taiyuan at=37.88,112.56 skills=first-aid:2",
            "volunteer certify v1 first-aid issued=2026-01-01 expires=2027-12-31 issuer=RC",
            "volunteer certify v5 first-aid issued=2026-01-01 expires=2027-12-31 issuer=RC",
            "volunteer certify v2 first-aid issued=2026-01-01 expires=2027-12-31 issuer=RC",
            "volunteer certify v3 first-aid issued=2026-01-01 expires=2027-12-31 issuer=RC",
            "volunteer certify v3 rope issued=2026-01-01 expires=2027-12-31 issuer=RC",
            "volunteer certify v4 first-aid issued=2026-01-01 expires=2027-12-31 issuer=RC",
            "volunteer certify v4 rope issued=2026-01-01 expires=2027-12-31 issuer=RC",
            "volunteer status v2 standby reason=\"on call\" until=2027-01-01",
            #"team add sar-1 name="Taiyuan SAR 1" specialty=sar region=shanxi/taiyuan at=37.8,112.5 leader=v3"#,
            "team member add sar-1 v4",
        ]),
        (0, [
            #"incident open flood title="Taiyuan flash flood" kind=flood at=37.86,112.56 region=shanxi/taiyuan severity=4 affected=1200"#,
            #"incident open quake title="Small quake" kind=earthquake at=37.8,112.5 region=shanxi/taiyuan severity=1"#,
            "need add flood supply water-5l 3000 priority=1 ref=flood-water",
            "need add flood supply tent-12 80 by=2026-09-25",
            "need add flood volunteers first-aid 2 hours=8 note=\"triage, 水\" ref=medics",
            "need add quake supply water-5l 100",
            "need add flood supply tent-12 5 ref=spare-tents",
            "need add flood team sar 1 hours=12 priority=2",
            "allocation reserve N-000001 ty-01 W1 1000",
            "allocation reserve flood-water jz-01 W2 500",
            "allocation reserve N-000001 ty-01 W1 300",
            "allocation dispatch AL-000002 note=\"truck 3\"",
            "allocation dispatch AL-000003",
            "allocation deliver AL-000003",
            "allocation reserve N-000002 ty-01 T1 50",
            "allocation reserve N-000005 ty-01 T1 5",
            "allocation release AL-000005 reason=duplicate",
            "need cancel spare-tents reason=duplicate",
            "assignment add medics v1",
            "assignment enroute AS-000001",
            "assignment onscene AS-000001",
            "assignment add N-000006 sar-1",
            // What is left of flood's needs, from stock and people: a plan, applied whole.
            "match flood",
            "plan apply",
            #"incident update flood affected=1500 note="river rising""#,
            "incident status flood active",
            "need change N-000002 qty=90 priority=2",
            "incident status quake closed",
        ]),
        (5, [
            "assignment release AS-000001",
            #"allocation release AL-000002 reason="road closed""#,
            "assignment onscene AS-000002",
        ]),
        (2, [
            "assignment release AS-000002 reason=rotation",
            "allocation dispatch AL-000001",
            "need add flood supply water-5l 10",
            // The travel-time matrix (schema version 3 on PostgreSQL): set, changed, cleared.
            "travel set ty-01 shanxi/taiyuan 25 both",
            "travel set jz-01 shanxi/taiyuan 90",
            "travel set jz-01 shanxi/taiyuan 75",
            "travel clear shanxi/taiyuan ty-01",
            // Schedules of daily needs and reaches (schema version 6 on SQLite, 5 on PostgreSQL):
            // added, one day changed, reaches set, changed and cleared, a schedule cancelled.
            "need add flood item=tent-12 per_day=10 days=3 by=2026-09-26 reach=city",
            "need add flood supply water-5l per_day=200 days=2 ref=daily-water",
            "need change N-000009 qty=12 reach=province",
            "need change flood-water reach=county",
            "need change N-000008 reach=default",
            "allocation reserve daily-water-d1 ty-01 W1 50",
            "need cancel daily-water-d2 series=all reason=\"water main repaired\"",
        ]),
    ]

    /// The incident tables and what they change, as text rows both backends print alike.
    static let incidentTableQueries = [
        "SELECT \(SQLiteIncidentProjector.incidentColumns) FROM incidents ORDER BY id",
        "SELECT \(SQLiteIncidentProjector.needColumns) FROM needs ORDER BY id",
        "SELECT \(SQLiteIncidentProjector.planColumns) FROM plans ORDER BY id",
        "SELECT \(SQLiteIncidentProjector.allocationColumns) FROM allocations ORDER BY id",
        "SELECT \(SQLiteIncidentProjector.assignmentColumns) FROM assignments ORDER BY id",
        "SELECT need, incident, incident_title, type, what, amount, priority, needed_by, met, in_transit, delivered FROM open_needs",
        "SELECT region, sku, on_hand, reserved, available FROM stock_by_region ORDER BY region, sku",
        "SELECT origin, destination, minutes FROM travel_times ORDER BY origin, destination",
    ] + tableQueries

    /// Runs the scenario into `journal` with the clock moving as it says; fails on a refusal.
    func runIncidentScenario(into journal: Journal) throws -> Engine {
        let time = SteppedClock()
        let engine = Engine(state: State(), clock: time.clock)
        for step in StoreSuite.incidentScenario {
            time.now.milliseconds += step.hours * 3_600_000
            try run(engine, step.lines, into: journal)
        }
        return engine
    }

    func incidentTables() throws -> [[[String?]]] { try StoreSuite.incidentTableQueries.map { try store.rows($0) } }

    func incidentScenarioTablesMatchTheEmbeddedStore() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        let engine = try runIncidentScenario(into: journal)
        journal.close()
        let state = engine.state
        XCTAssertEqual(state.invariantViolations(), [], store.name)

        // The scenario reached every state it is meant to.
        XCTAssertEqual(Set(state.allocations.values.map(\.status)), [.reserved, .dispatched, .delivered, .released], store.name)
        XCTAssertEqual(Set(state.assignments.values.map(\.status)), [.assigned, .released], store.name)
        XCTAssertTrue(state.allocations.values.contains { $0.plan != nil }, "\(store.name): the plan reserved nothing")
        XCTAssertTrue(state.assignments.values.contains { $0.plan != nil }, "\(store.name): the plan assigned nobody")
        XCTAssertTrue(state.assignments.values.contains { $0.hoursMilliseconds == 5 * 3_600_000 }, store.name)
        XCTAssertEqual(state.plans.values.map(\.status), [.applied], store.name)
        XCTAssertEqual(state.travelEntryCount, 2, store.name)

        // The commits kept the tables right: the load's check has nothing to repair.
        XCTAssertTrue(try store.tablesPassTheLoadCheck(state), "\(store.name): tables drifted from the state they were committed with")
        // Every move the state recorded, dispatches and a return from the road among them, is a row.
        XCTAssertEqual(Set(state.moves.map(\.kind)), [.received, .dispatched, .returned], store.name)
        XCTAssertEqual(try store.rows("SELECT \(StoreSuite.moveColumns) FROM stock_moves ORDER BY seq, n"), StoreSuite.moveRows(state), store.name)

        let reopened = store.makeJournal()
        defer { reopened.close() }
        let loaded = try reopened.load()
        XCTAssertEqual(loaded.snapshotText(), state.snapshotText(), store.name)
        XCTAssertTrue(try store.tablesPassTheLoadCheck(loaded), store.name)

        // Row for row what the embedded store holds after the same operation.
        let reference = try SQLiteStoreUnderTest()
        defer { reference.cleanUp() }
        let referenceJournal = reference.makeJournal()
        _ = try referenceJournal.load()
        let referenceEngine = try StoreSuite(store: reference).runIncidentScenario(into: referenceJournal)
        referenceJournal.close()
        XCTAssertEqual(referenceEngine.state.snapshotText(), state.snapshotText(), "the scenario is not deterministic")
        let expected = try StoreSuite(store: reference).incidentTables()
        let found = try incidentTables()
        for (index, query) in StoreSuite.incidentTableQueries.enumerated() {
            XCTAssertEqual(found[index], expected[index], "\(store.name): \(query)")
        }

        // Spot checks against the reference semantics (State.applyIncident).
        XCTAssertEqual(try store.rows("SELECT on_hand, reserved FROM holdings WHERE warehouse = 'jz-01' AND lot = 'W2'").first,
                       [String(state.stock["jz-01"]!["water-5l"]!.lots["W2"]!.onHand),
                        String(state.stock["jz-01"]!["water-5l"]!.lots["W2"]!.reserved)], store.name)
        XCTAssertEqual(try store.rows("SELECT status, status_reason, on_duty_since FROM volunteers WHERE id = 'v1'").first,
                       ["available", nil, nil], store.name)
        XCTAssertEqual(try store.rows("SELECT COUNT(*) FROM duty_log WHERE incident = 'flood'").first, ["2"], store.name)
        XCTAssertEqual(try store.rows("SELECT need FROM open_needs").map { $0[0] }, state.openNeeds().map { Optional($0.id) }, store.name)
    }
}

extension StoreSuite {
    /// Hand edits of the incident tables are found by the load's check and repaired from the journal.
    func driftedIncidentTablesAreRebuiltOnLoad() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        let engine = try runIncidentScenario(into: journal)
        journal.close()
        let before = try incidentTables()
        try store.tamper("DELETE FROM assignments WHERE status = 'released'")
        try store.tamper("UPDATE allocations SET status = 'reserved' WHERE status = 'dispatched'")
        try store.tamper("UPDATE travel_times SET minutes = 60")
        XCTAssertFalse(try store.tablesPassTheLoadCheck(engine.state), store.name)
        try store.tamper("DELETE FROM stock_moves WHERE kind IN ('returned', 'dispatched')")

        let reopened = store.makeJournal()
        defer { reopened.close() }
        _ = try reopened.load()
        XCTAssertEqual(try incidentTables(), before, store.name)
        XCTAssertTrue(try store.tablesPassTheLoadCheck(engine.state), store.name)
    }
}

/// PostgreSQL only: the projection done by reliefd_rebuild() equals the one done entry by entry at
/// commit, and a database at schema version 1 whose journal already holds incident entries gets
/// the incident tables filled when it is upgraded.
extension PostgresStoreUnderTest {
    func rebuildFromTheJournalGivesTheCommittedTables() throws {
        let suite = StoreSuite(store: self)
        let journal = makeJournal()
        _ = try journal.load()
        let engine = try suite.runIncidentScenario(into: journal)
        journal.close()
        let committed = try suite.incidentTables()
        XCTAssertEqual(try rows("SELECT reliefd_rebuild()"), [[String(engine.state.lastSeq)]])
        XCTAssertEqual(try suite.incidentTables(), committed)
        XCTAssertTrue(try tablesPassTheLoadCheck(engine.state))
    }

    func versionOneDatabaseGetsItsIncidentTablesOnUpgrade() throws {
        // The reference operation in SQLite; its journal rows are copied as they are.
        let reference = try SQLiteStoreUnderTest()
        defer { reference.cleanUp() }
        let referenceJournal = reference.makeJournal()
        _ = try referenceJournal.load()
        let engine = try StoreSuite(store: reference).runIncidentScenario(into: referenceJournal)
        referenceJournal.close()

        // A database as a reliefd of schema version 1 left it: incident entries in the journal, ignored by its projection.
        let writer = PostgresJournal(url: url, logger: logger)
        defer { writer.close() }
        _ = try writer.query("BEGIN")
        for statement in PostgresSchema.migrations[0] { _ = try writer.query(statement) }
        _ = try writer.query("CREATE TABLE schema_version (version bigint PRIMARY KEY, applied_at bigint NOT NULL)")
        _ = try writer.query("INSERT INTO schema_version (version, applied_at) VALUES (1, 0)")
        for row in try reference.rows("SELECT \(PostgresStore.journalColumns) FROM journal ORDER BY seq") {
            _ = try writer.query(PostgresStore.appendSQL, row)
        }
        _ = try writer.query("COMMIT")
        XCTAssertEqual(try rows("SELECT to_regclass('incidents') IS NULL, SUM(reserved) FROM holdings"), [["t", "0"]],
                       "version 1 has no incident tables and its projection ignores reservations")

        let upgraded = makeJournal()
        defer { upgraded.close() }
        XCTAssertEqual(try upgraded.load().snapshotText(), engine.state.snapshotText())
        XCTAssertEqual(try rows("SELECT MAX(version) FROM schema_version"), [[String(PostgresSchema.latestVersion)]])
        XCTAssertTrue(try tablesPassTheLoadCheck(engine.state))
        XCTAssertEqual(try StoreSuite(store: self).incidentTables(), try StoreSuite(store: reference).incidentTables())
    }
}
