import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// Commands at the documented maximum of 10^12 units (docs/protocol.md, "Limits on quantities"):
/// a request whose result would put more than that of one item in one warehouse is refused with
/// ERR LIMIT before anything is emitted (`refused` checks the state is unchanged), naming the
/// warehouse, item, lot, the quantity it would come to and the maximum; match and plan on stock
/// and needs at the maximum answer.
final class QuantityLimitCommandTests: XCTestCase {
    /// The documented number, written out: a test reading `Quantity.maximum` could not notice it changing.
    static let maximum = "1000000000000"

    func testReceivePastTheMaximumIsRefused() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l 999999999990 lot=A")
        engine.ok("stock receive ty-01 water-5l 10 lot=B")
        XCTAssertEqual(engine.state.stock(warehouse: "ty-01", sku: "water-5l")?.onHand, 1_000_000_000_000)
        XCTAssertEqual(engine.refused("stock receive ty-01 water-5l 1 lot=B", .limit),
                       "ty-01 would hold 1000000000001 water-5l (lot B: 11); at most 1000000000000 of one item may be held in one warehouse")
        XCTAssertTrue(engine.refused("stock receive ty-01 water-5l 1", .limit).contains("(lot L-000001: 1)"))
        engine.refused("stock receive ty-01 water-5l \(Self.maximum) lot=C", .limit)
        // The request's own quantity is still a syntax matter, whatever room there is.
        engine.refused("stock receive jz-01 water-5l 1000000000001", .syntax)
        // Other items and warehouses have room of their own.
        engine.ok("stock receive ty-01 tent-12 \(Self.maximum)")
        engine.ok("stock receive jz-01 water-5l \(Self.maximum) lot=A")
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testRecountPastTheMaximumIsRefused() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l \(Self.maximum) lot=A")
        XCTAssertEqual(engine.refused("stock adjust ty-01 A delta=+1 reason=recount", .limit),
                       "ty-01 would hold 1000000000001 water-5l (lot A: 1000000000001); at most 1000000000000 of one item may be held in one warehouse")
        // Repeated recounts cannot walk a holding up towards Int64.max, where the next change trapped.
        for _ in 0..<3 { engine.refused("stock adjust ty-01 A delta=+\(Self.maximum) reason=recount", .limit) }
        engine.ok("stock adjust ty-01 A delta=-5 reason=damaged")
        engine.ok("stock receive ty-01 water-5l 5 lot=B")
        // count= is checked on what it comes to, the whole item in the warehouse.
        XCTAssertTrue(engine.refused("stock adjust ty-01 A count=999999999996 reason=recount", .limit)
            .contains("would hold 1000000000001 water-5l (lot A: 999999999996)"))
        engine.ok("stock adjust ty-01 B count=0 reason=lost")
        engine.ok("stock adjust ty-01 A count=\(Self.maximum) reason=recount")
        XCTAssertEqual(engine.state.holding(warehouse: "ty-01", lot: "A"), Holding(onHand: 1_000_000_000_000, reserved: 0))
        // Taking away is never refused for the limit.
        engine.ok("stock adjust ty-01 A delta=-\(Self.maximum) reason=lost")
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testTransferIntoAFullWarehouseIsRefused() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l \(Self.maximum) lot=A")
        engine.ok("stock receive jz-01 water-5l 600 lot=B")
        engine.ok("stock receive jz-01 water-5l 400 lot=C")
        XCTAssertEqual(engine.refused("stock transfer jz-01 ty-01 water-5l 1", .limit),
                       "ty-01 would hold 1000000000001 water-5l (lot B: 1); at most 1000000000000 of one item may be held in one warehouse")
        engine.refused("stock transfer jz-01 ty-01 water-5l 1 lot=C", .limit)
        // Not enough stock is said first: the limit is about what a possible transfer would do.
        engine.refused("stock transfer jz-01 ty-01 water-5l 1001", .insufficient)
        engine.ok("stock issue ty-01 water-5l 700")
        // Two lots drawn by one transfer count together: 600 of B and 101 of C is one too many.
        XCTAssertTrue(engine.refused("stock transfer jz-01 ty-01 water-5l 701", .limit).contains("(lots B: 600, C: 101)"))
        XCTAssertEqual(engine.okFields("stock transfer jz-01 ty-01 water-5l 700"), ["transferred": "700", "lots": "B:600,C:100"])
        XCTAssertEqual(engine.state.stock(warehouse: "ty-01", sku: "water-5l")?.onHand, 1_000_000_000_000)
        // Out of a full warehouse is fine.
        engine.ok("stock transfer ty-01 jz-01 water-5l 300 lot=A")
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testGoodsInTransitCannotReturnToAWarehouseThatFilledUp() {
        let engine = Engine.shanxiFixture()
        engine.ok("incident open flood title=Flood kind=flood at=37.86,112.56 region=shanxi/taiyuan severity=4")
        engine.ok("stock receive ty-01 water-5l \(Self.maximum) lot=A")
        engine.ok("need add flood supply water-5l \(Self.maximum) priority=1")
        engine.ok("allocation reserve N-000001 ty-01 A \(Self.maximum)")
        engine.ok("allocation dispatch AL-000001")
        engine.ok("stock receive ty-01 water-5l \(Self.maximum) lot=B")
        XCTAssertEqual(engine.refused("allocation release AL-000001 reason=\"road closed\"", .limit),
                       "ty-01 would hold 2000000000000 water-5l (lot A: 1000000000000); at most 1000000000000 of one item may be held in one warehouse")
        // Delivering is always possible; or the shelf is cleared and the goods come back.
        engine.ok("stock issue ty-01 water-5l 1 lot=B")
        engine.refused("allocation release AL-000001", .limit)
        engine.ok("stock issue ty-01 water-5l 999999999999 lot=B")
        engine.ok("allocation release AL-000001")
        XCTAssertEqual(engine.state.holding(warehouse: "ty-01", lot: "A"), Holding(onHand: 1_000_000_000_000, reserved: 0))
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testMatchAndPlanOnStockAndNeedsAtTheMaximumAnswer() {
        let engine = Engine.shanxiFixture()
        engine.ok("incident open flood title=Flood kind=flood at=37.86,112.56 region=shanxi/taiyuan severity=4")
        for warehouse in ["ty-01", "jz-01", "dt-01"] { engine.ok("stock receive \(warehouse) water-5l \(Self.maximum)") }
        engine.ok("need add flood supply water-5l \(Self.maximum) priority=1")
        engine.ok("need add flood supply water-5l \(Self.maximum) priority=2")
        engine.ok("need add flood supply water-5l 7 priority=3")
        let rows = engine.rows("match flood")
        XCTAssertEqual(rows.first?["unmet"], "0")
        let quantities = rows.dropFirst().compactMap { $0["qty"].flatMap { Int64($0) } }
        XCTAssertEqual(quantities.reduce(0, +), 2_000_000_000_007, "every need met in full")
        engine.ok("plan apply")
        XCTAssertEqual(engine.state.committedAmount(of: "N-000001"), 1_000_000_000_000)
        // Nothing is missing now; a plan over everything says so.
        XCTAssertEqual(engine.okFields("plan")["plan"], "none")
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    /// Stock that stays where it is costs nothing, so ten warehouses full to the maximum do not make
    /// a small need too large to plan (they did when every unit of stock counted towards the bound
    /// on the objective).
    func testFullWarehousesDoNotMakeASmallNeedTooLargeToPlan() {
        let engine = Engine.shanxiFixture()
        for index in 1...7 {
            engine.ok("warehouse add far-\(index) name=Far region=shanxi/datong at=40.0\(index),113.2\(index)")
        }
        for warehouse in ["ty-01", "jz-01", "dt-01"] + (1...7).map({ "far-\($0)" }) {
            engine.ok("stock receive \(warehouse) water-5l \(Self.maximum)")
        }
        engine.ok("incident open flood title=Flood kind=flood at=37.86,112.56 region=shanxi/taiyuan severity=4")
        engine.ok("need add flood supply water-5l 100 priority=1")
        let rows = engine.rows("match flood")
        XCTAssertEqual(rows.count, 2, rows.map(TextEncoder.logfmt).joined(separator: "\n"))
        XCTAssertEqual([rows.last?["warehouse"], rows.last?["qty"]], ["ty-01", "100"])
        XCTAssertEqual(engine.rows("plan show").first?["unmet"], "0")
    }
}
