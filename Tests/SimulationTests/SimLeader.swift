import ReliefCore
@testable import ReliefServer
@testable import ReliefStore

/// One reliefd's PostgreSQL backend in the simulation: the real LeadershipMachine, glued as
/// PostgresBackend glues it, with its two sessions (the leader lock and the store) and the
/// statements on them played against SimDisk, which stands for the database — the journal, its
/// chain head, and the session-level leader lock that ends with the session holding it.
///
/// Every statement takes a simulated while (`ops`, done in order by `finishDue`); a session can
/// drop at any moment (the database unreachable, the daemon killed), or die at the database while
/// the daemon does not know yet (found out by its next statement, as a heartbeat would). A commit
/// is fenced on the lock session and must name the chain's head, as PostgresCommitBuilder's are, so
/// a leader that lost the lock, or its place in the chain, writes nothing.
struct SimLeader {
    private(set) var machine = LeadershipMachine(location: "sim")
    private(set) var lock: PGConnection.Phase = .disconnected
    private(set) var store: PGConnection.Phase = .disconnected
    private var lockBusy = false
    /// The lock session's backend pid (a new one for each connection).
    private(set) var pid: Int32 = 0
    /// The lock session died at the database; this daemon finds out on its next statement there.
    private var lockDeadAtDatabase = false
    private var ops: [(due: UInt64, op: Op)] = []
    private let pids: () -> Int32

    enum Op {
        case lockConnected, storeConnected, askLock, load(epoch: Int), probe, heartbeat
        case commit([Entry], hash: [UInt8], fence: Int32?, fate: SimDisk.Fate)
    }

    init(pids: @escaping () -> Int32) {
        self.pids = pids
    }

    var links: LeadershipMachine.Links {
        LeadershipMachine.Links(lock: lock, lockIdle: !lockBusy, store: store)
    }

    /// Leading with the state loaded (what canWrite says), and holding the lock at the database.
    func leads(_ disk: SimDisk) -> Bool {
        machine.canWrite(links) && disk.lockOwner == pid && !lockDeadAtDatabase
    }

    var isIdle: Bool { ops.isEmpty }

    /// Hands `event` to the machine and performs what it decides; the results for the server, in order.
    mutating func handle(_ event: LeadershipMachine.Event, now: UInt64, disk: inout SimDisk, random: inout SplitMix64) -> [StoreWorker.Result] {
        var results: [StoreWorker.Result] = []
        for action in machine.handle(event, now: now, links: links) {
            switch action {
            case .connectLock:
                guard lock != .connecting, lock != .ready else { break }
                lock = .connecting
                schedule(.lockConnected, now: now, &random)
            case .askLock:
                lockBusy = true
                schedule(.askLock, now: now, &random)
            case .connectStore:
                guard store != .connecting, store != .ready else { break }
                store = .connecting
                schedule(.storeConnected, now: now, &random)
            case .closeStore(let reason):
                results += closeStore(reason, now: now, disk: &disk, random: &random)
            case .startLoad(let epoch, _):
                schedule(.load(epoch: epoch), now: now, &random)
            case .probe:
                schedule(.probe, now: now, &random)
            case .commit(let entries, let hash, let fence):
                let fate: SimDisk.Fate = random.int(0...999) < 20 ? .fail : random.int(0...999) < 15 ? .torn : .normal
                schedule(.commit(entries, hash: hash, fence: fence, fate: fate), now: now, &random)
            case .heartbeat:
                lockBusy = true
                schedule(.heartbeat, now: now, &random)
            case .announce:
                break // the leader's address for followers: no follower in the simulation
            case .shutDown:
                results += closeStore("reliefd is shutting down", now: now, disk: &disk, random: &random)
                endLockSession(&disk)
            case .post(let result):
                results.append(result)
            case .log:
                break
            }
        }
        return results
    }

