import CLibUV
import Foundation
import ReliefEngine

/// The thread that runs work too large for the loop (a plan over every open need at country
/// scale) on a copy of the state. Like the writer, it meets the loop only at two mailboxes: jobs in
/// (condition-guarded), results out (locked, then `uv_async_send` wakes the loop, which drains all).
/// One job at a time, in order; a connection with a job out waits for it (see Connection.block).
final class OffloadWorker: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `jobsLock` or `resultsLock`.

    struct Job: Sendable {
        let connection: Int
        let deferred: Engine.Deferred
    }

    struct Result: Sendable {
        let connection: Int
        let deferred: Engine.Deferred
        let value: any Sendable
        let microseconds: Int64
    }

    private let wakeLoop: UnsafeMutablePointer<uv_async_t>
    private let jobsLock = NSCondition()
    private var jobs: [Job] = []
    private var stopping = false
    private let resultsLock = NSLock()
    private var results: [Result] = []

    init(wakeLoop: UnsafeMutablePointer<uv_async_t>) {
        self.wakeLoop = wakeLoop
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
    func drainResults() -> [Result] {
        resultsLock.lock()
        defer { resultsLock.unlock() }
        let taken = results
        results.removeAll(keepingCapacity: true)
        return taken
    }

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
            let value = job.deferred.compute()
            let micros = Int64((DispatchTime.now().uptimeNanoseconds - start) / 1000)
            resultsLock.lock()
            results.append(Result(connection: job.connection, deferred: job.deferred, value: value, microseconds: micros))
            resultsLock.unlock()
            uv_async_send(wakeLoop)
        }
    }
}
