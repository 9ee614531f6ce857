import Logging
import ReliefCore

/// What the two PostgreSQL drivers share — the synchronous `PostgresJournal` and the server's
/// loop-driven store: the connection parameters, the statements of each job, and the load
/// (migrate, newest usable snapshot, replay with the hash chain checked, table check) written as
/// steps over a `run` function, so either driver can carry it out.
public enum PostgresStore {
    /// Whether a `store =` value names PostgreSQL.
    public static func isPostgresURL(_ value: String) -> Bool {
        value.hasPrefix("postgres://") || value.hasPrefix("postgresql://")
    }

    /// libpq keyword/value pairs for `url`: our defaults first, then the URL (expanded by libpq as
    /// `dbname`), so anything the URL sets wins. Keepalives and a TCP user timeout make a dead server
    /// or network show up as a failed connection within seconds instead of hanging. A `password`
    /// (from store_password_file) goes last, as a parameter of its own, so it never has to be
    /// written into the URL that logs, `info` and `ps` may show.
    public static func parameters(url: String, password: String? = nil, applicationName: String = "reliefd") -> [(String, String)] {
        [("application_name", applicationName), ("connect_timeout", "10"), ("keepalives", "1"),
         ("keepalives_idle", "5"), ("keepalives_interval", "2"), ("keepalives_count", "3"),
         ("tcp_user_timeout", "10000"), ("client_encoding", "UTF8"), ("dbname", url)]
            + (password.map { [("password", $0)] } ?? [])
    }

    // MARK: statements

    /// Session settings run first on every connection: a commit is durable when COMMIT returns.
    static let sessionSetup: [PGConnection.Statement] = [
        PGConnection.Statement("SET synchronous_commit = on"),
        PGConnection.Statement("SET client_min_messages = warning"),
    ]

    static let appendSQL = "INSERT INTO journal (seq, time, actor, kind, body, hash) VALUES ($1, $2, $3, $4, $5, $6)"

    /// BEGIN; [fence]; one INSERT per entry (the trigger projects and notifies); COMMIT. `hash` is
    /// the chain's hash before the first entry and becomes the hash after the last.
    static func commitJob(_ entries: [Entry], hash: inout [UInt8], hasher: inout HashChain, fence: Int32?) -> [PGConnection.Statement] {
        var statements: [PGConnection.Statement] = [PGConnection.Statement("BEGIN")]
        statements.reserveCapacity(entries.count + 3)
        if let fence { statements.append(PGConnection.Statement("SELECT reliefd_fence($1)", [String(fence)])) }
        var body: [UInt8] = []
        for entry in entries {
            body.removeAll(keepingCapacity: true)
            entry.event.body.encode(into: &body)
            body.withUnsafeBytes { bytes in
                hasher.advance(&hash, seq: entry.seq, time: entry.time.milliseconds, actor: entry.actor, kind: entry.event.kind, body: bytes)
            }
            statements.append(PGConnection.Statement(appendSQL, [
                String(entry.seq), String(entry.time.milliseconds), entry.actor, entry.event.kind,
                String(decoding: body, as: UTF8.self), String(decoding: hash, as: UTF8.self),
            ], prepareAs: "reliefd_append"))
        }
        statements.append(PGConnection.Statement("COMMIT"))
        return statements
    }

    /// The COMMIT's tag is COMMIT only when the transaction committed.
    static func committed(_ results: [PQResult]) -> Bool { results.last == .command("COMMIT") }

    static func snapshotJob(seq: Int64, text: String, kept: Int) -> [PGConnection.Statement] {
        [
            PGConnection.Statement("BEGIN"),
            PGConnection.Statement("""
                INSERT INTO snapshots (seq, hash, taken_at, format, body)
                SELECT seq, hash, $2, $3, $4 FROM journal WHERE seq = $1
                ON CONFLICT (seq) DO UPDATE SET hash = excluded.hash, taken_at = excluded.taken_at,
                    format = excluded.format, body = excluded.body
                """, [String(seq), String(WallClock.milliseconds()), State.snapshotFormat, text]),
            PGConnection.Statement("DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT $1)",
                                   [String(kept)]),
            PGConnection.Statement("COMMIT"),
        ]
    }

    static let probeJob: [PGConnection.Statement] = [
        PGConnection.Statement("BEGIN"),
        PGConnection.Statement("""
            INSERT INTO store_probe (id, probed_at) VALUES (1, $1)
            ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at
            """, [String(WallClock.milliseconds())]),
        PGConnection.Statement("COMMIT"),
        PGConnection.Statement("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"),
    ]

