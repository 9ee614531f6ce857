import Logging
import ReliefCore
import ReliefProtocol
import ReliefStore

/// The server's commit, recovery, snapshot and shutdown life as a value-type state machine, apart
/// from libuv, threads and the engine. `Server` feeds it events — the end of a loop turn, a result
/// from the store, the once-a-second tick, a stop signal, progress of what shutdown waits for — with
/// the loop's `now` and a `World` (what the machine needs to know of the rest of the server), and
/// performs the actions it returns, in order.
///
/// Each state carries its own data, so impossible combinations cannot be represented: a store that
/// is available has no problem and no recovery out; error replies are held only while the store
/// is unavailable; a snapshot is idle, being written (for one store epoch) or waiting for its seal;
/// shutdown goes through its phases once, in order.
struct ServerMachine {
    /// What the machine reads of the server around it when an event comes.
    struct World: Equatable {
        /// The state's last seq (entries applied on the loop, committed or not).
        var lastSeq: Int64
        /// Off-loop requests queued or running, drills running, connections open.
        var offloads = 0
        var drills = 0
        var connections = 0
        /// An import is being written ahead or checked again: a snapshot's seal waits for it.
        var importBusy = false
    }

    enum Store: Equatable {
        case available
        /// Writes refused; `problem` says why. `recovery` is the re-read of the durable state the
        /// store was asked for, if one is out; `holdingFailures`: the error replies of a failed
        /// commit wait for that re-read, so no reply shows a change the store lost.
        case unavailable(problem: String, recovery: Recovery, holdingFailures: Bool)
    }

    enum Recovery: Equatable {
        /// None out; the last one was asked for at this loop time (ms).
        case idle(lastAttempt: UInt64)
        case inFlight
    }

    enum Snapshot: Equatable {
        case idle
        /// The state was handed to the store to be written, while the store was in `epoch`.
        case writing(epoch: Int)
        /// Written; its seal is journaled like any entry once no import is busy.
        case sealing(SnapshotSeal)
        /// The server was asked to journal the seal (`.journalSeal`) and has not yet (`enqueueSeal`).
        case journaling(SnapshotSeal)
    }

    enum Phase: Equatable {
        case running
        /// Stopped accepting: waiting for every entry to commit (or fail) and off-loop work to end.
        case draining
        /// The final snapshot and its seal, and the connections' last replies.
        case finalSnapshot
        /// The store was told to stop: waiting for it and for the last connection to close.
        case stoppingStore(storeStopped: Bool)
        /// Every handle was closed: the loop ends.
        case closed
    }

    enum Action {
        /// Hand this batch to the store (one commit in flight at a time).
        case commit([Entry])
        /// No batch went this turn: an import being written ahead may send its next slice.
        case stageMore
        /// A batch goes: writing an import ahead ends (the writer rolls it back first).
        case abandonStaging
        /// Hand the state as it is now to the store to be written as a snapshot.
        case takeSnapshot
        /// Journal this snapshot's seal (the server records it and calls `enqueueSeal`).
        case journalSeal(SnapshotSeal)
        /// Ask the store to re-read the durable state (`probe`: only to see whether it is back).
        case recover(probe: Bool)
        /// Replies waiting for a commit may go out.
        case flushWaiting
        /// Replies waiting for entries past `after` become `reply`; `release`: send them now
        /// rather than after the re-read.
        case failWaiting(after: Int64, reply: Reply, release: Bool)
        /// The re-read is done (or failed): held error replies go out.
        case releaseHeld
        /// Writers parked behind `max_uncommitted` may run again.
        case releaseParkedWriters
        /// Replace the state with what the store holds.
        case resetState(State)
        /// Close the listeners, stop reading from clients, stop the drills.
        case stopAccepting
        case closeConnectionsWhenFlushed
        /// Tell the store (and the offload thread) to stop.
        case stopStore
        /// Close every handle of the loop; it ends.
        case closeHandles
        case log(Log)
    }

