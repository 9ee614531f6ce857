import Logging
import ReliefCore
import ReliefLimits

/// The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, holding the hash-chained
/// journal, the newest snapshots and the current-state tables (docs/storage.md).
///
/// `@unchecked Sendable` because the server hands it to its writer thread: from then on exactly one
/// thread at a time calls it (the Journal contract), so its mutable state needs no lock. Do not
/// share it between threads concurrently.
public final class SQLiteJournal: Journal, @unchecked Sendable {
    public let path: String
    let logger: Logger

    /// The open file, or nil before `load` and after `close`.
    var session: SQLiteSession?
    /// Seq and hash of the last committed journal row: what the next batch chains onto.
    var lastSeq: Int64 = 0
    var lastHash: [UInt8] = HashChain.genesis
    /// Set when a commit failed for a reason that may clear up; commits are refused until `probe`
    /// has checked the store and re-read its tail.
    var needsProbe = false
    /// The state `load(deferringTableCheck: true)` loaded, until `checkDeferredTables` has compared
    /// the current-state tables with it; every write runs that check first.
    var deferredCheck: State?

    // Scratch buffers reused by every commit, so a batch allocates as little as possible.
    var hasher = HashChain()
    private var body: [UInt8] = []
    private var workingHash: [UInt8] = HashChain.genesis

    /// The biggest batch one transaction takes. One request's entries always go in one transaction,
    /// so this must hold the largest bulk import (`Limits.importEntries`; an import whose rows make
    /// more is refused before it commits): an import is then all or nothing even across a crash. Ordinary group-commit
    /// batches are far smaller (the pipeline cuts them at 50,000 entries between requests).
    public static let maximumBatch = Limits.transactionEntries

