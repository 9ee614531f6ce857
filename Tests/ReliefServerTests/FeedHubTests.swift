import XCTest
import ReliefCore
@testable import ReliefServer

/// The feed's bookkeeping in memory: who is owed what, through commits, failed commits, a ring
/// that wraps, pages read back from the store, and a reload.
final class FeedHubTests: XCTestCase {
    private func entries(_ range: ClosedRange<Int64>, quantity: Int64 = 1) -> [Entry] {
        range.map { Entry(seq: $0, time: Timestamp(milliseconds: $0), actor: "t", event: .minimumSet(warehouse: "w", sku: "s", quantity: quantity)) }
    }

    private let all = FeedSelection(channels: Set(FeedChannel.allCases))

    func testALiveSubscriberGetsEachCommittedEntryOnceInOrder() {
        var hub = FeedHub(committedSeq: 10, ringCapacity: 8, pageEntries: 4)
        XCTAssertEqual(hub.subscribe(1, selection: all, personal: false, from: nil), .nothing, "nothing owed: live at once")
        XCTAssertEqual(hub.subscribers[1]?.phase, .live)
        hub.appended(entries(11...13))
        XCTAssertEqual(hub.committed(upTo: 10), [], "nothing new")
        let first = hub.committed(upTo: 12)
        XCTAssertEqual(first.map(\.seq), [11, 12], "13 is not committed yet")
        let owed = hub.liveDeliveries(of: first)
        XCTAssertEqual(owed.map(\.id), [1])
        XCTAssertEqual(owed.first?.from, 0)
        XCTAssertEqual(hub.subscribers[1]?.cursor, 12)
        let second = hub.committed(upTo: 13)
        XCTAssertEqual(second.map(\.seq), [13])
        XCTAssertEqual(hub.liveDeliveries(of: second).first?.from, 0)
        XCTAssertEqual(hub.liveDeliveries(of: second).count, 0, "never the same entries twice")
    }

    func testEntriesLostWithAFailedCommitAreNeverSent() {
        var hub = FeedHub(committedSeq: 0, ringCapacity: 8, pageEntries: 4)
        _ = hub.subscribe(1, selection: all, personal: false, from: nil)
        hub.appended(entries(1...3, quantity: 1))
        XCTAssertEqual(hub.committed(upTo: 1).map(\.seq), [1])
        hub.discarded(after: 1)
        // The seqs are used again by what is written after the store recovered.
        hub.appended(entries(2...3, quantity: 7))
        let committed = hub.committed(upTo: 3)
        XCTAssertEqual(committed.map(\.seq), [2, 3])
        XCTAssertEqual(committed.map(\.event), entries(2...3, quantity: 7).map(\.event), "the lost entries are gone")
    }

    func testASubscriberBehindTheRingReadsPagesThenTheRingThenGoesLive() {
        var hub = FeedHub(committedSeq: 0, ringCapacity: 4, pageEntries: 3)
        hub.appended(entries(1...10))
        XCTAssertEqual(hub.committed(upTo: 10).count, 10)
        XCTAssertEqual(hub.ringFirstSeq, 7, "the ring keeps the newest 4")
        XCTAssertEqual(hub.ringEntries(after: 6)?.map(\.seq), [7, 8, 9, 10])
        XCTAssertNil(hub.ringEntries(after: 5))

        XCTAssertEqual(hub.subscribe(1, selection: all, personal: true, from: 2), .read(after: 2, limit: 3))
        XCTAssertEqual(hub.subscribers[1]?.phase, .reading)
        XCTAssertEqual(hub.ready(1), .nothing, "one page at a time")
        XCTAssertEqual(hub.pageRead(1, after: 1, lastSeq: 5), .drop, "a page that does not follow the cursor")
        XCTAssertEqual(hub.pageRead(1, after: 2, lastSeq: 5), .send)
        // Meanwhile more commits: they are not sent live to a subscriber behind.
        hub.appended(entries(11...11))
        let newly = hub.committed(upTo: 11)
        XCTAssertEqual(hub.liveDeliveries(of: newly).count, 0)
        XCTAssertEqual(hub.ringFirstSeq, 8)
        XCTAssertEqual(hub.ready(1), .read(after: 5, limit: 3), "6 and 7 are not in the ring")
        // The store may be ahead of what the loop has heard committed: the cursor follows the page.
        XCTAssertEqual(hub.pageRead(1, after: 5, lastSeq: 8), .send)
        XCTAssertEqual(hub.ready(1), .send(entries(9...11)), "the rest from the ring, then live")
        XCTAssertEqual(hub.subscribers[1]?.phase, .live)
        hub.appended(entries(12...12))
        let next = hub.committed(upTo: 12)
        XCTAssertEqual(hub.liveDeliveries(of: next).map(\.id), [1])
    }

    func testAStoreWithNothingAfterTheCursorCutsTheSubscriberOff() {
        var hub = FeedHub(committedSeq: 0, ringCapacity: 2, pageEntries: 2)
        hub.appended(entries(1...5))
        _ = hub.committed(upTo: 5)
        XCTAssertEqual(hub.subscribe(1, selection: all, personal: false, from: 0), .read(after: 0, limit: 2))
        XCTAssertEqual(hub.pageRead(1, after: 0, lastSeq: nil), .missing)
        XCTAssertEqual(hub.subscribers[1]?.phase, .cutOff)
        XCTAssertEqual(hub.ready(1), .nothing)
    }

