import Foundation
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefStore

/// How a store from before a column of the needs table gets it: the incident scenario's journal in
/// a store at an older schema version, which projected its rows without the column; opened by this
/// version, the store is upgraded and the column filled from the journal, so `query` gives what
/// `expected` says of the state and the tables are as a store made at this version has them.
extension SQLiteStoreUnderTest {
    /// `downgrade` takes the file back to `version` by dropping what the later migrations added;
    /// `absent` counts the columns it dropped (0 once dropped).
    func checkUpgrade(fromVersion version: Int, downgrade: [String], absent: String, query: String,
                      expected: (State) -> [[String?]], file: StaticString = #filePath, line: UInt = #line) throws {
        let suite = StoreSuite(store: self)
        let journal = makeJournal()
        _ = try journal.load()
        let engine = try suite.runIncidentScenario(into: journal)
        journal.close()
        let tables = try suite.incidentTables()

        let db = try SQLiteConnection(path: path)
        for statements in downgrade { try db.execute(statements) }
        db.close()
        XCTAssertEqual(try rows("SELECT MAX(version) FROM schema_version"), [[String(version)]], file: file, line: line)
        XCTAssertEqual(try rows(absent), [["0"]], "version \(version) has none of the columns", file: file, line: line)

        let upgraded = makeJournal()
        defer { upgraded.close() }
        XCTAssertEqual(try upgraded.load().snapshotText(), engine.state.snapshotText(), file: file, line: line)
        XCTAssertEqual(try rows("SELECT MAX(version) FROM schema_version"), [[String(SQLiteSchema.latestVersion)]], file: file, line: line)
        XCTAssertEqual(try rows(query), expected(engine.state), file: file, line: line)
        XCTAssertEqual(try suite.incidentTables(), tables, file: file, line: line)
        XCTAssertTrue(try tablesPassTheLoadCheck(engine.state), file: file, line: line)
    }
}

extension PostgresStoreUnderTest {
    /// A database made by the migrations up to `version`, given the journal a SQLite store wrote
    /// for the scenario (its trigger projects the needs, `need` among them, without the columns
    /// `absent` counts).
    func checkUpgrade(fromVersion version: Int, absent: String, need: String, query: String,
                      expected: (State) -> [[String?]], file: StaticString = #filePath, line: UInt = #line) throws {
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
        for migration in 1...version {
            for statement in PostgresSchema.migrations[migration - 1] { _ = try writer.query(statement) }
            _ = try writer.query("INSERT INTO schema_version (version, applied_at) VALUES (\(migration), 0)")
        }
        for row in try reference.rows("SELECT \(PostgresStore.journalColumns) FROM journal ORDER BY seq") {
            _ = try writer.query(PostgresStore.appendSQL, row)
        }
        _ = try writer.query("COMMIT")
        XCTAssertEqual(try rows("SELECT COUNT(*), COUNT(*) FILTER (WHERE id = '\(need)') FROM needs"),
                       [[String(engine.state.needs.count), "1"]], "version \(version) projects the needs, without the columns",
                       file: file, line: line)
        XCTAssertEqual(try rows(absent), [["0"]], "version \(version) has none of the columns", file: file, line: line)

        let upgraded = makeJournal()
        defer { upgraded.close() }
        XCTAssertEqual(try upgraded.load().snapshotText(), engine.state.snapshotText(), file: file, line: line)
        XCTAssertEqual(try rows("SELECT MAX(version) FROM schema_version"), [[String(PostgresSchema.latestVersion)]], file: file, line: line)
        XCTAssertEqual(try rows(query), expected(engine.state), file: file, line: line)
        XCTAssertTrue(try tablesPassTheLoadCheck(engine.state), file: file, line: line)
        XCTAssertEqual(try StoreSuite(store: self).incidentTables(), try StoreSuite(store: reference).incidentTables(), file: file, line: line)
    }
}
