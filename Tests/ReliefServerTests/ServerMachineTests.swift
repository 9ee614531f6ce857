import ReliefCore
import ReliefStore
import XCTest
@testable import ReliefServer

/// The server's commit, recovery, snapshot and shutdown life in memory: every branch that once
/// needed a process, a broken store and a wall-clock timer is an event here, and what the server
/// must do is the list of actions that comes back.
final class ServerMachineTests: XCTestCase {
    private func machine(lastSeq: Int64 = 0, covers: Int64? = nil, unavailable: String? = nil, maxUncommitted: Int = 100_000) -> ServerMachine {
        ServerMachine(settings: .init(snapshotEvery: 1000, snapshotIntervalMilliseconds: 600_000, maxUncommitted: maxUncommitted),
                      lastSeq: lastSeq, loadedSnapshotSeq: covers ?? lastSeq, loadedSnapshotCovers: covers ?? lastSeq,
                      unavailableUntilLoaded: unavailable, now: 0, maxRequest: 100_000)
    }

    private func entries(_ range: ClosedRange<Int64>) -> [Entry] {
        range.map { Entry(seq: $0, time: Timestamp(milliseconds: 0), actor: "t", event: .minimumSet(warehouse: "w", sku: "s", quantity: $0)) }
    }

    /// A state whose last seq is `seq`.
    private func state(at seq: Int64) throws -> State {
        var state = State()
        try state.apply((1...seq).map { Entry(seq: $0, time: Timestamp(milliseconds: 0), actor: "t",
                                              event: .regionAdded(id: "r\($0)", name: "Region \($0)", level: .county)) })
        return state
    }

    private func names(_ actions: [ServerMachine.Action]) -> [String] { actions.map(\.description) }
    private func world(_ lastSeq: Int64, offloads: Int = 0, drills: Int = 0, connections: Int = 0, importBusy: Bool = false) -> ServerMachine.World {
        .init(lastSeq: lastSeq, offloads: offloads, drills: drills, connections: connections, importBusy: importBusy)
    }

    func testAFailedCommitRefusesWritesAndHoldsItsErrorsUntilTheDurableStateIsReRead() throws {
        var life = machine(lastSeq: 10)
        life.enqueue(entries(11...13))
        XCTAssertEqual(names(life.handle(.turnEnded, now: 5, world: world(13))), ["abandonStaging", "commit 11...13"])
        let failed = life.handle(.store(.commitFailed("disk I/O error")), now: 6, world: world(13))
        XCTAssertEqual(names(failed), ["log error commit failed; refusing writes until the store recovers", "failWaiting after 10 held",
                                       "recover", "releaseParkedWriters"])
        XCTAssertEqual(life.store, .unavailable(problem: "disk I/O error", recovery: .inFlight, holdingFailures: true))
        XCTAssertEqual(life.writesRefused?.hasPrefix("store unavailable (disk I/O error)"), true)
        XCTAssertEqual(life.committedSeq, 10, "nothing of the failed batch counts as committed")
        XCTAssertFalse(life.isAvailable)

        // Nothing more goes to the store while it is down, and the tick does not ask twice.
        XCTAssertEqual(names(life.handle(.tick, now: 5000, world: world(13))), [])
        let reread = life.handle(.store(.recovered(try state(at: 10), writable: true, snapshotSeq: 10, snapshotCovers: 10)), now: 7, world: world(13))
        XCTAssertEqual(names(reread), ["resetState 10", "log notice store recovered; accepting writes", "releaseHeld"])
        XCTAssertTrue(life.isAvailable)
        XCTAssertNil(life.writesRefused)
        XCTAssertNil(life.storeProblem)
    }

    func testAStoreStillDownIsProbedOnceASecondAndSaysSoOnlyWhenTheReasonChanges() throws {
        var life = machine(lastSeq: 3)
        life.enqueue(entries(4...4))
        _ = life.handle(.turnEnded, now: 0, world: world(4))
        _ = life.handle(.store(.commitFailed("disk I/O error")), now: 0, world: world(4))
        XCTAssertEqual(names(life.handle(.store(.recoveryFailed("no such file")), now: 100, world: world(4))),
                       ["releaseHeld", "log warning store still unavailable"])
        XCTAssertEqual(life.storeProblem, "no such file")
        XCTAssertEqual(names(life.handle(.tick, now: 600, world: world(4))), [], "less than a second since the last attempt")
        XCTAssertEqual(names(life.handle(.tick, now: 1100, world: world(4))), ["recover probe"])
        XCTAssertEqual(names(life.handle(.tick, now: 2200, world: world(4))), [], "one probe out at a time")
        XCTAssertEqual(names(life.handle(.store(.recoveryFailed("no such file")), now: 2300, world: world(4))), [], "the same reason is not logged again")
        // The file is back, but the store holds only what was committed: the state is rolled back to it.
        XCTAssertEqual(names(life.handle(.tick, now: 3300, world: world(4))), ["recover probe"])
        let back = life.handle(.store(.recovered(try state(at: 3), writable: true, snapshotSeq: 3, snapshotCovers: 3)), now: 3400, world: world(4))
        XCTAssertEqual(names(back), ["resetState 3", "log notice store recovered; accepting writes"])
        XCTAssertEqual(life.committedSeq, 3)
    }

