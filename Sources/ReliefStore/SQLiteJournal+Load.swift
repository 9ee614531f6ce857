import Logging
import ReliefCore

/// Rebuilding the state (newest usable snapshot + the journal after it) and auditing the chain.
extension SQLiteJournal {
    public func load() throws -> State {
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
            var (state, hash) = try newestUsableSnapshot(session)
            let snapshotSeq = state.lastSeq
            var seq = state.lastSeq
            try forEachRow(session, after: seq, startingFrom: hash) { entrySeq, time, actor, kind, body, rowHash in
                let entry: Entry
                do {
                    let event = try Event(kind: String(decoding: kind, as: UTF8.self), body: FlatJSON.decode(body))
                    entry = Entry(seq: entrySeq, time: Timestamp(milliseconds: time),
                                  actor: String(decoding: actor, as: UTF8.self), event: event)
                } catch {
                    throw StoreError("journal entry seq \(entrySeq) cannot be decoded: \(error)", isTransient: false)
                }
                do {
                    try state.apply(entry)
                } catch {
                    throw StoreError("journal entry seq \(entrySeq) cannot be applied: \(error)", isTransient: false)
                }
                seq = entrySeq
                hash = rowHash
            }
            let problems = state.invariantViolations()
            guard problems.isEmpty else {
                throw StoreError("state loaded from \(path) breaks its invariants: "
                                 + problems.prefix(5).joined(separator: "; "), isTransient: false)
            }
            if !readingUnlinkedFile, try !session.projector.tablesMatch(state) {
                logger.warning("current-state tables disagree with the journal; rebuilding them", metadata: ["store": "\(location)"])
                try session.begin.execute()
                do {
                    try session.projector.replaceAll(from: state)
                    try session.commit.execute()
                } catch {
                    session.rollbackIfNeeded()
                    throw error
                }
            }
            lastSeq = seq
            lastHash = hash
            loadedSnapshotSeq = snapshotSeq
            needsProbe = readingUnlinkedFile
            logger.info("store loaded", metadata: ["store": "\(location)", "seq": "\(seq)",
                                                   "snapshot": "\(snapshotSeq)", "replayed": "\(seq - snapshotSeq)"])
            return state
        } catch {
            throw storeError(error, "loading \(path)")
        }
    }

    /// Recomputes the whole hash chain from the first entry, checks that seqs run without gaps and
    /// that every snapshot's hash is the journal's at its seq. Returns the number of entries checked.
    /// For audits: with the last hash published, anyone holding a copy can check nothing was altered.
    public func verifyChain() throws -> Int {
        guard let session else { throw StoreError("store \(location) is not open; load it first", isTransient: false) }
        var count = 0
        var lastRowHash = HashChain.genesis
        do {
            try forEachRow(session, after: 0, startingFrom: HashChain.genesis) { _, _, _, _, _, hash in
                count += 1
                lastRowHash = hash
            }
            let snapshots = try session.connection.prepare("SELECT seq, hash FROM snapshots ORDER BY seq")
            defer { snapshots.finalize() }
            while try snapshots.step() {
                let seq = snapshots.int64(0)
                let stored = snapshots.withText(1) { Array($0) }
                guard try session.hash(atSeq: seq) == stored else {
                    throw StoreError("snapshot at seq \(seq) does not match the journal's hash at that seq", isTransient: false)
                }
            }
        } catch {
            throw storeError(error, "verifying \(path)")
        }
        logger.info("hash chain verified", metadata: ["store": "\(location)", "entries": "\(count)",
                                                      "hash": "\(String(decoding: lastRowHash, as: UTF8.self))"])
        return count
    }

    /// The newest snapshot that parses and agrees with the journal, with its chain hash; an empty
    /// state and the genesis hash when there is none. A bad snapshot is skipped with a warning:
    /// snapshots are a shortcut, the journal is the record.
    private func newestUsableSnapshot(_ session: SQLiteSession) throws -> (State, [UInt8]) {
        let snapshots = try session.connection.prepare("SELECT seq, hash, format, body FROM snapshots ORDER BY seq DESC")
        defer { snapshots.finalize() }
        while try snapshots.step() {
            let seq = snapshots.int64(0)
            let hash = snapshots.withText(1) { Array($0) }
            let format = snapshots.text(2) ?? ""
            func skip(_ reason: String) {
                logger.warning("skipping snapshot", metadata: ["store": "\(location)", "seq": "\(seq)", "reason": "\(reason)"])
            }
            guard format == State.snapshotFormat else { skip("unknown format \(format)"); continue }
            guard hash.count == 64, try session.hash(atSeq: seq) == hash else { skip("hash differs from the journal's at its seq"); continue }
            do {
                let state = try State(snapshotText: snapshots.text(3) ?? "")
                guard state.lastSeq == seq else { skip("its header says seq \(state.lastSeq)"); continue }
                return (state, hash)
            } catch {
                skip("\(error)")
            }
        }
        return (State(), HashChain.genesis)
    }

    /// Calls `body` with each journal row after `seq`, in order, after checking that the seqs are
    /// contiguous and that the row's hash is the one computed from the previous hash and its columns.
    /// The byte buffers point into SQLite's row and are valid only during the call.
    func forEachRow(_ session: SQLiteSession, after seq: Int64, startingFrom previous: [UInt8],
                    _ body: (_ seq: Int64, _ time: Int64, _ actor: UnsafeRawBufferPointer, _ kind: UnsafeRawBufferPointer,
                             _ body: UnsafeRawBufferPointer, _ hash: [UInt8]) throws -> Void) throws {
        let rows = try session.connection.prepare("SELECT seq, time, actor, kind, body, hash FROM journal WHERE seq > ?1 ORDER BY seq")
        defer { rows.finalize() }
        rows.bind(1, seq)
        var expected = seq + 1
        var hash = previous
        while try rows.step() {
            let rowSeq = rows.int64(0)
            guard rowSeq == expected else {
                throw StoreError("journal entry seq \(expected) is missing (next is \(rowSeq)); the journal was altered or damaged",
                                 isTransient: false)
            }
            let time = rows.int64(1)
            try rows.withText(2) { actor in
                try rows.withText(3) { kind in
                    try rows.withText(4) { rowBody in
                        hasher.advance(&hash, seq: rowSeq, time: time, actor: actor, kind: kind, body: rowBody)
                        let matches = rows.withText(5) { stored in stored.elementsEqual(hash) }
                        guard matches else {
                            throw StoreError("journal entry seq \(rowSeq) fails the hash chain (stored \(rows.text(5) ?? "null"), "
                                             + "computed \(String(decoding: hash, as: UTF8.self))); the journal was altered or damaged",
                                             isTransient: false)
                        }
                        try body(rowSeq, time, actor, kind, rowBody, hash)
                    }
                }
            }
            expected += 1
        }
    }
}
