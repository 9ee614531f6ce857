import CLibUV
import Foundation
import ReliefEngine

/// The thread that runs work too large for the loop (a plan over every open need at country
/// scale, an import of a million rows checked again) on a copy of the state. Like the writer, it meets the loop only at two mailboxes: jobs in
/// (condition-guarded), results out (locked, then `uv_async_send` wakes the loop, which drains all).
/// One job at a time, in order; a connection with a job out waits for it (see Connection.block).
final class OffloadWorker: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `jobsLock`, or is the results mailbox.

    /// What runs off the loop: a request's work (a plan), or an import's rows checked again on a
    /// copy of the live state.
    enum Work: Sendable {
        case request(Engine.Deferred)
        case importRecheck(ImportRecheck)
    }

    struct Job: Sendable {
        let connection: Int
        let work: Work
    }

    struct Result: Sendable {
        let connection: Int
        let work: Work
        /// The request's result (nil for an import check: its session holds the result).
        let value: (any Sendable)?
        let microseconds: Int64
    }

    private let jobsLock = NSCondition()
    private var jobs: [Job] = []
    private var stopping = false
    private let results: LoopMailbox<Result>

    init(wakeLoop: UnsafeMutablePointer<uv_async_t>) {
        results = LoopMailbox(wake: wakeLoop)
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "reliefd-offload"
        thread.start()
    }

    func submit(_ job: Job) {
        jobsLock.lock()
        jobs.append(job)
        jobsLock.signal()
        jobsLock.unlock()
    }

    func stop() {
        jobsLock.lock()
        stopping = true
        jobsLock.signal()
        jobsLock.unlock()
    }

    /// Takes every result posted so far (loop thread).
    func drainResults() -> [Result] { results.drain() }

    private func run() {
        while true {
            jobsLock.lock()
            while jobs.isEmpty && !stopping { jobsLock.wait() }
            if stopping {
                jobsLock.unlock()
                return
            }
            let job = jobs.removeFirst()
            jobsLock.unlock()
            let start = DispatchTime.now().uptimeNanoseconds
            var value: (any Sendable)?
            switch job.work {
            case .request(let deferred): value = deferred.compute()
            case .importRecheck(let recheck): recheck.run()
            }
            let micros = Int64((DispatchTime.now().uptimeNanoseconds - start) / 1000)
            results.post(Result(connection: job.connection, work: job.work, value: value, microseconds: micros))
        }
    }
}
