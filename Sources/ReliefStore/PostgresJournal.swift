import Logging
import ReliefCore

/// The PostgreSQL store behind the synchronous `Journal` interface, driven by `PGBlockingDriver`
/// on the calling thread: for start-up tools, `reliefd migrate` and the store test suite. The
/// daemon itself drives the same jobs from its event loop (ReliefServer's PostgresBackend), so
/// no thread of the daemon waits on the network.
///
/// Same contract as `SQLiteJournal`: `commit` returns once COMMIT has returned (synchronous_commit
/// = on), and a batch is all or nothing. No write-ahead staging (`supportsStaging` is false).
/// `@unchecked Sendable` for the same reason as SQLiteJournal: one thread at a time.
public final class PostgresJournal: Journal, @unchecked Sendable {
    public let url: String
    let password: String?
    let logger: Logger
    let driver: PGBlockingDriver
    var lastSeq: Int64 = 0
    var lastHash: [UInt8] = HashChain.genesis
    var hasher = HashChain()
    var needsProbe = false
    /// Backend pid of a lock connection whose leader lock commits must be fenced by (tools that
    /// hold the lock set it); nil: no fence.
    public var fencePID: Int32?
    public private(set) var loadedSnapshotSeq: Int64 = 0
    public private(set) var loadedSnapshotCovers: Int64 = 0
    public private(set) var schemaVersionFound: Int64 = 0

    public static let snapshotsKept = 3

    public init(url: String, password: String? = nil, logger: Logger, client: PQClient = LibPQClient(), timeoutSeconds: Double = 30) {
        self.url = url
        self.password = password
        self.logger = logger
        driver = PGBlockingDriver(client: client, timeoutSeconds: timeoutSeconds)
    }

    public var location: String { PostgresStore.redacted(url) }
    public var committedSeq: Int64 { lastSeq }

    // MARK: connection

    func connected() throws -> PGBlockingDriver {
        if !driver.isConnected {
            try driver.connect(PostgresStore.parameters(url: url, password: password))
            do {
                _ = try driver.run(PostgresStore.sessionSetup)
            } catch {
                throw PostgresStore.storeError(error, "setting up the session")
            }
        }
        return driver
    }

    /// Runs one job, mapping failures to StoreError.
    @discardableResult
    func run(_ statements: [PGConnection.Statement], _ context: String) throws -> [PQResult] {
        let driver = try connected()
        do {
            return try driver.run(statements)
        } catch {
            throw PostgresStore.storeError(error, context)
        }
    }

    // MARK: Journal

    public func load() throws -> State {
        let driver = try connected()
        var result: Result<PostgresLoad.Loaded, StoreError>?
        let load = PostgresLoad(location: location, logger: logger, run: { statements, done in
            do throws(PGConnection.Failure) {
                done(.success(try driver.run(statements)))
            } catch {
                done(.failure(error))
            }
        }, compute: { work, done in done(work()) }, finished: { result = $0 })
        load.start()
        guard let result else { throw StoreError("loading \(location) did not finish", isTransient: false) }
        let loaded = try result.get()
        lastSeq = loaded.state.lastSeq
        lastHash = loaded.lastHash
        loadedSnapshotSeq = loaded.snapshotSeq
        loadedSnapshotCovers = loaded.snapshotCovers
        schemaVersionFound = loaded.schemaVersionFound
        needsProbe = false
        return loaded.state
    }

    public func commit(_ entries: [Entry]) throws {
        guard !entries.isEmpty else { return }
        guard !needsProbe else { throw StoreError("store \(location) has not recovered from its last failure; probe it first") }
        for (offset, entry) in entries.enumerated() where entry.seq != lastSeq + 1 + Int64(offset) {
            throw StoreError("entry seq \(entry.seq) does not follow the journal's last seq \(lastSeq + Int64(offset)); "
                             + "reload the state from the store", isTransient: false)
        }
        var hash = lastHash
        let job = PostgresStore.commitJob(entries, hash: &hash, hasher: &hasher, fence: fencePID)
        let results: [PQResult]
        do {
            results = try run(job, "committing entries \(entries.first!.seq)...\(entries.last!.seq)")
        } catch let error as StoreError {
            if error.isTransient { needsProbe = true }
            logger.error("commit failed", metadata: ["store": "\(location)", "error": "\(error.message)", "transient": "\(error.isTransient)"])
            throw error
        }
        guard PostgresStore.committed(results) else {
            needsProbe = true
            throw StoreError("committing entries \(entries.first!.seq)...\(entries.last!.seq): the transaction did not commit")
        }
        lastHash = hash
        lastSeq = entries.last!.seq
    }

    public func writeSnapshot(seq: Int64, text: String) throws {
        guard seq > 0 else { return }
        let results = try run(PostgresStore.snapshotJob(seq: seq, text: text, kept: PostgresJournal.snapshotsKept),
                              "writing snapshot at seq \(seq)")
        guard results[1] != .command("INSERT 0 0") else {
            throw StoreError("snapshot at seq \(seq) is past the journal's last entry", isTransient: false)
        }
    }

