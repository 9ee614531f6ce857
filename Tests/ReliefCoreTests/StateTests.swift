import XCTest
@testable import ReliefCore

/// Builds states entry by entry, numbering them.
struct StateBuilder {
    var state = State()
    var seq: Int64 = 0
    var time = Timestamp(milliseconds: 1_795_000_000_000) // 2026-11-18

    mutating func apply(_ event: Event, actor: String = "test") throws {
        seq += 1
        time.milliseconds += 60_000
        try state.apply(Entry(seq: seq, time: time, actor: actor, event: event))
    }

    /// Tries an entry that must be refused, and checks it changed nothing.
    mutating func refuse(_ event: Event, file: StaticString = #filePath, line: UInt = #line) {
        let before = state.snapshotText()
        XCTAssertThrowsError(try state.apply(Entry(seq: seq + 1, time: time, actor: "test", event: event)), file: file, line: line)
        XCTAssertEqual(state.snapshotText(), before, "a refused entry changed the state", file: file, line: line)
    }

    static func shanxi() throws -> StateBuilder {
        var b = StateBuilder()
        try b.apply(.regionAdded(id: "shanxi", name: "Shanxi", level: .province))
        try b.apply(.regionAdded(id: "shanxi/taiyuan", name: "Taiyuan", level: .city))
        try b.apply(.regionAdded(id: "shanxi/datong", name: "Datong", level: .city))
        try b.apply(.warehouseAdded(id: "ty-01", name: "Taiyuan depot", region: "shanxi/taiyuan", location: Coordinate(latitude: 37.87, longitude: 112.55)))
        try b.apply(.warehouseAdded(id: "dt-01", name: "Datong depot", region: "shanxi/datong", location: Coordinate(latitude: 40.08, longitude: 113.30)))
        try b.apply(.itemAdded(Item(sku: "water-5l", name: "Water 5 L", category: "water", unit: "bottle", packSize: 4, shelfLifeDays: 365)))
        try b.apply(.itemAdded(Item(sku: "tent-12", name: "Tent 12 m2", category: "shelter", unit: "tent", packSize: 1, shelfLifeDays: nil)))
        return b
    }
}

final class StateTests: XCTestCase {
    func testReceiveIssueTransferAdjustKeepTotalsAndMoves() throws {
        var b = try StateBuilder.shanxi()
        try b.apply(.lotReceived(warehouse: "ty-01", lot: "A", sku: "water-5l", quantity: 100, expires: Day(iso8601: "2027-01-01"),
                                 source: .donation, party: "Donor Co", note: nil))
        try b.apply(.lotIssued(warehouse: "ty-01", lot: "A", quantity: 30, recipient: "camp", note: nil))
        try b.apply(.lotTransferred(from: "ty-01", to: "dt-01", lot: "A", quantity: 20, note: nil))
        try b.apply(.lotAdjusted(warehouse: "dt-01", lot: "A", delta: -5, reason: .damaged, note: nil))
        XCTAssertEqual(b.state.stock(warehouse: "ty-01", sku: "water-5l")?.onHand, 50)
        XCTAssertEqual(b.state.stock(warehouse: "dt-01", sku: "water-5l")?.onHand, 15)
        XCTAssertEqual(b.state.holding(warehouse: "dt-01", lot: "A"), Holding(onHand: 15, reserved: 0))
        XCTAssertEqual(b.state.lots.count, 1, "a transfer keeps the lot; it does not create one")
        XCTAssertEqual(b.state.movesFor(lot: "A").map(\.kind), [.received, .issued, .transferOut, .transferIn, .adjusted])
        XCTAssertEqual(b.state.movesFor(warehouse: "dt-01").map(\.delta), [20, -5])
        XCTAssertEqual(b.state.lastSeq, b.seq)
        XCTAssertEqual(b.state.invariantViolations(), [])
    }

