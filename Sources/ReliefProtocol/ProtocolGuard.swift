/// Recognises lines that are not this protocol but HTTP, so a connection carrying them can be
/// closed before anything in it runs.
///
/// Any web page a duty officer opens can make the browser POST to a loopback port; the request line
/// and headers are refused as unknown commands, but the body would run as commands. Like Redis
/// (which closes on `POST` and `Host:`), the server closes such a connection at the first sign:
/// an HTTP request line (a method, then a path or `*` or an absolute URL, or a third word
/// `HTTP/…`), or a header-shaped line (a first word that starts `Name:`). No command of the
/// protocol starts with a word ending in a colon or with an upper-case method and a path.
public enum ProtocolGuard {
    static let methods: Set<String> = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE", "PRI"]

    public static func looksLikeHTTP(_ line: [UInt8]) -> Bool {
        var words: [ArraySlice<UInt8>] = []
        var index = 0
        while index < line.count, words.count < 3 {
            while index < line.count, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
            let start = index
            while index < line.count, line[index] != 0x20, line[index] != 0x09 { index += 1 }
            if index > start { words.append(line[start..<index]) }
        }
        guard let first = words.first else { return false }
        if isHeaderName(first) { return true }
        guard methods.contains(String(decoding: first, as: UTF8.self)), words.count >= 2 else { return false }
        let target = words[1]
        if target.first == UInt8(ascii: "/") || target.elementsEqual([UInt8(ascii: "*")]) { return true }
        if String(decoding: target.prefix(8), as: UTF8.self).lowercased().hasPrefix("http://")
            || String(decoding: target.prefix(8), as: UTF8.self).lowercased().hasPrefix("https://") { return true }
        return words.count == 3 && words[2].starts(with: Array("HTTP/".utf8))
    }

    /// `Host: …`, `Content-Type:…`: a name of letters, digits and dashes starting with a letter,
    /// then a colon (what follows it may be glued on).
    private static func isHeaderName(_ word: ArraySlice<UInt8>) -> Bool {
        guard let colon = word.firstIndex(of: UInt8(ascii: ":")), colon > word.startIndex else { return false }
        let name = word[..<colon]
        guard let head = name.first, (head | 0x20) >= 0x61, (head | 0x20) <= 0x7A else { return false }
        return name.allSatisfy { byte in
            let lower = byte | 0x20
            return (lower >= 0x61 && lower <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D
        }
    }
}