    /// Row counts and totals of the current-state tables, in the order of `expectedCounts`.
    static let countsQuery = PGConnection.Statement("""
        SELECT (SELECT COUNT(*) FROM regions), (SELECT COUNT(*) FROM warehouses), (SELECT COUNT(*) FROM items),
               (SELECT COUNT(*) FROM lots), (SELECT COUNT(*) FROM holdings),
               (SELECT \(ProjectionTotal.sql("on_hand")) FROM holdings), (SELECT \(ProjectionTotal.sql("reserved")) FROM holdings),
               (SELECT COUNT(*) FROM minimums), (SELECT \(ProjectionTotal.sql("quantity")) FROM minimums),
               (SELECT COUNT(*) FROM skills), (SELECT COUNT(*) FROM specialties), (SELECT COUNT(*) FROM volunteers),
               (SELECT COUNT(*) FROM certifications), (SELECT COUNT(*) FROM duty_log), (SELECT COUNT(*) FROM teams),
               (SELECT COUNT(*) FROM team_members), (SELECT COUNT(*) FROM volunteers WHERE on_duty_since IS NOT NULL),
               (SELECT COUNT(*) FROM volunteers WHERE status = 'deployed'),
               (SELECT COUNT(*) FROM incidents), (SELECT COUNT(*) FROM incidents WHERE status <> 'closed'),
               (SELECT \(ProjectionTotal.sql("affected")) FROM incidents),
               (SELECT COUNT(*) FROM needs), (SELECT COUNT(*) FROM needs WHERE status = 'open'), (SELECT \(ProjectionTotal.sql("amount")) FROM needs),
               (SELECT COUNT(*) FROM needs WHERE ref IS NOT NULL),
               (SELECT COUNT(*) FROM needs WHERE series IS NOT NULL), (SELECT \(ProjectionTotal.sql("COALESCE(day, 0)")) FROM needs),
               (SELECT \(ProjectionTotal.sql(PostgresStore.reachWeightSQL)) FROM needs),
               (SELECT COUNT(*) FROM plans), (SELECT \(ProjectionTotal.sql("applied_lines")) FROM plans),
               (SELECT COUNT(*) FROM allocations), (SELECT \(ProjectionTotal.sql("quantity")) FROM allocations),
               (SELECT \(ProjectionTotal.sql("quantity")) FROM allocations WHERE status = 'dispatched'),
               (SELECT \(ProjectionTotal.sql("quantity")) FROM allocations WHERE status = 'delivered'),
               (SELECT COUNT(*) FROM assignments), (SELECT COUNT(*) FROM assignments WHERE status <> 'released'),
               (SELECT \(ProjectionTotal.sql("hours_ms")) FROM assignments),
               (SELECT COUNT(*) FROM travel_times), (SELECT \(ProjectionTotal.sql("minutes")) FROM travel_times)
        """)

    /// stock_moves against the moves in memory and as many before them (the table keeps what
    /// memory no longer does): count, newest seq, and count and totals after the oldest seq in memory.
    static func movesQuery(_ state: State) -> PGConnection.Statement {
        PGConnection.Statement("""
            SELECT (SELECT COUNT(*) FROM stock_moves), (SELECT COALESCE(MAX(seq), 0) FROM stock_moves),
                   COUNT(*), \(ProjectionTotal.sql("GREATEST(delta, 0)")), \(ProjectionTotal.sql("GREATEST(-delta, 0)"))
            FROM stock_moves WHERE seq > $1::bigint
            """, [String(movesAfter(state))])
    }

    static func movesAfter(_ state: State) -> Int64 { state.movesBefore == 0 ? 0 : (state.oldestMoveSeqInMemory ?? 0) }

    static func expectedMoves(_ state: State) -> [Int64] {
        let after = movesAfter(state)
        let window = state.moves.lazy.filter { $0.seq > after }
        return [Int64(state.movesBefore + state.moves.count), state.moves.last?.seq ?? 0, Int64(window.count),
                ProjectionTotal.of(window.lazy.map { max($0.delta, 0) }), ProjectionTotal.of(window.lazy.map { max(-$0.delta, 0) })]
    }

