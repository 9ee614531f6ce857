import XCTest
@testable import ReliefProtocol

final class LineFramerTests: XCTestCase {
    private func lines(_ framer: inout LineFramer, _ chunks: [String]) -> [LineFramer.Event] {
        var events: [LineFramer.Event] = []
        for chunk in chunks { framer.feed(Array(chunk.utf8)) { events.append($0) } }
        return events
    }

    func testSplitsLinesAcrossChunksAndStripsCR() {
        var framer = LineFramer(maxLine: 100)
        let events = lines(&framer, ["pi", "ng\r\nin", "fo\nhalf"])
        XCTAssertEqual(events, [.line(Array("ping".utf8)), .line(Array("info".utf8))])
        XCTAssertEqual(framer.pendingBytes, 4)
        XCTAssertTrue(framer.hasPartialLine)
    }

    func testOverlongLineIsReportedOnceAndDiscardedUpToNewline() {
        var framer = LineFramer(maxLine: 8)
        let events = lines(&framer, ["0123456789", "abcdef", "xyz\nok\n"])
        XCTAssertEqual(events, [.overlong(19), .line(Array("ok".utf8))])
        XCTAssertEqual(framer.pendingBytes, 0)
    }

    func testLineOfExactlyMaxLengthIsAccepted() {
        var framer = LineFramer(maxLine: 4)
        XCTAssertEqual(lines(&framer, ["abcd\r\n", "abcde\n"]), [.line(Array("abcd".utf8)), .overlong(5)])
    }

    func testMemoryStaysBoundedUnderAFlood() {
        var framer = LineFramer(maxLine: 1024)
        let chunk = [UInt8](repeating: 0x41, count: 4096)
        for _ in 0..<1000 { framer.feed(chunk) { _ in } }
        XCTAssertLessThanOrEqual(framer.pendingBytes, 1024)
    }

    /// Found by the fuzzer: a line of exactly max_line bytes whose CR and LF arrive in two reads.
    func testLineOfMaxLengthWithCRAndLFInSeparateReads() {
        var framer = LineFramer(maxLine: 4)
        XCTAssertEqual(lines(&framer, ["abcd\r", "\nok\n"]), [.line(Array("abcd".utf8)), .line(Array("ok".utf8))])
    }
}
