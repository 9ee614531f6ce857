import Foundation
import Logging
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefStore

/// The travel_times table (schema migration 4): travel.set entries are projected in the commit's
/// transaction, the table equals the state's matrix, a hand edit is seen and repaired at load, and
/// a version 3 file gets the table filled from the journal.
final class TravelTablesTests: XCTestCase {
    private var directory: URL!
    private var path: String { directory.appendingPathComponent("reliefd.db").path }
    private let logger = Logger(label: "test.travel-tables")

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reliefd-travel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func run(_ engine: Engine, _ lines: [String], file: StaticString = #filePath, line: UInt = #line) -> [Entry] {
        var entries: [Entry] = []
        for request in lines {
            let outcome = engine.handle(line: request, actor: "officer")
            if case .error(let code, let message) = outcome.reply { XCTFail("\(request) → \(code.rawValue) \(message)", file: file, line: line) }
            entries += outcome.entries
        }
        return entries
    }

    private func tablesMatch(_ state: State) throws -> Bool {
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        let projector = try SQLiteProjector(connection: connection)
        defer { projector.finalize() }
        return try projector.tablesMatch(state)
    }

    private func rows(_ sql: String = "SELECT origin || '>' || destination || '=' || minutes FROM travel_times ORDER BY 1") throws -> [String] {
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        let statement = try connection.prepare(sql)
        defer { statement.finalize() }
        var out: [String] = []
        while try statement.step() { out.append(statement.text(0) ?? "") }
        return out
    }

    private static let setup = [
        "region add shanxi name=Shanxi level=province",
        "region add shanxi/taiyuan name=Taiyuan",
        "region add shanxi/yangquan name=Yangquan",
        #"warehouse add ty-01 name="Taiyuan depot" region=shanxi/taiyuan at=37.87,112.55"#,
    ]

    func testTravelEntriesAreProjectedAndReloadTheSame() throws {
        let engine = Engine(clock: .fixed(Timestamp(milliseconds: 1_796_112_000_000)))
        let journal = SQLiteJournal(path: path, logger: logger)
        _ = try journal.load()
        try journal.commit(run(engine, Self.setup))
        try journal.commit(run(engine, ["travel set ty-01 shanxi/yangquan 95 both", "travel set shanxi/taiyuan shanxi/yangquan 110"]))
        try journal.commit(run(engine, ["travel set ty-01 shanxi/yangquan 100", "travel clear shanxi/yangquan ty-01"]))
        journal.close()
        XCTAssertEqual(try rows(), ["shanxi/taiyuan>shanxi/yangquan=110", "ty-01>shanxi/yangquan=100"])
        XCTAssertTrue(try tablesMatch(engine.state), "kept in step by the commits themselves")

        let reopened = SQLiteJournal(path: path, logger: logger)
        let loaded = try reopened.load()
        XCTAssertEqual(loaded.travelTimes, engine.state.travelTimes)
        XCTAssertEqual(loaded.snapshotText(), engine.state.snapshotText())
        // From a snapshot plus the entries after it.
        let more = Engine(state: loaded, clock: .fixed(Timestamp(milliseconds: 1_796_112_000_000)))
        try reopened.writeSealedSnapshot(loaded, engine: more)
        try reopened.commit(run(more, ["travel set shanxi/yangquan shanxi/taiyuan 120"]))
        reopened.close()
        let third = SQLiteJournal(path: path, logger: logger)
        defer { third.close() }
        XCTAssertEqual(try third.load().snapshotText(), more.state.snapshotText())
        XCTAssertEqual(third.loadedSnapshotSeq, loaded.lastSeq)
        XCTAssertTrue(try tablesMatch(more.state))
    }

    func testHandEditsAreSeenAndRepairedAndAVersion3FileUpgrades() throws {
        let engine = Engine(clock: .fixed(Timestamp(milliseconds: 1_796_112_000_000)))
        let journal = SQLiteJournal(path: path, logger: logger)
        _ = try journal.load()
        try journal.commit(run(engine, Self.setup + ["travel set ty-01 shanxi/yangquan 95 both"]))
        journal.close()
        for edit in ["UPDATE travel_times SET minutes = 96 WHERE origin = 'ty-01'",
                     "DELETE FROM travel_times WHERE origin = 'ty-01'",
                     "INSERT INTO travel_times VALUES ('shanxi/taiyuan', 'shanxi/yangquan', 5)",
                     "UPDATE travel_times SET destination = 'shanxi' WHERE origin = 'ty-01'"] {
            let edited = try SQLiteConnection(path: path)
            try edited.execute(edit)
            edited.close()
            XCTAssertFalse(try tablesMatch(engine.state), edit)
            let repaired = SQLiteJournal(path: path, logger: logger)
            XCTAssertEqual(try repaired.load().travelTimes, engine.state.travelTimes)
            repaired.close()
            XCTAssertTrue(try tablesMatch(engine.state), "repaired at load after: \(edit)")
        }
        // A version 3 file: no travel_times table yet (its journal may hold no travel entries, but
        // one that does is filled from the journal at load), nor what later migrations added.
        let db = try SQLiteConnection(path: path)
        try db.execute(SQLiteStoreUnderTest.dropMigrationSix)
        try db.execute("DROP INDEX needs_by_ref; ALTER TABLE needs DROP COLUMN ref")
        try db.execute("DROP TABLE travel_times; DELETE FROM schema_version WHERE version >= 4")
        db.close()
        let upgraded = SQLiteJournal(path: path, logger: logger)
        defer { upgraded.close() }
        XCTAssertEqual(try upgraded.load().travelTimes, engine.state.travelTimes)
        XCTAssertEqual(try rows(), ["shanxi/yangquan>ty-01=95", "ty-01>shanxi/yangquan=95"])
        XCTAssertEqual(try rows("SELECT MAX(version) FROM schema_version"), [String(SQLiteSchema.latestVersion)])
    }
}
