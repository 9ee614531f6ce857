/// Which journal entries `audit log` asks the store for: all filters optional, the newest
/// `limit` of those that match (returned oldest first).
public struct JournalFilter: Sendable, Equatable {
    /// The user who acted: an actor `USER role=…`, or an actor that is the name alone (the daemon,
    /// entries written before users existed).
    public var user: String?
    /// Entries at or after this time (milliseconds since the epoch).
    public var since: Int64?
    public var kind: String?
    /// Only these seqs (an incident's timeline), when given.
    public var seqs: Set<Int64>?
    public var limit: Int

    public init(user: String? = nil, since: Int64? = nil, kind: String? = nil, seqs: Set<Int64>? = nil, limit: Int) {
        self.user = user; self.since = since; self.kind = kind; self.seqs = seqs; self.limit = limit
    }
}

/// A journal row as stored.
public struct StoredEntry: Sendable, Equatable {
    public var seq: Int64
    public var time: Int64
    public var actor: String
    public var kind: String
    public var body: String

    public init(seq: Int64, time: Int64, actor: String, kind: String, body: String) {
        self.seq = seq; self.time = time; self.actor = actor; self.kind = kind; self.body = body
    }
}
