/// Journal bodies of the user and token events (cases of `Event`, see Event.swift). Lists are
/// comma-separated (names and ids hold no commas); an absent `regions` or `warehouses` means every
/// one, an empty one none.
extension Event {
    var usersBody: FlatJSON? {
        var json = FlatJSON()
        switch self {
        case .userSet(let user):
            json.set("name", user.name); json.set("role", user.role.rawValue)
            json.set("regions", user.regions?.joined(separator: ","))
            json.set("warehouses", user.warehouses?.joined(separator: ","))
            json.set("uids", user.uids.map(String.init).joined(separator: ","))
            json.set("note", user.note)
        case .userRemoved(let name):
            json.set("name", name)
        case .tokenCreated(let user, let name, let sha256):
            json.set("user", user); json.set("name", name); json.set("sha256", sha256)
        case .tokenRevoked(let user, let name):
            json.set("user", user); json.set("name", name)
        default:
            return nil
        }
        return json
    }

    static func decodeUsers(kind: Kind.Users, body: FlatJSON) throws -> Event {
        func list(_ key: String) throws -> [String]? {
            try body.optionalString(key).map { $0.split(separator: ",").map(String.init) }
        }
        switch kind {
        case .userSet:
            let roleText = try body.string("role")
            guard let role = Role(rawValue: roleText) else { throw FlatJSON.DecodingError.invalid("role=\(roleText)") }
            let uids = try (list("uids") ?? []).map { text -> UInt32 in
                guard let uid = UInt32(text) else { throw FlatJSON.DecodingError.invalid("uid \(text)") }
                return uid
            }
            return .userSet(User(name: try body.string("name"), role: role, regions: try list("regions"),
                                 warehouses: try list("warehouses"), uids: uids, note: try body.optionalString("note")))
        case .userRemoved:
            return .userRemoved(name: try body.string("name"))
        case .tokenCreated:
            let sha256 = try body.string("sha256")
            guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
                throw FlatJSON.DecodingError.invalid("sha256=\(sha256)")
            }
            return .tokenCreated(user: try body.string("user"), name: try body.string("name"), sha256: sha256)
        case .tokenRevoked:
            return .tokenRevoked(user: try body.string("user"), name: try body.string("name"))
        }
    }
}
