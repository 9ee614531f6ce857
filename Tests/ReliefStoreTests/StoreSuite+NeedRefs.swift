import Foundation
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefStore

/// needs.ref (SQLite schema version 5, PostgreSQL 4): the refs the incident scenario gives are
/// projected at commit, unique in the table too, found missing by the load's check and restored
/// from the journal; a database from before the column gets it filled when it is upgraded.
extension StoreSuite {
    static let refQuery = "SELECT id, ref FROM needs WHERE ref IS NOT NULL ORDER BY id"

    static func expectedRefs(_ state: State) -> [[String?]] {
        state.needs.values.filter { $0.ref != nil }.sorted { $0.id < $1.id }.map { [$0.id, $0.ref] }
    }

    func needRefsAreProjectedAndRepairedOnLoad() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        let engine = try runIncidentScenario(into: journal)
        journal.close()
        let expected = StoreSuite.expectedRefs(engine.state)
        XCTAssertEqual(expected, [["N-000001", "flood-water"], ["N-000003", "medics"], ["N-000005", "spare-tents"],
                                  ["N-000011", "daily-water-d1"], ["N-000012", "daily-water-d2"]], store.name)
        XCTAssertEqual(try store.rows(StoreSuite.refQuery), expected, store.name)
        XCTAssertEqual(try store.rows("SELECT COUNT(*) FROM needs WHERE ref IS NULL"),
                       [[String(engine.state.needs.count - expected.count)]], "\(store.name): needs without a ref have NULL")
        XCTAssertEqual(try store.rows("SELECT status FROM needs WHERE ref = 'spare-tents'"), [["cancelled"]],
                       "\(store.name): a cancelled need keeps its ref")

        // The table holds a ref once, as the state does.
        XCTAssertThrowsError(try store.rows("UPDATE needs SET ref = 'flood-water' WHERE id = 'N-000002'"), store.name)

        // A ref lost from the table (and only that) is found by the load's check and restored.
        try store.tamper("UPDATE needs SET ref = NULL WHERE ref = 'medics'")
        XCTAssertFalse(try store.tablesPassTheLoadCheck(engine.state), store.name)
        let reopened = store.makeJournal()
        defer { reopened.close() }
        XCTAssertEqual(try reopened.load().needByRef, engine.state.needByRef, store.name)
        XCTAssertEqual(try store.rows(StoreSuite.refQuery), expected, store.name)
        XCTAssertTrue(try store.tablesPassTheLoadCheck(engine.state), store.name)
    }
}

extension SQLiteStoreUnderTest {
    /// A version 4 file (no needs.ref) whose journal holds refs: upgraded in place at open, and its
    /// rows filled from the state at load.
    func versionFourFileGetsItsRefsOnUpgrade() throws {
        let suite = StoreSuite(store: self)
        let journal = makeJournal()
        _ = try journal.load()
        let engine = try suite.runIncidentScenario(into: journal)
        journal.close()
        let tables = try suite.incidentTables()

        // Taken back to version 4 by dropping what migration 5 added.
        let db = try SQLiteConnection(path: path)
        try db.execute(SQLiteStoreUnderTest.dropMigrationSix)
        try db.execute("DROP INDEX needs_by_ref; ALTER TABLE needs DROP COLUMN ref; DELETE FROM schema_version WHERE version >= 5")
        db.close()
        XCTAssertEqual(try rows("SELECT MAX(version) FROM schema_version"), [["4"]])
        XCTAssertEqual(try rows("SELECT COUNT(*) FROM pragma_table_info('needs') WHERE name = 'ref'"), [["0"]])

        let upgraded = makeJournal()
        defer { upgraded.close() }
        XCTAssertEqual(try upgraded.load().snapshotText(), engine.state.snapshotText())
        XCTAssertEqual(try rows("SELECT MAX(version) FROM schema_version"), [[String(SQLiteSchema.latestVersion)]])
        XCTAssertEqual(try rows(StoreSuite.refQuery), StoreSuite.expectedRefs(engine.state))
        XCTAssertEqual(try suite.incidentTables(), tables)
        XCTAssertTrue(try tablesPassTheLoadCheck(engine.state))
    }
}

extension PostgresStoreUnderTest {
    /// A database at schema version 3 (no needs.ref) whose journal holds refs, which its trigger
    /// projected without them: upgraded at load, its rows filled by the rebuild.
    func versionThreeDatabaseGetsItsRefsOnUpgrade() throws {
        let reference = try SQLiteStoreUnderTest()
        defer { reference.cleanUp() }
        let referenceJournal = reference.makeJournal()
        _ = try referenceJournal.load()
        let engine = try StoreSuite(store: reference).runIncidentScenario(into: referenceJournal)
        referenceJournal.close()

        let writer = PostgresJournal(url: url, logger: logger)
        defer { writer.close() }
        _ = try writer.query("BEGIN")
        _ = try writer.query("CREATE TABLE schema_version (version bigint PRIMARY KEY, applied_at bigint NOT NULL)")
        for version in 1...3 {
            for statement in PostgresSchema.migrations[version - 1] { _ = try writer.query(statement) }
            _ = try writer.query("INSERT INTO schema_version (version, applied_at) VALUES (\(version), 0)")
        }
        for row in try reference.rows("SELECT \(PostgresStore.journalColumns) FROM journal ORDER BY seq") {
            _ = try writer.query(PostgresStore.appendSQL, row)
        }
        _ = try writer.query("COMMIT")
        XCTAssertEqual(try rows("SELECT COUNT(*), COUNT(*) FILTER (WHERE id = 'N-000001') FROM needs"),
                       [[String(engine.state.needs.count), "1"]], "version 3 projects the needs, without their refs")
        XCTAssertEqual(try rows("SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'needs' AND column_name = 'ref' AND table_schema = current_schema()"),
                       [["0"]])

        let upgraded = makeJournal()
        defer { upgraded.close() }
        XCTAssertEqual(try upgraded.load().snapshotText(), engine.state.snapshotText())
        XCTAssertEqual(try rows("SELECT MAX(version) FROM schema_version"), [[String(PostgresSchema.latestVersion)]])
        XCTAssertEqual(try rows(StoreSuite.refQuery), StoreSuite.expectedRefs(engine.state))
        XCTAssertTrue(try tablesPassTheLoadCheck(engine.state))
        XCTAssertEqual(try StoreSuite(store: self).incidentTables(), try StoreSuite(store: reference).incidentTables())
    }
}
