import Foundation
import Logging
import XCTest
import ReliefCore
import ReliefEngine
import ReliefProtocol
@testable import ReliefStore

final class SQLiteJournalTests: XCTestCase {
    private var directory: URL!
    private var path: String { directory.appendingPathComponent("reliefd.db").path }
    private let logger = Logger(label: "test.store")

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reliefd-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: helpers

    private func makeEngine(_ state: State = State()) -> Engine {
        Engine(state: state, clock: .fixed(Timestamp(milliseconds: 1_790_000_000_000)))
    }

    /// Runs commands and returns the entries they produced; fails the test on a refused command.
    @discardableResult
    private func run(_ engine: Engine, _ lines: [String], file: StaticString = #filePath, line: UInt = #line) -> [Entry] {
        var entries: [Entry] = []
        for text in lines {
            let outcome = engine.handle(line: text, actor: "test")
            if case .error(let code, let message) = outcome.reply {
                XCTFail("\(text): \(code) \(message)", file: file, line: line)
            }
            entries += outcome.entries
        }
        return entries
    }

    private let setup = [
        "region add shanxi name=Shanxi",
        "region add shanxi/taiyuan name=Taiyuan",
        "warehouse add ty-01 name=\"Taiyuan depot\" region=shanxi/taiyuan at=37.87,112.55",
        "warehouse add jz-01 name=\"Jinzhong depot\" region=shanxi at=37.69,112.75",
        "item add water-5l name=\"Water 5L\" category=water unit=bottle pack=4 shelf_life=365d",
        "item add tent name=\"Family tent\" category=shelter unit=piece",
        "stock receive ty-01 water-5l 4000 lot=D-2026-114 expires=2027-06-30 donor=\"Yangquan Steel\"",
        "stock receive ty-01 tent 50 supplier=Acme",
    ]

    private let movements = [
        "stock transfer ty-01 jz-01 water-5l 900",
        "stock issue ty-01 tent 50 to=\"Xiaodian shelter\"",
        "stock adjust ty-01 D-2026-114 count=3000 reason=recount",
        "stock adjust jz-01 D-2026-114 count=950 reason=recount",
        "stock min jz-01 water-5l 1000",
        "stock min ty-01 tent 10",
        "stock min ty-01 tent 0",
        "stock receive jz-01 water-5l 10 note=\"a \\\"quoted\\\" note\" req=retry-1",
    ]

    private func openJournal() throws -> (SQLiteJournal, State) {
        let journal = SQLiteJournal(path: path, logger: logger)
        return (journal, try journal.load())
    }

    /// A raw connection to the same file, as an operator's SQL tool would have.
    private func raw() throws -> SQLiteConnection { try SQLiteConnection(path: path) }

    private func int(_ connection: SQLiteConnection, _ sql: String) throws -> Int64 {
        try XCTUnwrap(connection.scalarInt(sql), sql)
    }

    // MARK: tests

    func testCommitThenReloadGivesTheSameState() throws {
        let (journal, loaded) = try openJournal()
        XCTAssertEqual(loaded.lastSeq, 0)
        XCTAssertEqual(journal.location, "sqlite:" + path)
        let engine = makeEngine()
        try journal.commit(run(engine, setup))
        for line in movements { try journal.commit(run(engine, [line])) }
        journal.close()
        journal.close() // idempotent

        let (reopened, state) = try openJournal()
        defer { reopened.close() }
        XCTAssertEqual(state.lastSeq, engine.state.lastSeq)
        XCTAssertEqual(state.snapshotText(), engine.state.snapshotText())
        XCTAssertNotNil(state.requests.lookup(scope: "test", token: "retry-1")?.digest)
        XCTAssertEqual(state.requests.all, engine.state.requests.all)
        XCTAssertEqual(try reopened.verifyChain().entries, Int(engine.state.lastSeq))
    }