    public func probe() throws {
        let results = try run(PostgresStore.probeJob, "probing \(location)")
        if case .tuples(let rows) = results[3], rows.count == 1, let seq = rows[0, 0].flatMap({ Int64($0) }), let hash = rows[0, 1] {
            lastSeq = seq
            lastHash = Array(hash.utf8)
        } else {
            lastSeq = 0
            lastHash = HashChain.genesis
        }
        needsProbe = false
    }

    public func close() {
        driver.close()
    }

    // MARK: audits and tools

    /// Recomputes the hash chain from the first entry (in chunks, so memory stays bounded) and
    /// checks every snapshot against its seal, as `SQLiteJournal.verifyChain` does. Needs no load
    /// and takes no lock: `reliefd verify` runs it beside a live daemon. The failure reported is
    /// the one at the lowest seq.
    public func verifyChain(from: Int64 = 1) throws -> ChainReport {
        var verifier = ChainVerifier()
        if from > 1 {
            let start = try query("SELECT hash FROM journal WHERE seq = $1::bigint", [String(from - 1)])
            guard start.count == 1, let hash = start[0, 0], hash.utf8.count == 64 else {
                throw StoreError("verifying \(location): there is no journal entry seq \(from - 1) to start from=\(from) after", isTransient: false)
            }
            verifier = ChainVerifier(from: ChainPosition(seq: from - 1, hash: Array(hash.utf8)))
        }
        var chainFailure: StoreError?
        do {
            let tail = try self.tail().seq
            while verifier.position.seq < tail {
                let before = verifier.position.seq
                let results = try run([PostgresStore.chainChunk(after: before, upTo: tail, limit: PostgresLoad.chainChunk)],
                                      "verifying \(location): reading the journal after seq \(before)")
                guard case .tuples(let rows) = results[0] else { throw StoreError("verifying \(location): unexpected results", isTransient: false) }
                try PostgresStore.check(rows, with: &verifier, location: location)
                guard verifier.position.seq > before else {
                    throw StoreError("journal entry seq \(before + 1) is missing (the journal ends before seq \(tail)); "
                                     + "the journal was altered or damaged", isTransient: false, seq: before + 1)
                }
            }
        } catch let error as StoreError where error.seq != nil {
            chainFailure = error
        }
        var checked = 0, unsealed = 0
        var snapshotFailure: StoreError?
        let snapshots = try query("SELECT s.seq, s.hash, j.hash FROM snapshots s LEFT JOIN journal j ON j.seq = s.seq ORDER BY s.seq")
        for row in 0..<snapshots.count {
            let seq = Int64(snapshots[row, 0] ?? "") ?? 0
            if let bad = chainFailure?.seq, seq >= bad { break }
            if seq < from { continue }
            guard let (sealSeq, seal) = verifier.seals[seq] else {
                unsealed += 1
                continue
            }
            guard let hash = snapshots[row, 1], snapshots[row, 2] == hash else {
                snapshotFailure = StoreError("snapshot at seq \(seq) does not match the journal's hash at that seq; "
                                             + "the snapshot row was altered or damaged", isTransient: false, seq: seq)
                break
            }
            // One body at a time: a snapshot can be large.
            let body = try query("SELECT format, body FROM snapshots WHERE seq = $1", [String(seq)])
            guard body.count == 1, var text = body[0, 1] else { continue }
            do {
                try text.withUTF8 { try seal.check(format: body[0, 0] ?? "", body: UnsafeRawBufferPointer($0), sealSeq: sealSeq) }
                checked += 1
            } catch let error as StoreError {
                snapshotFailure = error
                break
            }
        }
        if let failure = StoreError.first(chainFailure, snapshotFailure) {
            var failure = failure
            failure.message = "verifying \(location): \(failure.message)"
            throw failure
        }
        let report = ChainReport(entries: verifier.position.entries, lastSeq: verifier.position.seq,
                                 lastHash: String(decoding: verifier.position.hash, as: UTF8.self),
                                 snapshotsChecked: checked, snapshotsUnsealed: unsealed)
        logger.info("hash chain verified", metadata: ["store": "\(location)", "entries": "\(report.entries)", "hash": "\(report.lastHash)"])
        return report
    }

    /// The last entry's seq and hash as the database has them (0 and the genesis hash when empty).
    public func tail() throws -> (seq: Int64, hash: String) {
        let results = try run([PGConnection.Statement("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")], "reading the journal's tail")
        guard case .tuples(let rows) = results[0], rows.count == 1, let seq = rows[0, 0].flatMap({ Int64($0) }) else {
            return (0, String(decoding: HashChain.genesis, as: UTF8.self))
        }
        return (seq, rows[0, 1] ?? "")
    }

    /// Runs statements as one job (tests and tools); results as text rows.
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> PQRows {
        let results = try run([PGConnection.Statement(sql, parameters)], sql)
        if case .tuples(let rows) = results[0] { return rows }
        return PQRows(columns: 0, values: [])
    }

    /// Takes the leader lock on this journal's own connection, so no reliefd can lead while a tool
    /// writes; false when another session holds it.
    public func tryLeaderLock() throws -> Bool {
        let rows = try query("SELECT pg_try_advisory_lock(\(PostgresSchema.lockClass), \(PostgresSchema.leaderLock))")
        return rows.count == 1 && rows[0, 0] == "t"
    }
}
