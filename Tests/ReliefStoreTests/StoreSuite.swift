import Foundation
import Logging
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefStore

/// A store the shared suite runs against: SQLite in a temporary file, or PostgreSQL in a fresh
/// schema of the test cluster (RELIEFD_TEST_PG_URL, set by deploy/test).
protocol StoreUnderTest: AnyObject {
    var name: String { get }
    /// A new handle on the same store (not loaded yet).
    func makeJournal() -> Journal
    /// Rows of a query on the store, as text (NULL is nil), through a connection of its own.
    func rows(_ sql: String) throws -> [[String?]]
    /// Runs a statement on the store with the journal's append-only guard lifted.
    func tamper(_ sql: String) throws
    /// The table a snapshot's text is in, with a `body` column (SQLite: its parts).
    var snapshotTextTable: String { get }
    /// The daemon's read of stock moves older than memory holds, on a connection of its own.
    var readMoves: @Sendable (MoveQuery) throws -> [StockMove] { get }
    func verifyChain(_ journal: Journal) throws -> Int
    /// The full audit (`reliefd verify`).
    func verify(_ journal: Journal) throws -> ChainReport
    /// Whether the current-state tables pass the check a load makes before it repairs them
    /// (SQLite: every row; PostgreSQL: counts and totals), i.e. no repair would be needed.
    func tablesPassTheLoadCheck(_ state: State) throws -> Bool
    func cleanUp()
}

final class SQLiteStoreUnderTest: StoreUnderTest {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reliefd-suite-\(UUID().uuidString)")
    var path: String { directory.appendingPathComponent("reliefd.db").path }
    let logger = Logger(label: "test.suite.sqlite")
    var name: String { "sqlite" }

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func makeJournal() -> Journal { SQLiteJournal(path: path, logger: logger) }

    var readMoves: @Sendable (MoveQuery) throws -> [StockMove] {
        let path = path
        return { try SQLiteJournal.moves(path: path, $0) }
    }

    func rows(_ sql: String) throws -> [[String?]] {
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        let statement = try connection.prepare(sql)
        defer { statement.finalize() }
        var found: [[String?]] = []
        while try statement.step() {
            found.append((0..<statement.columnCount).map { statement.text($0) })
        }
        return found
    }

    let snapshotTextTable = "snapshot_parts"

    func tamper(_ sql: String) throws {
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        try connection.execute("DROP TRIGGER IF EXISTS journal_no_update; DROP TRIGGER IF EXISTS journal_no_delete; \(sql)")
    }

    func verifyChain(_ journal: Journal) throws -> Int { try (journal as! SQLiteJournal).verifyChain().entries }
    func verify(_ journal: Journal) throws -> ChainReport { try SQLiteJournal.verify(path: path) }

    func tablesPassTheLoadCheck(_ state: State) throws -> Bool {
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        let projector = try SQLiteProjector(connection: connection)
        defer { projector.finalize() }
        return try projector.tablesMatch(state) && projector.movesMatch(state)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }
}

/// A schema of its own in the test cluster's database (search_path set through the URL), dropped
/// at the end. Advisory locks are per database, so tests of leadership use a database of their own.
final class PostgresStoreUnderTest: StoreUnderTest {
    let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    let baseURL: String
    let logger = Logger(label: "test.suite.postgres")
    let admin: PostgresJournal
    var name: String { "postgres" }

    static var testURL: String? {
        let url = ProcessInfo.processInfo.environment["RELIEFD_TEST_PG_URL"] ?? ""
        return url.isEmpty ? nil : url
    }

    static func skipUnlessConfigured() throws {
        guard testURL != nil else {
            throw XCTSkip("RELIEFD_TEST_PG_URL is not set: no PostgreSQL to test against (deploy/test starts one)")
        }
    }

    init() throws {
        baseURL = try XCTUnwrap(PostgresStoreUnderTest.testURL)
        admin = PostgresJournal(url: baseURL, logger: logger)
        _ = try admin.query("CREATE SCHEMA \(schema)")
    }