    func testSnapshotThenMoreCommitsReloadsTheLiveState() throws {
        let (journal, _) = try openJournal()
        let engine = makeEngine()
        try journal.commit(run(engine, setup))
        try journal.writeSealedSnapshot(engine.state, engine: engine)
        for line in movements.prefix(3) { try journal.commit(run(engine, [line])) }
        // A snapshot of an older copy, as the writer thread takes it, while newer entries exist.
        let copy = engine.state
        try journal.commit(run(engine, [movements[3]]))
        try journal.writeSealedSnapshot(copy, engine: engine)
        var newest: Int64 = 0
        for line in movements.dropFirst(4) {
            try journal.commit(run(engine, [line]))
            newest = engine.state.lastSeq
            try journal.writeSealedSnapshot(engine.state, engine: engine)
        }
        journal.close()

        let connection = try raw()
        XCTAssertEqual(try int(connection, "SELECT COUNT(*) FROM snapshots"), Int64(SQLiteJournal.snapshotsKept))
        XCTAssertEqual(try int(connection, "SELECT MAX(seq) FROM snapshots"), newest)
        connection.close()

        let (reopened, state) = try openJournal()
        defer { reopened.close() }
        XCTAssertEqual(state.snapshotText(), engine.state.snapshotText())
        XCTAssertEqual(reopened.loadedSnapshotSeq, newest)

        // Replay from an older snapshot gives the same state too.
        try raw().execute("DELETE FROM snapshots WHERE seq = (SELECT MAX(seq) FROM snapshots)")
        XCTAssertEqual(try reopened.load().snapshotText(), engine.state.snapshotText())
        XCTAssertLessThan(reopened.loadedSnapshotSeq, newest)
        XCTAssertGreaterThan(reopened.loadedSnapshotSeq, 0)
        XCTAssertEqual(try reopened.verifyChain().entries, Int(engine.state.lastSeq))
    }

    func testCurrentStateTablesMatchTheState() throws {
        let (journal, _) = try openJournal()
        defer { journal.close() }
        let engine = makeEngine()
        try journal.commit(run(engine, setup + movements))
        let state = engine.state

        let connection = try raw()
        defer { connection.close() }
        XCTAssertEqual(try int(connection, "SELECT COUNT(*) FROM regions"), Int64(state.regions.count))
        XCTAssertEqual(try int(connection, "SELECT COUNT(*) FROM warehouses"), Int64(state.warehouses.count))
        XCTAssertEqual(try int(connection, "SELECT COUNT(*) FROM items"), Int64(state.items.count))
        XCTAssertEqual(try int(connection, "SELECT COUNT(*) FROM lots"), Int64(state.lots.count))
        // The tent lot was issued to zero: its holding row is gone, as in State.
        XCTAssertEqual(try int(connection, "SELECT COUNT(*) FROM holdings WHERE sku = 'tent'"), 0)
        var holdings = 0
        for (warehouse, skus) in state.stock {
            for (sku, skuStock) in skus where !skuStock.lots.isEmpty { // State keeps emptied SKUs; SQL has no rows for them
                holdings += skuStock.lots.count
                let statement = try connection.prepare(
                    "SELECT on_hand, reserved, available FROM stock_by_warehouse WHERE warehouse = ?1 AND sku = ?2")
                statement.bind(1, warehouse); statement.bind(2, sku)
                XCTAssertTrue(try statement.step(), "\(warehouse)/\(sku)")
                XCTAssertEqual(statement.int64(0), skuStock.onHand, "\(warehouse)/\(sku)")
                XCTAssertEqual(statement.int64(1), skuStock.reserved)
                XCTAssertEqual(statement.int64(2), skuStock.available)
                statement.finalize()
                for (lot, holding) in skuStock.lots {
                    let row = try connection.prepare("SELECT on_hand FROM holdings WHERE warehouse = ?1 AND lot = ?2")
                    row.bind(1, warehouse); row.bind(2, lot)
                    XCTAssertTrue(try row.step())
                    XCTAssertEqual(row.int64(0), holding.onHand, "\(warehouse)/\(lot)")
                    row.finalize()
                }
            }
        }
        XCTAssertEqual(try int(connection, "SELECT COUNT(*) FROM holdings"), Int64(holdings))
        XCTAssertEqual(try int(connection, "SELECT SUM(on_hand) FROM holdings"), 3000 + 950 + 10)
        XCTAssertEqual(try int(connection, "SELECT quantity FROM minimums WHERE warehouse = 'jz-01' AND sku = 'water-5l'"), 1000)
        XCTAssertEqual(try int(connection, "SELECT COUNT(*) FROM minimums"), 1)
        XCTAssertEqual(try int(connection, "SELECT COUNT(*) FROM below_minimum"), 1)
        XCTAssertEqual(try connection.scalarText("SELECT expires FROM expiring_lots WHERE lot = 'D-2026-114' LIMIT 1"), "2027-06-30")
        XCTAssertEqual(try connection.scalarText("SELECT party FROM lots WHERE code = 'D-2026-114'"), "Yangquan Steel")
        // The journal body is the event's flat JSON, readable with SQL's json functions.
        XCTAssertEqual(try connection.scalarText("SELECT json_extract(body, '$.note') FROM journal WHERE kind = 'lot.received' ORDER BY seq DESC LIMIT 1"),
                       "a \"quoted\" note")
    }

