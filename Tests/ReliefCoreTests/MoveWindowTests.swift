import Foundation
import XCTest
@testable import ReliefCore

/// The stock-move history held in memory is bounded (State+MoveWindow.swift): the same operation
/// run with a small window and with every move kept gives the same stock, the same lineage totals,
/// and — given the moves the store holds — the same lineage steps; a snapshot carries the window.
final class MoveWindowTests: XCTestCase {
    private static let chunk = ChunkedList<StockMove>.chunkSize

    /// Receipts into 12 lots over two warehouses, with issues, transfers and counts among them:
    /// `rounds` × 4 moves and more, applied to a builder whose state keeps `window` moves.
    private func operation(window: Int, rounds: Int = 1_500) throws -> StateBuilder {
        var b = try StateBuilder.shanxi()
        b.state.boundMoveHistory(to: window)
        for round in 0..<rounds {
            let lot = "L\(round % 12)"
            let home = round % 3 == 0 ? "dt-01" : "ty-01", away = home == "ty-01" ? "dt-01" : "ty-01"
            try b.apply(.lotReceived(warehouse: home, lot: lot, sku: round % 2 == 0 ? "water-5l" : "tent-12", quantity: 40, expires: nil,
                                     source: .donation, party: "Donor \(round % 7)", note: nil))
            try b.apply(.lotIssued(warehouse: home, lot: lot, quantity: 10, recipient: "camp \(round % 4)", note: nil))
            try b.apply(.lotTransferred(from: home, to: away, lot: lot, quantity: 5, note: "round \(round)"))
            if round % 9 == 0 { try b.apply(.lotAdjusted(warehouse: away, lot: lot, delta: -1, reason: .damaged, note: nil)) }
        }
        return b
    }

    func testASmallWindowKeepsTheStockAndTotalsOfEveryMove() throws {
        let full = try operation(window: Int.max)
        let bounded = try operation(window: Self.chunk)
        let all = Array(full.state.moves)
        XCTAssertGreaterThan(all.count, 4 * Self.chunk, "the test needs moves well past the window")
        XCTAssertEqual(full.state.movesBefore, 0)

        let state = bounded.state
        XCTAssertLessThan(state.moves.count, 2 * Self.chunk)
        XCTAssertGreaterThanOrEqual(state.moves.count, Self.chunk)
        XCTAssertEqual(state.movesBefore + state.moves.count, all.count)
        XCTAssertEqual(Array(state.moves), Array(all.suffix(state.moves.count)))
        XCTAssertEqual(state.invariantViolations(), [])
        XCTAssertEqual(state.stock, full.state.stock)

        let oldest = try XCTUnwrap(state.oldestMoveSeqInMemory)
        for lot in state.lots.keys {
            XCTAssertEqual(state.movesFor(lot: lot), all.filter { $0.lot == lot && $0.seq >= oldest }, lot)
            XCTAssertTrue(state.hasEarlierMoves(lot: lot), lot)
            let whole = try XCTUnwrap(full.state.lineage(of: lot))
            let summed = try XCTUnwrap(state.lineage(of: lot))
            XCTAssertEqual([summed.received, summed.issued, summed.adjusted, summed.inStock], [whole.received, whole.issued, whole.adjusted, whole.inStock], lot)
            XCTAssertEqual(summed.held.map(\.warehouse), whole.held.map(\.warehouse), lot)
            XCTAssertTrue(summed.balances, lot)
            XCTAssertEqual(summed.earlierMoves, all.filter { $0.lot == lot && $0.seq < oldest }.count, lot)
            XCTAssertEqual(summed.steps, whole.steps.filter { $0.seq >= oldest || $0.kind == .delivered }, lot)
            // With the moves the store holds, every step.
            var given = try XCTUnwrap(state.lineage(of: lot, earlier: all.filter { $0.seq < oldest }))
            XCTAssertEqual(given.earlierMoves, 0)
            given.earlierMoves = whole.earlierMoves
            XCTAssertEqual(given, whole, lot)
        }
        for warehouse in ["ty-01", "dt-01"] {
            XCTAssertEqual(state.movesFor(warehouse: warehouse), all.filter { $0.warehouse == warehouse && $0.seq >= oldest })
            XCTAssertEqual(state.movesFor(warehouse: warehouse, newest: 7), Array(all.filter { $0.warehouse == warehouse }.suffix(7)))
            XCTAssertTrue(state.hasEarlierMoves(warehouse: warehouse))
        }
    }

