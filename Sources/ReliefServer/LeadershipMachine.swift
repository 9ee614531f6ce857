import ReliefCore
import ReliefStore

/// Leadership of a PostgreSQL store as a value-type state machine, apart from libpq and libuv:
/// whether this reliefd is a candidate, a standby or the leader, what its store session holds,
/// when it retries, and what it tells the server. `PostgresBackend` feeds it what its two
/// connections report (with the loop's `now` and the connections' phases) and performs the actions.
///
/// A leader's store session is connecting, loading (for one epoch: results of an older load are
/// stale) or loaded with the journal's last seq and hash; a commit goes out only when loaded. The
/// epoch is bumped whenever leadership or the session changes.
struct LeadershipMachine {
    enum Phase: Equatable {
        /// No lock: connecting to PostgreSQL or asking for the lock.
        case candidate
        /// Another session holds the lock: asked again every `standbyPoll` ms.
        case standby
        case leading(Leading)
        case stopped
    }

    struct Leading: Equatable {
        /// The lock session's backend pid: every commit is fenced on it.
        var fencePID: Int32?
        var session: Session
        var heartbeat: Heartbeat
    }

    enum Session: Equatable {
        /// No store connection ready yet (or it was lost): connected again after `storeRetryAt`.
        case connecting
        case loading(epoch: Int, writable: Bool)
        /// The state is loaded: commits follow this seq and hash.
        case loaded(lastSeq: Int64, lastHash: [UInt8])
    }

    enum Heartbeat: Equatable {
        case idle(last: UInt64)
        case inFlight(since: UInt64)
    }

    /// What the machine reads of the two connections when an event comes.
    struct Links: Equatable {
        var lock: PGConnection.Phase
        var lockIdle: Bool
        var store: PGConnection.Phase
    }

    enum Event {
        case started
        case lockConnected
        case lockAnswered(granted: Bool, backendPID: Int32?)
        case lockAskFailed(String)
        case lockLost(String)
        case storeConnected
        case storeLost(String)
        case loaded(epoch: Int, PostgresLoad.Loaded)
        case loadFailed(epoch: Int, message: String, transient: Bool)
        /// The server asks to re-read (probe: first see that the store answers).
        case recover(probe: Bool)
        case probeAnswered(failure: String?)
        /// The server hands over a batch; `committed` reports how it ended.
        case commit([Entry])
        case committed(upTo: Int64, hash: [UInt8], count: Int, microseconds: Int64)
        case commitFailed(String)
        case heartbeatDone
        case tick
        case stop
    }

    enum Action {
        case connectLock
        case askLock
        case connectStore
        /// Close the store connection first (a commit in flight fails, in doubt) with this reason.
        case closeStore(String)
        case startLoad(epoch: Int, writable: Bool)
        case probe
        /// Send this batch, chained on `hash`, fenced on `fence`.
        case commit([Entry], hash: [UInt8], fence: Int32?)
        case heartbeat
        /// Record in the database where followers send writes (fenced on the lock session).
        case announce(fence: Int32?)
        /// Close both connections, the polls and the timer.
        case shutDown
        /// A result for the server.
        case post(StoreWorker.Result)
        case log(ServerMachine.Log)
    }

    let location: String
    /// Retry timing, milliseconds of loop time.
    static let firstBackoff: UInt64 = 250
    static let maxBackoff: UInt64 = 2_000
    static let standbyPoll: UInt64 = 500
    static let heartbeatEvery: UInt64 = 2_000

    private(set) var phase: Phase = .candidate
    private(set) var epoch = 0
    /// A state was loaded once: reads can be served from it while the store is away.
    private(set) var hasState = false
    private(set) var problem = "connecting to PostgreSQL"
    private(set) var lockRetryAt: UInt64 = 0
    private(set) var storeRetryAt: UInt64 = 0
    private(set) var backoff = LeadershipMachine.firstBackoff

    init(location: String) { self.location = location }

    /// Leading with the state loaded: commits and snapshots may go to the store.
    func canWrite(_ links: Links) -> Bool {
        guard case .leading(let leading) = phase, case .loaded = leading.session else { return false }
        return links.store == .ready
    }

