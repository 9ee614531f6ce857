import CLibUV
import Foundation
import Logging
import ReliefCore
import ReliefProtocol
import ReliefStore

/// A follower's store: one non-blocking libpq session on the loop (a `PGConnection` watched by a
/// `uv_poll` handle) to a PostgreSQL primary or a hot-standby replica of it, read only. What to do
/// is decided by `FollowMachine` (tested in memory); this class performs it. The state is loaded
/// as a leader loads it (snapshot and journal, the hash chain checked; the replay on a thread of
/// its own), then every page of the journal read after it is checked against the chain and handed
/// to the server as `followed` entries, which it applies and sends to its `watch` subscribers.
/// The follower never writes: no commit, snapshot or migration goes to the database.
final class FollowerBackend: StoreBackend {
    let supportsStaging = false

    private let url: String
    private let password: String?
    private let location: String
    private let loop: UnsafeMutablePointer<uv_loop_t>
    private let wakeLoop: UnsafeMutablePointer<uv_async_t>
    private let logger: Logger
    private let replays: ReplayThreads
    private var results: [StoreWorker.Result] = []

    private let db = PGConnection(client: LibPQClient())
    private let dbPoll: PGPoll
    private var jobs: [Int: (PGConnection.Outcome) -> Void] = [:]
    private let timer: UnsafeMutablePointer<uv_timer_t>
    private var machine: FollowMachine
    private let tickMilliseconds: UInt64

    init(url: String, password: String? = nil, pollMilliseconds: UInt64, loop: UnsafeMutablePointer<uv_loop_t>,
         wakeLoop: UnsafeMutablePointer<uv_async_t>, logger: Logger) {
        self.url = url
        self.password = password
        location = PostgresStore.redacted(url)
        self.loop = loop
        self.wakeLoop = wakeLoop
        self.logger = logger
        replays = ReplayThreads(wake: wakeLoop)
        machine = FollowMachine(location: location, pollEvery: pollMilliseconds)
        tickMilliseconds = max(1, min(pollMilliseconds, 100))
        dbPoll = PGPoll(loop: loop)
        timer = UV.allocate(uv_timer_t.self)
    }

    func start() throws {
        dbPoll.onReady = { [unowned self] readable, writable in
            drive(db.socketEvent(readable: readable, writable: writable))
        }
        do {
            try UV.open(timer, owner: self, "uv_timer_init") { uv_timer_init(loop, $0) }
        } catch {
            UV.free(timer)
            throw error
        }
        uv_timer_start(timer, { UV.owner(of: $0, as: FollowerBackend.self).step(.tick) }, tickMilliseconds, tickMilliseconds)
        step(.started)
    }

    /// Where the leader takes writes, as the database says ("" = unknown or none).
    var leaderAddress: String { machine.leader?.address ?? "" }

    /// What `info` shows of the follower (FollowMachine's view).
    var followInfo: Fields {
        var fields = Fields()
        fields.append("follow_source", machine.onReplica ? "replica" : "primary")
        fields.append("leader", leaderAddress.isEmpty ? "unknown" : leaderAddress)
        fields.append("leader_seq", String(max(machine.knownSeq, machine.position.seq)))
        fields.append("lag_entries", String(max(0, machine.knownSeq - machine.position.seq)))
        fields.append("lag_ms", String(machine.lagMilliseconds))
        fields.append("stale_ms", String(machine.hasState ? uv_now(loop) &- machine.lastHeard : 0))
        return fields
    }

    // MARK: the machine

    private func step(_ event: FollowMachine.Event) {
        perform(machine.handle(event, now: uv_now(loop)))
    }

