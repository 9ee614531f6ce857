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

    /// Removing from the front, in steps of every size, against an Array doing the same; a copy
    /// taken between steps keeps its elements.
    func testRemoveFirstMatchesAnArrayAndLeavesCopiesAlone() {
        let size = ChunkedList<Int>.chunkSize
        var list = ChunkedList(0..<(3 * size + 10))
        var array = Array(0..<(3 * size + 10))
        var next = array.count
        for step in [0, 1, size - 1, 5, size, 2, 3 * size / 2] {
            let copy = list
            let before = Array(copy)
            let k = min(step, list.count)
            list.removeFirst(k)
            array.removeFirst(k)
            XCTAssertEqual(Array(list), array, "after removing \(k)")
            XCTAssertEqual(Array(copy), before, "the copy kept its elements")
            for _ in 0..<(size / 3) {
                list.append(next); array.append(next); next += 1
            }
            XCTAssertEqual(Array(list), array)
            if let first = array.first { XCTAssertEqual(list[0], first) }
            XCTAssertEqual(list.last, array.last)
        }
        list.removeFirst(list.count)
        XCTAssertTrue(list.isEmpty)
        list.append(7)
        XCTAssertEqual(Array(list), [7])
    }
}
