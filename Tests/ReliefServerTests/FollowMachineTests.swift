import ReliefCore
@testable import ReliefServer
@testable import ReliefStore
import XCTest

/// A follower's hold on its database in memory: loading read only, following a replica by its
/// replay position and a primary by NOTIFY, pages read back to back, losing the database and
/// coming back (caught up from where it was, or loaded again when the journal changed under it).
final class FollowMachineTests: XCTestCase {
    private func names(_ actions: [FollowMachine.Action]) -> [String] {
        actions.map { action in
            switch action {
            case .connect: "connect"
            case .setUp: "setUp"
            case .listen: "listen"
            case .startLoad(let epoch): "startLoad \(epoch)"
            case .check(_, let seq): "check \(seq)"
            case .poll: "poll"
            case .fetch(_, let after): "fetch after \(after.seq)"
            case .close: "close"
            case .shutDown: "shutDown"
            case .post(let result): "post " + Self.summary(result)
            case .log(let line): "log \(line.level)"
            }
        }
    }

    private static func summary(_ result: StoreWorker.Result) -> String {
        switch result {
        case .role(let role, let refusal): "role \(role)\(refusal == nil ? "" : " refusing")"
        case .recovered(let state, let writable, _, _, _): "recovered \(state.lastSeq)\(writable ? "" : " read-only")"
        case .followed(let entries, let hash): "followed \(entries.first?.seq ?? 0)...\(entries.last?.seq ?? 0) hash \(hash)"
        case .storeLost: "storeLost"
        case .stopped: "stopped"
        default: "other"
        }
    }

    private func loaded(_ seq: Int64, hash: String = "h3") -> PostgresLoad.Loaded {
        var state = State()
        try! state.apply((1...max(seq, 1)).prefix(Int(seq)).map {
            Entry(seq: $0, time: Timestamp(milliseconds: 0), actor: "t", event: .regionAdded(id: "r\($0)", name: "R", level: .county))
        })
        return PostgresLoad.Loaded(state: state, snapshotSeq: 0, snapshotCovers: 0, lastHash: Array(hash.utf8), schemaVersionFound: 5)
    }

    private func entries(_ range: ClosedRange<Int64>, at time: Int64 = 1_000) -> [Entry] {
        range.map { Entry(seq: $0, time: Timestamp(milliseconds: time), actor: "t", event: .minimumSet(warehouse: "w", sku: "s", quantity: $0)) }
    }

    /// The epoch of the fetch in `actions` (the only one).
    private func fetchEpoch(_ actions: [FollowMachine.Action]) -> Int {
        for case .fetch(let epoch, _) in actions { return epoch }
        XCTFail("no fetch in \(names(actions))")
        return -1
    }

    /// A follower loaded at seq 3 and following; `replica`: on a hot standby (polled), else a
    /// primary (listened to). Returns it with the epoch of the fetch out after the load.
    private func following(replica: Bool, pollEvery: UInt64 = 20) -> (FollowMachine, Int) {
        var machine = FollowMachine(location: "postgres://test", pollEvery: pollEvery)
        XCTAssertEqual(names(machine.handle(.started, now: 0)), ["post role follower refusing", "connect"])
        XCTAssertEqual(names(machine.handle(.connected, now: 1)), ["setUp"])
        XCTAssertEqual(names(machine.handle(.sessionReady(inRecovery: replica), now: 2)), (replica ? [] : ["listen"]) + ["startLoad 1"])
        let actions = machine.handle(.loaded(epoch: 1, loaded(3)), now: 3)
        XCTAssertEqual(names(actions), ["log notice", "post recovered 3 read-only", "post role follower", "fetch after 3"])
        return (machine, fetchEpoch(actions))
    }

