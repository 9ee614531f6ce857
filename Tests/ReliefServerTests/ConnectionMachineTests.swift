import XCTest
import ReliefProtocol
@testable import ReliefServer

final class ConnectionMachineTests: XCTestCase {
    private func machine(soft: Int = 1000, hard: Int = 4000, slice: Int = 300) -> ConnectionMachine {
        ConnectionMachine(limits: .init(maxLine: 1024, softOutput: soft, hardOutput: hard, slice: slice), now: 0)
    }

    private func feed(_ machine: inout ConnectionMachine, _ text: String, now: UInt64 = 0) {
        Array(text.utf8).withUnsafeBytes { machine.received($0, now: now) }
    }

    private func lines(_ machine: inout ConnectionMachine, now: UInt64 = 0) -> [String] {
        var taken: [String] = []
        while let event = machine.nextEvent(now: now) {
            if case .line(let line) = event { taken.append(String(decoding: line, as: UTF8.self)) }
        }
        return taken
    }

    private func rows(_ count: Int, width: Int = 50) -> Reply {
        .rows((0..<count).map { ["row": String($0), "pad": String(repeating: "x", count: width)] })
    }

    func testLinesRunOnlyWhileOutputIsUnderTheSoftLimit() {
        var machine = machine(soft: 100)
        feed(&machine, "a\nb\nc\nd\n")
        XCTAssertEqual(machine.nextEvent(now: 0), .line(Array("a".utf8)))
        machine.enqueue(.ok(["text": String(repeating: "y", count: 120)]), waitSeq: 0, committedSeq: 0)
        XCTAssertEqual(machine.pause, .output)
        XCTAssertNil(machine.nextEvent(now: 0), "no line runs while more than the soft limit is held")
        XCTAssertFalse(machine.wantsInput, "and the client is not read")
        // The client reads: the bytes leave, and the rest of its lines run.
        let taken = machine.takeReady()
        XCTAssertEqual(taken.count, 129)
        machine.writeQueueChanged(to: 0, progressed: true, now: 1)
        XCTAssertEqual(lines(&machine), ["b", "c", "d"])
        XCTAssertTrue(machine.wantsInput)
    }

    func testAReplyMadeElsewhereGoesOutInItsPlaceAndReadsOutAreBounded() {
        var machine = ConnectionMachine(limits: .init(maxLine: 1024, softOutput: 1000, hardOutput: 4000, slice: 300, readsOut: 2), now: 0)
        feed(&machine, "a\nb\nc\nd\n")
        _ = machine.nextEvent(now: 0)
        let first = machine.reserve(waitSeq: 0)
        _ = machine.nextEvent(now: 0)
        machine.enqueue(.ok(["reply": "b"]), waitSeq: 0, committedSeq: 0)
        XCTAssertTrue(machine.takeReady().isEmpty, "nothing passes the place kept for a reply being made")
        _ = machine.nextEvent(now: 0)
        let second = machine.reserve(waitSeq: 5)
        XCTAssertEqual(machine.pause, .reads, "two reads out: the client's next line waits")
        XCTAssertNil(machine.nextEvent(now: 0))
        XCTAssertTrue(machine.fill(second, bytes: Array("OK c\n".utf8), committedSeq: 0))
        XCTAssertNil(machine.pause)
        XCTAssertTrue(machine.takeReady().isEmpty, "the later reply waits for the earlier one")
        XCTAssertTrue(machine.fill(first, bytes: Array("OK a\n".utf8), committedSeq: 0))
        XCTAssertEqual(String(decoding: machine.takeReady(), as: UTF8.self), "OK a\nOK reply=b\n",
                       "in request order; the third waits for the commit of seq 5")
        machine.produce(committedSeq: 5)
        XCTAssertEqual(String(decoding: machine.takeReady(), as: UTF8.self), "OK c\n")
        XCTAssertFalse(machine.fill(first, bytes: Array("again\n".utf8), committedSeq: 5), "a place is filled once")
        XCTAssertEqual(machine.nextEvent(now: 0), .line(Array("d".utf8)))

        // A failed commit replaces a place waiting for lost entries; the reply made for it is dropped.
        let lost = machine.reserve(waitSeq: 9)
        machine.failQueued(after: 5, with: .error(.unavailable, "store unavailable"))
        XCTAssertEqual(machine.awaiting, 0)
        XCTAssertFalse(machine.fill(lost, bytes: Array("OK stale\n".utf8), committedSeq: 5))
        machine.releaseHeld()
        machine.produce(committedSeq: 5)
        XCTAssertEqual(String(decoding: machine.takeReady(), as: UTF8.self), "ERR UNAVAILABLE store unavailable\n")
        XCTAssertTrue(machine.isDrained)
    }