    func testBadEntriesAreRefusedWithoutChangingAnything() throws {
        var b = try StateBuilder.shanxi()
        try b.apply(.lotReceived(warehouse: "ty-01", lot: "A", sku: "water-5l", quantity: 10, expires: Day(iso8601: "2027-01-01"),
                                 source: .purchase, party: "Supplier", note: nil))
        try b.apply(.minimumSet(warehouse: "ty-01", sku: "water-5l", quantity: 50))
        b.refuse(.regionAdded(id: "shanxi", name: "again", level: .province))
        b.refuse(.regionAdded(id: "hebei/shijiazhuang", name: "orphan", level: .city))
        b.refuse(.warehouseAdded(id: "ty-01", name: "dup", region: "shanxi", location: Coordinate(latitude: 0, longitude: 0)))
        b.refuse(.warehouseAdded(id: "x-01", name: "x", region: "nowhere", location: Coordinate(latitude: 0, longitude: 0)))
        b.refuse(.itemAdded(Item(sku: "water-5l", name: "dup", category: "water", unit: "bottle", packSize: 1, shelfLifeDays: nil)))
        b.refuse(.itemAdded(Item(sku: "zero", name: "zero", category: "c", unit: "u", packSize: 0, shelfLifeDays: nil)))
        b.refuse(.lotReceived(warehouse: "nowhere", lot: "B", sku: "water-5l", quantity: 1, expires: nil, source: .other, party: nil, note: nil))
        b.refuse(.lotReceived(warehouse: "ty-01", lot: "B", sku: "nothing", quantity: 1, expires: nil, source: .other, party: nil, note: nil))
        b.refuse(.lotReceived(warehouse: "ty-01", lot: "B", sku: "water-5l", quantity: 0, expires: nil, source: .other, party: nil, note: nil))
        b.refuse(.lotReceived(warehouse: "ty-01", lot: "A", sku: "tent-12", quantity: 1, expires: Day(iso8601: "2027-01-01"), source: .other, party: nil, note: nil))
        b.refuse(.lotReceived(warehouse: "ty-01", lot: "A", sku: "water-5l", quantity: 1, expires: Day(iso8601: "2027-01-02"), source: .other, party: nil, note: nil))
        b.refuse(.lotIssued(warehouse: "ty-01", lot: "A", quantity: 11, recipient: nil, note: nil))
        b.refuse(.lotIssued(warehouse: "ty-01", lot: "A", quantity: 0, recipient: nil, note: nil))
        b.refuse(.lotIssued(warehouse: "ty-01", lot: "A", quantity: -1, recipient: nil, note: nil))
        b.refuse(.lotIssued(warehouse: "dt-01", lot: "A", quantity: 1, recipient: nil, note: nil))
        b.refuse(.lotIssued(warehouse: "ty-01", lot: "Z", quantity: 1, recipient: nil, note: nil))
        b.refuse(.lotTransferred(from: "ty-01", to: "ty-01", lot: "A", quantity: 1, note: nil))
        b.refuse(.lotTransferred(from: "ty-01", to: "nowhere", lot: "A", quantity: 1, note: nil))
        b.refuse(.lotTransferred(from: "ty-01", to: "dt-01", lot: "A", quantity: 11, note: nil))
        b.refuse(.lotTransferred(from: "dt-01", to: "ty-01", lot: "A", quantity: 1, note: nil))
        b.refuse(.lotAdjusted(warehouse: "ty-01", lot: "A", delta: -11, reason: .lost, note: nil))
        b.refuse(.lotAdjusted(warehouse: "ty-01", lot: "A", delta: 0, reason: .recount, note: nil))
        b.refuse(.lotAdjusted(warehouse: "nowhere", lot: "A", delta: 1, reason: .recount, note: nil))
        b.refuse(.lotAdjusted(warehouse: "ty-01", lot: "Z", delta: 1, reason: .recount, note: nil))
        b.refuse(.minimumSet(warehouse: "ty-01", sku: "water-5l", quantity: -1))
        b.refuse(.minimumSet(warehouse: "nowhere", sku: "water-5l", quantity: 1))
        b.refuse(.minimumSet(warehouse: "ty-01", sku: "nothing", quantity: 1))
        try b.apply(.requestCompleted(token: "t1", reply: "lot=A", digest: RequestDigest(high: 1, low: 2), command: "stock receive"))
        b.refuse(.requestCompleted(token: "t1", reply: "again", digest: RequestDigest(high: 3, low: 4), command: "stock issue"))
        // An entry out of sequence is refused too.
        let before = b.state.snapshotText()
        XCTAssertThrowsError(try b.state.apply(Entry(seq: b.seq, time: b.time, actor: "x", event: .minimumSet(warehouse: "ty-01", sku: "water-5l", quantity: 1))))
        XCTAssertEqual(b.state.snapshotText(), before)
        XCTAssertEqual(b.state.invariantViolations(), [])
    }

