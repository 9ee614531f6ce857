import Foundation
import Logging
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefStore

/// Snapshots stored in parts (SQLite schema migration 7): each part its own transaction, commits
/// between parts, the `snapshots` row last; what a crash or damage leaves behind.
final class SnapshotPartsTests: XCTestCase {
    private var directory: URL!
    private var path: String { directory.appendingPathComponent("reliefd.db").path }
    private let logger = Logger(label: "test.store")

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reliefd-parts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func engine() -> Engine {
        Engine(state: State(), clock: .fixed(Timestamp(milliseconds: 1_790_000_000_000)))
    }

    private func run(_ engine: Engine, _ lines: [String], file: StaticString = #filePath, line: UInt = #line) -> [Entry] {
        var entries: [Entry] = []
        for text in lines {
            let outcome = engine.handle(line: text, actor: "test")
            if case .error(let code, let message) = outcome.reply { XCTFail("\(text): \(code) \(message)", file: file, line: line) }
            entries += outcome.entries
        }
        return entries
    }

    /// A state whose snapshot is several parts long: `receipts` lots, each with its holding and move.
    private func largeStore(receipts: Int = 2_500) throws -> (SQLiteJournal, Engine) {
        let journal = SQLiteJournal(path: path, logger: logger)
        _ = try journal.load()
        let engine = engine()
        try journal.commit(run(engine, [
            "region add shanxi name=Shanxi",
            "warehouse add ty-01 name=\"Taiyuan depot\" region=shanxi at=37.87,112.55",
            "item add water-5l name=\"Water 5L\" category=water unit=bottle",
        ]))
        var lines: [String] = []
        for n in 0..<receipts {
            lines.append("stock receive ty-01 water-5l \(n + 1) lot=LOT-\(n) donor=\"Donor number \(n) of the parts test\"")
            if lines.count == 500 {
                try journal.commit(run(engine, lines))
                lines = []
            }
        }
        if !lines.isEmpty { try journal.commit(run(engine, lines)) }
        return (journal, engine)
    }

    /// Writes the snapshot with `betweenParts` and journals its seal, as the server does.
    private func writeSealed(_ journal: SQLiteJournal, _ engine: Engine, betweenParts: () -> Void = {}) throws {
        let state = engine.state
        let text = state.snapshotText()
        try journal.writeSnapshot(seq: state.lastSeq, text: text, betweenParts: betweenParts)
        try journal.commit([engine.record(SnapshotSeal(snapshotSeq: state.lastSeq, text: text).event)])
    }

    private func rows(_ sql: String) throws -> [[String]] {
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        let statement = try connection.prepare(sql)
        defer { statement.finalize() }
        var rows: [[String]] = []
        while try statement.step() {
            rows.append((0..<statement.columnCount).map { statement.text(Int32($0)) ?? "NULL" })
        }
        return rows
    }

    func testALargeSnapshotIsStoredInPartsCutAtLineEndsAndLoadsBack() throws {
        let (journal, engine) = try largeStore()
        let text = engine.state.snapshotText()
        XCTAssertGreaterThan(text.utf8.count, 2 * SQLiteJournal.snapshotPartBytes, "the test needs a snapshot of several parts")
        try writeSealed(journal, engine)
        journal.close()

        let parts = try rows("SELECT part, body FROM snapshot_parts ORDER BY part")
        XCTAssertGreaterThan(parts.count, 2)
        XCTAssertEqual(parts.map { $0[0] }, (0..<parts.count).map(String.init))
        for part in parts {
            XCTAssertEqual(part[1].utf8.last, 0x0A, "part \(part[0]) ends at a line end")
            XCTAssertLessThanOrEqual(part[1].utf8.count, SQLiteJournal.snapshotPartBytes)
        }
        XCTAssertEqual(parts.map { $0[1] }.joined(), text)
        XCTAssertEqual(try rows("SELECT parts, body FROM snapshots"), [[String(parts.count), ""]])

        let reopened = SQLiteJournal(path: path, logger: logger)
        defer { reopened.close() }
        XCTAssertEqual(try reopened.load().snapshotText(), engine.state.snapshotText())
        XCTAssertEqual(reopened.loadedSnapshotSeq, engine.state.lastSeq - 1)
        let report = try SQLiteJournal.verify(path: path)
        XCTAssertEqual(report.snapshotsChecked, 1)
    }