    var url: String { baseURL + (baseURL.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)" }

    func makeJournal() -> Journal { PostgresJournal(url: url, logger: logger) }

    var readMoves: @Sendable (MoveQuery) throws -> [StockMove] {
        let url = url, logger = logger
        return { query in
            let journal = PostgresJournal(url: url, logger: logger)
            defer { journal.close() }
            return try journal.moves(query)
        }
    }

    func rows(_ sql: String) throws -> [[String?]] {
        let reader = PostgresJournal(url: url, logger: logger)
        defer { reader.close() }
        let result = try reader.query(sql)
        return (0..<result.count).map { row in (0..<result.columns).map { result[row, $0] } }
    }

    let snapshotTextTable = "snapshots"

    func tamper(_ sql: String) throws {
        let writer = PostgresJournal(url: url, logger: logger)
        defer { writer.close() }
        _ = try writer.query("ALTER TABLE journal DISABLE TRIGGER USER")
        _ = try writer.query(sql)
        _ = try writer.query("ALTER TABLE journal ENABLE TRIGGER USER")
    }

    func verifyChain(_ journal: Journal) throws -> Int { try (journal as! PostgresJournal).verifyChain().entries }
    func verify(_ journal: Journal) throws -> ChainReport {
        // As `reliefd verify` does: a connection of its own, nothing loaded.
        let auditor = PostgresJournal(url: url, logger: logger)
        defer { auditor.close() }
        return try auditor.verifyChain()
    }

    func tablesPassTheLoadCheck(_ state: State) throws -> Bool {
        let found = try rows(PostgresStore.countsQuery.sql)
        let expected = PostgresStore.expectedCounts(state)
        XCTAssertEqual(found.first?.count, expected.count, "countsQuery and expectedCounts disagree on their length")
        let moves = PostgresStore.movesQuery(state)
        let foundMoves = try rows(moves.sql.replacingOccurrences(of: "$1::bigint", with: moves.parameters[0] ?? "0"))
        return found.count == 1 && found[0].map { $0.flatMap { Int64($0) } } == expected.map { Optional($0) }
            && foundMoves.first?.map { $0.flatMap { Int64($0) } } == PostgresStore.expectedMoves(state).map { Optional($0) }
    }

    func cleanUp() {
        _ = try? admin.query("DROP SCHEMA \(schema) CASCADE")
        admin.close()
    }
}

/// The store suite: what every `Journal` must do, whatever holds it. `SQLiteStoreSuiteTests` and
/// `PostgresStoreSuiteTests` run each case on their backend.
struct StoreSuite {
    let store: StoreUnderTest

    static let clock = Timestamp(milliseconds: 1_790_000_000_000)

    /// Commands covering every kind of entry the stock and roster tables hold.
    static let commands = [
        "region add shanxi name=Shanxi",
        "region add shanxi/taiyuan name=Taiyuan",
        "warehouse add ty-01 name=\"Taiyuan depot\" region=shanxi/taiyuan at=37.87,112.55",
        "warehouse add jz-01 name=\"Jinzhong depot\" region=shanxi at=37.69,112.75",
        "item add water-5l name=\"Water 5L\" category=water unit=bottle pack=4 shelf_life=365d",
        "item add tent name=\"Family tent\" category=shelter unit=piece",
        "stock receive ty-01 water-5l 4000 lot=D-2026-114 expires=2027-06-30 donor=\"Yangquan Steel\"",
        "stock receive ty-01 tent 50 supplier=Acme",
        "stock transfer ty-01 jz-01 water-5l 900",
        "stock issue ty-01 tent 50 to=\"Xiaodian shelter\"",
        "stock adjust ty-01 D-2026-114 count=3000 reason=recount",
        "stock min jz-01 water-5l 1000",
        "stock min ty-01 tent 10",
        "stock min ty-01 tent 0",
        "stock receive jz-01 water-5l 10 note=\"a \\\"quoted\\\" note 水\" req=retry-1",
        "skill add first-aid name=\"First aid\" certificate=yes",
        "skill add rope name=\"Rope rescue\" specialty=sar certificate=yes",
        "specialty add sar name=\"Search and rescue\" skills=rope,first-aid",
        "volunteer add v1 name=\"Li Wei\" region=shanxi/taiyuan at=37.87,112.55 phone=13800000001 skills=first-aid:3,rope:2 languages=zh,en min_rest=0h",
        "volunteer add v2 name=\"Zhang Min\" region=shanxi at=37.70,112.70 skills=first-aid:1",
        "volunteer update v2 region=shanxi/taiyuan org=\"Blue Sky\"",
        "volunteer certify v1 first-aid issued=2026-01-10 expires=2028-01-09 issuer=\"Red Cross\"",
        "volunteer certify v1 rope issued=2026-03-01 expires=2027-03-01 issuer=\"Blue Sky\"",
        "volunteer certify v2 first-aid issued=2026-02-01 expires=2027-02-01 issuer=\"Red Cross\"",
        "volunteer decertify v2 first-aid reason=expired-card",
        "volunteer status v2 standby reason=\"on call\"",
        "volunteer checkin v1 incident=flood-0713",
        "volunteer checkout v1",
        "volunteer checkin v1",
        "team add sar-1 name=\"Taiyuan SAR 1\" specialty=sar region=shanxi/taiyuan at=37.8,112.5 leader=v1",
        "team member add sar-1 v2",
        "team member remove sar-1 v1",
        "team stand-down sar-1 reason=rotation",
    ]

