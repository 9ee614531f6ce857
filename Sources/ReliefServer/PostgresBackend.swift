import CLibUV
import Foundation
import Logging
import ReliefCore
import ReliefStore

/// The PostgreSQL store, driven inside the event loop: two non-blocking libpq connections, each a
/// `PGConnection` watched by a `uv_poll` handle, and a timer for retries. No thread waits on the
/// network; only CPU work (replaying the journal at load) and snapshots (encoded and stored over a
/// blocking connection of their own, so no commit waits behind one) run on short-lived threads,
/// which hand their result back through a mailbox and the loop's wake-up handle. What to
/// do — ask for the lock, connect, load, commit, give up leading — is decided by `LeadershipMachine`
/// (tested in memory); this class performs it with libpq and libuv.
///
/// - The lock connection holds the session-level advisory lock that makes this reliefd the
///   database's leader (`pg_try_advisory_lock`). Without it: candidate (retrying) or standby
///   (another session holds it: asked again every `LeadershipMachine.standbyPoll` ms). Losing it stops writing first: the
///   store connection is closed before anything else, so no commit of ours can start after it.
/// - The store connection carries the commits, one pipeline segment per batch (BEGIN, the fence,
///   one INSERT per entry, COMMIT), probes and the load.
///
/// Every commit is fenced (`reliefd_fence`: the lock connection's session must hold the lock),
/// and the journal's primary key refuses a second writer of the same seq, so two reliefd can never
/// both extend the journal.
final class PostgresBackend: StoreBackend {
    let supportsStaging = false

    private let url: String
    private let password: String?
    private let location: String
    /// Where followers send writes while this reliefd leads ("" = nowhere).
    private let advertise: String
    private let loop: UnsafeMutablePointer<uv_loop_t>
    private let wakeLoop: UnsafeMutablePointer<uv_async_t>
    private let logger: Logger
    private let mailbox: LoopMailbox<Delivered>
    private var results: [StoreWorker.Result] = []

    private let lock = PGConnection(client: LibPQClient())
    private let store = PGConnection(client: LibPQClient())
    private let lockPoll: PGPoll
    private let storePoll: PGPoll
    private var lockJobs: [Int: (PGConnection.Outcome) -> Void] = [:]
    private var storeJobs: [Int: (PGConnection.Outcome) -> Void] = [:]
    private let replays: ReplayThreads
    private let timer: UnsafeMutablePointer<uv_timer_t>

    /// Candidate, standby or leader, the store session, retries: decided by the machine, performed here.
    private var leadership: LeadershipMachine
    private var hasher = PostgresCommitBuilder()

    init(url: String, password: String? = nil, advertise: String = "", loop: UnsafeMutablePointer<uv_loop_t>,
         wakeLoop: UnsafeMutablePointer<uv_async_t>, logger: Logger) {
        self.url = url
        self.advertise = advertise
        self.password = password
        location = PostgresStore.redacted(url)
        self.loop = loop
        self.wakeLoop = wakeLoop
        self.logger = logger
        mailbox = LoopMailbox(wake: wakeLoop)
        replays = ReplayThreads(wake: wakeLoop)
        leadership = LeadershipMachine(location: location)
        lockPoll = PGPoll(loop: loop)
        storePoll = PGPoll(loop: loop)
        timer = UV.allocate(uv_timer_t.self)
    }

    func start() throws {
        lockPoll.onReady = { [unowned self] readable, writable in
            drive(lock, lock.socketEvent(readable: readable, writable: writable))
        }
        storePoll.onReady = { [unowned self] readable, writable in
            drive(store, store.socketEvent(readable: readable, writable: writable))
        }
        do {
            try UV.open(timer, owner: self, "uv_timer_init") { uv_timer_init(loop, $0) }
        } catch {
            UV.free(timer)
            throw error
        }
        uv_timer_start(timer, { UV.owner(of: $0, as: PostgresBackend.self).step(.tick) }, 100, 100)
        step(.started)
    }

    // MARK: the machine

    private var links: LeadershipMachine.Links {
        LeadershipMachine.Links(lock: lock.phase, lockIdle: lock.isIdle, store: store.phase)
    }

