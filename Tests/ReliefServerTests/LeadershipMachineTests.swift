import ReliefCore
@testable import ReliefServer
@testable import ReliefStore
import XCTest

/// PostgreSQL leadership in memory: candidate, standby, leader, losing the lock or the store
/// session, loads of an older epoch, commits only when loaded and in sequence, heartbeats.
final class LeadershipMachineTests: XCTestCase {
    private let up = LeadershipMachine.Links(lock: .ready, lockIdle: true, store: .ready)
    private let lockOnly = LeadershipMachine.Links(lock: .ready, lockIdle: true, store: .disconnected)
    private let down = LeadershipMachine.Links(lock: .failed, lockIdle: true, store: .failed)

    private func names(_ actions: [LeadershipMachine.Action]) -> [String] {
        actions.map { action in
            switch action {
            case .connectLock: "connectLock"
            case .askLock: "askLock"
            case .connectStore: "connectStore"
            case .closeStore: "closeStore"
            case .startLoad(let epoch, let writable): "startLoad \(epoch)\(writable ? "" : " read-only")"
            case .probe: "probe"
            case .commit(let entries, _, let fence): "commit \(entries.first!.seq)...\(entries.last!.seq) fence \(fence ?? 0)"
            case .heartbeat: "heartbeat"
            case .announce(let fence): "announce fence \(fence ?? 0)"
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
        case .recoveryFailed: "recoveryFailed"
        case .storeLost: "storeLost"
        case .committed(let upTo, _, _, _): "committed \(upTo)"
        case .commitFailed(let message): "commitFailed: \(message)"
        case .stopped: "stopped"
        default: "other"
        }
    }

    private func loaded(_ seq: Int64) -> PostgresLoad.Loaded {
        var state = State()
        try! state.apply((1...max(seq, 1)).prefix(Int(seq)).map {
            Entry(seq: $0, time: Timestamp(milliseconds: 0), actor: "t", event: .regionAdded(id: "r\($0)", name: "R", level: .county))
        })
        return PostgresLoad.Loaded(state: state, snapshotSeq: 0, snapshotCovers: 0, lastHash: [7], schemaVersionFound: 5)
    }

    private func entries(_ range: ClosedRange<Int64>) -> [Entry] {
        range.map { Entry(seq: $0, time: Timestamp(milliseconds: 0), actor: "t", event: .minimumSet(warehouse: "w", sku: "s", quantity: $0)) }
    }

    /// A machine leading with the state loaded at `seq`.
    private func leader(at seq: Int64 = 3) -> LeadershipMachine {
        var machine = LeadershipMachine(location: "postgres://test")
        _ = machine.handle(.started, now: 0, links: down)
        _ = machine.handle(.lockConnected, now: 1, links: up)
        _ = machine.handle(.lockAnswered(granted: true, backendPID: 42), now: 2, links: up)
        _ = machine.handle(.loaded(epoch: machine.epoch, loaded(seq)), now: 3, links: up)
        return machine
    }

    func testACandidateTakesTheLockLoadsAndServes() {
        var machine = LeadershipMachine(location: "postgres://test")
        XCTAssertEqual(names(machine.handle(.started, now: 0, links: down)), ["post role candidate refusing", "connectLock"])
        XCTAssertEqual(names(machine.handle(.lockConnected, now: 10, links: lockOnly)), ["askLock"])
        XCTAssertEqual(names(machine.handle(.lockAnswered(granted: true, backendPID: 42), now: 20, links: lockOnly)),
                       ["log notice", "post role leader refusing", "connectStore"], "no state yet: refusing until loaded")
        XCTAssertFalse(machine.canWrite(up), "not loaded")
        XCTAssertEqual(names(machine.handle(.storeConnected, now: 30, links: up)), ["startLoad 2"])
        // Loaded to write: it records its address for followers, fenced on its lock session.
        XCTAssertEqual(names(machine.handle(.loaded(epoch: 2, loaded(5)), now: 40, links: up)),
                       ["log notice", "post role leader", "post recovered 5", "announce fence 42"])
        XCTAssertTrue(machine.canWrite(up))
        XCTAssertEqual(names(machine.handle(.commit(entries(6...7)), now: 50, links: up)), ["commit 6...7 fence 42"])
        XCTAssertEqual(names(machine.handle(.committed(upTo: 7, hash: [9], count: 2, microseconds: 5), now: 51, links: up)), ["post committed 7"])
        XCTAssertEqual(names(machine.handle(.commit(entries(9...9)), now: 52, links: up)),
                       ["post commitFailed: entry seq 9 does not follow the journal's last seq 7"])
    }

    func testAnotherLeaderMakesAStandbyThatAsksAgainEveryHalfSecond() {
        var machine = LeadershipMachine(location: "postgres://test")
        _ = machine.handle(.started, now: 0, links: down)
        XCTAssertEqual(names(machine.handle(.lockAnswered(granted: false, backendPID: 42), now: 100, links: lockOnly)),
                       ["log notice", "post role standby refusing"])
        XCTAssertEqual(machine.phase, .standby)
        XCTAssertEqual(names(machine.handle(.lockAnswered(granted: false, backendPID: 42), now: 200, links: lockOnly)), [], "said once")
        XCTAssertEqual(names(machine.handle(.tick, now: 600, links: lockOnly)), [])
        XCTAssertEqual(names(machine.handle(.tick, now: 700, links: lockOnly)), ["askLock"])
        XCTAssertEqual(names(machine.handle(.tick, now: 700, links: .init(lock: .ready, lockIdle: false, store: .disconnected))), [], "one question at a time")
        XCTAssertEqual(names(machine.handle(.commit(entries(1...1)), now: 800, links: lockOnly)), ["post commitFailed: standby: another reliefd leads this database (it holds the leader lock); this one takes over when it stops"])
    }

    func testLosingTheLockStopsWritingFirstAndReconnectsWithBackoff() {
        var machine = leader()
        let lost = machine.handle(.lockLost("server closed the connection"), now: 1000, links: down)
        XCTAssertEqual(names(lost), ["log error", "closeStore", "post storeLost", "post role candidate"],
                       "the store session closes before anything else; reads go on from the loaded state")
        XCTAssertEqual(machine.phase, .candidate)
        XCTAssertEqual(names(machine.handle(.commit(entries(4...4)), now: 1001, links: down)).first?.hasPrefix("post commitFailed: lost the leader lock"), true)
        XCTAssertEqual(names(machine.handle(.tick, now: 1100, links: down)), [], "before the backoff")
        XCTAssertEqual(names(machine.handle(.tick, now: 1250, links: down)), ["connectLock"])
        _ = machine.handle(.lockLost("refused"), now: 1300, links: down)
        XCTAssertEqual(machine.lockRetryAt, 1300 + 500, "the backoff doubles")
    }

    func testALostStoreSessionReconnectsAndReloadsAndAnOlderLoadIsIgnored() {
        var machine = leader()
        let epoch = machine.epoch
        XCTAssertEqual(names(machine.handle(.storeLost("connection reset"), now: 100, links: lockOnly)), ["log error", "post storeLost"])
        XCTAssertEqual(names(machine.handle(.loaded(epoch: epoch, loaded(3)), now: 101, links: lockOnly)), [], "a load of an older epoch is stale")
        XCTAssertEqual(names(machine.handle(.tick, now: 200, links: lockOnly)), [], "before the backoff")
        XCTAssertEqual(names(machine.handle(.tick, now: 350, links: lockOnly)), ["connectStore"])
        let reload = machine.handle(.storeConnected, now: 400, links: up)
        XCTAssertEqual(names(reload), ["startLoad \(machine.epoch)"])
        XCTAssertEqual(names(machine.handle(.loadFailed(epoch: machine.epoch, message: "journal entry 2 cannot be decoded", transient: false), now: 500, links: up)),
                       ["log error", "post recoveryFailed", "closeStore"])
        XCTAssertEqual(machine.storeRetryAt, 500 + LeadershipMachine.maxBackoff, "damage is retried slowly, and says so each time")
    }

    func testRecoveryReReadsOrProbesOnlyWhenLoadedAndConnected() {
        var machine = leader()
        XCTAssertEqual(names(machine.handle(.recover(probe: true), now: 1, links: up)), ["probe"])
        XCTAssertEqual(names(machine.handle(.probeAnswered(failure: nil), now: 2, links: up)), ["startLoad \(machine.epoch)"])
        XCTAssertEqual(names(machine.handle(.probeAnswered(failure: nil), now: 3, links: up)), [], "one load at a time")
        XCTAssertEqual(names(machine.handle(.loaded(epoch: machine.epoch, loaded(3)), now: 4, links: up)),
                       ["log notice", "post role leader", "post recovered 3", "announce fence 42"])
        XCTAssertEqual(names(machine.handle(.recover(probe: false), now: 5, links: up)), ["startLoad \(machine.epoch) read-only"])
        XCTAssertEqual(names(machine.handle(.loaded(epoch: machine.epoch, loaded(3)), now: 6, links: up)), ["log notice", "post role leader", "post recovered 3 read-only"])
        XCTAssertEqual(names(machine.handle(.recover(probe: true), now: 7, links: lockOnly)), ["post recoveryFailed"], "no store connection")
    }

    func testHeartbeatsOnTheLockSessionOneAtATimeAndStop() {
        var machine = leader()
        XCTAssertEqual(names(machine.handle(.tick, now: 1000, links: up)), [])
        XCTAssertEqual(names(machine.handle(.tick, now: 2002, links: up)), ["heartbeat"])
        XCTAssertEqual(names(machine.handle(.tick, now: 5000, links: up)), [], "the last one has not answered")
        _ = machine.handle(.heartbeatDone, now: 5001, links: up)
        XCTAssertEqual(names(machine.handle(.tick, now: 5002, links: up)), ["heartbeat"], "due since 4002")
        XCTAssertEqual(names(machine.handle(.stop, now: 6000, links: up)), ["shutDown", "post stopped"])
        XCTAssertEqual(names(machine.handle(.tick, now: 9000, links: up)), [])
        XCTAssertEqual(names(machine.handle(.lockLost("closed"), now: 9001, links: down)), [], "stopping: nothing to say")
        XCTAssertEqual(names(machine.handle(.stop, now: 9002, links: down)), [], "stopped once: its handles are closed once")
    }
}