    /// Current-state tables as text rows, in a form both backends print alike.
    static let moveColumns = "seq, n, time, actor, kind, warehouse, lot, sku, delta, counterpart, reason, note"

    /// `state.moves` as rows of `SELECT moveColumns FROM stock_moves ORDER BY seq, n`.
    static func moveRows(_ state: State) -> [[String?]] {
        var previous: (seq: Int64, n: Int) = (0, 0)
        return state.moves.map { move in
            let n = move.seq == previous.seq ? previous.n + 1 : 0
            previous = (move.seq, n)
            return [String(move.seq), String(n), String(move.time.milliseconds), move.actor, move.kind.rawValue, move.warehouse,
                    move.lot, move.sku, String(move.delta), move.counterpart, move.reason, move.note]
        }
    }

    static let tableQueries = [
        "SELECT id, name, level, parent FROM regions ORDER BY id",
        "SELECT id, name, region, lat, lon, created_at FROM warehouses ORDER BY id",
        "SELECT sku, name, category, unit, pack_size, shelf_life_days FROM items ORDER BY sku",
        "SELECT code, sku, expires, source, party, received_at FROM lots ORDER BY code",
        "SELECT warehouse, lot, sku, on_hand, reserved FROM holdings ORDER BY warehouse, lot",
        "SELECT warehouse, sku, quantity FROM minimums ORDER BY warehouse, sku",
        "SELECT \(StoreSuite.moveColumns) FROM stock_moves ORDER BY seq, n",
        "SELECT id, name, specialty, certificate FROM skills ORDER BY id",
        "SELECT id, name, required_skills FROM specialties ORDER BY id",
        "SELECT \(SQLiteRosterProjector.volunteerColumns) FROM volunteers ORDER BY id",
        "SELECT volunteer, skill, issued, expires, issuer FROM certifications ORDER BY volunteer, skill",
        "SELECT volunteer, start, \"end\", incident FROM duty_log ORDER BY volunteer, start",
        "SELECT \(SQLiteRosterProjector.teamColumns) FROM teams ORDER BY id",
        "SELECT team, volunteer FROM team_members ORDER BY team, volunteer",
        "SELECT warehouse, sku, on_hand, reserved, available FROM stock_by_warehouse ORDER BY warehouse, sku",
        "SELECT warehouse, sku, minimum, available FROM below_minimum ORDER BY warehouse, sku",
        "SELECT team, members, on_duty, available FROM team_strength ORDER BY team",
    ]

    func makeEngine() -> Engine { Engine(state: State(), clock: .fixed(StoreSuite.clock)) }

    /// Runs commands, committing each one's entries as the server would; fails on a refusal.
    func run(_ engine: Engine, _ lines: [String], into journal: Journal) throws {
        for line in lines {
            let outcome = engine.handle(line: line, actor: "test")
            if case .error(let code, let message) = outcome.reply { XCTFail("\(store.name): \(line): \(code) \(message)") }
            try journal.commit(outcome.entries)
        }
    }

    func tables() throws -> [[[String?]]] { try StoreSuite.tableQueries.map { try store.rows($0) } }

    // MARK: cases