    struct Log: Equatable {
        enum Level: Equatable { case info, notice, warning, error }
        var level: Level
        var message: String
        var metadata: [String: String] = [:]
    }

    enum Event {
        /// The loop started running (entries loaded at start go into a snapshot at once).
        case started
        case turnEnded
        case store(StoreWorker.Result)
        case tick
        case stop(signal: Int32)
        /// Something shutdown waits for moved on (an offload, a drill, a connection ended).
        case progress
    }

    struct Settings: Equatable {
        var snapshotEvery: Int64
        var snapshotIntervalMilliseconds: UInt64
        var maxUncommitted: Int
        /// A commit slower than this is logged.
        var slowCommitMicroseconds: Int64 = 250_000
        /// Unavailable: the store is probed this often.
        var recoveryProbeMilliseconds: UInt64 = 1000
    }

    let settings: Settings
    private(set) var pipeline: CommitPipeline
    private(set) var store: Store
    private(set) var snapshot: Snapshot = .idle
    private(set) var phase: Phase = .running
    /// Counts the store's failures: a snapshot written before one may not be in the store after it.
    private(set) var storeEpoch = 0
    /// The last snapshot stored, and the seq its state covers (its seal's own entry included when
    /// nothing else came between).
    private(set) var lastSnapshotSeq: Int64
    private(set) var snapshotCovers: Int64
    private(set) var lastSnapshotTime: UInt64
    private(set) var lastCommitMicros: Int64 = 0
    /// The journal's head: the hash of the last committed entry (its chain's last link), for `info` and
    /// to publish; "" until the store has said.
    var headHash = ""
    /// Leadership on PostgreSQL (`leader` on SQLite), and why requests are refused while the daemon
    /// has no state to serve (a standby, a candidate loading).
    private(set) var role = "leader"
    private(set) var standbyRefusal: String?
    /// A follower (`role = follower`): its state comes from the journal the leader writes, so
    /// it never commits, snapshots or recovers by itself; what it applies is committed already.
    var following: Bool { role == "follower" }

    init(settings: Settings, lastSeq: Int64, loadedSnapshotSeq: Int64, loadedSnapshotCovers: Int64,
         unavailableUntilLoaded: String?, now: UInt64, maxRequest: Int) {
        self.settings = settings
        pipeline = CommitPipeline(committedSeq: lastSeq, maxRequest: maxRequest)
        lastSnapshotSeq = min(loadedSnapshotSeq, lastSeq)
        snapshotCovers = min(max(loadedSnapshotCovers, lastSnapshotSeq), lastSeq)
        lastSnapshotTime = now
        if let unavailableUntilLoaded {
            _ = pipeline.failed()
            store = .unavailable(problem: unavailableUntilLoaded, recovery: .idle(lastAttempt: now), holdingFailures: false)
        } else {
            store = .available
        }
    }

    // MARK: what the server asks

    var isStopping: Bool { phase != .running }
    var committedSeq: Int64 { pipeline.committedSeq }
    var isAvailable: Bool { store == .available }
    var storeProblem: String? {
        if case .unavailable(let problem, _, _) = store { return problem }
        return standbyRefusal
    }
    var snapshotPending: Bool { snapshot != .idle }
    /// Writes wait while this many entries are not yet durable (max_uncommitted).
    var commitsBehind: Bool { pipeline.uncommitted >= settings.maxUncommitted }

    /// Why writes are refused now, or nil when they are accepted.
    var writesRefused: String? {
        if isStopping { return "reliefd is shutting down; nothing was changed" }
        if following { return "this reliefd is a follower: it serves reads from the leader's journal; send writes to the leader; nothing was changed" }
        if case .unavailable(let problem, _, _) = store {
            return "store unavailable (\(problem)); writes are refused until it recovers, reads still work; nothing was changed"
        }
        return nil
    }