    func testBytesLibuvStillHoldsCountTowardTheLimit() {
        var machine = machine(soft: 100)
        feed(&machine, "a\nb\n")
        _ = machine.nextEvent(now: 0)
        machine.enqueue(.ok(["k": "v"]), waitSeq: 0, committedSeq: 0)
        _ = machine.takeReady()
        machine.writeQueueChanged(to: 150, progressed: false, now: 0)
        XCTAssertEqual(machine.load, 150)
        XCTAssertNil(machine.nextEvent(now: 0))
        machine.writeQueueChanged(to: 0, progressed: true, now: 5)
        XCTAssertEqual(machine.nextEvent(now: 5), .line(Array("b".utf8)))
    }

    func testALargeReplyIsEncodedInSlicesAsTheClientReads() {
        var machine = machine(soft: 1000, hard: 2000, slice: 300)
        machine.enqueue(rows(10_000), waitSeq: 0, committedSeq: 0)
        XCTAssertLessThan(machine.load, 1400, "only about the soft limit is encoded ahead, never all 10,000 rows")
        XCTAssertEqual(machine.pause, .output, "the client's next lines wait until the reply is out")
        var received: [UInt8] = machine.takeReady()
        var steps = 0
        while true {
            steps += 1
            let more = machine.produce(committedSeq: 0)
            received += machine.takeReady()
            XCTAssertLessThanOrEqual(machine.peakLoad, 2000, "never more than the hard limit held")
            if !more { break }
        }
        XCTAssertGreaterThan(steps, 100, "encoded a slice at a time")
        XCTAssertEqual(received, Array(TextEncoder.encode(rows(10_000)).utf8))
        XCTAssertNil(machine.pause)
        XCTAssertFalse(machine.overHardLimit)
    }