    func testASnapshotHandedToTheStoreBeforeAFailureIsNeverSealed() throws {
        var life = machine(lastSeq: 20, covers: 10)
        XCTAssertEqual(names(life.handle(.started, now: 0, world: world(20))), ["takeSnapshot"], "entries replayed at start go into a snapshot")
        XCTAssertTrue(life.snapshotPending)
        life.enqueue(entries(21...21))
        _ = life.handle(.turnEnded, now: 1, world: world(21))
        _ = life.handle(.store(.commitFailed("gone")), now: 2, world: world(21))
        let written = life.handle(.store(.snapshotWritten(seal: SnapshotSeal(snapshotSeq: 20, format: "v1", sha256: "ab"), bytes: 1, encodeMicroseconds: 0, storeMicroseconds: 0)),
                                  now: 3, world: world(21))
        XCTAssertEqual(names(written), ["log info snapshot written"], "no seal: the store reloaded after the failure may not hold it")
        XCTAssertFalse(life.snapshotPending)
    }

    func testASealWaitsWhileAnImportIsBusyAndIsJournaledOnce() {
        var life = machine(lastSeq: 2000, covers: 0)
        _ = life.handle(.started, now: 0, world: world(2000))
        let seal = SnapshotSeal(snapshotSeq: 2000, format: "v1", sha256: "cd")
        let written = life.handle(.store(.snapshotWritten(seal: seal, bytes: 1, encodeMicroseconds: 0, storeMicroseconds: 0)), now: 1,
                                  world: world(2000, importBusy: true))
        XCTAssertEqual(names(written), ["log info snapshot written"])
        XCTAssertEqual(life.snapshot, .sealing(seal))
        XCTAssertEqual(names(life.handle(.tick, now: 2, world: world(2000))), ["journalSeal 2000"])
        XCTAssertTrue(life.snapshotPending, "pending until the seal is in the pipeline")
        XCTAssertEqual(names(life.handle(.tick, now: 3, world: world(2000))), [], "asked once")
        life.enqueueSeal(entries(2001...2001)[0], unchangedSince: true)
        XCTAssertFalse(life.snapshotPending)
        XCTAssertEqual(life.snapshotCovers, 2001, "a seal alone never makes the next snapshot due")
        XCTAssertEqual(names(life.handle(.turnEnded, now: 4, world: world(2001))), ["abandonStaging", "commit 2001...2001"])
    }

    func testShutdownDrainsCommitsAndOffLoopWorkThenSnapshotsThenStopsTheStoreThenCloses() {
        var life = machine(lastSeq: 5)
        life.enqueue(entries(6...7))
        _ = life.handle(.turnEnded, now: 0, world: world(7, connections: 2))
        XCTAssertEqual(names(life.handle(.stop(signal: 15), now: 1, world: world(7, offloads: 1, connections: 2))),
                       ["log notice shutting down", "stopAccepting"], "a commit is in flight: nothing more yet")
        XCTAssertTrue(life.isStopping)
        XCTAssertEqual(life.writesRefused, "reliefd is shutting down; nothing was changed")
        XCTAssertEqual(names(life.handle(.stop(signal: 2), now: 1, world: world(7, offloads: 1, connections: 2))), [], "a second signal changes nothing")
        XCTAssertEqual(names(life.handle(.store(.committed(upTo: 7, count: 2, microseconds: 10)), now: 2, world: world(7, offloads: 1, connections: 2))),
                       ["flushWaiting", "releaseParkedWriters"], "an off-loop request is still out")
        XCTAssertEqual(names(life.handle(.progress, now: 3, world: world(7, connections: 2))), ["takeSnapshot", "closeConnectionsWhenFlushed"])
        XCTAssertEqual(life.phase, .finalSnapshot)
        let seal = SnapshotSeal(snapshotSeq: 7, format: "v1", sha256: "ef")
        XCTAssertEqual(names(life.handle(.store(.snapshotWritten(seal: seal, bytes: 1, encodeMicroseconds: 0, storeMicroseconds: 0)), now: 4, world: world(7, connections: 2))),
                       ["log info snapshot written", "journalSeal 7"])
        life.enqueueSeal(entries(8...8)[0], unchangedSince: true)
        XCTAssertEqual(names(life.handle(.turnEnded, now: 5, world: world(8, connections: 1))), ["abandonStaging", "commit 8...8"], "the seal commits like any entry")
        XCTAssertEqual(names(life.handle(.store(.committed(upTo: 8, count: 1, microseconds: 10)), now: 6, world: world(8, connections: 1))),
                       ["flushWaiting", "releaseParkedWriters", "stopStore"])
        XCTAssertEqual(names(life.handle(.store(.stopped), now: 7, world: world(8, connections: 1))), [], "a client is still being answered")
        XCTAssertEqual(names(life.handle(.progress, now: 8, world: world(8))), ["closeHandles"])
        XCTAssertEqual(life.phase, .closed)
    }