    static func expectedCounts(_ state: State) -> [Int64] {
        let held = state.stock.values.flatMap(\.values)
        let holdings = Int64(held.reduce(0) { $0 + $1.lots.count })
        let onHand = ProjectionTotal.of(held.lazy.map(\.onHand)), reserved = ProjectionTotal.of(held.lazy.map(\.reserved))
        let minimums = state.minimums.values.flatMap(\.values)
        let volunteers = state.volunteers.values
        return [Int64(state.regions.count), Int64(state.warehouses.count), Int64(state.items.count),
                Int64(state.lots.count), holdings, onHand, reserved, Int64(minimums.count), ProjectionTotal.of(minimums),
                Int64(state.skills.count), Int64(state.specialties.count), Int64(volunteers.count),
                Int64(volunteers.reduce(0) { $0 + $1.certifications.count }), Int64(volunteers.reduce(0) { $0 + $1.duty.count }),
                Int64(state.teams.count), Int64(state.teams.values.reduce(0) { $0 + $1.members.count }),
                Int64(volunteers.filter { $0.onDutySince != nil }.count),
                Int64(volunteers.filter { $0.status == .deployed }.count)]
            + incidentCounts(state)
            + [Int64(state.travelEntryCount), ProjectionTotal.of(state.travelTimes.values.lazy.flatMap(\.values).map { Int64($0) })]
    }

    /// A need's reach as a number for the load check's total: its tier's rank + 1, 0 for the default.
    static let reachWeightSQL = "CASE reach " + ReachTier.allCases.map { "WHEN '\($0.name)' THEN \($0.rawValue + 1) " }.joined() + "ELSE 0 END"

    /// The incident tables' part of `expectedCounts` (schema migrations 2, 4 and 5). Reserved stock is the
    /// holdings total above.
    private static func incidentCounts(_ state: State) -> [Int64] {
        let incidents = state.incidents.values, needs = state.needs.values
        let allocations = state.allocations.values, assignments = state.assignments.values
        func quantity(_ status: AllocationStatus) -> Int64 {
            ProjectionTotal.of(allocations.lazy.filter { $0.status == status }.map(\.quantity))
        }
        return [Int64(incidents.count), Int64(incidents.filter { $0.status != .closed }.count),
                ProjectionTotal.of(incidents.lazy.map { Int64($0.affected) }),
                Int64(needs.count), Int64(needs.filter { $0.status == .open }.count), ProjectionTotal.of(needs.lazy.map(\.request.amount)),
                Int64(needs.filter { $0.ref != nil }.count),
                Int64(needs.filter { $0.schedule != nil }.count), ProjectionTotal.of(needs.lazy.map { Int64($0.schedule?.day ?? 0) }),
                ProjectionTotal.of(needs.lazy.map { $0.reach.map { Int64($0.rawValue + 1) } ?? 0 }),
                Int64(state.plans.count), ProjectionTotal.of(state.plans.values.lazy.map { Int64($0.appliedLines.count) }),
                Int64(allocations.count), ProjectionTotal.of(allocations.lazy.map(\.quantity)), quantity(.dispatched), quantity(.delivered),
                Int64(assignments.count), Int64(assignments.filter { $0.status.isActive }.count),
                ProjectionTotal.of(assignments.lazy.map(\.hoursMilliseconds))]
    }

    static let rebuildJob: [PGConnection.Statement] = [
        PGConnection.Statement("BEGIN"),
        PGConnection.Statement("SELECT reliefd_rebuild()"),
        PGConnection.Statement("COMMIT"),
    ]

    static let journalColumns = "seq, time, actor, kind, body, hash"

    // MARK: for the server's loop-driven store

    public static var sessionSetupStatements: [PGConnection.Statement] { sessionSetup }
    public static var probeStatements: [PGConnection.Statement] { probeJob }
    public static func snapshotStatements(seq: Int64, text: String) -> [PGConnection.Statement] {
        snapshotJob(seq: seq, text: text, kept: PostgresJournal.snapshotsKept)
    }
    public static func isCommitted(_ results: [PQResult]) -> Bool { committed(results) }
    /// Asks for the leader lock on this session (one row: t or f).
    public static let tryLeaderLock = PGConnection.Statement(
        "SELECT pg_try_advisory_lock(\(PostgresSchema.lockClass), \(PostgresSchema.leaderLock))")

    // MARK: errors

