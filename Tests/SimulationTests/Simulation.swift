import Foundation
import ReliefCore
import ReliefEngine
import ReliefProtocol
@testable import ReliefServer
@testable import ReliefStore

/// A seeded, deterministic simulation of reliefd (in the manner of TigerBeetle's VOPR): the real
/// engine, commit pipeline, server and connection machines (SimServer), a simulated store
/// (SimDisk), clients and a clock, all driven by one SplitMix64 seed. Clients pipeline random
/// valid and invalid requests, retry with `req=` tokens, stall, drop mid-line and reconnect; the
/// store fails, tears and goes away; the process crashes at any step and restarts from what the
/// simulated disk holds; the wall clock jumps. After every step the invariants are checked, and a
/// failure names its seed and step, so `deploy/simulate SEED` replays it exactly.
///
/// One seed in three runs the PostgreSQL deployment instead: two daemons (SimServer and
/// SimLeader, the real LeadershipMachine) on one simulated database, clients spread over both;
/// leadership moves when the leader is killed, when the database goes away, and when the lock
/// session dies at the database without the leader knowing (its commits are then fenced).
struct Simulation {
    struct Failure: Error, CustomStringConvertible {
        var seed: UInt64
        var step: Int
        var message: String
        var trace: [String]
        var description: String {
            "seed \(seed) failed at step \(step): \(message)\n  last events:\n    " + trace.joined(separator: "\n    ")
        }
    }

    struct Stats {
        var steps = 0
        var requests = 0
        var acknowledgedWrites = 0
        var crashes = 0
        var commitFaults = 0
        var outages = 0
        var clockJumps = 0
        var disconnects = 0
        var retries = 0
        var imports = 0
        var offloaded = 0
        var postgresSeeds = 0
        var leaderChanges = 0
        var lockKills = 0
    }

    let seed: UInt64
    private var random: SplitMix64
    private var now: UInt64 = 0
    private let wall: WallBox
    private var disk = SimDisk()
    /// One daemon on SQLite; two on PostgreSQL, each with its backend (`leaders`).
    private var servers: [SimServer] = []
    private var leaders: [SimLeader] = []
    private var postgres: Bool { !leaders.isEmpty }
    /// The daemon each client talks to.
    private var home: [Int]
    private let pids = PIDs()
    private var lastLeader: Int32?
    private var clients: [SimClient]
    private var trace: [String] = []
    private(set) var stats = Stats()
    private var nextTick: UInt64 = 1000
    private var nextBackendTick: UInt64 = 100
    private var step = 0
    private let maxUncommitted: Int

    /// The engine's wall clock: a box the simulation moves (forward, and now and then back).
    final class WallBox: @unchecked Sendable {
        var milliseconds: Int64 = 1_796_000_000_000
    }

    /// Backend pids of PostgreSQL sessions, as the database hands them out.
    final class PIDs {
        var next: Int32 = 100
        func take() -> Int32 {
            next += 1
            return next
        }
    }

    init(seed: UInt64, clients count: Int = 6) {
        self.seed = seed
        random = SplitMix64(seed: seed)
        wall = WallBox()
        maxUncommitted = random.int(0...3) == 0 ? 8 : 100_000
        clients = (0..<count).map { SimClient(id: $0) }
        home = Array(repeating: 0, count: count)
        let postgres = random.int(0...2) == 0
        // The operation every client works on: a region, two warehouses and one item.
        var setup = State()
        let engine = Engine(state: setup, clock: Simulation.clock(wall))
        for line in ["region add sx name=Shanxi", "warehouse add wh-a name=A region=sx at=37.87,112.55",
                     "warehouse add wh-b name=B region=sx at=37.70,112.70", "item add water name=Water category=water unit=bottle",
                     "incident open flood title=Flood kind=flood at=37.80,112.60 region=sx severity=4",
                     "need add flood supply water 40 priority=1"] {
            let outcome = engine.handle(line: line, actor: "setup")
            precondition(!outcome.reply.isError, "setup: \(line)")
            disk.forceAppend(outcome.entries)
        }
        setup = engine.state
        if postgres {
            stats.postgresSeeds = 1
            for daemon in 0..<2 {
                servers.append(bootPostgres(now: 0))
                leaders.append(SimLeader(pids: pids.take))
                start(daemon)
            }
        } else {
            servers = [Simulation.boot(state: setup, wall: wall, now: 0, maxUncommitted: maxUncommitted)]
        }
    }

