/// Encodes replies in the text mode of the protocol:
/// `OK [details]`, `ERR CODE message`, or `OK n rows` followed by n logfmt lines.
public enum TextEncoder {
    public static func encode(_ reply: Reply, into out: inout [UInt8]) {
        switch reply {
        case .ok(let fields):
            out.append(contentsOf: "OK".utf8)
            if !fields.isEmpty {
                out.append(0x20)
                appendLogfmt(fields, into: &out)
            }
            out.append(0x0A)
        case .error(let code, let message):
            out.append(contentsOf: "ERR ".utf8)
            out.append(contentsOf: code.rawValue.utf8)
            out.append(0x20)
            for byte in message.utf8 {
                out.append(byte == 0x0A || byte == 0x0D ? 0x20 : byte)
            }
            out.append(0x0A)
        case .rows(let rows):
            out.append(contentsOf: "OK \(rows.count) rows\n".utf8)
            for row in rows {
                appendLogfmt(row, into: &out)
                out.append(0x0A)
            }
        case .stream(let stream):
            out.append(contentsOf: stream.header.utf8)
            for index in 0..<stream.count {
                appendLogfmt(stream.row(at: index), into: &out)
                out.append(0x0A)
            }
        }
    }

    public static func encode(_ reply: Reply) -> String {
        var out: [UInt8] = []
        encode(reply, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func appendLogfmt(_ fields: Fields, into out: inout [UInt8]) {
        var first = true
        for pair in fields.pairs {
            if !first { out.append(0x20) }
            first = false
            if pair.key.isEmpty {
                appendValue(pair.value, into: &out)
            } else {
                out.append(contentsOf: pair.key.utf8)
                out.append(0x3D)
                appendValue(pair.value, into: &out)
            }
        }
    }

    public static func logfmt(_ fields: Fields) -> String {
        var out: [UInt8] = []
        appendLogfmt(fields, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes a value bare when it is safe to, otherwise double-quoted with backslash escapes
    /// (the same escapes the request parser reads, so values round-trip).
    public static func appendValue(_ value: String, into out: inout [UInt8]) {
        // On the contiguous UTF-8 (every field of every reply row passes here): scanned and
        // copied as a buffer, not byte by byte through the String's view.
        var value = value
        value.withUTF8 { bytes in
            var needsQuotes = bytes.isEmpty
            for byte in bytes where byte <= 0x20 || byte == 0x22 || byte == 0x3D || byte == 0x5C || byte == 0x7F {
                needsQuotes = true
                break
            }
            guard needsQuotes else {
                out.append(contentsOf: bytes)
                return
            }
            out.append(0x22)
            for byte in bytes {
                switch byte {
                case 0x22: out.append(0x5C); out.append(0x22)
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x0A: out.append(0x5C); out.append(0x6E)
                case 0x09: out.append(0x5C); out.append(0x74)
                case 0x0D: out.append(0x5C); out.append(0x72)
                default: out.append(byte < 0x20 || byte == 0x7F ? 0x20 : byte)
                }
            }
            out.append(0x22)
        }
    }

    /// Quotes one argument for a request line when needed (used by clients building requests).
    public static func quoteArgument(_ argument: String) -> String {
        var out: [UInt8] = []
        appendArgument(argument, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `quoteArgument`, appended to a byte buffer (a request line being built).
    public static func appendArgument(_ argument: String, into out: inout [UInt8]) {
        // key=value with a value that needs quoting: quote the value only, so it stays an option.
        // Work on bytes: as Characters, an `=` followed by a combining mark would not be found.
        var argument = argument
        argument.withUTF8 { bytes in
            if let equals = bytes.firstIndex(of: 0x3D), equals > 0 {
                let key = bytes[..<equals]
                let isKey = (key.first! | 0x20) >= 0x61 && (key.first! | 0x20) <= 0x7A && key.allSatisfy { byte in
                    let lower = byte | 0x20
                    return (lower >= 0x61 && lower <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || byte == 0x2D || byte == 0x2E
                }
                if isKey {
                    out.append(contentsOf: key)
                    out.append(0x3D)
                    // appendValue leaves `=` bare; an `=` inside an option's value is fine to the parser.
                    appendValue(String(decoding: UnsafeBufferPointer(rebasing: bytes[(equals + 1)...]), as: UTF8.self), into: &out)
                    return
                }
            }
            appendValue(String(decoding: bytes, as: UTF8.self), into: &out)
        }
    }
}
