import XCTest
@testable import ReliefCore

final class ChunkedListTests: XCTestCase {
    func testElementsAcrossChunksKeepTheirOrderAndIndexes() {
        let count = ChunkedList<Int>.chunkSize * 3 + 17
        let list = ChunkedList(0..<count)
        XCTAssertEqual(list.count, count)
        XCTAssertEqual(Array(list), Array(0..<count))
        for index in [0, ChunkedList<Int>.chunkSize - 1, ChunkedList<Int>.chunkSize, count - 1] { XCTAssertEqual(list[index], index) }
        XCTAssertEqual(Array(list.suffix(3)), [count - 3, count - 2, count - 1])
        XCTAssertEqual(ChunkedList<Int>(), [])
    }

    func testACopyIsAValue() {
        var original = ChunkedList(0..<(ChunkedList<Int>.chunkSize + 5))
        let copy = original
        // Appending fills the shared tail chunk up and past its end: the copy does not change.
        for value in 0..<ChunkedList<Int>.chunkSize { original.append(-value) }
        XCTAssertEqual(copy.count, ChunkedList<Int>.chunkSize + 5)
        XCTAssertEqual(Array(copy), Array(0..<(ChunkedList<Int>.chunkSize + 5)))
        XCTAssertEqual(original.count, 2 * ChunkedList<Int>.chunkSize + 5)
        XCTAssertEqual(original.last, -(ChunkedList<Int>.chunkSize - 1))
        XCTAssertNotEqual(original, copy)
        original.removeAll()
        XCTAssertTrue(original.isEmpty)
        XCTAssertEqual(copy.count, ChunkedList<Int>.chunkSize + 5)
    }
}
