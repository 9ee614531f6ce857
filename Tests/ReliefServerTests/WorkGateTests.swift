import XCTest
import ReliefProtocol
@testable import ReliefServer

/// WorkGate in memory: which writes wait behind an import's re-check or for commits, and the order
/// of the off-loop queue — branches that before needed a daemon, an import of thousands of rows and
/// a timer to reach.
final class WorkGateTests: XCTestCase {
    typealias Gate = WorkGate<String, String>

    private func plan(_ id: String) -> Request { Request(words: ["plan", id], options: []) }

    func testWritesRunWhenNothingWaits() {
        let gate = Gate()
        XCTAssertEqual(gate.admit(.run), .run)
        XCTAssertEqual(gate.admit(.waitForCommits), .waitForCommits)
        XCTAssertEqual(gate.admit(.refuse("store down")), .refuse("store down"))
        XCTAssertEqual(gate.writesWaiting, 0)
    }

    func testOneJobOnTheThreadTheRestInOrder() throws {
        var gate = Gate()
        XCTAssertTrue(gate.offload(plan("a"), connection: 1), "the thread is free: it goes now")
        gate.submitted()
        XCTAssertFalse(gate.offload(plan("b"), connection: 2))
        XCTAssertFalse(gate.offload(plan("c"), connection: 3))
        XCTAssertEqual(gate.outstanding, 3)
        XCTAssertNil(gate.nextJob(), "nothing starts while a job is out")

        XCTAssertEqual(gate.jobFinished("a done", isWrite: true), "a done", "no barrier: finished at once")
        guard case .request(let second, let request)? = gate.nextJob() else { return XCTFail("b is next") }
        XCTAssertEqual(second, 2)
        XCTAssertEqual(request, plan("b"))
        // b no longer needs the thread (handled on the loop): the caller asks again and gets c.
        guard case .request(let third, _)? = gate.nextJob() else { return XCTFail("c is next") }
        XCTAssertEqual(third, 3)
        gate.submitted()
        XCTAssertNil(gate.nextJob())
        XCTAssertEqual(gate.outstanding, 1)
        XCTAssertEqual(gate.jobFinished("c done", isWrite: false), "c done")
        XCTAssertEqual(gate.outstanding, 0)
        XCTAssertEqual(gate.finished, 2)
    }

    func testAReCheckGoesAheadOfWaitingRequestsAndWritesWaitBehindIt() throws {
        var gate = Gate()
        gate.submitted() // a plan (a write) is on the thread
        XCTAssertFalse(gate.offload(plan("queued"), connection: 2))

        gate.startRecheck("rows of 7", connection: 7)
        XCTAssertTrue(gate.barrierUp)
        XCTAssertEqual(gate.admit(.run), .waitForBarrier)
        XCTAssertEqual(gate.admit(.waitForCommits), .waitForBarrier, "the barrier first: commits may catch up meanwhile")
        XCTAssertEqual(gate.admit(.refuse("standby")), .refuse("standby"), "a write that would be refused is not held")
        gate.park(4, for: .waitForBarrier)
        gate.park(5, for: .waitForBarrier)

        // The plan that was out comes back while the import is checked: held, it must find the
        // state the import was checked on. A read's result is not held.
        XCTAssertNil(gate.jobFinished("plan result", isWrite: true))
        XCTAssertEqual(gate.writesWaiting, 3)
        guard case .recheck(let importer, let rows)? = gate.nextJob() else { return XCTFail("the re-check goes first") }
        XCTAssertEqual(importer, 7)
        XCTAssertEqual(rows, "rows of 7")
        gate.submitted()
        XCTAssertNil(gate.nextJob())

        let waited = gate.recheckFinished()
        XCTAssertEqual(waited.held, ["plan result"], "held results finish first, in order")
        XCTAssertEqual(waited.parked, [4, 5], "then the parked writers, oldest first")
        XCTAssertFalse(gate.barrierUp)
        XCTAssertEqual(gate.writesWaiting, 0)
        XCTAssertEqual(gate.admit(.run), .run)
        guard case .request(let next, _)? = gate.nextJob() else { return XCTFail("the queued request still runs") }
        XCTAssertEqual(next, 2)
    }

    func testAReadIsNotHeldBehindTheBarrier() {
        var gate = Gate()
        gate.submitted()
        gate.startRecheck("rows", connection: 1)
        XCTAssertEqual(gate.jobFinished("a read", isWrite: false), "a read")
        XCTAssertEqual(gate.writesWaiting, 0)
    }

    func testWritersParkedForCommitsAreReleasedOnceOldestFirst() {
        var gate = Gate()
        gate.park(3, for: .waitForCommits)
        gate.park(1, for: .waitForCommits)
        XCTAssertEqual(gate.writesWaiting, 2)
        XCTAssertEqual(gate.commitsCaughtUp(), [3, 1])
        XCTAssertEqual(gate.commitsCaughtUp(), [], "released once")
        XCTAssertEqual(gate.writesWaiting, 0)
    }

    /// Writers parked for commits and writers parked behind the barrier both count in `writes_waiting`.
    func testBothKindsOfWaitingCountInInfo() {
        var gate = Gate()
        gate.park(1, for: .waitForCommits)
        gate.submitted()
        gate.startRecheck("rows", connection: 9)
        gate.park(2, for: .waitForBarrier)
        XCTAssertEqual(gate.writesWaiting, 2)
        XCTAssertEqual(gate.outstanding, 2, "the job out and the re-check waiting")
    }
}