    private mutating func schedule(_ op: Op, now: UInt64, _ random: inout SplitMix64) {
        // One connection answers in order; the two sessions are independent, but one queue is a
        // harmless simplification: nothing here depends on one overtaking the other.
        ops.append((max(now + UInt64(random.int(1...(random.int(0...9) == 0 ? 300 : 15))), ops.last?.due ?? 0), op))
    }

    /// The store session closes (asked, or lost): every statement on it fails first, as PGConnection
    /// reports them; a commit on it is in doubt — it may have landed.
    private mutating func closeStore(_ reason: String, now: UInt64, disk: inout SimDisk, random: inout SplitMix64) -> [StoreWorker.Result] {
        store = .disconnected
        var results: [StoreWorker.Result] = []
        var kept: [(due: UInt64, op: Op)] = []
        for pending in ops {
            switch pending.op {
            case .commit(let entries, let hash, let fence, _):
                if random.int(0...1) == 0 { _ = land(entries, hash: hash, fence: fence, disk: &disk) }
                results += machine.handle(.commitFailed("connection closed (\(reason)); the commit is in doubt"), now: now, links: links).posts
            case .probe:
                // PGConnection fails every job on a closing connection before it reports the loss:
                // the probe is answered (the server's re-read ends, its held replies go out).
                results += machine.handle(.probeAnswered(failure: "connection closed (\(reason))"), now: now, links: links).posts
            case .load(let epoch):
                results += machine.handle(.loadFailed(epoch: epoch, message: "connection closed (\(reason))", transient: true),
                                          now: now, links: links).posts
            case .storeConnected:
                break
            default:
                kept.append(pending)
            }
        }
        ops = kept
        return results
    }

    /// The lock session ends: PostgreSQL releases its session lock.
    private mutating func endLockSession(_ disk: inout SimDisk) {
        if disk.lockOwner == pid { disk.lockOwner = nil }
        lock = .disconnected
        lockBusy = false
        lockDeadAtDatabase = false
        ops.removeAll { if case .askLock = $0.op { true } else if case .heartbeat = $0.op { true } else if case .lockConnected = $0.op { true } else { false } }
    }

    /// A commit as the database runs it: fenced on the lock session, chained on the head.
    private func land(_ entries: [Entry], hash: [UInt8], fence: Int32?, disk: inout SimDisk) -> String? {
        if disk.lockOwner == nil || fence != disk.lockOwner { return "fenced: this session does not hold the leader lock" }
        guard hash == disk.headHash, entries.first?.seq == disk.lastSeq + 1 else {
            return "the journal's head is not where this leader left it"
        }
        disk.append(entries)
        return nil
    }

    /// The database became unreachable for this daemon: both sessions drop (and the lock with the first).
    mutating func connectionsLost(_ message: String, now: UInt64, disk: inout SimDisk, random: inout SplitMix64) -> [StoreWorker.Result] {
        var results: [StoreWorker.Result] = []
        if store == .ready || store == .connecting {
            results += closeStore(message, now: now, disk: &disk, random: &random)
            results += handle(.storeLost(message), now: now, disk: &disk, random: &random)
        }
        if lock == .ready || lock == .connecting {
            endLockSession(&disk)
            lock = .failed
            results += handle(.lockLost(message), now: now, disk: &disk, random: &random)
        }
        return results
    }

    /// The lock session dies at the database (a network cut, an administrator's
    /// pg_terminate_backend): the lock is free at once, and this daemon finds out later.
    mutating func lockKilledAtDatabase(_ disk: inout SimDisk) {
        guard lock == .ready, !lockDeadAtDatabase else { return }
        if disk.lockOwner == pid { disk.lockOwner = nil }
        lockDeadAtDatabase = true
    }

