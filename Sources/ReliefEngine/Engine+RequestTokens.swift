import Crypto
import ReliefCore
import ReliefProtocol

/// `req=TOKEN` on a write: the token belongs to the client that sent it (`RequestScope`) and is
/// bound to the request it was first used with, so a retry gets the first reply and applies
/// nothing, while the same token on another request is refused instead of silently answered.
extension Engine {
    /// The answer to a write whose token is already remembered for this client: the first reply
    /// again (a retry), or CONFLICT when the token was used for a different request. nil when the
    /// request should run: no token, a read, or a token this client has not used (or was forgotten).
    /// `actor` is made only when the request carries a token: this runs on every request.
    func tokenAnswer(_ request: Request, _ command: Command, commandWords: Int, actor: @autoclosure () -> String) -> Outcome? {
        guard command.mutating, let token = request.requestToken,
              let known = state.requests.lookup(scope: RequestScope.of(actor: actor()), token: token) else { return nil }
        // Both wait for everything the state holds: the remembered reply may not be durable yet,
        // and neither may be a refusal that rests on it.
        if let digest = known.digest, digest != Engine.requestDigest(request, commandWords: commandWords) {
            let first = [known.command, "journal entry \(known.seq)"].compactMap { $0 }.joined(separator: ", ")
            return Outcome(reply: .error(.conflict, "req=\(token) was already used for a different request (\(first)); use a new token"),
                           waitForSeq: state.lastSeq)
        }
        return Outcome(reply: .ok(Engine.fields(fromLogfmt: known.reply)), waitForSeq: state.lastSeq)
    }

    /// SHA-256, truncated to 128 bits, of the request's canonical form: the command words
    /// lower-cased (as the engine matches them), the other positional words as given and in order
    /// (their order is their meaning), the options sorted by key (each is given at most once, so
    /// their order means nothing) with values as given, `req=` left out. Every part is length-
    /// prefixed and tagged, so no two different requests share a canonical form. A request parses
    /// to the same words however it was quoted, so a retry hashes the same.
    static func requestDigest(_ request: Request, commandWords: Int) -> RequestDigest {
        var bytes: [UInt8] = Array("reliefd request 1".utf8)
        func add(_ tag: Character, _ text: String) {
            bytes.append(tag.asciiValue!)
            let length = UInt32(text.utf8.count)
            for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
            bytes.append(contentsOf: text.utf8)
        }
        for word in request.words.prefix(commandWords) { add("c", word.lowercased()) }
        for word in request.words.dropFirst(commandWords) { add("p", word) }
        for option in request.options.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            add("k", option.key)
            add("v", option.value)
        }
        return RequestDigest(prefixOf: Array(SHA256.hash(data: bytes)))!
    }

    /// The reply remembered for retries, at most `limit` bytes of logfmt. Replies are short but
    /// some grow with the data (an issue drawn from many lots, a large team assigned): then the
    /// longest values are cut, ending in `…`, and `truncated=yes` is added, so a retry still learns
    /// the request applied, and a million remembered tokens stay within memory.
    static func storedReply(_ fields: Fields, limit: Int = RequestWindow.maxReplyBytes) -> String {
        let full = TextEncoder.logfmt(fields)
        guard full.utf8.count > limit else { return full }
        var pairs = fields.pairs
        func encoded() -> String {
            var shortened = Fields(pairs.map { ($0.key, $0.value) })
            shortened.append("truncated", "yes")
            return TextEncoder.logfmt(shortened)
        }
        let shortest = 16
        while true {
            let text = encoded()
            let excess = text.utf8.count - limit
            if excess <= 0 { return text }
            guard let longest = pairs.indices.max(by: { pairs[$0].value.utf8.count < pairs[$1].value.utf8.count }),
                  pairs[longest].value.utf8.count > shortest + 3 else { break }
            // Each pass makes the longest value strictly shorter, so this ends.
            let keep = max(shortest, pairs[longest].value.utf8.count - excess - 3)
            var cut = "", bytes = 0
            for character in pairs[longest].value {
                bytes += character.utf8.count
                if bytes > keep { break }
                cut.append(character)
            }
            pairs[longest].value = cut + "…"
        }
        // Very many short fields: keep the leading ones that fit.
        while !pairs.isEmpty, encoded().utf8.count > limit { pairs.removeLast() }
        return encoded()
    }
}

/// The digest binding `import commit req=TOKEN` to its import: SHA-256 of the kind and of each
/// row's bytes as the client sent them (length-prefixed, in order), truncated to 128 bits, made as
/// the rows arrive. A retry sends the same lines, so it hashes the same, whatever the first
/// attempt did to the state (a retry's rows would now be refused as duplicates, so a digest of
/// what was checked could not tell a retry from another import).
public struct ImportDigester {
    private var hasher = SHA256()

    public init(kind: String) {
        hasher.update(data: Array("reliefd import 1".utf8))
        add(Array(kind.utf8))
    }

    public mutating func add(row bytes: [UInt8]) { add(bytes) }

    private mutating func add(_ bytes: [UInt8]) {
        // Big-endian length, from the stack: this runs for every row of every import.
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: bytes.count).bigEndian) { hasher.update(bufferPointer: $0) }
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
    }

    public func finalize() -> RequestDigest { RequestDigest(prefixOf: Array(hasher.finalize()))! }
}

extension Engine {
    /// The answer to `import commit req=TOKEN` when this client already used the token: the first
    /// import's reply again, nothing applied twice (`digest` the same: a retry), or CONFLICT (the
    /// token was used for another request). nil when the import should run.
    public func importTokenAnswer(token: String, digest: RequestDigest, as principal: Principal) -> Outcome? {
        guard let known = state.requests.lookup(scope: RequestScope.of(actor: principal.actor), token: token) else { return nil }
        if let first = known.digest, first != digest {
            let what = [known.command, "journal entry \(known.seq)"].compactMap { $0 }.joined(separator: ", ")
            return Outcome(reply: .error(.conflict, "req=\(token) was already used for a different request (\(what)); use a new token"),
                           waitForSeq: state.lastSeq)
        }
        return Outcome(reply: .ok(Engine.fields(fromLogfmt: known.reply)), waitForSeq: state.lastSeq)
    }

    /// Remembers an applied import under `token` (its reply and digest), as one more entry of the
    /// same commit: a retry is answered from it (`importTokenAnswer`).
    func rememberImport(_ outcome: inout Outcome, token: String, digest: RequestDigest, as principal: Principal) {
        // A token already known was answered before the import ran (`finishImport`).
        guard case .ok(let fields) = outcome.reply, !outcome.entries.isEmpty else { return }
        let entry = record(.requestCompleted(token: token, reply: Engine.storedReply(fields), digest: digest, command: "import commit"),
                           actor: principal.actor)
        outcome.entries.append(entry)
        outcome.waitForSeq = entry.seq
    }
}