    /// A failure as a StoreError: a lost connection (or a server shutting down, out of disk,
    /// serialization trouble) is transient; a refused statement is not, except the classes that
    /// clear up by themselves.
    static func storeError(_ failure: PGConnection.Failure, _ context: String) -> StoreError {
        switch failure {
        case .connectionLost:
            return StoreError("\(context): \(failure)")
        case .statement(_, let message, let state):
            // 08 connection, 53 resources (disk full), 57 operator intervention (shutdown), 40 rollback, 55P03 lock.
            let transient = ["08", "53", "57", "40", "58"].contains(String(state.prefix(2))) || state == "55P03" || state == "RD002"
            return StoreError("\(context): \(message)\(state.isEmpty ? "" : " (SQLSTATE \(state))")", isTransient: transient)
        }
    }
}
/// Rebuilding the state from what the database holds, as steps over a `run` function (one job at
/// a time, its completion called once) and a `compute` function for the CPU-heavy parts (hashing,
/// decoding, replay), which the server runs off its loop thread.
///
/// Two strands run together and are joined before the load reports: the whole hash chain from
/// genesis, read in chunks and hashed; and the newest sealed snapshot, checked against its seal,
/// decoded, with the journal after it replayed. The first failure by seq is the one reported.
public final class PostgresLoad: @unchecked Sendable {
    // @unchecked: used from one thread at a time (the caller's), except the work handed to
    // `compute`, which captures only values.
    public typealias Run = (_ statements: [PGConnection.Statement], _ done: @escaping (PGConnection.Outcome) -> Void) -> Void
    public typealias Compute = (_ work: @escaping @Sendable () -> any Sendable, _ done: @escaping (any Sendable) -> Void) -> Void

    public struct Loaded {
        public var state: State
        public var snapshotSeq: Int64
        /// The snapshot's seq, or the last of the seal entries directly after it.
        public var snapshotCovers: Int64
        public var lastHash: [UInt8]
        public var schemaVersionFound: Int64
    }

    enum Replayed: Sendable {
        case done(State, ChainPosition, covers: Int64)
        case snapshotUnusable(String)
        case failed(StoreError)
    }

    struct Candidate: Sendable {
        var seq: Int64
        var hash: String?
        var journalHash: String?
        var sealSeq: Int64
        var seal: SnapshotSeal
    }

    /// Rows per chunk of the chain check: a bound on memory, not on what is checked.
    static let chainChunk = 20_000

    private let run: Run
    private let compute: Compute
    private let logger: Logger
    private let location: String
    private let finished: (Result<Loaded, StoreError>) -> Void
    private var found: Int64 = 0
    private var tail = ChainPosition()
    private var candidates: [Candidate] = []
    private var chainResult: Result<ChainPosition, StoreError>?
    private var replayResult: Result<(state: State, position: ChainPosition, snapshotSeq: Int64, covers: Int64), StoreError>?
    private var over = false
    /// A follower's load: one read-only transaction at REPEATABLE READ (the leader writes on
    /// meanwhile; the load sees one moment of the journal), no migration and no table check
    /// (the database, perhaps a hot-standby replica, is the leader's to change).
    private let readOnly: Bool

    public init(location: String, logger: Logger, readOnly: Bool = false, run: @escaping Run, compute: @escaping Compute,
                finished: @escaping (Result<Loaded, StoreError>) -> Void) {
        self.location = location
        self.logger = logger
        self.readOnly = readOnly
        self.run = run
        self.compute = compute
        self.finished = finished
    }

    public func start() {
        if readOnly { return startReadOnly() }
        run(PostgresSchema.versionCheck) { outcome in
            guard let results = self.success(outcome, "reading the schema version"),
                  case .tuples(let rows) = results[3], let found = rows[0, 0].flatMap({ Int64($0) }) else { return }
            self.found = found
            guard found <= PostgresSchema.latestVersion else {
                self.run([PGConnection.Statement("ROLLBACK")]) { _ in self.finish(.failure(PostgresSchema.tooNew(found, self.location))) }
                return
            }
            self.run(PostgresSchema.upgrade(from: found)) { outcome in
                guard self.success(outcome, "migrating the schema") != nil else { return }
                if found < PostgresSchema.latestVersion {
                    self.logger.info("applied schema migrations", metadata: ["store": "\(self.location)", "from": "\(found)",
                                                                            "to": "\(PostgresSchema.latestVersion)"])
                }
                self.readTail()
            }
        }
    }