    private func perform(_ actions: [FollowMachine.Action]) {
        for action in actions {
            switch action {
            case .connect:
                guard db.phase != .connecting, db.phase != .ready else { break }
                drive(db.connect(PostgresStore.parameters(url: url, password: password, applicationName: "reliefd follower")))
            case .setUp:
                run([PGConnection.Statement("SET default_transaction_read_only = on"),
                     PGConnection.Statement("SET client_min_messages = warning"),
                     PGConnection.Statement("SELECT pg_is_in_recovery()")]) { [unowned self] outcome in
                    guard case .success(let results) = outcome, case .tuples(let rows) = results[2], rows.count == 1 else { return }
                    step(.sessionReady(inRecovery: rows[0, 0] == "t"))
                }
            case .listen:
                // Refused on a replica (LISTEN needs a primary): the replay position is polled there.
                run([PostgresStore.listenStatement]) { _ in }
            case .startLoad(let epoch):
                startLoad(epoch: epoch)
            case .check(let epoch, let seq):
                run([PGConnection.Statement("SELECT hash FROM journal WHERE seq = $1", [String(seq)])]) { [unowned self] outcome in
                    guard case .success(let results) = outcome, case .tuples(let rows) = results[0] else { return }
                    step(.checked(epoch: epoch, hash: rows.count == 1 ? rows[0, 0] : nil))
                }
            case .poll:
                run([PGConnection.Statement("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")]) { [unowned self] outcome in
                    guard case .success(let results) = outcome, case .tuples(let rows) = results[0], rows.count == 1 else { return }
                    step(.polled(position: rows[0, 1], inRecovery: rows[0, 0] == "t"))
                }
            case .fetch(let epoch, let after):
                run([PostgresStore.journalPage(after: after.seq, limit: FollowMachine.page), PostgresStore.leaderQuery]) { [unowned self] outcome in
                    guard case .success(let results) = outcome, case .tuples(let rows) = results[0] else { return }
                    var leader: FollowMachine.LeaderRecord?
                    if case .tuples(let row) = results[1], row.count == 1 {
                        leader = FollowMachine.LeaderRecord(address: row[0, 0] ?? "", lockPID: row[0, 1].flatMap { Int32($0) } ?? 0,
                                                            since: row[0, 2].flatMap { Int64($0) } ?? 0)
                    }
                    var reached = after
                    do throws(StoreError) {
                        let entries = try PostgresStore.followEntries(rows, from: &reached, location: location)
                        step(.fetched(epoch: epoch, entries: entries, position: reached, full: rows.count >= FollowMachine.page,
                                      wallMilliseconds: Int64(Date().timeIntervalSince1970 * 1000), leader: leader))
                    } catch {
                        step(.fetchFailed(epoch: epoch, error.message))
                    }
                }
            case .close(let reason):
                drive(db.close(reason: reason))
                dbPoll.release()
                jobs.removeAll()
            case .shutDown:
                drive(db.close(reason: "reliefd is shutting down"))
                dbPoll.release()
                jobs.removeAll()
                uv_timer_stop(timer)
                UV.close(timer)
            case .post(let result):
                results.append(result)
                uv_async_send(wakeLoop)
            case .log(let line):
                logger.write(line)
            }
        }
    }

    // MARK: jobs from the loop

    func submit(_ job: StoreWorker.Job) {
        switch job {
        case .recover:
            // The server could not apply what it was handed: the state is loaded again.
            step(.reload("the state could not take the entries read; loading it again"))
        case .stop:
            step(.stop)
        case .commit, .commitStaged, .stage, .discardStaged, .snapshot, .storeSnapshot:
            // A follower's server never writes; answered so nothing waits on it.
            if case .commit = job {
                results.append(.commitFailed("a follower does not write"))
                uv_async_send(wakeLoop)
            }
        }
    }

    func drainResults() -> [StoreWorker.Result] {
        replays.drain()
        defer { results.removeAll(keepingCapacity: true) }
        return results
    }

    // MARK: the connection

    private func drive(_ events: [PGConnection.Event]) {
        for event in events {
            switch event {
            case .completed(let id, let outcome):
                jobs.removeValue(forKey: id)?(outcome)
            case .connected:
                step(.connected)
            case .lost(let message):
                dbPoll.release()
                jobs.removeAll()
                step(.lost(message))
            case .notification(let note):
                step(.notified(seq: note.payload.split(separator: " ").first.flatMap { Int64($0) }))
            }
        }
        dbPoll.update(socket: db.socket, interest: db.interest)
    }

    /// A statement that fails on a live session closes it, and the follower connects again
    /// (as after a lost connection); a lost connection is reported by `drive`.
    private func run(_ statements: [PGConnection.Statement], _ done: @escaping (PGConnection.Outcome) -> Void) {
        let (id, events) = db.submit(statements)
        jobs[id] = { [unowned self] outcome in
            guard case .failure(let failure) = outcome else { return done(outcome) }
            guard case .statement = failure else { return }
            logger.warning("follower query failed; connecting again", metadata: ["store": "\(location)", "error": "\(failure)"])
            drive(db.close(reason: "\(failure)"))
            dbPoll.release()
            jobs.removeAll()
            step(.lost("\(failure)"))
        }
        drive(events)
    }

    private func startLoad(epoch started: Int) {
        let load = PostgresLoad(location: location, logger: logger, readOnly: true, run: { [unowned self] statements, done in
            guard machine.epoch == started else { return }
            let (id, events) = db.submit(statements)
            jobs[id] = done
            drive(events)
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
}