    private func step(_ event: LeadershipMachine.Event) {
        perform(leadership.handle(event, now: uv_now(loop), links: links))
    }

    private func perform(_ actions: [LeadershipMachine.Action]) {
        for action in actions {
            switch action {
            case .connectLock:
                guard lock.phase != .connecting, lock.phase != .ready else { break }
                drive(lock, lock.connect(PostgresStore.parameters(url: url, password: password, applicationName: "reliefd leader lock")))
            case .askLock:
                run(on: lock, [PostgresStore.tryLeaderLock]) { [unowned self] outcome in
                    switch outcome {
                    case .success(let results):
                        let granted: Bool = if case .tuples(let rows) = results[0], rows.count == 1, rows[0, 0] == "t" { true } else { false }
                        step(.lockAnswered(granted: granted, backendPID: lock.client.backendPID))
                    case .failure(let failure):
                        step(.lockAskFailed("\(failure)"))
                    }
                }
            case .connectStore:
                guard store.phase != .connecting, store.phase != .ready else { break }
                drive(store, store.connect(PostgresStore.parameters(url: url, password: password)))
            case .closeStore(let reason):
                drive(store, store.close(reason: reason)) // fails a commit in flight (in doubt) first
                storePoll.release()
            case .startLoad(let epoch, _):
                startLoad(epoch: epoch)
            case .probe:
                run(on: store, PostgresStore.probeStatements) { [unowned self] outcome in
                    switch outcome {
                    case .success: step(.probeAnswered(failure: nil))
                    case .failure(let failure): step(.probeAnswered(failure: "\(failure)"))
                    }
                }
            case .commit(let entries, let startHash, let fence):
                commit(entries, hash: startHash, fence: fence)
            case .announce(let fence):
                run(on: store, PostgresStore.announceLeader(address: advertise, fence: fence, now: Int64(Date().timeIntervalSince1970 * 1000))) {
                    [unowned self] outcome in
                    if case .failure(let failure) = outcome {
                        logger.warning("could not record the leader's address for followers", metadata: ["store": "\(location)", "error": "\(failure)"])
                    } else {
                        logger.info("leader's address recorded for followers", metadata: ["address": "\(advertise.isEmpty ? "none" : advertise)"])
                    }
                }
            case .heartbeat:
                run(on: lock, [PGConnection.Statement("SELECT 1")]) { [unowned self] _ in step(.heartbeatDone) }
            case .shutDown:
                drive(store, store.close(reason: "reliefd is shutting down"))
                drive(lock, lock.close(reason: "reliefd is shutting down")) // ends the session: the lock is released
                storePoll.release()
                lockPoll.release()
                uv_timer_stop(timer)
                UV.close(timer)
            case .post(let result):
                post(result)
            case .log(let line):
                logger.write(line)
            }
        }
    }

    // MARK: jobs from the loop

    func submit(_ job: StoreWorker.Job) {
        switch job {
        case .commit(let entries), .commitStaged(let entries):
            step(.commit(entries))
        case .stage, .discardStaged:
            break // supportsStaging is false: the server never stages
        case .snapshot(let state):
            encodeSnapshot(state)
        case .storeSnapshot(let seal, let text, let micros):
            storeSnapshot(seal: seal, text: text, encodeMicroseconds: micros)
        case .recover(let probe):
            step(.recover(probe: probe))
        case .stop:
            step(.stop)
        }
    }