    /// The follower's start: the schema must be the one this reliefd knows, as the leader left it.
    private func startReadOnly() {
        run([PGConnection.Statement("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
             PGConnection.Statement("SELECT to_regclass('schema_version') IS NOT NULL AND to_regclass('journal') IS NOT NULL")]) { outcome in
            guard let results = self.success(outcome, "reading the schema"), case .tuples(let rows) = results[1] else { return }
            guard rows[0, 0] == "t" else {
                return self.finish(.failure(StoreError("database \(self.location) holds no reliefd journal yet; a follower waits for "
                                                       + "the leader to create it (start the leader first)")))
            }
            self.run([PGConnection.Statement("SELECT COALESCE(MAX(version), 0) FROM schema_version")]) { outcome in
                guard let results = self.success(outcome, "reading the schema version"), case .tuples(let rows) = results[0],
                      let found = rows[0, 0].flatMap({ Int64($0) }) else { return }
                self.found = found
                guard found <= PostgresSchema.latestVersion else { return self.finish(.failure(PostgresSchema.tooNew(found, self.location))) }
                guard found == PostgresSchema.latestVersion else {
                    return self.finish(.failure(StoreError("database \(self.location) has schema version \(found); this reliefd "
                                                           + "follows version \(PostgresSchema.latestVersion), which the leader applies "
                                                           + "when a reliefd of this release leads; waiting for it")))
                }
                self.readTail()
            }
        }
    }

    private func finish(_ result: Result<Loaded, StoreError>) {
        guard !over else { return }
        over = true
        finished(result)
    }

    private func success(_ outcome: PGConnection.Outcome, _ context: String) -> [PQResult]? {
        switch outcome {
        case .success(let results): return results
        case .failure(let failure):
            finish(.failure(PostgresStore.storeError(failure, "loading \(location): \(context)")))
            return nil
        }
    }

    /// Both strands stop at the tail as it is now, so they can be compared at the end.
    private func readTail() {
        run([PGConnection.Statement("SELECT seq FROM journal ORDER BY seq DESC LIMIT 1")]) { outcome in
            guard let results = self.success(outcome, "reading the journal's tail"), case .tuples(let rows) = results[0] else { return }
            self.tail.seq = rows.count == 1 ? Int64(rows[0, 0] ?? "") ?? 0 : 0
            self.checkChain(from: ChainPosition())
            self.findSnapshots()
        }
    }

    // MARK: the whole chain

    private func checkChain(from position: ChainPosition) {
        guard !over else { return }
        guard position.seq < tail.seq else { return chainChecked(.success(position)) }
        let upTo = tail.seq
        run([PostgresStore.chainChunk(after: position.seq, upTo: upTo, limit: PostgresLoad.chainChunk)]) { outcome in
            guard let results = self.success(outcome, "reading the journal"), case .tuples(let rows) = results[0] else { return }
            let location = self.location
            self.compute({ () -> Result<ChainPosition, StoreError> in
                var verifier = ChainVerifier(from: position)
                do {
                    try PostgresStore.check(rows, with: &verifier, location: location)
                } catch let error as StoreError {
                    return .failure(error)
                } catch {
                    return .failure(StoreError("\(error)", isTransient: false))
                }
                guard verifier.position.seq > position.seq else {
                    return .failure(StoreError("journal entry seq \(position.seq + 1) is missing (the journal ends before seq \(upTo)); "
                                               + "the journal was altered or damaged", isTransient: false, seq: position.seq + 1))
                }
                return .success(verifier.position)
            }, { outcome in
                switch outcome as! Result<ChainPosition, StoreError> {
                case .success(let next): self.checkChain(from: next)
                case .failure(let error): self.chainChecked(.failure(error))
                }
            })
        }
    }

    private func chainChecked(_ result: Result<ChainPosition, StoreError>) {
        chainResult = result
        join()
    }

    // MARK: snapshot and replay

    private func findSnapshots() {
        // Seals follow what they seal: only the journal after the oldest snapshot is searched.
        let statements = [
            PGConnection.Statement("""
                SELECT s.seq, s.hash, j.hash FROM snapshots s LEFT JOIN journal j ON j.seq = s.seq ORDER BY s.seq DESC
                """),
            PGConnection.Statement("""
                SELECT seq, body FROM journal WHERE kind = 'snapshot.sealed'
                    AND seq > (SELECT COALESCE(MIN(seq), 9223372036854775807) FROM snapshots) ORDER BY seq
                """),
        ]
        run(statements) { outcome in
            guard let results = self.success(outcome, "listing snapshots"), case .tuples(let rows) = results[0],
                  case .tuples(let sealRows) = results[1] else { return }
            var seals: [Int64: (Int64, SnapshotSeal)] = [:]
            for row in 0..<sealRows.count {
                let entrySeq = Int64(sealRows[row, 0] ?? "") ?? 0
                do {
                    guard let seal = SnapshotSeal(try Event(kind: "snapshot.sealed", body: FlatJSON.decode(sealRows[row, 1] ?? ""))) else { continue }
                    seals[seal.snapshotSeq] = (entrySeq, seal)
                } catch {
                    return self.replayed(.failure(StoreError("journal entry seq \(entrySeq) cannot be decoded: \(error)",
                                                             isTransient: false, seq: entrySeq)))
                }
            }
            for row in 0..<rows.count {
                let seq = Int64(rows[row, 0] ?? "") ?? -1
                guard let (sealSeq, seal) = seals[seq] else {
                    self.logger.warning("skipping snapshot", metadata: [
                        "store": "\(self.location)", "seq": "\(seq)",
                        "reason": "\(SnapshotSeal.missing)",
                    ])
                    continue
                }
                self.candidates.append(Candidate(seq: seq, hash: rows[row, 1], journalHash: rows[row, 2], sealSeq: sealSeq, seal: seal))
            }
            self.loadFrom()
        }
    }

    /// Loads from the next candidate snapshot, or replays the whole journal when none is left.
    private func loadFrom() {
        guard !over else { return }
        let candidate = candidates.isEmpty ? nil : candidates.removeFirst()
        let after = candidate?.seq ?? 0
        var statements = [PGConnection.Statement("SELECT \(PostgresStore.journalColumns) FROM journal WHERE seq > $1 ORDER BY seq",
                                                 [String(after)])]
        if let candidate {
            statements.append(PGConnection.Statement("SELECT format, body FROM snapshots WHERE seq = $1", [String(candidate.seq)]))
        }
        run(statements) { outcome in
            guard let results = self.success(outcome, "reading the journal"), case .tuples(let rows) = results[0] else { return }
            var stored: (format: String, body: String)?
            if candidate != nil, results.count > 1, case .tuples(let snapshot) = results[1], snapshot.count == 1 {
                stored = (snapshot[0, 0] ?? "", snapshot[0, 1] ?? "")
            }
            let snapshotRow = stored
            let location = self.location
            self.compute({
                PostgresLoad.replay(snapshot: candidate, stored: snapshotRow, rows: rows, location: location)
            }, { outcome in
                switch outcome as! Replayed {
                case .snapshotUnusable(let reason):
                    self.logger.warning("skipping snapshot", metadata: ["store": "\(self.location)", "seq": "\(after)", "reason": "\(reason)"])
                    self.loadFrom()
                case .failed(let error):
                    self.replayed(.failure(error))
                case .done(let state, let position, let covers):
                    self.replayed(.success((state, position, after, covers)))
                }
            })
        }
    }

    private func replayed(_ result: Result<(state: State, position: ChainPosition, snapshotSeq: Int64, covers: Int64), StoreError>) {
        replayResult = result
        join()
    }

    /// Both strands done: the lower failure, or the loaded state once both ended on the same hash.
    private func join() {
        guard !over, let chainResult, let replayResult else { return }
        var chainFailure: StoreError?, replayFailure: StoreError?
        if case .failure(let error) = chainResult { chainFailure = error }
        if case .failure(let error) = replayResult { replayFailure = error }
        if case .success(let checked) = chainResult, case .success(let loaded) = replayResult,
           checked.seq != loaded.position.seq || checked.hash != loaded.position.hash {
            replayFailure = StoreError("loading \(location): the journal changed while it was loaded (checked up to seq \(checked.seq), "
                                       + "replayed up to \(loaded.position.seq)); load it again")
        }
        if let failure = StoreError.first(chainFailure, replayFailure) { return finish(.failure(failure)) }
        guard case .success(let loaded) = replayResult else { return }
        if readOnly {
            let result = Loaded(state: loaded.state, snapshotSeq: loaded.snapshotSeq, snapshotCovers: loaded.covers,
                                lastHash: loaded.position.hash, schemaVersionFound: found)
            run([PGConnection.Statement("COMMIT")]) { outcome in
                guard self.success(outcome, "ending the read-only transaction") != nil else { return }
                self.done(result)
            }
            return
        }
        checkTables(Loaded(state: loaded.state, snapshotSeq: loaded.snapshotSeq, snapshotCovers: loaded.covers,
                           lastHash: loaded.position.hash, schemaVersionFound: found))
    }

    private func checkTables(_ loaded: Loaded) {
        run([PostgresStore.countsQuery, PostgresStore.movesQuery(loaded.state)]) { outcome in
            guard let results = self.success(outcome, "checking the current-state tables"), case .tuples(let rows) = results[0],
                  case .tuples(let moves) = results[1] else { return }
            let expected = PostgresStore.expectedCounts(loaded.state), expectedMoves = PostgresStore.expectedMoves(loaded.state)
            let matches = rows.count == 1 && expected.indices.allSatisfy { Int64(rows[0, $0] ?? "") == expected[$0] }
                && moves.count == 1 && expectedMoves.indices.allSatisfy { Int64(moves[0, $0] ?? "") == expectedMoves[$0] }
            guard !matches else { return self.done(loaded) }
            self.logger.warning("current-state tables disagree with the journal; rebuilding them from the journal",
                                metadata: ["store": "\(self.location)"])
            self.run(PostgresStore.rebuildJob) { outcome in
                guard self.success(outcome, "rebuilding the current-state tables") != nil else { return }
                self.done(loaded)
            }
        }
    }

    private func done(_ loaded: Loaded) {
        logger.info("store loaded", metadata: ["store": "\(location)", "seq": "\(loaded.state.lastSeq)",
                                               "snapshot": "\(loaded.snapshotSeq)",
                                               "replayed": "\(loaded.state.lastSeq - loaded.snapshotSeq)",
                                               "chain_checked": "\(loaded.state.lastSeq)"])
        finish(.success(loaded))
    }

    /// The pure part: the snapshot (if any) checked against its seal and parsed, then every journal
    /// row after it checked against the hash chain, decoded and applied; the invariants checked at
    /// the end.
    static func replay(snapshot: Candidate?, stored: (format: String, body: String)?, rows: PQRows, location: String) -> Replayed {
        var state = State()
        var position = ChainPosition()
        if let snapshot {
            guard var stored else { return .snapshotUnusable("it was deleted while the store loaded") }
            guard let hash = snapshot.hash, hash.utf8.count == 64, snapshot.journalHash == hash else {
                return .failed(StoreError("snapshot at seq \(snapshot.seq) does not match the journal's hash at that seq; "
                                          + "the snapshot row was altered or damaged", isTransient: false, seq: snapshot.seq))
            }
            do {
                try stored.body.withUTF8 { try snapshot.seal.check(format: stored.format, body: UnsafeRawBufferPointer($0), sealSeq: snapshot.sealSeq) }
            } catch let error as StoreError {
                return .failed(error)
            } catch {
                return .failed(StoreError("\(error)", isTransient: false, seq: snapshot.seq))
            }
            guard stored.format == State.snapshotFormat else { return .snapshotUnusable("format \(stored.format) is not \(State.snapshotFormat)") }
            do {
                state = try State(snapshotText: stored.body)
            } catch {
                return .snapshotUnusable("\(error)")
            }
            guard state.lastSeq == snapshot.seq else { return .snapshotUnusable("its header says seq \(state.lastSeq)") }
            position = ChainPosition(seq: snapshot.seq, hash: Array(hash.utf8))
        }
        var verifier = ChainVerifier(from: position)
        var covers = position.seq
        for row in 0..<rows.count {
            let entry: Entry
            do {
                entry = try PostgresStore.entry(rows, row, verifier: &verifier, location: location)
            } catch {
                return .failed(error)
            }
            let seq = entry.seq
            do {
                try state.apply(entry)
            } catch {
                return .failed(StoreError("journal entry seq \(seq) cannot be applied: \(error)", isTransient: false, seq: seq))
            }
            if covers == seq - 1, case .snapshotSealed = entry.event { covers = seq }
        }
        let problems = state.invariantViolations(indexesJustRebuilt: true)
        guard problems.isEmpty else {
            return .failed(StoreError("state loaded from \(location) breaks its invariants: " + problems.prefix(5).joined(separator: "; "),
                                      isTransient: false))
        }
        return .done(state, verifier.position, covers: covers)
    }
}

extension PostgresStore {
    /// Journal row `row` (journalColumns) checked against the hash chain and decoded.
    static func entry(_ rows: PQRows, _ row: Int, verifier: inout ChainVerifier, location: String) throws(StoreError) -> Entry {
        guard let seqText = rows[row, 0], let seq = Int64(seqText), let time = rows[row, 1].flatMap({ Int64($0) }),
              let actor = rows[row, 2], let kind = rows[row, 3], let body = rows[row, 4], let stored = rows[row, 5] else {
            throw StoreError("journal row \(row) of \(location) has a NULL or malformed column", isTransient: false)
        }
        do {
            try verifier.check(seq: seq, time: time, actor: actor, kind: kind, body: body, stored: stored)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("\(error)", isTransient: false, seq: seq)
        }
        do {
            let event = try Event(kind: kind, body: FlatJSON.decode(body))
            return Entry(seq: seq, time: Timestamp(milliseconds: time), actor: actor, event: event)
        } catch {
            throw StoreError("journal entry seq \(seq) cannot be decoded: \(error)", isTransient: false, seq: seq)
        }
    }

