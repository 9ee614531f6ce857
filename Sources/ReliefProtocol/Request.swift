// ReliefProtocol owns the control protocol's wire forms: the request tokenizer and parser, the
// line framer, the typed Reply and its encoders. It depends on nothing, so the fuzzer and the
// client can compile it on its own.

/// One parsed request line: positional words (command noun and verb first), `key=value` options in
/// the order given, and the idempotency token `req=` lifted out of the options.
public struct Request: Sendable, Equatable {
    public var words: [String]
    public var options: [Option]
    public var requestToken: String?

    public struct Option: Sendable, Equatable {
        public var key: String
        public var value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    public init(words: [String], options: [Option] = [], requestToken: String? = nil) {
        self.words = words
        self.options = options
        self.requestToken = requestToken
    }

    /// The value of option `key`, or nil. Keys are matched case-insensitively (they are stored lowercased).
    public func option(_ key: String) -> String? {
        for option in options where option.key == key { return option.value }
        return nil
    }

    /// True when positional word `index` is `lowercase`, ASCII case ignored. Allocates nothing:
    /// the server asks it of every request.
    public func word(_ index: Int, is lowercase: String) -> Bool {
        guard index < words.count else { return false }
        let word = words[index]
        return word.utf8.count == lowercase.utf8.count
            && zip(word.utf8, lowercase.utf8).allSatisfy { ($0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0) == $1 }
    }

    /// True when the bare word `word` appears among the positional words after `from`.
    public func hasFlag(_ word: String, from: Int = 0) -> Bool {
        guard from < words.count else { return false }
        for index in from..<words.count where words[index].lowercased() == word { return true }
        return false
    }
}

/// A request that could not be parsed: the error code and a message naming what was wrong.
public struct RequestError: Error, Sendable, Equatable {
    public var code: ErrorCode
    public var message: String
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}