    func commitThenReloadGivesTheSameStateAndTables() throws {
        let journal = store.makeJournal()
        XCTAssertEqual(try journal.load().lastSeq, 0)
        let engine = makeEngine()
        try run(engine, StoreSuite.commands, into: journal)
        journal.close()

        let reopened = store.makeJournal()
        defer { reopened.close() }
        let state = try reopened.load()
        XCTAssertEqual(state.lastSeq, engine.state.lastSeq, store.name)
        XCTAssertEqual(state.snapshotText(), engine.state.snapshotText(), store.name)
        XCTAssertNotNil(state.requests.lookup(scope: "test", token: "retry-1")?.digest, store.name)
        XCTAssertEqual(state.requests.all, engine.state.requests.all, store.name)
        XCTAssertEqual(try store.verifyChain(reopened), Int(engine.state.lastSeq), store.name)

        // The tables are the same as the embedded store's, row for row.
        let reference = try SQLiteStoreUnderTest()
        defer { reference.cleanUp() }
        let referenceJournal = reference.makeJournal()
        _ = try referenceJournal.load()
        try StoreSuite(store: reference).run(makeEngine(), StoreSuite.commands, into: referenceJournal)
        referenceJournal.close()
        let expected = try StoreSuite(store: reference).tables()
        let found = try tables()
        for (index, query) in StoreSuite.tableQueries.enumerated() {
            XCTAssertEqual(found[index], expected[index], "\(store.name): \(query)")
        }
        XCTAssertEqual(try store.rows("SELECT COUNT(*) FROM journal")[0][0], String(engine.state.lastSeq))
        // Receipts, an issue, a transfer's two moves and counts: each move the state recorded is a row.
        XCTAssertEqual(Set(engine.state.moves.map(\.kind)), [.received, .issued, .transferOut, .transferIn, .adjusted], store.name)
        XCTAssertEqual(try store.rows(StoreSuite.moveQuery), StoreSuite.moveRows(engine.state), store.name)
    }

    func snapshotThenMoreCommitsReloadsTheLiveState() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        let engine = makeEngine()
        try run(engine, Array(StoreSuite.commands.prefix(8)), into: journal)
        try journal.writeSealedSnapshot(engine.state, engine: engine)
        let copy = engine.state
        try run(engine, Array(StoreSuite.commands[8..<12]), into: journal)
        try journal.writeSealedSnapshot(copy, engine: engine) // an older copy, as the snapshot thread may deliver it
        var snapshotSeq: Int64 = 0
        for line in StoreSuite.commands[12...] {
            try run(engine, [line], into: journal)
            snapshotSeq = engine.state.lastSeq
            try journal.writeSealedSnapshot(engine.state, engine: engine)
        }
        journal.close()
        XCTAssertEqual(try store.rows("SELECT COUNT(*) FROM snapshots")[0][0], "3", store.name)
        XCTAssertEqual(try store.rows("SELECT MAX(seq) FROM snapshots")[0][0], String(snapshotSeq), store.name)

        let reopened = store.makeJournal()
        defer { reopened.close() }
        let state = try reopened.load()
        XCTAssertEqual(state.snapshotText(), engine.state.snapshotText(), store.name)
        XCTAssertEqual(reopened.loadedSnapshotSeq, snapshotSeq, store.name)
        // Only its seal follows it: the state loaded is the snapshot's, nothing to snapshot again.
        XCTAssertEqual(reopened.loadedSnapshotCovers, snapshotSeq + 1, store.name)
        let report = try store.verify(reopened)
        XCTAssertEqual(report.snapshotsChecked, 3, store.name)
        XCTAssertEqual(report.lastSeq, engine.state.lastSeq, store.name)
    }

    /// Journals written before seals, and a snapshot stored just before a crash (its seal never
    /// committed): such snapshots are skipped, an older sealed one or the whole journal is used.
    func unsealedSnapshotIsSkipped() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        let engine = makeEngine()
        try run(engine, Array(StoreSuite.commands.prefix(10)), into: journal)
        try journal.writeSnapshot(engine.state) // as a reliefd before seals did
        try run(engine, Array(StoreSuite.commands[10..<20]), into: journal)
        journal.close()
        try store.tamper("UPDATE \(store.snapshotTextTable) SET body = 'not a snapshot'") // never read: it has no seal

        let old = store.makeJournal()
        XCTAssertEqual(try old.load().snapshotText(), engine.state.snapshotText(), store.name)
        XCTAssertEqual(old.loadedSnapshotSeq, 0, store.name)
        XCTAssertEqual(try store.verify(old).snapshotsUnsealed, 1, store.name)

