import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

final class StockCommandTests: XCTestCase {
    func testReceiveCreatesLotsWithSourceAndExpiry() {
        let engine = Engine.shanxiFixture()
        let outcome = engine.handle(line: #"stock receive ty-01 water-5l 4000 lot=D-2026-114 expires=2027-06-30 donor="Yangquan Steel""#, actor: "keeper")
        XCTAssertEqual(outcome.reply, .ok(["lot": "D-2026-114"]))
        XCTAssertEqual(outcome.entries.count, 1)
        XCTAssertEqual(outcome.waitForSeq, outcome.entries.last?.seq)
        XCTAssertEqual(outcome.entries.first?.actor, "keeper")
        XCTAssertEqual(outcome.entries.first?.time, december1)
        let lot = engine.state.lots["D-2026-114"]
        XCTAssertEqual(lot?.source, .donation)
        XCTAssertEqual(lot?.party, "Yangquan Steel")
        XCTAssertEqual(lot?.expires, Day(iso8601: "2027-06-30"))
        XCTAssertEqual(engine.state.stock(warehouse: "ty-01", sku: "water-5l")?.onHand, 4000)

        // No lot code: an automatic one; no expiry: receipt day plus shelf life.
        XCTAssertEqual(engine.ok("stock receive ty-01 water-5l 10 supplier=Wahaha"), .ok(["lot": "L-000001"]))
        XCTAssertEqual(engine.state.lots["L-000001"]?.expires?.iso8601, "2027-12-01")
        XCTAssertEqual(engine.state.lots["L-000001"]?.source, .purchase)
        XCTAssertEqual(engine.ok("stock receive ty-01 tent-12 5"), .ok(["lot": "L-000002"]))
        XCTAssertNil(engine.state.lots["L-000002"]?.expires, "tents do not expire")
        XCTAssertEqual(engine.state.lots["L-000002"]?.source, .other)
        // A hand-given code that looks automatic is skipped by the counter.
        engine.ok("stock receive ty-01 tent-12 5 lot=L-000003")
        XCTAssertEqual(engine.ok("stock receive ty-01 tent-12 5"), .ok(["lot": "L-000004"]))
        // More of an existing lot, also into another warehouse; expiry comes from the lot.
        engine.ok("stock receive jz-01 water-5l 100 lot=D-2026-114 donor=\"Yangquan Steel\"")
        XCTAssertEqual(engine.state.holding(warehouse: "jz-01", lot: "D-2026-114")?.onHand, 100)
        XCTAssertEqual(engine.state.lots.count, 5)
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    /// `unit=` (a spreadsheet's unit column, `reliefctl import stock`) is a check, nothing more.
    func testReceiveChecksAGivenUnitAgainstTheItems() {
        let engine = Engine.shanxiFixture()
        XCTAssertEqual(engine.refused("stock receive ty-01 water-5l 50 unit=carton", .conflict),
                       "water-5l is counted in bottle, not carton; expected the quantity in bottle")
        XCTAssertNil(engine.state.stock(warehouse: "ty-01", sku: "water-5l"), "nothing received")
        XCTAssertEqual(engine.ok("stock receive ty-01 water-5l 50 unit=Bottle lot=B-1"), .ok(["lot": "B-1"]))
        XCTAssertEqual(engine.state.stock(warehouse: "ty-01", sku: "water-5l")?.onHand, 50)
    }

    func testReceiveRefusals() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l 10 lot=A expires=2027-01-01")
        XCTAssertEqual(engine.refused("stock receive zz-99 water-5l 10", .notFound), "warehouse zz-99 not found")
        XCTAssertEqual(engine.refused("stock receive ty-01 caviar 10", .notFound), "item caviar not found in the catalog")
        for bad in ["0", "-5", "ten", "1.5", "1000000000001", "99999999999999999999"] {
            XCTAssertTrue(engine.refused("stock receive ty-01 water-5l \(bad)", .syntax).contains("\"\(bad)\""), bad)
        }
        XCTAssertTrue(engine.refused("stock receive ty-01 water-5l 10 expires=2027-02-30", .syntax).contains("\"2027-02-30\""))
        engine.refused("stock receive ty-01 water-5l 10 expires=tomorrow", .syntax)
        XCTAssertTrue(engine.refused("stock receive ty-01 water-5l", .syntax).contains("usage"))
        engine.refused("stock receive ty-01 water-5l 10 20", .syntax)
        engine.refused("stock receive ty-01 water-5l 10 donor=A supplier=B", .syntax)
        XCTAssertTrue(engine.refused("stock receive ty-01 water-5l 10 source=donation", .syntax).contains("donor="))
        engine.refused("stock receive ty-01 water-5l 10 source=allocation", .syntax)
        engine.refused("stock receive ty-01 water-5l 10 source=gift", .syntax)
        engine.refused(#"stock receive ty-01 water-5l 10 donor="""#, .syntax)
        engine.refused("stock receive ty-01 water-5l 10 lot=-x", .syntax)
        XCTAssertTrue(engine.refused("stock receive ty-01 tent-12 10 lot=A", .conflict).contains("lot A holds water-5l"))
        XCTAssertTrue(engine.refused("stock receive ty-01 water-5l 10 lot=A expires=2027-01-02", .conflict).contains("2027-01-01"))
        engine.refused("stock receive ty-01 water-5l 999999999991", .limit)
    }

    func testIssuePicksFirstExpiringAndNamesWhatIsAvailable() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l 100 lot=LATE expires=2027-06-30")
        engine.ok("stock receive ty-01 water-5l 30 lot=SOON expires=2026-12-20")
        let outcome = engine.handle(line: "stock issue ty-01 water-5l 50 to=\"Xiaodian shelter\"", actor: "keeper")
        XCTAssertEqual(outcome.reply, .ok(["issued": "50", "lots": "SOON:30,LATE:20"]))
        XCTAssertEqual(outcome.entries.map(\.event), [
            .lotIssued(warehouse: "ty-01", lot: "SOON", quantity: 30, recipient: "Xiaodian shelter", note: nil),
            .lotIssued(warehouse: "ty-01", lot: "LATE", quantity: 20, recipient: "Xiaodian shelter", note: nil),
        ])
        XCTAssertEqual(engine.state.stock(warehouse: "ty-01", sku: "water-5l")?.onHand, 80)
        XCTAssertNil(engine.state.holding(warehouse: "ty-01", lot: "SOON"), "an emptied lot is no longer held")

        XCTAssertEqual(engine.refused("stock issue ty-01 water-5l 81", .insufficient),
                       "only 80 bottle of water-5l available in ty-01 (on hand 80, reserved 0); asked 81")
        XCTAssertTrue(engine.refused("stock issue jz-01 water-5l 1", .insufficient).contains("only 0 bottle"))
        XCTAssertTrue(engine.refused("stock issue ty-01 water-5l 81 lot=LATE", .insufficient).contains("only 80 bottle of lot LATE"))
        engine.refused("stock issue ty-01 water-5l 1 lot=NOPE", .notFound)
        engine.refused("stock issue ty-01 tent-12 1 lot=LATE", .conflict)
        engine.refused("stock issue ty-01 water-5l 0", .syntax)
        engine.refused("stock issue ty-01 water-5l -3", .syntax)
        engine.refused("stock issue ty-01 water-5l", .syntax)
        engine.refused("stock issue zz-99 water-5l 1", .notFound)
        engine.refused("stock issue ty-01 caviar 1", .notFound)
        engine.refused("stock issue ty-01 water-5l 1 to=", .syntax)
        XCTAssertEqual(engine.ok("stock issue ty-01 water-5l 5 lot=LATE"), .ok(["issued": "5", "lots": "LATE:5"]))
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testTransferKeepsLotIdentity() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l 100 lot=D-1 expires=2027-03-01 donor=\"Shanxi Coal Group\"")
        engine.ok("stock receive ty-01 water-5l 50 lot=D-2 expires=2027-01-01 donor=Other")
        let reply = engine.ok("stock transfer ty-01 dt-01 water-5l 70 note=\"by road\"")
        XCTAssertEqual(reply, .ok(["transferred": "70", "lots": "D-2:50,D-1:20"]))
        XCTAssertEqual(engine.state.lots.count, 2, "no new lots")
        XCTAssertEqual(engine.state.holding(warehouse: "dt-01", lot: "D-1")?.onHand, 20)
        XCTAssertEqual(engine.state.holding(warehouse: "dt-01", lot: "D-2")?.onHand, 50)
        XCTAssertEqual(engine.state.holding(warehouse: "ty-01", lot: "D-1")?.onHand, 80)
        XCTAssertEqual(engine.state.lots["D-1"]?.party, "Shanxi Coal Group", "the donor stays with the lot")
        let lots = engine.rows("stock lots warehouse=dt-01")
        XCTAssertEqual(lots.map { $0["lot"] }, ["D-2", "D-1"])
        XCTAssertEqual(lots.map { $0["party"] }, ["Other", "Shanxi Coal Group"])

        XCTAssertTrue(engine.refused("stock transfer ty-01 ty-01 water-5l 1", .syntax).contains("both ty-01"))
        engine.refused("stock transfer ty-01 zz-99 water-5l 1", .notFound)
        engine.refused("stock transfer zz-99 ty-01 water-5l 1", .notFound)
        XCTAssertTrue(engine.refused("stock transfer ty-01 dt-01 water-5l 81", .insufficient).contains("only 80"))
        engine.refused("stock transfer ty-01 dt-01 water-5l 1.5", .syntax)
        engine.refused("stock transfer ty-01 dt-01 water-5l", .syntax)
        engine.refused("stock transfer ty-01 dt-01 water-5l 5 lot=D-2", .insufficient)
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testAdjustNeedsReasonAndOnlyRecountRaises() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 quilt 100 lot=Q1")
        XCTAssertEqual(engine.refused("stock adjust ty-01 Q1 count=90", .syntax), "missing reason=; expected one of damaged, expired, lost, recount")
        XCTAssertEqual(engine.ok("stock adjust ty-01 Q1 count=90 reason=damaged note=\"water damage\""),
                       .ok(["lot": "Q1", "sku": "quilt", "on_hand": "90", "delta": "-10"]))
        XCTAssertEqual(engine.ok("stock adjust ty-01 Q1 delta=+4 reason=recount"),
                       .ok(["lot": "Q1", "sku": "quilt", "on_hand": "94", "delta": "4"]))
        engine.ok("stock adjust ty-01 Q1 delta=-4 reason=lost")
        XCTAssertEqual(engine.state.holding(warehouse: "ty-01", lot: "Q1")?.onHand, 90)
        XCTAssertTrue(engine.refused("stock adjust ty-01 Q1 delta=5 reason=damaged", .syntax).contains("recount"))
        XCTAssertTrue(engine.refused("stock adjust ty-01 Q1 count=90 reason=recount", .conflict).contains("already counts 90"))
        XCTAssertTrue(engine.refused("stock adjust ty-01 Q1 delta=-91 reason=lost", .insufficient).contains("cannot go to -1"))
        engine.refused("stock adjust ty-01 Q1 count=5 delta=-1 reason=lost", .syntax)
        engine.refused("stock adjust ty-01 Q1 reason=lost", .syntax)
        engine.refused("stock adjust ty-01 Q1 delta=0 reason=lost", .syntax)
        engine.refused("stock adjust ty-01 Q1 delta=abc reason=lost", .syntax)
        engine.refused("stock adjust ty-01 Q1 count=-1 reason=lost", .syntax)
        engine.refused("stock adjust ty-01 Q1 delta=-1 reason=stolen", .syntax)
        engine.refused("stock adjust ty-01 NOPE delta=-1 reason=lost", .notFound)
        engine.refused("stock adjust zz-99 Q1 delta=-1 reason=lost", .notFound)
        engine.refused("stock adjust ty-01 delta=-1 reason=lost", .syntax)
        // The most negative 64-bit number must be refused, not crash the daemon.
        engine.refused("stock adjust ty-01 Q1 delta=-9223372036854775808 reason=lost", .syntax)
        engine.refused("stock adjust ty-01 Q1 delta=9223372036854775807 reason=recount", .syntax)
        engine.refused("stock adjust ty-01 Q1 delta=-1000000000001 reason=lost", .syntax)
        // A recount may find a lot in a warehouse that was not known to hold it.
        engine.ok("stock adjust jz-01 Q1 count=3 reason=recount")
        XCTAssertEqual(engine.state.holding(warehouse: "jz-01", lot: "Q1")?.onHand, 3)
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testMinimumAndLow() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l 100")
        XCTAssertEqual(engine.ok("stock min ty-01 water-5l 500"), .ok(["warehouse": "ty-01", "item": "water-5l", "min": "500"]))
        engine.ok("stock min dt-01 tent-12 20")
        engine.ok("stock min jz-01 quilt 1")
        engine.ok("stock receive jz-01 quilt 10")
        let low = engine.rows("stock query low")
        XCTAssertEqual(low.map { "\($0["warehouse"]!)/\($0["item"]!)" }, ["dt-01/tent-12", "ty-01/water-5l"])
        XCTAssertEqual(low.last?["min"], "500")
        XCTAssertEqual(low.first?["on_hand"], "0", "an item with a minimum and no stock at all is low")
        engine.ok("stock min ty-01 water-5l 0")
        XCTAssertEqual(engine.rows("stock query low").count, 1, "0 clears a minimum")
        engine.refused("stock min ty-01 water-5l -1", .syntax)
        engine.refused("stock min ty-01 water-5l lots", .syntax)
        engine.refused("stock min ty-01 water-5l", .syntax)
        engine.refused("stock min zz-99 water-5l 5", .notFound)
        engine.refused("stock min ty-01 caviar 5", .notFound)
    }

