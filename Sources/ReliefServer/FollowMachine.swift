import ReliefCore
import ReliefStore

/// A follower's hold on its PostgreSQL database as a value-type state machine, apart from libpq
/// and libuv: connect, load the state (read only), then keep it current by reading the journal
/// as it grows, and what to tell the server. `FollowerBackend` feeds it what its connection
/// reports (with the loop's `now` and the wall clock) and performs the actions.
///
/// Woken on a primary by NOTIFY (`reliefd_events`, sent by the journal's trigger) and, on a
/// hot-standby replica (where LISTEN is refused), by polling the replay position every
/// `pollEvery` ms: a new position means new WAL was replayed, so the journal is read after the
/// follower's seq. A primary is also read every `primaryFallback` ms, for writers that send no
/// notification. A lost database leaves the state as it was (reads go on, `info` says how stale)
/// and the follower reconnects with backoff; back, it checks that the journal still holds its
/// last entry with the same hash, and catches up from there, or loads the state again.
struct FollowMachine {
    enum Phase: Equatable {
        /// No session: connected again at `retryAt`.
        case connecting
        /// The session is being set up (read only; is the server a replica?).
        case settingUp
        /// Loading the whole state (for one epoch).
        case loading(epoch: Int)
        /// Back after a loss, with a state: does the journal still hold our last entry?
        case checking(epoch: Int)
        case following
        case stopped
    }

    enum Event {
        case started
        case connected
        case sessionReady(inRecovery: Bool)
        case lost(String)
        case loaded(epoch: Int, PostgresLoad.Loaded)
        case loadFailed(epoch: Int, message: String, transient: Bool)
        /// The journal's hash at our seq (nil: no such entry).
        case checked(epoch: Int, hash: String?)
        /// The replica's replay position (pg_last_wal_replay_lsn), and whether it still is one
        /// (a promoted replica is a primary: it is listened to from then on).
        case polled(position: String?, inRecovery: Bool)
        /// A NOTIFY on `reliefd_events`: entry `seq` was written.
        case notified(seq: Int64?)
        /// A page read after `after`, checked against the chain and decoded; `full`: the page was
        /// as long as asked, so more may follow at once.
        case fetched(epoch: Int, entries: [Entry], position: ChainPosition, full: Bool, wallMilliseconds: Int64, leader: LeaderRecord? = nil)
        /// The page broke the chain or did not follow our seq: load again.
        case fetchFailed(epoch: Int, String)
        /// The server could not apply what was followed: load again.
        case reload(String)
        case tick
        case stop
    }

    enum Action {
        case connect
        case setUp
        case listen
        case startLoad(epoch: Int)
        case check(epoch: Int, seq: Int64)
        case poll
        case fetch(epoch: Int, after: ChainPosition)
        /// Close the session (a job out on it is dropped) with this reason.
        case close(String)
        case shutDown
        case post(StoreWorker.Result)
        case log(ServerMachine.Log)
    }

    /// Where the leader takes writes, as it recorded it in the database (the `leader` row).
    struct LeaderRecord: Equatable, Sendable {
        var address: String
        var lockPID: Int32
        var since: Int64
    }

    let location: String
    /// Replica position polls, ms of loop time.
    let pollEvery: UInt64
    static let primaryFallback: UInt64 = 1_000
    static let firstBackoff: UInt64 = 250
    static let maxBackoff: UInt64 = 2_000
    /// Journal rows read at once: a bound on what one turn of the loop applies.
    static let page = 1_000