    private func bootPostgres(now: UInt64) -> SimServer {
        let server = SimServer(state: State(), clock: Simulation.clock(wall), now: now, maxUncommitted: maxUncommitted, snapshotEvery: 500,
                               unavailableUntilLoaded: "connecting to PostgreSQL")
        server.step(.started, now: now)
        return server
    }

    /// PostgreSQL: the daemon's backend starts (PostgresBackend.start).
    private mutating func start(_ daemon: Int) {
        post(leaders[daemon].handle(.started, now: now, disk: &disk, random: &random), to: daemon)
    }

    private func post(_ results: [StoreWorker.Result], to daemon: Int) {
        for result in results { servers[daemon].step(.store(result), now: now) }
    }

    private func server(of client: Int) -> SimServer { servers[home[client]] }

    private static func clock(_ wall: WallBox) -> Clock {
        Clock { Timestamp(milliseconds: wall.milliseconds) }
    }

    private static func boot(state: State, wall: WallBox, now: UInt64, maxUncommitted: Int) -> SimServer {
        let server = SimServer(state: state, clock: clock(wall), now: now, maxUncommitted: maxUncommitted, snapshotEvery: 500)
        server.step(.started, now: now)
        return server
    }

    private mutating func note(_ text: String) {
        trace.append("[\(step) t=\(now)] " + text)
        if trace.count > 60 { trace.removeFirst(trace.count - 60) }
    }

    private func fail(_ message: String) -> Failure {
        Failure(seed: seed, step: step, message: message, trace: trace)
    }

    private mutating func chance(_ perMille: Int) -> Bool { random.int(0...999) < perMille }

    /// Runs `steps` steps, or until an invariant fails.
    mutating func run(steps: Int) throws(Failure) {
        while step < steps {
            step += 1
            try oneStep()
        }
        try quiesce()
    }

    private mutating func oneStep() throws(Failure) {
        stats.steps += 1
        now += UInt64(random.int(0...3))
        wall.milliseconds += Int64(random.int(0...3))

        // Faults.
        if chance(1) {
            let jump = random.int(0...9) == 0 ? -Int64(random.int(1...3_600_000)) : Int64(random.int(60_000...259_200_000))
            wall.milliseconds += jump
            stats.clockJumps += 1
            note("wall clock jumps \(jump) ms")
        }
        if chance(2), now >= disk.downUntil {
            disk.downUntil = now + UInt64(random.int(20...800))
            stats.outages += 1
            note("store unreachable until t=\(disk.downUntil)")
            for daemon in leaders.indices {
                post(leaders[daemon].connectionsLost("simulated database unreachable", now: now, disk: &disk, random: &random), to: daemon)
            }
        }
        if postgres, chance(2) {
            let daemon = random.int(0...1)
            leaders[daemon].lockKilledAtDatabase(&disk)
            stats.lockKills += 1
            note("daemon \(daemon)'s lock session dies at the database (it does not know yet)")
        }
        if chance(2) {
            crashAndRestart()
            return
        }

        // The store finishes what is due.
        if postgres {
            for daemon in leaders.indices {
                let results = leaders[daemon].finishDue(now: now, disk: &disk, random: &random)
                for result in results { note("daemon \(daemon) store → \(result.summary)") }
                post(results, to: daemon)
            }
            if let owner = disk.lockOwner, owner != lastLeader {
                lastLeader = owner
                stats.leaderChanges += 1
                note("the leader lock is held by session \(owner)")
            }
        } else {
            while let result = disk.finishNext(now: now) {
                guard let result else { continue }
                note("store → \(result.summary)")
                servers[0].step(.store(result), now: now)
            }
        }

        // The off-loop thread finishes its job when it will.
        for server in servers where server.offloadOut != nil && chance(250) {
            stats.offloaded += 1
            note("off-loop job done")
            server.finishOffload(now: now)
        }

        // Clients act.
        let client = random.int(0...(clients.count - 1))
        try act(client)

        // The loop turn: run lines, end the turn, hand jobs to the store, deliver replies.
        for id in clients.indices where server(of: id).connections[id] != nil {
            server(of: id).run(client: id, lines: random.int(1...8), now: now)
        }
        endTurn()
        handOverJobs()
        try deliverReplies()
        try checkInvariants()
    }

