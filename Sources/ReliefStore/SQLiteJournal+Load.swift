import Logging
import ReliefCore

/// Rebuilding the state (newest sealed snapshot + the journal after it, the whole chain checked)
/// and auditing the store.
extension SQLiteJournal {
    public func load() throws -> State {
        try load(deferringTableCheck: false)
    }

    /// With `deferringTableCheck`, the comparison of the current-state tables with the state (and
    /// their rebuild when they disagree) is left to `checkDeferredTables`, which the first write
    /// runs if nobody has before it: the daemon's writer runs it as its first job, so reads are
    /// answered meanwhile and writes wait for it as they wait for a commit. On a large roster it
    /// is a third of a start.
    public func load(deferringTableCheck: Bool) throws -> State {
        discardStaged()
        // Set when the file was removed while open: the open connection still reads exactly what
        // was committed (the unlinked inode), so the daemon can keep answering reads correctly.
        // Never silently start over on an empty file while running: the data would be lost.
        var readingUnlinkedFile = false
        if let session, !session.fileIsInPlace(path: path) {
            if FileIdentity.of(path: path) == nil {
                readingUnlinkedFile = true
            } else {
                session.close()
                self.session = nil
            }
        }
        do {
            if session == nil { session = try SQLiteSession(path: path, logger: logger) }
            let session = session!
            let started = ContinuousClock.now
            let tail = try session.tail()
            // Rows before the snapshot are checked on every start too: the whole chain from genesis
            // is recomputed on a second connection while this one decodes the snapshot and replays
            // what follows it. An unlinked file cannot be opened a second time; its check runs here.
            var chain: Background<(ChainPosition, Duration)>?
            var chainFailure: StoreError?
            if readingUnlinkedFile {
                do {
                    var verifier = ChainVerifier()
                    try SQLiteJournal.forEachRow(session.connection, after: 0, upTo: tail.seq, verifier: &verifier) { _, _, _, _, _, _ in }
                } catch {
                    chainFailure = storeError(error, "checking the hash chain of \(path)")
                }
            } else {
                let path = self.path, location = self.location
                chain = Background(name: "reliefd-chain") { () throws(StoreError) -> (ChainPosition, Duration) in
                    let started = ContinuousClock.now
                    do {
                        let connection = try SQLiteConnection(path: path, readOnly: true)
                        defer { connection.close() }
                        try connection.setBusyTimeout(milliseconds: SQLiteSession.busyTimeoutMilliseconds)
                        var verifier = ChainVerifier()
                        try SQLiteJournal.forEachRow(connection, after: 0, upTo: tail.seq, verifier: &verifier) { _, _, _, _, _, _ in }
                        return (verifier.position, ContinuousClock.now - started)
                    } catch let error as StoreError {
                        throw error
                    } catch {
                        throw StoreError("checking the hash chain of \(location): \(error)", isTransient: false)
                    }
                }
            }
            var replayed: Replayed?
            var replayFailure: StoreError?
            do {
                replayed = try replay(session.connection)
            } catch {
                replayFailure = storeError(error, "loading \(path)")
            }
            let replayTime = ContinuousClock.now - started
            var chainTime = Duration.zero
            if let chain {
                switch chain.join() {
                case .success(let (position, time)):
                    chainTime = time
                    if let replayed, position.seq != replayed.position.seq || position.hash != replayed.position.hash {
                        replayFailure = StoreError("the journal changed while it was loaded (checked up to seq \(position.seq), "
                                                   + "replayed up to \(replayed.position.seq)); load it again", isTransient: true)
                    }
                case .failure(let error):
                    chainFailure = error
                }
            }
            if let failure = StoreError.first(chainFailure, replayFailure) { throw failure }
            var state = replayed!.state
            // The invariants are checked on a thread of their own while this one compares the
            // current-state tables with the state (or leaves that to the first write, when the
            // caller defers it): both only read the state, and each is a large part of a start on
            // a big roster.
            let loadedState = state
            let invariants = Background(name: "reliefd-check") { () throws(StoreError) -> [String] in
                loadedState.invariantViolations(indexesJustRebuilt: true)
            }
            deferredCheck = nil
            if !readingUnlinkedFile && !deferringTableCheck {
                do {
                    try compareAndRepairTables(session, state)
                } catch {
                    _ = invariants.join()
                    throw error
                }
            }
            let problems: [String]
            switch invariants.join() {
            case .success(let found): problems = found
            case .failure(let error): throw error
            }
            guard problems.isEmpty else {
                throw StoreError("state loaded from \(path) breaks its invariants: "
                                 + problems.prefix(5).joined(separator: "; "), isTransient: false)
            }
            if !readingUnlinkedFile && deferringTableCheck { deferredCheck = state }
            // The snapshot's pages (and the tables', when compared here) are not read again.
            session.connection.releaseCache()
            let loaded = replayed!
            lastSeq = loaded.position.seq
            lastHash = loaded.position.hash
            loadedSnapshotSeq = loaded.snapshotSeq
            loadedSnapshotCovers = loaded.covers
            needsProbe = readingUnlinkedFile
            // How long the snapshot and replay took, the whole-chain check beside them, and the
            // load in all: the check costs the start only where it outlasts the replay.
            logger.info("store loaded", metadata: ["store": "\(location)", "seq": "\(lastSeq)", "snapshot": "\(loaded.snapshotSeq)",
                                                   "replayed": "\(lastSeq - loaded.snapshotSeq)", "chain_checked": "\(lastSeq)",
                                                   "replay_ms": "\(replayTime.milliseconds)", "chain_ms": "\(chainTime.milliseconds)",
                                                   "load_ms": "\((ContinuousClock.now - started).milliseconds)"])
            state = loaded.state
            return state
        } catch {
            throw storeError(error, "loading \(path)")
        }
    }

