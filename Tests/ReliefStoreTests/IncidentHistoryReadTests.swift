import Foundation
import Logging
import XCTest
import ReliefCore
import ReliefEngine
import ReliefProtocol
@testable import ReliefStore

/// `SQLiteJournal.readIncidentHistory`: one incident's history read out of a store for a what-if
/// drill, without a write — from the newest sealed snapshot before the incident opened (never a
/// later one), the journal after it chain-checked, the file left exactly as it was.
final class IncidentHistoryReadTests: XCTestCase {
    private var directory: URL!
    private var path: String { directory.appendingPathComponent("reliefd.db").path }
    private let logger = Logger(label: "test.store")
    private let start = Timestamp(milliseconds: 1_790_000_000_000)

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reliefd-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The operation as a daemon would have journaled it: a world, an earlier snapshot, an
    /// incident handled over hours with a snapshot in the middle of it, and what came after.
    struct Written {
        var before: State
        var openedSeq: Int64
        var closingSeq: Int64
        var earlySnapshot: Int64
        var lateSnapshot: Int64
    }

    private func write() throws -> Written {
        let journal = SQLiteJournal(path: path, logger: logger)
        _ = try journal.load()
        let engine = Engine(state: State(), clock: .fixed(start))
        func send(_ minute: Int, _ line: String) throws {
            engine.clock = .fixed(Timestamp(milliseconds: start.milliseconds + Int64(minute) * 60_000))
            let outcome = engine.handle(line: line, actor: "uid:1000")
            if case .error(let code, let message) = outcome.reply { XCTFail("\(line): \(code) \(message)") }
            try journal.commit(outcome.entries)
        }
        for line in ["region add shanxi name=Shanxi", "region add shanxi/taiyuan name=Taiyuan",
                     "warehouse add ty-01 name=Taiyuan region=shanxi/taiyuan at=37.87,112.55",
                     "item add water-5l name=Water category=water unit=bottle",
                     "stock receive ty-01 water-5l 1000 lot=A expires=2027-06-30 supplier=S"] { try send(0, line) }
        let early = engine.state
        try journal.writeSealedSnapshot(early, engine: engine)
        try send(10, "stock receive ty-01 water-5l 50 lot=B expires=2027-06-30 supplier=S")
        let before = engine.state
        try send(60, "incident open f title=Flood kind=flood at=38.23,112.55 region=shanxi/taiyuan severity=3 affected=100")
        let openedSeq = engine.state.lastSeq
        try send(65, "need add f supply water-5l 400 priority=1 by=12h ref=f-water")
        try send(70, "plan")
        try send(75, "plan apply")
        let late = engine.state
        try journal.writeSealedSnapshot(late, engine: engine)
        for id in engine.state.allocationList(incident: "f").map(\.id) { try send(90, "allocation dispatch \(id)") }
        try send(150, "stock receive ty-01 water-5l 300 lot=C expires=2027-06-30 donor=\"Red Cross Society\"")
        for id in engine.state.allocationList(incident: "f").map(\.id) { try send(160, "allocation deliver \(id)") }
        try send(170, "incident status f closed")
        let closingSeq = engine.state.lastSeq
        try send(200, "stock receive ty-01 water-5l 10 lot=D expires=2027-06-30 supplier=S")
        journal.close()
        return Written(before: before, openedSeq: openedSeq, closingSeq: closingSeq, earlySnapshot: early.lastSeq, lateSnapshot: late.lastSeq)
    }

    /// The store's database file and its write-ahead log (empty or missing: nothing written).
    /// SQLite itself keeps a shared-memory index beside a WAL database while any connection has
    /// it open, read-only ones included; that index holds no data and is not compared.
    private func stored() throws -> (database: Data, log: Int) {
        let log = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        return (try Data(contentsOf: URL(fileURLWithPath: path)), log)
    }

    func testTheHistoryStartsFromTheSnapshotBeforeTheOpeningAndLeavesTheStoreAsItWas() throws {
        let written = try write()
        let storedBefore = try stored()
        XCTAssertEqual(storedBefore.log, 0, "closed and checkpointed")
        let history = try SQLiteJournal(path: path, logger: logger).readIncidentHistory("f")
        let storedAfter = try stored()
        XCTAssertEqual(storedAfter.database, storedBefore.database, "nothing created, migrated or rebuilt")
        XCTAssertEqual(storedAfter.log, 0, "nothing written ahead either")

        XCTAssertEqual(history.openedSeq, written.openedSeq)
        XCTAssertEqual(history.before.lastSeq, written.openedSeq - 1)
        XCTAssertEqual(history.before.snapshotText(), written.before.snapshotText(), "the state just before the opening, as the journal has it")
        XCTAssertEqual(history.closed?.seq, written.closingSeq)
        XCTAssertEqual(history.lastSeq, written.closingSeq)
        XCTAssertLessThan(written.earlySnapshot, written.openedSeq)
        XCTAssertGreaterThan(written.lateSnapshot, written.openedSeq, "a snapshot after the opening exists and must not be used")
        let kinds = history.entries.map(\.event.kind)
        XCTAssertEqual(kinds.first, "incident.opened")
        XCTAssertEqual(kinds.last, "incident.status_set")
        XCTAssertTrue(kinds.contains("plan.proposed") && kinds.contains("allocation.delivered"))
        XCTAssertFalse(kinds.contains("snapshot.sealed"))
        let lots = history.entries.compactMap { entry -> String? in if case .lotReceived(_, let lot, _, _, _, _, _, _) = entry.event { lot } else { nil } }
        XCTAssertEqual(lots, ["C"], "received while the incident lasted; B before it and D after it are not in its span")
    }

    func testAnIncidentTheJournalDoesNotHoldIsNamedInTheError() throws {
        _ = try write()
        XCTAssertThrowsError(try SQLiteJournal(path: path, logger: logger).readIncidentHistory("nowhere")) { error in
            XCTAssertTrue("\(error)".contains("no incident nowhere in the journal of \(self.path)"), "\(error)")
        }
        XCTAssertThrowsError(try SQLiteJournal(path: directory.appendingPathComponent("missing.db").path, logger: logger).readIncidentHistory("f")) { error in
            XCTAssertTrue("\(error)".contains("no SQLite store at"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("missing.db").path), "a missing store is not created")
    }

    func testAnAlteredEntryAfterTheOpeningStopsTheRead() throws {
        let written = try write()
        let connection = try SQLiteConnection(path: path)
        try connection.execute("DROP TRIGGER journal_no_update; UPDATE journal SET actor = 'someone else' WHERE seq = \(written.openedSeq + 2)")
        connection.close()
        XCTAssertThrowsError(try SQLiteJournal(path: path, logger: logger).readIncidentHistory("f")) { error in
            XCTAssertEqual((error as? StoreError)?.seq, written.openedSeq + 2, "\(error)")
        }
    }

    func testTheReadStartsAtTheSealedSnapshotAndDoesNotReadTheRowsBeforeIt() throws {
        let written = try write()
        // A row before the early snapshot, altered: only a read from the first entry would see it
        // (as `reliefd verify` does); this one starts from the snapshot, as loadReadOnly does.
        let connection = try SQLiteConnection(path: path)
        try connection.execute("DROP TRIGGER journal_no_update; UPDATE journal SET actor = 'someone else' WHERE seq = 2")
        connection.close()
        XCTAssertLessThan(2, written.earlySnapshot)
        let history = try SQLiteJournal(path: path, logger: logger).readIncidentHistory("f")
        XCTAssertEqual(history.before.snapshotText(), written.before.snapshotText())
    }
}