    /// The leader records where followers send writes (`address`, "" for nowhere), fenced on its
    /// lock session like a commit, so only the database's leader can say it leads.
    public static func announceLeader(address: String, fence: Int32?, now: Int64) -> [PGConnection.Statement] {
        var statements = [PGConnection.Statement("BEGIN")]
        if let fence { statements.append(PGConnection.Statement("SELECT reliefd_fence($1)", [String(fence)])) }
        statements.append(PGConnection.Statement(
            "INSERT INTO leader (id, address, lock_pid, since) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE "
                + "SET address = EXCLUDED.address, lock_pid = EXCLUDED.lock_pid, since = EXCLUDED.since",
            [address, String(fence ?? 0), String(now)]))
        statements.append(PGConnection.Statement("COMMIT"))
        return statements
    }

    /// Where the leader takes writes, as it recorded it (no row: no leader yet).
    public static let leaderQuery = PGConnection.Statement("SELECT address, lock_pid, since FROM leader WHERE id = 1")

    /// A follower on a primary is woken by the journal trigger's NOTIFY (refused on a replica).
    public static let listenStatement = PGConnection.Statement("LISTEN \(PostgresSchema.notifyChannel)")

    /// The journal after `seq`, at most `limit` rows, oldest first: what a follower reads next.
    public static func journalPage(after seq: Int64, limit: Int) -> PGConnection.Statement {
        PGConnection.Statement("SELECT \(journalColumns) FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2", [String(seq), String(limit)])
    }

