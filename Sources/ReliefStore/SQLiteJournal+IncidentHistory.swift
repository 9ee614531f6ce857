import ReliefCore

/// Reading one incident's history out of the store, for a what-if drill that replays it.
extension SQLiteJournal {
    /// The state just before `incident` was opened and the entries from its opening on
    /// (`IncidentHistory`), read without a write like `loadReadOnly`: on a read-only connection,
    /// from the newest sealed snapshot at or before the entry before its `incident.opened` (else
    /// from the first entry), the journal after it chain-checked to its end. Nothing is created,
    /// migrated, rebuilt or locked, so a running daemon's store can be read this way.
    public func readIncidentHistory(_ incident: String) throws -> IncidentHistory {
        guard FileIdentity.of(path: path) != nil else { throw StoreError("no SQLite store at \(path)", isTransient: false) }
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            defer { connection.close() }
            try connection.setBusyTimeout(milliseconds: SQLiteSession.busyTimeoutMilliseconds)
            guard let openedSeq = try SQLiteJournal.openingSeq(of: incident, connection) else {
                throw StoreError("no incident \(incident) in the journal of \(path); expected the id of an incident opened there (incident list)",
                                 isTransient: false)
            }
            let (snapshot, start) = try newestSealedSnapshot(connection, atOrBefore: openedSeq - 1)
            var reader = IncidentHistory.Reader(incident: incident, state: snapshot)
            var verifier = ChainVerifier(from: start)
            try SQLiteJournal.forEachRow(connection, after: start.seq, upTo: nil, verifier: &verifier) { seq, time, actor, kind, body, _ in
                // Past the closing nothing more is read, but every row is still chain-checked.
                guard !reader.isComplete else { return }
                let entry: Entry
                do {
                    let event = try Event(kind: String(decoding: kind, as: UTF8.self), body: FlatJSON.decode(body))
                    entry = Entry(seq: seq, time: Timestamp(milliseconds: time), actor: String(decoding: actor, as: UTF8.self), event: event)
                } catch {
                    throw StoreError("journal entry seq \(seq) cannot be decoded: \(error)", isTransient: false, seq: seq)
                }
                do {
                    try reader.read(entry)
                } catch {
                    throw StoreError("journal entry seq \(seq) cannot be applied: \(error)", isTransient: false, seq: seq)
                }
            }
            guard let history = reader.finish() else {
                throw StoreError("incident \(incident) was not opened by entry \(openedSeq) of \(path) as its row says", isTransient: false, seq: openedSeq)
            }
            let problems = history.before.invariantViolations()
            guard problems.isEmpty else {
                throw StoreError("state read from \(path) before entry \(openedSeq) breaks its invariants: " + problems.prefix(5).joined(separator: "; "),
                                 isTransient: false)
            }
            return history
        } catch {
            throw storeError(error, "reading incident \(incident) from \(path)")
        }
    }

    /// The seq of the entry that opened `incident`, found by its kind and then its decoded body
    /// (bodies are not matched as text: the id could be escaped differently).
    static func openingSeq(of incident: String, _ connection: SQLiteConnection) throws -> Int64? {
        let rows = try connection.prepare("SELECT seq, body FROM journal WHERE kind = 'incident.opened' ORDER BY seq")
        defer { rows.finalize() }
        while try rows.step() {
            let seq = rows.int64(0)
            let event: Event
            do {
                event = try rows.withText(1) { try Event(kind: "incident.opened", body: FlatJSON.decode($0)) }
            } catch {
                throw StoreError("journal entry seq \(seq) cannot be decoded: \(error)", isTransient: false, seq: seq)
            }
            if case .incidentOpened(let opened) = event, opened.id == incident { return seq }
        }
        return nil
    }
}
