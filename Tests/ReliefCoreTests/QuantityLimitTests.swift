import XCTest
@testable import ReliefCore

/// Quantities at the documented maximum (docs/protocol.md, "Limits on quantities"): `apply`
/// refuses an entry that would take a warehouse's stock of an item, a need, an allocation or a plan
/// past it — with a violation, never a trap, and without changing anything — and decoding refuses
/// journal entries and snapshot records that carry such values.
final class QuantityLimitTests: XCTestCase {
    /// The documented number, written out: a test reading `Quantity.maximum` could not notice it changing.
    let maximum: Int64 = 1_000_000_000_000

    private func receive(_ warehouse: String, _ lot: String, _ quantity: Int64, sku: String = "water-5l") -> Event {
        .lotReceived(warehouse: warehouse, lot: lot, sku: sku, quantity: quantity,
                     expires: sku == "water-5l" ? Day(iso8601: "2027-01-01") : nil, source: .other, party: nil, note: nil)
    }

    /// Applies an entry that must be refused; returns the violation's text.
    private func refusal(_ b: inout StateBuilder, _ event: Event, file: StaticString = #filePath, line: UInt = #line) -> String {
        let before = b.state.snapshotText()
        var message = ""
        XCTAssertThrowsError(try b.state.apply(Entry(seq: b.seq + 1, time: b.time, actor: "test", event: event)), file: file, line: line) {
            message = "\($0)"
        }
        XCTAssertEqual(b.state.snapshotText(), before, "a refused entry changed the state", file: file, line: line)
        return message
    }

    func testStockPastTheMaximumIsRefusedWithoutTrapping() throws {
        var b = try StateBuilder.shanxi()
        try b.apply(receive("ty-01", "A", maximum - 10))
        try b.apply(receive("ty-01", "B", 10))
        XCTAssertEqual(b.state.stock(warehouse: "ty-01", sku: "water-5l")?.onHand, maximum, "exactly the maximum is allowed")

        // One unit more, through either lot, a new lot, a recount or a transfer in, is refused,
        // naming the warehouse, the item, the lot, what it would come to and the maximum.
        XCTAssertEqual(refusal(&b, receive("ty-01", "B", 1)),
                       "entry \(b.seq + 1): ty-01 would hold 1000000000001 water-5l (lot B: 11); at most 1000000000000 of one item may be held in one warehouse")
        _ = refusal(&b, receive("ty-01", "C", 1))
        _ = refusal(&b, .lotAdjusted(warehouse: "ty-01", lot: "A", delta: 1, reason: .recount, note: nil))
        try b.apply(receive("dt-01", "A", 5))
        _ = refusal(&b, .lotTransferred(from: "dt-01", to: "ty-01", lot: "A", quantity: 1, note: nil))

        // A journal written without limits, or damaged, may carry anything: no 64-bit sum may wrap.
        XCTAssertTrue(refusal(&b, receive("ty-01", "A", .max)).contains("outside 1...1000000000000"))
        XCTAssertTrue(refusal(&b, .lotAdjusted(warehouse: "ty-01", lot: "A", delta: .max, reason: .recount, note: nil))
            .contains("would hold 9223373036854775807 water-5l (lot A: 9223373036854775797)"))
        _ = refusal(&b, .lotAdjusted(warehouse: "ty-01", lot: "A", delta: .min, reason: .lost, note: nil))
        _ = refusal(&b, .lotAdjusted(warehouse: "dt-01", lot: "A", delta: .max, reason: .recount, note: nil))

        // Other items and warehouses have room of their own; taking stock out makes room again.
        try b.apply(receive("ty-01", "T", maximum, sku: "tent-12"))
        try b.apply(.lotIssued(warehouse: "ty-01", lot: "B", quantity: 1, recipient: nil, note: nil))
        try b.apply(.lotTransferred(from: "dt-01", to: "ty-01", lot: "A", quantity: 1, note: nil))
        XCTAssertEqual(b.state.stock(warehouse: "ty-01", sku: "water-5l")?.onHand, maximum)
        XCTAssertEqual(b.state.invariantViolations(), [])
    }

    func testGoodsReturningToAFullWarehouseAreRefused() throws {
        var b = try StateBuilder.shanxi()
        try b.apply(receive("ty-01", "A", maximum))
        try b.apply(.incidentOpened(Incident(id: "flood", title: "Flood", kind: .flood, location: Coordinate(latitude: 37.8, longitude: 112.5),
                                             region: "shanxi/taiyuan", severity: 3, affected: 100, openedAt: b.time)))
        try b.apply(.needAdded(Need(id: "N-000001", incident: "flood", request: .supply(sku: "water-5l", quantity: maximum), priority: 1,
                                    neededBy: Timestamp(milliseconds: b.time.milliseconds + 86_400_000), note: nil, createdAt: b.time)))
        try b.apply(.allocationReserved(Allocation(id: "AL-000001", need: "N-000001", incident: "flood", warehouse: "ty-01", lot: "A",
                                                   sku: "water-5l", quantity: maximum, plan: nil, createdAt: b.time)))
        try b.apply(.allocationDispatched(id: "AL-000001", note: nil))
        // The shelf filled up again while the goods were on the road: they cannot come back.
        try b.apply(receive("ty-01", "B", maximum))
        XCTAssertTrue(refusal(&b, .allocationReleased(id: "AL-000001", reason: "road closed")).contains("would hold 2000000000000 water-5l"))
        try b.apply(.lotIssued(warehouse: "ty-01", lot: "B", quantity: maximum, recipient: nil, note: nil))
        try b.apply(.allocationReleased(id: "AL-000001", reason: "road closed"))
        XCTAssertEqual(b.state.holding(warehouse: "ty-01", lot: "A"), Holding(onHand: maximum, reserved: 0))
        XCTAssertEqual(b.state.invariantViolations(), [])
    }

