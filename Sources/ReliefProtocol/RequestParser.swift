/// Tokenizes one request line (without its line terminator) into a `Request`.
///
/// Grammar: words separated by spaces or tabs; `"..."` strings with backslash escapes
/// (`\" \\ \n \t \r`); an unquoted word of the form `key=value` (key: a letter, then letters,
/// digits, `_`, `-`, `.`) is an option, whose value may itself be quoted (`donor="Yangquan Steel"`).
/// The line must be valid UTF-8 and contain no control bytes other than tab.

import ReliefLimits
public enum RequestParser {
    public static let maxWords = Limits.requestWords

    public static func parse(_ line: String) -> Result<Request, RequestError> {
        var copy = line
        return copy.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    public static func parse<C: Collection>(bytes: C) -> Result<Request, RequestError> where C.Element == UInt8 {
        let array = Array(bytes)
        return array.withUnsafeBytes { parse($0) }
    }

    public static func parse(_ line: UnsafeRawBufferPointer) -> Result<Request, RequestError> {
        // Validate encoding and reject control bytes up front so every later step works on text.
        var index = 0
        let count = line.count
        var ascii = true
        while index < count {
            let byte = line[index]
            if byte >= 0x80 { ascii = false }
            if byte < 0x20 && byte != 0x09 {
                return .failure(RequestError(.syntax, "control byte 0x\(hex(byte)) at column \(index + 1); expected printable UTF-8 text"))
            }
            if byte == 0x7F {
                return .failure(RequestError(.syntax, "control byte 0x7f at column \(index + 1); expected printable UTF-8 text"))
            }
            index += 1
        }
        // ASCII (most request lines) is valid UTF-8: no String is made to find that out.
        guard ascii || String(validating: line, as: UTF8.self) != nil else {
            return .failure(RequestError(.syntax, "invalid UTF-8 at column \(firstInvalidUTF8(line) + 1); expected UTF-8 text"))
        }

        var words: [String] = []
        var options: [Request.Option] = []
        var token: String?
        var position = 0
        var scratch: [UInt8] = []
        scratch.reserveCapacity(64)

        func skipBlanks() {
            while position < count, line[position] == 0x20 || line[position] == 0x09 { position += 1 }
        }

        // Reads a quoted string starting at the opening quote; leaves position after the closing one.
        func readQuoted() -> Result<String, RequestError> {
            let start = position
            position += 1
            scratch.removeAll(keepingCapacity: true)
            while position < count {
                let byte = line[position]
                if byte == 0x22 { // closing quote
                    position += 1
                    if position < count, line[position] != 0x20, line[position] != 0x09 {
                        return .failure(RequestError(.syntax, "unexpected character after closing quote at column \(position + 1); expected a space"))
                    }
                    return .success(String(decoding: scratch, as: UTF8.self))
                }
                if byte == 0x5C { // backslash
                    position += 1
                    guard position < count else { break }
                    switch line[position] {
                    case 0x22: scratch.append(0x22)
                    case 0x5C: scratch.append(0x5C)
                    case 0x6E: scratch.append(0x0A)
                    case 0x74: scratch.append(0x09)
                    case 0x72: scratch.append(0x0D)
                    default:
                        return .failure(RequestError(.syntax, "unknown escape \\\(String(decoding: [line[position]], as: UTF8.self)) at column \(position); expected one of \\\" \\\\ \\n \\t \\r"))
                    }
                    position += 1
                    continue
                }
                scratch.append(byte)
                position += 1
            }
            return .failure(RequestError(.syntax, "unbalanced quote opened at column \(start + 1); expected a closing \""))
        }

        skipBlanks()
        // The limit counts words and options; req= is neither, wherever it stands in the line.
        let tooMany = RequestError(.limit, "more than \(maxWords) words in one request")
        while position < count {
            if line[position] == 0x22 {
                switch readQuoted() {
                case .success(let value):
                    guard words.count + options.count < maxWords else { return .failure(tooMany) }
                    words.append(value)
                case .failure(let error): return .failure(error)
                }
                skipBlanks()
                continue
            }
            // Unquoted word: up to the next blank, or an `=` that makes it an option.
            let start = position
            var equals = -1
            while position < count, line[position] != 0x20, line[position] != 0x09 {
                let byte = line[position]
                if byte == 0x3D && equals < 0 {
                    equals = position
                    if isOptionKey(line, start, position), position + 1 < count, line[position + 1] == 0x22 {
                        break
                    }
                }
                if byte == 0x22 && equals < 0 {
                    return .failure(RequestError(.syntax, "quote inside a word at column \(position + 1); expected quotes around the whole word"))
                }
                position += 1
            }
            if equals >= 0 && isOptionKey(line, start, equals) {
                let keyBytes = UnsafeRawBufferPointer(rebasing: line[start..<equals])
                // Keys are ASCII (isOptionKey); lowercased only when one has an upper-case letter.
                let key = keyBytes.contains(where: { $0 >= 0x41 && $0 <= 0x5A })
                    ? String(decoding: keyBytes, as: UTF8.self).lowercased() : String(decoding: keyBytes, as: UTF8.self)
                let value: String
                if position < count, line[position] == 0x3D, position + 1 < count, line[position + 1] == 0x22 {
                    position += 1
                    switch readQuoted() {
                    case .success(let quoted): value = quoted
                    case .failure(let error): return .failure(error)
                    }
                } else {
                    value = String(decoding: UnsafeRawBufferPointer(rebasing: line[(equals + 1)..<position]), as: UTF8.self)
                    if value.utf8.contains(0x22) {
                        return .failure(RequestError(.syntax, "quote inside the value of \(key)= ; expected \(key)=\"...\""))
                    }
                }
                if key == "req" {
                    if token != nil {
                        return .failure(RequestError(.syntax, "req= given twice; expected at most one request token"))
                    }
                    if value.isEmpty || value.utf8.count > 128 {
                        return .failure(RequestError(.syntax, "req= must be 1 to 128 bytes"))
                    }
                    token = value
                } else {
                    if options.contains(where: { $0.key == key }) {
                        return .failure(RequestError(.syntax, "option \(key)= given twice; expected each option once"))
                    }
                    guard words.count + options.count < maxWords else { return .failure(tooMany) }
                    options.append(Request.Option(key: key, value: value))
                }
            } else {
                guard words.count + options.count < maxWords else { return .failure(tooMany) }
                words.append(String(decoding: UnsafeRawBufferPointer(rebasing: line[start..<position]), as: UTF8.self))
            }
            skipBlanks()
        }
        return .success(Request(words: words, options: options, requestToken: token))
    }

    /// An option key: an ASCII letter, then letters, digits, `_`, `-` or `.`.
    private static func isOptionKey(_ line: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        guard end > start else { return false }
        let first = line[start] | 0x20
        guard first >= 0x61 && first <= 0x7A else { return false }
        var index = start + 1
        while index < end {
            let byte = line[index]
            let lower = byte | 0x20
            let ok = (lower >= 0x61 && lower <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || byte == 0x2D || byte == 0x2E
            if !ok { return false }
            index += 1
        }
        return true
    }

    private static func firstInvalidUTF8(_ line: UnsafeRawBufferPointer) -> Int {
        var index = 0
        while index < line.count {
            let byte = line[index]
            let length: Int
            if byte < 0x80 { length = 1 }
            else if byte & 0xE0 == 0xC0 { length = 2 }
            else if byte & 0xF0 == 0xE0 { length = 3 }
            else if byte & 0xF8 == 0xF0 { length = 4 }
            else { return index }
            if index + length > line.count { return index }
            if String(validating: UnsafeRawBufferPointer(rebasing: line[index..<(index + length)]), as: UTF8.self) == nil {
                return index
            }
            index += length
        }
        return index
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
