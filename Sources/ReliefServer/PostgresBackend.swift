import CLibUV
import Foundation
import Logging
import ReliefCore
import ReliefStore

/// The PostgreSQL store, driven inside the event loop: two non-blocking libpq connections, each a
/// `PGConnection` watched by a `uv_poll` handle, and a timer for retries. No thread waits on the
/// network; only CPU work (replaying the journal at load, encoding snapshots) runs on short-lived
/// threads, which hand their result back through a mailbox and the loop's wake-up handle.
///
/// - The lock connection holds the session-level advisory lock that makes this reliefd the
///   database's leader (`pg_try_advisory_lock`). Without it: candidate (retrying) or standby
///   (another session holds it: polled every `standbyPoll`). Losing it stops writing first: the
///   store connection is closed before anything else, so no commit of ours can start after it.
/// - The store connection carries the commits, one pipeline segment per batch (BEGIN, the fence,
///   one INSERT per entry, COMMIT), snapshots, probes and the load.
///
/// Every commit is fenced (`reliefd_fence`: the lock connection's session must hold the lock),
/// and the journal's primary key refuses a second writer of the same seq, so two reliefd can never
/// both extend the journal.
final class PostgresBackend: StoreBackend {
    let supportsStaging = false

    private let url: String
    private let password: String?
    private let location: String
    private let loop: UnsafeMutablePointer<uv_loop_t>
    private let wakeLoop: UnsafeMutablePointer<uv_async_t>
    private let logger: Logger
    private let mailbox: Mailbox
    private var results: [StoreWorker.Result] = []

    private let lock = PGConnection(client: LibPQClient())
    private let store = PGConnection(client: LibPQClient())
    private let lockPoll: PGPoll
    private let storePoll: PGPoll
    private var lockJobs: [Int: (PGConnection.Outcome) -> Void] = [:]
    private var storeJobs: [Int: (PGConnection.Outcome) -> Void] = [:]
    private var computeJobs: [Int: (any Sendable) -> Void] = [:]
    private var nextCompute = 1
    private let timer: UnsafeMutablePointer<uv_timer_t>

    private enum Phase: Equatable { case candidate, standby, leading, stopped }
    private var phase = Phase.candidate
    /// The state is loaded and commits may go out (leading, store connection ready).
    private var loaded = false
    private var loading = false
    /// A state has been loaded once: reads can be served from it while the store is away.
    private var hasState = false
    /// Bumped whenever leadership or the store session changes; callbacks of an older epoch are stale.
    private var epoch = 0
    private var fencePID: Int32?
    private var lastSeq: Int64 = 0
    private var lastHash: [UInt8] = []
    private var hasher = PostgresCommitBuilder()
    private var problem = "connecting to PostgreSQL"

    // Retry timing (milliseconds of uv_now).
    private var lockRetryAt: UInt64 = 0
    private var storeRetryAt: UInt64 = 0
    private var backoff: UInt64 = 250
    private var lastHeartbeat: UInt64 = 0
    private var heartbeatInFlight = false
    static let maxBackoff: UInt64 = 2_000
    /// How often a standby asks for the lock.
    static let standbyPoll: UInt64 = 500
    static let heartbeatEvery: UInt64 = 2_000

    init(url: String, password: String? = nil, loop: UnsafeMutablePointer<uv_loop_t>, wakeLoop: UnsafeMutablePointer<uv_async_t>, logger: Logger) {
        self.url = url
        self.password = password
        location = PostgresStore.redacted(url)
        self.loop = loop
        self.wakeLoop = wakeLoop
        self.logger = logger
        mailbox = Mailbox(wake: wakeLoop)
        lockPoll = PGPoll(loop: loop)
        storePoll = PGPoll(loop: loop)
        timer = .allocate(capacity: 1)
    }

    func start() {
        lockPoll.onReady = { [unowned self] readable, writable in
            drive(lock, lock.socketEvent(readable: readable, writable: writable))
        }
        storePoll.onReady = { [unowned self] readable, writable in
            drive(store, store.socketEvent(readable: readable, writable: writable))
        }
        uv_timer_init(loop, timer)
        timer.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_timer_start(timer, { handle in
            Unmanaged<PostgresBackend>.fromOpaque(handle!.pointee.data).takeUnretainedValue().tick()
        }, 100, 100)
        post(.role("candidate", refusal: "reliefd is starting: connecting to PostgreSQL \(location) and loading the state; try again shortly"))
        connectLock()
    }

    // MARK: jobs from the loop

