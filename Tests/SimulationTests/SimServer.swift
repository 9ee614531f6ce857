import ReliefCore
import ReliefEngine
import ReliefProtocol
@testable import ReliefServer

/// One simulated reliefd process: the real Engine, ServerMachine (commit pipeline, recovery,
/// snapshots, shutdown), WorkGate (write barrier, parked writers, the off-loop queue), ImportBuffer
/// and a ConnectionMachine per client, glued the way Server glues them — the same admission and
/// reply decisions (`admitWrite`, `replyWait`, `WorkGate.admit`), the same actions performed —
/// with the simulated store in place of the writer thread, one job slot the simulation finishes
/// when it chooses in place of the off-loop thread, and direct calls in place of libuv.
final class SimServer {
    let engine: Engine
    private(set) var life: ServerMachine
    /// Open connections by client id; each client has at most one.
    private(set) var connections: [Int: SimConnection] = [:]
    /// Which writes wait and the off-loop queue, as in Server (keyed by connection id).
    private(set) var gate = WorkGate<ImportRecheck, OffloadWorker.Result>()
    /// The job on the simulated off-loop thread, finished by `finishOffload` when the simulation says.
    private(set) var offloadOut: OffloadWorker.Job?
    private var nextConnectionId = 1
    /// Store jobs this process handed over, for the simulation to pass to the disk.
    var submitted: [StoreWorker.Job] = []
    private(set) var handlesClosed = false

    final class SimConnection {
        /// Unique per connection (as Server's), so nothing meant for a closed one reaches the
        /// client's next connection.
        let id: Int
        let client: Int
        let actor: String
        var machine: ConnectionMachine
        var importing: ImportBuffer?
        init(id: Int, client: Int, limits: ConnectionMachine.Limits, now: UInt64) {
            self.id = id
            self.client = client
            actor = "uid:\(1000 + client)"
            machine = ConnectionMachine(limits: limits, now: now)
        }
    }

    static let limits = ConnectionMachine.Limits(maxLine: 4096, softOutput: 16 << 10, hardOutput: 1 << 20)

    /// `unavailableUntilLoaded`: a PostgreSQL daemon starts with nothing loaded, writes refused.
    init(state: State, clock: Clock, now: UInt64, maxUncommitted: Int, snapshotEvery: Int64, unavailableUntilLoaded: String? = nil) {
        engine = Engine(state: state, clock: clock)
        life = ServerMachine(settings: .init(snapshotEvery: snapshotEvery, snapshotIntervalMilliseconds: 60_000, maxUncommitted: maxUncommitted),
                             lastSeq: state.lastSeq, loadedSnapshotSeq: 0, loadedSnapshotCovers: 0,
                             unavailableUntilLoaded: unavailableUntilLoaded, now: now, maxRequest: 100_000)
    }

    var world: ServerMachine.World {
        ServerMachine.World(lastSeq: engine.state.lastSeq, offloads: gate.outstanding, connections: connections.count,
                            importBusy: gate.barrierUp)
    }

    func step(_ event: ServerMachine.Event, now: UInt64) {
        perform(life.handle(event, now: now, world: world))
    }

    // MARK: connections

    func connect(client: Int, now: UInt64) -> SimConnection? {
        guard !life.isStopping, connections[client] == nil else { return nil }
        let connection = SimConnection(id: nextConnectionId, client: client, limits: SimServer.limits, now: now)
        nextConnectionId += 1
        connections[client] = connection
        return connection
    }

    func disconnect(client: Int, now: UInt64) {
        connections[client] = nil
        if life.isStopping { step(.progress, now: now) }
    }

    /// The open connection with this id (nil once closed).
    private func connection(id: Int) -> SimConnection? {
        connections.values.first { $0.id == id }
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
        if connection.importing != nil {
            if ImportBuffer.isCommit(line) {
                let admission = gate.admit(life.admitWrite())
                if admission == .waitForBarrier || admission == .waitForCommits {
                    park(line, connection, for: admission)
                    return
                }
            }
            continueImport(line, connection)
            return
        }
        let request: Request
        switch RequestParser.parse(bytes: line) {
        case .success(let parsed): request = parsed
        case .failure(let error):
            deliver(Outcome(reply: .error(error.code, error.message)), to: connection)
            return
        }
        if request.words.isEmpty && request.options.isEmpty && request.requestToken == nil { return }
        if request.words.first?.lowercased() == "import" {
            beginImport(request, connection)
            return
        }
        let admission = gate.admit(life.admitWrite())
        if admission != .run, engine.isMutating(request) {
            if case .refuse(let refused) = admission {
                refuse(refused, connection)
            } else {
                park(line, connection, for: admission)
            }
            return
        }
        if let deferred = engine.offload(request, as: .system(connection.actor)) {
            connection.machine.block()
            if gate.offload(request, connection: connection.id) { submit(.request(deferred), for: connection.id) }
            return
        }
        deliver(engine.handle(request, as: .system(connection.actor)), to: connection)
    }

    private func refuse(_ reason: String, _ connection: SimConnection) {
        connection.machine.enqueue(.error(.unavailable, reason), waitSeq: 0, committedSeq: life.committedSeq)
    }

    private func park(_ line: [UInt8], _ connection: SimConnection, for admission: WorkGate<ImportRecheck, OffloadWorker.Result>.Admission) {
        connection.machine.park(line)
        connection.machine.block()
        gate.park(connection.id, for: admission)
    }

    // MARK: imports (Server.beginImport, continueImport, startRecheck, finishRecheck; no writing ahead)