    /// What becomes of a write about to run: it runs, waits (the client is not read) until commits
    /// bring the uncommitted entries under `max_uncommitted`, or is refused with this message.
    enum Admission: Equatable {
        case run
        case waitForCommits
        case refuse(String)
    }

    func admitWrite() -> Admission {
        if let refused = writesRefused { return .refuse(refused) }
        if commitsBehind { return .waitForCommits }
        return .run
    }

    /// The seq a reply computed on the state now must wait for (everything the state held when it
    /// was answered, so a reply never shows a change a failed commit then takes back), or why it is
    /// replaced by an error: the state still holds entries of a commit that failed, until re-read.
    func replyWait(outcomeWait: Int64, lastSeq: Int64) -> Result<Int64, ReplyRefusal> {
        let waitSeq = max(outcomeWait, lastSeq)
        if waitSeq > pipeline.committedSeq && !pipeline.available {
            return .failure(ReplyRefusal(message: "store unavailable (\(storeProblem ?? "recovering")); the state is being re-read after a failed commit; ask again shortly; nothing was changed"))
        }
        return .success(waitSeq)
    }

    struct ReplyRefusal: Error, Equatable {
        var message: String
    }

    /// Entries applied on the loop, to commit with the next batch.
    mutating func enqueue(_ entries: [Entry]) {
        pipeline.enqueue(entries)
    }

    /// An import written ahead commits whole as the batch in flight.
    mutating func takeStaged(_ entries: [Entry], world: World, now: UInt64) -> [Action] {
        pipeline.takeStaged(entries)
        return snapshotIfDue(after: entries.last!.seq, world: world, now: now)
    }

    /// The seal asked for by `.journalSeal` was recorded as `entry`; `unchangedSince`: the state
    /// held nothing after the snapshot, so the snapshot covers the seal too.
    mutating func enqueueSeal(_ entry: Entry, unchangedSince: Bool) {
        precondition(snapshot.isJournaling, "a seal enqueued that was not asked for")
        snapshot = .idle
        pipeline.enqueue([entry])
        if unchangedSince { snapshotCovers = entry.seq }
    }

    // MARK: events

    mutating func handle(_ event: Event, now: UInt64, world: World) -> [Action] {
        var actions: [Action]
        switch event {
        case .started:
            lastSnapshotTime = now
            actions = world.lastSeq > snapshotCovers && snapshot == .idle && !following ? startSnapshot(now: now) : []
        case .turnEnded:
            actions = turnEnded(world: world, now: now)
        case .store(let result):
            actions = storeResult(result, world: world, now: now)
        case .tick:
            actions = tick(world: world, now: now)
        case .stop(let signal):
            guard phase == .running else { return [] }
            phase = .draining
            actions = [.log(Log(level: .notice, message: "shutting down", metadata: ["signal": "\(signal)", "clients": "\(world.connections)"])),
                       .stopAccepting]
        case .progress:
            actions = []
        }
        actions += sealIfReady(world: world)
        actions += advanceShutdown(world: world, now: now)
        return actions
    }

    private mutating func turnEnded(world: World, now: UInt64) -> [Action] {
        guard let batch = pipeline.takeBatch() else { return [.stageMore] }
        return [.abandonStaging, .commit(batch)] + snapshotIfDue(after: batch.last!.seq, world: world, now: now)
    }

    private mutating func tick(world: World, now: UInt64) -> [Action] {
        var actions: [Action] = []
        // A follower's backend reconnects and catches up by itself.
        if case .unavailable(let problem, .idle(let last), let holding) = store, phase == .running, !following,
           now &- last >= settings.recoveryProbeMilliseconds {
            store = .unavailable(problem: problem, recovery: .inFlight, holdingFailures: holding)
            actions.append(.recover(probe: true))
        }
        if pipeline.isIdle, world.lastSeq > snapshotCovers {
            actions += snapshotIfDue(after: world.lastSeq, world: world, now: now)
        }
        return actions
    }