    public init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
        body.reserveCapacity(1024)
    }

    deinit { session?.close() }

    public var location: String { "sqlite:" + path }
    public var headHash: String { String(decoding: lastHash, as: UTF8.self) }

    /// Seq of the last committed entry (0 for an empty journal).
    public var committedSeq: Int64 { lastSeq }
    public internal(set) var loadedSnapshotSeq: Int64 = 0
    public internal(set) var loadedSnapshotCovers: Int64 = 0

    // MARK: commit

    public func commit(_ entries: [Entry]) throws {
        guard !entries.isEmpty else { return }
        guard stagedUpTo == nil else {
            throw StoreError("commit while a staged transaction is open; commit or discard it first", isTransient: false)
        }
        let session = try writableSession()
        try checkBatch(entries, after: lastSeq)
        guard session.fileIsInPlace(path: path) else {
            needsProbe = true
            throw removedError()
        }
        restartChain()
        do {
            try session.begin.execute()
            try append(entries, session)
            try session.commit.execute()
        } catch {
            throw failed(error, session, "committing entries \(entries.first!.seq)...\(entries.last!.seq)")
        }
        swap(&lastHash, &workingHash)
        releaseCacheAfterLargeBatch(entries.last!.seq - lastSeq, session)
        lastSeq = entries.last!.seq
    }

    // MARK: writing ahead (staged transaction)

    /// The last seq written into the open staged transaction; nil when none is open. Its hash
    /// chain so far is in `workingHash`.
    var stagedUpTo: Int64?

    public var supportsStaging: Bool { true }

    public func stage(_ entries: [Entry]) throws {
        guard !entries.isEmpty else { return }
        let session = try writableSession()
        try checkBatch(entries, after: stagedUpTo ?? lastSeq)
        if stagedUpTo == nil {
            guard session.fileIsInPlace(path: path) else {
                needsProbe = true
                throw removedError()
            }
            restartChain()
            do {
                try session.begin.execute()
            } catch {
                throw failed(error, session, "opening a staged transaction")
            }
            stagedUpTo = lastSeq
        }
        do {
            try append(entries, session)
        } catch {
            stagedUpTo = nil
            throw failed(error, session, "staging entries \(entries.first!.seq)...\(entries.last!.seq)")
        }
        stagedUpTo = entries.last!.seq
    }

    public func commitStaged(_ entries: [Entry]) throws {
        guard let upTo = stagedUpTo else {
            throw StoreError("no staged transaction to commit", isTransient: false)
        }
        stagedUpTo = nil
        let session = try writableSession()
        do {
            try checkBatch(entries, after: upTo)
            guard session.fileIsInPlace(path: path) else {
                needsProbe = true
                throw removedError()
            }
            try append(entries, session)
            try session.commit.execute()
        } catch {
            throw failed(error, session, "committing staged entries \(lastSeq + 1)...\(entries.last?.seq ?? upTo)")
        }
        swap(&lastHash, &workingHash)
        releaseCacheAfterLargeBatch((entries.last?.seq ?? upTo) - lastSeq, session)
        lastSeq = entries.last?.seq ?? upTo
    }

    /// Entries in one transaction past which the pages it wrote are let go of once it commits.
    static let largeBatch: Int64 = 10_000

    /// After an import's transaction (a roster of 100,000 rewrites much of the file through the
    /// cache), the cache holds pages the next small commits do not touch again: freed, so the
    /// daemon does not keep 32 MB for them. Small commits keep their cache warm.
    private func releaseCacheAfterLargeBatch(_ count: Int64, _ session: SQLiteSession) {
        if count >= SQLiteJournal.largeBatch { session.connection.releaseCache() }
    }

    public func discardStaged() {
        guard stagedUpTo != nil else { return }
        stagedUpTo = nil
        session?.rollbackIfNeeded()
    }

    // MARK: commit helpers

    private func checkBatch(_ entries: [Entry], after seq: Int64) throws {
        guard entries.count <= SQLiteJournal.maximumBatch else {
            throw StoreError("batch of \(entries.count) entries exceeds the limit of \(SQLiteJournal.maximumBatch)", isTransient: false)
        }
        for (offset, entry) in entries.enumerated() where entry.seq != seq + 1 + Int64(offset) {
            throw StoreError("entry seq \(entry.seq) does not follow the journal's last seq \(seq + Int64(offset)); "
                             + "reload the state from the store", isTransient: false)
        }
    }

    /// Starts the working hash chain from the last committed hash.
    private func restartChain() {
        workingHash.withUnsafeMutableBufferPointer { out in
            lastHash.withUnsafeBufferPointer { out.baseAddress!.update(from: $0.baseAddress!, count: 64) }
        }
    }

    /// Inserts the entries and their current-state rows inside the open transaction, advancing
    /// `workingHash`.
    private func append(_ entries: [Entry], _ session: SQLiteSession) throws {
        let append = session.appendEntry
        for entry in entries {
            body.removeAll(keepingCapacity: true)
            entry.event.body.encode(into: &body)
            let kind = entry.event.kind
            try body.withUnsafeBytes { bodyBytes in
                hasher.advance(&workingHash, seq: entry.seq, time: entry.time.milliseconds, actor: entry.actor,
                               kind: kind, body: bodyBytes)
                append.bind(1, entry.seq)
                append.bind(2, entry.time.milliseconds)
                append.bind(3, entry.actor)
                append.bind(4, kind)
                append.bind(5, text: bodyBytes)
                workingHash.withUnsafeBytes { append.bind(6, text: $0) }
                try append.execute()
            }
            try session.projector.project(entry)
        }
    }

    /// Rolls back after a failed write and returns the error to throw (logged).
    private func failed(_ error: any Error, _ session: SQLiteSession, _ context: String) -> StoreError {
        session.rollbackIfNeeded()
        let failure = storeError(error, context)
        if failure.isTransient { needsProbe = true }
        logger.error("commit failed", metadata: ["store": "\(location)", "error": "\(failure.message)",
                                                 "transient": "\(failure.isTransient)"])
        return failure
    }

    // MARK: snapshots

    /// How many snapshots are kept; older ones are deleted when a new one is written.
    public static let snapshotsKept = 3

    /// The size a snapshot's parts are cut near (at a line end; a longer line makes a longer part).
    /// One part is one transaction: a commit waits for at most one part's write and sync.
    public static let snapshotPartBytes = 256 * 1024
    /// Parts of dropped snapshots deleted per transaction (freeing a part reads its overflow pages).
    static let partsDeletedPerTransaction = 8

    public func writeSnapshot(seq: Int64, text: String) throws {
        try writeSnapshot(seq: seq, text: text, betweenParts: {})
    }

    /// Stores the snapshot in parts of about `snapshotPartBytes`, each in its own transaction, and
    /// calls `betweenParts` after each (the writer commits what waits meanwhile, so no commit waits
    /// behind a whole snapshot). The `snapshots` row goes last, with the pruning of the oldest:
    /// a crash before it leaves only parts no row names, which the next snapshot deletes.
    public func writeSnapshot(seq: Int64, text: String, betweenParts: () -> Void) throws {
        guard seq > 0 else { return } // nothing to save; an empty journal loads as fast
        guard stagedUpTo == nil else {
            throw StoreError("snapshot while a staged transaction is open", isTransient: false)
        }
        var session = try writableSession()
        guard session.fileIsInPlace(path: path) else { throw removedError() }
        let bytes = text.utf8.count
        var parts: Int64 = 0
        do {
            guard let hash = try session.hash(atSeq: seq) else {
                throw StoreError("snapshot at seq \(seq) is past the journal's last entry", isTransient: false)
            }
            // A snapshot of this seq again (a retry): its old row goes first, so its parts are unnamed.
            try session.begin.execute()
            try session.connection.execute("DELETE FROM snapshots WHERE seq = \(seq)")
            try session.commit.execute()
            try deleteUnnamedParts(betweenParts: betweenParts)

            var text = text
            try text.withUTF8 { utf8 in
                let all = UnsafeRawBufferPointer(utf8)
                var start = 0
                while start < all.count {
                    var end = min(start + SQLiteJournal.snapshotPartBytes, all.count)
                    if end < all.count {
                        // Cut after the last line end in the part, or after the first one past it.
                        if let newline = all[start..<end].lastIndex(of: 0x0A) {
                            end = newline + 1
                        } else {
                            end = (all[end...].firstIndex(of: 0x0A) ?? (all.count - 1)) + 1
                        }
                    }
                    session = try writableSession()
                    let insert = try session.connection.prepare("INSERT INTO snapshot_parts (seq, part, body) VALUES (?1, ?2, ?3)")
                    defer { insert.finalize() }
                    try session.begin.execute()
                    insert.bind(1, seq)
                    insert.bind(2, parts)
                    insert.bind(3, text: UnsafeRawBufferPointer(rebasing: all[start..<end]))
                    try insert.execute()
                    try session.commit.execute()
                    parts += 1
                    start = end
                    betweenParts()
                }
            }

            session = try writableSession()
            let insert = try session.connection.prepare(
                "INSERT INTO snapshots (seq, hash, taken_at, format, body, parts) VALUES (?1, ?2, ?3, ?4, '', ?5)")
            defer { insert.finalize() }
            let prune = try session.connection.prepare(
                "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?1)")
            defer { prune.finalize() }
            try session.begin.execute()
            insert.bind(1, seq)
            hash.withUnsafeBytes { insert.bind(2, text: $0) }
            insert.bind(3, WallClock.milliseconds())
            insert.bind(4, State.snapshotFormat)
            insert.bind(5, parts)
            try insert.execute()
            prune.bind(1, Int64(SQLiteJournal.snapshotsKept))
            try prune.execute()
            try session.commit.execute()
            logger.debug("snapshot stored", metadata: ["store": "\(location)", "seq": "\(seq)",
                                                       "bytes": "\(bytes)", "parts": "\(parts)"])
        } catch {
            session.rollbackIfNeeded()
            throw storeError(error, "writing snapshot at seq \(seq)")
        }
        // The pruned snapshots' parts; a failure here leaves them to the next snapshot.
        do {
            try deleteUnnamedParts(betweenParts: betweenParts)
        } catch {
            session.rollbackIfNeeded()
            logger.warning("deleting the parts of older snapshots failed; the next snapshot retries",
                           metadata: ["store": "\(location)", "error": "\(error)"])
        }
    }

    /// Deletes parts that no `snapshots` row names, a few per transaction, calling `betweenParts`
    /// after each.
    private func deleteUnnamedParts(betweenParts: () -> Void) throws {
        while true {
            let session = try writableSession()
            let delete = try session.connection.prepare("""
                DELETE FROM snapshot_parts WHERE rowid IN (
                    SELECT rowid FROM snapshot_parts WHERE seq NOT IN (SELECT seq FROM snapshots) LIMIT ?1)
                """)
            defer { delete.finalize() }
            try session.begin.execute()
            delete.bind(1, Int64(SQLiteJournal.partsDeletedPerTransaction))
            try delete.execute()
            let deleted = session.connection.changes
            try session.commit.execute()
            if deleted == 0 { return }
            betweenParts()
        }
    }

    /// The SQL for a `snapshots` row's part count: the `parts` column, or `0` in a file written
    /// before migration 7 (read-only audits read such files without migrating them).
    static func partsColumn(_ connection: SQLiteConnection, of table: String = "snapshots") throws -> String {
        try connection.scalarInt("SELECT COUNT(*) FROM pragma_table_info('snapshots') WHERE name = 'parts'") == 1 ? table + ".parts" : "0"
    }

    /// The text of a snapshot stored in `parts` parts (SQLiteSchema migration 7), joined in order;
    /// a part missing or out of place is damage.
    static func snapshotBody(seq: Int64, parts: Int64, _ connection: SQLiteConnection) throws -> [UInt8] {
        let select = try connection.prepare("SELECT part, body FROM snapshot_parts WHERE seq = ?1 ORDER BY part")
        defer { select.finalize() }
        select.bind(1, seq)
        var body: [UInt8] = []
        // Room for every part at its usual size, so the body is not copied as it grows (pages
        // reserved past the last part are never touched, so never resident). At most a gigabyte:
        // a damaged count must not make the reservation itself fail; past it the body grows.
        body.reserveCapacity(Int(min(max(parts, 0), 4096)) * snapshotPartBytes)
        var next: Int64 = 0
        while try select.step() {
            guard select.int64(0) == next else { break }
            select.withText(1) { body.append(contentsOf: $0) }
            next += 1
        }
        guard next == parts else {
            throw StoreError("snapshot at seq \(seq) has \(next) of its \(parts) parts in order; the snapshot was altered or damaged",
                             isTransient: false, seq: seq)
        }
        return body
    }

    // MARK: recovery

    /// Succeeds only when a commit would work again: the file is the one in place at the path, a
    /// small write transaction commits, and the journal's tail is re-read (a commit reported as
    /// failed may still have reached the disk, so the daemon reloads its state afterwards).
    /// When the file is gone, nothing is recreated: the data would be lost. The operator restores
    /// the file (from a backup) and the next probe reopens it.
    public func probe() throws {
        discardStaged()
        guard FileIdentity.of(path: path) != nil else {
            throw StoreError("database file \(path) is gone; restore it (reliefd resumes when it is back) "
                             + "— reliefd will not create an empty one while running")
        }
        do {
            // Always a fresh connection: after some I/O errors SQLite's handle stays unusable, and
            // the file at the path may be a restored one. The old session is kept until the new
            // one has opened, so a failed probe leaves the journal as it was.
            let session = try SQLiteSession(path: path, logger: logger)
            self.session?.close()
            self.session = session
            try session.connection.execute("BEGIN IMMEDIATE")
            do {
                try session.connection.execute("INSERT OR REPLACE INTO store_probe (id, probed_at) VALUES (1, \(WallClock.milliseconds()))")
                try session.connection.execute("COMMIT")
            } catch {
                session.rollbackIfNeeded()
                throw error
            }
            let tail = try session.tail()
            if tail.seq != lastSeq || tail.hash != lastHash {
                logger.warning("journal tail differs from the last commit seen; reload the state",
                               metadata: ["store": "\(location)", "seq": "\(tail.seq)", "expected": "\(lastSeq)"])
            }
            lastSeq = tail.seq
            lastHash = tail.hash
            needsProbe = false
        } catch {
            throw storeError(error, "probing \(path)")
        }
    }

    /// Finalizes every statement and closes the file. Idempotent; `load` opens it again.
    public func close() {
        discardStaged()
        session?.close()
        session = nil
    }

    // MARK: helpers

    func writableSession() throws -> SQLiteSession {
        guard let session else { throw StoreError("store \(location) is not open; load it first", isTransient: false) }
        guard !needsProbe else { throw StoreError("store \(location) has not recovered from its last failure; probe it first") }
        // Before the first write after a load that deferred it (never inside a transaction: the
        // first write of all begins one after this returns).
        if deferredCheck != nil { try checkDeferredTables() }
        return session
    }

    func removedError() -> StoreError {
        StoreError("database file \(path) was removed or replaced while open; writes stop until it is back")
    }

    func storeError(_ error: any Error, _ context: String) -> StoreError {
        switch error {
        case let error as StoreError: return error
        case let error as SQLiteError:
            var mapped = error.storeError
            mapped.message = "\(context): \(mapped.message)"
            return mapped
        default: return StoreError("\(context): \(error)", isTransient: false)
        }
    }
}
