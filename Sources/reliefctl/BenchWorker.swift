#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One benchmark connection: its socket, the send times of its requests in flight (a ring of
/// `pipeline` slots, replies come back in request order) and its unsent bytes.
final class BenchStream {
    let connection: Connection
    var sendTimes: [UInt64]
    var measured: [Bool]
    var head = 0
    var inFlight = 0
    var counter = ReplyCounter()
    var output: [UInt8] = []
    var outputOffset = 0
    var quota: Int
    var open = true

    init(connection: Connection, pipeline: Int, quota: Int) {
        self.connection = connection
        sendTimes = [UInt64](repeating: 0, count: pipeline)
        measured = [Bool](repeating: false, count: pipeline)
        self.quota = quota
    }
}

/// Drives a share of the benchmark connections from one thread with a poll() loop, keeping
/// `pipeline` requests in flight on each. Raw sockets and preallocated buffers: no Foundation,
/// no strings, one clock read per wake-up.
final class BenchWorker: @unchecked Sendable {
    let streams: [BenchStream]
    /// The requests sent, in turn (one for read and write; many random points for find).
    let requests: [[UInt8]]
    private var nextRequest = 0
    let pipeline: Int
    let measureStart: UInt64
    /// End of the measured window in duration mode; nil in request-count mode.
    let measureEnd: UInt64?
    let stallTimeout: UInt64

    private(set) var samples: [UInt64] = []
    private(set) var completedInWindow = 0
    private(set) var lastMeasuredCompletion: UInt64 = 0
    private(set) var failure: String?
    var errors: Int { streams.reduce(0) { $0 + $1.counter.errors } }
    var firstError: String? { streams.lazy.compactMap { $0.counter.firstError }.first }

    private var readBuffer = [UInt8](repeating: 0, count: 256 << 10)

    init(streams: [BenchStream], requests: [[UInt8]], pipeline: Int, measureStart: UInt64, measureEnd: UInt64?, stallTimeout: Double) {
        precondition(!requests.isEmpty)
        self.streams = streams
        self.requests = requests
        self.pipeline = pipeline
        self.measureStart = measureStart
        self.measureEnd = measureEnd
        self.stallTimeout = UInt64(stallTimeout * 1e9)
        samples.reserveCapacity(1 << 20)
    }

    @inline(__always)
    private func canSend(_ stream: BenchStream, _ now: UInt64) -> Bool {
        guard stream.open, stream.inFlight < pipeline else { return false }
        if let measureEnd { return now < measureEnd }
        return now < measureStart || stream.quota > 0
    }

    func run() {
        var fds = [pollfd](repeating: pollfd(fd: -1, events: 0, revents: 0), count: streams.count)
        var now = Monotonic.now()
        var lastProgress = now
        while failure == nil {
            var busy = false
            for (index, stream) in streams.enumerated() {
                fill(stream, now)
                flush(stream)
                var events: Int16 = 0
                if stream.open && stream.inFlight > 0 { events |= Int16(POLLIN) }
                if stream.open && stream.outputOffset < stream.output.count { events |= Int16(POLLOUT) }
                fds[index] = pollfd(fd: events == 0 ? -1 : stream.connection.fd, events: events, revents: 0)
                if events != 0 || canSend(stream, now) { busy = true }
            }
            if !busy { break }

            let ready = poll(&fds, nfds_t(fds.count), 20)
            now = Monotonic.now()
            if ready < 0 && errno != EINTR {
                failure = "poll failed: \(errnoText(errno))"
                break
            }
            if ready <= 0 {
                if streams.contains(where: { $0.inFlight > 0 }) && now - lastProgress > stallTimeout {
                    failure = "no reply for \(Double(stallTimeout) / 1e9) s"
                }
                continue
            }
            for (index, stream) in streams.enumerated() where fds[index].revents != 0 {
                if fds[index].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    if receive(stream, now) { lastProgress = now }
                }
            }
        }
    }

    /// Queues requests until `pipeline` are in flight, stamping each with the send time.
    @inline(__always)
    private func fill(_ stream: BenchStream, _ now: UInt64) {
        while canSend(stream, now) {
            let slot = (stream.head + stream.inFlight) % pipeline
            stream.sendTimes[slot] = now
            let inWindow = now >= measureStart && (measureEnd == nil || now < measureEnd!)
            stream.measured[slot] = inWindow
            if inWindow && measureEnd == nil { stream.quota -= 1 }
            stream.output.append(contentsOf: requests[nextRequest])
            nextRequest = nextRequest + 1 == requests.count ? 0 : nextRequest + 1
            stream.inFlight += 1
        }
    }

    private func flush(_ stream: BenchStream) {
        guard stream.open, stream.outputOffset < stream.output.count else { return }
        let result = stream.output.withUnsafeBytes { raw in
            send(stream.connection.fd, raw.baseAddress! + stream.outputOffset, raw.count - stream.outputOffset, Int32(MSG_NOSIGNAL))
        }
        if result > 0 {
            stream.outputOffset += result
            if stream.outputOffset == stream.output.count {
                stream.output.removeAll(keepingCapacity: true)
                stream.outputOffset = 0
            }
        } else if result < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            failure = "cannot write to \(stream.connection.endpoint): \(errnoText(errno))"
            stream.open = false
        }
    }

    /// Reads and accounts for replies; true when any arrived.
    private func receive(_ stream: BenchStream, _ now: UInt64) -> Bool {
        var progressed = false
        while true {
            let count = readBuffer.withUnsafeMutableBytes { read(stream.connection.fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno != EAGAIN && errno != EWOULDBLOCK {
                    failure = "cannot read from \(stream.connection.endpoint): \(errnoText(errno))"
                    stream.open = false
                }
                return progressed
            }
            if count == 0 {
                stream.open = false
                if stream.inFlight > 0 {
                    failure = "\(stream.connection.endpoint) closed a connection with \(stream.inFlight) requests unanswered"
                }
                return progressed
            }
            let done = readBuffer.withUnsafeBytes { stream.counter.scan(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            if done > stream.inFlight {
                failure = "more replies than requests on one connection: the reply stream is out of step"
                stream.open = false
                return progressed
            }
            if done > 0 { complete(stream, done, now) }
            progressed = progressed || done > 0
            if count < readBuffer.count { return progressed }
        }
    }

    @inline(__always)
    private func complete(_ stream: BenchStream, _ done: Int, _ now: UInt64) {
        let countsInWindow = measureEnd.map { now >= measureStart && now <= $0 } ?? false
        for _ in 0..<done {
            let slot = stream.head
            if stream.measured[slot] {
                samples.append(now &- stream.sendTimes[slot])
                if measureEnd == nil { lastMeasuredCompletion = now }
            }
            if countsInWindow { completedInWindow += 1 }
            stream.head = (slot + 1) % pipeline
            stream.inFlight -= 1
        }
    }
}