    private mutating func startSnapshot(now: UInt64) -> [Action] {
        snapshot = .writing(epoch: storeEpoch)
        lastSnapshotTime = now
        return [.takeSnapshot]
    }

    /// A batch up to `seq` went to the store: a snapshot of the state (which equals that batch) is
    /// taken when enough entries or time went by since the last; the store writes it after the commit.
    private mutating func snapshotIfDue(after seq: Int64, world: World, now: UInt64) -> [Action] {
        // Never of a state holding entries the store lost (it is re-read first), nor once the
        // final snapshot was taken at shutdown.
        guard snapshot == .idle, seq > snapshotCovers, pipeline.pending.isEmpty, pipeline.available, !following,
              phase == .running || phase == .draining else { return [] }
        let due = seq - snapshotCovers >= settings.snapshotEvery || now &- lastSnapshotTime >= settings.snapshotIntervalMilliseconds
        guard due || isStopping else { return [] }
        return startSnapshot(now: now)
    }

    /// Journals the seal of the snapshot just stored, through the pipeline like any entry: until it
    /// commits, loads skip that snapshot. Not while an import is written ahead or checked again (a
    /// seal moves the state on too), and never after the store failed since it was stored.
    private mutating func sealIfReady(world: World) -> [Action] {
        guard case .sealing(let seal) = snapshot, !world.importBusy else { return [] }
        guard pipeline.available else {
            snapshot = .idle
            return []
        }
        snapshot = .journaling(seal)
        return [.journalSeal(seal)]
    }