    func testSnapshotRoundTripsEverything() throws {
        var b = try StateBuilder.shanxi()
        try b.apply(.regionAdded(id: "shanxi/taiyuan/xiaodian", name: "小店区 Xiaodian", level: .county))
        try b.apply(.lotReceived(warehouse: "ty-01", lot: "L-000001", sku: "water-5l", quantity: 100, expires: Day(iso8601: "2027-01-01"),
                                 source: .donation, party: "Shanxi \"Coal\" Group", note: "tab\there"))
        try b.apply(.lotReceived(warehouse: "ty-01", lot: "T1", sku: "tent-12", quantity: 40, expires: nil, source: .purchase, party: "Tent Works", note: nil))
        try b.apply(.lotTransferred(from: "ty-01", to: "dt-01", lot: "T1", quantity: 15, note: nil))
        try b.apply(.lotIssued(warehouse: "dt-01", lot: "T1", quantity: 15, recipient: "camp", note: nil))
        try b.apply(.lotAdjusted(warehouse: "ty-01", lot: "L-000001", delta: -1, reason: .expired, note: nil))
        try b.apply(.minimumSet(warehouse: "dt-01", sku: "tent-12", quantity: 10))
        try b.apply(.requestCompleted(token: "req-1", reply: "lot=L-000001"))
        let text = b.state.snapshotText()
        let restored = try State(snapshotText: text)
        XCTAssertEqual(restored.snapshotText(), text)
        XCTAssertEqual(restored.lastSeq, b.state.lastSeq)
        XCTAssertEqual(restored.autoLotCounter, 1)
        XCTAssertEqual(restored.nextAutomaticLotCode(), "L-000002")
        XCTAssertEqual(restored.requests.lookup(scope: "test", token: "req-1")?.reply, "lot=L-000001")
        XCTAssertEqual(restored.movesFor(lot: "T1").count, 4)
        XCTAssertEqual(restored.regions["shanxi/taiyuan/xiaodian"]?.parent, "shanxi/taiyuan")
        XCTAssertEqual(restored.invariantViolations(), [])
        // What a user sees after a restart is what they saw before.
        XCTAssertEqual(restored.stockRows(StockFilter()), b.state.stockRows(StockFilter()))
        XCTAssertEqual(restored.lowStockRows(StockFilter()), b.state.lowStockRows(StockFilter()))
        XCTAssertEqual(try State(snapshotText: State().snapshotText()).snapshotText(), State().snapshotText())
    }