    func testAStreamIsMadeRowByRowAsItIsEncoded() {
        let made = LockedCounter()
        let stream = RowStream(count: 5000) { index in
            made.increment()
            return ["n": String(index)]
        }
        var machine = machine(soft: 1000, hard: 2000, slice: 200)
        machine.enqueue(.stream(stream), waitSeq: 0, committedSeq: 0)
        XCTAssertLessThan(made.value, 300, "rows are made when they are encoded, not all at once")
        var out = machine.takeReady()
        while machine.produce(committedSeq: 0) { out += machine.takeReady() }
        out += machine.takeReady()
        XCTAssertEqual(made.value, 5000)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), TextEncoder.encode(.rows((0..<5000).map { ["n": String($0)] })))
    }

    func testRepliesLeaveInOrderOnceTheirCommitIsDurable() {
        var machine = machine()
        machine.enqueue(.ok(["write": "1"]), waitSeq: 7, committedSeq: 5)
        machine.enqueue(.ok(["read": "1"]), waitSeq: 0, committedSeq: 5)
        XCTAssertTrue(machine.takeReady().isEmpty, "the read waits behind the write it follows")
        XCTAssertTrue(machine.owesReplies)
        machine.produce(committedSeq: 7)
        XCTAssertEqual(String(decoding: machine.takeReady(), as: UTF8.self), "OK write=1\nOK read=1\n")
        XCTAssertFalse(machine.owesReplies)
    }

    func testParkedRepliesCountTowardTheLimit() {
        var machine = machine(soft: 100)
        feed(&machine, "a\nb\nc\n")
        _ = machine.nextEvent(now: 0)
        machine.enqueue(.ok(["text": String(repeating: "z", count: 60)]), waitSeq: 9, committedSeq: 1)
        XCTAssertNotNil(machine.nextEvent(now: 0))
        machine.enqueue(.ok(["text": String(repeating: "z", count: 60)]), waitSeq: 9, committedSeq: 1)
        XCTAssertEqual(machine.pendingBytes, 138)
        XCTAssertNil(machine.nextEvent(now: 0), "replies parked behind a commit count too")
    }

    func testHardLimitAndStall() {
        var machine = machine(soft: 100, hard: 200)
        machine.enqueue(.error(.syntax, String(repeating: "e", count: 300)), waitSeq: 0, committedSeq: 0)
        XCTAssertTrue(machine.overHardLimit, "one reply bigger than the hard limit")
        var stalled = self.machine(soft: 100, hard: 1000)
        stalled.enqueue(.ok(["t": String(repeating: "s", count: 150)]), waitSeq: 0, committedSeq: 0)
        _ = stalled.takeReady()
        stalled.writeQueueChanged(to: 160, progressed: false, now: 1000)
        XCTAssertFalse(stalled.outputStalled(now: 60_000, stallLimit: 120_000))
        XCTAssertTrue(stalled.outputStalled(now: 121_000, stallLimit: 120_000), "over the soft limit, nothing read for the stall limit")
        stalled.writeQueueChanged(to: 150, progressed: true, now: 121_000)
        XCTAssertFalse(stalled.outputStalled(now: 130_000, stallLimit: 120_000), "progress resets the stall clock")
    }

    func testFailedCommitTurnsWaitingRepliesIntoHeldErrors() {
        var machine = machine()
        machine.enqueue(.ok(["write": "1"]), waitSeq: 3, committedSeq: 2)
        machine.enqueue(rows(50), waitSeq: 4, committedSeq: 2)
        machine.failQueued(after: 2, with: .error(.unavailable, "lost"))
        machine.produce(committedSeq: 1_000)
        XCTAssertTrue(machine.takeReady().isEmpty, "held until released")
        XCTAssertNil(machine.pause, "a replaced large reply no longer pauses the client")
        machine.releaseHeld()
        machine.produce(committedSeq: 2)
        XCTAssertEqual(String(decoding: machine.takeReady(), as: UTF8.self), "ERR UNAVAILABLE lost\nERR UNAVAILABLE lost\n")
    }

    func testPartialLineIsTimedFromItsFirstByte() {
        var machine = machine()
        feed(&machine, "stock rec", now: 1000)
        XCTAssertNil(machine.nextEvent(now: 1000))
        XCTAssertEqual(machine.lineStartedAt, 1000)
        feed(&machine, "eive", now: 5000)
        XCTAssertNil(machine.nextEvent(now: 5000))
        XCTAssertEqual(machine.lineStartedAt, 1000, "a byte now and then does not restart the clock")
        feed(&machine, " w 1\nping", now: 9000)
        XCTAssertEqual(machine.nextEvent(now: 9000), .line(Array("stock receive w 1".utf8)))
        XCTAssertNil(machine.nextEvent(now: 9000))
        XCTAssertEqual(machine.lineStartedAt, 9000, "the next line's clock starts with its first byte")
        feed(&machine, "\n", now: 9100)
        XCTAssertEqual(machine.nextEvent(now: 9100), .line(Array("ping".utf8)))
        XCTAssertNil(machine.lineStartedAt)
    }

    func testInputHeldIsOneReadAtMost() {
        var machine = machine(soft: 10)
        feed(&machine, String(repeating: "ping\n", count: 1000))
        _ = machine.nextEvent(now: 0)
        machine.enqueue(.ok(["": "pong"]), waitSeq: 0, committedSeq: 0)
        machine.enqueue(.ok(["": "pong"]), waitSeq: 0, committedSeq: 0)
        XCTAssertEqual(machine.inboxBytes, 4995)
        XCTAssertFalse(machine.wantsInput, "nothing more is read while lines wait")
    }
}