        // Sealed from now on; a later snapshot whose seal never made it is passed over.
        let sealedSeq = engine.state.lastSeq
        try old.writeSealedSnapshot(engine.state, engine: engine)
        try run(engine, Array(StoreSuite.commands[20...]), into: old)
        try old.writeSnapshot(engine.state)
        old.close()

        let reopened = store.makeJournal()
        defer { reopened.close() }
        XCTAssertEqual(try reopened.load().snapshotText(), engine.state.snapshotText(), store.name)
        XCTAssertEqual(reopened.loadedSnapshotSeq, sealedSeq, store.name)
        XCTAssertEqual(reopened.loadedSnapshotCovers, sealedSeq + 1, store.name)
    }

    /// The filed problem: an edited snapshot row changed the live state silently.
    func editedSnapshotRowStopsTheLoadNamingItsSeq() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        let engine = makeEngine()
        try run(engine, Array(StoreSuite.commands.prefix(10)), into: journal)
        let snapshotSeq = engine.state.lastSeq
        let seal = try journal.writeSealedSnapshot(engine.state, engine: engine)
        try run(engine, Array(StoreSuite.commands[10...]), into: journal)
        journal.close()
        // Still a well-formed snapshot, parsing to a plausible state: only the seal tells.
        try store.tamper("UPDATE \(store.snapshotTextTable) SET body = replace(body, 'Yangquan Steel', 'Someone Else')")
        XCTAssertEqual(try store.rows("SELECT COUNT(*) FROM \(store.snapshotTextTable) WHERE body LIKE '%Someone Else%'")[0][0], "1", store.name)

        let reopened = store.makeJournal()
        defer { reopened.close() }
        XCTAssertThrowsError(try reopened.load(), store.name) { error in
            XCTAssertEqual((error as? StoreError)?.seq, snapshotSeq, "\(store.name): \(error)")
            XCTAssertFalse((error as? StoreError)?.isTransient ?? true, "\(store.name): \(error)")
            XCTAssertTrue("\(error)".contains("snapshot at seq \(snapshotSeq) does not match its seal (journal entry seq \(seal.seq))"),
                          "\(store.name): \(error)")
        }
        XCTAssertThrowsError(try store.verify(reopened), store.name) { error in
            XCTAssertEqual((error as? StoreError)?.seq, snapshotSeq, "\(store.name): \(error)")
        }
    }

    /// The filed problem: rows before the snapshot were never checked again.
    func editedJournalRowBeforeTheSnapshotStopsTheLoad() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        let engine = makeEngine()
        try run(engine, Array(StoreSuite.commands.prefix(10)), into: journal)
        try journal.writeSealedSnapshot(engine.state, engine: engine)
        try run(engine, Array(StoreSuite.commands[10...]), into: journal)
        journal.close()
        try store.tamper("UPDATE journal SET body = replace(body, '4000', '40000') WHERE seq = 7")

        let reopened = store.makeJournal()
        defer { reopened.close() }
        XCTAssertThrowsError(try reopened.load(), store.name) { error in
            XCTAssertEqual((error as? StoreError)?.seq, 7, "\(store.name): \(error)")
            XCTAssertTrue("\(error)".contains("journal entry seq 7 fails the hash chain"), "\(store.name): \(error)")
        }
        XCTAssertThrowsError(try store.verify(reopened), store.name) { error in
            XCTAssertEqual((error as? StoreError)?.seq, 7, "\(store.name): \(error)")
        }

        // With the snapshot edited as well, the first bad seq is still the one named.
        try store.tamper("UPDATE \(store.snapshotTextTable) SET body = replace(body, 'Yangquan Steel', 'Someone Else')")
        XCTAssertThrowsError(try store.makeJournal().load(), store.name) { error in
            XCTAssertEqual((error as? StoreError)?.seq, 7, "\(store.name): \(error)")
        }
    }

    func tamperedJournalRowMakesLoadThrowNamingTheSeq() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        try run(makeEngine(), Array(StoreSuite.commands.prefix(8)), into: journal)
        journal.close()
        try store.tamper("UPDATE journal SET body = replace(body, '4000', '40000') WHERE seq = 7")

        let reopened = store.makeJournal()
        defer { reopened.close() }
        XCTAssertThrowsError(try reopened.load(), store.name) { error in
            XCTAssertTrue("\(error)".contains("seq 7 fails the hash chain"), "\(store.name): \(error)")
        }
    }

    func driftedTablesAreRebuiltOnLoad() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        try run(makeEngine(), StoreSuite.commands, into: journal)
        journal.close()
        let before = try tables()
        try store.tamper("DELETE FROM holdings WHERE warehouse = 'jz-01'")
        try store.tamper("UPDATE volunteers SET status = 'available' WHERE id = 'v1'")
        try store.tamper("DELETE FROM team_members")

        let reopened = store.makeJournal()
        defer { reopened.close() }
        _ = try reopened.load()
        XCTAssertEqual(try tables(), before, store.name)
    }

    func batchThatDoesNotFollowIsRefusedAndNothingIsStored() throws {
        let journal = store.makeJournal()
        defer { journal.close() }
        _ = try journal.load()
        let engine = makeEngine()
        try run(engine, Array(StoreSuite.commands.prefix(3)), into: journal)
        let outcome = engine.handle(line: StoreSuite.commands[3], actor: "test")
        var skipped = outcome.entries
        skipped[0].seq += 1
        XCTAssertThrowsError(try journal.commit(skipped), store.name) { error in
            XCTAssertFalse((error as? StoreError)?.isTransient ?? true, "\(store.name): \(error)")
        }
        XCTAssertEqual(try store.rows("SELECT COUNT(*) FROM journal")[0][0], "3", store.name)
        try journal.commit(outcome.entries)
        XCTAssertEqual(try store.verifyChain(journal), 4, store.name)
    }

    func largeAndSingleEntryBatchesCommitAndReload() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        let engine = makeEngine()
        try run(engine, Array(StoreSuite.commands.prefix(6)), into: journal)
        var big: [Entry] = []
        for index in 0..<5000 {
            big += engine.handle(line: "stock receive ty-01 water-5l 1 lot=L-\(index) supplier=bench", actor: "bench").entries
        }
        try journal.commit(big)
        try run(engine, ["stock issue ty-01 water-5l 7"], into: journal)
        journal.close()

        let reopened = store.makeJournal()
        defer { reopened.close() }
        XCTAssertEqual(try reopened.load().snapshotText(), engine.state.snapshotText(), store.name)
        XCTAssertEqual(try store.rows("SELECT SUM(on_hand) FROM holdings")[0][0], "4993", store.name)
    }

    func newerSchemaVersionRefusesToOpen() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        journal.close()
        try store.tamper("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)")
        let reopened = store.makeJournal()
        defer { reopened.close() }
        XCTAssertThrowsError(try reopened.load(), store.name) { error in
            XCTAssertTrue("\(error)".contains("schema version 99"), "\(store.name): \(error)")
        }
    }
}