    func testAReloadSendsLiveSubscribersBackToTheStore() {
        var hub = FeedHub(committedSeq: 0, ringCapacity: 8, pageEntries: 4)
        _ = hub.subscribe(1, selection: all, personal: false, from: nil)
        hub.appended(entries(1...2))
        _ = hub.liveDeliveries(of: hub.committed(upTo: 2))
        hub.appended(entries(3...4))
        // The store recovered holding 4 (the commit of 3...4 landed but was not acknowledged).
        hub.reset(committedSeq: 4)
        XCTAssertEqual(hub.ringCount, 0)
        XCTAssertEqual(hub.subscribers[1]?.phase, .behind)
        XCTAssertEqual(hub.ready(1), .read(after: 2, limit: 4))
        XCTAssertEqual(hub.pageRead(1, after: 2, lastSeq: 4), .send)
        XCTAssertEqual(hub.ready(1), .nothing)
        XCTAssertEqual(hub.subscribers[1]?.phase, .live)
        hub.appended(entries(5...5))
        XCTAssertEqual(hub.liveDeliveries(of: hub.committed(upTo: 5)).map(\.id), [1])
    }

    func testEntriesWithAGapSendLiveSubscribersToTheStoreInsteadOfStopping() {
        var hub = FeedHub(committedSeq: 0, ringCapacity: 8, pageEntries: 4)
        _ = hub.subscribe(1, selection: all, personal: false, from: nil)
        hub.appended(entries(1...2))
        _ = hub.liveDeliveries(of: hub.committed(upTo: 2))
        hub.appended(entries(5...6)) // 3 and 4 never seen
        XCTAssertEqual(hub.committed(upTo: 6), [], "nothing sent live across a gap")
        XCTAssertEqual(hub.subscribers[1]?.phase, .behind)
        XCTAssertEqual(hub.ready(1), .read(after: 2, limit: 4), "the store has 3 and 4")
    }

    /// A commit larger than the ring (an import's) leaves the newest `ringCapacity` entries in it,
    /// in order, whether or not the committed entries are asked for; the ring wraps the same way.
    func testACommitLargerThanTheRingKeepsItsNewestEntriesWhetherReturnedOrNot() {
        for returning in [true, false] {
            var hub = FeedHub(committedSeq: 0, ringCapacity: 8, pageEntries: 4)
            hub.appended(entries(1...3))
            XCTAssertEqual(hub.committed(upTo: 3, returning: returning).map(\.seq), returning ? [1, 2, 3] : [])
            hub.appended(entries(4...30))
            XCTAssertEqual(hub.committed(upTo: 25, returning: returning).count, returning ? 22 : 0)
            XCTAssertEqual(hub.committedSeq, 25)
            XCTAssertEqual(hub.ringFirstSeq, 18)
            XCTAssertEqual(hub.ringEntries(after: 17)?.map(\.seq), Array(18...25))
            XCTAssertNil(hub.ringEntries(after: 16), "older entries are read from the store")
            XCTAssertEqual(hub.committed(upTo: 30, returning: returning).map(\.seq), returning ? Array(26...30) : [])
            XCTAssertEqual(hub.ringEntries(after: 22)?.map(\.seq), Array(23...30), "the ring wrapped")
            hub.appended(entries(33...34)) // 31 and 32 never seen
            XCTAssertEqual(hub.committed(upTo: 34, returning: returning), [])
            XCTAssertEqual(hub.ringCount, 0, "a gap starts the ring again")
            XCTAssertEqual(hub.committedSeq, 34)
        }
    }

    func testStockSelectionsMatchWarehousesAndTheRegionsAboveThem() {
        var state = State()
        let catalog: [Event] = [
            .regionAdded(id: "sx", name: "Shanxi", level: .province),
            .regionAdded(id: "sx/yq", name: "Yangquan", level: .city),
            .warehouseAdded(id: "a", name: "A", region: "sx", location: Coordinate(latitude: 37, longitude: 112)),
            .warehouseAdded(id: "b", name: "B", region: "sx/yq", location: Coordinate(latitude: 37, longitude: 113)),
        ]
        for (index, event) in catalog.enumerated() {
            XCTAssertNoThrow(try state.apply(Entry(seq: Int64(index + 1), time: Timestamp(milliseconds: 0), actor: "t", event: event)))
        }
        let intoB = FeedTopic(channel: .stock, warehouses: ["a", "b"])
        let atA = FeedTopic(channel: .stock, warehouses: ["a"])
        let yq = FeedSelection(channels: [.stock], stockPlaces: ["sx/yq"])
        XCTAssertTrue(yq.matches(intoB, in: state))
        XCTAssertFalse(yq.matches(atA, in: state))
        XCTAssertTrue(FeedSelection(channels: [.stock], stockPlaces: ["sx"]).matches(atA, in: state))
        XCTAssertTrue(FeedSelection(channels: [.stock], stockPlaces: ["a"]).matches(atA, in: state))
        XCTAssertFalse(FeedSelection(channels: [.needs]).matches(atA, in: state))
        // An allocation is on the allocations channel, and on stock for its warehouse.
        let reserved = FeedTopic(channel: .allocations, warehouses: ["b"])
        XCTAssertTrue(yq.matches(reserved, in: state))
        XCTAssertTrue(FeedSelection(channels: [.allocations]).matches(reserved, in: state))
        XCTAssertFalse(FeedSelection(channels: [.needs]).matches(reserved, in: state))
    }
}
