import XCTest
import ReliefCore
@testable import ReliefStore

/// The stock_moves table (SQLite schema version 8, PostgreSQL 6): each move State.apply records is
/// a row, written in the commit's transaction; a store from before it gets the rows at its first
/// load (SQLite from the state, PostgreSQL by the rebuild from the journal).
extension StoreSuite {
    /// Back to SQLite version 7.
    static let dropMigrationEight = """
        DROP TABLE stock_moves;
        DELETE FROM schema_version WHERE version >= 8;
        """

    static var moveQuery: String { "SELECT \(moveColumns) FROM stock_moves ORDER BY seq, n" }
}

extension SQLiteStoreUnderTest {
    func versionSevenFileGetsItsStockMovesOnUpgrade() throws {
        try checkUpgrade(fromVersion: 7, downgrade: [StoreSuite.dropMigrationEight],
                         absent: "SELECT COUNT(*) FROM sqlite_master WHERE name = 'stock_moves'",
                         query: StoreSuite.moveQuery, expected: StoreSuite.moveRows)
    }
}

extension PostgresStoreUnderTest {
    func versionFiveDatabaseGetsItsStockMovesOnUpgrade() throws {
        try checkUpgrade(fromVersion: 5,
                         absent: "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'stock_moves' AND table_schema = current_schema()",
                         need: "N-000008", query: StoreSuite.moveQuery, expected: StoreSuite.moveRows)
    }
}