final class SQLiteStoreSuiteTests: XCTestCase {
    private var store: SQLiteStoreUnderTest!
    private var suite: StoreSuite { StoreSuite(store: store) }
    override func setUpWithError() throws { store = try SQLiteStoreUnderTest() }
    override func tearDown() { store?.cleanUp() }

    func testCommitThenReloadGivesTheSameStateAndTables() throws { try suite.commitThenReloadGivesTheSameStateAndTables() }
    func testSnapshotThenMoreCommitsReloadsTheLiveState() throws { try suite.snapshotThenMoreCommitsReloadsTheLiveState() }
    func testUnsealedSnapshotIsSkipped() throws { try suite.unsealedSnapshotIsSkipped() }
    func testEditedSnapshotRowStopsTheLoadNamingItsSeq() throws { try suite.editedSnapshotRowStopsTheLoadNamingItsSeq() }
    func testEditedJournalRowBeforeTheSnapshotStopsTheLoad() throws { try suite.editedJournalRowBeforeTheSnapshotStopsTheLoad() }
    func testTamperedJournalRowMakesLoadThrowNamingTheSeq() throws { try suite.tamperedJournalRowMakesLoadThrowNamingTheSeq() }
    func testDriftedTablesAreRebuiltOnLoad() throws { try suite.driftedTablesAreRebuiltOnLoad() }
    func testBatchThatDoesNotFollowIsRefused() throws { try suite.batchThatDoesNotFollowIsRefusedAndNothingIsStored() }
    func testLargeAndSingleEntryBatches() throws { try suite.largeAndSingleEntryBatchesCommitAndReload() }
    func testNewerSchemaVersionRefusesToOpen() throws { try suite.newerSchemaVersionRefusesToOpen() }
    func testIncidentScenarioTablesMatchTheEmbeddedStore() throws { try suite.incidentScenarioTablesMatchTheEmbeddedStore() }
    func testDriftedIncidentTablesAreRebuiltOnLoad() throws { try suite.driftedIncidentTablesAreRebuiltOnLoad() }
    func testNeedRefsAreProjectedAndRepairedOnLoad() throws { try suite.needRefsAreProjectedAndRepairedOnLoad() }
    func testNeedSchedulesAndReachesAreProjectedAndRepairedOnLoad() throws { try suite.needSchedulesAndReachesAreProjectedAndRepairedOnLoad() }

