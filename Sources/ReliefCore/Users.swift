/// Who may do what. Each role is a set of allowed commands (the engine's `Access` rules) and, for
/// duty officers and warehouse keepers, a scope: the regions or warehouses of their grant.
public enum Role: String, Sendable, CaseIterable, Codable {
    /// Everything, including users and grants.
    case admin
    /// Incidents, needs, matching, dispatch and travel times, within their regions.
    case dutyOfficer = "duty_officer"
    /// Stock commands for the warehouses of their grant.
    case warehouseKeeper = "warehouse_keeper"
    /// Rosters, and volunteers' personal data.
    case coordinator
    /// Reads everything except personal data, runs audits and disclosure, changes nothing.
    case auditor
    /// Drills only: never the live state.
    case drillOrganizer = "drill_organizer"
    /// Reads, personal data masked.
    case viewer

    /// Roles that may see volunteers' phone and ID numbers.
    public var seesPersonalData: Bool { self == .admin || self == .coordinator }

    public static let names = allCases.map(\.rawValue).joined(separator: "|")
}

/// A named user and the grant the admin gave them. Journaled in full on every change
/// (`user.set`), so replay needs no merging.
public struct User: Sendable, Equatable {
    public var name: String
    public var role: Role
    /// A duty officer's regions (each with everything under it); nil = every region.
    public var regions: [String]?
    /// A warehouse keeper's warehouses; nil = every warehouse.
    public var warehouses: [String]?
    /// Unix uids mapped to this user on the control socket (SO_PEERCRED).
    public var uids: [UInt32]
    public var note: String?
    /// Login tokens by name; only SHA-256 hashes are kept.
    public var tokens: [String: UserToken] = [:]
    /// Removed users keep their name (the journal speaks of them) but can no longer act.
    public var removed = false

    public init(name: String, role: Role, regions: [String]? = nil, warehouses: [String]? = nil, uids: [UInt32] = [], note: String? = nil) {
        self.name = name; self.role = role; self.regions = regions; self.warehouses = warehouses
        self.uids = uids; self.note = note
    }

    /// The part of a user `user.set` journals (tokens and removal have their own events).
    public var grant: User {
        var copy = self
        copy.tokens = [:]
        copy.removed = false
        return copy
    }
}

public struct UserToken: Sendable, Equatable {
    /// Lowercase hex SHA-256 of the token's text.
    public var sha256: String
    public var created: Timestamp
    public var revoked: Timestamp?

    public init(sha256: String, created: Timestamp, revoked: Timestamp? = nil) {
        self.sha256 = sha256; self.created = created; self.revoked = revoked
    }
}

/// Who is behind a request: a user (named, or a Unix uid the configuration maps to a role), the
/// role and scope they act with, and the credential that proved it. The journal records
/// `actor` for every entry.
public struct Principal: Sendable, Equatable {
    public var user: String
    public var role: Role
    public var regions: [String]?
    public var warehouses: [String]?
    /// How the user was identified: `uid=N` (Unix socket) or `token=NAME` (auth on TCP).
    public var credential: String?
    /// The daemon itself (`reliefd`, `drill:ID`), a drill's sandbox actors, or a test harness:
    /// journaled by name alone. Admin rights.
    public var isSystem = false

    public init(user: String, role: Role, regions: [String]? = nil, warehouses: [String]? = nil, credential: String? = nil) {
        self.user = user; self.role = role; self.regions = regions; self.warehouses = warehouses; self.credential = credential
    }

    public init(_ user: User, credential: String?) {
        self.init(user: user.name, role: user.role, regions: user.role == .dutyOfficer ? user.regions : nil,
                  warehouses: user.role == .warehouseKeeper ? user.warehouses : nil, credential: credential)
    }

    /// A principal journaled as `name` alone, with every right.
    public static func system(_ name: String) -> Principal {
        var principal = Principal(user: name, role: .admin)
        principal.isSystem = true
        return principal
    }

    /// The journal's actor: `USER role=ROLE [uid=N | token=NAME]`, or the name alone for the
    /// daemon. `RequestScope.of(actor:)` reads the user back from it.
    public var actor: String {
        if isSystem { return user }
        return user + " role=" + role.rawValue + (credential.map { " " + $0 } ?? "")
    }

    /// The scope in words, for refusals and `whoami`: `all`, or the regions or warehouses.
    public var scopeText: String {
        if let regions { return "regions " + (regions.isEmpty ? "(none)" : regions.joined(separator: ",")) }
        if let warehouses { return "warehouses " + (warehouses.isEmpty ? "(none)" : warehouses.joined(separator: ",")) }
        return "all"
    }
}

extension State {
    /// The user a token authenticates, when `sha256` is the hash of a live token of a live user.
    public func user(named name: String, tokenHash sha256: String) -> (User, String)? {
        guard let user = users[name], !user.removed else { return nil }
        for (tokenName, token) in user.tokens where token.revoked == nil && constantTimeEqual(token.sha256, sha256) {
            return (user, tokenName)
        }
        return nil
    }

    /// The live user a Unix uid is mapped to, if any.
    public func user(uid: UInt32) -> User? {
        users.values.first { !$0.removed && $0.uids.contains(uid) }
    }
}

/// Compares two hashes without stopping at the first difference.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var difference: UInt8 = 0
    for index in x.indices { difference |= x[index] ^ y[index] }
    return difference == 0
}
