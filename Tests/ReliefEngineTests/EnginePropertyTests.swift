import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// The engine's SplitMix64: small, fast and the same on every platform, so a failing seed replays exactly.
typealias SeededGenerator = SplitMix64

/// Random command sequences against the engine, checking after every step what must always hold.
final class EnginePropertyTests: XCTestCase {
    static let stepsPerSeed = 1500
    static let seeds: [UInt64] = [1, 20_261_201, 0xDEAD_BEEF]

    struct Fingerprint: Equatable {
        var lastSeq: Int64
        var stock: [String: [String: SkuStock]]
        var minimums: [String: [String: Int64]]
        var lots: [String: Lot]
        var moves: Int
        var requests: [RememberedRequest]
        var autoLot: Int64
        init(_ state: State) {
            lastSeq = state.lastSeq; stock = state.stock; minimums = state.minimums; lots = Dictionary(uniqueKeysWithValues: state.lots.map { ($0.key, $0.value) })
            moves = state.moves.count; requests = state.requests.all; autoLot = state.autoLotCounter
        }
    }

    func testRandomCommandSequencesKeepInvariantsAndReplayDeterministically() throws {
        for seed in Self.seeds {
            try runSequence(seed: seed)
        }
    }

    private func runSequence(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var time = december1
        let engine = Engine.testEngine(at: time)
        var entries: [Entry] = []
        for line in Engine.fixtureLines { entries += engine.handle(line: line, actor: "setup").entries }
        XCTAssertEqual(engine.state.warehouses.count, 3)
        var okCount = 0, refusedCount = 0
        var replies: [String: Reply] = [:]

        let warehouses = ["ty-01", "jz-01", "dt-01", "zz-99"]
        let skus = ["water-5l", "tent-12", "quilt", "caviar"]
        let quantities = ["1", "5", "17", "40", "120", "999", "0", "-3", "abc", "1.5", "1000000000001", "-9223372036854775808", ""]
        func pick<T>(_ options: [T]) -> T { options[Int(rng.next() % UInt64(options.count))] }
        func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }
        func lotCode() -> String {
            let known = Array(engine.state.lots.keys).sorted()
            if !known.isEmpty && chance(70) { return pick(known) }
            return pick(["L-000001", "NEW-\(rng.next() % 20)", "x y", "-bad"])
        }
        func day() -> String { pick(["2026-12-10", "2027-01-31", "2027-06-30", "2026-11-20", "2027-02-30", "soon"]) }

        for step in 0..<Self.stepsPerSeed {
            var line: String
            switch rng.next() % 7 {
            case 0, 1:
                line = "stock receive \(pick(warehouses)) \(pick(skus)) \(pick(quantities))"
                if chance(40) { line += " lot=\(lotCode())" }
                if chance(30) { line += " expires=\(day())" }
                if chance(30) { line += " donor=\"Donor \(rng.next() % 5)\"" }
                if chance(20) { line += " supplier=Supplier-\(rng.next() % 3)" }
            case 2:
                line = "stock issue \(pick(warehouses)) \(pick(skus)) \(pick(quantities))"
                if chance(20) { line += " lot=\(lotCode())" }
                if chance(30) { line += " to=\"Camp \(rng.next() % 9)\"" }
            case 3:
                line = "stock transfer \(pick(warehouses)) \(pick(warehouses)) \(pick(skus)) \(pick(quantities))"
                if chance(20) { line += " lot=\(lotCode())" }
            case 4:
                line = "stock adjust \(pick(warehouses)) \(lotCode())"
                if chance(50) { line += " count=\(pick(["0", "3", "25", "500", "-1", "x"]))" }
                if chance(60) { line += " delta=\(pick(["-1", "+2", "-10", "7", "0", "-9223372036854775808", "+-1"]))" }
                if chance(85) { line += " reason=\(pick(["damaged", "expired", "lost", "recount", "stolen"]))" }
            case 5:
                line = "stock min \(pick(warehouses)) \(pick(skus)) \(pick(["0", "10", "150", "-1", "lots"]))"
            default:
                line = pick(["stock query", "stock query low", "stock query expiring within=60d", "stock lots warehouse=ty-01",
                             "stock history warehouse=dt-01 limit=5", "stok receive", "stock receive", "stock issue ty-01",
                             "stock transfer ty-01 ty-01 water-5l 1", "stock receive ty-01 water-5l 5 \"unterminated"])
            }
            if chance(10) { line += " req=r\(rng.next() % 40)" }
            if chance(3) { line += " extra" }

            let before = Fingerprint(engine.state)
            let fullBefore = step % 100 == 0 ? engine.state.snapshotText() : nil
            time.milliseconds += Int64(rng.next() % 3_600_000)
            engine.clock = .fixed(time)
            let outcome = engine.handle(line: line, actor: "prop-\(seed)")
            let context = "seed \(seed) step \(step): \(line) → \(replyText(outcome.reply))"

            XCTAssertEqual(engine.state.invariantViolations(), [], context)
            if outcome.reply.isError {
                refusedCount += 1
                XCTAssertEqual(outcome.entries, [], context)
                XCTAssertEqual(Fingerprint(engine.state), before, "refused request changed state: \(context)")
                if let fullBefore { XCTAssertEqual(engine.state.snapshotText(), fullBefore, context) }
            } else {
                okCount += 1
                // Entries are numbered consecutively from the state before the request.
                XCTAssertEqual(outcome.entries.map(\.seq), Array((before.lastSeq + 1)..<(before.lastSeq + 1 + Int64(outcome.entries.count))), context)
                XCTAssertEqual(engine.state.lastSeq, before.lastSeq + Int64(outcome.entries.count), context)
                if let token = Request.token(in: line), line.hasPrefix("stock ") && !line.hasPrefix("stock query")
                    && !line.hasPrefix("stock lots") && !line.hasPrefix("stock history") {
                    if let first = replies[token] {
                        XCTAssertEqual(outcome.reply, first, "a retried token gets the first reply: \(context)")
                        XCTAssertEqual(outcome.entries, [], context)
                    } else {
                        replies[token] = outcome.reply
                    }
                }
                entries += outcome.entries
            }
            if Task.isCancelled { break }
        }