    /// Compares the current-state tables with `state`, the state of the journal as committed,
    /// and rebuilds those that disagree, in one transaction. The volunteers table, the largest,
    /// is compared on a second connection and thread while the session's connection compares the
    /// others. Nothing else writes the file meanwhile: this daemon holds it, and this runs on the
    /// thread that writes (at load, or as the writer's first job).
    func compareAndRepairTables(_ session: SQLiteSession, _ state: State) throws {
        let started = ContinuousClock.now
        let path = self.path
        let volunteers = Background(name: "reliefd-tables") { () throws(StoreError) -> Bool in
            do {
                let connection = try SQLiteConnection(path: path, readOnly: true)
                defer { connection.close() }
                try connection.setBusyTimeout(milliseconds: SQLiteSession.busyTimeoutMilliseconds)
                return try SQLiteRosterProjector.volunteersMatch(connection, state)
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError("comparing the volunteers table of \(path) with the journal: \(error)", isTransient: false)
            }
        }
        var tablesMatch: Bool, movesMatch: Bool
        do {
            tablesMatch = try session.projector.tablesMatch(state, volunteers: false)
            movesMatch = try session.projector.movesMatch(state)
        } catch {
            _ = volunteers.join()
            throw error
        }
        switch volunteers.join() {
        case .success(let match): tablesMatch = tablesMatch && match
        case .failure(let error): throw error
        }
        if !tablesMatch || !movesMatch {
            logger.warning("current-state tables disagree with the journal; rebuilding them",
                           metadata: ["store": "\(location)", "stock_moves": "\(movesMatch ? "in step" : "from the journal")"])
            try session.begin.execute()
            do {
                if !tablesMatch { try session.projector.replaceAll(from: state) }
                if !movesMatch { try rebuildStockMoves(session, upTo: state.lastSeq) }
                try session.commit.execute()
            } catch {
                session.rollbackIfNeeded()
                throw error
            }
        }
        session.connection.releaseCache()
        logger.info("current-state tables checked", metadata: ["store": "\(location)", "seq": "\(state.lastSeq)",
                                                               "rebuilt": "\(!tablesMatch || !movesMatch)",
                                                               "check_ms": "\((ContinuousClock.now - started).milliseconds)"])
    }

