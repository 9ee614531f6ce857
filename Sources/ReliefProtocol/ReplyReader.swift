/// Reassembles replies from the text protocol on the client side: a first line `OK…`/`ERR…`,
/// and for `OK n rows` the n lines that follow.

import ReliefLimits
public struct ReplyReader: Sendable {
    public enum Parsed: Sendable, Equatable {
        case ok(String)                 // the text after "OK", possibly empty
        case error(code: String, message: String)
        case rows([String])             // the raw logfmt lines
        /// `OK n rows more`: the listing was cut at its limit; more rows matched.
        case truncatedRows([String])
        /// A line the daemon pushed to a `watch` subscriber (`EVENT …`, `HEARTBEAT …`), whole.
        case pushed(String)

        /// A listing cut at its limit.
        public var isCut: Bool {
            if case .truncatedRows = self { return true }
            return false
        }

        /// The lines of a listing, cut or not.
        public var rowLines: [String]? {
            switch self {
            case .rows(let lines), .truncatedRows(let lines): lines
            case .ok, .error, .pushed: nil
            }
        }
    }

    private var framer: LineFramer
    private var expectingRows = 0
    private var rows: [String] = []
    private var inRows = false
    private var rowsCut = false

    public init(maxLine: Int = Limits.replyLine) { framer = LineFramer(maxLine: maxLine) }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [Parsed] {
        var out: [Parsed] = []
        var lines: [[UInt8]?] = []
        framer.feed(bytes) { event in
            if case .line(let bytes) = event { lines.append(bytes) } else { lines.append(nil) }
        }
        for bytes in lines {
            guard let bytes else {
                out.append(.error(code: "LIMIT", message: "reply line too long"))
                continue
            }
            let line = String(decoding: bytes, as: UTF8.self)
            if inRows {
                rows.append(line)
                if rows.count == expectingRows {
                    out.append(rowsCut ? .truncatedRows(rows) : .rows(rows))
                    rows = []
                    inRows = false
                }
                continue
            }
            out.append(contentsOf: headerLine(line))
        }
        return out
    }

    private mutating func headerLine(_ line: String) -> [Parsed] {
        if line.hasPrefix("EVENT ") || line.hasPrefix("HEARTBEAT ") { return [.pushed(line)] }
        if line.hasPrefix("ERR") {
            let rest = line.dropFirst(4)
            let space = rest.firstIndex(of: " ") ?? rest.endIndex
            let code = String(rest[rest.startIndex..<space])
            let message = space < rest.endIndex ? String(rest[rest.index(after: space)...]) : ""
            return [.error(code: code, message: message)]
        }
        if line == "OK" { return [.ok("")] }
        let text = String(line.dropFirst(3))
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        if parts.count == 2 || (parts.count == 3 && parts[2] == "more"), parts[1] == "rows", let n = Int(parts[0]), n >= 0 {
            let cut = parts.count == 3
            if n == 0 { return [cut ? .truncatedRows([]) : .rows([])] }
            rowsCut = cut
            expectingRows = n
            inRows = true
            rows.reserveCapacity(min(n, 1 << 16))
            return []
        }
        return [.ok(text)]
    }

    /// Splits one logfmt line into its pairs, undoing the encoder's quoting.
    public static func parseLogfmt(_ line: String) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        let bytes = Array(line.utf8)
        var index = 0
        while index < bytes.count {
            while index < bytes.count && bytes[index] == 0x20 { index += 1 }
            if index >= bytes.count { break }
            var key: [UInt8] = []
            var sawEquals = false
            if bytes[index] != 0x22 {
                while index < bytes.count && bytes[index] != 0x3D && bytes[index] != 0x20 {
                    key.append(bytes[index]); index += 1
                }
                if index < bytes.count && bytes[index] == 0x3D { sawEquals = true; index += 1 }
            }
            var value: [UInt8] = []
            if sawEquals || key.isEmpty {
                if index < bytes.count && bytes[index] == 0x22 {
                    index += 1
                    while index < bytes.count && bytes[index] != 0x22 {
                        if bytes[index] == 0x5C && index + 1 < bytes.count {
                            index += 1
                            switch bytes[index] {
                            case 0x6E: value.append(0x0A)
                            case 0x74: value.append(0x09)
                            case 0x72: value.append(0x0D)
                            default: value.append(bytes[index])
                            }
                        } else {
                            value.append(bytes[index])
                        }
                        index += 1
                    }
                    index += 1
                } else {
                    while index < bytes.count && bytes[index] != 0x20 { value.append(bytes[index]); index += 1 }
                }
            }
            if sawEquals {
                pairs.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            } else if key.isEmpty {
                pairs.append(("", String(decoding: value, as: UTF8.self)))
            } else {
                pairs.append(("", String(decoding: key, as: UTF8.self)))
            }
        }
        return pairs
    }
}
