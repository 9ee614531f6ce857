#if canImport(Glibc)
import Glibc
#endif

/// Keeping the PostgreSQL password out of everything reliefd shows: logs, `info`'s `store`, error
/// messages. A libpq connection string can carry it three ways — `postgres://user:PASSWORD@host`,
/// a `?password=PASSWORD` (or `&password=`) query parameter, and `password=PASSWORD` in the
/// keyword/value form — so all three are found and masked.
extension PostgresStore {
    /// The connection string with every password replaced by `***`.
    public static func redacted(_ connection: String) -> String {
        var text = connection
        for range in passwordRanges(connection).reversed() {
            text.replaceSubrange(range, with: "***")
        }
        return text
    }

    /// Whether the connection string carries a password (even an empty one).
    public static func hasPassword(_ connection: String) -> Bool {
        !passwordRanges(connection).isEmpty
    }

    /// The passwords written in the connection string, as written and as libpq decodes them
    /// (percent-decoded in a URL), for scrubbing them out of libpq's messages, which may quote
    /// parts of the string (an undecodable `%` sequence, a bad port).
    static func passwords(in connection: String) -> [String] {
        let isURL = isPostgresURL(connection)
        var found: [String] = []
        for range in passwordRanges(connection) {
            let raw = String(connection[range])
            found.append(raw)
            if isURL, let decoded = percentDecoded(raw), decoded != raw { found.append(decoded) }
        }
        return found.filter { !$0.isEmpty }
    }

    /// `message` with every one of `secrets` replaced by `***`.
    static func scrub(_ message: String, secrets: [String]) -> String {
        var text = message
        // Longest first, so a password that contains another is masked whole.
        for secret in secrets.filter({ !$0.isEmpty }).sorted(by: { $0.count > $1.count }) {
            text = text.replacingAll(secret, with: "***")
        }
        return text
    }

    static func passwordRanges(_ text: String) -> [Range<String.Index>] {
        isPostgresURL(text) ? urlPasswordRanges(text) : keywordPasswordRanges(text)
    }

    /// `scheme://[user[:password]@]hosts[/database][?key=value&…]`. The credentials end at the last
    /// `@` before the query: a password with an unencoded `@` or `/` is masked whole (and more of
    /// the URL with it) rather than in part.
    private static func urlPasswordRanges(_ text: String) -> [Range<String.Index>] {
        guard let scheme = text.firstRange(of: "://") else { return [] }
        var ranges: [Range<String.Index>] = []
        let queryStart = text[scheme.upperBound...].firstIndex(of: "?") ?? text.endIndex
        if let at = text[scheme.upperBound..<queryStart].lastIndex(of: "@"),
           let colon = text[scheme.upperBound..<at].firstIndex(of: ":") {
            ranges.append(text.index(after: colon)..<at)
        }
        guard queryStart < text.endIndex else { return ranges }
        var start = text.index(after: queryStart)
        while start <= text.endIndex {
            let end = text[start...].firstIndex(of: "&") ?? text.endIndex
            if let equals = text[start..<end].firstIndex(of: "=") {
                // libpq percent-decodes keys too: `?pass%77ord=` is a password.
                let key = percentDecoded(String(text[start..<equals])) ?? String(text[start..<equals])
                if key.lowercased() == "password" { ranges.append(text.index(after: equals)..<end) }
            }
            guard end < text.endIndex else { break }
            start = text.index(after: end)
        }
        return ranges
    }

    /// `keyword = value …` with values bare (backslash escapes) or in single quotes (backslash
    /// escapes `'` and `\`), as libpq reads them. Stops at the first thing that is not a
    /// `keyword=` (libpq refuses such a string anyway).
    private static func keywordPasswordRanges(_ text: String) -> [Range<String.Index>] {
        var ranges: [Range<String.Index>] = []
        let end = text.endIndex
        var index = text.startIndex
        func skipSpaces() { while index < end, text[index].isWhitespace { index = text.index(after: index) } }
        func step() {
            // A backslash takes the next character with it.
            if text[index] == "\\", text.index(after: index) < end { index = text.index(after: index) }
            index = text.index(after: index)
        }
        while true {
            skipSpaces()
            guard index < end else { break }
            let keyStart = index
            while index < end, !text[index].isWhitespace, text[index] != "=" { index = text.index(after: index) }
            let key = text[keyStart..<index]
            skipSpaces()
            guard index < end, text[index] == "=" else { break }
            index = text.index(after: index)
            skipSpaces()
            let valueStart: String.Index, valueEnd: String.Index
            if index < end, text[index] == "'" {
                index = text.index(after: index)
                valueStart = index
                while index < end, text[index] != "'" { step() }
                valueEnd = index
                if index < end { index = text.index(after: index) }
            } else {
                valueStart = index
                while index < end, !text[index].isWhitespace { step() }
                valueEnd = index
            }
            if key == "password" { ranges.append(valueStart..<valueEnd) }
        }
        return ranges
    }

    /// `%XX` sequences decoded as UTF-8; nil when one is malformed.
    static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let found = rest.firstRange(of: target) {
            result += rest[..<found.lowerBound]
            result += replacement
            rest = rest[found.upperBound...]
        }
        return result + rest
    }
}