    func testStockQueryFilters() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l 4000 lot=W-TY expires=2027-06-30")
        engine.ok("stock receive jz-01 water-5l 900 lot=W-JZ expires=2026-12-20")
        engine.ok("stock receive dt-01 water-5l 300 lot=W-DT expires=2026-11-20")
        engine.ok("stock receive dt-01 tent-12 40")
        engine.ok("stock receive ty-01 quilt 200")
        engine.ok("stock min jz-01 water-5l 1000")

        XCTAssertEqual(engine.rows("stock query").map { "\($0["warehouse"]!)/\($0["item"]!)" },
                       ["dt-01/tent-12", "dt-01/water-5l", "jz-01/water-5l", "ty-01/quilt", "ty-01/water-5l"])
        XCTAssertEqual(engine.rows("stock query warehouse=ty-01").map { $0["item"] }, ["quilt", "water-5l"])
        XCTAssertEqual(engine.rows("stock query item=water-5l").map { $0["warehouse"] }, ["dt-01", "jz-01", "ty-01"])
        XCTAssertEqual(engine.rows("stock query category=shelter").map { $0["item"] }, ["tent-12", "quilt"])
        XCTAssertEqual(engine.rows("stock query region=shanxi/datong").map { $0["item"] }, ["tent-12", "water-5l"])
        XCTAssertEqual(engine.rows("stock query region=shanxi").count, 5)

