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
        case .error, .pushed: false
        }
    }

    /// The reply as the daemon sent it (roughly), for failure messages.
    var text: String {
        switch self {
        case .ok(let text): text.isEmpty ? "OK" : "OK \(text)"
        case .error(let code, let message): "ERR \(code) \(message)"
        case .rows(let lines): "OK \(lines.count) rows\n" + lines.joined(separator: "\n")
        case .truncatedRows(let lines): "OK \(lines.count) rows more\n" + lines.joined(separator: "\n")
        case .pushed(let line): line
        }
    }

    /// The fields of a pushed feed line (`EVENT seq=…`), with its word as `type`; nil for anything else.
    var pushedFields: [String: String]? {
        guard case .pushed(let line) = self, let space = line.firstIndex(of: " ") else { return nil }
        var fields = ReplyReader.Parsed.dictionary(String(line[line.index(after: space)...]))
        fields["type"] = String(line[..<space])
        return fields
    }

    static func dictionary(_ line: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in ReplyReader.parseLogfmt(line) { fields[pair.key] = pair.value }
        return fields
    }
}