    func testCommitsWaitingBetweenPartsAreCommittedBeforeTheSnapshotEnds() throws {
        let (journal, engine) = try largeStore()
        let snapshotState = engine.state
        let text = snapshotState.snapshotText()
        var calls = 0
        try journal.writeSnapshot(seq: snapshotState.lastSeq, text: text) {
            calls += 1
            // Between two parts the journal takes commits, and each is durable on its own.
            try! journal.commit(run(engine, ["stock issue ty-01 water-5l 1 to=\"Shelter \(calls)\""]))
        }
        XCTAssertGreaterThan(calls, 2)
        try journal.commit([engine.record(SnapshotSeal(snapshotSeq: snapshotState.lastSeq, text: text).event)])
        journal.close()

        let reopened = SQLiteJournal(path: path, logger: logger)
        defer { reopened.close() }
        let loaded = try reopened.load()
        XCTAssertEqual(reopened.loadedSnapshotSeq, snapshotState.lastSeq)
        XCTAssertEqual(loaded.snapshotText(), engine.state.snapshotText())
        XCTAssertEqual(loaded.moves.filter { $0.kind == .issued }.count, calls)
    }

    func testPartsNoRowNamesAreIgnoredAndDeletedByTheNextSnapshot() throws {
        let (journal, engine) = try largeStore(receipts: 1_500)
        try writeSealed(journal, engine)
        // A snapshot cut short by a crash: parts written, no row. And the row of a pruned one gone.
        let connection = try SQLiteConnection(path: path)
        try connection.execute("INSERT INTO snapshot_parts (seq, part, body) VALUES (999999, 0, 'not a snapshot'), (999999, 1, 'x')")
        connection.close()
        let reopened = SQLiteJournal(path: path, logger: logger)
        XCTAssertEqual(try reopened.load().snapshotText(), engine.state.snapshotText())
        // Five more snapshots: three rows are kept, and only their parts.
        for n in 0..<5 {
            try reopened.commit(run(engine, ["stock receive ty-01 water-5l 7 lot=MORE-\(n)"]))
            try writeSealed(reopened, engine)
        }
        reopened.close()
        XCTAssertEqual(try rows("SELECT COUNT(*) FROM snapshots"), [[String(SQLiteJournal.snapshotsKept)]])
        XCTAssertEqual(try rows("SELECT COUNT(*) FROM snapshot_parts WHERE seq NOT IN (SELECT seq FROM snapshots)"), [["0"]])
        XCTAssertEqual(try rows("SELECT COUNT(DISTINCT seq) FROM snapshot_parts"), [[String(SQLiteJournal.snapshotsKept)]])
        XCTAssertEqual(try rows("SELECT COUNT(*) FROM snapshots s WHERE parts != (SELECT COUNT(*) FROM snapshot_parts p WHERE p.seq = s.seq)"), [["0"]])
    }

    func testAMissingOrAlteredPartStopsTheLoadAndFailsVerification() throws {
        let (journal, engine) = try largeStore()
        try writeSealed(journal, engine)
        journal.close()
        let seq = engine.state.lastSeq - 1

        let connection = try SQLiteConnection(path: path)
        try connection.execute("UPDATE snapshot_parts SET body = replace(body, 'Donor number 7 ', 'Someone else ') WHERE seq = \(seq)")
        connection.close()
        XCTAssertThrowsError(try SQLiteJournal(path: path, logger: logger).load()) { error in
            XCTAssertTrue("\(error)".contains("does not match its seal"), "\(error)")
        }
        XCTAssertThrowsError(try SQLiteJournal.verify(path: path)) { error in
            XCTAssertTrue("\(error)".contains("does not match its seal"), "\(error)")
        }

        let again = try SQLiteConnection(path: path)
        try again.execute("DELETE FROM snapshot_parts WHERE seq = \(seq) AND part = 1")
        again.close()
        XCTAssertThrowsError(try SQLiteJournal(path: path, logger: logger).load()) { error in
            XCTAssertTrue("\(error)".contains("parts in order"), "\(error)")
        }
    }

    /// A file from before migration 7 (snapshots as one row, no `parts` column) is verified
    /// read-only as it is, and loads after the migration from its old snapshot.
    func testAFileFromBeforePartsIsVerifiedReadOnlyAndLoadsAfterMigrating() throws {
        let (journal, engine) = try largeStore(receipts: 200)
        let seq = engine.state.lastSeq
        let text = engine.state.snapshotText()
        try writeSealed(journal, engine)
        journal.close()
        // Back to schema version 6 with a one-row snapshot, as an older reliefd wrote it.
        let connection = try SQLiteConnection(path: path)
        try connection.execute(SQLiteStoreUnderTest.dropMigrationSeven)
        connection.close()
        XCTAssertEqual(try rows("SELECT body FROM snapshots"), [[text]])

        let report = try SQLiteJournal.verify(path: path)
        XCTAssertEqual(report.snapshotsChecked, 1)
        XCTAssertEqual(try rows("SELECT MAX(version) FROM schema_version"), [["6"]])

        let migrated = SQLiteJournal(path: path, logger: logger)
        defer { migrated.close() }
        XCTAssertEqual(try migrated.load().snapshotText(), engine.state.snapshotText())
        XCTAssertEqual(migrated.loadedSnapshotSeq, seq)
        XCTAssertEqual(try rows("SELECT parts, length(body) > 0 FROM snapshots"), [["0", "1"]])
    }
}
