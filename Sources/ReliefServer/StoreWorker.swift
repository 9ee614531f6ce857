import CLibUV
import Foundation
import Logging
import ReliefCore
import ReliefStore
import ReliefLimits

/// The writer thread: the only thread that touches the Journal. The loop hands it jobs through a
/// condition-guarded queue; it hands results back through a locked mailbox and wakes the loop with
/// `uv_async_send` (which coalesces, so the loop drains the whole mailbox each time).
///
/// Snapshots are encoded on a second thread, so a large snapshot never holds up commits; the writer
/// stores its text in parts (SQLite) and commits what waits between two parts.
final class StoreWorker: @unchecked Sendable {
    // @unchecked: `journal` is used only on the worker thread once `start` has been called; every
    // other field is guarded by `jobsLock`, or is the results mailbox.

    enum Job: Sendable {
        case commit([Entry])
        /// Write a large request's entries ahead into the staged transaction (see Journal.stage).
        case stage([Entry])
        /// Commit a request that was being staged: all of its entries, of which the writer writes
        /// only those not staged yet — or all of them the usual way when staging failed. Answered
        /// like `commit`.
        case commitStaged([Entry])
        case discardStaged
        /// Encode `State` (and hash the text for its seal) on the snapshot thread, then store it on
        /// the writer thread.
        case snapshot(State)
        case storeSnapshot(seal: SnapshotSeal, text: String, encodeMicroseconds: Int64)
        /// Reload the state from the store; with `probe`, first check the store takes writes again.
        case recover(probe: Bool)
        case stop
    }

    enum Result: Sendable {
        /// `hash`: the journal's head after it (the hash chain's last link; "" when unknown).
        case committed(upTo: Int64, count: Int, microseconds: Int64, hash: String = "")
        case commitFailed(String)
        /// A `stage` job of `count` entries was written.
        case staged(count: Int)
        /// Writing ahead failed; the staged transaction is gone (the request commits the usual way).
        case stageFailed(String)
        /// The snapshot is durable; the loop journals `seal` so a load may use it.
        case snapshotWritten(seal: SnapshotSeal, bytes: Int, encodeMicroseconds: Int64, storeMicroseconds: Int64)
        case snapshotFailed(String)
        /// The state reloaded from the store, with the seq of the snapshot it started from and the
        /// last seq that snapshot covers (Journal.loadedSnapshotCovers).
        case recovered(State, writable: Bool, snapshotSeq: Int64, snapshotCovers: Int64, hash: String = "")
        case recoveryFailed(String)
        case stopped
        /// The store went away while no commit was in flight (PostgreSQL: connection or leadership
        /// lost): refuse writes until a recovery reloads the state.
        case storeLost(String)
        /// This daemon's role on a shared store: `leader`, or `standby` with why writes (and reads)
        /// are refused meanwhile.
        case role(String, refusal: String?)
        /// A follower read these committed entries from the journal (after the state it holds),
        /// the last with this hash; none: its database is back and it follows again.
        case followed([Entry], hash: String)
    }

    private let journal: Journal
    /// The journal can write a large request ahead while it arrives (Journal.stage).
    let supportsStaging: Bool
    private let logger: Logger
    private let jobsLock = NSCondition()
    private var jobs: [Job] = []
    private let snapshotsLock = NSCondition()
    private var snapshotsToEncode: [State] = []
    private var stopping = false
    private let results: LoopMailbox<Result>
    /// Bound on queued jobs; the loop never has more than one commit, one snapshot and one recovery
    /// outstanding, so this only catches a bug.
    private static let maxJobs = Limits.storeJobs
    /// Writer thread only: a staged transaction is open, and the snapshot stores that wait for it
    /// to end (a snapshot is its own transaction).
    private var stagedUpTo: Int64?
    private var stagingOpen: Bool { stagedUpTo != nil }
    private var deferredSnapshots: [Job] = []

    init(journal: Journal, logger: Logger, wakeLoop: UnsafeMutablePointer<uv_async_t>) {
        self.journal = journal
        supportsStaging = journal.supportsStaging
        self.logger = logger
        results = LoopMailbox(wake: wakeLoop)
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "reliefd-writer"
        thread.start()
        let encoder = Thread { [self] in encodeSnapshots() }
        encoder.name = "reliefd-snapshot"
        encoder.start()
    }

    func submit(_ job: Job) {
        if case .snapshot(let state) = job {
            snapshotsLock.lock()
            precondition(snapshotsToEncode.count < StoreWorker.maxJobs, "snapshot queue overflow")
            snapshotsToEncode.append(state)
            snapshotsLock.signal()
            snapshotsLock.unlock()
            return
        }
        jobsLock.lock()
        precondition(jobs.count < StoreWorker.maxJobs, "writer job queue overflow")
        jobs.append(job)
        jobsLock.signal()
        jobsLock.unlock()
    }

    /// Takes every result posted so far (loop thread).
    func drainResults() -> [Result] { results.drain() }

    private func post(_ result: Result) { results.post(result) }

