import XCTest
@testable import ReliefServer

final class RunQueueTests: XCTestCase {
    private func drain(_ queue: inout RunQueue) -> [Int] {
        var order: [Int] = []
        while let id = queue.pop() { order.append(id) }
        return order
    }

    func testEachLineIsFirstInFirstOut() {
        var queue = RunQueue()
        for id in [1, 2, 3] { queue.push(id) }
        XCTAssertEqual(drain(&queue), [1, 2, 3])
        for id in [7, 8] { queue.push(id, fresh: true) }
        XCTAssertEqual(drain(&queue), [7, 8])
    }

    func testAFreshClientWaitsAtMostOneContinuingTurn() {
        var queue = RunQueue()
        for id in 1...100 { queue.push(id) }  // a hundred floods, all served already
        queue.push(500, fresh: true)           // a ping arrives
        let order = drain(&queue)
        XCTAssertLessThanOrEqual(order.firstIndex(of: 500)!, 1, "the ping waited behind \(order.firstIndex(of: 500)!) floods")
    }

    func testContinuingClientsAreNotStarvedByAStreamOfFreshOnes() {
        var queue = RunQueue()
        queue.push(1)
        queue.push(2)
        var served: [Int] = []
        var nextFresh = 100
        // Every turn a new client arrives while the budget is spent; the continuing ones still get turns.
        for _ in 0..<6 {
            queue.push(nextFresh, fresh: true)
            nextFresh += 1
            served.append(queue.pop()!)
        }
        XCTAssertTrue(served.contains(1) && served.contains(2), "continuing clients starved: \(served)")
    }

    func testAnIdIsQueuedOnceAndARemovedIdIsSkipped() {
        var queue = RunQueue()
        queue.push(1)
        queue.push(1, fresh: true)
        queue.push(2)
        queue.push(3, fresh: true)
        XCTAssertEqual(queue.count, 3)
        queue.remove(2)
        XCTAssertEqual(Set(drain(&queue)), [1, 3])
        XCTAssertTrue(queue.isEmpty)
        XCTAssertNil(queue.pop())
    }

    func testLongRunsCompactWithoutLosingOrder() {
        var queue = RunQueue()
        var expected: [Int] = []
        for round in 0..<3 {
            for id in 0..<5000 { queue.push(round * 10_000 + id) }
            expected += (0..<5000).map { round * 10_000 + $0 }
        }
        XCTAssertEqual(drain(&queue), expected)
    }
}
