import XCTest
import ReliefCore
import ReliefEngine
import ReliefProtocol
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

extension StoreSuite {
    /// A request answered as the daemon answers it: off-loop work computed (here, on this thread)
    /// and completed, again when the state moved meanwhile.
    static func answer(_ engine: Engine, _ line: String) throws -> Reply {
        guard case .success(let request) = RequestParser.parse(line) else {
            XCTFail("the test's own request does not parse: \(line)")
            return .error(.syntax, "unparsable \(line)")
        }
        guard var deferred = engine.offload(request, as: .system("test")) else { return engine.handle(request, actor: "test").reply }
        for _ in 0...Engine.offloadAttempts {
            switch engine.complete(deferred, result: deferred.compute()) {
            case .outcome(let outcome): return outcome.reply
            case .again(let again): deferred = again
            }
        }
        return .error(.internal, "ran again too often")
    }

    /// With a window of one chunk, the lot's and warehouses' older moves leave memory; `stock
    /// history`, `donation trace`, `donation show` and `disclose` read them from the store and
    /// answer what an engine holding every move answers.
    func historyTraceAndDisclosureReadOlderMovesFromTheStore() throws {
        let journal = store.makeJournal()
        _ = try journal.load()
        defer { journal.close() }
        let now = Timestamp(milliseconds: 1_796_000_000_000)
        var bounded = State()
        bounded.boundMoveHistory(to: ChunkedList<StockMove>.chunkSize)
        let small = Engine(state: bounded, clock: .fixed(now))
        small.storedMoves = store.readMoves
        var unbounded = State()
        unbounded.boundMoveHistory(to: Int.max)
        let whole = Engine(state: unbounded, clock: .fixed(now))
        func both(_ lines: [String]) throws {
            var entries: [Entry] = []
            for line in lines {
                let outcome = small.handle(line: line, actor: "keeper")
                XCTAssertFalse(outcome.reply.isError, "\(line): \(outcome.reply)")
                XCTAssertFalse(whole.handle(line: line, actor: "keeper").reply.isError, line)
                entries += outcome.entries
            }
            try journal.commit(entries)
        }
        try both([
            "region add shanxi name=Shanxi",
            "warehouse add ty-01 name=\"Taiyuan depot\" region=shanxi at=37.87,112.55",
            "warehouse add jz-01 name=\"Jinzhong depot\" region=shanxi at=37.69,112.75",
            "item add water-5l name=\"Water 5L\" category=water unit=bottle",
            "item add tent-12 name=\"Family tent\" category=shelter unit=piece",
            #"donation add receipt=D-A donor="Yangquan Steel" goods=water-5l:5000"#,
            "stock receive ty-01 water-5l 5000 lot=DA-W1 donation=D-A",
            "stock transfer ty-01 jz-01 water-5l 300 lot=DA-W1",
            #"stock issue ty-01 water-5l 100 lot=DA-W1 to="Xiaodian school shelter""#,
        ])
        // Enough other traffic to push those moves out of memory, in batches as a loop commits them.
        for batch in 0..<5 {
            try both((0..<500).map { n in
                n % 2 == 0 ? "stock receive jz-01 tent-12 5 lot=F-\(batch)-\(n % 40) supplier=Acme"
                           : "stock transfer jz-01 ty-01 tent-12 1 lot=F-\(batch)-\((n - 1) % 40)"
            })
        }
        try both([
            "stock adjust ty-01 DA-W1 delta=-20 reason=damaged",
            "stock transfer jz-01 ty-01 water-5l 50 lot=DA-W1",
        ])
        XCTAssertTrue(small.state.hasEarlierMoves(lot: "DA-W1"), store.name)
        XCTAssertTrue(small.state.hasEarlierMoves(warehouse: "jz-01"), store.name)
        XCTAssertEqual(small.state.invariantViolations(), [], store.name)

        for line in ["stock history lot=DA-W1", "stock history lot=DA-W1 limit=2", "stock history lot=DA-W1 warehouse=jz-01",
                     "stock history warehouse=ty-01", "stock history warehouse=ty-01 limit=2000",
                     "stock history warehouse=jz-01 item=water-5l", "stock history lot=F-0-3", "stock history warehouse=jz-01 limit=5000",
                     "donation trace D-A", "donation show D-A", "donation list", "disclose", "disclose section=items"] {
            XCTAssertEqual(try StoreSuite.answer(small, line), try StoreSuite.answer(whole, line), "\(store.name): \(line)")
        }
        // Without the store's moves, memory alone answers differently: the reads are what made them equal.
        XCTAssertNotEqual(small.handle(line: "stock history lot=DA-W1", actor: "test").reply,
                          whole.handle(line: "stock history lot=DA-W1", actor: "test").reply)
        let shortTrace = small.handle(line: "donation trace D-A", actor: "test").reply
        XCTAssertNotEqual(shortTrace, whole.handle(line: "donation trace D-A", actor: "test").reply)
        // Memory alone says what it leaves out, and still balances.
        let earlierRows = shortTrace.rowList?.filter { $0["step"] == "earlier_steps" } ?? []
        XCTAssertEqual(earlierRows.map { $0["quantity"] }, [String(small.state.earlierMoves["DA-W1"]?.count ?? 0)], store.name)
        XCTAssertFalse(shortTrace.rowList?.contains { $0["detail"]?.contains("DOES NOT BALANCE") ?? false } ?? true)

        // A restart from a snapshot of the bounded state: the table keeps every move and passes
        // the load's check as it is (a check against memory alone would "repair" the history away).
        let allMoves = StoreSuite.moveRows(whole.state)
        XCTAssertEqual(try store.rows(StoreSuite.moveQuery), allMoves, store.name)
        let seal = try journal.writeSnapshot(small.state)
        try journal.commit([small.record(seal.event)])
        journal.close()
        let reopened = store.makeJournal()
        let loaded = try reopened.load()
        reopened.close()
        XCTAssertEqual(reopened.loadedSnapshotSeq, seal.snapshotSeq, store.name)
        XCTAssertGreaterThan(loaded.movesBefore, 0, store.name)
        XCTAssertTrue(try store.tablesPassTheLoadCheck(loaded), store.name)
        XCTAssertEqual(try store.rows(StoreSuite.moveQuery), allMoves, store.name)

        // Older rows lost (a hand edit, or a store migrated from before the table): the load
        // rebuilds them from the journal.
        try store.tamper("DELETE FROM stock_moves WHERE seq < 200")
        XCTAssertFalse(try store.tablesPassTheLoadCheck(loaded), store.name)
        let repaired = store.makeJournal()
        XCTAssertEqual(try repaired.load().snapshotText(), loaded.snapshotText(), store.name)
        repaired.close()
        XCTAssertEqual(try store.rows(StoreSuite.moveQuery), allMoves, store.name)
        XCTAssertTrue(try store.tablesPassTheLoadCheck(loaded), store.name)
    }
}