    func testShutdownWithTheStoreDownSkipsTheFinalSnapshot() {
        var life = machine(lastSeq: 5)
        life.enqueue(entries(6...6))
        _ = life.handle(.turnEnded, now: 0, world: world(6))
        _ = life.handle(.store(.commitFailed("disk full")), now: 1, world: world(6))
        XCTAssertEqual(names(life.handle(.stop(signal: 15), now: 2, world: world(6))),
                       ["log notice shutting down", "stopAccepting", "closeConnectionsWhenFlushed"], "the re-read is still out")
        XCTAssertEqual(names(life.handle(.store(.recoveryFailed("disk full")), now: 3, world: world(6))), ["releaseHeld", "stopStore"])
        XCTAssertEqual(names(life.handle(.tick, now: 5000, world: world(6))), [], "no probes while stopping")
    }

    func testAPostgreSQLStoreLostFailsWaitingRepliesAtOnceAndIsProbedUntilItLeadsAgain() throws {
        var life = machine(unavailable: "connecting to PostgreSQL")
        XCTAssertEqual(life.writesRefused?.contains("connecting to PostgreSQL"), true)
        _ = life.handle(.store(.role("candidate", refusal: "reliefd is starting")), now: 0, world: world(0))
        XCTAssertEqual(life.storeProblem, "reliefd is starting")
        _ = life.handle(.store(.role("leader", refusal: nil)), now: 1, world: world(0))
        let loaded = life.handle(.store(.recovered(try state(at: 4), writable: true, snapshotSeq: 0, snapshotCovers: 0)), now: 2, world: world(4))
        XCTAssertEqual(names(loaded), ["resetState 4", "log notice store recovered; accepting writes", "takeSnapshot"], "loaded entries go into a snapshot")
        XCTAssertEqual(life.role, "leader")
        life.enqueue(entries(5...6))
        _ = life.handle(.turnEnded, now: 3, world: world(6))
        let lost = life.handle(.store(.storeLost("connection to PostgreSQL lost")), now: 4, world: world(6))
        XCTAssertEqual(names(lost), ["log error store lost; refusing writes until it is back", "failWaiting after 4 now", "releaseParkedWriters"])
        XCTAssertEqual(names(life.handle(.tick, now: 500, world: world(6))), [])
        XCTAssertEqual(names(life.handle(.tick, now: 1004, world: world(6))), ["recover probe"])
        _ = life.handle(.store(.role("standby", refusal: "another reliefd leads")), now: 1005, world: world(6))
        XCTAssertEqual(life.storeProblem, "another reliefd leads")
        XCTAssertEqual(life.role, "standby")
    }

    func testWritersParkedBehindUncommittedEntriesRunAgainOnceACommitBringsThemUnder() {
        var life = machine(lastSeq: 0, maxUncommitted: 3)
        life.enqueue(entries(1...2))
        XCTAssertFalse(life.commitsBehind)
        _ = life.handle(.turnEnded, now: 0, world: world(2))
        life.enqueue(entries(3...4))
        XCTAssertTrue(life.commitsBehind, "2 in flight and 2 collecting")
        XCTAssertEqual(names(life.handle(.store(.committed(upTo: 2, count: 2, microseconds: 300_000)), now: 1, world: world(4))),
                       ["log info long commit", "flushWaiting", "releaseParkedWriters"])
        life.enqueue(entries(5...7))
        _ = life.handle(.turnEnded, now: 2, world: world(7))
        life.enqueue(entries(8...8))
        XCTAssertEqual(names(life.handle(.store(.committed(upTo: 7, count: 5, microseconds: 10)), now: 3, world: world(8))),
                       ["flushWaiting", "releaseParkedWriters"])
    }