        XCTAssertGreaterThan(okCount, Self.stepsPerSeed / 8, "seed \(seed): too few accepted commands to mean anything")
        XCTAssertGreaterThan(refusedCount, Self.stepsPerSeed / 8, "seed \(seed): too few refused commands to mean anything")
        XCTAssertGreaterThan(engine.state.moves.count, 100, "seed \(seed)")

        // Determinism: every emitted entry, replayed into a fresh state, gives the same state.
        var replayed = State()
        try replayed.apply(entries)
        XCTAssertEqual(replayed.snapshotText(), engine.state.snapshotText(), "seed \(seed): replay differs")
        // And a snapshot reloads to the same state.
        XCTAssertEqual(try State(snapshotText: engine.state.snapshotText()).snapshotText(), engine.state.snapshotText())

        // Conservation: stock on hand is exactly what the moves add up to.
        let onHand = engine.state.stock.values.flatMap(\.values).reduce(Int64(0)) { $0 + $1.onHand }
        XCTAssertEqual(onHand, engine.state.moves.reduce(Int64(0)) { $0 + $1.delta }, "seed \(seed)")
    }

    /// The fixture itself replays from nothing: every command's entries rebuild the same state.
    func testFullReplayFromEmptyState() throws {
        let engine = Engine.testEngine()
        var entries: [Entry] = []
        for line in ["region add shanxi name=Shanxi", "region add shanxi/taiyuan name=Taiyuan",
                     "warehouse add ty-01 name=T region=shanxi/taiyuan at=37.87,112.55",
                     "warehouse add jz-01 name=J region=shanxi at=37.69,112.75",
                     "item add water-5l name=Water category=water unit=bottle shelf_life=365d",
                     "stock receive ty-01 water-5l 100", "stock receive ty-01 water-5l 50 lot=A expires=2026-12-24 donor=D",
                     "stock transfer ty-01 jz-01 water-5l 70 req=t1", "stock issue jz-01 water-5l 10",
                     "stock adjust ty-01 L-000001 count=75 reason=recount", "stock min jz-01 water-5l 100"] {
            let outcome = engine.handle(line: line, actor: "a")
            XCTAssertFalse(outcome.reply.isError, "\(line) → \(replyText(outcome.reply))")
            entries += outcome.entries
        }
        var state = State()
        try state.apply(entries)
        XCTAssertEqual(state.snapshotText(), engine.state.snapshotText())
        // Through the journal form too.
        var decoded = State()
        for entry in entries {
            let event = try Event(kind: entry.event.kind, body: FlatJSON.decode(entry.event.body.encoded()))
            try decoded.apply(Entry(seq: entry.seq, time: entry.time, actor: entry.actor, event: event))
        }
        XCTAssertEqual(decoded.snapshotText(), engine.state.snapshotText())
    }
}

private extension Request {
    static func token(in line: String) -> String? {
        guard case .success(let request) = RequestParser.parse(line) else { return nil }
        return request.requestToken
    }
}
