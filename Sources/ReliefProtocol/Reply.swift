/// The fixed set of error codes a reply can carry (docs/protocol.md, Replies).
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
    /// Rows made one at a time as they are encoded (large listings): the reply holds what the rows
    /// are made from, never every row at once, and the connection encodes it in slices as the
    /// client reads.
    case stream(RowStream)
    case error(ErrorCode, String)

    public static let plainOK = Reply.ok(Fields())
    public static func err(_ code: ErrorCode, _ message: String) -> Reply { .error(code, message) }

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// The rows of a `.rows` or `.stream` reply (a stream is made whole: for tests and small replies).
    public var rowList: [Fields]? {
        switch self {
        case .rows(let rows): rows
        case .stream(let stream): stream.allRows()
        case .ok, .error: nil
        }
    }

    /// A listing cut at its limit (`OK n rows more`).
    public var isCut: Bool {
        if case .stream(let stream) = self { return stream.more }
        return false
    }

    /// A stream equals the rows it makes, so callers need not care which form a listing took.
    public static func == (lhs: Reply, rhs: Reply) -> Bool {
        switch (lhs, rhs) {
        case (.ok(let a), .ok(let b)): a == b
        case (.error(let codeA, let a), .error(let codeB, let b)): codeA == codeB && a == b
        case (.rows, .rows), (.rows, .stream), (.stream, .rows), (.stream, .stream):
            lhs.isCut == rhs.isCut && lhs.rowList! == rhs.rowList!
        default: false
        }
    }
}

/// `count` rows, row `i` made by `row(i)` when it is encoded. `row` must be a pure function of
/// values it captured (a copy of the state is cheap: copy-on-write), so a stream can be encoded
/// later and on its own schedule without seeing later changes.
public final class RowStream: Sendable {
    public let count: Int
    /// More rows matched than were kept (the listing's limit cut it): the header says `more`.
    public let more: Bool
    private let row: @Sendable (Int) -> Fields

    public init(count: Int, more: Bool = false, row: @escaping @Sendable (Int) -> Fields) {
        precondition(count >= 0)
        self.count = count
        self.more = more
        self.row = row
    }

    /// Rows that were already made, cut to `limit` (marked `more` when that drops some).
    public convenience init(rows: [Fields], limit: Int = .max) {
        let kept = rows.count > limit ? Array(rows.prefix(limit)) : rows
        self.init(count: kept.count, more: rows.count > limit) { kept[$0] }
    }

    /// The first `limit` rows of this stream, marked `more` when that drops some.
    public func prefix(_ limit: Int) -> RowStream {
        guard limit < count else { return self }
        return RowStream(count: max(limit, 0), more: true, row: row)
    }

    /// `OK n rows`, or `OK n rows more` when the limit cut the listing.
    public var header: String { "OK \(count) rows" + (more ? " more" : "") + "\n" }

    public func row(at index: Int) -> Fields {
        precondition(index >= 0 && index < count, "row \(index) of a stream of \(count)")
        return row(index)
    }

    public func allRows() -> [Fields] { (0..<count).map(row) }
}
