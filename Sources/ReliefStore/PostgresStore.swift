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
               (SELECT COALESCE(SUM(on_hand), 0) FROM holdings), (SELECT COALESCE(SUM(reserved), 0) FROM holdings),
               (SELECT COUNT(*) FROM minimums), (SELECT COALESCE(SUM(quantity), 0) FROM minimums),
               (SELECT COUNT(*) FROM skills), (SELECT COUNT(*) FROM specialties), (SELECT COUNT(*) FROM volunteers),
               (SELECT COUNT(*) FROM certifications), (SELECT COUNT(*) FROM duty_log), (SELECT COUNT(*) FROM teams),
               (SELECT COUNT(*) FROM team_members), (SELECT COUNT(*) FROM volunteers WHERE on_duty_since IS NOT NULL),
               (SELECT COUNT(*) FROM volunteers WHERE status = 'deployed'),
               (SELECT COUNT(*) FROM incidents), (SELECT COUNT(*) FROM incidents WHERE status <> 'closed'),
               (SELECT COALESCE(SUM(affected), 0) FROM incidents),
               (SELECT COUNT(*) FROM needs), (SELECT COUNT(*) FROM needs WHERE status = 'open'), (SELECT COALESCE(SUM(amount), 0) FROM needs),
               (SELECT COUNT(*) FROM plans), (SELECT COALESCE(SUM(applied_lines), 0) FROM plans),
               (SELECT COUNT(*) FROM allocations), (SELECT COALESCE(SUM(quantity), 0) FROM allocations),
               (SELECT COALESCE(SUM(quantity), 0) FROM allocations WHERE status = 'dispatched'),
               (SELECT COALESCE(SUM(quantity), 0) FROM allocations WHERE status = 'delivered'),
               (SELECT COUNT(*) FROM assignments), (SELECT COUNT(*) FROM assignments WHERE status <> 'released'),
               (SELECT COALESCE(SUM(hours_ms), 0) FROM assignments),
               (SELECT COUNT(*) FROM travel_times), (SELECT COALESCE(SUM(minutes), 0) FROM travel_times)
        """)

    static func expectedCounts(_ state: State) -> [Int64] {
        var holdings: Int64 = 0, onHand: Int64 = 0, reserved: Int64 = 0
        for skus in state.stock.values {
            for skuStock in skus.values {
                holdings += Int64(skuStock.lots.count); onHand += skuStock.onHand; reserved += skuStock.reserved
            }
        }
        let minimums = state.minimums.values.flatMap(\.values)
        let volunteers = state.volunteers.values
        return [Int64(state.regions.count), Int64(state.warehouses.count), Int64(state.items.count),
                Int64(state.lots.count), holdings, onHand, reserved, Int64(minimums.count), minimums.reduce(0, +),
                Int64(state.skills.count), Int64(state.specialties.count), Int64(volunteers.count),
                Int64(volunteers.reduce(0) { $0 + $1.certifications.count }), Int64(volunteers.reduce(0) { $0 + $1.duty.count }),
                Int64(state.teams.count), Int64(state.teams.values.reduce(0) { $0 + $1.members.count }),
                Int64(volunteers.filter { $0.onDutySince != nil }.count),
                Int64(volunteers.filter { $0.status == .deployed }.count)]
            + incidentCounts(state)
            + [Int64(state.travelEntryCount), Int64(state.travelTimes.values.reduce(0) { $0 + $1.values.reduce(0, +) })]
    }

    /// The incident tables' part of `expectedCounts` (schema migration 2). Reserved stock is the
    /// holdings total above.
    private static func incidentCounts(_ state: State) -> [Int64] {
        let incidents = state.incidents.values, needs = state.needs.values
        let allocations = state.allocations.values, assignments = state.assignments.values
        func quantity(_ status: AllocationStatus) -> Int64 {
            allocations.reduce(0) { $1.status == status ? $0 + $1.quantity : $0 }
        }
        return [Int64(incidents.count), Int64(incidents.filter { $0.status != .closed }.count),
                incidents.reduce(0) { $0 + $1.affected },
                Int64(needs.count), Int64(needs.filter { $0.status == .open }.count), needs.reduce(0) { $0 + $1.request.amount },
                Int64(state.plans.count), Int64(state.plans.values.reduce(0) { $0 + $1.appliedLines.count }),
                Int64(allocations.count), allocations.reduce(0) { $0 + $1.quantity }, quantity(.dispatched), quantity(.delivered),
                Int64(assignments.count), Int64(assignments.filter { $0.status.isActive }.count),
                assignments.reduce(0) { $0 + $1.hoursMilliseconds }]
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
/// a time, its completion called once) and a `compute` function for the CPU-heavy part (decode and
/// replay), which the server runs off its loop thread.
public final class PostgresLoad: @unchecked Sendable {
    // @unchecked: used from one thread at a time (the caller's), except `replay`, which is pure.
    public typealias Run = (_ statements: [PGConnection.Statement], _ done: @escaping (PGConnection.Outcome) -> Void) -> Void
    public typealias Compute = (_ work: @escaping @Sendable () -> Replayed, _ done: @escaping (Replayed) -> Void) -> Void

    public struct Loaded {
        public var state: State
        public var snapshotSeq: Int64
        public var lastHash: [UInt8]
        public var schemaVersionFound: Int64
    }

    public enum Replayed: Sendable {
        case done(State, [UInt8])
        case snapshotUnusable(String)
        case failed(StoreError)
    }


    private let run: Run
    private let compute: Compute
    private let logger: Logger
    private let location: String
    private let finished: (Result<Loaded, StoreError>) -> Void
    private var found: Int64 = 0
    private var candidates: [(seq: Int64, hash: [UInt8])] = []

    public init(location: String, logger: Logger, run: @escaping Run, compute: @escaping Compute,
                finished: @escaping (Result<Loaded, StoreError>) -> Void) {
        self.location = location
        self.logger = logger
        self.run = run
        self.compute = compute
        self.finished = finished
    }

    public func start() {
        run(PostgresSchema.versionCheck) { outcome in
            guard let results = self.success(outcome, "reading the schema version"),
                  case .tuples(let rows) = results[3], let found = rows[0, 0].flatMap({ Int64($0) }) else { return }
            self.found = found
            guard found <= PostgresSchema.latestVersion else {
                self.run([PGConnection.Statement("ROLLBACK")]) { _ in self.finished(.failure(PostgresSchema.tooNew(found, self.location))) }
                return
            }
            self.run(PostgresSchema.upgrade(from: found)) { outcome in
                guard self.success(outcome, "migrating the schema") != nil else { return }
                if found < PostgresSchema.latestVersion {
                    self.logger.info("applied schema migrations", metadata: ["store": "\(self.location)", "from": "\(found)",
                                                                            "to": "\(PostgresSchema.latestVersion)"])
                }
                self.findSnapshots()
            }
        }
    }

    private func success(_ outcome: PGConnection.Outcome, _ context: String) -> [PQResult]? {
        switch outcome {
        case .success(let results): return results
        case .failure(let failure):
            finished(.failure(PostgresStore.storeError(failure, "loading \(location): \(context)")))
            return nil
        }
    }

    private func findSnapshots() {
        let query = PGConnection.Statement("""
            SELECT s.seq, s.hash, s.format, j.hash FROM snapshots s LEFT JOIN journal j ON j.seq = s.seq ORDER BY s.seq DESC
            """)
        run([query]) { outcome in
            guard let results = self.success(outcome, "listing snapshots"), case .tuples(let rows) = results[0] else { return }
            for row in 0..<rows.count {
                let seq = Int64(rows[row, 0] ?? "") ?? -1
                let skip = { (reason: String) in
                    self.logger.warning("skipping snapshot", metadata: ["store": "\(self.location)", "seq": "\(seq)", "reason": "\(reason)"])
                }
                guard rows[row, 2] == State.snapshotFormat else { skip("unknown format \(rows[row, 2] ?? "")"); continue }
                guard let hash = rows[row, 1], hash.utf8.count == 64, rows[row, 3] == hash else {
                    skip("hash differs from the journal's at its seq"); continue
                }
                self.candidates.append((seq, Array(hash.utf8)))
            }
            self.loadFrom()
        }
    }

    /// Loads from the next candidate snapshot, or replays the whole journal when none is left.
    private func loadFrom() {
        let candidate = candidates.isEmpty ? nil : candidates.removeFirst()
        let after = candidate?.seq ?? 0
        var statements = [PGConnection.Statement("SELECT \(PostgresStore.journalColumns) FROM journal WHERE seq > $1 ORDER BY seq",
                                                 [String(after)])]
        if let candidate { statements.append(PGConnection.Statement("SELECT body FROM snapshots WHERE seq = $1", [String(candidate.seq)])) }
        run(statements) { outcome in
            guard let results = self.success(outcome, "reading the journal"), case .tuples(let rows) = results[0] else { return }
            var text: String?
            if candidate != nil, results.count > 1, case .tuples(let body) = results[1], body.count == 1 { text = body[0, 0] }
            let snapshotText = text
            let location = self.location
            self.compute({
                PostgresLoad.replay(snapshot: candidate.map { ($0.seq, $0.hash, snapshotText ?? "") }, rows: rows, location: location)
            }, { replayed in
                switch replayed {
                case .snapshotUnusable(let reason):
                    self.logger.warning("skipping snapshot", metadata: ["store": "\(self.location)", "seq": "\(after)", "reason": "\(reason)"])
                    self.loadFrom()
                case .failed(let error):
                    self.finished(.failure(error))
                case .done(let state, let hash):
                    self.checkTables(Loaded(state: state, snapshotSeq: after, lastHash: hash, schemaVersionFound: self.found))
                }
            })
        }
    }

    private func checkTables(_ loaded: Loaded) {
        run([PostgresStore.countsQuery]) { outcome in
            guard let results = self.success(outcome, "checking the current-state tables"), case .tuples(let rows) = results[0] else { return }
            let expected = PostgresStore.expectedCounts(loaded.state)
            let matches = rows.count == 1 && expected.indices.allSatisfy { Int64(rows[0, $0] ?? "") == expected[$0] }
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
                                               "replayed": "\(loaded.state.lastSeq - loaded.snapshotSeq)"])
        finished(.success(loaded))
    }

    /// The pure part: the snapshot (if any) parsed, then every journal row after it checked against
    /// the hash chain, decoded and applied; the invariants checked at the end.
    static func replay(snapshot: (seq: Int64, hash: [UInt8], text: String)?, rows: PQRows, location: String) -> Replayed {
        var state = State()
        var hash = HashChain.genesis
        if let snapshot {
            do {
                state = try State(snapshotText: snapshot.text)
            } catch {
                return .snapshotUnusable("\(error)")
            }
            guard state.lastSeq == snapshot.seq else { return .snapshotUnusable("its header says seq \(state.lastSeq)") }
            hash = snapshot.hash
        }
        var hasher = HashChain()
        var expected = state.lastSeq + 1
        for row in 0..<rows.count {
            guard let seqText = rows[row, 0], let seq = Int64(seqText), let time = rows[row, 1].flatMap({ Int64($0) }),
                  let actor = rows[row, 2], let kind = rows[row, 3], var body = rows[row, 4], let stored = rows[row, 5] else {
                return .failed(StoreError("journal row \(row) of \(location) has a NULL or malformed column", isTransient: false))
            }
            guard seq == expected else {
                return .failed(StoreError("journal entry seq \(expected) is missing (next is \(seq)); the journal was altered or damaged",
                                          isTransient: false))
            }
            body.withUTF8 { bytes in
                hasher.advance(&hash, seq: seq, time: time, actor: actor, kind: kind, body: UnsafeRawBufferPointer(bytes))
            }
            guard stored.utf8.elementsEqual(hash) else {
                return .failed(StoreError("journal entry seq \(seq) fails the hash chain (stored \(stored), computed "
                                          + "\(String(decoding: hash, as: UTF8.self))); the journal was altered or damaged", isTransient: false))
            }
            let entry: Entry
            do {
                let event = try Event(kind: kind, body: FlatJSON.decode(body))
                entry = Entry(seq: seq, time: Timestamp(milliseconds: time), actor: actor, event: event)
            } catch {
                return .failed(StoreError("journal entry seq \(seq) cannot be decoded: \(error)", isTransient: false))
            }
            do {
                try state.apply(entry)
            } catch {
                return .failed(StoreError("journal entry seq \(seq) cannot be applied: \(error)", isTransient: false))
            }
            expected += 1
        }
        let problems = state.invariantViolations()
        guard problems.isEmpty else {
            return .failed(StoreError("state loaded from \(location) breaks its invariants: " + problems.prefix(5).joined(separator: "; "),
                                      isTransient: false))
        }
        return .done(state, hash)
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
