#if canImport(Glibc)
import Glibc
#endif
import CLibUV
import Logging
import ReliefCore
import ReliefEngine
import ReliefMatching
import ReliefProtocol
import ReliefStore
import ReliefLimits
import ReliefHTTP

/// The daemon's event loop: one libuv loop thread owns the Engine (and so all state), every
/// connection and the commit pipeline. Like Redis's `beforeSleep`, the end of each loop turn (a
/// `uv_check` handle) hands the turn's entries to the writer thread as one batch; replies that
/// depend on them go out when the writer reports the commit. The commit, recovery, snapshot and
/// shutdown decisions are ServerMachine's (`life`); this class performs its actions with libuv.
public final class Server {
    /// What the server runs with, resolved once at start-up (ServerSettings.resolve).
    public let settings: ServerSettings
    public var configuration: Configuration { settings.configuration }
    let logger: Logger
    let engine: Engine
    let loop: UnsafeMutablePointer<uv_loop_t>
    static let readBufferSize = Limits.readBuffer
    let readBuffer: UnsafeMutablePointer<CChar>

    /// The commit, recovery, snapshot and shutdown life (ServerMachine): this class performs what
    /// it decides.
    private var life: ServerMachine
    var committedSeq: Int64 { life.committedSeq }
    private var pipeline: CommitPipeline { life.pipeline }
    private var connections: [Int: Connection] = [:]
    private var waiting: [Int: Connection] = [:]
    /// Connections with lines left to run or a large reply to encode, stepped in turn by `stepper`
    /// (an idle handle, which keeps the loop from sleeping while any are left).
    private var runQueue = RunQueue()
    private let stepper: UnsafeMutablePointer<uv_idle_t>
    private var stepperActive = false
    /// Time one loop turn may spend running clients' lines, all clients together: past it, lines
    /// wait for the next turn, so a ping behind a hundred floods waits one budget, not a hundred.
    static let turnBudgetNanoseconds: UInt64 = Limits.turnNanoseconds
    /// When this turn's budget ends (uv_hrtime), once the turn has run a line; 0 before that.
    private var turnBudgetEnds: UInt64 = 0
    /// Open connections by peer and transport, the slot limits, and refusals by reason.
    private var slots: ConnectionSlots
    private var nextConnectionId = 1
    private var listeners: [Listener] = []
    private let worker: StoreBackend
    private let storeLocation: String
    /// While standby (PostgreSQL, another reliefd leads): why every request but ping, help and info is refused.
    var standbyRefusal: String? { life.standbyRefusal }

    private let endOfTurn: UnsafeMutablePointer<uv_check_t>
    private let writerResults: UnsafeMutablePointer<uv_async_t>
    /// Work too large for the loop (a plan over every open need) runs on this thread.
    private let offloader: OffloadWorker
    /// systemd's notifications (READY, STOPPING, the watchdog); nothing when not under systemd.
    private let notifier = ServiceNotifier()
    private let offloadResults: UnsafeMutablePointer<uv_async_t>
    /// Reads answered from a copy of the state on other threads (`read_threads`; nil: none).
    private let readPool: ReadPool?
    private let readResults: UnsafeMutablePointer<uv_async_t>
    /// The client whose line ran first this loop turn, and whether another's ran too: a read is
    /// handed to the pool only when the loop has other work, so a lone client's lone find is never
    /// slowed by the hand-off.
    private var turnClient = 0
    private var turnShared = false
    /// Clients whose read waits for room in the pool (their line parked), first come first served.
    private var readWaiters: [Int] = []
    private var readWaitersHead = 0
    /// Reads the pool answered since start (`info reads_pooled`).
    private var readsPooled: Int64 = 0
    /// Which writes wait (an import's re-check, commits behind) and the off-loop queue (WorkGate).
    private var gate = WorkGate<ImportRecheck, OffloadWorker.Result>()
    /// Failed logins per peer, and the replies held back to slow them (AuthThrottle).
    private var authThrottle = AuthThrottle()
    private var heldAuthReplies: [(connection: Int, due: UInt64, reply: Reply)] = []
    /// Requests refused for lack of rights, and failed logins, since start (`info`).
    private var denials = 0
    /// Looks at the alerts since start (`info alert_checks`): the first one looks at everything.
    private var alertChecks = 0
    private var authFailures = 0
    /// Bytes of row text held by all open imports (max_import_bytes_total).
    private var importBytesOpen = 0
    private let housekeeping: UnsafeMutablePointer<uv_timer_t>
    /// The event feed's subscribers (`watch`), and the thread that reads the journal back for them.
    private(set) var feed: FeedService!
    private let feedResults: UnsafeMutablePointer<uv_async_t>
    /// The HTTP listener (`http`), its mailbox to the loop, and the answers it waits for: reads
    /// whose state is not yet durable, and failed logins held back (HTTPDeskService.swift).
    private(set) var httpDesk: LoopDesk?
    private var httpFront: HTTPFront?
    private let httpRequests: UnsafeMutablePointer<uv_async_t>
    var httpWaiting: [(seq: Int64, answer: HTTPAnswer, reply: (HTTPAnswer) -> Void)] = []
    /// Requests taken from the mailbox and not yet answered (at most the connections HTTP allows).
    var httpQueue: [LoopDesk.Job] = []
    var httpQueueHead = 0
    private var httpHeld: [(due: UInt64, answer: HTTPAnswer, reply: (HTTPAnswer) -> Void)] = []
    /// The situation board's log-ins (session cookies).
    var boardSessions = BoardSessions()
    /// Histograms and counters for `/metrics` (ServerMetrics).
    var metrics = ServerMetrics()
    /// Online drills, each on a thread of its own (DrillHost).
    private(set) var drillHost: DrillHost!
    /// The server's own handles that were opened (UV.open: each retains the server until its close
    /// callback), and those allocated but not yet opened, freed at deinit if they never are.
    private var openHandles: [UnsafeMutableRawPointer] = []
    private var unopenedHandles: Set<UnsafeMutableRawPointer> = []

    var isStopping: Bool { life.isStopping }
    /// A follower's clients whose read waits for the follower to apply a seq (connection, seq).
    private var seqWaiters: [(connection: Int, seq: Int64)] = []
    /// Writes a follower forwarded to the leader, and those that got no reply from it.
    private var forwardsSent: Int64 = 0
    private var forwardsFailed: Int64 = 0
    private let startedAt: UInt64
    /// What uv_loop_init answered; `run` refuses to start on a loop that was not made.
    private let loopStatus: Int32

    public convenience init(settings: ServerSettings, journal: Journal, state: State, logger: Logger, clock: Clock = .system) {
        self.init(settings: settings, location: journal.location, state: state,
                  loadedSnapshotSeq: journal.loadedSnapshotSeq, loadedSnapshotCovers: journal.loadedSnapshotCovers,
                  unavailableUntilLoaded: nil, logger: logger, clock: clock,
                  feedSource: (journal as? SQLiteJournal).map { sqlite in
                      let path = sqlite.path
                      return { after, limit in try SQLiteJournal.entries(path: path, after: after, limit: limit) }
                  }) { _, wake in
            StoreWorker(journal: journal, logger: logger, wakeLoop: wake)
        }
        life.headHash = journal.headHash
        if let path = (journal as? SQLiteJournal)?.path {
            // Its own read-only connection: the writer thread is never held up.
            engine.verifyJournal = { from in Server.verification { try SQLiteJournal.verify(path: path, from: from) } }
            engine.readJournal = { filter in Server.read { try SQLiteJournal.entries(path: path, matching: filter) } }
            let exports = settings.configuration.dataDir + "/exports"
            engine.exportJournal = { name in Server.export(into: exports, name) { try SQLiteJournal.export(path: path, to: $0) } }
            engine.journalHash = { seq in Server.committedHash(seq) { try SQLiteJournal.hash(path: path, seq: seq) } }
            engine.storedMoves = { query in try SQLiteJournal.moves(path: path, query) }
        }
        engine.publishDisclosure = { report, name in Server.publish(report, into: settings.configuration.dataDir + "/disclosures", name) }
    }

    /// A PostgreSQL store driven on the loop: the daemon starts with nothing loaded, writes
    /// refused, and the backend loads the state once it leads (docs/operations.md).
    public convenience init(settings: ServerSettings, postgresURL: String, password: String? = nil, logger: Logger, clock: Clock = .system) {
        self.init(settings: settings, location: PostgresStore.redacted(postgresURL), state: State(), loadedSnapshotSeq: 0,
                  loadedSnapshotCovers: 0, unavailableUntilLoaded: "connecting to PostgreSQL", logger: logger, clock: clock,
                  feedSource: PostgresFeedSource(url: postgresURL, password: password, logger: logger).read) { loop, wake in
            if settings.configuration.role == .follower {
                return FollowerBackend(url: postgresURL, password: password, pollMilliseconds: UInt64(settings.configuration.followPoll * 1000),
                                       loop: loop, wakeLoop: wake, logger: logger)
            }
            return PostgresBackend(url: postgresURL, password: password, advertise: settings.configuration.advertisedAddress,
                                   loop: loop, wakeLoop: wake, logger: logger)
        }
        engine.verifyJournal = { from in
            // A connection of its own, read only: no lock, no migration (as `reliefd verify`).
            let journal = PostgresJournal(url: postgresURL, password: password, logger: logger, timeoutSeconds: 600)
            defer { journal.close() }
            return Server.verification { try journal.verifyChain(from: from) }
        }
        engine.readJournal = { filter in
            let journal = PostgresJournal(url: postgresURL, password: password, logger: logger, timeoutSeconds: 60)
            defer { journal.close() }
            return Server.read { try journal.entries(matching: filter) }
        }
        let exports = settings.configuration.dataDir + "/exports"
        engine.exportJournal = { name in
            let journal = PostgresJournal(url: postgresURL, password: password, logger: logger, timeoutSeconds: 600)
            defer { journal.close() }
            return Server.export(into: exports, name) { try journal.export(to: $0) }
        }
        engine.journalHash = { seq in
            let journal = PostgresJournal(url: postgresURL, password: password, logger: logger, timeoutSeconds: 60)
            defer { journal.close() }
            return Server.committedHash(seq) { try journal.hash(at: seq) }
        }
        engine.storedMoves = { query in
            let journal = PostgresJournal(url: postgresURL, password: password, logger: logger, timeoutSeconds: 60)
            defer { journal.close() }
            return try journal.moves(query)
        }
        engine.publishDisclosure = { report, name in Server.publish(report, into: settings.configuration.dataDir + "/disclosures", name) }
    }

