import ReliefCore

/// The situation board's log-ins: a browser posts a user name and one of its tokens once and gets
/// a session cookie (HttpOnly, SameSite=Strict) naming a random session id; each request with it
/// authenticates again with the token it stands for, so a revoked token or a removed user ends
/// the session at once. Bounded: at most `capacity` sessions (the oldest log-in goes first), each
/// for `lifetime`. A value type, tested in memory.
struct BoardSessions {
    static let cookieName = "reliefd_board"
    static let lifetime: UInt64 = 12 * 3_600_000
    static let capacity = 1024

    struct Session {
        var user: String
        var token: String
        var expires: UInt64
    }

    private var sessions: [String: Session] = [:]

    var count: Int { sessions.count }

    /// A new session for `user` with `token` at `now` (ms); returns its id (256 random bits, hex).
    mutating func open(user: String, token: String, now: UInt64) -> String {
        sessions = sessions.filter { $0.value.expires > now }
        if sessions.count >= BoardSessions.capacity, let oldest = sessions.min(by: { $0.value.expires < $1.value.expires }) {
            sessions[oldest.key] = nil
        }
        var generator = SystemRandomNumberGenerator()
        let id = Hex.lowercase((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        sessions[id] = Session(user: user, token: token, expires: now + BoardSessions.lifetime)
        return id
    }

    /// The session `id` names, if it has not expired.
    func session(_ id: String, now: UInt64) -> Session? {
        guard let session = sessions[id], session.expires > now else { return nil }
        return session
    }

    mutating func close(_ id: String) { sessions[id] = nil }
}