    private func encodeSnapshots() {
        while true {
            snapshotsLock.lock()
            while snapshotsToEncode.isEmpty && !stopping { snapshotsLock.wait() }
            if snapshotsToEncode.isEmpty {
                snapshotsLock.unlock()
                return
            }
            let state = snapshotsToEncode.removeFirst()
            snapshotsLock.unlock()
            let start = DispatchTime.now().uptimeNanoseconds
            let text = state.snapshotText()
            let seal = SnapshotSeal(snapshotSeq: state.lastSeq, text: text)
            let micros = Int64((DispatchTime.now().uptimeNanoseconds - start) / 1000)
            submit(.storeSnapshot(seal: seal, text: text, encodeMicroseconds: micros))
        }
    }

    private func run() {
        // What the load left for before the first write (the SQLite store's table check): done
        // before any job, so no commit waits for it longer than it takes; reads never do. A
        // failure leaves it due: the first commit runs it again and fails as it does, and the
        // loop recovers from that as from any failed commit.
        do {
            // The check read every table through SQLite's page cache and let go of it: what the
            // heap holds free is handed back, once (ProcessMemory).
            if try journal.checkDeferredTables() {
                let started = ContinuousClock.now
                ProcessMemory.returnFreed()
                let took = ContinuousClock.now - started
                logger.info("freed memory returned after the table check",
                            metadata: ["trim_us": "\(took.components.seconds * 1_000_000 + took.components.attoseconds / 1_000_000_000_000)"])
            }
        } catch {
            logger.error("checking the current-state tables failed", metadata: ["store": "\(journal.location)", "error": "\(error)"])
        }
        while true {
            jobsLock.lock()
            while jobs.isEmpty { jobsLock.wait() }
            let job = jobs.removeFirst()
            jobsLock.unlock()

            if case .storeSnapshot = job, stagingOpen {
                deferredSnapshots.append(job)
                continue
            }
            perform(job)
            if case .stop = job { return }
            if !stagingOpen, !deferredSnapshots.isEmpty {
                let waiting = deferredSnapshots
                deferredSnapshots.removeAll()
                for snapshot in waiting { perform(snapshot) }
            }
        }
    }

    /// Between two parts of a snapshot being stored: the commits queued meanwhile, in order, up to
    /// the first job of another kind (staging, recovery and stopping wait for the snapshot's end).
    private func commitWhatWaits() {
        while true {
            jobsLock.lock()
            guard case .commit = jobs.first else {
                jobsLock.unlock()
                return
            }
            let job = jobs.removeFirst()
            jobsLock.unlock()
            perform(job)
        }
    }

    private func perform(_ job: Job) {
        switch job {
        case .stage(let entries):
            do {
                try journal.stage(entries)
                if let last = entries.last { stagedUpTo = last.seq }
                post(.staged(count: entries.count))
            } catch {
                stagedUpTo = nil
                post(.stageFailed("\(error)"))
            }
        case .commitStaged(let entries):
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                if let upTo = stagedUpTo {
                    stagedUpTo = nil
                    try journal.commitStaged(Array(entries.drop { $0.seq <= upTo }))
                } else {
                    try journal.commit(entries)
                }
                let micros = Int64((DispatchTime.now().uptimeNanoseconds - start) / 1000)
                post(.committed(upTo: entries.last!.seq, count: entries.count, microseconds: micros, hash: journal.headHash))
            } catch {
                post(.commitFailed("\(error)"))
            }
        case .discardStaged:
            journal.discardStaged()
            stagedUpTo = nil
        case .commit(let entries):
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                try journal.commit(entries)
                let micros = Int64((DispatchTime.now().uptimeNanoseconds - start) / 1000)
                post(.committed(upTo: entries.last!.seq, count: entries.count, microseconds: micros, hash: journal.headHash))
            } catch {
                post(.commitFailed("\(error)"))
            }
        case .snapshot:
            preconditionFailure("snapshots are encoded on the snapshot thread")
        case .storeSnapshot(let seal, let text, let encodeMicros):
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                try journal.writeSnapshot(seq: seal.snapshotSeq, text: text, betweenParts: commitWhatWaits)
                let storeMicros = Int64((DispatchTime.now().uptimeNanoseconds - start) / 1000)
                post(.snapshotWritten(seal: seal, bytes: text.utf8.count, encodeMicroseconds: encodeMicros, storeMicroseconds: storeMicros))
            } catch {
                post(.snapshotFailed("\(error)"))
            }
        case .recover(let probe):
            var writable = false
            if probe {
                do {
                    try journal.probe()
                    writable = true
                } catch {
                    logger.debug("store probe failed", metadata: ["error": "\(error)"])
                }
            }
            do {
                let state = try journal.load()
                post(.recovered(state, writable: writable, snapshotSeq: journal.loadedSnapshotSeq,
                                snapshotCovers: journal.loadedSnapshotCovers, hash: journal.headHash))
            } catch {
                post(.recoveryFailed("\(error)"))
            }
        case .stop:
            snapshotsLock.lock()
            stopping = true
            snapshotsLock.signal()
            snapshotsLock.unlock()
            journal.close()
            post(.stopped)
            return
        }
    }
}
