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
    static let methods: [[UInt8]] = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE", "PRI"].map { Array($0.utf8) }

    /// Asked of every request line before it is parsed, so it allocates nothing: the first three
    /// words are index ranges into the line.
    public static func looksLikeHTTP(_ line: [UInt8]) -> Bool {
        var starts = (0, 0, 0), ends = (0, 0, 0)
        var count = 0
        var index = 0
        while index < line.count, count < 3 {
            while index < line.count, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
            let start = index
            while index < line.count, line[index] != 0x20, line[index] != 0x09 { index += 1 }
            guard index > start else { continue }
            switch count {
            case 0: starts.0 = start; ends.0 = index
            case 1: starts.1 = start; ends.1 = index
            default: starts.2 = start; ends.2 = index
            }
            count += 1
        }
        guard count > 0 else { return false }
        let first = line[starts.0..<ends.0]
        if isHeaderName(first) { return true }
        // Methods are upper case: most lines are ruled out by their first byte.
        guard let head = first.first, head >= 0x43, head <= 0x54, methods.contains(where: { first.elementsEqual($0) }), count >= 2 else { return false }
        let target = line[starts.1..<ends.1]
        if target.first == UInt8(ascii: "/") || target.elementsEqual([UInt8(ascii: "*")]) { return true }
        let scheme = String(decoding: target.prefix(8), as: UTF8.self).lowercased()
        if scheme.hasPrefix("http://") || scheme.hasPrefix("https://") { return true }
        return count == 3 && line[starts.2..<ends.2].starts(with: Array("HTTP/".utf8))
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
