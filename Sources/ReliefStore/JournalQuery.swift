import ReliefCore

/// `audit log`'s reads: the newest entries matching a `JournalFilter`, on a connection of their
/// own (read-only SQLite; a PostgreSQL session without the leader lock), so the writer is never
/// held up. The same filter in both dialects: a user matches an actor `USER role=…` or the bare
/// name; no LIKE, so `_` and `%` in a name mean themselves.
extension SQLiteJournal {
    public static func entries(path: String, matching filter: JournalFilter) throws -> [StoredEntry] {
        guard FileIdentity.of(path: path) != nil else { throw StoreError("no SQLite store at \(path)", isTransient: false) }
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            defer { connection.close() }
            try connection.setBusyTimeout(milliseconds: SQLiteSession.busyTimeoutMilliseconds)
            let rows = try connection.prepare("""
                SELECT seq, time, actor, kind, body FROM journal
                WHERE seq >= ?1 AND seq <= ?2
                  AND (?3 IS NULL OR actor = ?3 OR substr(actor, 1, length(?3) + 6) = ?3 || ' role=')
                  AND (?4 IS NULL OR time >= ?4) AND (?5 IS NULL OR kind = ?5)
                ORDER BY seq DESC
                """)
            defer { rows.finalize() }
            rows.bind(1, filter.seqs?.min() ?? 0)
            rows.bind(2, filter.seqs?.max() ?? Int64.max)
            rows.bind(3, filter.user)
            rows.bind(4, filter.since)
            rows.bind(5, filter.kind)
            var found: [StoredEntry] = []
            while found.count < filter.limit, try rows.step() {
                let seq = rows.int64(0)
                if let seqs = filter.seqs, !seqs.contains(seq) { continue }
                found.append(StoredEntry(seq: seq, time: rows.int64(1), actor: rows.text(2) ?? "", kind: rows.text(3) ?? "", body: rows.text(4) ?? ""))
            }
            return found.reversed()
        } catch let error as SQLiteError {
            throw StoreError("reading the journal of sqlite:\(path): \(error.storeError.message)", isTransient: false)
        }
    }
}

extension PostgresJournal {
    public func entries(matching filter: JournalFilter) throws -> [StoredEntry] {
        // Read in pages, newest first, until the limit is reached or the range is exhausted.
        var found: [StoredEntry] = []
        var below = (filter.seqs?.max() ?? Int64.max - 1) + 1
        let floor = filter.seqs?.min() ?? 0
        while found.count < filter.limit {
            let rows = try query("""
                SELECT seq, time, actor, kind, body FROM journal
                WHERE seq >= $1::bigint AND seq < $2::bigint
                  AND ($3::text IS NULL OR actor = $3::text OR left(actor, length($3::text) + 6) = $3::text || ' role=')
                  AND ($4::bigint IS NULL OR time >= $4::bigint) AND ($5::text IS NULL OR kind = $5::text)
                ORDER BY seq DESC LIMIT 1000
                """, [String(floor), String(below), filter.user, filter.since.map(String.init), filter.kind])
            guard rows.count > 0 else { break }
            for row in 0..<rows.count {
                let seq = Int64(rows[row, 0] ?? "") ?? 0
                below = seq
                if let seqs = filter.seqs, !seqs.contains(seq) { continue }
                found.append(StoredEntry(seq: seq, time: Int64(rows[row, 1] ?? "") ?? 0, actor: rows[row, 2] ?? "",
                                         kind: rows[row, 3] ?? "", body: rows[row, 4] ?? ""))
                if found.count == filter.limit { break }
            }
        }
        return found.reversed()
    }
}

extension SQLiteJournal {
    /// The stored hash of entry `seq`, or nil while no such entry is committed.
    public static func hash(path: String, seq: Int64) throws -> String? {
        guard FileIdentity.of(path: path) != nil else { throw StoreError("no SQLite store at \(path)", isTransient: false) }
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            defer { connection.close() }
            try connection.setBusyTimeout(milliseconds: SQLiteSession.busyTimeoutMilliseconds)
            let rows = try connection.prepare("SELECT hash FROM journal WHERE seq = ?1")
            defer { rows.finalize() }
            rows.bind(1, seq)
            return try rows.step() ? rows.text(0) : nil
        } catch let error as SQLiteError {
            throw StoreError("reading the journal of sqlite:\(path): \(error.storeError.message)", isTransient: false)
        }
    }
}

extension PostgresJournal {
    /// The stored hash of entry `seq`, or nil while no such entry is committed.
    public func hash(at seq: Int64) throws -> String? {
        let rows = try query("SELECT hash FROM journal WHERE seq = $1::bigint", [String(seq)])
        return rows.count > 0 ? rows[0, 0] : nil
    }
}

/// The event feed's reads (`watch … from=SEQ`): the entries after a seq, oldest first, a page at a
/// time, on a connection of the reader's own.
extension SQLiteJournal {
    public static func entries(path: String, after seq: Int64, limit: Int) throws -> [StoredEntry] {
        guard FileIdentity.of(path: path) != nil else { throw StoreError("no SQLite store at \(path)", isTransient: false) }
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            defer { connection.close() }
            try connection.setBusyTimeout(milliseconds: SQLiteSession.busyTimeoutMilliseconds)
            let rows = try connection.prepare("SELECT seq, time, actor, kind, body FROM journal WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            defer { rows.finalize() }
            rows.bind(1, seq)
            rows.bind(2, Int64(limit))
            var found: [StoredEntry] = []
            while try rows.step() {
                found.append(StoredEntry(seq: rows.int64(0), time: rows.int64(1), actor: rows.text(2) ?? "", kind: rows.text(3) ?? "", body: rows.text(4) ?? ""))
            }
            return found
        } catch let error as SQLiteError {
            throw StoreError("reading the journal of sqlite:\(path): \(error.storeError.message)", isTransient: false)
        }
    }
}

extension PostgresJournal {
    public func entries(after seq: Int64, limit: Int) throws -> [StoredEntry] {
        let rows = try query("SELECT seq, time, actor, kind, body FROM journal WHERE seq > $1::bigint ORDER BY seq LIMIT $2::bigint",
                             [String(seq), String(limit)])
        return (0..<rows.count).map { row in
            StoredEntry(seq: Int64(rows[row, 0] ?? "") ?? 0, time: Int64(rows[row, 1] ?? "") ?? 0, actor: rows[row, 2] ?? "",
                        kind: rows[row, 3] ?? "", body: rows[row, 4] ?? "")
        }
    }
}