    func testNeedsAllocationsMinimumsAndPlansPastTheMaximumAreRefused() throws {
        var b = try StateBuilder.shanxi()
        try b.apply(receive("ty-01", "A", 100))
        try b.apply(.incidentOpened(Incident(id: "flood", title: "Flood", kind: .flood, location: Coordinate(latitude: 37.8, longitude: 112.5),
                                             region: "shanxi/taiyuan", severity: 3, affected: 100, openedAt: b.time)))
        let by = Timestamp(milliseconds: b.time.milliseconds + 86_400_000)
        func need(_ id: String, _ quantity: Int64) -> Event {
            .needAdded(Need(id: id, incident: "flood", request: .supply(sku: "water-5l", quantity: quantity), priority: 1,
                            neededBy: by, note: nil, createdAt: b.time))
        }
        _ = refusal(&b, need("N-000001", maximum + 1))
        _ = refusal(&b, need("N-000001", .max))
        try b.apply(need("N-000001", maximum))
        _ = refusal(&b, .needChanged(id: "N-000001", amount: maximum + 1, priority: nil, neededBy: nil, note: nil))

        // A need never has more allocated than it asks for, so sums over its allocations stay bounded.
        try b.apply(.needChanged(id: "N-000001", amount: 30, priority: nil, neededBy: nil, note: nil))
        func allocation(_ id: String, _ quantity: Int64) -> Event {
            .allocationReserved(Allocation(id: id, need: "N-000001", incident: "flood", warehouse: "ty-01", lot: "A", sku: "water-5l",
                                           quantity: quantity, plan: nil, createdAt: b.time))
        }
        try b.apply(allocation("AL-000001", 20))
        XCTAssertTrue(refusal(&b, allocation("AL-000002", 11)).contains("of 11 is more than the 10 need N-000001 still misses"))
        try b.apply(allocation("AL-000002", 10))

        _ = refusal(&b, .minimumSet(warehouse: "ty-01", sku: "water-5l", quantity: maximum + 1))
        try b.apply(.minimumSet(warehouse: "ty-01", sku: "water-5l", quantity: maximum))

        // A plan whose line costs add up past 64 bits would trap wherever its total is shown.
        func plan(_ lines: [PlanLine], unmet: [UnmetNeed] = []) -> Event {
            .planProposed(Plan(id: b.state.nextPlanID, incident: "flood", basedOnSeq: b.state.lastSeq, createdAt: b.time, lines: lines, unmet: unmet))
        }
        let line = PlanLine.supply(need: "N-000001", warehouse: "ty-01", lot: "A", quantity: 5, cost: .max)
        _ = refusal(&b, plan([line, .supply(need: "N-000001", warehouse: "ty-01", lot: "A", quantity: 5, cost: 1)]))
        _ = refusal(&b, plan([.supply(need: "N-000001", warehouse: "ty-01", lot: "A", quantity: maximum + 1, cost: 0)]))
        _ = refusal(&b, plan([.supply(need: "N-000001", warehouse: "ty-01", lot: "A", quantity: 0, cost: 0)]))
        _ = refusal(&b, plan([.supply(need: "N-000001", warehouse: "ty-01", lot: "A", quantity: 5, cost: -1)]))
        _ = refusal(&b, plan([], unmet: [UnmetNeed(need: "N-000001", missing: maximum + 1, reason: "none")]))
        try b.apply(plan([line], unmet: [UnmetNeed(need: "N-000001", missing: maximum, reason: "none")]))
        XCTAssertEqual(b.state.plans["PL-000001"]?.totalCost, .max)
        XCTAssertEqual(b.state.invariantViolations(), [])
    }

