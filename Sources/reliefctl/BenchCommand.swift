#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ReliefCore
import ReliefEngine
import ReliefProtocol

/// `reliefctl bench`: N connections, each keeping D requests in flight, for a bounded time or
/// request count after a warm-up; prints throughput and latency percentiles as one logfmt line.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure reliefd throughput and latency.",
        discussion: """
        read:  stock query warehouse=W item=I
        write: stock receive W I 1 supplier=bench   (a durable write)
        find:  volunteer find skill=S available near=LAT,LON radius=30km limit=20, at random points
               in Shanxi (import a roster first: deploy/bench roster)
        ping:  ping (how long another client waits for the loop, e.g. while others flood it)
        watch: each connection subscribes (watch --channels) and reads the event feed: events
               received per second, and the time from each entry's time= to its receipt

        With the default warehouse and item, the bench region, warehouse and item are created first
        (CONFLICT ignored). Requests sent during the warm-up are not counted. ERR replies are counted
        (warm-up included) and reported; the exit status is 1 when there were any, 2 on connection errors.
        """)

    enum Workload: String, CaseIterable, ExpressibleByArgument { case read, write, find, ping, watch }

    @ParentCommand var root: ReliefCtl

    @Option(help: "Connections, each on its own socket.") var clients: Int = 50
    @Option(help: "Requests kept in flight on each connection.") var pipeline: Int = 16
    @Option(help: "Seconds to measure (after the warm-up). Default 5 unless --requests is given.") var duration: Double?
    @Option(help: "Measure this many requests in total instead of a duration.") var requests: Int?
    @Option(help: "read, write, find, ping or watch.") var workload: Workload = .read
    @Option(help: "Channels the watch workload subscribes to, space-separated.") var watchChannels: String = "stock"
    @Option(help: "Skill the find workload looks for.") var skill: String = "first-aid"
    @Option(help: "Seed of the find workload's random points.") var seed: UInt64 = 1
    @Option(help: "Warehouse to query or receive into.") var warehouse: String = "bench-01"
    @Option(help: "Item SKU to query or receive.") var item: String = "bench-item"
    @Option(help: "Seconds of unmeasured warm-up.") var warmup: Double = 0.5
    @Option(help: "Driver threads, each polling its share of the connections (default: 4, or half the CPUs if more).") var threads: Int?
    @Option(help: "Seconds without any reply before giving up.") var timeout: Double = 10
    @Option(help: ArgumentHelp("Unix socket of the daemon.", valueName: "path")) var socket: String?
    @Option(help: ArgumentHelp("Connect over TCP, e.g. 127.0.0.1:7878.", valueName: "host:port")) var tcp: String?
    @Flag(help: "Print the result as a JSON object.") var json = false
    @Flag(help: "Skip creating the bench region, warehouse and item (a follower takes no writes from a Unix-socket client: create them on the leader first).")
    var noSetup = false

    func validate() throws {
        guard (1...10_000).contains(clients) else { throw ValidationError("--clients must be 1 to 10000") }
        guard (1...4096).contains(pipeline) else { throw ValidationError("--pipeline must be 1 to 4096") }
        if duration != nil && requests != nil { throw ValidationError("give --duration or --requests, not both") }
        if let duration, !(duration > 0 && duration <= 3600) { throw ValidationError("--duration must be more than 0 and at most 3600 seconds") }
        if let requests, !(1...1_000_000_000).contains(requests) { throw ValidationError("--requests must be 1 to 1000000000") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be 1 to 256") }
        guard warmup >= 0 && warmup <= 60 else { throw ValidationError("--warmup must be 0 to 60 seconds") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    var requestLines: [String] {
        switch workload {
        case .read:
            return [RequestLine.build(["stock", "query", "warehouse=" + warehouse, "item=" + item])]
        case .write:
            return [RequestLine.build(["stock", "receive", warehouse, item, "1", "supplier=bench"])]
        case .ping, .watch:
            return ["ping"]
        case .find:
            // Random points in Shanxi's bounding box (34.6–40.7 N, 110.2–114.6 E), a fixed sequence per seed.
            var random = SplitMix64(seed: seed)
            return (0..<4096).map { _ in
                let lat = 34.6 + random.unit() * 6.1
                let lon = 110.2 + random.unit() * 4.4
                let near = BenchResult.fixed(lat, 4) + "," + BenchResult.fixed(lon, 4)
                return RequestLine.build(["volunteer", "find", "skill=" + skill, "available", "near=" + near, "radius=30km", "limit=20"])
            }
        }
    }

    /// Runs the benchmark; returns the exit status.
    func execute() throws -> Int32 {
        let endpoint = try Endpoint.resolve(socket: socket, tcp: tcp, environment: environment())
        if workload == .watch { return try runWatch(endpoint) }
        if workload != .find && workload != .ping && warehouse == "bench-01" && item == "bench-item" { try prepare(endpoint) }

        var connections: [Connection] = []
        for _ in 0..<clients { connections.append(try Connection.open(endpoint, timeout: timeout)) }

        // A few threads rather than one: with the daemon on the same cores, one polling thread that
        // is scheduled out stalls every connection at once (measured: 1 thread ~85k reads/s, 4 ~150k).
        let threadCount = min(clients, threads ?? max(4, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) / 2))
        let requestBytes = requestLines.map { Array(($0 + "\n").utf8) }
        let start = Monotonic.now()
        let measureStart = start + UInt64(warmup * 1e9)
        let measured = duration ?? (requests == nil ? 5 : nil)
        let measureEnd = measured.map { measureStart + UInt64($0 * 1e9) }
        var workers: [BenchWorker] = []
        for thread in 0..<threadCount {
            let mine = stride(from: thread, to: clients, by: threadCount).map { index in
                let quota = requests.map { $0 / clients + (index < $0 % clients ? 1 : 0) } ?? 0
                return BenchStream(connection: connections[index], pipeline: pipeline, quota: quota)
            }
            workers.append(BenchWorker(streams: mine, requests: requestBytes, pipeline: pipeline,
                                       measureStart: measureStart, measureEnd: measureEnd, stallTimeout: timeout))
        }
        BenchCommand.runThreads(workers)

        var samples: [UInt64] = []
        for worker in workers { samples.append(contentsOf: worker.samples) }
        samples.sort()
        let completed: Int
        let seconds: Double
        if let measured {
            completed = workers.reduce(0) { $0 + $1.completedInWindow }
            seconds = measured
        } else {
            completed = samples.count
            let last = workers.map(\.lastMeasuredCompletion).max() ?? measureStart
            seconds = last > measureStart ? Double(last - measureStart) / 1e9 : 0
        }
        let errors = workers.reduce(0) { $0 + $1.errors }
        let result = BenchResult(workload: workload.rawValue, clients: clients, pipeline: pipeline,
                                 requests: completed, seconds: seconds, latencies: samples, errors: errors)
        Terminal.out((json ? result.json : result.logfmt) + "\n")

        if let failure = workers.lazy.compactMap(\.failure).first {
            Terminal.err("reliefctl bench: FAILED: \(failure)\n")
            return 2
        }
        if errors > 0 {
            let first = workers.lazy.compactMap(\.firstError).first ?? "?"
            let what = workload == .write ? "WRITES REFUSED — durable-write numbers are NOT valid" : "requests refused"
            Terminal.err("reliefctl bench: \(errors) \(what); first reply: \(first)\n")
            return 1
        }
        return 0
    }

    /// Creates the bench region, warehouse and item if missing; CONFLICT means they exist.
    func prepare(_ endpoint: Endpoint) throws {
        guard !noSetup else { return }
        var setup = [
            "region add bench name=Bench",
            "warehouse add bench-01 name=\"Bench depot\" region=bench at=37.87,112.55",
            "item add bench-item name=\"Bench item\" category=bench unit=piece",
        ]
        // A query should find a row, as a real one would.
        if workload == .read { setup.append("stock receive bench-01 bench-item 1 supplier=bench") }
        let connection = try Connection.open(endpoint, timeout: timeout)
        for line in setup {
            try connection.send(Array((line + "\n").utf8), timeout: timeout)
            let reply = try connection.nextReply(timeout: timeout)
            if case .error(let code, let message) = reply, code != "CONFLICT" {
                throw ConnectionError("bench set-up \"\(line)\" failed: ERR \(code) \(message)")
            }
        }
    }

    static func runThreads(_ workers: [BenchWorker]) {
        if workers.count == 1 {
            workers[0].run()
            return
        }
        var threads: [pthread_t] = []
        for worker in workers {
            var thread = pthread_t()
            let box = Unmanaged.passRetained(worker).toOpaque()
            let status = pthread_create(&thread, nil, { raw in
                Unmanaged<BenchWorker>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, box)
            precondition(status == 0, "pthread_create failed: \(errnoText(status))")
            threads.append(thread)
        }
        for thread in threads { pthread_join(thread, nil) }
    }
}