    /// Every daemon's loop turn ends; its timers fire when due (the server's each second, the
    /// PostgreSQL backend's every 100 ms).
    private mutating func endTurn() {
        for server in servers { server.step(.turnEnded, now: now) }
        if now >= nextTick {
            nextTick = now + 1000
            for server in servers { server.step(.tick, now: now) }
        }
        if postgres, now >= nextBackendTick {
            nextBackendTick = now + 100
            for daemon in leaders.indices { post(leaders[daemon].handle(.tick, now: now, disk: &disk, random: &random), to: daemon) }
        }
    }

    private mutating func handOverJobs(faults: Bool = true) {
        for daemon in servers.indices {
            let jobs = servers[daemon].submitted
            servers[daemon].submitted.removeAll()
            for job in jobs {
                if postgres {
                    hand(job, toBackendOf: daemon)
                    continue
                }
                var fate = SimDisk.Fate.normal
                if faults, case .commit = job {
                    if chance(30) { fate = .fail; stats.commitFaults += 1 } else if chance(20) { fate = .torn; stats.commitFaults += 1 }
                }
                disk.submit(job, due: now + (faults ? UInt64(random.int(0...(chance(50) ? 400 : 12))) : 1), fate: fate)
            }
        }
    }

    /// A job for a PostgreSQL daemon's backend, as PostgresBackend.submit takes it.
    private mutating func hand(_ job: StoreWorker.Job, toBackendOf daemon: Int) {
        switch job {
        case .commit(let entries), .commitStaged(let entries):
            post(leaders[daemon].handle(.commit(entries), now: now, disk: &disk, random: &random), to: daemon)
        case .snapshot(let state):
            // Encoded and stored on the store session; only by the leader, with the database there.
            if leaders[daemon].leads(disk), now >= disk.downUntil, state.lastSeq <= disk.lastSeq {
                let seal = disk.storeSnapshot(state)
                post([.snapshotWritten(seal: seal, bytes: 0, encodeMicroseconds: 0, storeMicroseconds: 0)], to: daemon)
            } else {
                post([.snapshotFailed("simulated: not leading, or the database unreachable")], to: daemon)
            }
        case .recover(let probe):
            post(leaders[daemon].handle(.recover(probe: probe), now: now, disk: &disk, random: &random), to: daemon)
        case .stop:
            post(leaders[daemon].handle(.stop, now: now, disk: &disk, random: &random), to: daemon)
        case .stage, .discardStaged, .storeSnapshot:
            break
        }
    }

    private mutating func act(_ id: Int) throws(Failure) {
        let roll = random.int(0...99)
        if server(of: id).connections[id] == nil {
            if postgres { home[id] = random.int(0...(servers.count - 1)) }
            if roll < 60, server(of: id).connect(client: id, now: now) != nil {
                clients[id].connected()
                note("client \(id) connects\(postgres ? " to daemon \(home[id])" : "")")
            }
            return
        }
        switch roll {
        case 0..<4:
            stats.imports += 1
            stats.requests += 1
            note("client \(id) sends an import")
            for line in clients[id].nextImport(&random) { send(Array((line + "\n").utf8), to: id) }
        case 4..<55:
            // Pipeline a few requests (retries of unknown outcomes first).
            for _ in 0..<random.int(1...4) {
                let line = clients[id].nextRequest(&random)
                if line.isRetry { stats.retries += 1 }
                stats.requests += 1
                send(Array((line.text + "\n").utf8), to: id)
            }
        case 55..<62:
            // Garbage: invalid UTF-8, control bytes, an overlong line, a half line then more.
            let junk: [UInt8] = switch random.int(0...3) {
            case 0: [0xFF, 0xFE, 0x41, 0x0A]
            case 1: Array("stock receive wh-a water -5 lot=x\n".utf8)
            case 2: Array(repeating: 0x61, count: 5000) + [0x0A]
            default: Array("frobnicate \u{1}now\n".utf8)
            }
            clients[id].sentUnanswerable()
            stats.requests += 1
            send(junk, to: id)
        case 62..<70:
            clients[id].stalled.toggle()
            note("client \(id) \(clients[id].stalled ? "stops" : "resumes") reading")
        case 70..<73:
            // Drops, maybe in the middle of a line.
            if random.int(0...1) == 0 { send(Array("stock receive wh-a wat".utf8), to: id) }
            server(of: id).disconnect(client: id, now: now)
            clients[id].disconnected()
            stats.disconnects += 1
            note("client \(id) disconnects")
        default:
            break
        }
    }