    func testJournalEntriesWithQuantitiesOutOfRangeDoNotDecode() throws {
        func decodes(_ kind: String, _ json: String) -> Bool {
            (try? Event(kind: kind, body: FlatJSON.decode(json))) != nil
        }
        let received = #"{"warehouse":"ty-01","lot":"A","sku":"water-5l","qty":QTY,"source":"other"}"#
        XCTAssertTrue(decodes("lot.received", received.replacingOccurrences(of: "QTY", with: "1000000000000")))
        XCTAssertFalse(decodes("lot.received", received.replacingOccurrences(of: "QTY", with: "1000000000001")))
        XCTAssertFalse(decodes("lot.received", received.replacingOccurrences(of: "QTY", with: "9223372036854775807")))
        XCTAssertFalse(decodes("lot.issued", #"{"warehouse":"ty-01","lot":"A","qty":1000000000001}"#))
        XCTAssertFalse(decodes("lot.transferred", #"{"from":"ty-01","to":"dt-01","lot":"A","qty":1000000000001}"#))
        XCTAssertTrue(decodes("lot.adjusted", #"{"warehouse":"ty-01","lot":"A","delta":-1000000000000,"reason":"lost"}"#))
        XCTAssertFalse(decodes("lot.adjusted", #"{"warehouse":"ty-01","lot":"A","delta":1000000000001,"reason":"recount"}"#))
        XCTAssertFalse(decodes("lot.adjusted", #"{"warehouse":"ty-01","lot":"A","delta":-9223372036854775808,"reason":"lost"}"#))
        XCTAssertFalse(decodes("minimum.set", #"{"warehouse":"ty-01","sku":"water-5l","qty":1000000000001}"#))
        XCTAssertFalse(decodes("need.added", #"{"id":"N-000001","incident":"f","type":"supply","sku":"water-5l","amount":1000000000001,"priority":1,"by":0}"#))
        XCTAssertFalse(decodes("need.changed", #"{"id":"N-000001","amount":1000000000001}"#))
        XCTAssertFalse(decodes("allocation.reserved",
                               #"{"id":"AL-000001","need":"N-000001","incident":"f","warehouse":"ty-01","lot":"A","sku":"water-5l","qty":1000000000001}"#))
        XCTAssertFalse(decodes("plan.proposed", #"{"id":"PL-000001","based_on":1,"lines":"s N-000001 ty-01 A 5 9223372036854775807;s N-000001 ty-01 A 5 1","unmet":0}"#))
        XCTAssertFalse(decodes("plan.proposed", #"{"id":"PL-000001","based_on":1,"lines":"s N-000001 ty-01 A 1000000000001 0","unmet":0}"#))
        XCTAssertThrowsError(try Event(kind: "minimum.set", body: FlatJSON.decode(#"{"warehouse":"w","sku":"s","qty":-1}"#))) {
            XCTAssertEqual("\($0)", "invalid value: qty=-1 outside 0...1000000000000")
        }
    }

    func testSnapshotsWithQuantitiesOutOfRangeDoNotLoad() throws {
        var b = try StateBuilder.shanxi()
        try b.apply(receive("ty-01", "A", 600))
        try b.apply(receive("ty-01", "B", 400))
        try b.apply(.minimumSet(warehouse: "ty-01", sku: "water-5l", quantity: 7))
        let text = b.state.snapshotText()
        XCTAssertNoThrow(try State(snapshotText: text))
        for (from, to) in [(#""on_hand":600"#, #""on_hand":1000000000001"#),
                           // Two holdings, each within the maximum, past it together.
                           (#""on_hand":600"#, #""on_hand":999999999601"#),
                           // Each near Int64.max: their 64-bit sum would wrap.
                           (#""on_hand":600"#, #""on_hand":9223372036854775807"#),
                           (#""reserved":0"#, #""reserved":601"#),
                           (#""qty":7"#, #""qty":1000000000001"#),
                           (#""delta":600"#, #""delta":1000000000001"#)] {
            XCTAssertTrue(text.contains(from), from)
            XCTAssertThrowsError(try State(snapshotText: text.replacingOccurrences(of: from, with: to)), to)
        }
    }

    func testAStateAtTheMaximumRoundTripsThroughSnapshotAndJournal() throws {
        var b = try StateBuilder.shanxi()
        var entries: [Entry] = []
        for event in [receive("ty-01", "A", maximum - 1), receive("ty-01", "B", 1), receive("dt-01", "T", maximum, sku: "tent-12"),
                      .lotAdjusted(warehouse: "ty-01", lot: "A", delta: -(maximum - 1), reason: .lost, note: nil),
                      .lotAdjusted(warehouse: "ty-01", lot: "B", delta: maximum - 1, reason: .recount, note: nil),
                      .minimumSet(warehouse: "ty-01", sku: "water-5l", quantity: maximum)] as [Event] {
            try b.apply(event)
            entries.append(Entry(seq: b.seq, time: b.time, actor: "test", event: event))
        }
        XCTAssertEqual(b.state.holding(warehouse: "ty-01", lot: "B"), Holding(onHand: maximum, reserved: 0))
        XCTAssertEqual(try State(snapshotText: b.state.snapshotText()).snapshotText(), b.state.snapshotText())
        var replayed = try StateBuilder.shanxi().state
        for entry in entries {
            try replayed.apply(Entry(seq: entry.seq, time: entry.time, actor: entry.actor,
                                     event: try Event(kind: entry.event.kind, body: FlatJSON.decode(entry.event.body.encoded()))))
        }
        XCTAssertEqual(replayed.snapshotText(), b.state.snapshotText())
    }
}
