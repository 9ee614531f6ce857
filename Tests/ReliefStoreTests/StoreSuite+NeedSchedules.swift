import Foundation
import XCTest
import ReliefCore
@testable import ReliefStore

/// needs.series, day, days and reach (SQLite schema version 6, PostgreSQL 5).
extension SQLiteStoreUnderTest {
    /// Takes a file back to schema version 5 by dropping what migration 6 added.
    static let dropMigrationSix = """
        DROP INDEX needs_by_series;
        ALTER TABLE needs DROP COLUMN series; ALTER TABLE needs DROP COLUMN day; ALTER TABLE needs DROP COLUMN days;
        ALTER TABLE needs DROP COLUMN reach;
        DELETE FROM schema_version WHERE version >= 6;
        """
}