    func submit(_ job: StoreWorker.Job) {
        switch job {
        case .commit(let entries), .commitStaged(let entries):
            commit(entries)
        case .stage, .discardStaged:
            break // supportsStaging is false: the server never stages
        case .snapshot(let state):
            encodeSnapshot(state)
        case .storeSnapshot(let seal, let text, let micros):
            storeSnapshot(seal: seal, text: text, encodeMicroseconds: micros)
        case .recover(let probe):
            recover(probe: probe)
        case .stop:
            stop()
        }
    }

    func drainResults() -> [StoreWorker.Result] {
        for item in mailbox.take() {
            switch item {
            case .computed(let id, let value):
                computeJobs.removeValue(forKey: id)?(value)
            case .snapshotText(let seal, let text, let micros):
                storeSnapshot(seal: seal, text: text, encodeMicroseconds: micros)
            }
        }
        defer { results.removeAll(keepingCapacity: true) }
        return results
    }

    private func post(_ result: StoreWorker.Result) {
        results.append(result)
        uv_async_send(wakeLoop)
    }

    // MARK: connections

    private func drive(_ connection: PGConnection, _ events: [PGConnection.Event]) {
        let isLock = connection === lock
        for event in events {
            switch event {
            case .completed(let id, let outcome):
                if isLock { lockJobs.removeValue(forKey: id)?(outcome) } else { storeJobs.removeValue(forKey: id)?(outcome) }
            case .connected:
                if isLock { lockConnected() } else { storeConnected() }
            case .lost(let message):
                if isLock { lockLost(message) } else { storeLost(message) }
            case .notification:
                break
            }
        }
        (isLock ? lockPoll : storePoll).update(socket: connection.socket, interest: connection.interest)
    }

    private func run(on connection: PGConnection, _ statements: [PGConnection.Statement], _ done: @escaping (PGConnection.Outcome) -> Void) {
        let (id, events) = connection.submit(statements)
        if connection === lock { lockJobs[id] = done } else { storeJobs[id] = done }
        drive(connection, events)
    }

    private func connectLock() {
        guard phase != .stopped, lock.phase != .connecting, lock.phase != .ready else { return }
        drive(lock, lock.connect(PostgresStore.parameters(url: url, password: password, applicationName: "reliefd leader lock")))
    }

    private func lockConnected() {
        backoff = 250
        tryLock()
    }

    private func tryLock() {
        guard phase == .candidate || phase == .standby, lock.phase == .ready, lock.isIdle else { return }
        run(on: lock, [PostgresStore.tryLeaderLock]) { [unowned self] outcome in
            guard phase == .candidate || phase == .standby else { return }
            switch outcome {
            case .success(let results):
                if case .tuples(let rows) = results[0], rows.count == 1, rows[0, 0] == "t" {
                    becomeLeader()
                } else {
                    if phase != .standby {
                        phase = .standby
                        problem = "standby: another reliefd leads this database (it holds the leader lock); this one takes over when it stops"
                        logger.notice("standby: another reliefd holds the leader lock; waiting for it", metadata: ["store": "\(location)"])
                        post(.role("standby", refusal: problem + "; nothing was changed"))
                    }
                    lockRetryAt = uv_now(loop) + PostgresBackend.standbyPoll
                }
            case .failure(let failure):
                logger.warning("asking for the leader lock failed", metadata: ["store": "\(location)", "error": "\(failure)"])
                lockRetryAt = uv_now(loop) + backoff
            }
        }
    }

    private func becomeLeader() {
        phase = .leading
        epoch += 1
        fencePID = lock.client.backendPID
        lastHeartbeat = uv_now(loop)
        logger.notice("leader lock taken; loading the state", metadata: ["store": "\(location)", "lock_session": "\(fencePID ?? 0)"])
        post(.role("leader", refusal: hasState ? nil : "reliefd is loading the state from PostgreSQL; try again shortly"))
        if store.phase == .ready { startLoad(writable: true) } else { connectStore() }
    }

    /// The lock connection is gone: so is the lock. Stop writing before anything else.
    private func lockLost(_ message: String) {
        lockPoll.release()
        lockJobs.removeAll()
        heartbeatInFlight = false
        lockRetryAt = uv_now(loop) + backoff
        backoff = min(backoff * 2, PostgresBackend.maxBackoff)
        guard phase == .leading else {
            if phase != .stopped { logger.warning("PostgreSQL unreachable; retrying", metadata: ["store": "\(location)", "error": "\(message)"]) }
            return
        }
        phase = .candidate
        epoch += 1
        fencePID = nil
        loaded = false
        loading = false
        problem = "lost the leader lock (\(message)); writes stop until this reliefd leads again"
        logger.error("leader lock lost; writes stopped", metadata: ["store": "\(location)", "error": "\(message)"])
        drive(store, store.close(reason: problem)) // fails a commit in flight (in doubt) first
        storePoll.release()
        post(.storeLost(problem))
        post(.role("candidate", refusal: hasState ? nil : problem))
    }