    func testSnapshotWithoutHeaderOrWithForeignFormatIsRefused() {
        XCTAssertThrowsError(try State(snapshotText: ""))
        XCTAssertThrowsError(try State(snapshotText: #"{"t":"header","format":"other-9","seq":0,"auto_lot":0}"#))
        XCTAssertThrowsError(try State(snapshotText: State().snapshotText() + #"{"t":"spaceship"}"#))
    }

    func testPickingOrderIsFirstExpiringFirst() throws {
        var b = try StateBuilder.shanxi()
        func receive(_ lot: String, _ qty: Int64, _ expires: String?) throws {
            try b.apply(.lotReceived(warehouse: "ty-01", lot: lot, sku: "water-5l", quantity: qty, expires: expires.flatMap(Day.init(iso8601:)),
                                     source: .other, party: nil, note: nil))
        }
        try receive("NOEXP", 10, nil)
        try receive("LATE", 10, "2027-06-30")
        try receive("SOON-B", 10, "2026-12-15")
        try receive("EARLY", 10, "2026-12-10")
        try receive("SOON-A", 10, "2026-12-15") // same expiry as SOON-B, received later
        XCTAssertEqual(b.state.lotsInPickingOrder(warehouse: "ty-01", sku: "water-5l").map(\.code),
                       ["EARLY", "SOON-B", "SOON-A", "LATE", "NOEXP"])
        let picks = try XCTUnwrap(b.state.pickFirstExpiring(warehouse: "ty-01", sku: "water-5l", quantity: 25))
        XCTAssertEqual(picks.map(\.lot), ["EARLY", "SOON-B", "SOON-A"])
        XCTAssertEqual(picks.map(\.quantity), [10, 10, 5])
        XCTAssertNil(b.state.pickFirstExpiring(warehouse: "ty-01", sku: "water-5l", quantity: 51), "cannot pick more than available")
        XCTAssertNil(b.state.pickFirstExpiring(warehouse: "ty-01", sku: "water-5l", quantity: 0))
        XCTAssertNil(b.state.pickFirstExpiring(warehouse: "dt-01", sku: "water-5l", quantity: 1))
        XCTAssertEqual(b.state.pickFirstExpiring(warehouse: "ty-01", sku: "water-5l", quantity: 50)?.count, 5)
    }

    func testQueriesFilterAndSort() throws {
        var b = try StateBuilder.shanxi()
        try b.apply(.lotReceived(warehouse: "ty-01", lot: "W1", sku: "water-5l", quantity: 100, expires: Day(iso8601: "2026-12-20"),
                                 source: .other, party: nil, note: nil))
        try b.apply(.lotReceived(warehouse: "dt-01", lot: "W2", sku: "water-5l", quantity: 5, expires: Day(iso8601: "2026-11-01"),
                                 source: .other, party: nil, note: nil))
        try b.apply(.lotReceived(warehouse: "dt-01", lot: "T", sku: "tent-12", quantity: 7, expires: nil, source: .other, party: nil, note: nil))
        try b.apply(.minimumSet(warehouse: "dt-01", sku: "water-5l", quantity: 10))
        try b.apply(.minimumSet(warehouse: "ty-01", sku: "tent-12", quantity: 1))
        let datong = Coordinate(latitude: 40.0, longitude: 113.3)
        XCTAssertEqual(b.state.stockRows(StockFilter(near: datong)).map(\.warehouse), ["dt-01", "dt-01", "ty-01"])
        XCTAssertEqual(b.state.stockRows(StockFilter(near: datong, radiusKilometres: 50)).map(\.sku), ["tent-12", "water-5l"])
        XCTAssertEqual(b.state.stockRows(StockFilter(category: "shelter")).map(\.warehouse), ["dt-01"])
        XCTAssertEqual(b.state.stockRows(StockFilter(region: "shanxi/taiyuan")).map(\.sku), ["water-5l"])
        XCTAssertEqual(b.state.lowStockRows(StockFilter()).map { "\($0.warehouse)/\($0.sku)" }, ["dt-01/water-5l", "ty-01/tent-12"])
        let today = Day(iso8601: "2026-12-01")!
        let expiring = b.state.expiringLots(StockFilter(), today: today, withinDays: 30)
        XCTAssertEqual(expiring.map(\.lot), ["W2", "W1"], "already expired first, then soonest")
        XCTAssertEqual(expiring.map(\.daysLeft), [-30, 19])
        XCTAssertEqual(b.state.expiringLots(StockFilter(), today: today, withinDays: 10).map(\.lot), ["W2"])
    }
}