    /// The hash of an entry the loop has applied, once its commit lands: a disclosure is computed
    /// on the state as the loop holds it, which may be a batch ahead of the store. Gives up (nil)
    /// after 10 s or when the store cannot be read.
    static func committedHash(_ seq: Int64, _ read: () throws -> String?) -> String? {
        for _ in 0..<200 {
            do {
                if let found = try read() { return found }
            } catch {
                return nil
            }
            usleep(50_000)
        }
        return nil
    }

    /// `disclose file=NAME`: the page and CSV files in `directory/NAME/`, public (0755/0644), never
    /// over an existing disclosure. A report without its journal head is not published: it could
    /// not be checked later.
    static func publish(_ report: Disclosure, into directory: String, _ name: String) -> DisclosurePublished {
        guard let head = report.journalHead else {
            return .failed("the journal's hash at entry \(report.asOfSeq) could not be read from the store; nothing was written")
        }
        do {
            let files = try report.write(to: directory + "/" + name)
            var fields: Fields = ["dir": directory + "/" + name, "files": String(files.count), "as_of_seq": String(report.asOfSeq), "journal_head": head]
            fields.append("donations", String(report.donations.count))
            fields.append("money_in", Money.format(report.moneyIn))
            fields.append("money_out", Money.format(report.moneyOut))
            return .written(fields)
        } catch {
            return .failed("\(error)")
        }
    }