    private func connectStore() {
        guard phase == .leading, store.phase != .connecting, store.phase != .ready else { return }
        drive(store, store.connect(PostgresStore.parameters(url: url, password: password)))
    }

    private func storeConnected() {
        guard phase == .leading else {
            drive(store, store.close(reason: "not leading"))
            return
        }
        startLoad(writable: true)
    }

    private func storeLost(_ message: String) {
        storePoll.release()
        storeJobs.removeAll()
        storeRetryAt = uv_now(loop) + backoff
        backoff = min(backoff * 2, PostgresBackend.maxBackoff)
        guard phase == .leading else { return }
        epoch += 1
        loaded = false
        loading = false
        problem = "PostgreSQL connection lost (\(message)); reconnecting"
        logger.error("PostgreSQL connection lost; refusing writes and reconnecting", metadata: ["store": "\(location)", "error": "\(message)"])
        post(.storeLost(problem))
    }

    // MARK: load

    private func startLoad(writable: Bool) {
        guard phase == .leading, !loading else { return }
        loading = true
        loaded = false
        let started = epoch
        run(on: store, PostgresStore.sessionSetupStatements) { [unowned self] _ in }
        let load = PostgresLoad(location: location, logger: logger, run: { [unowned self] statements, done in
            guard epoch == started else { return }
            run(on: store, statements, done)
        }, compute: { [unowned self] work, done in
            compute(work, done)
        }, finished: { [unowned self] result in
            guard epoch == started, phase == .leading else { return }
            loading = false
            switch result {
            case .success(let loaded):
                self.loaded = true
                hasState = true
                lastSeq = loaded.state.lastSeq
                lastHash = loaded.lastHash
                backoff = 250
                problem = ""
                logger.notice("serving as leader", metadata: ["store": "\(location)", "seq": "\(lastSeq)"])
                post(.role("leader", refusal: nil))
                post(.recovered(loaded.state, writable: writable, snapshotSeq: loaded.snapshotSeq, snapshotCovers: loaded.snapshotCovers))
            case .failure(let error):
                problem = error.message
                logger.error("loading the state from PostgreSQL failed", metadata: ["store": "\(location)", "error": "\(error.message)"])
                post(.recoveryFailed(error.message))
                // Try again later on a fresh connection (a transient error may clear; damage will not, and says so each time).
                drive(store, store.close(reason: error.message))
                storePoll.release()
                storeRetryAt = uv_now(loop) + (error.isTransient ? backoff : PostgresBackend.maxBackoff)
                backoff = min(backoff * 2, PostgresBackend.maxBackoff)
            }
        })
        load.start()
    }

    private func compute(_ work: @escaping @Sendable () -> any Sendable, _ done: @escaping (any Sendable) -> Void) {
        let id = nextCompute
        nextCompute += 1
        computeJobs[id] = done
        let mailbox = self.mailbox
        let thread = Thread { mailbox.post(.computed(id, work())) }
        thread.name = "reliefd-replay"
        thread.start()
    }

    private func recover(probe: Bool) {
        guard phase == .leading, loaded, store.phase == .ready else {
            post(.recoveryFailed(problem))
            return
        }
        guard probe else { return startLoad(writable: false) }
        run(on: store, PostgresStore.probeStatements) { [unowned self] outcome in
            switch outcome {
            case .success: startLoad(writable: true)
            case .failure(let failure): post(.recoveryFailed("\(failure)"))
            }
        }
    }

    // MARK: commits and snapshots

    private func commit(_ entries: [Entry]) {
        guard phase == .leading, loaded, store.phase == .ready, let first = entries.first else {
            post(.commitFailed(problem.isEmpty ? "not connected to PostgreSQL" : problem))
            return
        }
        guard first.seq == lastSeq + 1 else {
            post(.commitFailed("entry seq \(first.seq) does not follow the journal's last seq \(lastSeq)"))
            return
        }
        var hash = lastHash
        let statements = hasher.commitJob(entries, hash: &hash, fence: fencePID)
        let started = uv_hrtime()
        let upTo = entries.last!.seq, count = entries.count
        run(on: store, statements) { [unowned self] outcome in
            switch outcome {
            case .success(let results) where PostgresStore.isCommitted(results):
                lastSeq = upTo
                lastHash = hash
                post(.committed(upTo: upTo, count: count, microseconds: Int64((uv_hrtime() - started) / 1000)))
            case .success:
                post(.commitFailed("the transaction of entries \(first.seq)...\(upTo) did not commit"))
            case .failure(let failure):
                logger.error("commit failed", metadata: ["store": "\(location)", "entries": "\(first.seq)...\(upTo)", "error": "\(failure)"])
                post(.commitFailed("\(failure)"))
            }
        }
    }