    private func beginImport(_ request: Request, _ connection: SimConnection) {
        guard request.words.count > 1, request.words[1].lowercased() == "begin" else {
            connection.machine.enqueue(.error(.conflict, "no import is open on this connection"), waitSeq: 0, committedSeq: life.committedSeq)
            return
        }
        var begun = ImportBuffer.begin(request, maxRows: 1000, maxBytes: 1 << 20)
        if let refused = life.writesRefused { begun = .failure(RequestError(.unavailable, refused)) }
        switch begun {
        case .success(var buffer):
            buffer.attach(engine.beginImport(allowed: buffer.allowed, as: .system(connection.actor)))
            connection.importing = buffer
            connection.machine.enqueue(.ok(["import": buffer.kind?.rawValue ?? ""]), waitSeq: 0, committedSeq: life.committedSeq)
        case .failure(let error):
            connection.importing = ImportBuffer.refused(request, error)
            connection.machine.enqueue(ImportBuffer.refusalReply(error), waitSeq: 0, committedSeq: life.committedSeq)
        }
    }

    private func continueImport(_ line: [UInt8], _ connection: SimConnection) {
        switch connection.importing!.take(line) {
        case .buffered: break
        case .reply(let reply): connection.machine.enqueue(reply, waitSeq: 0, committedSeq: life.committedSeq)
        case .end(let reply):
            connection.importing = nil
            connection.machine.enqueue(reply, waitSeq: 0, committedSeq: life.committedSeq)
        case .beginAgain:
            connection.importing = nil
            execute(line, connection)
        case .relay:
            preconditionFailure("the simulation's daemons lead; none relays an import")
        case .commit(let session, _):
            // The simulated clients send no req= with an import's commit.
            connection.importing = nil
            if let refused = life.writesRefused { return refuse(refused, connection) }
            if engine.importNeedsRecheck(session) {
                connection.machine.block()
                gate.startRecheck(engine.recheckImport(session), connection: connection.id)
                startNextOffload()
                return
            }
            let outcome = engine.finishImport(session)
            if !outcome.entries.isEmpty { life.enqueue(outcome.entries) }
            connection.machine.enqueue(outcome.reply, waitSeq: max(outcome.waitForSeq, engine.state.lastSeq), committedSeq: life.committedSeq)
        }
    }

    // MARK: the off-loop thread (Server.startNextOffload, drainOffloaded, finishOffloaded)

    private func submit(_ work: OffloadWorker.Work, for connection: Int) {
        gate.submitted()
        offloadOut = OffloadWorker.Job(connection: connection, work: work)
    }

    private func startNextOffload() {
        while let job = gate.nextJob() {
            switch job {
            case .recheck(let id, let recheck):
                submit(.importRecheck(recheck), for: id)
            case .request(let id, let request):
                guard let connection = connection(id: id) else { continue }
                if let refused = life.writesRefused, engine.isMutating(request) {
                    refuse(refused, connection)
                    connection.machine.unblock()
                } else if let deferred = engine.offload(request, as: .system(connection.actor)) {
                    submit(.request(deferred), for: id)
                } else {
                    deliver(engine.handle(request, as: .system(connection.actor)), to: connection)
                    connection.machine.unblock()
                }
            }
        }
    }

    /// The off-loop job is done: its work runs now (as the thread would have), and its result is
    /// finished on the loop as Server.drainOffloaded does.
    func finishOffload(now: UInt64) {
        guard let job = offloadOut else { return }
        offloadOut = nil
        var value: (any Sendable)?
        switch job.work {
        case .request(let deferred): value = deferred.compute()
        case .importRecheck(let recheck): recheck.run()
        }
        let result = OffloadWorker.Result(connection: job.connection, work: job.work, value: value, microseconds: 0)
        switch result.work {
        case .request(let deferred):
            if let now = gate.jobFinished(result, isWrite: engine.isMutating(deferred.request)) { finishOffloaded(now, deferred) }
        case .importRecheck(let recheck):
            let waited = gate.recheckFinished()
            finishRecheck(recheck, for: result.connection)
            for held in waited.held {
                if case .request(let deferred) = held.work { finishOffloaded(held, deferred) }
            }
            for id in waited.parked { connection(id: id)?.machine.unblock() }
        }
        startNextOffload()
        if life.isStopping { step(.progress, now: now) }
    }

    private func finishOffloaded(_ result: OffloadWorker.Result, _ deferred: Engine.Deferred) {
        guard let connection = connection(id: result.connection) else { return }
        if let refused = life.writesRefused, engine.isMutating(deferred.request) {
            refuse(refused, connection)
            connection.machine.unblock()
            return
        }
        switch engine.complete(deferred, result: result.value!) {
        case .again(let again):
            if gate.offload(again.request, connection: connection.id) { submit(.request(again), for: connection.id) }
        case .outcome(let outcome):
            deliver(outcome, to: connection)
            connection.machine.unblock()
        }
    }

    private func finishRecheck(_ recheck: ImportRecheck, for id: Int) {
        guard let connection = connection(id: id) else { return }
        defer { connection.machine.unblock() }
        if let refused = life.writesRefused { return refuse(refused, connection) }
        guard engine.generation == recheck.session.generation else {
            connection.machine.enqueue(.error(.conflict, "the state was reloaded from the store while the import was checked; nothing was imported; send it again"),
                                       waitSeq: 0, committedSeq: life.committedSeq)
            return
        }
        deliver(engine.finishImport(recheck.session), to: connection)
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
                for id in gate.commitsCaughtUp() { connection(id: id)?.machine.unblock() }
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
