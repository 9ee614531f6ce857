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
        try checkUpgrade(fromVersion: 4, downgrade: [SQLiteStoreUnderTest.dropMigrationSix,
                                                     "DROP INDEX needs_by_ref; ALTER TABLE needs DROP COLUMN ref; DELETE FROM schema_version WHERE version >= 5"],
                         absent: "SELECT COUNT(*) FROM pragma_table_info('needs') WHERE name = 'ref'",
                         query: StoreSuite.refQuery, expected: StoreSuite.expectedRefs)
    }
}

extension PostgresStoreUnderTest {
    /// A database at schema version 3 (no needs.ref) whose journal holds refs, which its trigger
    /// projected without them: upgraded at load, its rows filled by the rebuild.
    func versionThreeDatabaseGetsItsRefsOnUpgrade() throws {
        try checkUpgrade(fromVersion: 3,
                         absent: "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'needs' AND column_name = 'ref' AND table_schema = current_schema()",
                         need: "N-000001", query: StoreSuite.refQuery, expected: StoreSuite.expectedRefs)
    }
}
