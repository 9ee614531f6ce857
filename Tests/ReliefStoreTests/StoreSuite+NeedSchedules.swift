import Foundation
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefStore

/// needs.series, day, days and reach (SQLite schema version 6, PostgreSQL 5): the schedules and
/// reaches the incident scenario gives are projected at commit, changes of reach (to a tier and
/// back to the default) too; a row that lost them is found by the load's check and restored from
/// the journal; a store from before the columns gets them filled when it is upgraded.
extension StoreSuite {
    static let scheduleQuery = "SELECT id, series, day, days, reach, status FROM needs WHERE series IS NOT NULL OR reach IS NOT NULL ORDER BY id"

    static func expectedSchedules(_ state: State) -> [[String?]] {
        state.needs.values.filter { $0.schedule != nil || $0.reach != nil }.sorted { $0.id < $1.id }.map { need in
            [need.id, need.schedule?.series, need.schedule.map { String($0.day) }, need.schedule.map { String($0.days) },
             need.reach?.name, need.status.rawValue]
        }
    }

    func needSchedulesAndReachesAreProjectedAndRepairedOnLoad() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        let engine = try runIncidentScenario(into: journal)
        journal.close()
        let expected = StoreSuite.expectedSchedules(engine.state)
        XCTAssertEqual(expected, [
            ["N-000001", nil, nil, nil, "county", "open"],
            ["N-000008", "N-000008", "1", "3", nil, "open"],
            ["N-000009", "N-000008", "2", "3", "province", "open"],
            ["N-000010", "N-000008", "3", "3", "city", "open"],
            ["N-000011", "N-000011", "1", "2", nil, "cancelled"],
            ["N-000012", "N-000011", "2", "2", nil, "cancelled"],
        ], store.name)
        XCTAssertEqual(try store.rows(StoreSuite.scheduleQuery), expected, store.name)
        XCTAssertEqual(try store.rows("SELECT amount, needed_by FROM needs WHERE series = 'N-000008' ORDER BY day"),
                       ["N-000008", "N-000009", "N-000010"].map { [String(engine.state.needs[$0]!.request.amount),
                                                                     String(engine.state.needs[$0]!.neededBy.milliseconds)] },
                       "\(store.name): each day its own amount and deadline")
        XCTAssertEqual(try store.rows("SELECT COUNT(*) FROM needs WHERE series IS NULL AND day IS NULL AND days IS NULL"),
                       [[String(engine.state.needs.values.filter { $0.schedule == nil }.count)]], "\(store.name): needs on their own have NULL")

        // A reach or a day lost from the table is found by the load's check and restored.
        try store.tamper("UPDATE needs SET reach = NULL WHERE id = 'N-000009'")
        XCTAssertFalse(try store.tablesPassTheLoadCheck(engine.state), store.name)
        try store.tamper("UPDATE needs SET series = NULL, day = NULL, days = NULL WHERE id = 'N-000010'")
        let reopened = store.makeJournal()
        defer { reopened.close() }
        let loaded = try reopened.load()
        XCTAssertEqual(loaded.needSeries, engine.state.needSeries, store.name)
        XCTAssertEqual(loaded.snapshotText(), engine.state.snapshotText(), store.name)
        XCTAssertEqual(try store.rows(StoreSuite.scheduleQuery), expected, store.name)
        XCTAssertTrue(try store.tablesPassTheLoadCheck(engine.state), store.name)
        // The table takes only the tiers there are.
        XCTAssertThrowsError(try store.rows("UPDATE needs SET reach = 'planet' WHERE id = 'N-000001'"), store.name)
    }
}

extension SQLiteStoreUnderTest {
    /// Takes a file back to schema version 5 by dropping what migration 6 added.
    /// Back to version 6: snapshots in parts become one-row snapshots again (group_concat keeps the
    /// subquery's order in SQLite, which is all a fixture needs).
    static let dropMigrationSeven = StoreSuite.dropMigrationEight + """
        UPDATE snapshots SET body = (SELECT group_concat(body, '') FROM
            (SELECT body FROM snapshot_parts p WHERE p.seq = snapshots.seq ORDER BY part)) WHERE parts > 0;
        DROP TABLE snapshot_parts;
        ALTER TABLE snapshots DROP COLUMN parts;
        DELETE FROM schema_version WHERE version >= 7;
        """

    static let dropMigrationSix = dropMigrationSeven + """
        DROP INDEX needs_by_series;
        ALTER TABLE needs DROP COLUMN series; ALTER TABLE needs DROP COLUMN day; ALTER TABLE needs DROP COLUMN days;
        ALTER TABLE needs DROP COLUMN reach;
        DELETE FROM schema_version WHERE version >= 6;
        """

    /// A version 5 file (no schedule or reach columns) whose journal holds them: upgraded in place
    /// at open, and its rows filled from the state at load.
    func versionFiveFileGetsItsSchedulesOnUpgrade() throws {
        try checkUpgrade(fromVersion: 5, downgrade: [SQLiteStoreUnderTest.dropMigrationSix],
                         absent: "SELECT COUNT(*) FROM pragma_table_info('needs') WHERE name IN ('series', 'day', 'days', 'reach')",
                         query: StoreSuite.scheduleQuery, expected: StoreSuite.expectedSchedules)
    }
}

extension PostgresStoreUnderTest {
    /// A database at schema version 4 (no schedule or reach columns) whose journal holds them,
    /// which its trigger projected without them: upgraded at load, its rows filled by the rebuild.
    func versionFourDatabaseGetsItsSchedulesOnUpgrade() throws {
        try checkUpgrade(fromVersion: 4,
                         absent: "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'needs' AND column_name IN ('series', 'day', 'days', 'reach') AND table_schema = current_schema()",
                         need: "N-000008", query: StoreSuite.scheduleQuery, expected: StoreSuite.expectedSchedules)
    }
}
