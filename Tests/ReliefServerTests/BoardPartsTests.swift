import Foundation
import XCTest
@testable import ReliefHTTP
@testable import ReliefServer

/// The board's parts that hold state apart from the loop: its log-in sessions, and the pipe an
/// event stream's bytes cross from the loop to the HTTP response.
final class BoardPartsTests: XCTestCase {
    func testSessionsExpireAreBoundedAndClose() {
        var sessions = BoardSessions()
        let first = sessions.open(user: "ana", token: "t1", now: 1000)
        XCTAssertEqual(first.count, 64, "256 random bits in hex")
        XCTAssertEqual(sessions.session(first, now: 2000)?.user, "ana")
        XCTAssertNil(sessions.session(first, now: 1000 + BoardSessions.lifetime), "expired after its lifetime")
        XCTAssertNil(sessions.session("guess", now: 2000))
        sessions.close(first)
        XCTAssertNil(sessions.session(first, now: 2000))

        // At capacity the oldest log-in goes first; expired ones are dropped on the next log-in.
        var ids: [String] = []
        for index in 0..<BoardSessions.capacity { ids.append(sessions.open(user: "u\(index)", token: "t", now: UInt64(10_000 + index))) }
        XCTAssertEqual(sessions.count, BoardSessions.capacity)
        let newest = sessions.open(user: "late", token: "t", now: 20_000)
        XCTAssertEqual(sessions.count, BoardSessions.capacity)
        XCTAssertNil(sessions.session(ids[0], now: 20_001))
        XCTAssertEqual(sessions.session(ids[1], now: 20_001)?.user, "u1")
        XCTAssertEqual(sessions.session(newest, now: 20_001)?.user, "late")
        _ = sessions.open(user: "next day", token: "t", now: 20_000 + BoardSessions.lifetime)
        XCTAssertEqual(sessions.count, 1, "every earlier session had expired")
    }

    func testFormsAndCookiesAreDecoded() {
        let form = HTTPFront.decodeForm("user=ana+li&token=rlf_%41b&empty=&flag")
        XCTAssertEqual(form.map(\.key), ["user", "token", "empty", "flag"])
        XCTAssertEqual(form.map(\.value), ["ana li", "rlf_Ab", "", ""])
        let ask = HTTPAsk(method: "GET", path: "/board", query: [], authorization: nil, peer: "127.0.0.1",
                          cookie: "theme=dark; reliefd_board=abc123; other=x=y")
        XCTAssertEqual(ask.cookie("reliefd_board"), "abc123")
        XCTAssertEqual(ask.cookie("other"), "x=y")
        XCTAssertNil(ask.cookie("reliefd"))
    }

    /// Counts the pipe's callbacks.
    final class Calls: @unchecked Sendable {
        private let lock = NSLock()
        private var drained = 0, ended = 0
        func drain() { lock.lock(); drained += 1; lock.unlock() }
        func end() { lock.lock(); ended += 1; lock.unlock() }
        var counts: (drained: Int, ended: Int) { lock.lock(); defer { lock.unlock() }; return (drained, ended) }
    }

    func testThePipeCountsWhatItHoldsDropsItOnACutAndEndsOnce() async {
        let calls = Calls()
        let pipe = HTTPEventPipe(lowWater: 10, onDrained: { calls.drain() }, onEnd: { calls.end() })
        pipe.yield(Array("abcdef".utf8))
        pipe.yield(Array("ghijkl".utf8))
        XCTAssertEqual(pipe.held, 12)
        // The response takes everything queued as one chunk; held falls once it is written.
        let chunk = await pipe.next()
        XCTAssertEqual(chunk.map { String(decoding: $0, as: UTF8.self) }, "abcdefghijkl")
        XCTAssertEqual(pipe.held, 12, "taken, not yet written")
        pipe.written(12)
        XCTAssertEqual(pipe.held, 0)
        XCTAssertEqual(calls.counts.drained, 1, "fell below the low water mark")

        // A cut drops what was queued and not written: only its last word is held.
        pipe.yield(Array(repeating: 0x41, count: 1000))
        pipe.cut(Array("bye".utf8))
        XCTAssertEqual(pipe.held, 3)
        pipe.yield(Array("after".utf8))
        XCTAssertEqual(pipe.held, 3, "nothing is queued after the stream is finished")
        let last = await pipe.next()
        XCTAssertEqual(last.map { String(decoding: $0, as: UTF8.self) }, "bye")
        let none = await pipe.next()
        XCTAssertNil(none)
        pipe.end()
        pipe.end()
        XCTAssertEqual(calls.counts.ended, 1)
    }

    func testAWaitingResponseIsWokenByAYieldAndByTheEnd() async {
        let calls = Calls()
        let pipe = HTTPEventPipe(lowWater: 10, onDrained: { calls.drain() }, onEnd: { calls.end() })
        async let first = pipe.next()
        try? await Task.sleep(nanoseconds: 20_000_000)
        pipe.yield(Array("x".utf8))
        let woken = await first
        XCTAssertEqual(woken, Array("x".utf8))
        // The peer goes away while the response waits: it ends, and the loop hears of it once.
        let waiting = Task { await pipe.next() }
        try? await Task.sleep(nanoseconds: 20_000_000)
        waiting.cancel()
        let ended = await waiting.value
        XCTAssertNil(ended)
        XCTAssertEqual(calls.counts.ended, 1)
    }
}