    /// `audit export`: the file `NAME.jsonl` in `directory` (made 0700 when missing), never over
    /// an existing export.
    static func export(into directory: String, _ name: String, _ write: (String) throws -> JournalExport.Report) -> JournalExported {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            return .failed("cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        let path = directory + "/" + name + ".jsonl"
        do {
            let report = try write(path)
            return .written(["file": path, "entries": String(report.entries), "last_seq": String(report.lastSeq),
                             "last_hash": report.lastHash, "format": JournalExport.format])
        } catch let error as StoreError {
            return .failed(error.message)
        } catch {
            return .failed("\(error)")
        }
    }

    /// `audit log`'s rows read off the loop, or why they could not be.
    static func read(_ entries: () throws -> [StoredEntry]) -> JournalRead {
        do {
            return .entries(try entries())
        } catch let error as StoreError {
            return .failed(error.message)
        } catch {
            return .failed("\(error)")
        }
    }

    /// `audit verify`'s answer from a chain check (ChainReport), run off the loop.
    static func verification(_ check: () throws -> ChainReport) -> JournalVerification {
        do {
            let report = try check()
            var fields: Fields = ["intact": "yes", "entries": String(report.entries), "last_seq": String(report.lastSeq),
                                  "last_hash": report.lastHash, "snapshots_checked": String(report.snapshotsChecked)]
            fields.append("snapshots_unsealed", String(report.snapshotsUnsealed))
            return .intact(fields)
        } catch let error as StoreError {
            return .broken(seq: error.seq, message: error.message)
        } catch {
            return .broken(seq: nil, message: "\(error)")
        }
    }

    init(settings: ServerSettings, location: String, state: State, loadedSnapshotSeq: Int64, loadedSnapshotCovers: Int64,
         unavailableUntilLoaded: String?,
         logger: Logger, clock: Clock, feedSource: FeedReader.Source? = nil,
         makeBackend: (UnsafeMutablePointer<uv_loop_t>, UnsafeMutablePointer<uv_async_t>) -> StoreBackend) {
        self.settings = settings
        self.logger = logger
        var state = state
        state.boundMoveHistory(to: settings.configuration.historyMoves)
        self.engine = Engine(state: state, clock: clock)
        engine.matchingPolicy = settings.matchingPolicy
        engine.planningStandards = settings.planningStandards
        engine.drillPeriodDays = settings.configuration.drillPeriodDays
        engine.alertThresholds = settings.configuration.alertThresholds
        engine.timeZone = settings.timeZone
        self.storeLocation = location
        slots = ConnectionSlots(limits: .init(maxClients: settings.configuration.maxClients,
                                              unixReserved: settings.configuration.unixReservedClients,
                                              perPeer: settings.configuration.maxClientsPerPeer))
        loop = .allocate(capacity: 1)
        loopStatus = uv_loop_init(loop)
        readBuffer = .allocate(capacity: Server.readBufferSize)
        // What the store last loaded from; the loop snapshots at start when there is more since.
        life = ServerMachine(settings: ServerMachine.Settings(snapshotEvery: settings.configuration.snapshotEvery,
                                                              snapshotIntervalMilliseconds: UInt64(settings.configuration.snapshotInterval * 1000),
                                                              maxUncommitted: settings.configuration.maxUncommitted),
                             lastSeq: state.lastSeq, loadedSnapshotSeq: loadedSnapshotSeq, loadedSnapshotCovers: loadedSnapshotCovers,
                             unavailableUntilLoaded: unavailableUntilLoaded, now: uv_now(loop), maxRequest: SQLiteJournal.maximumBatch)
        endOfTurn = UV.allocate(uv_check_t.self)
        stepper = UV.allocate(uv_idle_t.self)
        writerResults = UV.allocate(uv_async_t.self)
        housekeeping = UV.allocate(uv_timer_t.self)
        worker = makeBackend(loop, writerResults)
        offloadResults = UV.allocate(uv_async_t.self)
        readResults = UV.allocate(uv_async_t.self)
        feedResults = UV.allocate(uv_async_t.self)
        httpRequests = UV.allocate(uv_async_t.self)
        unopenedHandles = [UnsafeMutableRawPointer(httpRequests), UnsafeMutableRawPointer(endOfTurn), UnsafeMutableRawPointer(stepper), UnsafeMutableRawPointer(writerResults),
                           UnsafeMutableRawPointer(housekeeping), UnsafeMutableRawPointer(offloadResults), UnsafeMutableRawPointer(feedResults),
                           UnsafeMutableRawPointer(readResults)]
        offloader = OffloadWorker(wakeLoop: offloadResults)
        let readThreads = settings.configuration.readThreads
        readPool = readThreads > 0 ? ReadPool(threads: readThreads, capacity: ReadPool.capacityPerThread * readThreads, wakeLoop: readResults) : nil
        startedAt = uv_now(loop)
        engine.hostInfo = { [unowned self] in self.info() }
        drillHost = DrillHost(server: self, loop: loop)
        feed = FeedService(server: self, committedSeq: state.lastSeq, maxOutput: settings.configuration.watchMaxOutput,
                           reader: feedSource.map { FeedReader(source: $0, wakeLoop: feedResults) })
    }

    deinit {
        uv_loop_close(loop)
        loop.deallocate()
        readBuffer.deallocate()
        // Opened handles retain the server: by now each was closed and freed by its callback.
        for handle in unopenedHandles { UV.free(handle) }
    }

    /// Opens one of the server's own handles (UV.open), owned by the server until `closeOwnHandles`.
    private func open<H>(_ handle: UnsafeMutablePointer<H>, _ call: String, _ initialize: (UnsafeMutablePointer<H>) -> Int32) throws {
        try UV.open(handle, owner: self, call, initialize)
        unopenedHandles.remove(UnsafeMutableRawPointer(handle))
        openHandles.append(UnsafeMutableRawPointer(handle))
    }

    private func closeOwnHandles() {
        for handle in openHandles { UV.close(handle) }
        openHandles.removeAll()
    }

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Binds the listeners and runs the loop until a clean shutdown (SIGTERM or SIGINT).
    public func run() throws {
        try UV.check(loopStatus, "uv_loop_init")
        if configuration.http != nil {
            // First: a listener that cannot bind stops start-up before the control socket exists.
            do {
                try open(httpRequests, "uv_async_init") { uv_async_init(loop, $0) { Server.from($0).drainHTTP() } }
                try startHTTP()
            } catch {
                closeOwnHandles()
                uv_run(loop, UV_RUN_NOWAIT)
                throw error
            }
        }
        listeners.append(try Listener.unix(server: self, path: configuration.socket, mode: configuration.socketMode,
                                        group: configuration.socketGroup))
        if let tcp = configuration.tcp {
            do {
                listeners.append(try Listener.tcp(server: self, address: tcp))
            } catch {
                for listener in listeners { listener.close() }
                uv_run(loop, UV_RUN_NOWAIT)
                throw error
            }
        }

        do {
            try open(endOfTurn, "uv_check_init") { uv_check_init(loop, $0) }
            uv_check_start(endOfTurn) { Server.from($0).turnEnded() }
            try open(stepper, "uv_idle_init") { uv_idle_init(loop, $0) }
            try open(writerResults, "uv_async_init") { uv_async_init(loop, $0) { Server.from($0).drainWriter() } }
            try open(offloadResults, "uv_async_init") { uv_async_init(loop, $0) { Server.from($0).drainOffloaded() } }
            try open(readResults, "uv_async_init") { uv_async_init(loop, $0) { Server.from($0).drainReads() } }
            try open(feedResults, "uv_async_init") { uv_async_init(loop, $0) { Server.from($0).feed.drainReader() } }
            try drillHost.open(loop: loop)
            try open(housekeeping, "uv_timer_init") { uv_timer_init(loop, $0) }
            uv_timer_start(housekeeping, { Server.from($0).tick() }, 1000, 1000)
            for number in [SIGTERM, SIGINT] {
                let signal = UV.allocate(uv_signal_t.self)
                unopenedHandles.insert(UnsafeMutableRawPointer(signal))
                try open(signal, "uv_signal_init") { uv_signal_init(loop, $0) }
                uv_signal_start(signal, { handle, number in Server.from(handle).stop(signal: number) }, number)
            }
            try worker.start()
        } catch {
            for listener in listeners { listener.close() }
            httpFront?.stop()
            closeOwnHandles()
            drillHost.close()
            uv_run(loop, UV_RUN_NOWAIT)
            throw error
        }

        offloader.start()
        readPool?.start()
        // Entries replayed or loaded at start (a demo dataset, a long journal tail, a journal whose
        // snapshots have no seals yet) go into a snapshot at once, so the next start does not
        // replay them again.
        step(.started)
        logger.info("reliefd ready", metadata: [
            "socket": "\(configuration.socket)", "tcp": "\(configuration.tcp ?? "off")",
            "store": "\(storeLocation)", "seq": "\(engine.state.lastSeq)",
        ])
        notifier.ready(status: standbyRefusal == nil ? "serving at seq \(engine.state.lastSeq)" : "standby: another reliefd leads")
        uv_run(loop, UV_RUN_DEFAULT)
        logger.info("reliefd stopped", metadata: ["seq": "\(life.committedSeq)"])
    }

    /// The server that owns the handle a callback was called for.
    static func from<H>(_ handle: UnsafeMutablePointer<H>?) -> Server {
        UV.owner(of: handle.map { UnsafeMutableRawPointer($0) }, as: Server.self)
    }

    // MARK: connections

    func accept(from listener: Listener) {
        let handle: UnsafeMutableRawPointer
        switch listener.makeClientHandle(loop: loop) {
        case .success(let made): handle = made
        case .failure(let error):
            logger.warning("connection not accepted", metadata: ["error": "\(error)"])
            return
        }
        guard uv_accept(listener.stream, handle.assumingMemoryBound(to: uv_stream_t.self)) == 0 else {
            UV.close(handle)
            return
        }
        let id = nextConnectionId
        nextConnectionId += 1
        let actor = listener.actor(of: handle)
        let isTCP: Bool = if case .tcp = listener.kind { true } else { false }
        let peer = RequestScope.of(actor: actor)
        let connection = Connection(id: id, server: self, handle: handle, actor: actor, peer: peer, isTCP: isTCP,
                                    principal: principal(of: actor, on: listener), limits: connectionLimits, now: uv_now(loop))
        connections[id] = connection
        connection.startReading()
        if let refusal = slots.accepted(peer: peer, isTCP: isTCP, stopping: isStopping) {
            logger.warning("connection refused", metadata: ["peer": "\(peer)", "reason": "\(refusal.reason)"])
            connection.sendAndClose(refusal.reply, reason: refusal.reason)
            return
        }
        logger.debug("client connected", metadata: ["client": "\(id)", "actor": "\(connection.actor)",
                                                    "user": "\(connection.principal?.user ?? "-")", "role": "\(connection.principal?.role.rawValue ?? "-")"])
    }

    var connectionLimits: ConnectionMachine.Limits {
        ConnectionMachine.Limits(maxLine: configuration.maxLine, softOutput: configuration.outputSoftLimit,
                                 hardOutput: configuration.maxOutput)
    }

    /// Who a new client is. On the Unix socket, from its uid (SO_PEERCRED): an admin when listed in
    /// `admin_uids`, a coordinator in `coordinator_uids`, the user a `user add … uids=` maps it to,
    /// else `unix_default_role`. TCP clients are nobody until they `auth`.
    private func principal(of actor: String, on listener: Listener) -> Principal? {
        guard case .unix = listener.kind, actor.hasPrefix("uid:"), let uid = UInt32(actor.dropFirst(4)) else { return nil }
        if configuration.adminUIDs.contains(uid) { return Principal(user: actor, role: .admin) }
        if configuration.coordinatorUIDs.contains(uid) { return Principal(user: actor, role: .coordinator) }
        if let user = engine.state.user(uid: uid) { return Principal(user, credential: "uid=\(uid)") }
        return configuration.unixDefaultRole.map { Principal(user: actor, role: $0) }
    }

    /// Answers a client that has not authenticated: `auth`, `ping`, `help` and `quit` only.
    private func unauthenticated(_ request: Request, from connection: Connection) {
        let first = request.words.first?.lowercased() ?? ""
        switch first {
        case "auth": authenticate(request, from: connection)
        case "quit": connection.sendAndClose(.ok(["": "bye"]), reason: "quit")
        case "ping", "help": connection.send(engine.handle(request, as: Principal(user: "anonymous", role: .viewer)).reply, waitSeq: 0)
        default:
            denials += 1
            if connection.shouldLogDenial() {
                logger.warning("denied", metadata: ["client": "\(connection.id)", "peer": "\(connection.peer)", "user": "-",
                                                    "command": "\(request.words.prefix(2).joined(separator: " "))", "reason": "not authenticated"])
            }
            connection.send(.error(.denied, "not authenticated; send auth USER TOKEN first (until then only auth, ping, help and quit; reliefctl logs in with $RELIEFD_USER and $RELIEFD_TOKEN_FILE)"), waitSeq: 0)
        }
    }

    /// `session seq=yes|no`: whether this connection's replies say the journal position they show.
    private func session(_ request: Request, from connection: Connection) {
        guard request.words.count == 1, request.options.count == 1, request.requestToken == nil,
              let value = request.option("seq"), value == "yes" || value == "no" else {
            connection.send(.error(.syntax, "usage: session seq=yes|no"), waitSeq: 0)
            return
        }
        connection.reportsSeq = value == "yes"
        connection.send(.ok(["reports_seq": value]), waitSeq: 0)
    }

    /// `auth USER TOKEN`: the connection acts as that user from now on. A failure is answered
    /// after a delay that grows with the peer's failures (AuthThrottle), and logged.
    private func authenticate(_ request: Request, from connection: Connection) {
        guard request.words.count == 3, request.options.isEmpty, request.requestToken == nil else {
            connection.send(.error(.syntax, "usage: auth USER TOKEN"), waitSeq: 0)
            return
        }
        let user = request.words[1]
        if let principal = engine.authenticate(user: user, token: request.words[2]) {
            authThrottle.succeeded(peer: connection.peer)
            connection.principal = principal
            // A follower logs in at the leader as this user to forward its writes.
            if life.following { connection.credential = request.words[2] }
            logger.notice("authenticated", metadata: ["client": "\(connection.id)", "peer": "\(connection.peer)", "user": "\(principal.user)",
                                                      "role": "\(principal.role.rawValue)", "credential": "\(principal.credential ?? "")"])
            connection.send(.ok(["user": principal.user, "role": principal.role.rawValue, "scope": principal.scopeText]), waitSeq: 0)
            return
        }
        let delay = authThrottle.failed(peer: connection.peer, now: uv_now(loop))
        authFailures += 1
        logger.warning("authentication failed", metadata: ["client": "\(connection.id)", "peer": "\(connection.peer)",
                                                           "user": "\(String(user.prefix(64)))", "delay_ms": "\(delay)",
                                                           "failures": "\(authThrottle.failureCount(peer: connection.peer))"])
        connection.block()
        heldAuthReplies.append((connection.id, uv_now(loop) + delay,
                                .error(.denied, "authentication failed: unknown user, or a wrong or revoked token")))
    }

    /// Releases held replies to failed logins that are due.
    private func releaseAuthReplies(now: UInt64) {
        guard !heldAuthReplies.isEmpty else { return }
        var kept: [(connection: Int, due: UInt64, reply: Reply)] = []
        for held in heldAuthReplies {
            if held.due > now && !isStopping { kept.append(held); continue }
            guard let connection = connections[held.connection], !connection.closing else { continue }
            connection.send(held.reply, waitSeq: 0)
            connection.unblock()
        }
        heldAuthReplies = kept
    }

    /// Logs a refusal for lack of rights (`ERR DENIED`).
    private func logDenied(_ reply: Reply, request: Request, connection: Connection) {
        guard case .error(.denied, let message) = reply else { return }
        denials += 1
        guard connection.shouldLogDenial() else { return }
        logger.warning("denied", metadata: ["client": "\(connection.id)", "peer": "\(connection.peer)",
                                            "user": "\(connection.principal?.user ?? "-")", "role": "\(connection.principal?.role.rawValue ?? "-")",
                                            "command": "\(request.words.prefix(3).joined(separator: " "))", "reason": "\(message)"])
    }

    func forget(_ connection: Connection, reason: String) {
        importBytesOpen -= connection.leaderLink?.heldBytes ?? 0
        connection.leaderLink?.close()
        connection.leaderLink = nil
        if staging.isStaging(connection: connection.id) { abandonStaging() }
        if connection.importing != nil { endImport(of: connection) }
        feed.closed(connection)
        connections[connection.id] = nil
        waiting[connection.id] = nil
        runQueue.remove(connection.id)
        slots.closed(peer: connection.peer, isTCP: connection.isTCP)
        logger.debug("client closed", metadata: ["client": "\(connection.id)", "reason": "\(reason)"])
        if isStopping { step(.progress) }
    }

    func markWaiting(_ connection: Connection) {
        waiting[connection.id] = connection
    }

    /// Whether this turn may still run lines; the first call of a turn starts its budget.
    func turnBudgetLeft() -> Bool {
        let now = uv_hrtime()
        if turnBudgetEnds == 0 { turnBudgetEnds = now + Server.turnBudgetNanoseconds }
        return now < turnBudgetEnds
    }

    /// Steps `connection` on a later turn (it has lines left, or a large reply to encode). `fresh`:
    /// it has had no service for what it sent (its bytes arrived after the budget was spent).
    func scheduleStep(_ connection: Connection, fresh: Bool = false) {
        runQueue.push(connection.id, fresh: fresh)
        guard !stepperActive else { return }
        stepperActive = true
        uv_idle_start(stepper) { Server.from($0).stepRunnable() }
    }

    /// Steps waiting connections in order while the turn's budget lasts (at least one, so every
    /// turn makes progress); the idle handle stops once none wait.
    private func stepRunnable() {
        var stepped = 0
        while stepped == 0 || turnBudgetLeft(), let id = runQueue.pop() {
            stepped += 1
            connections[id]?.step(granted: stepped == 1)
        }
        if runQueue.isEmpty {
            stepperActive = false
            uv_idle_stop(stepper)
        }
    }

    // MARK: requests

    func execute(line: [UInt8], from connection: Connection) {
        if turnClient != connection.id {
            if turnClient != 0 { turnShared = true }
            turnClient = connection.id
        }
        if ProtocolGuard.looksLikeHTTP(line) {
            // A browser (any web page can reach a loopback port) or a confused client: nothing it
            // sends may run. Closed without running the rest of what it sent.
            slots.count("http")
            logger.warning("HTTP request on the control protocol; closing the connection (a web page may be trying to drive reliefd)",
                           metadata: ["client": "\(connection.id)", "peer": "\(connection.peer)",
                                      "line": "\(String(decoding: line.prefix(60), as: UTF8.self))"])
            connection.sendAndClose(.error(.denied, "this is reliefd's control protocol, not HTTP; closing"), reason: "http")
            return
        }
        if connection.importing != nil {
            if ImportBuffer.isCommit(line) {
                let admission = gate.admit(life.admitWrite())
                if admission == .waitForBarrier || admission == .waitForCommits {
                    park(line, of: connection, for: admission)
                    return
                }
            }
            continueImport(line: line, from: connection)
            return
        }
        let parsed = line.withUnsafeBytes { RequestParser.parse($0) }
        var request: Request
        switch parsed {
        case .success(let ok): request = ok
        case .failure(let error):
            reply(error: .error(error.code, error.message), to: connection)
            return
        }
        if request.words.isEmpty && request.options.isEmpty && request.requestToken == nil { return }
        guard let principal = connection.principal else {
            unauthenticated(request, from: connection)
            return
        }
        let host = Engine.hostCommand(request)
        if connection.watching, !["quit", "ping"].contains(request.words.first?.lowercased() ?? "") {
            connection.send(.error(.syntax, "this connection is watching the event feed; it takes only ping and quit (open another connection for other requests)"), waitSeq: 0)
            return
        }
        switch host?.words.first {
        case "auth":
            authenticate(request, from: connection)
            return
        case "quit":
            connection.sendAndClose(.ok(["": "bye"]), reason: "quit")
            return
        case "session":
            session(request, from: connection)
            return
        default:
            break
        }
        var minSeq: Int64 = 0
        if let value = request.option("min_seq") {
            // Read your writes: answered from a state that holds entry min_seq (docs/protocol.md).
            guard let seq = Int64(value), seq >= 0 else {
                connection.send(.error(.syntax, "bad min_seq \"\(value)\"; expected a journal seq, a whole number from 0 (the seq= of a reply)"), waitSeq: 0)
                return
            }
            minSeq = seq
            // A follower waits for it (followerHandled); a leader holds every entry there is.
            guard life.following || seq <= engine.state.lastSeq else {
                connection.send(.error(.notFound, "min_seq=\(seq) is past this journal's last entry (seq \(engine.state.lastSeq)); expected the seq= of a reply from this operation"),
                                waitSeq: 0)
                return
            }
            request.options.removeAll { $0.key == "min_seq" }
        }
        if host != nil, let (code, message) = engine.refusal(for: request, as: principal) {
            let reply = Reply.error(code, message)
            logDenied(reply, request: request, connection: connection)
            connection.send(reply, waitSeq: 0)
            return
        }
        if life.following, host == nil, followerHandled(request, line: line, minSeq: minSeq, from: connection, as: principal) { return }
        if DrillHost.handles(request), standbyRefusal == nil {
            // A drill's sandbox is its own; only `drill start … from live` reads the live state.
            drillHost.handle(request, from: connection)
            return
        }
        if host?.words == ["watch"] {
            if let refused = standbyRefusal {
                connection.send(.error(.unavailable, refused), waitSeq: 0)
            } else {
                feed.subscribe(request, from: connection, as: principal)
            }
            return
        }
        if request.word(0, is: "import") {
            // Before the standby's refusal: a refused begin must still keep its rows from running.
            beginImport(request, from: connection)
            return
        }
        if let refused = standbyRefusal, !Server.servedOnStandby(request) {
            connection.send(.error(.unavailable, refused), waitSeq: 0)
            return
        }
        let admission = gate.admit(life.admitWrite())
        if admission != .run, engine.isMutating(request) {
            if case .refuse(let refused) = admission {
                connection.send(.error(.unavailable, refused), waitSeq: 0)
            } else {
                park(line, of: connection, for: admission)
            }
            return
        }
        if let deferred = engine.offload(request, as: principal) {
            connection.block()
            if gate.offload(request, connection: connection.id) { submitOffload(deferred, for: connection) }
            return
        }
        // A listing that may be large is refused before its work when no slot is free for it: a
        // client pipelining refused exports must not make the loop compute each of them.
        if let limit = engine.listingLimit(request), limit > connectionLimits.largeRows,
           let refusal = largeListingRefusal(rows: limit, for: connection) {
            reply(error: refusal, to: connection)
            return
        }
        if shipRead(request, line: line, as: principal, from: connection) { return }
        let outcome = engine.handle(request, as: principal)
        logDenied(outcome.reply, request: request, connection: connection)
        metrics.request(engine.commandName(request), outcome.reply)
        if Server.describesDaemon(request) {
            // ping, help and info describe the daemon, not the operation: answered at once, so an
            // operator can always see what is wrong (info shows committed_seq beside seq).
            journal(outcome.entries)
            connection.send(outcome.reply, waitSeq: outcome.waitForSeq)
            return
        }
        deliver(outcome, to: connection)
    }

    // MARK: a follower's writes and reads

    /// On a follower: a write goes to the leader (`forward`); a read waits until the follower has
    /// applied what this client's last write showed, or `min_seq`. True when it was handled so.
    private func followerHandled(_ request: Request, line: [UInt8], minSeq: Int64, from connection: Connection, as principal: Principal) -> Bool {
        if engine.isMutating(request) {
            forward(request, line: line, from: connection, as: principal)
            return true
        }
        let needed = max(minSeq, connection.seenSeq)
        guard needed > engine.state.lastSeq, !Server.describesDaemon(request) else {
            connection.seqWaitUntil = nil
            return false
        }
        let now = uv_now(loop)
        if let until = connection.seqWaitUntil, now >= until {
            connection.seqWaitUntil = nil
            let database = life.isAvailable ? "" : "; its database is away (\(life.storeProblem ?? "unknown"))"
            connection.send(.error(.unavailable, "this follower has applied the journal up to seq \(engine.state.lastSeq) and has not seen seq \(needed) "
                                   + "(this client's last write, or min_seq) within \(configuration.followWaitMilliseconds) ms\(database); ask again, "
                                   + "or read from the leader\(leaderAddressText); nothing was changed"), waitSeq: 0)
            return true
        }
        if connection.seqWaitUntil == nil { connection.seqWaitUntil = now + configuration.followWaitMilliseconds }
        connection.park(line)
        seqWaiters.append((connection.id, needed))
        return true
    }

    /// " at ADDRESS" when the database names the leader's address.
    private var leaderAddressText: String {
        let address = (worker as? FollowerBackend)?.leaderAddress ?? ""
        return address.isEmpty ? "" : " at \(address)"
    }

    /// Sends a write to the leader as this client's user, with a req= token (the client's own, or
    /// one made here so the link may send it again safely); its reply keeps its place in the
    /// client's queue, and the client's next line waits for it.
    private func forward(_ request: Request, line: [UInt8], from connection: Connection, as principal: Principal) {
        guard let login = leaderLogin(of: connection) else {
            connection.send(.error(.denied, noLeaderLogin(connection, what: "writes go", sendIt: "send the write")), waitSeq: 0)
            return
        }
        var bytes = line
        while bytes.last == 0x0D || bytes.last == 0x20 || bytes.last == 0x09 { bytes.removeLast() }
        let token: String
        if let given = request.requestToken {
            token = given
        } else {
            token = Server.forwardToken()
            bytes += Array(" req=\(token)".utf8)
        }
        send(toLeader: LeaderLink.Forward(line: bytes, ticket: 0, token: token), login: login, from: connection)
    }

    /// The user and token a follower logs in at the leader with for this client: those of its
    /// `auth` (a client known by its socket uid has none).
    private func leaderLogin(of connection: Connection) -> (user: String, credential: String)? {
        guard let credential = connection.credential, let principal = connection.principal, principal.credential != nil else { return nil }
        return (principal.user, credential)
    }

    /// Why a write (`what`) cannot go to the leader for this client, and what to do instead.
    private func noLeaderLogin(_ connection: Connection, what: String, sendIt: String) -> String {
        "this reliefd is a follower: \(what) to the leader as your own user, and this connection has not logged in with a token "
            + "(\(connection.principal?.user ?? "-")); send auth USER TOKEN first, or \(sendIt) to the leader\(leaderAddressText)"
    }

    /// An import held on a follower (`ImportBuffer.relay`), sent to the leader whole with its
    /// commit: `import begin KIND`, the rows, `import commit req=TOKEN`. Its two replies come back;
    /// the begin's was already given here, so the commit's is relayed. Sent again whole when the
    /// link fails (the token makes that safe). Until it is answered its rows count twice against
    /// max_import_bytes_total: the lines held for a resend, and the copy libuv is writing.
    private func forwardImport(_ lines: [UInt8], held: Int, token: String, from connection: Connection) {
        // `import begin` was refused without a login (beginImport); the login cannot go since.
        guard let login = leaderLogin(of: connection) else { preconditionFailure("a relayed import without a login at the leader") }
        importBytesOpen += 2 * held
        send(toLeader: LeaderLink.Forward(line: lines, ticket: 0, token: token, replies: 2, held: 2 * held), login: login, from: connection)
    }

    /// A token for a write its client sent without one, so the link may send it again safely.
    private static func forwardToken() -> String {
        String(format: "f-%016llx%016llx", UInt64.random(in: 0...UInt64.max), UInt64.random(in: 0...UInt64.max))
    }

    /// Sends `forward` over the client's link to the leader (opened on its first write); its
    /// reply keeps its place in the client's queue, and the client's next line waits for it.
    private func send(toLeader forward: LeaderLink.Forward, login: (user: String, credential: String), from connection: Connection) {
        let link: LeaderLink
        if let existing = connection.leaderLink {
            link = existing
        } else {
            let id = connection.id
            link = LeaderLink(loop: loop, user: login.user, credential: login.credential, timeout: configuration.followWaitMilliseconds * 2,
                              maxReply: configuration.maxOutput,
                              address: { [unowned self] in (worker as? FollowerBackend)?.leaderAddress ?? "" },
                              answer: { [unowned self] forward, answer in forwarded(forward, answer, to: id) })
            connection.leaderLink = link
        }
        forwardsSent += 1
        var forward = forward
        forward.ticket = connection.reserveRead(waitSeq: 0)
        connection.block()
        link.forward(forward)
    }

    /// The leader's answer to a forwarded write: into its place in the client's queue; the seq it
    /// showed becomes what the client's next reads wait for.
    private func forwarded(_ forward: LeaderLink.Forward, _ answer: LeaderLink.Answer, to id: Int) {
        importBytesOpen -= forward.held
        guard let connection = connections[id], !connection.closing else { return }
        let bytes: [UInt8]
        switch answer {
        case .replied(let reply):
            if let seq = reply.seq { connection.seenSeq = max(connection.seenSeq, seq) }
            bytes = connection.reportsSeq ? reply.bytes : LeaderReplies.withoutSeq(reply)
            metrics.request("forwarded", errorCode: reply.isError ? ErrorCode(rawValue: String(reply.firstLine.split(separator: " ").dropFirst().first ?? "")) : nil)
        case .failed(let message):
            forwardsFailed += 1
            bytes = Array(TextEncoder.encode(.error(.unavailable, message)).utf8)
        }
        connection.fillRead(forward.ticket, bytes: bytes)
        connection.readsFilled()
        connection.unblock()
    }

    /// Reads that waited for entries the follower has now applied run; those that waited too long
    /// run to be refused (followerHandled).
    private func wakeSeqWaiters(now: UInt64? = nil) {
        guard !seqWaiters.isEmpty else { return }
        let lastSeq = engine.state.lastSeq
        var still: [(connection: Int, seq: Int64)] = []
        for waiter in seqWaiters {
            guard let connection = connections[waiter.connection], !connection.closing else { continue }
            let expired = now.map { now in connection.seqWaitUntil.map { now >= $0 } ?? true } ?? false
            if waiter.seq <= lastSeq || expired {
                connection.unblock()
            } else {
                still.append(waiter)
            }
        }
        seqWaiters = still
    }

    /// Hands `request` to the read pool when it is a read the pool answers (`Engine.parallelRead`)
    /// and there is other work for the loop meanwhile (more lines of this client or of others);
    /// true when it was handed over (or refused). Its reply keeps its place in the client's queue
    /// (`Connection.reserveRead`), so replies keep their order.
    private func shipRead(_ request: Request, line: [UInt8], as principal: Principal, from connection: Connection) -> Bool {
        // A pooled reply is made off the loop, without the seq= a `session seq=yes` client asked for.
        guard let pool = readPool, !connection.reportsSeq,
              pool.inFlight > 0 || turnShared || !runQueue.isEmpty || connection.machine.hasWaitingInput,
              let read = engine.parallelRead(request, as: principal, maxRows: ReadPool.maxRows) else { return false }
        guard pool.hasRoom else {
            // Every thread has work queued: the line runs again when a reply comes back. Answered
            // here instead, it would hold the loop (and every other client) for the whole search
            // while the pool's threads ran dry.
            connection.park(line)
            readWaiters.append(connection.id)
            return true
        }
        switch life.replyWait(outcomeWait: 0, lastSeq: engine.state.lastSeq) {
        case .failure(let refusal):
            connection.send(.error(.unavailable, refusal.message), waitSeq: 0)
        case .success(let waitSeq):
            readsPooled += 1
            pool.submit(ReadPool.Job(connection: connection.id, ticket: connection.reserveRead(waitSeq: waitSeq), read: read))
        }
        return true
    }

    /// Replies the read pool made: each goes into the place kept for it in its client's queue (a
    /// place a failed commit replaced meanwhile keeps the error it got, `failQueued`). Then clients
    /// whose read waited for room in the pool run it, first come first served, and only then the
    /// clients just answered go on (a read of theirs that finds the pool full waits behind those).
    private func drainReads() {
        guard let pool = readPool else { return }
        var filled: [Int: Connection] = [:]
        for result in pool.drainResults() {
            guard let connection = connections[result.connection], !connection.closing else { continue }
            metrics.request(result.command, errorCode: result.errorCode)
            connection.fillRead(result.ticket, bytes: result.bytes)
            filled[connection.id] = connection
        }
        while pool.hasRoom, readWaitersHead < readWaiters.count {
            let id = readWaiters[readWaitersHead]
            readWaitersHead += 1
            connections[id]?.unblock()
        }
        if readWaitersHead == readWaiters.count {
            readWaiters.removeAll(keepingCapacity: readWaiters.count <= 1024)
            readWaitersHead = 0
        }
        // Each client's replies of this turn go out in one write.
        for connection in filled.values { connection.readsFilled() }
        if isStopping { step(.progress) }
    }

    /// Entries the loop applied: they commit with the next batch, and the feed sends them once they have.
    private func journal(_ entries: [Entry]) {
        guard !entries.isEmpty else { return }
        life.enqueue(entries)
        written(entries)
    }

    /// Entries written, however they go to the store (a batch, a staged import): the feed holds
    /// them until they commit, and the alert monitor notes what they touched.
    private func written(_ entries: [Entry]) {
        feed.appended(entries)
        engine.alertMonitor.touched(by: entries, in: engine.state)
    }

    /// Once a second: the alerts that what changed and the time that passed raise or clear
    /// (Engine.evaluateAlerts), journaled like any write. Not while writes are refused or held,
    /// nor while an import is written ahead (another write would end that).
    private func evaluateAlerts() {
        guard writesRefused == nil, !isStopping, gate.admit(life.admitWrite()) == .run else { return }
        if case .staging = staging.state { return }
        journal(engine.evaluateAlerts())
        alertChecks += 1
    }

    /// A drill moved on: at shutdown, the last one ending lets the daemon stop.
    func drillsChanged() {
        if isStopping { step(.progress) }
    }

    /// A connection still open, by id (for answers that come back from another thread).
    func connection(_ id: Int) -> Connection? {
        guard let connection = connections[id], !connection.closing else { return nil }
        return connection
    }

    /// Records, in the live state, that these teams and volunteers took part in a drill (a drill
    /// that started from the live state has ended). Skipped, with a warning, while writes are refused.
    func recordDrill(id: String, scenario: String, teams: [String: String], volunteers: [String: String]) {
        let liveTeams = teams.filter { engine.state.teams[$0.key] != nil }.sorted { $0.key < $1.key }
        let liveVolunteers = volunteers.filter { engine.state.volunteers[$0.key] != nil }.sorted { $0.key < $1.key }
        guard !liveTeams.isEmpty || !liveVolunteers.isEmpty else { return }
        if let refused = writesRefused {
            logger.warning("drill participants not recorded", metadata: ["drill": "\(id)", "reason": "\(refused)"])
            return
        }
        var options = [Request.Option(key: "scenario", value: scenario)]
        if !liveTeams.isEmpty { options.append(.init(key: "teams", value: liveTeams.map { "\($0.key):\($0.value)" }.joined(separator: ","))) }
        if !liveVolunteers.isEmpty {
            options.append(.init(key: "volunteers", value: liveVolunteers.map { "\($0.key):\($0.value)" }.joined(separator: ",")))
        }
        let outcome = engine.handle(Request(words: ["drill", "record", id], options: options), actor: "drill:\(id)")
        journal(outcome.entries)
        logger.notice("drill participants recorded", metadata: [
            "drill": "\(id)", "teams": "\(liveTeams.count)", "volunteers": "\(liveVolunteers.count)", "reply": "\(TextEncoder.encode(outcome.reply))",
        ])
    }

    private static func describesDaemon(_ request: Request) -> Bool {
        request.word(0, is: "ping") || request.word(0, is: "info") || request.word(0, is: "help")
    }

    /// Sends a request's outcome once the state it was computed from is durable: its own entries,
    /// and for a read or a refusal every entry the state held when it was answered — a reply must
    /// never show a change that a failed commit then takes back.
    private func deliver(_ outcome: Outcome, to connection: Connection) {
        journal(outcome.entries)
        let waitSeq: Int64
        switch life.replyWait(outcomeWait: outcome.waitForSeq, lastSeq: engine.state.lastSeq) {
        case .success(let seq): waitSeq = seq
        case .failure(let refusal):
            connection.send(.error(.unavailable, refusal.message), waitSeq: 0)
            return
        }
        if let refusal = largeListingRefusal(outcome.reply, for: connection) {
            connection.send(refusal, waitSeq: 0)
            return
        }
        connection.send(outcome.reply, waitSeq: waitSeq)
    }

    /// Large listings held open at once, across all clients and per peer: each holds what its rows
    /// are made from (ids, a copy of the state) until the client has read it, so their number is
    /// what bounds that memory.
    static let largeListingsPerPeer = 2

    private func largeListingRefusal(_ reply: Reply, for connection: Connection) -> Reply? {
        let rows: Int = switch reply {
        case .rows(let rows): rows.count
        case .stream(let stream): stream.count
        case .ok, .error: 0
        }
        return largeListingRefusal(rows: rows, for: connection)
    }

    private func largeListingRefusal(rows: Int, for connection: Connection) -> Reply? {
        guard rows > connectionLimits.largeRows else { return nil }
        var open = 0
        var mine = 0
        for other in connections.values where other.machine.largeListings > 0 {
            open += other.machine.largeListings
            if other.peer == connection.peer { mine += other.machine.largeListings }
        }
        if mine >= Server.largeListingsPerPeer {
            return .error(.limit, "\(mine) large listings of yours are still being sent (more than \(connectionLimits.largeRows) rows each; at most \(Server.largeListingsPerPeer) at once); read them first, or ask for fewer rows with limit=")
        }
        if open >= configuration.maxLargeListings {
            return .error(.limit, "\(open) large listings are being sent to clients (max_large_listings \(configuration.maxLargeListings)); try again shortly, or ask for fewer rows with limit=")
        }
        return nil
    }

    /// A refusal made before the engine saw the request (syntax, standby, store down) is still
    /// computed against the current state, so it waits for it like any reply.
    private func reply(error: Reply, to connection: Connection) {
        deliver(Outcome(reply: error), to: connection)
    }

    // MARK: work off the loop

    private func submitOffload(_ deferred: Engine.Deferred, for connection: Connection) {
        gate.submitted()
        offloader.submit(OffloadWorker.Job(connection: connection.id, work: .request(deferred)))
    }

    /// Starts the next waiting job, if the offload thread is free. A waiting request's work is made
    /// now, on the state as it is now; if it no longer needs the offload thread it is handled here.
    private func startNextOffload() {
        while let job = gate.nextJob() {
            switch job {
            case .recheck(let id, let recheck):
                gate.submitted()
                offloader.submit(OffloadWorker.Job(connection: id, work: .importRecheck(recheck)))
            case .request(let id, let request):
                guard let connection = connections[id], !connection.closing else { continue }
                if let refused = writesRefused, engine.isMutating(request) {
                    connection.send(.error(.unavailable, refused), waitSeq: 0)
                    connection.unblock()
                } else if let principal = connection.principal, let deferred = engine.offload(request, as: principal) {
                    submitOffload(deferred, for: connection)
                } else {
                    let outcome = engine.handle(request, as: connection.principal ?? Principal(user: "anonymous", role: .viewer))
                    logDenied(outcome.reply, request: request, connection: connection)
                    deliver(outcome, to: connection)
                    connection.unblock()
                }
            }
        }
    }

    /// Results of off-loop work: finish each on the loop (its events go into the next commit), or
    /// run it again when the state moved too far meanwhile; then the client's later requests run.
    private func drainOffloaded() {
        for result in offloader.drainResults() {
            switch result.work {
            case .request(let deferred):
                // While an import is checked again a write's result is held: it must find the
                // state the import was checked on.
                if let now = gate.jobFinished(result, isWrite: engine.isMutating(deferred.request)) {
                    finishOffloaded(now, deferred)
                }
            case .importRecheck(let recheck):
                let waited = gate.recheckFinished()
                finishRecheck(recheck, for: result.connection, microseconds: result.microseconds)
                for held in waited.held {
                    if case .request(let deferred) = held.work { finishOffloaded(held, deferred) }
                }
                for id in waited.parked { connections[id]?.unblock() }
            }
        }
        startNextOffload()
        if isStopping { step(.progress) }
    }

    private func finishOffloaded(_ result: OffloadWorker.Result, _ deferred: Engine.Deferred) {
        guard let connection = connections[result.connection], !connection.closing else { return }
        let request = deferred.request
        logger.info("off-loop work done", metadata: [
            "client": "\(connection.id)", "command": "\(request.words.prefix(2).joined(separator: " "))",
            "attempt": "\(deferred.attempt)", "compute_ms": "\(result.microseconds / 1000)",
        ])
        if let refused = writesRefused, engine.isMutating(request) {
            connection.send(.error(.unavailable, refused), waitSeq: 0)
            connection.unblock()
            return
        }
        switch engine.complete(deferred, result: result.value!) {
        case .again(let again):
            if gate.offload(again.request, connection: connection.id) { submitOffload(again, for: connection) }
        case .outcome(let outcome):
            metrics.request(engine.commandName(request), outcome.reply)
            deliver(outcome, to: connection)
            connection.unblock()
        }
    }

    /// A standby has no state to read from: it answers only these.
    private static func servedOnStandby(_ request: Request) -> Bool {
        describesDaemon(request)
    }

    /// Why writes are refused now, or nil when they are accepted.
    private var writesRefused: String? { life.writesRefused }

    // MARK: bulk import

    /// `import begin KIND` opens an import on the connection; `import commit|abort` without one is refused.
    private func beginImport(_ request: Request, from connection: Connection) {
        let verb = request.words.count > 1 ? request.words[1].lowercased() : ""
        guard verb == "begin" else {
            let message = verb == "commit" || verb == "abort"
                ? "no import is open on this connection; expected import begin volunteers|teams|travel|stock first"
                : "unknown import command \"\(request.words.count > 1 ? request.words[1] : "")\"; expected one of: begin, commit, abort"
            connection.send(.error(verb == "commit" || verb == "abort" ? .conflict : .syntax, message), waitSeq: 0)
            return
        }
        var begun = ImportBuffer.begin(request, maxRows: configuration.maxImportRows, maxBytes: configuration.maxImportBytes)
        if life.following, case .success = begun, leaderLogin(of: connection) == nil {
            begun = .failure(RequestError(.denied, noLeaderLogin(connection, what: "an import goes", sendIt: "send it")))
        } else if let refused = standbyRefusal ?? (life.following ? nil : writesRefused) {
            begun = .failure(RequestError(.unavailable, refused))
        }
        if case .success(let buffer) = begun, let kind = buffer.kind, let principal = connection.principal,
           let denied = kind.allowed.sorted().lazy.compactMap({ self.engine.importRefusal(rowCommand: $0, kind: kind.rawValue, as: principal) }).first {
            begun = .failure(RequestError(.denied, denied))
            logDenied(.error(.denied, denied), request: request, connection: connection)
        }
        switch begun {
        case .success(var buffer):
            if life.following {
                // The leader checks and applies the rows: they are held as sent, and go there whole
                // with the commit (`forwardImport`).
                buffer.relay(token: Server.forwardToken())
            } else {
                buffer.attach(engine.beginImport(allowed: buffer.allowed, as: connection.principal ?? Principal(user: "anonymous", role: .viewer)))
            }
            connection.importing = buffer
            connection.send(.ok(["import": buffer.kind?.rawValue ?? ""]), waitSeq: 0)
        case .failure(let error):
            // Refused, but open all the same, dead: rows a client pipelined behind it are dropped.
            connection.importing = ImportBuffer.refused(request, error)
            connection.send(ImportBuffer.refusalReply(error), waitSeq: 0)
        }
    }

    private func continueImport(line: [UInt8], from connection: Connection) {
        let heldBefore = connection.importing!.bytes
        if importBytesOpen + line.count > configuration.maxImportBytesTotal {
            connection.importing!.kill("all open imports together would hold more than \(configuration.maxImportBytesTotal) bytes of rows (max_import_bytes_total)")
        }
        let action = connection.importing!.take(line)
        importBytesOpen += (connection.importing?.bytes ?? 0) - heldBefore
        switch action {
        case .buffered:
            considerStaging(connection)
        case .reply(let reply): connection.send(reply, waitSeq: 0)
        case .end(let reply):
            endImport(of: connection)
            if staging.isStaging(connection: connection.id) { abandonStaging() }
            connection.send(reply, waitSeq: 0)
        case .beginAgain:
            endImport(of: connection)
            execute(line: line, from: connection)
        case .relay(let lines, let token):
            let held = connection.importing?.bytes ?? 0
            endImport(of: connection)
            forwardImport(lines, held: held, token: token, from: connection)
        case .commit(let session, let token):
            endImport(of: connection)
            let staged = staging.take(session)
            if let refused = writesRefused {
                if staged != nil { worker.submit(.discardStaged) }
                connection.send(.error(.unavailable, refused), waitSeq: 0)
                return
            }
            // A retry of an import that applied (its token remembered) is not checked again:
            // finishImport answers it with the first reply.
            if engine.importNeedsRecheck(session, token: token?.token, digest: token?.digest) {
                // Its rows were checked on a state that has changed since: check them again off
                // the loop, and hold writes meanwhile so that check is the last word.
                if staged != nil { worker.submit(.discardStaged) }
                connection.recheckToken = token
                startRecheck(session, for: connection)
                return
            }
            let started = uv_hrtime()
            // Checked against the live state as it is: finishImport takes the session's entries as
            // they are, the very ones staged (and the token's record after them).
            let outcome = engine.finishImport(session, token: token?.token, digest: token?.digest)
            logImport(session, outcome, connection: connection, checkMicros: (uv_hrtime() - started) / 1000,
                      writtenAhead: outcome.entries.isEmpty ? 0 : staged ?? 0)
            if let staged, !outcome.entries.isEmpty {
                precondition(outcome.entries.count >= session.entryCount && staged <= session.entryCount)
                let then = life.takeStaged(outcome.entries, world: world, now: uv_now(loop))
                written(outcome.entries)
                worker.submit(.commitStaged(outcome.entries))
                perform(then)
            } else {
                if staged != nil { worker.submit(.discardStaged) }
                journal(outcome.entries)
            }
            // A refused import is computed on the live state too: it waits for it to be durable.
            connection.send(outcome.reply, waitSeq: max(outcome.waitForSeq, engine.state.lastSeq))
        }
    }

    /// A row of the connection's import was longer than max_line: the import is dead (nothing of
    /// it applies), and its commit is refused naming the row.
    func overlongRow(of connection: Connection, length: Int) {
        guard connection.importing != nil else { return }
        let heldBefore = connection.importing!.bytes
        connection.importing!.kill("a row of \(length) bytes exceeds max_line \(configuration.maxLine)")
        importBytesOpen -= heldBefore - connection.importing!.bytes
    }

    /// The connection's import is over (committed, aborted or dead): its bytes no longer count.
    private func endImport(of connection: Connection) {
        importBytesOpen -= connection.importing?.bytes ?? 0
        connection.importing = nil
    }

    private func logImport(_ session: ImportSession, _ outcome: Outcome, connection: Connection, checkMicros: UInt64, writtenAhead: Int) {
        logger.info("import", metadata: [
            "client": "\(connection.id)", "actor": "\(connection.actor)", "rows": "\(session.rowCount)",
            "entries": "\(outcome.entries.count)", "applied": "\(!outcome.reply.isError)",
            "check_ms": "\(checkMicros / 1000)", "written_ahead": "\(writtenAhead)",
        ])
    }

    // MARK: an import checked again off the loop

    private func startRecheck(_ session: ImportSession, for connection: Connection) {
        connection.block()
        logger.info("import checked again off the loop (the state changed while its rows arrived); writes wait",
                    metadata: ["client": "\(connection.id)", "rows": "\(session.rows.count)"])
        gate.startRecheck(engine.recheckImport(session), connection: connection.id)
        startNextOffload()
    }

    /// The import's re-check came back: apply it if it still holds (writes waited, so only a reload
    /// of the state from the store can have changed it).
    private func finishRecheck(_ recheck: ImportRecheck, for connectionID: Int, microseconds: Int64) {
        guard let connection = connections[connectionID], !connection.closing else { return }
        defer { connection.unblock() }
        if let refused = writesRefused {
            connection.send(.error(.unavailable, refused), waitSeq: 0)
            return
        }
        guard engine.generation == recheck.session.generation else {
            connection.send(.error(.conflict, "the state was reloaded from the store while the import was checked; nothing was imported; send it again"), waitSeq: 0)
            return
        }
        let token = connection.recheckToken
        connection.recheckToken = nil
        let outcome = engine.finishImport(recheck.session, token: token?.token, digest: token?.digest)
        logImport(recheck.session, outcome, connection: connection, checkMicros: UInt64(microseconds), writtenAhead: 0)
        deliver(outcome, to: connection)
    }

    /// Keeps `line` to run first when writes may go on, and holds the connection until then.
    private func park(_ line: [UInt8], of connection: Connection, for admission: WorkGate<ImportRecheck, OffloadWorker.Result>.Admission) {
        connection.park(line)
        gate.park(connection.id, for: admission)
    }

    /// A commit finished (or failed): writers that waited for it run again, oldest first.
    private func releaseParkedForCommit() {
        guard !life.commitsBehind else { return }
        for id in gate.commitsCaughtUp() { connections[id]?.unblock() }
    }

    // MARK: writing a large import ahead (ImportStaging)

    private var staging = ImportStaging<ImportSession>()

    /// Rows of `connection`'s import were buffered: it may start being written ahead.
    private func considerStaging(_ connection: Connection) {
        guard let session = connection.importing?.session else { return }
        staging.consider(connection: connection.id, session: session, entryCount: session.entryCount,
                         current: session.isClean && session.generation == engine.generation,
                         storeReady: worker.supportsStaging && pipeline.available && pipeline.isIdle && !isStopping)
    }

    /// End of a turn with nothing else to commit: hands the writer the staged import's next slice.
    private func stageMore() {
        guard case .staging(_, let session, _, _) = staging.state else { return }
        switch staging.turnEnded(entryCount: session.entryCount, current: session.isClean && session.generation == engine.generation,
                                 storeAvailable: pipeline.available && !isStopping) {
        case .nothing: break
        case .send(let from): worker.submit(.stage(Array(session.entries(from: from))))
        case .discard: worker.submit(.discardStaged)
        }
    }

    private func abandonStaging() {
        if staging.abandon() { worker.submit(.discardStaged) }
    }

    // MARK: the server's life (ServerMachine)

    /// What the life machine reads of the rest of the server.
    private var world: ServerMachine.World {
        ServerMachine.World(lastSeq: engine.state.lastSeq, offloads: gate.outstanding + (readPool?.inFlight ?? 0), drills: drillHost.active,
                            connections: connections.count, importBusy: staging.isStaging || gate.barrierUp)
    }

    /// Hands `event` to the life machine and performs what it decides.
    private func step(_ event: ServerMachine.Event) {
        perform(life.handle(event, now: uv_now(loop), world: world))
    }

    private func perform(_ actions: [ServerMachine.Action]) {
        for action in actions {
            switch action {
            case .commit(let batch):
                worker.submit(.commit(batch))
            case .stageMore:
                stageMore()
            case .abandonStaging:
                // Other writes end an import's staging: its transaction is rolled back before they commit.
                abandonStaging()
            case .takeSnapshot:
                worker.submit(.snapshot(engine.state))
            case .journalSeal(let seal):
                // A periodic checkpoint (one per snapshot): the committed head in the log, which
                // journald or a log shipper keeps elsewhere, so a later rewrite of the history
                // before it shows against `deploy/verify-journal --head` (docs/operations.md).
                logger.notice("journal checkpoint", metadata: ["committed_seq": "\(pipeline.committedSeq)", "journal_head": "\(life.headHash)"])
                let unchangedSince = engine.state.lastSeq == seal.snapshotSeq
                let sealEntry = engine.record(seal.event)
                life.enqueueSeal(sealEntry, unchangedSince: unchangedSince)
                feed.appended([sealEntry])
            case .recover(let probe):
                worker.submit(.recover(probe: probe))
            case .flushWaiting:
                feed.committed(upTo: pipeline.committedSeq)
                releaseHTTPWaiting()
                for connection in waiting.values { connection.flush() }
                waiting = waiting.filter { $0.value.hasQueuedReplies }
            case .failWaiting(let after, let reply, let release):
                feed.discarded(after: after)
                failHTTPWaiting(after: after)
                for connection in waiting.values {
                    connection.failQueued(after: after, with: reply)
                    if release {
                        connection.releaseHeld()
                        connection.flush()
                    }
                }
                if release { waiting = waiting.filter { $0.value.hasQueuedReplies } }
            case .releaseHeld:
                for connection in waiting.values {
                    connection.releaseHeld()
                    connection.flush()
                }
                waiting = waiting.filter { $0.value.hasQueuedReplies }
            case .releaseParkedWriters:
                releaseParkedForCommit()
            case .resetState(var state):
                state.boundMoveHistory(to: settings.configuration.historyMoves)
                engine.reset(to: state)
                feed.reset(committedSeq: state.lastSeq)
            case .stopAccepting:
                notifier.stopping()
                feed.finishStreams()
                httpFront?.stop()
                for waiting in httpWaiting + httpHeld.map({ (seq: Int64(0), answer: $0.answer, reply: $0.reply) }) {
                    waiting.reply(.text(503, "reliefd is shutting down"))
                }
                httpWaiting = []
                httpHeld = []
                refuseQueuedHTTP()
                for listener in listeners { listener.close() }
                listeners.removeAll()
                for connection in connections.values { connection.stopReading() }
                drillHost.stopAll()
            case .closeConnectionsWhenFlushed:
                for connection in Array(connections.values) { connection.closeWhenFlushed() }
            case .stopStore:
                worker.submit(.stop)
                offloader.stop()
                readPool?.stop()
                feed.stop()
            case .closeHandles:
                // Nothing is posted to the HTTP mailbox once its handle is closing; what came
                // since the listener stopped is refused.
                httpDesk?.jobs.close()
                refuseQueuedHTTP()
                closeOwnHandles()
                drillHost.close()
            case .log(let line):
                logger.write(line)
            }
        }
    }

    /// End of a loop turn: what the turn produced goes to the writer as one batch, if none is in flight.
    private func turnEnded() {
        turnBudgetEnds = 0
        turnClient = 0
        turnShared = false
        step(.turnEnded)
    }

    private func drainWriter() {
        for result in worker.drainResults() {
            switch result {
            case .committed(_, let count, let micros, _):
                metrics.commitSeconds.observe(Double(micros) / 1e6)
                metrics.batchEntries.observe(Double(count))
            case .snapshotWritten(_, _, let encode, let store):
                metrics.snapshotSeconds.observe(Double(encode + store) / 1e6)
            case .staged(let count):
                staging.stored(count)
            case .stageFailed(let message):
                if staging.failed() {
                    logger.warning("writing an import ahead failed; it will commit the usual way", metadata: ["error": "\(message)"])
                }
            case .followed(let entries, _):
                guard follow(entries) else { continue }
            default:
                break
            }
            step(.store(result))
            // Once counted committed: reads that waited for these entries run now.
            if case .followed = result { wakeSeqWaiters() }
        }
    }

    /// A follower applies the committed entries its backend read from the journal, and its
    /// feed sends them; false when the state refused them (the backend then loads it again).
    private func follow(_ entries: [Entry]) -> Bool {
        guard !entries.isEmpty else { return true }
        do {
            try engine.follow(entries)
        } catch {
            logger.error("the follower's state refused the journal's entries; loading it again",
                         metadata: ["first": "\(entries[0].seq)", "seq": "\(engine.state.lastSeq)", "error": "\(error)"])
            worker.submit(.recover(probe: false))
            return false
        }
        feed.appended(entries)
        return true
    }

    // MARK: timers

    private func tick() {
        step(.tick)
        let now = uv_now(loop)
        // From the loop itself: a loop that stalls stops pinging, and systemd restarts it.
        notifier.tick(now: now)
        releaseAuthReplies(now: now)
        releaseHeldHTTP(now: now)
        feed.tick(now: now)
        if life.following {
            for connection in connections.values { connection.leaderLink?.tick(now: now) }
            wakeSeqWaiters(now: now)
        }
        evaluateAlerts()
        for connection in Array(connections.values) where !connection.closing {
            let idle = connection.isTCP ? configuration.tcpIdleTimeout : configuration.idleTimeout
            let timeouts = ConnectionMachine.Timeouts(partialLine: UInt64(configuration.partialLineTimeout * 1000),
                                                      outputStall: UInt64(configuration.outputStallTimeout * 1000),
                                                      idle: UInt64(idle * 1000))
            switch connection.machine.dueTimeout(now: now, timeouts, beingRead: connection.isBeingRead,
                                                 importing: connection.importing != nil || connection.watching) {
            case nil:
                break
            case .partialLine:
                slots.count("partial_line")
                connection.sendAndClose(.error(.syntax, "incomplete request: no end of line \(Int(configuration.partialLineTimeout)) s after it began; expected a line ending in LF"),
                                        reason: "partial line timeout")
            case .outputStall:
                slots.count("output_stall")
                logger.warning("client has not read its replies; disconnecting", metadata: [
                    "client": "\(connection.id)", "peer": "\(connection.peer)", "held_bytes": "\(connection.machine.load)",
                    "stalled_s": "\(Int(configuration.outputStallTimeout))",
                ])
                connection.close(reason: "output stalled")
            case .idle:
                slots.count("idle")
                connection.sendAndClose(.error(.limit, "idle for \(Int(idle)) s; closing"), reason: "idle timeout")
            }
        }
    }

    // MARK: HTTP

    /// Starts the HTTP listener on its own threads and waits (at most 10 s) until it is bound: a
    /// listener that cannot bind stops start-up, as the control socket does.
    private func startHTTP() throws {
        guard let address = configuration.http, let colon = address.lastIndex(of: ":"),
              let port = Int(address[address.index(after: colon)...]) else { return }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let desk = LoopDesk(wakeLoop: httpRequests)
        let front = HTTPFront(settings: .init(host: host, port: port, maxConnections: Limits.httpConnections,
                                              idleSeconds: Limits.httpIdleSeconds),
                              desk: desk, logger: logger)
        let failure = HTTPStartFailure()
        front.start { failure.set($0) }
        for _ in 0..<1000 {
            if front.boundPort != nil || failure.message != nil { break }
            usleep(10_000)
        }
        if let message = failure.message ?? (front.boundPort == nil ? "not listening after 10 s" : nil) {
            front.stop()
            throw StartError(description: "cannot listen for HTTP on \(address): \(message)")
        }
        httpDesk = desk
        httpFront = front
        logger.info("http listening", metadata: ["address": "\(host):\(front.boundPort ?? port)"])
    }

    /// At shutdown: HTTP requests not yet taken are refused (their continuations must be resumed,
    /// or their tasks hang).
    private func refuseQueuedHTTP() {
        for job in httpQueue[httpQueueHead...] + (httpDesk?.jobs.drain() ?? []) {
            switch job {
            case .answer(_, let continuation): continuation.resume(returning: .text(503, "reliefd is shutting down"))
            case .stream(_, let continuation): continuation.resume(returning: .refused(.text(503, "reliefd is shutting down")))
            case .streamDrained, .streamEnded: break
            }
        }
        httpQueue = []
        httpQueueHead = 0
    }

    /// Comes back to the HTTP requests left on the next loop turn.
    func httpWakeAgain() {
        uv_async_send(httpRequests)
    }

    /// Records a failed HTTP login of `peer`; returns how long to hold its answer.
    func httpAuthFailed(peer: String) -> UInt64 {
        authFailures += 1
        return authThrottle.failed(peer: peer, now: uv_now(loop))
    }

    func holdHTTP(_ answer: HTTPAnswer, for delay: UInt64, _ reply: @escaping (HTTPAnswer) -> Void) {
        httpHeld.append((uv_now(loop) + delay, answer, reply))
    }

    private func releaseHeldHTTP(now: UInt64) {
        guard !httpHeld.isEmpty else { return }
        let due = httpHeld.filter { $0.due <= now }
        httpHeld.removeAll { $0.due <= now }
        for held in due { held.reply(held.answer) }
    }

    private func releaseHTTPWaiting() {
        guard !httpWaiting.isEmpty else { return }
        let committed = pipeline.committedSeq
        let ready = httpWaiting.filter { $0.seq <= committed }
        httpWaiting.removeAll { $0.seq <= committed }
        for waiting in ready { waiting.reply(waiting.answer) }
    }

    /// Reads computed on entries a failed commit lost: they showed what never happened.
    private func failHTTPWaiting(after seq: Int64) {
        let lost = httpWaiting.filter { $0.seq > seq }
        httpWaiting.removeAll { $0.seq > seq }
        for waiting in lost { waiting.reply(HTTPJSON.error(.unavailable, "the store could not commit; retry")) }
    }

    /// `/metrics`: Prometheus text format 0.0.4.
    func metricsText() -> String {
        var out = ""
        out += metrics.commitSeconds.text("reliefd_commit_seconds", "Time to commit one batch of journal entries to the store, fsync included.")
        out += metrics.batchEntries.text("reliefd_commit_batch_entries", "Journal entries per committed batch (group commit).")
        out += metrics.snapshotSeconds.text("reliefd_snapshot_seconds", "Time to encode and store one snapshot.")
        out += metrics.requestsText()
        out += ServerMetrics.gauge("reliefd_http_requests_total", "HTTP requests authenticated and answered.", metrics.httpRequests, type: "counter")
        out += ServerMetrics.gauge("reliefd_clients", "Control-socket connections open.", Int64(connections.count))
        out += ServerMetrics.gauge("reliefd_clients_tcp", "Control-socket connections over TCP.", Int64(slots.tcp))
        out += ServerMetrics.gauge("reliefd_subscribers", "Event-feed subscribers (watch).", Int64(feed.subscriberCount))
        out += ServerMetrics.gauge("reliefd_feed_lines_total", "Event-feed lines sent.", feed.linesSent, type: "counter")
        out += ServerMetrics.gauge("reliefd_feed_cut_off_total", "Subscribers cut off for falling behind.", feed.cutOffs, type: "counter")
        out += ServerMetrics.gauge("reliefd_store_up", "1 while the store commits, 0 while it is unavailable.", pipeline.available ? 1 : 0)
        out += "# HELP reliefd_role This daemon's role (leader, standby).\n# TYPE reliefd_role gauge\nreliefd_role{role=\"\(ServerMetrics.label(life.role))\"} 1\n"
        out += ServerMetrics.gauge("reliefd_committed_seq", "The last journal entry committed.", pipeline.committedSeq)
        out += ServerMetrics.gauge("reliefd_uncommitted_entries", "Entries written and not yet durable.", Int64(pipeline.uncommitted))
        out += ServerMetrics.gauge("reliefd_offload_queue", "Requests waiting for or running on the off-loop thread.", Int64(gate.outstanding))
        out += ServerMetrics.gauge("reliefd_reads_pooled_total", "Reads answered by the read pool's threads (read_threads).", readsPooled, type: "counter")
        out += ServerMetrics.gauge("reliefd_commits_total", "Batches committed since start.", pipeline.batches, type: "counter")
        out += ServerMetrics.gauge("reliefd_auth_failures_total", "Failed logins since start.", Int64(authFailures), type: "counter")
        out += ServerMetrics.gauge("reliefd_denied_total", "Requests refused for lack of rights since start.", Int64(denials), type: "counter")
        var byKind: [AlertKind: Int64] = [:]
        for alert in engine.state.alerts.values { byKind[alert.kind, default: 0] += 1 }
        out += "# HELP reliefd_alerts Alerts raised and not cleared, by kind.\n# TYPE reliefd_alerts gauge\n"
        for kind in AlertKind.allCases { out += "reliefd_alerts{kind=\"\(kind.rawValue)\"} \(byKind[kind] ?? 0)\n" }
        return out
    }

    // MARK: shutdown

    /// Stop accepting, finish the commit in flight and the batch collected, answer every waiting
    /// client, write a final snapshot, close the store, and let the loop end (ServerMachine).
    private func stop(signal: Int32) {
        step(.stop(signal: signal))
    }

    // MARK: info

    private func info() -> Fields {
        var fields = Fields()
        fields.append("store", storeLocation)
        // A follower's own store is its database: gone, it serves what it has (stale_ms says how old).
        fields.append("store_status", pipeline.available && (!life.following || life.isAvailable) ? "ok" : "unavailable")
        if let problem = life.storeProblem { fields.append("store_error", problem) }
        fields.append("committed_seq", String(pipeline.committedSeq))
        fields.append("snapshot_seq", String(life.lastSnapshotSeq))
        // A snapshot being written or waiting for its seal: seq will move by one when it is sealed.
        fields.append("snapshot_pending", life.snapshotPending ? "yes" : "no")
        fields.append("commits", String(pipeline.batches))
        fields.append("last_commit_us", String(life.lastCommitMicros))
        fields.append("clients", String(connections.count))
        fields.append("clients_tcp", String(slots.tcp))
        fields.append("clients_paused", String(connections.values.filter { $0.machine.pause == .output }.count))
        fields.append("output_held_bytes", String(connections.values.reduce(0) { $0 + $1.machine.load }))
        fields.append("large_listings", String(connections.values.reduce(0) { $0 + $1.machine.largeListings }))
        fields.append("connections_refused", slots.refusedSummary)
        fields.append("journal_head", life.headHash)
        fields.append("denied", String(denials))
        fields.append("auth_failures", String(authFailures))
        fields.append("import_written_ahead", String(staging.written))
        fields.append("offloaded", String(gate.finished))
        fields.append("offload_queue", String(gate.outstanding))
        fields.append("read_threads", String(readPool?.threads ?? 0))
        fields.append("reads_pooled", String(readsPooled))
        fields.append("read_queue", String((readPool?.inFlight ?? 0) + readWaiters.count - readWaitersHead))
        fields.append("import_bytes", String(importBytesOpen))
        fields.append("writes_waiting", String(gate.writesWaiting))
        fields.append("uncommitted", String(pipeline.uncommitted))
        fields.append("uptime_s", String((uv_now(loop) - startedAt) / 1000))
        fields.append("drills", String(drillHost.active))
        fields.append("alerts", String(engine.state.alerts.count))
        fields.append("alert_checks", String(alertChecks))
        fields.append("subscribers", String(feed.subscriberCount))
        fields.append("feed_lines", String(feed.linesSent))
        fields.append("feed_cut_off", String(feed.cutOffs))
        fields.append("role", life.role)
        if let follower = worker as? FollowerBackend {
            for pair in follower.followInfo.pairs { fields.append(pair.key, pair.value) }
            fields.append("forwarded", String(forwardsSent))
            fields.append("forwards_failed", String(forwardsFailed))
        }
        return fields
    }
}