    private var leading: Leading? {
        if case .leading(let leading) = phase { return leading }
        return nil
    }

    private var refusal: String { problem.isEmpty ? "not connected to PostgreSQL" : problem }

    private mutating func growBackoff() { backoff = min(backoff * 2, LeadershipMachine.maxBackoff) }

    private func log(_ level: ServerMachine.Log.Level, _ message: String, _ metadata: [String: String] = [:]) -> Action {
        .log(ServerMachine.Log(level: level, message: message, metadata: ["store": location].merging(metadata) { $1 }))
    }

    mutating func handle(_ event: Event, now: UInt64, links: Links) -> [Action] {
        switch event {
        case .started:
            return [.post(.role("candidate", refusal: "reliefd is starting: connecting to PostgreSQL \(location) and loading the state; try again shortly")),
                    .connectLock]

        case .lockConnected:
            backoff = LeadershipMachine.firstBackoff
            return askLockIfDue(links)

        case .lockAnswered(let granted, let pid):
            guard phase == .candidate || phase == .standby else { return [] }
            if granted {
                epoch += 1
                let loading = links.store == .ready
                phase = .leading(Leading(fencePID: pid, session: loading ? .loading(epoch: epoch, writable: true) : .connecting,
                                         heartbeat: .idle(last: now)))
                return [log(.notice, "leader lock taken; loading the state", ["lock_session": "\(pid ?? 0)"]),
                        .post(.role("leader", refusal: hasState ? nil : "reliefd is loading the state from PostgreSQL; try again shortly")),
                        loading ? .startLoad(epoch: epoch, writable: true) : .connectStore]
            }
            lockRetryAt = now + LeadershipMachine.standbyPoll
            guard phase != .standby else { return [] }
            phase = .standby
            problem = "standby: another reliefd leads this database (it holds the leader lock); this one takes over when it stops"
            return [log(.notice, "standby: another reliefd holds the leader lock; waiting for it"),
                    .post(.role("standby", refusal: problem + "; nothing was changed"))]

        case .lockAskFailed(let message):
            lockRetryAt = now + backoff
            return [log(.warning, "asking for the leader lock failed", ["error": message])]

        case .lockLost(let message):
            lockRetryAt = now + backoff
            growBackoff()
            guard leading != nil else {
                return phase == .stopped ? [] : [log(.warning, "PostgreSQL unreachable; retrying", ["error": message])]
            }
            // The lock is gone with its connection: stop writing before anything else.
            phase = .candidate
            epoch += 1
            problem = "lost the leader lock (\(message)); writes stop until this reliefd leads again"
            return [log(.error, "leader lock lost; writes stopped", ["error": message]),
                    .closeStore(problem),
                    .post(.storeLost(problem)),
                    .post(.role("candidate", refusal: hasState ? nil : problem))]

        case .storeConnected:
            guard var leading else { return [.closeStore("not leading")] }
            guard leading.session == .connecting else { return [] }
            epoch += 1
            leading.session = .loading(epoch: epoch, writable: true)
            phase = .leading(leading)
            return [.startLoad(epoch: epoch, writable: true)]

        case .storeLost(let message):
            storeRetryAt = now + backoff
            growBackoff()
            guard var leading else { return [] }
            epoch += 1
            leading.session = .connecting
            phase = .leading(leading)
            problem = "PostgreSQL connection lost (\(message)); reconnecting"
            return [log(.error, "PostgreSQL connection lost; refusing writes and reconnecting", ["error": message]),
                    .post(.storeLost(problem))]

        case .loaded(let loadEpoch, let loaded):
            guard var leading, case .loading(loadEpoch, let writable) = leading.session, loadEpoch == epoch else { return [] }
            leading.session = .loaded(lastSeq: loaded.state.lastSeq, lastHash: loaded.lastHash)
            phase = .leading(leading)
            hasState = true
            backoff = LeadershipMachine.firstBackoff
            problem = ""
            return [log(.notice, "serving as leader", ["seq": "\(loaded.state.lastSeq)"]),
                    .post(.role("leader", refusal: nil)),
                    .post(.recovered(loaded.state, writable: writable, snapshotSeq: loaded.snapshotSeq, snapshotCovers: loaded.snapshotCovers,
                                     hash: String(decoding: loaded.lastHash, as: UTF8.self)))] + (writable ? [.announce(fence: leading.fencePID)] : [])

        case .loadFailed(let loadEpoch, let message, let transient):
            guard var leading, case .loading(loadEpoch, _) = leading.session, loadEpoch == epoch else { return [] }
            leading.session = .connecting
            phase = .leading(leading)
            problem = message
            // Again later on a fresh connection: a transient error may clear; damage will not, and says so each time.
            storeRetryAt = now + (transient ? backoff : LeadershipMachine.maxBackoff)
            growBackoff()
            return [log(.error, "loading the state from PostgreSQL failed", ["error": message]),
                    .post(.recoveryFailed(message)),
                    .closeStore(message)]

        case .recover(let probe):
            guard var leading, case .loaded = leading.session, links.store == .ready else { return [.post(.recoveryFailed(refusal))] }
            guard probe else {
                epoch += 1
                leading.session = .loading(epoch: epoch, writable: false)
                phase = .leading(leading)
                return [.startLoad(epoch: epoch, writable: false)]
            }
            return [.probe]

        case .probeAnswered(let failure):
            if let failure { return [.post(.recoveryFailed(failure))] }
            guard var leading, links.store == .ready else { return [.post(.recoveryFailed(refusal))] }
            if case .loading = leading.session { return [] }
            epoch += 1
            leading.session = .loading(epoch: epoch, writable: true)
            phase = .leading(leading)
            return [.startLoad(epoch: epoch, writable: true)]

        case .commit(let entries):
            guard let leading, case .loaded(let lastSeq, let lastHash) = leading.session, links.store == .ready,
                  let first = entries.first else {
                return [.post(.commitFailed(refusal))]
            }
            guard first.seq == lastSeq + 1 else {
                return [.post(.commitFailed("entry seq \(first.seq) does not follow the journal's last seq \(lastSeq)"))]
            }
            return [.commit(entries, hash: lastHash, fence: leading.fencePID)]

        case .committed(let upTo, let hash, let count, let micros):
            if var leading, case .loaded = leading.session {
                leading.session = .loaded(lastSeq: upTo, lastHash: hash)
                phase = .leading(leading)
            }
            return [.post(.committed(upTo: upTo, count: count, microseconds: micros, hash: String(decoding: hash, as: UTF8.self)))]

        case .commitFailed(let message):
            return [.post(.commitFailed(message))]

        case .heartbeatDone:
            if var leading, case .inFlight(let since) = leading.heartbeat {
                leading.heartbeat = .idle(last: since)
                phase = .leading(leading)
            }
            return []

        case .tick:
            switch phase {
            case .stopped:
                return []
            case .candidate, .standby:
                if links.lock == .ready { return now >= lockRetryAt ? askLockIfDue(links) : [] }
                return links.lock != .connecting && now >= lockRetryAt ? [.connectLock] : []
            case .leading(var leading):
                var actions: [Action] = []
                if links.store != .ready && links.store != .connecting && now >= storeRetryAt { actions.append(.connectStore) }
                // A heartbeat on the lock session, so a connection that died silently is noticed.
                if case .idle(let last) = leading.heartbeat, now &- last >= LeadershipMachine.heartbeatEvery, links.lockIdle {
                    leading.heartbeat = .inFlight(since: now)
                    phase = .leading(leading)
                    actions.append(.heartbeat)
                }
                return actions
            }

        case .stop:
            // Once: the sessions and the timer are closed by the first (closing a handle twice is fatal).
            if case .stopped = phase { return [] }
            phase = .stopped
            epoch += 1
            return [.shutDown, .post(.stopped)]
        }
    }

    private func askLockIfDue(_ links: Links) -> [Action] {
        guard phase == .candidate || phase == .standby, links.lock == .ready, links.lockIdle else { return [] }
        return [.askLock]
    }
}