    func testOnAReplicaANewReplayPositionReadsTheJournalAndAnUnchangedOneDoesNot() {
        var (machine, epoch) = following(replica: true)
        // The catch-up page after the load: two entries, not a full page.
        let page = machine.handle(.fetched(epoch: epoch, entries: entries(4...5), position: ChainPosition(seq: 5, hash: Array("h5".utf8)),
                                           full: false, wallMilliseconds: 1_250), now: 4)
        XCTAssertEqual(names(page), ["post followed 4...5 hash h5"])
        XCTAssertEqual(machine.position.seq, 5)
        XCTAssertEqual(machine.lagMilliseconds, 250, "written at 1,000, visible at 1,250")
        // Polled every 20 ms of loop time.
        XCTAssertEqual(names(machine.handle(.tick, now: 10)), ["poll"])
        XCTAssertEqual(names(machine.handle(.tick, now: 15)), [], "a poll is out")
        XCTAssertEqual(names(machine.handle(.polled(position: "0/3000000", inRecovery: true), now: 16)), ["fetch after 5"])
        XCTAssertEqual(names(machine.handle(.fetched(epoch: epoch, entries: [], position: machine.position, full: false, wallMilliseconds: 0),
                                            now: 17)), [])
        XCTAssertEqual(names(machine.handle(.tick, now: 25)), [], "not yet 20 ms since the last poll")
        XCTAssertEqual(names(machine.handle(.tick, now: 30)), ["poll"])
        XCTAssertEqual(names(machine.handle(.polled(position: "0/3000000", inRecovery: true), now: 31)), [], "nothing replayed since")
        XCTAssertEqual(names(machine.handle(.tick, now: 50)), ["poll"])
        XCTAssertEqual(names(machine.handle(.polled(position: "0/3000100", inRecovery: true), now: 51)), ["fetch after 5"])
    }

    func testAFullPageIsFollowedAtOnceByTheNext() {
        var (machine, epoch) = following(replica: true)
        let first = machine.handle(.fetched(epoch: epoch, entries: entries(4...1003), position: ChainPosition(seq: 1003, hash: Array("a".utf8)),
                                            full: true, wallMilliseconds: 0), now: 4)
        XCTAssertEqual(names(first), ["post followed 4...1003 hash a", "fetch after 1003"])
        let second = machine.handle(.fetched(epoch: epoch, entries: entries(1004...1010), position: ChainPosition(seq: 1010, hash: Array("b".utf8)),
                                             full: false, wallMilliseconds: 0), now: 5)
        XCTAssertEqual(names(second), ["post followed 1004...1010 hash b"])
    }

    func testOnAPrimaryNotificationsReadTheJournalAndOneThatComesWhileAPageIsOutReadsAgainAfterIt() {
        var (machine, epoch) = following(replica: false)
        // A notification while the catch-up page is out: read again once it is in.
        XCTAssertEqual(names(machine.handle(.notified(seq: 9), now: 4)), [])
        XCTAssertEqual(machine.knownSeq, 9)
        let page = machine.handle(.fetched(epoch: epoch, entries: entries(4...8), position: ChainPosition(seq: 8, hash: Array("h8".utf8)),
                                           full: false, wallMilliseconds: 0), now: 5)
        XCTAssertEqual(names(page), ["post followed 4...8 hash h8", "fetch after 8"])
        XCTAssertEqual(names(machine.handle(.fetched(epoch: epoch, entries: entries(9...9), position: ChainPosition(seq: 9, hash: Array("h9".utf8)),
                                                     full: false, wallMilliseconds: 0), now: 6)), ["post followed 9...9 hash h9"])
        XCTAssertEqual(names(machine.handle(.notified(seq: 10), now: 7)), ["fetch after 9"])
        // No polls on a primary; a read a second after the last, for writers that do not notify.
        _ = machine.handle(.fetched(epoch: epoch, entries: [], position: machine.position, full: false, wallMilliseconds: 0), now: 8)
        XCTAssertEqual(names(machine.handle(.tick, now: 500)), [])
        XCTAssertEqual(names(machine.handle(.tick, now: 1_008)), ["fetch after 9"])
    }

    func testAPromotedReplicaIsListenedTo() {
        var (machine, epoch) = following(replica: true)
        _ = machine.handle(.fetched(epoch: epoch, entries: [], position: machine.position, full: false, wallMilliseconds: 0), now: 4)
        XCTAssertEqual(names(machine.handle(.tick, now: 30)), ["poll"])
        XCTAssertEqual(names(machine.handle(.polled(position: "0/5000000", inRecovery: false), now: 31)), ["log notice", "listen", "fetch after 3"])
        XCTAssertFalse(machine.onReplica)
    }

