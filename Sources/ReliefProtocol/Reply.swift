/// The fixed set of error codes a reply can carry (DESIGN.md, control protocol).
public enum ErrorCode: String, Sendable, CaseIterable {
    case syntax = "SYNTAX"
    case notFound = "NOTFOUND"
    case conflict = "CONFLICT"
    case insufficient = "INSUFFICIENT"
    case denied = "DENIED"
    case limit = "LIMIT"
    case unavailable = "UNAVAILABLE"
    case `internal` = "INTERNAL"
}

/// An ordered list of `key=value` pairs: one row of a table, or the details of an `OK`.
/// A pair with an empty key is a bare word (`OK pong`).
public struct Fields: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public var pairs: [(key: String, value: String)]

    public init() { pairs = [] }
    public init(_ pairs: [(String, String)]) { self.pairs = pairs.map { (key: $0.0, value: $0.1) } }
    public init(dictionaryLiteral elements: (String, String)...) {
        pairs = elements.map { (key: $0.0, value: $0.1) }
    }

    public mutating func append(_ key: String, _ value: String) { pairs.append((key: key, value: value)) }
    public subscript(key: String) -> String? {
        for pair in pairs where pair.key == key { return pair.value }
        return nil
    }
    public var isEmpty: Bool { pairs.isEmpty }

    public static func == (lhs: Fields, rhs: Fields) -> Bool {
        lhs.pairs.count == rhs.pairs.count && zip(lhs.pairs, rhs.pairs).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

/// A reply as a typed value; encoders turn it into bytes at the edge.
public enum Reply: Sendable, Equatable {
    case ok(Fields)
    case rows([Fields])
    case error(ErrorCode, String)

    public static let plainOK = Reply.ok(Fields())
    public static func err(_ code: ErrorCode, _ message: String) -> Reply { .error(code, message) }

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }
}
