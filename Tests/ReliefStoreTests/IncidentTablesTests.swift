import Foundation
import Logging
import XCTest
import ReliefCore
import ReliefEngine
import ReliefProtocol
@testable import ReliefStore

/// The incident tables (schema migration 3): entries made by the engine's incident commands commit,
/// the projected tables (incidents, needs, allocations, assignments, and the holdings and volunteers
/// they change) equal the state row for row without any repair at load, the reloaded state is the
/// same, and the open_needs view says what `incident show` says.
final class IncidentTablesTests: XCTestCase {
    private var directory: URL!
    private var path: String { directory.appendingPathComponent("reliefd.db").path }
    private let logger = Logger(label: "test.incident-tables")

    private final class TestClock: @unchecked Sendable {
        var now = Timestamp(milliseconds: 1_796_112_000_000) // 2026-12-01T08:00:00Z
        var clock: Clock { Clock { [self] in self.now } }
        func advance(hours: Int64) { now.milliseconds += hours * 3_600_000 }
    }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reliefd-incidents-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs request lines that must succeed and returns their entries.
    private func run(_ engine: Engine, _ lines: [String], file: StaticString = #filePath, line: UInt = #line) -> [Entry] {
        var entries: [Entry] = []
        for request in lines {
            let outcome = engine.handle(line: request, actor: "officer")
            if case .error(let code, let message) = outcome.reply { XCTFail("\(request) → \(code.rawValue) \(message)", file: file, line: line) }
            entries += outcome.entries
        }
        return entries
    }

    private static let setup = [
        "region add shanxi name=Shanxi level=province",
        "region add shanxi/taiyuan name=Taiyuan",
        #"warehouse add ty-01 name="Taiyuan depot" region=shanxi/taiyuan at=37.87,112.55"#,
        #"warehouse add jz-01 name="Jinzhong depot" region=shanxi/taiyuan at=37.69,112.75"#,
        "item add water-5l name=Water category=water unit=bottle pack=4",
        "item add tent-12 name=Tent category=shelter unit=tent",
        "skill add first-aid name=\"First aid\" certificate=yes",
        "stock receive ty-01 water-5l 4000 lot=W1 expires=2027-06-30 donor=Steel",
        "stock receive jz-01 water-5l 900 lot=W2 expires=2027-01-31 supplier=Wahaha",
        "stock receive ty-01 tent-12 60 lot=T1",
        "volunteer add v1 name=v1 region=shanxi/taiyuan at=37.87,112.55 skills=first-aid:3",
        "volunteer add v2 name=v2 region=shanxi/taiyuan at=37.87,112.55 skills=first-aid:3",
        "volunteer certify v1 first-aid issued=2026-01-01 expires=2027-12-31 issuer=RC",
        "volunteer certify v2 first-aid issued=2026-01-01 expires=2027-12-31 issuer=RC",
        #"incident open flood title="Taiyuan flash flood" kind=flood at=37.86,112.56 region=shanxi/taiyuan severity=4 affected=1200"#,
        #"incident open quake title="Small quake" kind=earthquake at=37.8,112.5 region=shanxi/taiyuan severity=1"#,
        "need add flood supply water-5l 3000 priority=1",
        "need add flood supply tent-12 80",
        "need add flood volunteers first-aid 2 hours=8",
        "need add quake supply water-5l 100",
        "need add flood supply tent-12 5",
        "allocation reserve N-000001 ty-01 W1 1000",
        "allocation reserve N-000001 jz-01 W2 500",
        "allocation reserve N-000001 ty-01 W1 300",
        "allocation dispatch AL-000002 note=\"truck 3\"",
        "allocation dispatch AL-000003",
        "allocation deliver AL-000003",
        "allocation reserve N-000002 ty-01 T1 50",
        "allocation reserve N-000005 ty-01 T1 0005",
        "need cancel N-000005 reason=duplicate",
        "assignment add N-000003 v1",
        "assignment add N-000003 v2",
        "assignment onscene AS-000001",
        "incident update flood affected=1500 note=\"river rising\"",
        "need change N-000002 qty=90 priority=2",
        "incident status quake closed",
    ]

