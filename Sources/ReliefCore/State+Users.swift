/// Applying the user and token events (cases of `Event`, see Event.swift).
extension State {
    /// User and token names: a letter, then letters, digits, `.`, `_` or `-`; at most 64 bytes.
    /// Neither a space nor `=` nor `:`, so a journal actor (`Principal.actor`) reads back unambiguously.
    public static func isUserName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 64, (first >= 97 && first <= 122) || (first >= 65 && first <= 90) else { return false }
        return bytes.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 95 || $0 == 45 }
    }

    mutating func applyUsers(_ entry: Entry) throws {
        func fail(_ message: String) -> InvariantViolation { InvariantViolation(seq: entry.seq, message: message) }
        switch entry.event {
        case .userSet(let grant):
            guard State.isUserName(grant.name) else { throw fail("user name \(grant.name) invalid") }
            if let missing = grant.regions?.first(where: { self.regions[$0] == nil }) { throw fail("region \(missing) missing") }
            if let missing = grant.warehouses?.first(where: { self.warehouses[$0] == nil }) { throw fail("warehouse \(missing) missing") }
            if let other = users.values.first(where: { $0.name != grant.name && !$0.removed && !Set($0.uids).isDisjoint(with: grant.uids) }) {
                throw fail("a uid of \(grant.name) is already mapped to \(other.name)")
            }
            var user = grant.grant
            user.tokens = users[grant.name]?.tokens ?? [:]
            users[grant.name] = user
        case .userRemoved(let name):
            guard let user = users[name], !user.removed else { throw fail("user \(name) missing") }
            users[name]?.removed = true
            users[name]?.uids = []
            for token in user.tokens.keys where user.tokens[token]?.revoked == nil { users[name]?.tokens[token]?.revoked = entry.time }
        case .tokenCreated(let name, let token, let sha256):
            guard let user = users[name], !user.removed else { throw fail("user \(name) missing") }
            guard State.isUserName(token), user.tokens[token] == nil else { throw fail("token \(token) of \(name) exists or is invalid") }
            users[name]?.tokens[token] = UserToken(sha256: sha256, created: entry.time)
        case .tokenRevoked(let name, let token):
            guard users[name]?.tokens[token]?.revoked == nil, users[name]?.tokens[token] != nil else { throw fail("token \(token) of \(name) missing or revoked") }
            users[name]?.tokens[token]?.revoked = entry.time
        default:
            throw fail("\(entry.event.kind) is not a user event")
        }
    }
}
