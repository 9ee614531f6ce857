@testable import ReliefServer
import XCTest

/// The leader's replies on a follower's forwarding link, framed whole: one line, or a table's
/// header and its rows, in pieces as TCP delivers them; each reply's seq= read and taken off.
final class LeaderRepliesTests: XCTestCase {
    private func feed(_ replies: inout LeaderReplies, _ text: String) throws -> [LeaderReplies.Reply] {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBytes { try replies.received(UnsafeRawBufferPointer($0)) }
    }

    func testRepliesAreCutWholeWhateverPiecesTheyArriveIn() throws {
        let stream = "OK user=kim role=admin scope=all\nOK reports_seq=yes\nOK lot=L1 seq=42\nOK 2 rows more seq=43\na=1\nb=\"x seq=9\"\n"
            + "ERR NOTFOUND warehouse wh-z not found\nOK 0 rows seq=44\nOK pong seq=45\r\n"
        // Every split of the stream into two pieces gives the same replies.
        for cut in 0...stream.utf8.count {
            var replies = LeaderReplies(maxReply: 1 << 20)
            let bytes = Array(stream.utf8)
            var done = try feed(&replies, String(decoding: bytes[..<cut], as: UTF8.self))
            done += try feed(&replies, String(decoding: bytes[cut...], as: UTF8.self))
            XCTAssertEqual(done.map(\.firstLine), ["OK user=kim role=admin scope=all", "OK reports_seq=yes", "OK lot=L1 seq=42", "OK 2 rows more seq=43",
                                                   "ERR NOTFOUND warehouse wh-z not found", "OK 0 rows seq=44", "OK pong seq=45"], "cut at \(cut)")
            XCTAssertEqual(done.map(\.seq), [nil, nil, 42, 43, nil, 44, 45])
            XCTAssertEqual(done.map(\.isError), [false, false, false, false, true, false, false])
            XCTAssertEqual(String(decoding: done[3].bytes, as: UTF8.self), "OK 2 rows more seq=43\na=1\nb=\"x seq=9\"\n")
            XCTAssertEqual(replies.held, 0)
        }
    }

    func testTheSeqComesOffForAClientThatDidNotAskForIt() throws {
        var replies = LeaderReplies(maxReply: 1 << 20)
        let done = try feed(&replies, "OK lot=L1 seq=42\nOK 1 rows seq=43\nname=\"a seq=1\"\nOK pong seq=7\r\nERR SYNTAX bad seq=5\n")
        XCTAssertEqual(done.map { String(decoding: LeaderReplies.withoutSeq($0), as: UTF8.self) },
                       ["OK lot=L1\n", "OK 1 rows\nname=\"a seq=1\"\n", "OK pong\r\n", "ERR SYNTAX bad seq=5\n"])
    }

    func testAReplyPastTheBoundOrOutsideTheProtocolFailsTheLink() throws {
        var small = LeaderReplies(maxReply: 64)
        XCTAssertThrowsError(try feed(&small, "OK 3 rows\n" + String(repeating: "x", count: 100))) { error in
            XCTAssertEqual(error as? LeaderReplies.Failure, .tooLong(110))
        }
        var other = LeaderReplies(maxReply: 1 << 20)
        XCTAssertThrowsError(try feed(&other, "HTTP/1.1 400 Bad Request\n")) { error in
            XCTAssertEqual(error as? LeaderReplies.Failure, .malformed("HTTP/1.1 400 Bad Request"))
        }
        var negative = LeaderReplies(maxReply: 1 << 20)
        XCTAssertThrowsError(try feed(&negative, "OK -2 rows\n"))
    }
}
