import Crypto
import ReliefCore
import ReliefProtocol

/// Users, their grants and login tokens (Users.swift): managed by the admin, journaled like
/// everything else. A token's text is made here, shown once in the reply to `token create`, and
/// journaled only as its SHA-256.
extension Engine {
    static let userCommands: [Command] = [
        Command(words: ["user", "add"],
                usage: "user add NAME role=\(Role.names) [regions=PATH,…|*] [warehouses=ID,…|*] [uids=N,…] [note=TEXT]",
                summary: "add a user: duty officers need regions=, warehouse keepers warehouses= (* = all)",
                mutating: true, access: .administer) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["role", "regions", "warehouses", "uids", "note"])
            let name = try Engine.userName(try args.positional(0, "NAME"))
            if let existing = engine.state.users[name] {
                throw Refusal(.conflict, existing.removed ? "user \(name) was removed; the name stays with its history: choose another"
                                                          : "user \(name) exists; see user show \(name), or user change")
            }
            let role = try Engine.role(try args.requiredOption("role", Role.names))
            let user = try engine.grant(User(name: name, role: role), args, adding: true)
            engine.emit(.userSet(user))
            return .ok(Engine.userFields(user))
        },
        Command(words: ["user", "change"],
                usage: "user change NAME [role=\(Role.names)] [regions=PATH,…|*] [warehouses=ID,…|*] [uids=N,…] [note=TEXT]",
                summary: "change a user's role, scope, uids or note (tokens are kept)", mutating: true, access: .administer) { engine, args, _ in
            try args.expect(positionals: 1...1, options: ["role", "regions", "warehouses", "uids", "note"])
            var user = try engine.liveUser(try args.positional(0, "NAME"))
            guard !args.request.options.isEmpty else { throw Refusal(.syntax, "nothing to change; usage: \(args.usage)") }
            var roleChanged = false
            if let role = args.option("role") {
                let newRole = try Engine.role(role)
                if newRole != user.role { user.regions = nil; user.warehouses = nil; roleChanged = true }
                user.role = newRole
            }
            user = try engine.grant(user, args, adding: roleChanged)
            engine.emit(.userSet(user))
            return .ok(Engine.userFields(engine.state.users[user.name]!))
        },
        Command(words: ["user", "remove"], usage: "user remove NAME",
                summary: "remove a user: every token revoked, uids unmapped; the name stays in the journal", mutating: true,
                access: .administer) { engine, args, _ in
            try args.expect(positionals: 1...1, options: [])
            let user = try engine.liveUser(try args.positional(0, "NAME"))
            engine.emit(.userRemoved(name: user.name))
            return .ok(["user": user.name, "removed": "yes", "tokens_revoked": String(user.tokens.values.filter { $0.revoked == nil }.count)])
        },
        Command(words: ["user", "list"], usage: "user list [role=ROLE] [removed]", summary: "users, their roles and scopes",
                mutating: false, access: .audit, listing: .standard) { engine, args, _ in
            try args.expect(positionals: 0...0, options: ["role"], flags: ["removed"])
            let role = try args.option("role").map(Engine.role)
            let removed = args.request.hasFlag("removed", from: args.first)
            let users = engine.state.users.values.filter { (role == nil || $0.role == role) && (removed || !$0.removed) }
            return .rows(users.sorted { $0.name < $1.name }.map(Engine.userFields))
        },
        Command(words: ["user", "show"], usage: "user show NAME", summary: "a user's grant and tokens (names and dates, never the tokens)",
                mutating: false, access: .audit) { engine, args, _ in
            try args.expect(positionals: 1...1, options: [])
            let name = try args.positional(0, "NAME")
            guard let user = engine.state.users[name] else { throw Refusal(.notFound, "user \(name) not found; see user list") }
            var rows = [Engine.userFields(user)]
            for (tokenName, token) in user.tokens.sorted(by: { $0.key < $1.key }) {
                var fields: Fields = ["token": tokenName, "created": token.created.iso8601]
                fields.append("revoked", token.revoked?.iso8601 ?? "no")
                rows.append(fields)
            }
            return .rows(rows)
        },
        Command(words: ["token", "create"], usage: "token create USER NAME",
                summary: "a login token for USER (auth USER TOKEN on TCP), shown once: only its hash is kept", mutating: true,
                access: .administer) { engine, args, _ in
            try args.expect(positionals: 2...2, options: [])
            // A remembered reply would keep the token's text in the journal.
            guard args.request.requestToken == nil else {
                throw Refusal(.syntax, "token create takes no req=: the token is shown once and never stored; if the reply is lost, revoke it and create another")
            }
            let user = try engine.liveUser(try args.positional(0, "USER"))
            let name = try Engine.userName(try args.positional(1, "NAME"), what: "token name")
            if user.tokens[name] != nil {
                throw Refusal(.conflict, "user \(user.name) already has a token named \(name)\(user.tokens[name]!.revoked != nil ? " (revoked)" : ""); choose another name")
            }
            guard user.tokens.count < Engine.maxTokensPerUser else {
                throw Refusal(.limit, "user \(user.name) has \(user.tokens.count) tokens, revoked ones included; at most \(Engine.maxTokensPerUser)")
            }
            let token = Engine.newToken()
            engine.emit(.tokenCreated(user: user.name, name: name, sha256: Engine.tokenHash(token)))
            return .ok(["user": user.name, "name": name, "token": token, "shown": "once"])
        },
        Command(words: ["token", "revoke"], usage: "token revoke USER NAME", summary: "revoke a login token: it no longer authenticates",
                mutating: true, access: .administer) { engine, args, _ in
            try args.expect(positionals: 2...2, options: [])
            let userName = try args.positional(0, "USER"), name = try args.positional(1, "NAME")
            guard let user = engine.state.users[userName] else { throw Refusal(.notFound, "user \(userName) not found; see user list") }
            guard let token = user.tokens[name] else { throw Refusal(.notFound, "user \(userName) has no token named \(name); see user show \(userName)") }
            guard token.revoked == nil else { throw Refusal(.conflict, "token \(name) of \(userName) was already revoked at \(token.revoked!.iso8601)") }
            engine.emit(.tokenRevoked(user: userName, name: name))
            return .ok(["user": userName, "name": name, "revoked": "yes"])
        },
        Command(words: ["whoami"], usage: "whoami", summary: "the user, role and scope this connection acts as",
                mutating: false, access: .session) { _, args, context in
            try args.expect(positionals: 0...0, options: [])
            let principal = context.principal
            var fields: Fields = ["user": principal.user, "role": principal.role.rawValue, "scope": principal.scopeText]
            fields.append("credential", principal.credential ?? (principal.isSystem ? "daemon" : "configuration"))
            fields.append("personal_data", principal.role.seesPersonalData ? "shown" : "masked")
            return .ok(fields)
        },
    ]

    /// Tokens a user may hold, revoked ones included (each is a line of `user show`).
    static let maxTokensPerUser = 100

    /// The principal `user` authenticates as with `token`, or nil (unknown user, removed user,
    /// wrong or revoked token: the caller does not say which).
    public func authenticate(user: String, token: String) -> Principal? {
        guard token.utf8.count <= 200, let (found, tokenName) = state.user(named: user, tokenHash: Engine.tokenHash(token)) else { return nil }
        return Principal(found, credential: "token=\(tokenName)")
    }

    /// A new token: `rlf_` and 48 hex digits (192 random bits from the system's generator).
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return "rlf_" + Hex.lowercase((0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// Lowercase hex SHA-256 of a token's text: what the journal keeps. Tokens carry 192 random
    /// bits, so a fast hash is enough (as for API tokens generally); no password is ever hashed.
    public static func tokenHash(_ token: String) -> String {
        Hex.lowercase(SHA256.hash(data: Array(token.utf8)))
    }

    static func userName(_ text: String, what: String = "user name") throws -> String {
        guard State.isUserName(text) else {
            throw Refusal(.syntax, "bad \(what) \"\(text)\"; expected 1-64 letters, digits, '.', '_' or '-', starting with a letter")
        }
        return text
    }

    static func role(_ text: String) throws -> Role {
        guard let role = Role(rawValue: text.lowercased()) else { throw Refusal(.syntax, "unknown role \"\(text)\"; expected one of \(Role.names)") }
        return role
    }

    func liveUser(_ name: String) throws -> User {
        guard let user = state.users[name] else { throw Refusal(.notFound, "user \(name) not found; see user list") }
        guard !user.removed else { throw Refusal(.conflict, "user \(name) was removed") }
        return user
    }

    /// `user` with the scope, uids and note the request gives. `adding`: the role is new, so a
    /// scoped role must be given its scope now.
    func grant(_ base: User, _ args: Arguments, adding: Bool) throws -> User {
        var user = base
        func list(_ key: String) -> [String]? {
            args.option(key).map { $0 == "*" ? ["*"] : $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        }
        if let regions = list("regions") {
            guard user.role == .dutyOfficer else { throw Refusal(.syntax, "regions= is the scope of a duty_officer; \(user.name) is a \(user.role.rawValue)") }
            if regions == ["*"] { user.regions = nil } else {
                for region in regions where state.regions[region] == nil { throw Refusal(.notFound, "region \"\(region)\" not found; see region list") }
                user.regions = Array(Set(regions)).sorted()
            }
        } else if adding, user.role == .dutyOfficer {
            throw Refusal(.syntax, "a duty_officer needs regions=PATH,… (the regions they act in, each with everything under it) or regions=*")
        }
        if let warehouses = list("warehouses") {
            guard user.role == .warehouseKeeper else { throw Refusal(.syntax, "warehouses= is the scope of a warehouse_keeper; \(user.name) is a \(user.role.rawValue)") }
            if warehouses == ["*"] { user.warehouses = nil } else {
                for warehouse in warehouses where state.warehouses[warehouse] == nil { throw Refusal(.notFound, "warehouse \"\(warehouse)\" not found; see warehouse list") }
                user.warehouses = Array(Set(warehouses)).sorted()
            }
        } else if adding, user.role == .warehouseKeeper {
            throw Refusal(.syntax, "a warehouse_keeper needs warehouses=ID,… (the warehouses they keep) or warehouses=*")
        }
        if let text = args.option("uids") {
            var uids: [UInt32] = []
            for word in text.split(separator: ",") {
                guard let uid = UInt32(word) else { throw Refusal(.syntax, "bad uid \"\(word)\" in uids=; expected numeric uids separated by commas") }
                if let other = state.user(uid: uid), other.name != user.name {
                    throw Refusal(.conflict, "uid \(uid) is already mapped to user \(other.name)")
                }
                uids.append(uid)
            }
            user.uids = Array(Set(uids)).sorted()
        }
        if let note = args.option("note") { user.note = try Arguments.text(note, "note") }
        return user
    }

    static func userFields(_ user: User) -> Fields {
        var fields: Fields = ["user": user.name, "role": user.role.rawValue]
        let principal = Principal(user, credential: nil)
        fields.append("scope", principal.scopeText)
        fields.append("uids", user.uids.map(String.init).joined(separator: ","))
        fields.append("tokens", String(user.tokens.values.filter { $0.revoked == nil }.count))
        if user.removed { fields.append("removed", "yes") }
        if let note = user.note { fields.append("note", note) }
        return fields
    }
}