    private mutating func send(_ bytes: [UInt8], to id: Int) {
        guard let connection = server(of: id).connections[id] else { return }
        bytes.withUnsafeBytes { connection.machine.received($0, now: now) }
    }

    private mutating func deliverReplies() throws(Failure) {
        for id in clients.indices where !clients[id].stalled {
            let bytes = server(of: id).output(client: id)
            guard !bytes.isEmpty else { continue }
            let replies = clients[id].receive(bytes)
            for (request, reply) in replies {
                guard let request else { throw fail("client \(id) got a reply it did not ask for: \(reply)") }
                if request.text == "import commit" || request.text == "import abort" {
                    try checkImport(request, reply, client: id)
                }
                if let token = request.token, case .ok = reply, request.isWrite {
                    stats.acknowledgedWrites += 1
                    // Acknowledged means durable: the token's completion is in the journal, once.
                    let key = "uid:\(1000 + id) " + token
                    guard disk.tokens[key] == 1 else {
                        throw fail("write req=\(token) of client \(id) acknowledged but in the durable journal \(disk.tokens[key] ?? 0) times")
                    }
                }
            }
        }
    }

    /// An import applies whole or not at all: acknowledged, every row is durable; refused (bad
    /// row, aborted), none; UNAVAILABLE (a commit that failed, maybe after writing), all or none.
    private func checkImport(_ request: SimClient.Sent, _ reply: ReplyReader.Parsed, client id: Int) throws(Failure) {
        let durable = request.imports.filter { disk.volunteers.contains($0) }.count
        switch reply {
        case .ok where request.text == "import commit":
            if request.importHasBadRow { throw fail("client \(id): an import with a bad row was acknowledged: \(reply)") }
            if durable != request.imports.count {
                throw fail("client \(id): import acknowledged but \(durable) of its \(request.imports.count) volunteers are durable")
            }
        case .error(let code, _) where code == "UNAVAILABLE":
            if durable != 0 && durable != request.imports.count {
                throw fail("client \(id): import half applied: \(durable) of \(request.imports.count) volunteers durable")
            }
        default:
            if durable != 0 { throw fail("client \(id): import refused (\(reply)) but \(durable) of its volunteers are durable") }
        }
    }

    private mutating func crashAndRestart() {
        stats.crashes += 1
        if postgres {
            // kill -9 of one daemon: its sessions end (the lock is free), a commit it had out may
            // have landed; it starts again with nothing loaded.
            let daemon = random.int(0...(servers.count - 1))
            leaders[daemon].killed(disk: &disk, random: &random)
            note("daemon \(daemon) killed; restarting")
            for id in clients.indices where home[id] == daemon && servers[daemon].connections[id] != nil { clients[id].disconnected() }
            servers[daemon] = bootPostgres(now: now)
            leaders[daemon] = SimLeader(pids: pids.take)
            start(daemon)
            return
        }
        let landed = random.int(0...1) == 0
        disk.crash(inFlightCommitLanded: landed)
        note("process killed (a commit in flight \(landed ? "landed" : "was lost")); restarting from the disk at seq \(disk.lastSeq)")
        for id in clients.indices where servers[0].connections[id] != nil { clients[id].disconnected() }
        let state: State
        do {
            state = try disk.rebuild()
        } catch {
            fatalError("seed \(seed): the durable journal does not replay: \(error)")
        }
        servers[0] = Simulation.boot(state: state, wall: wall, now: now, maxUncommitted: maxUncommitted)
        nextTick = now + 1000
    }

    /// The daemon that writes now, if one is settled: on SQLite the one; on PostgreSQL the one
    /// holding the lock with its state loaded and nothing out to the database.
    private func settledWriter() -> SimServer? {
        if !postgres { return servers[0] }
        return leaders.indices.first { leaders[$0].leads(disk) && leaders[$0].isIdle }.map { servers[$0] }
    }

