#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ReliefCore

/// `reliefctl bench --workload watch`: N subscribers (`watch CHANNELS`) read the event feed; each
/// EVENT line received in the measured window is counted, and the time from the entry's `time=`
/// (when the daemon made it, just before its commit) to its receipt here is put in a histogram
/// of milliseconds. A subscriber cut off by the daemon (an `ERR` line) is counted and closed.
final class WatchBenchWorker: @unchecked Sendable {
    // @unchecked: each worker is run by one thread and read after it is joined.
    let connections: [Connection]
    let measureStart: UInt64
    let measureEnd: UInt64
    /// Lines received in the window, and the latency histogram (index: milliseconds, the last
    /// bucket: that many or more).
    private(set) var events = 0
    private(set) var histogram = [Int](repeating: 0, count: 60_001)
    private(set) var cutOff = 0
    private(set) var failure: String?
    private var partial: [[UInt8]]
    private var readBuffer = [UInt8](repeating: 0, count: 256 << 10)

    init(connections: [Connection], measureStart: UInt64, measureEnd: UInt64) {
        self.connections = connections
        self.measureStart = measureStart
        self.measureEnd = measureEnd
        partial = Array(repeating: [], count: connections.count)
    }

    static func wallMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    private static let timeKey = Array(" time=".utf8)

    /// The milliseconds of `time=YYYY-MM-DDTHH:MM:SS.mmmZ` in a line, or nil. Cheap, as the
    /// measuring instrument must be (it shares the daemon's cores): no allocation, and the date's
    /// day parsed once while it stays the same (`day`).
    static func time(in line: ArraySlice<UInt8>, day: inout (text: [UInt8], days: Int64)?) -> Int64? {
        let key = timeKey
        var start = line.startIndex
        let last = line.endIndex - key.count - 24
        while start <= last {
            if line[start] == 0x20 && line[start + 1] == 0x74 && line[(start + 2)..<(start + key.count)].elementsEqual(key[2...]) { break }
            start += 1
        }
        guard start <= last else { return nil }
        let at = start + key.count
        guard line[at + 10] == 0x54, line[at + 23] == 0x5A else { return nil }
        let dayText = line[at..<(at + 10)]
        let days: Int64
        if let known = day, known.text.elementsEqual(dayText) {
            days = known.days
        } else {
            guard let parsed = Day(iso8601: String(decoding: dayText, as: UTF8.self)) else { return nil }
            days = Int64(parsed.daysSinceEpoch)
            day = (Array(dayText), days)
        }
        func number(_ offset: Int, _ count: Int) -> Int64? {
            var value: Int64 = 0
            for index in (at + offset)..<(at + offset + count) {
                let byte = line[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }
        guard let hours = number(11, 2), let minutes = number(14, 2), let seconds = number(17, 2), let millis = number(20, 3) else { return nil }
        return (days * 86_400 + hours * 3600 + minutes * 60 + seconds) * 1000 + millis
    }

    func run() {
        var day: (text: [UInt8], days: Int64)?
        var fds = connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        var open = [Bool](repeating: true, count: connections.count)
        while failure == nil {
            let now = Monotonic.now()
            if now >= measureEnd { return }
            let waitMs = Int32(max(1, min(100, (measureEnd - now) / 1_000_000)))
            let ready = poll(&fds, nfds_t(fds.count), waitMs)
            if ready < 0 {
                if errno == EINTR { continue }
                failure = "poll: \(errnoText(errno))"
                return
            }
            for index in fds.indices where open[index] && fds[index].revents != 0 {
                let count = readBuffer.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
                if count <= 0 {
                    if count < 0 && (errno == EAGAIN || errno == EINTR) { continue }
                    open[index] = false
                    fds[index].fd = -1
                    continue
                }
                let received = Monotonic.now()
                let wall = WatchBenchWorker.wallMilliseconds()
                let inWindow = received >= measureStart && received < measureEnd
                var bytes = partial[index]
                partial[index] = []
                bytes.append(contentsOf: readBuffer[0..<count])
                var lineStart = 0
                while let newline = bytes[lineStart...].firstIndex(of: 0x0A) {
                    let line = bytes[lineStart..<newline]
                    lineStart = newline + 1
                    if line.starts(with: "EVENT ".utf8) {
                        guard inWindow else { continue }
                        events += 1
                        if let time = WatchBenchWorker.time(in: line, day: &day) {
                            histogram[Int(min(max(wall - time, 0), 60_000))] += 1
                        }
                    } else if line.starts(with: "ERR".utf8) {
                        cutOff += 1
                        open[index] = false
                        fds[index].fd = -1
                        break
                    }
                }
                bytes.removeFirst(lineStart)
                partial[index] = bytes
            }
        }
    }
}

extension BenchCommand {
    /// The watch workload: subscribe every connection, then read for the measured window.
    func runWatch(_ endpoint: Endpoint) throws -> Int32 {
        var connections: [Connection] = []
        let channels = watchChannels.split(separator: " ").map(String.init)
        for _ in 0..<clients {
            let connection = try Connection.open(endpoint, timeout: timeout)
            try connection.send(Array((RequestLine.build(["watch"] + channels) + "\n").utf8), timeout: timeout)
            if case .error(let code, let message) = try connection.nextReply(timeout: timeout) {
                throw ConnectionError("watch refused: ERR \(code) \(message)")
            }
            connections.append(connection)
        }
        let threadCount = min(clients, threads ?? max(4, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) / 2))
        let start = Monotonic.now()
        let measureStart = start + UInt64(warmup * 1e9)
        let measureEnd = measureStart + UInt64((duration ?? 5) * 1e9)
        let workers = (0..<threadCount).map { thread in
            WatchBenchWorker(connections: stride(from: thread, to: clients, by: threadCount).map { connections[$0] },
                             measureStart: measureStart, measureEnd: measureEnd)
        }
        var threads: [pthread_t] = []
        for worker in workers {
            var thread = pthread_t()
            let box = Unmanaged.passRetained(worker).toOpaque()
            let status = pthread_create(&thread, nil, { raw in
                Unmanaged<WatchBenchWorker>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, box)
            precondition(status == 0, "pthread_create failed: \(errnoText(status))")
            threads.append(thread)
        }
        for thread in threads { pthread_join(thread, nil) }
        var histogram = [Int](repeating: 0, count: 60_001)
        for worker in workers { for (index, count) in worker.histogram.enumerated() { histogram[index] += count } }
        let events = workers.reduce(0) { $0 + $1.events }
        let cutOff = workers.reduce(0) { $0 + $1.cutOff }
        let timed = histogram.reduce(0, +)
        func percentile(_ p: Double) -> Int {
            guard timed > 0 else { return 0 }
            let rank = Int((Double(timed) * p).rounded(.up))
            var seen = 0
            for (index, count) in histogram.enumerated() {
                seen += count
                if seen >= max(rank, 1) { return index }
            }
            return histogram.count - 1
        }
        let seconds = duration ?? 5
        let line = "workload=watch clients=\(clients) channels=\"\(watchChannels)\" events=\(events) seconds=\(seconds) "
            + "events_per_s=\(Int(Double(events) / seconds)) latency_p50_ms=\(percentile(0.5)) latency_p99_ms=\(percentile(0.99)) "
            + "latency_max_ms=\(histogram.lastIndex { $0 > 0 } ?? 0) cut_off=\(cutOff)"
        Terminal.out(line + "\n")
        if let failure = workers.lazy.compactMap(\.failure).first {
            Terminal.err("reliefctl bench: FAILED: \(failure)\n")
            return 2
        }
        return 0
    }
}