    /// A page of journal rows (journalPage) checked against the hash chain from `position` and
    /// decoded; `position` moves to the last. A row that breaks the chain fails the whole page.
    public static func followEntries(_ rows: PQRows, from position: inout ChainPosition, location: String) throws(StoreError) -> [Entry] {
        var verifier = ChainVerifier(from: position)
        var entries: [Entry] = []
        entries.reserveCapacity(rows.count)
        for row in 0..<rows.count { entries.append(try entry(rows, row, verifier: &verifier, location: location)) }
        position = verifier.position
        return entries
    }

    /// One chunk of the journal for a chain check: rows after `seq`, up to `upTo`, at most `limit`.
    static func chainChunk(after seq: Int64, upTo: Int64, limit: Int) -> PGConnection.Statement {
        PGConnection.Statement("SELECT \(journalColumns) FROM journal WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
                               [String(seq), String(upTo), String(limit)])
    }

    /// Feeds text rows (journalColumns) to `verifier`.
    static func check(_ rows: PQRows, with verifier: inout ChainVerifier, location: String) throws {
        for row in 0..<rows.count {
            guard let seq = rows[row, 0].flatMap({ Int64($0) }), let time = rows[row, 1].flatMap({ Int64($0) }),
                  let actor = rows[row, 2], let kind = rows[row, 3], let body = rows[row, 4], let stored = rows[row, 5] else {
                throw StoreError("journal entry after seq \(verifier.position.seq) of \(location) has a NULL or malformed column",
                                 isTransient: false, seq: verifier.position.seq + 1)
            }
            try verifier.check(seq: seq, time: time, actor: actor, kind: kind, body: body, stored: stored)
        }
    }
}

/// Builds commit jobs for a driver outside this module, keeping the hash chain's scratch buffers.
public struct PostgresCommitBuilder {
    private var hasher = HashChain()
    public init() {}

    /// The statements of one batch's transaction; `hash` goes from the chain's hash before the
    /// first entry to the hash after the last. `fence`: the lock session's pid (reliefd_fence).
    public mutating func commitJob(_ entries: [Entry], hash: inout [UInt8], fence: Int32?) -> [PGConnection.Statement] {
        PostgresStore.commitJob(entries, hash: &hash, hasher: &hasher, fence: fence)
    }
}
