import ReliefCore
import ReliefLimits
import ReliefProtocol

/// An error reply raised while checking a request.
struct Refusal: Error {
    var code: ErrorCode
    var message: String
    init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// Reads a request's arguments for one command, producing refusals that name the bad word and what
/// was expected. `usage` is quoted in arity errors.
struct Arguments {
    let request: Request
    let usage: String
    /// Index of the first positional argument after the command words.
    let first: Int
    private(set) var allowedOptions: Set<String> = []

    init(_ request: Request, usage: String, commandWords: Int) {
        self.request = request
        self.usage = usage
        first = commandWords
    }

    var positionalCount: Int { request.words.count - first }

    func positional(_ index: Int, _ name: String) throws -> String {
        guard first + index < request.words.count else {
            throw Refusal(.syntax, "missing \(name); usage: \(usage)")
        }
        return request.words[first + index]
    }

    func optionalPositional(_ index: Int) -> String? {
        first + index < request.words.count ? request.words[first + index] : nil
    }

    /// Refuses positional words beyond `count` and options not in `allowed`.
    func expect(positionals count: ClosedRange<Int>, options allowed: [String], flags: [String] = []) throws {
        let extra = request.words[first...].filter { !flags.contains($0.lowercased()) }
        if extra.count > count.upperBound {
            throw Refusal(.syntax, "unexpected word \"\(extra[count.upperBound])\"; usage: \(usage)")
        }
        if extra.count < count.lowerBound {
            throw Refusal(.syntax, "missing arguments; usage: \(usage)")
        }
        for option in request.options where !allowed.contains(option.key) {
            let expected = allowed.isEmpty ? "no options" : "one of " + allowed.map { $0 + "=" }.joined(separator: " ")
            throw Refusal(.syntax, "unknown option \(option.key)=; expected \(expected)")
        }
    }

    func option(_ key: String) -> String? { request.option(key) }

    func requiredOption(_ key: String, _ what: String) throws -> String {
        guard let value = request.option(key) else { throw Refusal(.syntax, "missing \(key)=\(what); usage: \(usage)") }
        return value
    }

    // MARK: value parsers

    static func identifier(_ text: String, _ what: String) throws -> String {
        guard isIdentifier(text) else {
            throw Refusal(.syntax, "bad \(what) \"\(text)\"; expected 1-\(Limits.identifierBytes) letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        return text
    }

    static func isIdentifier(_ text: String) -> Bool {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= Limits.identifierBytes else { return false }
        var first = true
        for byte in bytes {
            let alnum = (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
            if first && !alnum { return false }
            if !alnum && byte != 0x2E && byte != 0x5F && byte != 0x2D { return false }
            first = false
        }
        return true
    }

    static func regionPath(_ text: String) throws -> String {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard text.utf8.count <= 200, !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ isIdentifier(String($0)) }) else {
            throw Refusal(.syntax, "bad region \"\(text)\"; expected a path of up to 3 identifiers like shanxi/taiyuan/xiaodian")
        }
        return text
    }

    static func quantity(_ text: String, _ what: String = "quantity") throws -> Int64 {
        guard let value = Int64(text), Quantity.positive.contains(value) else {
            throw Refusal(.syntax, "bad \(what) \"\(text)\"; expected a whole number from 1 to \(Quantity.maximum)")
        }
        return value
    }

    static func count(_ text: String, _ what: String) throws -> Int64 {
        guard let value = Int64(text), Quantity.range.contains(value) else {
            throw Refusal(.syntax, "bad \(what) \"\(text)\"; expected a whole number from 0 to \(Quantity.maximum)")
        }
        return value
    }

    static func signedDelta(_ text: String) throws -> Int64 {
        guard let value = Int64(text.hasPrefix("+") ? String(text.dropFirst()) : text), value != 0, Quantity.change.contains(value) else {
            throw Refusal(.syntax, "bad delta \"\(text)\"; expected a non-zero whole number from -\(Quantity.maximum) to +\(Quantity.maximum) such as -12 or +5")
        }
        return value
    }

    static func day(_ text: String, _ what: String) throws -> Day {
        guard let day = Day(iso8601: text) else { throw Refusal(.syntax, "bad \(what) \"\(text)\"; expected a date YYYY-MM-DD") }
        return day
    }

    static func coordinate(_ text: String, _ what: String) throws -> Coordinate {
        guard let point = Coordinate(parsing: text) else {
            throw Refusal(.syntax, "bad \(what) \"\(text)\"; expected lat,lon in decimal degrees such as 37.87,112.55")
        }
        return point
    }

    static func text(_ text: String, _ what: String, max: Int = 200) throws -> String {
        guard !text.isEmpty, text.utf8.count <= max else {
            throw Refusal(.syntax, "bad \(what); expected 1 to \(max) bytes of text")
        }
        return text
    }

    static func choice<E: RawRepresentable & CaseIterable>(_ text: String, _ what: String, _: E.Type) throws -> E where E.RawValue == String {
        guard let value = E(rawValue: text.lowercased()) else {
            throw Refusal(.syntax, "bad \(what) \"\(text)\"; expected one of " + E.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return value
    }
}
