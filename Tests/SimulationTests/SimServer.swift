import ReliefCore
import ReliefEngine
import ReliefProtocol
@testable import ReliefServer

/// One simulated reliefd process: the real Engine, ServerMachine (commit pipeline, recovery,
/// snapshots, shutdown) and a ConnectionMachine per client, glued the way Server glues them — the
/// same admission and reply decisions (`admitWrite`, `replyWait`), the same actions performed —
/// with the simulated store in place of the writer thread and direct calls in place of libuv.
final class SimServer {
    let engine: Engine
    private(set) var life: ServerMachine
    /// Open connections by client id; each client has at most one.
    private(set) var connections: [Int: SimConnection] = [:]
    private var parkedForCommit: [Int] = []
    /// Store jobs this process handed over, for the simulation to pass to the disk.
    var submitted: [StoreWorker.Job] = []
    private(set) var handlesClosed = false

    final class SimConnection {
        let client: Int
        let actor: String
        var machine: ConnectionMachine
        init(client: Int, limits: ConnectionMachine.Limits, now: UInt64) {
            self.client = client
            actor = "uid:\(1000 + client)"
            machine = ConnectionMachine(limits: limits, now: now)
        }
    }

    static let limits = ConnectionMachine.Limits(maxLine: 4096, softOutput: 16 << 10, hardOutput: 1 << 20)

    init(state: State, clock: Clock, now: UInt64, maxUncommitted: Int, snapshotEvery: Int64) {
        engine = Engine(state: state, clock: clock)
        life = ServerMachine(settings: .init(snapshotEvery: snapshotEvery, snapshotIntervalMilliseconds: 60_000, maxUncommitted: maxUncommitted),
                             lastSeq: state.lastSeq, loadedSnapshotSeq: 0, loadedSnapshotCovers: 0,
                             unavailableUntilLoaded: nil, now: now, maxRequest: 100_000)
    }

    var world: ServerMachine.World {
        ServerMachine.World(lastSeq: engine.state.lastSeq, connections: connections.count)
    }

    func step(_ event: ServerMachine.Event, now: UInt64) {
        perform(life.handle(event, now: now, world: world))
    }

    // MARK: connections

    func connect(client: Int, now: UInt64) -> SimConnection? {
        guard !life.isStopping, connections[client] == nil else { return nil }
        let connection = SimConnection(client: client, limits: SimServer.limits, now: now)
        connections[client] = connection
        return connection
    }

    func disconnect(client: Int, now: UInt64) {
        connections[client] = nil
        if life.isStopping { step(.progress, now: now) }
    }

    /// Runs up to `lines` lines of one client, as Connection.step does.
    func run(client: Int, lines: Int, now: UInt64) {
        guard let connection = connections[client] else { return }
        var ran = 0
        while ran < lines, let event = connection.machine.nextEvent(now: now) {
            ran += 1
            switch event {
            case .line(let line):
                execute(line, connection)
            case .overlong(let length):
                connection.machine.enqueue(.error(.limit, "request line of \(length) bytes exceeds max_line"), waitSeq: 0,
                                           committedSeq: life.committedSeq)
            }
        }
    }

    /// The output each client may take now (replies whose commits are durable, in order).
    func output(client: Int) -> [UInt8] {
        guard let connection = connections[client] else { return [] }
        var bytes: [UInt8] = []
        // A large reply is encoded a slice at a time, as the client takes what is ready.
        var more = true
        while more {
            more = connection.machine.produce(committedSeq: life.committedSeq)
            bytes += connection.machine.takeReady()
        }
        return bytes
    }

    // MARK: requests (Server.execute and deliver, for the commands the simulation sends)

    private func execute(_ line: [UInt8], _ connection: SimConnection) {
        let request: Request
        switch RequestParser.parse(bytes: line) {
        case .success(let parsed): request = parsed
        case .failure(let error):
            deliver(Outcome(reply: .error(error.code, error.message)), to: connection)
            return
        }
        if request.words.isEmpty && request.options.isEmpty && request.requestToken == nil { return }
        if engine.isMutating(request) {
            switch life.admitWrite() {
            case .run: break
            case .waitForCommits:
                connection.machine.park(line)
                connection.machine.block()
                parkedForCommit.append(connection.client)
                return
            case .refuse(let refused):
                connection.machine.enqueue(.error(.unavailable, refused), waitSeq: 0, committedSeq: life.committedSeq)
                return
            }
        }
        deliver(engine.handle(request, actor: connection.actor, role: .coordinator), to: connection)
    }

    private func deliver(_ outcome: Outcome, to connection: SimConnection) {
        if !outcome.entries.isEmpty { life.enqueue(outcome.entries) }
        switch life.replyWait(outcomeWait: outcome.waitForSeq, lastSeq: engine.state.lastSeq) {
        case .success(let waitSeq):
            connection.machine.enqueue(outcome.reply, waitSeq: waitSeq, committedSeq: life.committedSeq)
        case .failure(let refusal):
            connection.machine.enqueue(.error(.unavailable, refusal.message), waitSeq: 0, committedSeq: life.committedSeq)
        }
    }

    // MARK: actions (Server.perform)

    private func perform(_ actions: [ServerMachine.Action]) {
        for action in actions {
            switch action {
            case .commit(let batch): submitted.append(.commit(batch))
            case .stageMore, .abandonStaging: break
            case .takeSnapshot: submitted.append(.snapshot(engine.state))
            case .journalSeal(let seal):
                let unchangedSince = engine.state.lastSeq == seal.snapshotSeq
                life.enqueueSeal(engine.record(seal.event), unchangedSince: unchangedSince)
            case .recover(let probe): submitted.append(.recover(probe: probe))
            case .flushWaiting: break // output() produces for every client
            case .failWaiting(let after, let reply, let release):
                for connection in connections.values {
                    connection.machine.failQueued(after: after, with: reply)
                    if release { connection.machine.releaseHeld() }
                }
            case .releaseHeld:
                for connection in connections.values { connection.machine.releaseHeld() }
            case .releaseParkedWriters:
                guard !life.commitsBehind else { break }
                let parked = parkedForCommit
                parkedForCommit.removeAll()
                for client in parked { connections[client]?.machine.unblock() }
            case .resetState(let state): engine.reset(to: state)
            case .stopAccepting: break
            case .closeConnectionsWhenFlushed: break
            case .stopStore: submitted.append(.stop)
            case .closeHandles: handlesClosed = true
            case .log: break
            }
        }
    }
}
