import ReliefProtocol

/// Convenience views of a reply for assertions.
extension ReplyReader.Parsed {
    /// The `key=value` pairs of an `OK …` reply, or nil for anything else.
    var okFields: [String: String]? {
        guard case .ok(let text) = self else { return nil }
        return ReplyReader.Parsed.dictionary(text)
    }

    /// The rows of an `OK n rows` (or `OK n rows more`) reply as dictionaries, or nil for anything else.
    var rowFields: [[String: String]]? {
        rowLines?.map(ReplyReader.Parsed.dictionary)
    }

    var errorCode: String? {
        guard case .error(let code, _) = self else { return nil }
        return code
    }

    var isOK: Bool {
        switch self {
        case .ok, .rows, .truncatedRows: true
        case .error: false
        }
    }

    /// The reply as the daemon sent it (roughly), for failure messages.
    var text: String {
        switch self {
        case .ok(let text): text.isEmpty ? "OK" : "OK \(text)"
        case .error(let code, let message): "ERR \(code) \(message)"
        case .rows(let lines): "OK \(lines.count) rows\n" + lines.joined(separator: "\n")
        case .truncatedRows(let lines): "OK \(lines.count) rows more\n" + lines.joined(separator: "\n")
        }
    }

    static func dictionary(_ line: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in ReplyReader.parseLogfmt(line) { fields[pair.key] = pair.value }
        return fields
    }
}
