import CLibUV
import Foundation
import ReliefEngine
import ReliefProtocol

/// Threads that answer reads from a copy of the state (`Engine.parallelRead`: `volunteer find`,
/// `volunteer list`, `volunteer export` of a bounded number of rows), so that while fifty duty
/// officers search the roster every core works on their finds and the loop goes on reading,
/// running writes and sending replies. A read's work was checked and its copy of the state taken
/// on the loop, at the request's place in its client's order, where a place was kept for its reply
/// (`ConnectionMachine.reserve`); here it is run and its reply encoded whole, and the bytes go back
/// to the loop, which puts them in that place. A client's later lines run meanwhile; their replies
/// queue behind it.
///
/// Like the writer and the off-loop thread, the pool meets the loop only at two mailboxes: jobs in
/// (condition-guarded), results out (`LoopMailbox`, which wakes the loop). The loop counts what it
/// handed out (`inFlight`, loop thread only) and hands out at most `capacity` at once, so the bytes
/// held for replies being made are bounded by `capacity` × the largest reply it ships.
final class ReadPool: @unchecked Sendable {
    // @unchecked: `jobs` and `stopping` are guarded by `jobsLock`; `inFlight` is touched by the
    // loop thread only; `results` is a mailbox.

    struct Job: Sendable {
        let connection: Int
        /// The place kept for the reply in the client's queue (`ConnectionMachine.reserve`).
        let ticket: Int
        let read: Engine.ParallelRead
    }

    struct Result: Sendable {
        let connection: Int
        let ticket: Int
        let command: String
        /// The reply, encoded whole.
        let bytes: [UInt8]
        /// For the metrics: the reply's error code, nil when it is not an error.
        let errorCode: ErrorCode?
        let microseconds: Int64
    }

    /// The longest listing the pool answers (`limit=`); longer ones are streamed by the loop as
    /// the client reads them. 256 roster rows are about 100 KB.
    static let maxRows = 256
    /// Jobs handed out at once per thread: enough that no thread waits for the loop to drain
    /// results, few enough that the replies being made stay small.
    static let capacityPerThread = 8

    let threads: Int
    /// Jobs handed out and not yet drained back, at most.
    let capacity: Int
    /// Handed out and not yet drained (loop thread only).
    private(set) var inFlight = 0

    private let jobsLock = NSCondition()
    /// Waiting jobs from `jobsHead` on; a slot taken is emptied at once, so a job's copy of the
    /// state is let go of when its reply is made, not when the queue next runs dry.
    private var jobs: [Job?] = []
    private var jobsHead = 0
    private var stopping = false
    private let results: LoopMailbox<Result>

    init(threads: Int, capacity: Int, wakeLoop: UnsafeMutablePointer<uv_async_t>) {
        precondition(threads > 0 && capacity > 0)
        self.threads = threads
        self.capacity = capacity
        results = LoopMailbox(wake: wakeLoop)
    }

    /// Room for another job (loop thread).
    var hasRoom: Bool { inFlight < capacity }

    func start() {
        for number in 1...threads {
            let thread = Thread { [self] in run() }
            thread.name = "reliefd-read-\(number)"
            thread.start()
        }
    }

    /// Loop thread; only while `hasRoom`.
    func submit(_ job: Job) {
        precondition(inFlight < capacity, "the read pool is full")
        inFlight += 1
        jobsLock.lock()
        jobs.append(job)
        jobsLock.signal()
        jobsLock.unlock()
    }

    /// Loop thread: every result posted so far, in the order they were finished.
    func drainResults() -> [Result] {
        let taken = results.drain()
        inFlight -= taken.count
        return taken
    }

    /// Ends the threads once the jobs queued are done (their results are posted; nobody may drain
    /// them any more when the loop is closing).
    func stop() {
        jobsLock.lock()
        stopping = true
        jobsLock.broadcast()
        jobsLock.unlock()
    }

    private func run() {
        while true {
            jobsLock.lock()
            while jobsHead == jobs.count && !stopping { jobsLock.wait() }
            if jobsHead == jobs.count {
                jobsLock.unlock()
                return
            }
            let job = jobs[jobsHead].take()!
            jobsHead += 1
            if jobsHead == jobs.count {
                jobs.removeAll(keepingCapacity: jobs.capacity <= 1024)
                jobsHead = 0
            }
            jobsLock.unlock()
            results.post(ReadPool.answer(job))
        }
    }

    /// Runs a job's work and encodes its reply (any thread).
    static func answer(_ job: Job) -> Result {
        let start = DispatchTime.now().uptimeNanoseconds
        let reply = job.read.compute()
        var bytes: [UInt8] = []
        var cursor = ReplyCursor(reply)
        cursor.encode(into: &bytes, budget: .max)
        let errorCode: ErrorCode? = if case .error(let code, _) = reply { code } else { nil }
        let micros = Int64((DispatchTime.now().uptimeNanoseconds - start) / 1000)
        return Result(connection: job.connection, ticket: job.ticket, command: job.read.command, bytes: bytes,
                      errorCode: errorCode, microseconds: micros)
    }
}