        let near = engine.rows("stock query item=water-5l near=37.70,112.70 radius=150km")
        XCTAssertEqual(near.map { $0["warehouse"] }, ["jz-01", "ty-01"], "nearest first, Datong beyond 150 km")
        XCTAssertEqual(near.first?["distance_km"], "4.5")
        XCTAssertEqual(near.first?["min"], "1000")
        XCTAssertEqual(near.last?.pairs.map(\.key), ["warehouse", "item", "on_hand", "reserved", "available", "unit", "distance_km"])
        let everywhere = engine.rows("stock query item=water-5l near=37.70,112.70")
        XCTAssertEqual(everywhere.map { $0["warehouse"] }, ["jz-01", "ty-01", "dt-01"])
        let distances = everywhere.map { Double($0["distance_km"]!)! }
        XCTAssertEqual(distances, distances.sorted())

        // Today is 2026-12-01: W-DT expired 11 days ago, W-JZ has 19 days left, W-TY 211.
        let expiring = engine.rows("stock query expiring")
        XCTAssertEqual(expiring.map { $0["lot"] }, ["W-DT", "W-JZ"])
        XCTAssertEqual(expiring.map { $0["days_left"] }, ["-11", "19"])
        XCTAssertEqual(engine.rows("stock query expiring within=30d region=shanxi/jinzhong").map { $0["lot"] }, ["W-JZ"])
        XCTAssertEqual(engine.rows("stock query expiring within=31w").map { $0["lot"] }, ["W-DT", "W-JZ", "W-TY"])
        XCTAssertEqual(engine.rows("stock query expiring within=0d").map { $0["lot"] }, ["W-DT"])