    func testLosingTheDatabaseKeepsTheStateAndComingBackCatchesUpFromTheSameEntry() {
        var (machine, epoch) = following(replica: true)
        _ = machine.handle(.fetched(epoch: epoch, entries: entries(4...6), position: ChainPosition(seq: 6, hash: Array("h6".utf8)),
                                    full: false, wallMilliseconds: 0), now: 4)
        XCTAssertEqual(names(machine.handle(.lost("server closed the connection"), now: 100)), ["log error", "post storeLost"])
        XCTAssertTrue(machine.hasState)
        XCTAssertEqual(machine.lastHeard, 4, "stale since the last answer")
        // A page that comes back from before the loss is dropped.
        XCTAssertEqual(names(machine.handle(.fetched(epoch: epoch, entries: entries(7...7), position: ChainPosition(seq: 7, hash: [1]),
                                                     full: false, wallMilliseconds: 0), now: 101)), [])
        XCTAssertEqual(machine.position.seq, 6)
        // Reconnects with backoff: 250 ms, then 500 after a failed attempt.
        XCTAssertEqual(names(machine.handle(.tick, now: 300)), [])
        XCTAssertEqual(names(machine.handle(.tick, now: 350)), ["connect"])
        XCTAssertEqual(names(machine.handle(.lost("connection refused"), now: 351)), [])
        XCTAssertEqual(names(machine.handle(.tick, now: 700)), [])
        XCTAssertEqual(names(machine.handle(.tick, now: 851)), ["connect"])
        XCTAssertEqual(names(machine.handle(.connected, now: 852)), ["setUp"])
        // Back with a state: the journal must still hold entry 6 with its hash; then it catches up.
        XCTAssertEqual(names(machine.handle(.sessionReady(inRecovery: true), now: 853)), ["check 6"])
        let back = machine.handle(.checked(epoch: machine.epoch, hash: "h6"), now: 854)
        XCTAssertEqual(names(back), ["log notice", "post followed 0...0 hash h6", "fetch after 6"])
    }

    func testAJournalThatNoLongerHoldsTheFollowersLastEntryIsLoadedAgain() {
        var (machine, epoch) = following(replica: true)
        _ = machine.handle(.fetched(epoch: epoch, entries: entries(4...6), position: ChainPosition(seq: 6, hash: Array("h6".utf8)),
                                    full: false, wallMilliseconds: 0), now: 4)
        _ = machine.handle(.lost("gone"), now: 5)
        _ = machine.handle(.tick, now: 500)
        _ = machine.handle(.connected, now: 501)
        _ = machine.handle(.sessionReady(inRecovery: true), now: 502)
        // A database restored from an older backup: entry 6 is another, or missing.
        let reload = machine.handle(.checked(epoch: machine.epoch, hash: "other"), now: 503)
        XCTAssertEqual(names(reload), ["log warning", "startLoad \(machine.epoch)"])
        let again = machine.handle(.loaded(epoch: machine.epoch, loaded(2, hash: "h2")), now: 504)
        XCTAssertEqual(names(again), ["log notice", "post recovered 2 read-only", "post role follower", "fetch after 2"])
    }

    func testAPageThatBreaksTheChainOrThatTheStateRefusesLoadsTheStateAgain() {
        var (machine, epoch) = following(replica: true)
        let broken = machine.handle(.fetchFailed(epoch: epoch, "journal entry seq 4 fails the hash chain"), now: 4)
        XCTAssertEqual(names(broken), ["log error", "startLoad \(machine.epoch)"])
        _ = machine.handle(.loaded(epoch: machine.epoch, loaded(5)), now: 5)
        XCTAssertEqual(names(machine.handle(.reload("refused"), now: 6)), ["log error", "startLoad \(machine.epoch)"])
    }

    func testWithoutAStateEveryRequestButPingInfoAndHelpIsRefusedUntilALoadSucceeds() {
        var machine = FollowMachine(location: "postgres://test", pollEvery: 20)
        _ = machine.handle(.started, now: 0)
        _ = machine.handle(.connected, now: 1)
        _ = machine.handle(.sessionReady(inRecovery: true), now: 2)
        let failed = machine.handle(.loadFailed(epoch: 1, message: "database holds no reliefd journal yet", transient: true), now: 3)
        XCTAssertEqual(names(failed), ["log error", "close", "post role follower refusing"])
        XCTAssertEqual(names(machine.handle(.lost("no database"), now: 4)), [], "not connected: nothing more to say")
        XCTAssertEqual(names(machine.handle(.tick, now: 2_000)), ["connect"])
    }

    func testStopShutsDownOnce() {
        var (machine, _) = following(replica: true)
        XCTAssertEqual(names(machine.handle(.stop, now: 10)), ["shutDown", "post stopped"])
        XCTAssertEqual(names(machine.handle(.stop, now: 11)), [])
        XCTAssertEqual(names(machine.handle(.tick, now: 12)), [])
    }
}