    private(set) var phase: Phase = .connecting
    private(set) var epoch = 0
    /// A state was loaded once: reads are served from it, also while the database is away.
    private(set) var hasState = false
    /// The last entry the server was handed (its seq and hash).
    private(set) var position = ChainPosition(seq: 0, hash: [])
    private(set) var onReplica = false
    private(set) var problem = ""
    /// The newest seq known to exist (NOTIFY payloads, pages read).
    private(set) var knownSeq: Int64 = 0
    /// How long after it was written the newest entry applied here became visible (wall clock ms).
    private(set) var lagMilliseconds: Int64 = 0
    /// The leader's record as last read (read with every page of the journal).
    private(set) var leader: LeaderRecord?
    /// Loop time of the database's last answer.
    private(set) var lastHeard: UInt64 = 0
    private(set) var retryAt: UInt64 = 0
    private(set) var backoff = FollowMachine.firstBackoff
    private var fetchOut = false
    private var pollOut = false
    /// News came while a page was out: read again when it is in.
    private var fetchAgain = false
    private var lastPosition: String?
    private var nextPollAt: UInt64 = 0

    init(location: String, pollEvery: UInt64) {
        self.location = location
        self.pollEvery = max(pollEvery, 1)
    }

    private func log(_ level: ServerMachine.Log.Level, _ message: String, _ metadata: [String: String] = [:]) -> Action {
        .log(ServerMachine.Log(level: level, message: message, metadata: ["store": location].merging(metadata) { $1 }))
    }

    private mutating func growBackoff() { backoff = min(backoff * 2, FollowMachine.maxBackoff) }

    /// What `info` says of the refusal while there is no state to serve.
    private var loadingRefusal: String {
        "follower: loading the state from PostgreSQL \(location)" + (problem.isEmpty ? "" : " (\(problem))") + "; try again shortly"
    }