    // SQLite only.

    func testVersionFourFileGetsItsRefsOnUpgrade() throws { try store.versionFourFileGetsItsRefsOnUpgrade() }
    func testVersionFiveFileGetsItsSchedulesOnUpgrade() throws { try store.versionFiveFileGetsItsSchedulesOnUpgrade() }
    func testVersionSevenFileGetsItsStockMovesOnUpgrade() throws { try store.versionSevenFileGetsItsStockMovesOnUpgrade() }
    func testHistoryTraceAndDisclosureReadOlderMovesFromTheStore() throws { try suite.historyTraceAndDisclosureReadOlderMovesFromTheStore() }
}

final class PostgresStoreSuiteTests: XCTestCase {
    private var store: PostgresStoreUnderTest!
    private var suite: StoreSuite { StoreSuite(store: store) }
    override func setUpWithError() throws {
        try PostgresStoreUnderTest.skipUnlessConfigured()
        store = try PostgresStoreUnderTest()
    }
    override func tearDown() { store?.cleanUp() }

    func testCommitThenReloadGivesTheSameStateAndTables() throws { try suite.commitThenReloadGivesTheSameStateAndTables() }
    func testSnapshotThenMoreCommitsReloadsTheLiveState() throws { try suite.snapshotThenMoreCommitsReloadsTheLiveState() }
    func testUnsealedSnapshotIsSkipped() throws { try suite.unsealedSnapshotIsSkipped() }
    func testEditedSnapshotRowStopsTheLoadNamingItsSeq() throws { try suite.editedSnapshotRowStopsTheLoadNamingItsSeq() }
    func testEditedJournalRowBeforeTheSnapshotStopsTheLoad() throws { try suite.editedJournalRowBeforeTheSnapshotStopsTheLoad() }
    func testTamperedJournalRowMakesLoadThrowNamingTheSeq() throws { try suite.tamperedJournalRowMakesLoadThrowNamingTheSeq() }
    func testDriftedTablesAreRebuiltOnLoad() throws { try suite.driftedTablesAreRebuiltOnLoad() }
    func testBatchThatDoesNotFollowIsRefused() throws { try suite.batchThatDoesNotFollowIsRefusedAndNothingIsStored() }
    func testLargeAndSingleEntryBatches() throws { try suite.largeAndSingleEntryBatchesCommitAndReload() }
    func testNewerSchemaVersionRefusesToOpen() throws { try suite.newerSchemaVersionRefusesToOpen() }
    func testIncidentScenarioTablesMatchTheEmbeddedStore() throws { try suite.incidentScenarioTablesMatchTheEmbeddedStore() }
    func testDriftedIncidentTablesAreRebuiltOnLoad() throws { try suite.driftedIncidentTablesAreRebuiltOnLoad() }
    func testNeedRefsAreProjectedAndRepairedOnLoad() throws { try suite.needRefsAreProjectedAndRepairedOnLoad() }
    func testNeedSchedulesAndReachesAreProjectedAndRepairedOnLoad() throws { try suite.needSchedulesAndReachesAreProjectedAndRepairedOnLoad() }

    // PostgreSQL only.

    func testIncidentTablesRebuiltFromTheJournalAreTheCommittedOnes() throws { try store.rebuildFromTheJournalGivesTheCommittedTables() }
    func testVersionOneDatabaseGetsItsIncidentTablesOnUpgrade() throws { try store.versionOneDatabaseGetsItsIncidentTablesOnUpgrade() }
    func testVersionThreeDatabaseGetsItsRefsOnUpgrade() throws { try store.versionThreeDatabaseGetsItsRefsOnUpgrade() }
    func testVersionFourDatabaseGetsItsSchedulesOnUpgrade() throws { try store.versionFourDatabaseGetsItsSchedulesOnUpgrade() }
    func testVersionFiveDatabaseGetsItsStockMovesOnUpgrade() throws { try store.versionFiveDatabaseGetsItsStockMovesOnUpgrade() }
    func testHistoryTraceAndDisclosureReadOlderMovesFromTheStore() throws { try suite.historyTraceAndDisclosureReadOlderMovesFromTheStore() }