    func drainResults() -> [StoreWorker.Result] {
        replays.drain()
        for item in mailbox.drain() {
            switch item {
            case .snapshotStored(let result):
                post(result)
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
                step(isLock ? .lockConnected : .storeConnected)
            case .lost(let message):
                // The connection's socket is gone: stop watching it, and forget the jobs on it.
                if isLock {
                    lockPoll.release()
                    lockJobs.removeAll()
                } else {
                    storePoll.release()
                    storeJobs.removeAll()
                }
                step(isLock ? .lockLost(message) : .storeLost(message))
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

    // MARK: load

    private func startLoad(epoch started: Int) {
        run(on: store, PostgresStore.sessionSetupStatements) { _ in }
        let load = PostgresLoad(location: location, logger: logger, run: { [unowned self] statements, done in
            guard leadership.epoch == started else { return }
            run(on: store, statements, done)
        }, compute: { [unowned self] work, done in
            replays.run(work, then: done)
        }, finished: { [unowned self] result in
            switch result {
            case .success(let loaded): step(.loaded(epoch: started, loaded))
            case .failure(let error): step(.loadFailed(epoch: started, message: error.message, transient: error.isTransient))
            }
        })
        load.start()
    }

    // MARK: commits and snapshots

    private func commit(_ entries: [Entry], hash startHash: [UInt8], fence: Int32?) {
        var hash = startHash
        let statements = hasher.commitJob(entries, hash: &hash, fence: fence)
        let started = uv_hrtime()
        let first = entries.first!.seq, upTo = entries.last!.seq, count = entries.count
        run(on: store, statements) { [unowned self] outcome in
            switch outcome {
            case .success(let results) where PostgresStore.isCommitted(results):
                step(.committed(upTo: upTo, hash: hash, count: count, microseconds: Int64((uv_hrtime() - started) / 1000)))
            case .success:
                step(.commitFailed("the transaction of entries \(first)...\(upTo) did not commit"))
            case .failure(let failure):
                logger.error("commit failed", metadata: ["store": "\(location)", "entries": "\(first)...\(upTo)", "error": "\(failure)"])
                step(.commitFailed("\(failure)"))
            }
        }
    }

    /// Encodes the snapshot and stores it on a thread of its own, over a connection of its own: a
    /// snapshot of hundreds of megabytes on the store connection held every commit behind it.
    /// Writing the row needs no leadership (it is the journal's state at `seq`, and the INSERT
    /// takes the hash from the journal); its seal is journaled by the leader, fenced, afterwards.
    private func encodeSnapshot(_ state: State) {
        storeSnapshotOffLoop {
            let text = state.snapshotText()
            return (text, SnapshotSeal(snapshotSeq: state.lastSeq, text: text))
        }
    }

    private func storeSnapshot(seal: SnapshotSeal, text: String, encodeMicroseconds: Int64) {
        storeSnapshotOffLoop(encodeMicroseconds: encodeMicroseconds) { (text, seal) }
    }

    /// `encodeMicroseconds`: the time already spent encoding when `encode` only hands the text on.
    private func storeSnapshotOffLoop(encodeMicroseconds: Int64? = nil, _ encode: @escaping @Sendable () -> (String, SnapshotSeal)) {
        guard leadership.canWrite(links) else {
            post(.snapshotFailed("not connected to PostgreSQL"))
            return
        }
        let mailbox = self.mailbox, url = self.url, password = self.password, logger = self.logger
        let thread = Thread {
            let start = DispatchTime.now().uptimeNanoseconds
            let (text, seal) = encode()
            let encoded = DispatchTime.now().uptimeNanoseconds
            let journal = PostgresJournal(url: url, password: password, logger: logger, timeoutSeconds: 600)
            defer { journal.close() }
            do {
                try journal.writeSnapshot(seq: seal.snapshotSeq, text: text)
                mailbox.post(.snapshotStored(.snapshotWritten(seal: seal, bytes: text.utf8.count,
                                                              encodeMicroseconds: encodeMicroseconds ?? Int64((encoded - start) / 1000),
                                                              storeMicroseconds: Int64((DispatchTime.now().uptimeNanoseconds - encoded) / 1000))))
            } catch {
                mailbox.post(.snapshotStored(.snapshotFailed("\(error)")))
            }
        }
        thread.name = "reliefd-snapshot"
        thread.start()
    }

    // MARK: thread mailbox

    /// What the snapshot threads leave in the loop's mailbox (LoopMailbox, the one place threads
    /// meet the loop), drained in `drainResults` (the replay threads' values: `ReplayThreads`).
    enum Delivered: Sendable {
        /// A snapshot stored (or not) by its thread: `snapshotWritten` or `snapshotFailed`.
        case snapshotStored(StoreWorker.Result)
    }
}