    private mutating func storeResult(_ result: StoreWorker.Result, world: World, now: UInt64) -> [Action] {
        switch result {
        case .committed(let seq, let count, let micros, let hash):
            pipeline.committed(upTo: seq, count: count)
            if !hash.isEmpty { headHash = hash }
            lastCommitMicros = micros
            var actions: [Action] = []
            if micros >= settings.slowCommitMicroseconds {
                actions.append(.log(Log(level: .info, message: "long commit", metadata: ["entries": "\(count)", "commit_ms": "\(micros / 1000)", "seq": "\(seq)"])))
            }
            actions.append(.flushWaiting)
            if !commitsBehind { actions.append(.releaseParkedWriters) }
            return actions
        case .staged, .stageFailed:
            return []
        case .commitFailed(let message):
            storeEpoch += 1
            if case .sealing = snapshot { snapshot = .idle }
            let lost = pipeline.failed()
            var actions: [Action] = [
                .log(Log(level: .error, message: "commit failed; refusing writes until the store recovers",
                         metadata: ["error": message, "lost_entries": "\(lost)", "committed_seq": "\(pipeline.committedSeq)"])),
                // "Not acknowledged" rather than "not applied": a commit whose connection or fsync
                // failed may still have reached the store (PostgreSQL: lost after COMMIT was sent).
                .failWaiting(after: pipeline.committedSeq,
                             reply: .error(.unavailable, "store failed to commit (\(message)); the request was not acknowledged; retry later with the same req= token if it had one (it applies at most once)"),
                             release: false),
            ]
            // Read back what is durable so reads stop showing the lost changes; the errors go out
            // once that is done. A re-read already out will do.
            let recovery: Recovery
            if case .unavailable(_, .inFlight, _) = store {
                recovery = .inFlight
            } else {
                recovery = .inFlight
                actions.append(.recover(probe: false))
            }
            store = .unavailable(problem: message, recovery: recovery, holdingFailures: true)
            // Nothing is uncommitted now: the writers that waited run, and are refused.
            actions.append(.releaseParkedWriters)
            return actions
        case .snapshotWritten(let seal, let bytes, let encodeMicros, let storeMicros):
            guard case .writing(let epoch) = snapshot else { return [] }
            lastSnapshotSeq = max(lastSnapshotSeq, seal.snapshotSeq)
            snapshotCovers = max(snapshotCovers, seal.snapshotSeq)
            // Sealed as an entry of the next batch, unless the store failed since it was handed over.
            snapshot = pipeline.available && epoch == storeEpoch ? .sealing(seal) : .idle
            return [.log(Log(level: .info, message: "snapshot written", metadata: [
                "seq": "\(seal.snapshotSeq)", "bytes": "\(bytes)", "sha256": seal.sha256,
                "encode_ms": "\(encodeMicros / 1000)", "store_ms": "\(storeMicros / 1000)",
            ]))]
        case .snapshotFailed(let message):
            if case .writing = snapshot { snapshot = .idle }
            return [.log(Log(level: .warning, message: "snapshot failed", metadata: ["error": message]))]
        case .recovered(let state, _, let snapshotSeq, let covers, let hash) where following:
            // A follower's load (at start, or again when the journal no longer holds what it had).
            pipeline.recovered(committedSeq: state.lastSeq)
            store = .available
            if !hash.isEmpty { headHash = hash }
            lastSnapshotSeq = min(snapshotSeq, state.lastSeq)
            snapshotCovers = min(max(covers, lastSnapshotSeq), state.lastSeq)
            return [.resetState(state), .flushWaiting]
        case .followed(_, let hash):
            // The server applied them (world.lastSeq): committed already, so replies waiting go out.
            guard following else { return [] }
            pipeline.recovered(committedSeq: world.lastSeq)
            store = .available
            if !hash.isEmpty { headHash = hash }
            return [.flushWaiting]
        case .recovered(let state, let writable, let snapshotSeq, let covers, let hash):
            var actions: [Action] = []
            guard case .unavailable(let problem, _, let holding) = store else { return [] }
            store = .unavailable(problem: problem, recovery: .idle(lastAttempt: now), holdingFailures: false)
            if pipeline.isIdle {
                actions.append(.resetState(state))
                if !hash.isEmpty { headHash = hash }
                lastSnapshotSeq = min(snapshotSeq, state.lastSeq)
                snapshotCovers = min(max(covers, lastSnapshotSeq), state.lastSeq)
                if writable {
                    pipeline.recovered(committedSeq: state.lastSeq)
                    store = .available
                    actions.append(.log(Log(level: .notice, message: "store recovered; accepting writes", metadata: ["seq": "\(state.lastSeq)"])))
                    // As at start (PostgreSQL loads here): what was replayed goes into a snapshot now.
                    if state.lastSeq > snapshotCovers && snapshot == .idle && !isStopping {
                        actions += startSnapshot(now: now)
                    }
                }
            }
            if holding { actions.append(.releaseHeld) }
            return actions
        case .recoveryFailed(let message):
            guard case .unavailable(let problem, _, let holding) = store else { return [] }
            store = .unavailable(problem: message, recovery: .idle(lastAttempt: now), holdingFailures: false)
            var actions: [Action] = holding ? [.releaseHeld] : []
            // Probed every second: said again only when the reason changes.
            if message != problem { actions.append(.log(Log(level: .warning, message: "store still unavailable", metadata: ["error": message]))) }
            return actions
        case .stopped:
            if case .stoppingStore = phase { phase = .stoppingStore(storeStopped: true) }
            return []
        case .storeLost(let message) where following:
            // Reads go on from what the follower holds; `info` says how stale.
            store = .unavailable(problem: message, recovery: .idle(lastAttempt: now), holdingFailures: false)
            return []
        case .storeLost(let message):
            storeEpoch += 1
            if case .sealing = snapshot { snapshot = .idle }
            guard case .available = store else {
                if case .unavailable(_, let recovery, let holding) = store {
                    store = .unavailable(problem: message, recovery: recovery, holdingFailures: holding)
                }
                return []
            }
            let lost = pipeline.failed()
            // The backend reloads by itself once it leads again; the tick probes meanwhile.
            store = .unavailable(problem: message, recovery: .idle(lastAttempt: now), holdingFailures: false)
            return [
                .log(Log(level: .error, message: "store lost; refusing writes until it is back",
                         metadata: ["error": message, "lost_entries": "\(lost)", "committed_seq": "\(pipeline.committedSeq)"])),
                .failWaiting(after: pipeline.committedSeq,
                             reply: .error(.unavailable, "store unavailable (\(message)); the request was not applied; retry later (with the same req= token if it had one)"),
                             release: true),
                .releaseParkedWriters,
            ]
        case .role(let newRole, let refusal):
            role = newRole
            standbyRefusal = refusal
            if let refusal, case .unavailable(_, let recovery, let holding) = store {
                store = .unavailable(problem: refusal, recovery: recovery, holdingFailures: holding)
            }
            return []
        }
    }