        XCTAssertEqual(engine.rows("stock query low").map { $0["warehouse"] }, ["jz-01"])
        XCTAssertEqual(engine.rows("stock query low region=shanxi/datong").count, 0)

        engine.refused("stock query warehouse=zz-99", .notFound)
        engine.refused("stock query item=caviar", .notFound)
        engine.refused("stock query category=spaceships", .notFound)
        engine.refused("stock query region=hebei", .notFound)
        engine.refused("stock query near=37.7", .syntax)
        engine.refused("stock query radius=10km", .syntax)
        engine.refused("stock query near=37.7,112.7 radius=-1km", .syntax)
        engine.refused("stock query expiring low", .syntax)
        engine.refused("stock query within=30d", .syntax)
        engine.refused("stock query expiring within=30", .syntax)
        engine.refused("stock query expiring within=1h", .syntax)
        XCTAssertTrue(engine.refused("stock query low bogus", .syntax).contains("\"bogus\""), "names the unexpected word, not the flag")
        engine.refused("stock query owner=me", .syntax)
    }

    func testHistory() {
        let engine = Engine.shanxiFixture()
        engine.handle(line: "stock receive ty-01 quilt 100 lot=Q1 donor=\"Taiyuan Iron & Steel\"", actor: "keeper-a")
        engine.handle(line: "stock transfer ty-01 dt-01 quilt 40", actor: "keeper-a")
        engine.handle(line: "stock issue dt-01 quilt 15 to=\"Datong camp 3\"", actor: "keeper-b")
        engine.handle(line: "stock adjust ty-01 Q1 count=58 reason=damaged", actor: "keeper-a")
        let lot = engine.rows("stock history lot=Q1")
        XCTAssertEqual(lot.map { $0["kind"] }, ["received", "transfer_out", "transfer_in", "issued", "adjusted"])
        XCTAssertEqual(lot.map { $0["delta"] }, ["+100", "-40", "+40", "-15", "-2"])
        XCTAssertEqual(lot.map { $0["warehouse"] }, ["ty-01", "ty-01", "dt-01", "dt-01", "ty-01"])
        XCTAssertEqual(lot[0]["counterpart"], "Taiyuan Iron & Steel")
        XCTAssertEqual(lot[0]["reason"], "donation")
        XCTAssertEqual(lot[1]["counterpart"], "dt-01")
        XCTAssertEqual(lot[3]["counterpart"], "Datong camp 3")
        XCTAssertEqual(lot[3]["actor"], "keeper-b")
        XCTAssertEqual(lot[4]["reason"], "damaged")
        XCTAssertEqual(lot[0]["time"], "2026-12-01T08:00:00Z")
        XCTAssertEqual(engine.rows("stock history warehouse=dt-01").map { $0["kind"] }, ["transfer_in", "issued"])
        XCTAssertEqual(engine.rows("stock history lot=Q1 warehouse=ty-01").count, 3)
        XCTAssertEqual(engine.rows("stock history warehouse=ty-01 limit=1").map { $0["kind"] }, ["adjusted"], "limit keeps the newest")
        XCTAssertEqual(engine.rows("stock history warehouse=ty-01 item=water-5l").count, 0)
        // A warehouse's newest moves are read without its whole history, and still say when
        // older ones were left out (ty-01 has three moves).
        func more(_ line: String) -> Bool? {
            if case .stream(let stream) = engine.handle(line: line, actor: "keeper-a").reply { return stream.more }
            return nil
        }
        XCTAssertEqual(more("stock history warehouse=ty-01 limit=2"), true)
        XCTAssertEqual(more("stock history warehouse=ty-01 limit=3"), false)
        XCTAssertEqual(engine.rows("stock history warehouse=ty-01 limit=2").map { $0["kind"] }, ["transfer_out", "adjusted"])
        engine.refused("stock history", .syntax)
        engine.refused("stock history lot=NOPE", .notFound)
        engine.refused("stock history warehouse=zz-99", .notFound)
        engine.refused("stock history warehouse=ty-01 limit=0", .syntax)
        engine.refused("stock history warehouse=ty-01 limit=many", .syntax)
    }

    func testRequestTokenMakesRetriesSafe() throws {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l 100 lot=A")
        let first = engine.handle(line: "stock issue ty-01 water-5l 30 req=retry-1", actor: "officer")
        XCTAssertEqual(first.reply, .ok(["issued": "30", "lots": "A:30"]))
        XCTAssertEqual(first.entries.count, 2, "the issue and the remembered reply")
        guard case .requestCompleted(let token, let reply, let digest?, let command)? = first.entries.last?.event else {
            return XCTFail("expected a bound request.completed, got \(String(describing: first.entries.last?.event))")
        }
        XCTAssertEqual([token, reply, command], ["retry-1", "issued=30 lots=A:30", "stock issue"])
        XCTAssertEqual(digest, Engine.requestDigest(try RequestParser.parse("stock issue ty-01 water-5l 30").get(), commandWords: 2))
        let before = engine.state.snapshotText()
        let again = engine.handle(line: "stock issue ty-01 water-5l 30 req=retry-1", actor: "officer")
        XCTAssertEqual(again.reply, first.reply)
        XCTAssertEqual(again.entries, [])
        XCTAssertEqual(again.waitForSeq, engine.state.lastSeq, "a retry waits for what is already committed")
        XCTAssertEqual(engine.state.snapshotText(), before)
        XCTAssertEqual(engine.state.stock(warehouse: "ty-01", sku: "water-5l")?.onHand, 70)
        // A different token is a different request.
        engine.ok("stock issue ty-01 water-5l 30 req=retry-2")
        XCTAssertEqual(engine.state.stock(warehouse: "ty-01", sku: "water-5l")?.onHand, 40)
        // A refused request is not remembered: its retry is checked again.
        engine.refused("stock issue ty-01 water-5l 50 req=retry-3", .insufficient)
        engine.ok("stock receive ty-01 water-5l 100 lot=A")
        XCTAssertEqual(engine.ok("stock issue ty-01 water-5l 50 req=retry-3"), .ok(["issued": "50", "lots": "A:50"]))
        // Replies with quoted values come back the same.
        let region = engine.handle(line: #"region add shanxi/xinzhou name="Xin zhou" req=r"#, actor: "o")
        XCTAssertEqual(engine.handle(line: #"region add shanxi/xinzhou name="Xin zhou" req=r"#, actor: "o").reply, region.reply)
        // The remembered replies survive a snapshot.
        let restored = try! State(snapshotText: engine.state.snapshotText())
        XCTAssertEqual(Engine(state: restored, clock: .fixed(december1)).handle(line: "stock issue ty-01 water-5l 30 req=retry-1", actor: "officer").reply,
                       first.reply)
    }

    func testReadsEmitNothing() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l 100")
        let before = engine.state.snapshotText()
        for line in ["stock query", "stock query low", "stock query expiring", "stock lots", "stock history warehouse=ty-01",
                     "warehouse list", "item list", "region list", "info", "help", "ping", "stock query req=x"] {
            let outcome = engine.handle(line: line, actor: "reader")
            XCTAssertFalse(outcome.reply.isError, line)
            XCTAssertEqual(outcome.entries, [], line)
            XCTAssertEqual(outcome.waitForSeq, 0, line)
        }
        XCTAssertEqual(engine.state.snapshotText(), before)
    }
}
