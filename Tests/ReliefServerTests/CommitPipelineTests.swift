import XCTest
import ReliefCore
@testable import ReliefServer

final class CommitPipelineTests: XCTestCase {
    private func entries(_ range: ClosedRange<Int64>) -> [Entry] {
        range.map { Entry(seq: $0, time: Timestamp(milliseconds: 0), actor: "t", event: .minimumSet(warehouse: "w", sku: "s", quantity: $0)) }
    }

    func testOneBatchInFlightWhileTheNextCollects() {
        var pipeline = CommitPipeline(committedSeq: 10)
        XCTAssertNil(pipeline.takeBatch(), "nothing to commit")
        pipeline.enqueue(entries(11...13))
        let first = pipeline.takeBatch()
        XCTAssertEqual(first?.map(\.seq), [11, 12, 13])
        pipeline.enqueue(entries(14...15))
        XCTAssertNil(pipeline.takeBatch(), "a second commit must wait for the first")
        XCTAssertEqual(pipeline.committedSeq, 10, "nothing is committed before the writer says so")
        pipeline.committed(upTo: 13, count: 3)
        XCTAssertEqual(pipeline.committedSeq, 13)
        XCTAssertEqual(pipeline.uncommitted, 2, "14 and 15 wait")
        XCTAssertEqual(pipeline.takeBatch()?.map(\.seq), [14, 15])
        XCTAssertEqual(pipeline.uncommitted, 2, "in flight is not yet durable")
        pipeline.committed(upTo: 15, count: 2)
        XCTAssertEqual(pipeline.uncommitted, 0)
        XCTAssertTrue(pipeline.isIdle)
        XCTAssertEqual(pipeline.batches, 2)
        XCTAssertEqual(pipeline.entriesCommitted, 5)
    }

    func testBatchSizeIsBounded() {
        var pipeline = CommitPipeline(committedSeq: 0, maxBatch: 2, maxRequest: 2)
        for seq in Int64(1)...5 { pipeline.enqueue(entries(seq...seq)) }
        XCTAssertEqual(pipeline.takeBatch()?.count, 2)
        pipeline.committed(upTo: 2, count: 2)
        XCTAssertEqual(pipeline.takeBatch()?.map(\.seq), [3, 4])
    }

    func testARequestIsNeverSplitBetweenCommits() {
        var pipeline = CommitPipeline(committedSeq: 0, maxBatch: 4, maxRequest: 12)
        pipeline.enqueue(entries(1...3))
        pipeline.enqueue(entries(4...5))
        pipeline.enqueue(entries(6...15)) // one large request (a bulk import)
        pipeline.enqueue(entries(16...16))
        XCTAssertEqual(pipeline.takeBatch()?.map(\.seq), [1, 2, 3], "4...5 would split nothing but exceed the bound")
        pipeline.committed(upTo: 3, count: 3)
        XCTAssertEqual(pipeline.takeBatch()?.map(\.seq), [4, 5])
        pipeline.committed(upTo: 5, count: 2)
        XCTAssertEqual(pipeline.takeBatch()?.map(\.seq), Array(6...15), "a request larger than maxBatch goes whole, alone")
        pipeline.committed(upTo: 15, count: 10)
        XCTAssertEqual(pipeline.takeBatch()?.map(\.seq), [16])
        pipeline.committed(upTo: 16, count: 1)
        XCTAssertTrue(pipeline.isIdle)
        // Past the store's limit on one transaction a request is sliced.
        pipeline.enqueue(entries(17...41))
        XCTAssertEqual(pipeline.takeBatch()?.map(\.seq), Array(17...28))
        pipeline.committed(upTo: 28, count: 12)
        XCTAssertEqual(pipeline.takeBatch()?.map(\.seq), Array(29...40))
        pipeline.committed(upTo: 40, count: 12)
        XCTAssertEqual(pipeline.takeBatch()?.map(\.seq), [41])
    }

    func testFailureLosesTheBatchAndWhatCollectedAfterItAndRefusesMore() {
        var pipeline = CommitPipeline(committedSeq: 5)
        pipeline.enqueue(entries(6...8))
        _ = pipeline.takeBatch()
        pipeline.enqueue(entries(9...9))
        XCTAssertEqual(pipeline.failed(), 4)
        XCTAssertFalse(pipeline.available)
        XCTAssertEqual(pipeline.committedSeq, 5, "a failed commit never counts as committed")
        XCTAssertNil(pipeline.takeBatch())
        XCTAssertTrue(pipeline.isIdle)
        pipeline.recovered(committedSeq: 5)
        XCTAssertTrue(pipeline.available)
        pipeline.enqueue(entries(6...6))
        XCTAssertEqual(pipeline.takeBatch()?.map(\.seq), [6])
    }
}