    /// Stop accepting, finish the commit in flight and the batch collected, answer every waiting
    /// client, write a final snapshot, stop the store, and close every handle.
    private mutating func advanceShutdown(world: World, now: UInt64) -> [Action] {
        var actions: [Action] = []
        if phase == .draining {
            guard pipeline.isIdle, world.offloads == 0, world.drills == 0 else { return actions }
            phase = .finalSnapshot
            if pipeline.available && world.lastSeq > snapshotCovers && snapshot == .idle && !following {
                actions += startSnapshot(now: now)
            }
            actions.append(.closeConnectionsWhenFlushed)
        }
        if phase == .finalSnapshot {
            // The final snapshot's seal goes out like any entry: wait for it to commit too.
            if case .unavailable(_, .inFlight, _) = store { return actions }
            guard snapshot == .idle, pipeline.isIdle else { return actions }
            phase = .stoppingStore(storeStopped: false)
            actions.append(.stopStore)
        }
        if phase == .stoppingStore(storeStopped: true), world.connections == 0 {
            phase = .closed
            actions.append(.closeHandles)
        }
        return actions
    }
}

extension ServerMachine.Snapshot {
    var isJournaling: Bool {
        if case .journaling = self { return true }
        return false
    }
}

extension ServerMachine.Action: CustomStringConvertible {
    /// One short line per action, for tests and traces: `commit 11...13`, `failWaiting after 10 held`.
    var description: String {
        switch self {
        case .commit(let batch): "commit \(batch.first!.seq)...\(batch.last!.seq)"
        case .stageMore: "stageMore"
        case .abandonStaging: "abandonStaging"
        case .takeSnapshot: "takeSnapshot"
        case .journalSeal(let seal): "journalSeal \(seal.snapshotSeq)"
        case .recover(let probe): probe ? "recover probe" : "recover"
        case .flushWaiting: "flushWaiting"
        case .failWaiting(let after, _, let release): "failWaiting after \(after) \(release ? "now" : "held")"
        case .releaseHeld: "releaseHeld"
        case .releaseParkedWriters: "releaseParkedWriters"
        case .resetState(let state): "resetState \(state.lastSeq)"
        case .stopAccepting: "stopAccepting"
        case .closeConnectionsWhenFlushed: "closeConnectionsWhenFlushed"
        case .stopStore: "stopStore"
        case .closeHandles: "closeHandles"
        case .log(let line): "log \(line.level) \(line.message)"
        }
    }
}

extension Logger {
    /// A line a machine asked to log (`ServerMachine.Log`), at its level.
    func write(_ line: ServerMachine.Log) {
        let metadata = line.metadata.mapValues { Logger.MetadataValue.string($0) }
        switch line.level {
        case .info: info("\(line.message)", metadata: metadata)
        case .notice: notice("\(line.message)", metadata: metadata)
        case .warning: warning("\(line.message)", metadata: metadata)
        case .error: error("\(line.message)", metadata: metadata)
        }
    }
}