    func testASnapshotCarriesTheWindowAndWhatTheEarlierMovesAddedUpTo() throws {
        let bounded = try operation(window: Self.chunk)
        let text = bounded.state.snapshotText()
        XCTAssertLessThan(text.components(separatedBy: "\"t\":\"move\"").count - 1, 2 * Self.chunk)
        XCTAssertTrue(text.contains("\"moves_before\":\(bounded.state.movesBefore)"))
        var loaded = try State(snapshotText: text)
        let again = loaded.snapshotText()
        if again != text {
            let a = again.split(separator: "\n"), b = text.split(separator: "\n")
            for (x, y) in zip(a, b) where x != y { XCTFail("first difference:\n\(x)\n\(y)"); break }
            XCTAssertEqual(a.count, b.count)
        }
        XCTAssertEqual(loaded.movesBefore, bounded.state.movesBefore)
        XCTAssertEqual(loaded.earlierMoves, bounded.state.earlierMoves)
        XCTAssertEqual(loaded.invariantViolations(), [])
        // The loaded state, bounded like the live one, goes on like it.
        loaded.boundMoveHistory(to: Self.chunk)
        var live = bounded.state
        for n in 0..<(3 * Self.chunk) {
            let entry = Entry(seq: live.lastSeq + 1, time: Timestamp(milliseconds: 1_796_000_000_000 + Int64(n)), actor: "test",
                              event: .lotTransferred(from: "ty-01", to: "dt-01", lot: "L1", quantity: 1, note: nil))
            try live.apply(entry)
            try loaded.apply(entry)
        }
        XCTAssertEqual(loaded.snapshotText(), live.snapshotText())
        XCTAssertEqual(loaded.invariantViolations(), [])

        // A snapshot of the whole history (written before the window, or with a larger one) loads
        // into the default window and trims to it.
        let full = try operation(window: Int.max)
        var reloaded = try State(snapshotText: full.state.snapshotText())
        XCTAssertEqual(reloaded.moves.count, full.state.moves.count, "under the default window, everything stays")
        reloaded.boundMoveHistory(to: Self.chunk)
        XCTAssertEqual(reloaded.moves.count, Self.chunk)
        XCTAssertEqual(reloaded.earlierMoves, try State(snapshotText: { var s = full.state; s.boundMoveHistory(to: Self.chunk); return s.snapshotText() }()).earlierMoves)
        XCTAssertEqual(reloaded.invariantViolations(), [])
    }

    func testDamagedEarlierRecordsAreRefusedOrCaught() throws {
        let text = try operation(window: Self.chunk, rounds: 600).state.snapshotText()
        for (from, to) in [("\"t\":\"earlier\",\"lot\":\"L3\",\"count\":", "\"t\":\"earlier\",\"lot\":\"L3\",\"count\":-"),
                           ("\"moves_before\":", "\"moves_before\":99999999999999999"),
                           ("\"t\":\"earlier_at\",\"lot\":\"L3\"", "\"t\":\"earlier_at\",\"lot\":\"nope\"")] {
            let damaged = text.replacingOccurrences(of: from, with: to)
            XCTAssertNotEqual(damaged, text, from)
            XCTAssertThrowsError(try State(snapshotText: damaged), from)
        }
        // A changed total loads, and the invariants name the lot.
        let changed = text.replacingOccurrences(of: "\"t\":\"earlier\",\"lot\":\"L3\",\"count\":", with: "\"t\":\"earlier\",\"lot\":\"L3\",\"count\":1,\"x\":")
        XCTAssertFalse(try State(snapshotText: changed).invariantViolations().isEmpty)
    }

    /// The journal fuzzer's seed with earlier-move records (Tests/Fuzz/corpus/journal) is a snapshot
    /// that loads and keeps its invariants, so the fuzzer starts from the new records, not past them.
    func testTheFuzzSeedWithEarlierMovesLoads() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/corpus/journal/42-snapshot-earlier-moves")
        let bytes = try Data(contentsOf: url)
        XCTAssertEqual(bytes.first, 0x01)
        let state = try State(snapshotText: String(decoding: bytes.dropFirst(), as: UTF8.self))
        XCTAssertEqual(state.movesBefore, 1)
        XCTAssertEqual(state.earlierMoves["W-1"]?.received, 400)
        XCTAssertEqual(state.invariantViolations(), [])
        XCTAssertEqual(try State(snapshotText: state.snapshotText()).snapshotText(), state.snapshotText())
    }
}