    /// Runs the table check `load(deferringTableCheck: true)` left, if it has not run yet: the
    /// tables are compared with the state as loaded (nothing has been committed since) and
    /// rebuilt where they disagree. Every write runs it first; the daemon's writer calls it as its
    /// first job, before any write arrives. A failure leaves it due, and the write that runs it
    /// next fails the same way (the daemon then recovers by loading the store again).
    @discardableResult public func checkDeferredTables() throws -> Bool {
        guard let state = deferredCheck, let session else { return false }
        try compareAndRepairTables(session, state)
        deferredCheck = nil
        return true
    }

    /// The state as the file holds it, read without a write: the newest sealed snapshot and the
    /// journal after it (chain-checked from the snapshot on), on a read-only connection. Nothing
    /// is created, migrated, rebuilt or locked, so a running daemon's store can be copied this way
    /// (a drill `from live`); the state is the one its last commit left.
    public func loadReadOnly() throws -> State {
        guard FileIdentity.of(path: path) != nil else { throw StoreError("no SQLite store at \(path)", isTransient: false) }
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            defer { connection.close() }
            try connection.setBusyTimeout(milliseconds: SQLiteSession.busyTimeoutMilliseconds)
            let state = try replay(connection).state
            let problems = state.invariantViolations(indexesJustRebuilt: true)
            guard problems.isEmpty else {
                throw StoreError("state read from \(path) breaks its invariants: " + problems.prefix(5).joined(separator: "; "), isTransient: false)
            }
            return state
        } catch {
            throw storeError(error, "reading \(path)")
        }
    }

    struct Replayed {
        var state: State
        var position: ChainPosition
        var snapshotSeq: Int64
        /// The snapshot's seq, or the last of the seal entries directly after it.
        var covers: Int64
    }

    /// The newest sealed snapshot plus every entry after it, decoded and applied; the rows replayed
    /// are checked against the chain from the snapshot's hash (the full check runs beside).
    private func replay(_ connection: SQLiteConnection) throws -> Replayed {
        var (state, start) = try newestSealedSnapshot(connection)
        let snapshotSeq = start.seq
        var covers = start.seq
        var verifier = ChainVerifier(from: start)
        try SQLiteJournal.forEachRow(connection, after: start.seq, upTo: nil, verifier: &verifier) { entrySeq, time, actor, kind, body, _ in
            let entry: Entry
            do {
                let event = try Event(kind: String(decoding: kind, as: UTF8.self), body: FlatJSON.decode(body))
                entry = Entry(seq: entrySeq, time: Timestamp(milliseconds: time),
                              actor: String(decoding: actor, as: UTF8.self), event: event)
            } catch {
                throw StoreError("journal entry seq \(entrySeq) cannot be decoded: \(error)", isTransient: false, seq: entrySeq)
            }
            do {
                try state.apply(entry)
            } catch {
                throw StoreError("journal entry seq \(entrySeq) cannot be applied: \(error)", isTransient: false, seq: entrySeq)
            }
            if covers == entrySeq - 1, case .snapshotSealed = entry.event { covers = entrySeq }
        }
        start = verifier.position
        return Replayed(state: state, position: start, snapshotSeq: snapshotSeq, covers: covers)
    }

    /// Recomputes the whole hash chain from the first entry and checks every snapshot against its
    /// seal. For audits (`reliefd verify`): with the last hash published, anyone holding a copy can
    /// check nothing was altered.
    public func verifyChain() throws -> ChainReport {
        guard let session else { throw StoreError("store \(location) is not open; load it first", isTransient: false) }
        let report = try SQLiteJournal.audit(session.connection, location: location)
        logger.info("hash chain verified", metadata: ["store": "\(location)", "entries": "\(report.entries)", "hash": "\(report.lastHash)"])
        return report
    }

    /// `verifyChain` on a file that is not open, read-only: nothing is created, migrated or
    /// locked, so it runs beside a live daemon or on a copy.
    public static func verify(path: String, from: Int64 = 1) throws -> ChainReport {
        guard FileIdentity.of(path: path) != nil else { throw StoreError("no SQLite store at \(path)", isTransient: false) }
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            defer { connection.close() }
            try connection.setBusyTimeout(milliseconds: SQLiteSession.busyTimeoutMilliseconds)
            return try audit(connection, location: "sqlite:" + path, from: from)
        } catch let error as SQLiteError {
            throw StoreError("verifying sqlite:\(path): \(error.storeError.message)", isTransient: false)
        }
    }

    /// The chain from genesis, then every snapshot against its seal. A snapshot with no seal is
    /// counted, not refused: one stored just before a crash, or by a reliefd before seals, which a
    /// load skips. The failure reported is the one at the lowest seq.
    ///
    /// `from` > 1 checks the entries from that seq on, linked to the hash stored at `from` − 1 (what
    /// comes before is taken as stored), and the snapshots from that seq on.
    static func audit(_ connection: SQLiteConnection, location: String, from: Int64 = 1) throws -> ChainReport {
        var verifier = ChainVerifier()
        if from > 1 {
            let start = try connection.prepare("SELECT hash FROM journal WHERE seq = ?1")
            defer { start.finalize() }
            start.bind(1, from - 1)
            guard try start.step(), let hash = start.text(0), hash.utf8.count == 64 else {
                throw StoreError("verifying \(location): there is no journal entry seq \(from - 1) to start from=\(from) after", isTransient: false)
            }
            verifier = ChainVerifier(from: ChainPosition(seq: from - 1, hash: Array(hash.utf8)))
        }
        var chainFailure: StoreError?
        do {
            try forEachRow(connection, after: from - 1, upTo: nil, verifier: &verifier) { _, _, _, _, _, _ in }
        } catch let error as StoreError {
            chainFailure = error
        }
        var checked = 0, unsealed = 0
        var snapshotFailure: StoreError?
        let snapshots = try connection.prepare("""
            SELECT s.seq, s.hash, s.format, s.body, j.hash, \(try SQLiteJournal.partsColumn(connection, of: "s")) FROM snapshots s LEFT JOIN journal j ON j.seq = s.seq ORDER BY s.seq
            """)
        defer { snapshots.finalize() }
        while snapshotFailure == nil, try snapshots.step() {
            let seq = snapshots.int64(0)
            // Past a chain failure the seals are unknown: that failure is the first bad seq.
            if let chainFailure, let bad = chainFailure.seq, seq >= bad { break }
            if seq < from { continue }
            guard let (sealSeq, seal) = verifier.seals[seq] else {
                unsealed += 1
                continue
            }
            do {
                guard !snapshots.isNull(4), snapshots.withText(1, { stored in snapshots.withText(4) { stored.elementsEqual($0) } }) else {
                    throw StoreError("snapshot at seq \(seq) does not match the journal's hash at that seq; the snapshot row was altered or damaged",
                                     isTransient: false, seq: seq)
                }
                let format = snapshots.text(2) ?? ""
                if snapshots.int64(5) > 0 {
                    let body = try SQLiteJournal.snapshotBody(seq: seq, parts: snapshots.int64(5), connection)
                    try body.withUnsafeBytes { try seal.check(format: format, body: $0, sealSeq: sealSeq) }
                } else {
                    try snapshots.withText(3) { body in try seal.check(format: format, body: body, sealSeq: sealSeq) }
                }
                checked += 1
            } catch let error as StoreError {
                snapshotFailure = error
            }
        }
        if let failure = StoreError.first(chainFailure, snapshotFailure) {
            var failure = failure
            failure.message = "verifying \(location): \(failure.message)"
            throw failure
        }
        return ChainReport(entries: verifier.position.entries, lastSeq: verifier.position.seq,
                           lastHash: String(decoding: verifier.position.hash, as: UTF8.self),
                           snapshotsChecked: checked, snapshotsUnsealed: unsealed)
    }

    /// The newest snapshot that is sealed in the journal and matches its seal, as a state and the
    /// chain position it stands for; an empty state at genesis when there is none.
    ///
    /// An unsealed snapshot is skipped with a warning (stored just before a crash, before its seal
    /// committed; or written by a reliefd without seals): snapshots are a shortcut, the journal is
    /// the record. A sealed one whose row differs from what was sealed stops the load: someone
    /// altered it, and starting from an older one would hide that.
    ///
    /// `atOrBefore` leaves out snapshots of later states (a replay that must stop before some entry).
    func newestSealedSnapshot(_ connection: SQLiteConnection, atOrBefore limit: Int64 = Int64.max) throws -> (State, ChainPosition) {
        var candidates: [Int64] = []
        let list = try connection.prepare("SELECT seq FROM snapshots WHERE seq <= ?1 ORDER BY seq DESC")
        list.bind(1, limit)
        while try list.step() { candidates.append(list.int64(0)) }
        list.finalize()
        for seq in candidates {
            func skip(_ reason: String) {
                logger.warning("skipping snapshot", metadata: ["store": "\(location)", "seq": "\(seq)", "reason": "\(reason)"])
            }
            guard let (sealSeq, seal) = try SQLiteJournal.latestSeal(of: seq, connection) else {
                skip(SnapshotSeal.missing)
                continue
            }
            let snapshot = try connection.prepare("SELECT hash, format, body, \(try SQLiteJournal.partsColumn(connection)) FROM snapshots WHERE seq = ?1")
            defer { snapshot.finalize() }
            snapshot.bind(1, seq)
            guard try snapshot.step() else { continue }
            let hash = snapshot.withText(0) { Array($0) }
            guard hash.count == 64, try SQLiteJournal.hash(atSeq: seq, connection) == hash else {
                throw StoreError("snapshot at seq \(seq) does not match the journal's hash at that seq; the snapshot row was altered or damaged",
                                 isTransient: false, seq: seq)
            }
            let format = snapshot.text(1) ?? ""
            let parts = snapshot.int64(3)
            // The body's bytes, decoded as they are (State(snapshotBytes:)), not made a String first.
            let body: [UInt8]
            if parts > 0 {
                body = try SQLiteJournal.snapshotBody(seq: seq, parts: parts, connection)
            } else {
                body = snapshot.withText(2) { Array($0) }
            }
            try body.withUnsafeBytes { try seal.check(format: format, body: $0, sealSeq: sealSeq) }
            guard format == State.snapshotFormat else { skip("format \(format) is not \(State.snapshotFormat)"); continue }
            do {
                let state = try State(snapshotBytes: body)
                guard state.lastSeq == seq else { skip("its header says seq \(state.lastSeq)"); continue }
                return (state, ChainPosition(seq: seq, hash: hash))
            } catch {
                skip("\(error)")
            }
        }
        return (State(), ChainPosition())
    }

    /// The hash of the journal row at `seq` (nil when there is none).
    static func hash(atSeq seq: Int64, _ connection: SQLiteConnection) throws -> [UInt8]? {
        let statement = try connection.prepare("SELECT hash FROM journal WHERE seq = ?1")
        defer { statement.finalize() }
        statement.bind(1, seq)
        guard try statement.step() else { return nil }
        return statement.withText(0) { Array($0) }
    }

    /// The last seal of the snapshot at `seq` (seals follow what they seal), with its entry's seq.
    /// The rows read here are checked against the chain by the load that asks.
    static func latestSeal(of seq: Int64, _ connection: SQLiteConnection) throws -> (Int64, SnapshotSeal)? {
        let seals = try connection.prepare("SELECT seq, body FROM journal WHERE seq > ?1 AND kind = 'snapshot.sealed' ORDER BY seq DESC")
        defer { seals.finalize() }
        seals.bind(1, seq)
        while try seals.step() {
            let entrySeq = seals.int64(0)
            let event: Event
            do {
                event = try seals.withText(1) { try Event(kind: "snapshot.sealed", body: FlatJSON.decode($0)) }
            } catch {
                throw StoreError("journal entry seq \(entrySeq) cannot be decoded: \(error)", isTransient: false, seq: entrySeq)
            }
            if let seal = SnapshotSeal(event), seal.snapshotSeq == seq { return (entrySeq, seal) }
        }
        return nil
    }

    /// Calls `body` with each journal row after `seq` (up to `upTo`, when given), in order, once
    /// `verifier` has checked that it follows the one before and that its hash is the one computed
    /// from the previous hash and its columns. The byte buffers point into SQLite's row and are
    /// valid only during the call.
    /// stock_moves rewritten from the journal: every entry applied in order to a scratch state
    /// (its own window bounds the memory), each move inserted as it appears. Memory holds only the
    /// newest moves, so this is the only source of the older ones; runs in the caller's transaction.
    func rebuildStockMoves(_ session: SQLiteSession, upTo last: Int64) throws {
        try session.connection.execute("DELETE FROM stock_moves")
        var scratch = State()
        var emitted = 0
        var previous: (seq: Int64, n: Int64) = (0, 0)
        var verifier = ChainVerifier()
        try SQLiteJournal.forEachRow(session.connection, after: 0, upTo: last, verifier: &verifier) { seq, time, actor, kind, body, _ in
            let event = try Event(kind: String(decoding: kind, as: UTF8.self), body: FlatJSON.decode(body))
            try scratch.apply(Entry(seq: seq, time: Timestamp(milliseconds: time), actor: String(decoding: actor, as: UTF8.self), event: event))
            let total = scratch.movesBefore + scratch.moves.count
            while emitted < total {
                let move = scratch.moves[emitted - scratch.movesBefore]
                let n = move.seq == previous.seq ? previous.n + 1 : 0
                previous = (move.seq, n)
                try session.projector.insert(move, n: n)
                emitted += 1
            }
        }
    }

    static func forEachRow(_ connection: SQLiteConnection, after seq: Int64, upTo: Int64?, verifier: inout ChainVerifier,
                           _ body: (_ seq: Int64, _ time: Int64, _ actor: UnsafeRawBufferPointer, _ kind: UnsafeRawBufferPointer,
                                    _ body: UnsafeRawBufferPointer, _ hash: UnsafeRawBufferPointer) throws -> Void) throws {
        let rows = try connection.prepare("SELECT seq, time, actor, kind, body, hash FROM journal WHERE seq > ?1 AND seq <= ?2 ORDER BY seq")
        defer { rows.finalize() }
        rows.bind(1, seq)
        rows.bind(2, upTo ?? Int64.max)
        while try rows.step() {
            let rowSeq = rows.int64(0)
            let time = rows.int64(1)
            try rows.withText(2) { actor in
                try rows.withText(3) { kind in
                    try rows.withText(4) { rowBody in
                        try rows.withText(5) { stored in
                            try verifier.check(seq: rowSeq, time: time, actor: actor, kind: kind, body: rowBody, stored: stored)
                            try body(rowSeq, time, actor, kind, rowBody, stored)
                        }
                    }
                }
            }
        }
    }

    /// Each row with its hash (for copies): `forEachRow` from genesis on the open session.
    func forEachRow(_ body: (_ seq: Int64, _ time: Int64, _ actor: UnsafeRawBufferPointer, _ kind: UnsafeRawBufferPointer,
                             _ body: UnsafeRawBufferPointer, _ hash: UnsafeRawBufferPointer) throws -> Void) throws {
        guard let session else { throw StoreError("store \(location) is not open; load it first", isTransient: false) }
        var verifier = ChainVerifier()
        try SQLiteJournal.forEachRow(session.connection, after: 0, upTo: nil, verifier: &verifier, body)
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