    mutating func handle(_ event: Event, now: UInt64) -> [Action] {
        if phase == .stopped { return [] }
        switch event {
        case .started:
            return [.post(.role("follower", refusal: loadingRefusal)), .connect]

        case .connected:
            guard phase == .connecting else { return [] }
            phase = .settingUp
            return [.setUp]

        case .sessionReady(let inRecovery):
            guard phase == .settingUp else { return [] }
            onReplica = inRecovery
            lastHeard = now
            epoch += 1
            var actions: [Action] = inRecovery ? [] : [.listen]
            if hasState {
                phase = .checking(epoch: epoch)
                actions.append(.check(epoch: epoch, seq: position.seq))
            } else {
                phase = .loading(epoch: epoch)
                actions.append(.startLoad(epoch: epoch))
            }
            return actions

        case .lost(let message):
            guard phase != .connecting else {
                retryAt = now + backoff
                growBackoff()
                return []
            }
            phase = .connecting
            epoch += 1
            fetchOut = false
            pollOut = false
            retryAt = now + backoff
            growBackoff()
            problem = "PostgreSQL connection lost (\(message)); reconnecting"
            guard hasState else { return [.post(.role("follower", refusal: loadingRefusal))] }
            return [log(.error, "follower lost its database; serving reads from what it has", ["error": message, "seq": "\(position.seq)"]),
                    .post(.storeLost("follower: \(problem); reads are served from seq \(position.seq)"))]

        case .loaded(let loadEpoch, let loaded):
            guard phase == .loading(epoch: loadEpoch) else { return [] }
            phase = .following
            hasState = true
            problem = ""
            backoff = FollowMachine.firstBackoff
            lastHeard = now
            position = ChainPosition(seq: loaded.state.lastSeq, hash: loaded.lastHash)
            knownSeq = max(knownSeq, position.seq)
            let hash = String(decoding: loaded.lastHash, as: UTF8.self)
            return [log(.notice, "following the journal", ["seq": "\(position.seq)", "replica": onReplica ? "yes" : "no"]),
                    .post(.recovered(loaded.state, writable: false, snapshotSeq: loaded.snapshotSeq, snapshotCovers: loaded.snapshotCovers, hash: hash)),
                    .post(.role("follower", refusal: nil))] + fetch(now: now)

        case .loadFailed(let loadEpoch, let message, let transient):
            guard phase == .loading(epoch: loadEpoch) else { return [] }
            phase = .connecting
            epoch += 1
            problem = message
            retryAt = now + (transient ? backoff : FollowMachine.maxBackoff)
            growBackoff()
            var actions: [Action] = [log(.error, "follower could not load the state", ["error": message]), .close(message)]
            if !hasState { actions.append(.post(.role("follower", refusal: loadingRefusal))) }
            return actions

        case .checked(let checkEpoch, let hash):
            guard phase == .checking(epoch: checkEpoch) else { return [] }
            lastHeard = now
            guard let hash, Array(hash.utf8) == position.hash || position.seq == 0 else {
                phase = .loading(epoch: epoch)
                return [log(.warning, "the journal no longer holds this follower's last entry as it was; loading the state again",
                            ["seq": "\(position.seq)", "found": hash ?? "none"]),
                        .startLoad(epoch: epoch)]
            }
            phase = .following
            problem = ""
            backoff = FollowMachine.firstBackoff
            return [log(.notice, "follower back on its database; catching up", ["seq": "\(position.seq)"]),
                    .post(.followed([], hash: String(decoding: position.hash, as: UTF8.self)))] + fetch(now: now)

        case .polled(let replayed, let inRecovery):
            pollOut = false
            lastHeard = now
            guard phase == .following else { return [] }
            guard inRecovery else {
                onReplica = false
                return [log(.notice, "the follower's database is no longer a replica (promoted); listening for its writes"), .listen]
                    + fetch(now: now)
            }
            guard replayed != lastPosition else { return [] }
            lastPosition = replayed
            return fetch(now: now)

        case .notified(let seq):
            if let seq { knownSeq = max(knownSeq, seq) }
            guard phase == .following else { return [] }
            return fetch(now: now)

        case .fetched(let fetchEpoch, let entries, let reached, let full, let wall, let record):
            guard fetchEpoch == epoch, phase == .following else { return [] }
            fetchOut = false
            lastHeard = now
            var actions: [Action] = []
            if let record, record != leader {
                leader = record
                actions.append(log(.notice, "the leader takes writes at this address", ["leader": record.address.isEmpty ? "none" : record.address,
                                                                                       "lock_session": "\(record.lockPID)"]))
            }
            if let last = entries.last {
                position = reached
                knownSeq = max(knownSeq, last.seq)
                lagMilliseconds = max(0, wall - last.time.milliseconds)
                actions.append(.post(.followed(entries, hash: String(decoding: reached.hash, as: UTF8.self))))
            }
            if full || fetchAgain { actions += fetch(now: now) }
            return actions

        case .fetchFailed(let fetchEpoch, let message):
            guard fetchEpoch == epoch, phase == .following else { return [] }
            return reload(message)

        case .reload(let message):
            guard phase == .following || phase == .checking(epoch: epoch) else { return [] }
            return reload(message)

        case .tick:
            switch phase {
            case .connecting:
                return now >= retryAt ? [.connect] : []
            case .following:
                guard now >= nextPollAt, !fetchOut, !pollOut else { return [] }
                if onReplica {
                    pollOut = true
                    nextPollAt = now + pollEvery
                    return [.poll]
                }
                return fetch(now: now)
            default:
                return []
            }

        case .stop:
            phase = .stopped
            epoch += 1
            return [.shutDown, .post(.stopped)]
        }
    }

    /// Reads the next page now, or right after the one out.
    private mutating func fetch(now: UInt64) -> [Action] {
        guard !fetchOut else {
            fetchAgain = true
            return []
        }
        fetchOut = true
        fetchAgain = false
        if !onReplica { nextPollAt = now + FollowMachine.primaryFallback }
        return [.fetch(epoch: epoch, after: position)]
    }

    private mutating func reload(_ message: String) -> [Action] {
        epoch += 1
        phase = .loading(epoch: epoch)
        fetchOut = false
        fetchAgain = false
        return [log(.error, "follower loads the state again", ["error": message, "seq": "\(position.seq)"]), .startLoad(epoch: epoch)]
    }
}