    private func checkInvariants() throws(Failure) {
        for server in servers where server.life.committedSeq > disk.lastSeq {
            throw fail("committed_seq \(server.life.committedSeq) is past the durable journal (\(disk.lastSeq))")
        }
        if let twice = disk.tokens.first(where: { $0.value > 1 }) {
            throw fail("req= \(twice.key) completed \(twice.value) times in the durable journal: a write applied twice")
        }
        if step % 50 == 0 {
            for server in servers {
                let violations = server.engine.state.invariantViolations()
                if !violations.isEmpty { throw fail("state invariants: \(violations.prefix(3))") }
            }
        }
        if step % 331 == 0, let server = settledWriter(), server.life.isAvailable, server.life.pipeline.isIdle {
            // Nothing in flight and the store available: the live state is exactly the journal replayed.
            let replayed: State
            do { replayed = try disk.rebuild() } catch { throw fail("the durable journal does not replay: \(error)") }
            if replayed.lastSeq != server.engine.state.lastSeq || replayed.snapshotText() != server.engine.state.snapshotText() {
                throw fail("the live state (seq \(server.engine.state.lastSeq)) differs from the journal replayed (seq \(replayed.lastSeq))")
            }
            if let fromSnapshot = try? disk.rebuildFromSnapshot(), fromSnapshot.snapshotText() != replayed.snapshotText() {
                throw fail("the newest sealed snapshot plus the journal after it differs from the journal replayed")
            }
        }
    }

    /// The end of a run: faults stop, the store comes back, every client reads; every request still
    /// owed an answer gets one, and the live state is the journal replayed.
    private mutating func quiesce() throws(Failure) {
        disk.downUntil = 0
        for id in clients.indices { clients[id].stalled = false }
        var writer: SimServer?
        for _ in 0..<8000 {
            now += 5
            if postgres {
                for daemon in leaders.indices { post(leaders[daemon].finishDue(now: now, disk: &disk, random: &random), to: daemon) }
            } else {
                while let result = disk.finishNext(now: now) {
                    guard let result else { continue }
                    servers[0].step(.store(result), now: now)
                }
            }
            for server in servers { server.finishOffload(now: now) }
            for id in clients.indices where server(of: id).connections[id] != nil { server(of: id).run(client: id, lines: 64, now: now) }
            endTurn()
            // No more faults: every job goes as it should (PostgreSQL commits keep their own small odds).
            handOverJobs(faults: false)
            try deliverReplies()
            let owed = clients.indices.contains { server(of: $0).connections[$0] != nil && clients[$0].owed > 0 }
            writer = settledWriter()
            if !owed, let writer, writer.life.isAvailable, writer.life.pipeline.isIdle, disk.queue.isEmpty,
               servers.allSatisfy({ $0.gate.outstanding == 0 }) { break }
        }
        if let stuck = clients.indices.first(where: { server(of: $0).connections[$0] != nil && clients[$0].owed > 0 }) {
            throw fail("client \(stuck) still owed \(clients[stuck].owed) replies after the faults ended")
        }
        guard let writer, writer.life.isAvailable else { throw fail("no daemon took writes after the faults ended") }
        let replayed: State
        do { replayed = try disk.rebuild() } catch { throw fail("the durable journal does not replay: \(error)") }
        if replayed.snapshotText() != writer.engine.state.snapshotText() {
            throw fail("at rest, the live state differs from the journal replayed")
        }
        let violations = replayed.invariantViolations()
        if !violations.isEmpty { throw fail("state invariants at rest: \(violations.prefix(3))") }
    }
}

extension SimDisk {
    /// The setup entries, durable before the first start.
    mutating func forceAppend(_ entries: [Entry]) {
        submit(.commit(entries), due: 0, fate: .normal)
        _ = finishNext(now: 0)
    }
}

extension StoreWorker.Result {
    var summary: String {
        switch self {
        case .committed(let upTo, let count, _, _): "committed \(count) up to \(upTo)"
        case .commitFailed(let message): "commit failed: \(message)"
        case .staged, .stageFailed: "staged"
        case .snapshotWritten(let seal, _, _, _): "snapshot written at \(seal.snapshotSeq)"
        case .snapshotFailed(let message): "snapshot failed: \(message)"
        case .recovered(let state, let writable, _, _, _): "re-read at seq \(state.lastSeq)\(writable ? "" : " (read-only)")"
        case .recoveryFailed(let message): "re-read failed: \(message)"
        case .stopped: "stopped"
        case .storeLost(let message): "store lost: \(message)"
        case .role(let role, _): "role \(role)"
        case .followed(let entries, _): "followed \(entries.count)"
        }
    }
}