    func testCommittedEntriesAreNotifiedOnTheEventsChannel() throws {
        let listener = PostgresJournal(url: store.url, logger: store.logger)
        defer { listener.close() }
        let journal = store.makeJournal() as! PostgresJournal
        defer { journal.close() }
        _ = try journal.load()
        _ = try listener.query("LISTEN reliefd_events")
        try StoreSuite(store: store).run(store.makeEngineForNotify(), Array(StoreSuite.commands.prefix(2)), into: journal)
        var payloads: [String] = []
        for _ in 0..<10 where payloads.count < 2 {
            payloads += listener.driver.waitForNotifications(seconds: 1).map(\.payload)
        }
        XCTAssertEqual(payloads, ["1 region.added", "2 region.added"])
    }

    func testCommitWithoutTheLeaderLockIsFenced() throws {
        let journal = store.makeJournal() as! PostgresJournal
        defer { journal.close() }
        _ = try journal.load()
        journal.fencePID = 1 // no session with this pid holds the lock
        let engine = suite.makeEngine()
        let outcome = engine.handle(line: StoreSuite.commands[0], actor: "test")
        XCTAssertThrowsError(try journal.commit(outcome.entries)) { error in
            XCTAssertTrue("\(error)".contains("no longer holds the leader lock"), "\(error)")
        }
        XCTAssertEqual(try store.rows("SELECT COUNT(*) FROM journal")[0][0], "0")
    }

    func testMigrationFromSQLiteCopiesTheJournalAndBuildsTheTables() throws {
        let source = try SQLiteStoreUnderTest()
        defer { source.cleanUp() }
        let sourceJournal = source.makeJournal() as! SQLiteJournal
        _ = try sourceJournal.load()
        let engine = suite.makeEngine()
        try StoreSuite(store: source).run(engine, Array(StoreSuite.commands.prefix(20)), into: sourceJournal)
        let snapshotSeq = engine.state.lastSeq
        try sourceJournal.writeSealedSnapshot(engine.state, engine: engine)
        try StoreSuite(store: source).run(engine, Array(StoreSuite.commands[20...]), into: sourceJournal)
        sourceJournal.close()

        let target = store.makeJournal() as! PostgresJournal
        let report = try JournalCopy.copy(from: SQLiteJournal(path: source.path, logger: store.logger), to: target, logger: store.logger)
        target.close()
        XCTAssertEqual(report.entries, Int(engine.state.lastSeq))
        XCTAssertEqual(report.snapshots, 1)
        XCTAssertEqual(try tablesOf(source), try suite.tables())

        // Loaded again from PostgreSQL alone: the same operation.
        let reopened = store.makeJournal()
        defer { reopened.close() }
        XCTAssertEqual(try reopened.load().snapshotText(), engine.state.snapshotText())
        XCTAssertEqual(reopened.loadedSnapshotSeq, snapshotSeq)

        // A second migration into the same database is refused and changes nothing.
        XCTAssertThrowsError(try JournalCopy.copy(from: SQLiteJournal(path: source.path, logger: store.logger),
                                                  to: store.makeJournal() as! PostgresJournal, logger: store.logger)) { error in
            XCTAssertTrue("\(error)".contains("migrate only into an empty database"), "\(error)")
        }
    }

    private func tablesOf(_ other: StoreUnderTest) throws -> [[[String?]]] { try StoreSuite(store: other).tables() }
}

extension PostgresStoreUnderTest {
    func makeEngineForNotify() -> Engine { Engine(state: State(), clock: .fixed(StoreSuite.clock)) }
}

extension Journal {
    /// Stores a snapshot of `state` and commits its seal as the next entry of `engine` (whose state
    /// may be ahead of the snapshot's), as the server does.
    @discardableResult
    func writeSealedSnapshot(_ state: State, engine: Engine) throws -> Entry {
        let seal = try writeSnapshot(state)
        let entry = engine.record(seal.event)
        try commit([entry])
        return entry
    }
}