    func testDriftedTablesAreRebuiltOnLoad() throws {
        let (journal, _) = try openJournal()
        let engine = makeEngine()
        try journal.commit(run(engine, setup + movements))
        journal.close()
        try raw().execute("DELETE FROM holdings; DELETE FROM minimums")

        let (reopened, state) = try openJournal()
        XCTAssertEqual(state.snapshotText(), engine.state.snapshotText())
        let connection = try raw()
        XCTAssertEqual(try int(connection, "SELECT SUM(on_hand) FROM holdings"), 3000 + 950 + 10)
        XCTAssertEqual(try int(connection, "SELECT COUNT(*) FROM minimums"), 1)
        connection.close()
        // Commits project onto the rebuilt tables.
        try reopened.commit(run(engine, ["stock issue jz-01 water-5l 60"]))
        XCTAssertEqual(try int(raw(), "SELECT SUM(on_hand) FROM holdings"), 3000 + 950 + 10 - 60)
        reopened.close()
    }

    func testTamperedJournalRowMakesLoadThrowNamingTheSeq() throws {
        let (journal, _) = try openJournal()
        let engine = makeEngine()
        try journal.commit(run(engine, setup + movements))
        journal.close()

        let connection = try raw()
        // The journal refuses edits; someone determined drops the guard first.
        XCTAssertThrowsError(try connection.execute("UPDATE journal SET actor = 'x' WHERE seq = 7"))
        try connection.execute("""
            DROP TRIGGER journal_no_update;
            UPDATE journal SET body = replace(body, '"qty":4000', '"qty":40000') WHERE seq = 7;
            """)
        XCTAssertEqual(connection.changes, 1)
        connection.close()

        let tampered = SQLiteJournal(path: path, logger: logger)
        defer { tampered.close() }
        XCTAssertThrowsError(try tampered.load()) { error in
            let storeError = error as? StoreError
            XCTAssertEqual(storeError?.isTransient, false)
            XCTAssertTrue(storeError?.message.contains("seq 7") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try tampered.verifyChain().entries) { error in
            XCTAssertTrue("\(error)".contains("seq 7"), "\(error)")
        }
    }

    func testMissingJournalRowMakesLoadThrowNamingTheSeq() throws {
        let (journal, _) = try openJournal()
        try journal.commit(run(makeEngine(), setup))
        journal.close()
        try raw().execute("DROP TRIGGER journal_no_delete; DELETE FROM journal WHERE seq = 4")
        XCTAssertThrowsError(try SQLiteJournal(path: path, logger: logger).load()) { error in
            XCTAssertTrue("\(error)".contains("seq 4 is missing"), "\(error)")
        }
    }

    func testFailedBatchStoresNothingAndALaterCommitChains() throws {
        let (journal, _) = try openJournal()
        defer { journal.close() }
        let engine = makeEngine()
        try journal.commit(run(engine, setup))
        let before = engine.state.lastSeq
        // Fails on the third entry of the batch, after two rows and their projections were written.
        try raw().execute("""
            CREATE TRIGGER refuse_minimums BEFORE INSERT ON journal WHEN NEW.kind = 'minimum.set'
            BEGIN SELECT RAISE(ABORT, 'refused by test'); END
            """)
        let batch = run(engine, ["stock receive ty-01 water-5l 5", "stock transfer ty-01 jz-01 water-5l 7",
                                 "stock min jz-01 water-5l 100", "stock receive jz-01 tent 3"])
        XCTAssertEqual(batch.count, 4)
        XCTAssertThrowsError(try journal.commit(batch)) { error in
            XCTAssertTrue("\(error)".contains("refused by test"), "\(error)")
        }
        let connection = try raw()
        XCTAssertEqual(try int(connection, "SELECT MAX(seq) FROM journal"), before)
        XCTAssertEqual(try int(connection, "SELECT SUM(on_hand) FROM holdings"), 4050)
        XCTAssertEqual(try int(connection, "SELECT COUNT(*) FROM holdings WHERE warehouse = 'jz-01'"), 0)
        XCTAssertEqual(journal.committedSeq, before)

        try connection.execute("DROP TRIGGER refuse_minimums")
        connection.close()
        try journal.commit(batch)
        try journal.commit(run(engine, ["stock issue jz-01 water-5l 2"]))
        XCTAssertEqual(try journal.verifyChain().entries, Int(engine.state.lastSeq))
        XCTAssertEqual(try journal.load().snapshotText(), engine.state.snapshotText())
    }

    func testBatchThatDoesNotFollowTheJournalIsRefused() throws {
        let (journal, _) = try openJournal()
        defer { journal.close() }
        let engine = makeEngine()
        let entries = run(engine, setup)
        XCTAssertThrowsError(try journal.commit(Array(entries.dropFirst()))) { error in
            XCTAssertEqual((error as? StoreError)?.isTransient, false)
        }
        var duplicated = Array(entries.prefix(2))
        duplicated[1].seq = 1
        XCTAssertThrowsError(try journal.commit(duplicated))
        try journal.commit(entries)
        XCTAssertEqual(journal.committedSeq, Int64(entries.count))
    }

    func testRemovedDatabaseFileStopsCommitsUntilItIsRestored() throws {
        let (journal, _) = try openJournal()
        defer { journal.close() }
        let engine = makeEngine()
        try journal.commit(run(engine, setup))
        let committed = engine.state
        let backup = directory.appendingPathComponent("backup.db").path
        try raw().execute("VACUUM INTO '\(backup)'")

        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let lost = run(engine, ["stock receive ty-01 water-5l 5"])
        XCTAssertThrowsError(try journal.commit(lost)) { error in
            let storeError = error as? StoreError
            XCTAssertEqual(storeError?.isTransient, true)
            XCTAssertTrue(storeError?.message.contains("removed or replaced") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try journal.probe()) { error in
            XCTAssertTrue("\(error)".contains("is gone"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "probe must not create an empty database")
        XCTAssertThrowsError(try journal.commit(lost), "commits wait for a successful probe")

        try FileManager.default.moveItem(atPath: backup, toPath: path)
        try journal.probe()
        let state = try journal.load()
        XCTAssertEqual(state.snapshotText(), committed.snapshotText())
        let resumed = makeEngine(state)
        try journal.commit(run(resumed, ["stock receive ty-01 water-5l 6"]))
        XCTAssertEqual(try journal.verifyChain().entries, Int(state.lastSeq) + 1)
    }

    func testNewerSchemaVersionRefusesToOpen() throws {
        let (journal, _) = try openJournal()
        journal.close()
        try raw().execute("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)")
        XCTAssertThrowsError(try SQLiteJournal(path: path, logger: logger).load()) { error in
            let storeError = error as? StoreError
            XCTAssertEqual(storeError?.isTransient, false)
            XCTAssertTrue(storeError?.message.contains("schema version 99") ?? false, "\(error)")
        }
        // Nothing was changed by the refusal.
        XCTAssertEqual(try int(raw(), "SELECT MAX(version) FROM schema_version"), 99)
    }

    func testFreshDatabaseUsesWALAndRecordsItsSchemaVersion() throws {
        let (journal, _) = try openJournal()
        defer { journal.close() }
        let connection = try raw()
        defer { connection.close() }
        XCTAssertEqual(try connection.scalarText("PRAGMA journal_mode"), "wal")
        XCTAssertEqual(try int(connection, "SELECT MAX(version) FROM schema_version"), SQLiteSchema.latestVersion)
        try journal.probe()
        XCTAssertEqual(try journal.verifyChain().entries, 0)
    }

    /// Batches of a thousand entries and of one entry follow each other and reload exactly.
    /// (What a commit costs is measured by `deploy/bench`.)
    func testLargeAndSingleEntryBatchesCommitAndReload() throws {
        let (journal, _) = try openJournal()
        defer { journal.close() }
        let engine = makeEngine()
        try journal.commit(run(engine, setup))
        for _ in 0..<3 {
            try journal.commit(run(engine, (0..<1000).map { "stock receive ty-01 water-5l \($0 + 1) donor=\"Donor \($0)\"" }))
        }
        for _ in 0..<5 {
            try journal.commit(run(engine, ["stock issue ty-01 water-5l 1"]))
        }
        XCTAssertEqual(journal.committedSeq, engine.state.lastSeq)
        XCTAssertEqual(try journal.load().snapshotText(), engine.state.snapshotText())
    }
}