/// A counter a @Sendable row closure can bump.
private final class LockedCounter: @unchecked Sendable {
    private var count = 0
    func increment() { count += 1 }
    var value: Int { count }
}

/// The once-a-second timeouts, decided by the machine: before, each needed a daemon and seconds of
/// waiting.
final class ConnectionTimeoutTests: XCTestCase {
    private let timeouts = ConnectionMachine.Timeouts(partialLine: 10_000, outputStall: 30_000, idle: 60_000)

    private func machine(now: UInt64 = 0) -> ConnectionMachine {
        ConnectionMachine(limits: .init(maxLine: 1024, softOutput: 100, hardOutput: 4000, slice: 300), now: now)
    }

    private func feed(_ machine: inout ConnectionMachine, _ text: String, now: UInt64) {
        Array(text.utf8).withUnsafeBytes { machine.received($0, now: now) }
        while machine.nextEvent(now: now) != nil {}
    }

    func testAPartialLineCountsFromItsFirstByte() {
        var machine = machine()
        feed(&machine, "stock rec", now: 1_000)
        feed(&machine, "eive", now: 9_000)
        XCTAssertNil(machine.dueTimeout(now: 10_999, timeouts, beingRead: true, importing: false))
        XCTAssertEqual(machine.dueTimeout(now: 11_000, timeouts, beingRead: true, importing: false), .partialLine,
                       "a byte now and then does not keep it open")
        XCTAssertNil(machine.dueTimeout(now: 11_000, timeouts, beingRead: false, importing: false),
                     "not while the server itself has stopped reading it")
        feed(&machine, " wh water 1\n", now: 11_500)
        XCTAssertNil(machine.dueTimeout(now: 12_000, timeouts, beingRead: true, importing: false), "the line ended")
    }

    func testAClientThatDoesNotReadIsCutOffAfterTheStallTimeout() {
        var machine = machine()
        feed(&machine, "stock query\n", now: 0)
        machine.enqueue(.ok(["text": String(repeating: "y", count: 200)]), waitSeq: 0, committedSeq: 0)
        XCTAssertEqual(machine.pause, .output)
        XCTAssertNil(machine.dueTimeout(now: 29_999, timeouts, beingRead: false, importing: false))
        XCTAssertEqual(machine.dueTimeout(now: 30_000, timeouts, beingRead: false, importing: false), .outputStall)
        // Reading some of it is progress: the stall counts again from there.
        _ = machine.takeReady()
        machine.writeQueueChanged(to: 150, progressed: true, now: 29_000)
        XCTAssertNil(machine.dueTimeout(now: 30_000, timeouts, beingRead: false, importing: false))
    }

    func testIdleOnlyWithNothingOwedNothingWaitingAndNoImport() {
        var machine = machine()
        feed(&machine, "ping\n", now: 0)
        XCTAssertNil(machine.dueTimeout(now: 59_999, timeouts, beingRead: true, importing: false))
        XCTAssertEqual(machine.dueTimeout(now: 60_000, timeouts, beingRead: true, importing: false), .idle)
        XCTAssertNil(machine.dueTimeout(now: 60_000, timeouts, beingRead: true, importing: true), "an open import is not idleness")
        machine.block()
        XCTAssertNil(machine.dueTimeout(now: 60_000, timeouts, beingRead: true, importing: false), "waiting on the server is not idleness")
        machine.unblock()
        machine.enqueue(.ok([:]), waitSeq: 5, committedSeq: 0)
        XCTAssertNil(machine.dueTimeout(now: 60_000, timeouts, beingRead: true, importing: false), "a reply is owed")
        let off = ConnectionMachine.Timeouts(partialLine: 0, outputStall: 0, idle: 0)
        XCTAssertNil(self.machine().dueTimeout(now: .max, off, beingRead: true, importing: false), "0 turns each off")
    }
}
