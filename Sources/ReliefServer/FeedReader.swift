import CLibUV
import Foundation
import Logging
import ReliefCore
import ReliefStore

/// The thread that reads the journal back from the store for `watch` subscribers resuming from
/// further back than the feed's ring: a page at a time, on a connection of its own (a read-only
/// SQLite connection; a PostgreSQL session that takes no lock), so the writer is never held up.
/// Jobs in under a condition, results out at a `LoopMailbox`, as OffloadWorker does.
final class FeedReader: @unchecked Sendable {
    // @unchecked: `jobs` and `stopping` are guarded by `lock`; `source` is used by the reader
    // thread only; `results` is a mailbox.

    struct Job: Sendable, Equatable {
        let subscriber: Int
        let after: Int64
        let limit: Int
    }

    struct Result: Sendable {
        let job: Job
        /// The page, decoded here rather than on the loop.
        let records: Swift.Result<[FeedRecord], StoreError>
    }

    /// Reads a page (after, limit) from the store; called on the reader thread only.
    typealias Source = (Int64, Int) throws -> [StoredEntry]

    private let lock = NSCondition()
    private var jobs: [Job] = []
    private var stopping = false
    private var started = false
    private let source: Source
    private let results: LoopMailbox<Result>

    init(source: @escaping Source, wakeLoop: UnsafeMutablePointer<uv_async_t>) {
        self.source = source
        results = LoopMailbox(wake: wakeLoop)
    }

    /// Starts the thread on the first job: most daemons never have a subscriber that resumes.
    func submit(_ job: Job) {
        lock.lock()
        jobs.append(job)
        if !started {
            started = true
            let thread = Thread { [self] in run() }
            thread.name = "reliefd-feed"
            thread.start()
        }
        lock.signal()
        lock.unlock()
    }

    func stop() {
        lock.lock()
        stopping = true
        lock.signal()
        lock.unlock()
    }

    /// Every result posted so far (loop thread).
    func drainResults() -> [Result] { results.drain() }

    private func run() {
        while true {
            lock.lock()
            while jobs.isEmpty && !stopping { lock.wait() }
            if stopping {
                lock.unlock()
                return
            }
            let job = jobs.removeFirst()
            lock.unlock()
            let records: Swift.Result<[FeedRecord], StoreError>
            do {
                records = .success(try source(job.after, job.limit).map { stored in
                    do {
                        return try FeedRecord(stored)
                    } catch {
                        throw StoreError("journal entry \(stored.seq) (\(stored.kind)) does not decode: \(error)", isTransient: false, seq: stored.seq)
                    }
                })
            } catch let error as StoreError {
                records = .failure(error)
            } catch {
                records = .failure(StoreError("\(error)", isTransient: true))
            }
            results.post(Result(job: job, records: records))
        }
    }
}

/// The feed's reads on PostgreSQL: one session of the reader thread's own, opened on the first
/// read and again after a failure; it takes no lock, so it may read beside any leader.
final class PostgresFeedSource: @unchecked Sendable {
    // @unchecked: used by the feed's reader thread only.
    private let url: String
    private let password: String?
    private let logger: Logger
    private var journal: PostgresJournal?

    init(url: String, password: String?, logger: Logger) {
        self.url = url
        self.password = password
        self.logger = logger
    }

    func read(after seq: Int64, limit: Int) throws -> [StoredEntry] {
        let journal = self.journal ?? PostgresJournal(url: url, password: password, logger: logger, timeoutSeconds: 60)
        self.journal = journal
        do {
            return try journal.entries(after: seq, limit: limit)
        } catch {
            journal.close()
            self.journal = nil
            throw error
        }
    }
}