    private func encodeSnapshot(_ state: State) {
        let mailbox = self.mailbox
        let thread = Thread {
            let start = DispatchTime.now().uptimeNanoseconds
            let text = state.snapshotText()
            let seal = SnapshotSeal(snapshotSeq: state.lastSeq, text: text)
            mailbox.post(.snapshotText(seal: seal, text: text,
                                       micros: Int64((DispatchTime.now().uptimeNanoseconds - start) / 1000)))
        }
        thread.name = "reliefd-snapshot"
        thread.start()
    }

    private func storeSnapshot(seal: SnapshotSeal, text: String, encodeMicroseconds: Int64) {
        let seq = seal.snapshotSeq
        guard phase == .leading, loaded, store.phase == .ready else {
            post(.snapshotFailed("not connected to PostgreSQL"))
            return
        }
        let started = uv_hrtime()
        run(on: store, PostgresStore.snapshotStatements(seq: seq, text: text)) { [unowned self] outcome in
            switch outcome {
            case .success(let results) where results.count > 1 && results[1] == .command("INSERT 0 0"):
                // Nothing stored (its entry is not in the journal): there is nothing to seal.
                post(.snapshotFailed("snapshot at seq \(seq) is past the journal's last entry"))
            case .success:
                post(.snapshotWritten(seal: seal, bytes: text.utf8.count, encodeMicroseconds: encodeMicroseconds,
                                      storeMicroseconds: Int64((uv_hrtime() - started) / 1000)))
            case .failure(let failure):
                post(.snapshotFailed("\(failure)"))
            }
        }
    }

    // MARK: timer

    private func tick() {
        let now = uv_now(loop)
        switch phase {
        case .stopped:
            return
        case .candidate, .standby:
            if lock.phase == .ready {
                if now >= lockRetryAt { tryLock() }
            } else if lock.phase != .connecting, now >= lockRetryAt {
                connectLock()
            }
        case .leading:
            if store.phase != .ready && store.phase != .connecting && now >= storeRetryAt { connectStore() }
            // A heartbeat on the lock session, so a connection that died silently is noticed.
            if !heartbeatInFlight, now - lastHeartbeat >= PostgresBackend.heartbeatEvery, lock.isIdle {
                heartbeatInFlight = true
                lastHeartbeat = now
                run(on: lock, [PGConnection.Statement("SELECT 1")]) { [unowned self] _ in heartbeatInFlight = false }
            }
        }
    }

    // MARK: stop

    private func stop() {
        phase = .stopped
        epoch += 1
        drive(store, store.close(reason: "reliefd is shutting down"))
        drive(lock, lock.close(reason: "reliefd is shutting down")) // ends the session: the lock is released
        storePoll.release()
        lockPoll.release()
        uv_timer_stop(timer)
        uv_close(UnsafeMutableRawPointer(timer).assumingMemoryBound(to: uv_handle_t.self)) { handle in
            UnsafeMutableRawPointer(handle!).assumingMemoryBound(to: uv_timer_t.self).deallocate()
        }
        post(.stopped)
    }

    // MARK: thread mailbox

    enum Delivered: Sendable {
        case computed(Int, any Sendable)
        case snapshotText(seal: SnapshotSeal, text: String, micros: Int64)
    }

    /// Where the replay and snapshot threads leave their results; `uv_async_send` wakes the loop,
    /// which drains it in `drainResults`.
    final class Mailbox: @unchecked Sendable {
        // @unchecked: `items` is guarded by `lock`; `wake` is only passed to uv_async_send, which is thread-safe.
        private let lock = NSLock()
        private var items: [Delivered] = []
        private let wake: UnsafeMutablePointer<uv_async_t>
        init(wake: UnsafeMutablePointer<uv_async_t>) { self.wake = wake }
        func post(_ item: Delivered) {
            lock.lock()
            items.append(item)
            lock.unlock()
            uv_async_send(wake)
        }
        func take() -> [Delivered] {
            lock.lock()
            defer { lock.unlock() }
            let taken = items
            items.removeAll()
            return taken
        }
    }
}
