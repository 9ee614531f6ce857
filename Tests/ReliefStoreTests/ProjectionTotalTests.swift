import XCTest
@testable import ReliefStore

/// The load check's totals never overflow, in Swift or in SQLite, and the two agree — with
/// quantities whose plain sum is far past Int64.
final class ProjectionTotalTests: XCTestCase {
    func testTotalsPastInt64AgreeBetweenSwiftAndSQLiteWithoutTrapping() throws {
        let values: [Int64] = Array(repeating: 1_000_000_000_000, count: 20_000) + [Int64.max, Int64.max - 1, 0, 7]
        let swift = ProjectionTotal.of(values)
        XCTAssertTrue((0..<ProjectionTotal.modulus).contains(swift))

        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (q INTEGER NOT NULL)")
        let insert = try connection.prepare("INSERT INTO t (q) VALUES (?1)")
        for value in values {
            insert.bind(1, value)
            _ = try insert.step()
            insert.reset()
        }
        insert.finalize()
        // A plain SUM overflows: SQLite refuses it, which at load would stop the daemon.
        let plain = try connection.prepare("SELECT SUM(q) FROM t")
        XCTAssertThrowsError(try plain.step())
        plain.finalize()
        let total = try connection.prepare("SELECT \(ProjectionTotal.sql("q")) FROM t")
        defer { total.finalize() }
        XCTAssertTrue(try total.step())
        XCTAssertEqual(total.int64(0), swift)
        // One unit of drift shows.
        XCTAssertNotEqual(ProjectionTotal.of(values + [1]), swift)
    }
}
