/// JSON strings as reliefd writes them everywhere (reliefctl's json and geojson, the HTTP
/// listener): quotes, backslashes and control characters escaped, and `<` too, so a value can
/// never close a script element of a page that embeds it.
public enum JSONText {
    public static func string(_ text: String) -> String {
        var out: [UInt8] = []
        append(text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func append(_ text: String, into out: inout [UInt8]) {
        out.append(0x22)
        for byte in text.utf8 {
            switch byte {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0x3C: out += Array("\\u003c".utf8)
            case 0..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }
}
