/// One `req=` token the daemon remembers: what a retry with it gets, and the request it is bound to.
public struct RememberedRequest: Sendable, Equatable {
    /// The client it belongs to (`RequestScope.of(actor:)` of its journal entry). nil only for a
    /// token read from a snapshot written before tokens were scoped: that snapshot does not say
    /// whose it was, so such a token answers a retry from any client, as every token used to.
    public var scope: String?
    public var token: String
    /// The first reply's fields in logfmt, at most `RequestWindow.maxReplyBytes` for tokens the
    /// engine records now (older journals may hold longer ones).
    public var reply: String
    /// The hash of the first request; nil for a token journaled before requests were hashed, which
    /// a retry with any request gets the reply of (as it did then).
    public var digest: RequestDigest?
    /// The first request's command words (`stock receive`), to name it when the token is reused.
    public var command: String?
    /// The journal entry that recorded it: orders the window. 0 for a token from an old snapshot.
    public var seq: Int64

    public init(scope: String?, token: String, reply: String, digest: RequestDigest?, command: String?, seq: Int64) {
        self.scope = scope
        self.token = token
        self.reply = reply
        self.digest = digest
        self.command = command
        self.seq = seq
    }
}