    func testIncidentEntriesCommitAndTheTablesMatchTheStateAfterReload() throws {
        let clock = TestClock()
        let engine = Engine(clock: clock.clock)
        let journal = SQLiteJournal(path: path, logger: logger)
        _ = try journal.load()
        // Committed in several transactions, as the loop would, with time moving on.
        try journal.commit(run(engine, Array(Self.setup.prefix(15))))
        try journal.commit(run(engine, Array(Self.setup[15...])))
        clock.advance(hours: 5)
        try journal.commit(run(engine, ["assignment release AS-000001", "allocation release AL-000002 reason=\"road closed\"",
                                        "assignment enroute AS-000002"]))
        XCTAssertEqual(engine.state.invariantViolations(), [])
        journal.close()

        // The tables were kept in step by the commits themselves (checked before load could repair them).
        let connection = try SQLiteConnection(path: path)
        let projector = try SQLiteProjector(connection: connection)
        XCTAssertTrue(try projector.tablesMatch(engine.state), "the projected tables differ from the state")
        projector.finalize()
        XCTAssertEqual(try connection.scalarInt("SELECT SUM(reserved) FROM holdings"), 1050)
        XCTAssertEqual(try connection.scalarInt("SELECT on_hand FROM holdings WHERE warehouse = 'jz-01' AND lot = 'W2'"), 900, "released in transit: back on the shelf")
        XCTAssertEqual(try connection.scalarText("SELECT status FROM volunteers WHERE id = 'v1'"), "available")
        XCTAssertEqual(try connection.scalarText("SELECT status FROM volunteers WHERE id = 'v2'"), "deployed")
        XCTAssertEqual(try connection.scalarInt("SELECT hours_ms FROM assignments WHERE id = 'AS-000001'"), 5 * 3_600_000)
        XCTAssertEqual(try connection.scalarInt("SELECT COUNT(*) FROM duty_log WHERE volunteer = 'v1' AND incident = 'flood'"), 1)
        connection.close()

        let reopened = SQLiteJournal(path: path, logger: logger)
        defer { reopened.close() }
        let loaded = try reopened.load()
        XCTAssertEqual(loaded.snapshotText(), engine.state.snapshotText())

        // And again from a snapshot plus the entries after it.
        let more = Engine(state: loaded, clock: clock.clock)
        try reopened.writeSealedSnapshot(loaded, engine: more)
        clock.advance(hours: 1)
        try reopened.commit(run(more, ["assignment onscene AS-000002", "allocation dispatch AL-000001", "need add flood supply water-5l 10"]))
        reopened.close()
        let third = SQLiteJournal(path: path, logger: logger)
        defer { third.close() }
        XCTAssertEqual(try third.load().snapshotText(), more.state.snapshotText())
        XCTAssertEqual(third.loadedSnapshotSeq, loaded.lastSeq)
    }

    func testOpenNeedsViewSaysWhatIncidentShowSays() throws {
        let clock = TestClock()
        let engine = Engine(clock: clock.clock)
        let journal = SQLiteJournal(path: path, logger: logger)
        _ = try journal.load()
        try journal.commit(run(engine, Self.setup))
        journal.close()

        // incident show's need rows of open needs, in the state's most-urgent-first order.
        var expected: [String] = []
        for need in engine.state.openNeeds() {
            guard let rows = engine.handle(line: "incident show \(need.incident)", actor: "officer").reply.rowList,
                  let row = rows.first(where: { $0["record"] == "need" && $0["id"] == need.id }) else { return XCTFail("no row for \(need.id)") }
            expected.append(["id", "amount", "priority", "met", "in_transit", "delivered"].map { row[$0] ?? "?" }.joined(separator: " ")
                            + " missing=\(row["missing"] ?? "?")")
        }
        XCTAssertEqual(expected.count, 3, "the cancelled need and the closed incident's need are not open")

        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        let statement = try connection.prepare("SELECT need, amount, priority, met, in_transit, delivered FROM open_needs")
        defer { statement.finalize() }
        var fromView: [String] = []
        while try statement.step() {
            let amount = statement.int64(1), met = statement.int64(3)
            fromView.append("\(statement.text(0)!) \(amount) \(statement.int64(2)) \(met) \(statement.int64(4)) \(statement.int64(5))"
                            + " missing=\(max(0, amount - met))")
        }
        XCTAssertEqual(fromView, expected)
        XCTAssertEqual(fromView.first, "N-000001 3000 1 1800 500 300 missing=1200")
    }
}