    /// A seal is an entry but not a change: after a snapshot and its seal, no tick makes another
    /// snapshot due, however long it stays quiet (once a JournalVerificationTests sleep).
    func testASealNeverMakesTheNextSnapshotDueWhileNothingChanges() {
        var life = ServerMachine(settings: .init(snapshotEvery: 1000, snapshotIntervalMilliseconds: 200, maxUncommitted: 100_000),
                                 lastSeq: 10, loadedSnapshotSeq: 9, loadedSnapshotCovers: 9, unavailableUntilLoaded: nil, now: 0, maxRequest: 100_000)
        XCTAssertEqual(names(life.handle(.started, now: 0, world: world(10))), ["takeSnapshot"])
        let seal = SnapshotSeal(snapshotSeq: 10, format: "v1", sha256: "aa")
        XCTAssertEqual(names(life.handle(.store(.snapshotWritten(seal: seal, bytes: 1, encodeMicroseconds: 0, storeMicroseconds: 0)), now: 1, world: world(10))),
                       ["log info snapshot written", "journalSeal 10"])
        life.enqueueSeal(entries(11...11)[0], unchangedSince: true)
        XCTAssertEqual(names(life.handle(.turnEnded, now: 2, world: world(11))), ["abandonStaging", "commit 11...11"])
        _ = life.handle(.store(.committed(upTo: 11, count: 1, microseconds: 1)), now: 3, world: world(11))
        for second in 1...600 {
            let actions = names(life.handle(.tick, now: UInt64(second) * 1000, world: world(11)))
            XCTAssertEqual(actions, [], "tick at \(second) s")
            if !actions.isEmpty { break }
        }
        // One change: due again.
        life.enqueue(entries(12...12))
        XCTAssertEqual(names(life.handle(.turnEnded, now: 600_001, world: world(12))), ["abandonStaging", "commit 12...12", "takeSnapshot"])
    }

    /// A follower: the load and what it follows are committed already, so replies waiting on
    /// them go out; it never snapshots, probes or takes writes; a lost database keeps its reads.
    func testAFollowerFollowsWithoutCommittingSnapshottingOrTakingWrites() throws {
        var life = machine(unavailable: "connecting to PostgreSQL")
        _ = life.handle(.store(.role("follower", refusal: "follower: loading the state")), now: 0, world: world(0))
        XCTAssertTrue(life.following)
        XCTAssertEqual(names(life.handle(.tick, now: 5_000, world: world(0))), [], "no probe: the backend reconnects by itself")
        let loaded = life.handle(.store(.recovered(try state(at: 5), writable: false, snapshotSeq: 0, snapshotCovers: 0, hash: "h5")),
                                 now: 1, world: world(0))
        XCTAssertEqual(names(loaded), ["resetState 5", "flushWaiting"])
        _ = life.handle(.store(.role("follower", refusal: nil)), now: 1, world: world(5))
        XCTAssertTrue(life.isAvailable)
        XCTAssertEqual(life.committedSeq, 5)
        XCTAssertEqual(life.headHash, "h5")
        XCTAssertEqual(life.writesRefused?.hasPrefix("this reliefd is a follower"), true)
        XCTAssertEqual(life.admitWrite(), .refuse(life.writesRefused!))

        // Entries followed (the server applied them: world.lastSeq) are committed; replies flush.
        XCTAssertEqual(names(life.handle(.store(.followed(entries(6...9), hash: "h9")), now: 2, world: world(9))), ["flushWaiting"])
        XCTAssertEqual(life.committedSeq, 9)
        XCTAssertEqual(try life.replyWait(outcomeWait: 0, lastSeq: 9).get(), 9)
        // Far past snapshot_every and its interval: a follower never snapshots, nor at shutdown.
        XCTAssertEqual(names(life.handle(.store(.followed(entries(10...5_000), hash: "h")), now: 3, world: world(5_000))), ["flushWaiting"])
        XCTAssertEqual(names(life.handle(.tick, now: 1_000_000, world: world(5_000))), [])
        XCTAssertEqual(names(life.handle(.turnEnded, now: 1_000_001, world: world(5_000))), ["stageMore"])

        // The database lost: reads still wait on nothing uncommitted.
        XCTAssertEqual(names(life.handle(.store(.storeLost("follower: connection lost")), now: 4, world: world(5_000))), [])
        XCTAssertFalse(life.isAvailable)
        XCTAssertEqual(try life.replyWait(outcomeWait: 0, lastSeq: 5_000).get(), 5_000)
        XCTAssertEqual(names(life.handle(.tick, now: 2_000_000, world: world(5_000))), [])
        // Back: what it follows makes it available again.
        XCTAssertEqual(names(life.handle(.store(.followed([], hash: "h")), now: 5, world: world(5_000))), ["flushWaiting"])
        XCTAssertTrue(life.isAvailable)

        let stop = life.handle(.stop(signal: 15), now: 6, world: world(5_000))
        XCTAssertEqual(names(stop), ["log notice shutting down", "stopAccepting", "closeConnectionsWhenFlushed", "stopStore"])
    }
}