    /// The daemon was killed: its sessions end; a commit it had out may have landed.
    mutating func killed(disk: inout SimDisk, random: inout SplitMix64) {
        for pending in ops {
            if case .commit(let entries, let hash, let fence, _) = pending.op, random.int(0...1) == 0 {
                _ = land(entries, hash: hash, fence: fence, disk: &disk)
            }
        }
        ops.removeAll()
        if disk.lockOwner == pid { disk.lockOwner = nil }
    }

    /// Statements whose time has come, done in order: the results for the server.
    mutating func finishDue(now: UInt64, disk: inout SimDisk, random: inout SplitMix64) -> [StoreWorker.Result] {
        var results: [StoreWorker.Result] = []
        while let first = ops.first, first.due <= now {
            ops.removeFirst()
            let down = now < disk.downUntil
            switch first.op {
            case .lockConnected, .storeConnected:
                // PostgresBackend: a connection that cannot be made is lost, like one that drops.
                let isLock = if case .lockConnected = first.op { true } else { false }
                guard (isLock ? lock : store) == .connecting else { break }
                let phase: PGConnection.Phase = down ? .failed : .ready
                if isLock { lock = phase } else { store = phase }
                if isLock, !down { pid = pids() }
                let refused = "could not connect: simulated database unreachable"
                let event: LeadershipMachine.Event = down ? (isLock ? .lockLost(refused) : .storeLost(refused))
                                                          : (isLock ? .lockConnected : .storeConnected)
                results += handle(event, now: now, disk: &disk, random: &random)
            case .askLock, .heartbeat:
                lockBusy = false
                guard lock == .ready else { break }
                if lockDeadAtDatabase || down {
                    endLockSession(&disk)
                    lock = .failed
                    results += handle(.lockLost("server closed the connection unexpectedly"), now: now, disk: &disk, random: &random)
                } else if case .askLock = first.op {
                    let granted = disk.lockOwner == nil || disk.lockOwner == pid
                    if granted { disk.lockOwner = pid }
                    results += handle(.lockAnswered(granted: granted, backendPID: pid), now: now, disk: &disk, random: &random)
                } else {
                    results += handle(.heartbeatDone, now: now, disk: &disk, random: &random)
                }
            case .load(let epoch):
                guard store == .ready else { break }
                if down {
                    results += handle(.loadFailed(epoch: epoch, message: "simulated database unreachable", transient: true), now: now, disk: &disk, random: &random)
                } else {
                    let state: State
                    do { state = try disk.rebuild() } catch { fatalError("the simulated database does not replay: \(error)") }
                    let loaded = PostgresLoad.Loaded(state: state, snapshotSeq: 0, snapshotCovers: 0, lastHash: disk.headHash,
                                                     schemaVersionFound: 0)
                    results += handle(.loaded(epoch: epoch, loaded), now: now, disk: &disk, random: &random)
                }
            case .probe:
                guard store == .ready else { break }
                results += handle(.probeAnswered(failure: down ? "simulated database unreachable" : nil), now: now, disk: &disk, random: &random)
            case .commit(let entries, let hash, let fence, let fate):
                guard store == .ready else { break }
                if down || fate == .fail {
                    results += handle(.commitFailed(down ? "simulated database unreachable" : "simulated I/O error"), now: now, disk: &disk, random: &random)
                } else if let refused = land(entries, hash: hash, fence: fence, disk: &disk) {
                    results += handle(.commitFailed(refused), now: now, disk: &disk, random: &random)
                } else if fate == .torn {
                    results += handle(.commitFailed("simulated: connection lost after COMMIT"), now: now, disk: &disk, random: &random)
                } else {
                    results += handle(.committed(upTo: entries.last!.seq, hash: disk.headHash, count: entries.count, microseconds: 100),
                                      now: now, disk: &disk, random: &random)
                }
            }
        }
        return results
    }
}

private extension Array where Element == LeadershipMachine.Action {
    /// The results for the server among these actions (what `handle` would post).
    var posts: [StoreWorker.Result] {
        compactMap { if case .post(let result) = $0 { result } else { nil } }
    }
}
