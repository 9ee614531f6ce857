/// Writing one large import ahead while its rows arrive, as a value type: while an import's rows
/// come in and nothing else writes, the writer stores its entries in an open transaction
/// (Journal.stage), so `import commit` only has to finish that transaction. Any other write first
/// ends the staging (the writer rolls it back) and the import commits the usual way. One import at
/// a time is staged. `Server` says what happened (rows buffered, a turn ended with nothing else to
/// commit, the writer answered, the import ended) and performs what this answers.
///
/// Generic over the import's session so the tests use a plain object.
struct ImportStaging<Session: AnyObject> {
    /// Entries per stage job: large enough that the writer's per-job cost vanishes.
    static var slice: Int { 8192 }
    /// Stage jobs out at once, so the writer's queue stays bounded while rows arrive.
    static var maxInFlight: Int { 2 }

    enum State {
        case idle
        /// `staged` entries of `session` were sent to the writer, `written` of them are written.
        case staging(connection: Int, session: Session, staged: Int, written: Int)
    }

    private(set) var state = State.idle
    /// Stage jobs sent and not yet answered (their answers come even after staging ended).
    private(set) var inFlight = 0

    var isStaging: Bool {
        if case .staging = state { true } else { false }
    }

    /// Entries written ahead so far, for `info`.
    var written: Int {
        if case .staging(_, _, _, let written) = state { written } else { 0 }
    }

    func isStaging(connection: Int) -> Bool {
        if case .staging(let staged, _, _, _) = state { staged == connection } else { false }
    }

    /// Rows of `connection`'s import were buffered: staging starts if nothing is staged or out,
    /// the store is ready for it (it can stage, is available and idle, the daemon is not stopping),
    /// and the import is clean, checked against the live state and big enough to be worth it.
    mutating func consider(connection: Int, session: Session, entryCount: Int, current: Bool, storeReady: Bool) {
        guard case .idle = state, inFlight == 0, storeReady, current, entryCount >= Self.slice else { return }
        state = .staging(connection: connection, session: session, staged: 0, written: 0)
    }

    enum Next: Equatable {
        case nothing
        /// Send the session's entries from this index on to the writer.
        case send(from: Int)
        /// Staging ended: tell the writer to discard what it staged.
        case discard
    }

    /// A turn ended with nothing else to commit. `current`: the import is still clean and checked
    /// against the live state; `storeAvailable`: writes are accepted and the daemon is not stopping.
    mutating func turnEnded(entryCount: Int, current: Bool, storeAvailable: Bool) -> Next {
        guard case .staging(let connection, let session, let staged, let written) = state else { return .nothing }
        guard current, storeAvailable else {
            state = .idle
            return .discard
        }
        guard inFlight < Self.maxInFlight, entryCount - staged >= Self.slice else { return .nothing }
        inFlight += 1
        state = .staging(connection: connection, session: session, staged: entryCount, written: written)
        return .send(from: staged)
    }

    /// Staging ends without a commit (another write goes first, the import ended or its connection
    /// closed): true when the writer must discard what it staged.
    mutating func abandon() -> Bool {
        guard isStaging else { return false }
        state = .idle
        return true
    }

    /// `import commit` of `session`: how many of its entries were sent to the writer ahead, or nil
    /// when it was not the one staged. Staging ends either way for that session.
    mutating func take(_ session: Session) -> Int? {
        guard case .staging(_, let staged, let count, _) = state, staged === session else { return nil }
        state = .idle
        return count
    }

    /// The writer wrote a stage job of `count` entries.
    mutating func stored(_ count: Int) {
        inFlight -= 1
        if case .staging(let connection, let session, let staged, let written) = state {
            state = .staging(connection: connection, session: session, staged: staged, written: written + count)
        }
    }

    /// Writing ahead failed (the writer's transaction is gone): true when staging was on and ends
    /// (the import will commit the usual way).
    mutating func failed() -> Bool {
        inFlight -= 1
        guard isStaging else { return false }
        state = .idle
        return true
    }
}
