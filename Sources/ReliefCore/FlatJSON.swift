#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A JSON object whose values are strings, integers, doubles or null: the body of a journal entry
/// and of each snapshot record. Hand-written because the journal encodes tens of thousands of events
/// per second on the write path, and because the output must be byte-for-byte deterministic (it
/// feeds the journal's hash chain). The output is ordinary JSON, readable with SQL json functions.
public struct FlatJSON: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case int(Int64)
        case double(Double)
        case null
    }

    public var pairs: [(String, Value)]

    public init() { pairs = [] }

    public static func == (lhs: FlatJSON, rhs: FlatJSON) -> Bool {
        lhs.pairs.count == rhs.pairs.count && zip(lhs.pairs, rhs.pairs).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public mutating func set(_ key: String, _ value: String) { pairs.append((key, .string(value))) }
    public mutating func set(_ key: String, _ value: String?) { if let value { pairs.append((key, .string(value))) } }
    public mutating func set(_ key: String, _ value: Int64) { pairs.append((key, .int(value))) }
    public mutating func set(_ key: String, _ value: Int) { pairs.append((key, .int(Int64(value)))) }
    public mutating func set(_ key: String, _ value: Double) { pairs.append((key, .double(value))) }

    public subscript(key: String) -> Value? {
        for (k, v) in pairs where k == key { return v }
        return nil
    }

    public func string(_ key: String) throws -> String { try FlatJSON.string(self[key], key) }
    public func optionalString(_ key: String) throws -> String? { try FlatJSON.optionalString(self[key], key) }
    public func int(_ key: String) throws -> Int64 { try FlatJSON.int(self[key], key) }
    public func optionalInt(_ key: String) throws -> Int64? { try FlatJSON.optionalInt(self[key], key) }
    public func double(_ key: String) throws -> Double { try FlatJSON.double(self[key], key) }

    /// `Parser.readFields` on a record already decoded: `body` gets the first value of each of
    /// `fields` the record has.
    func readFields(_ fields: FieldNames, _ body: (Int, Value) -> Void) {
        var found = FieldNames.Found()
        for (key, value) in pairs {
            if let field = fields.index(of: Array(key.utf8)[...]), found.first(field) { body(field, value) }
        }
    }

    // The same, given the value of field `key` (nil: absent): for decoders that read a record's
    // fields as they parse it (`Parser.readFields`) rather than look each up in a FlatJSON.
    static func string(_ value: Value?, _ key: String) throws -> String {
        guard case .string(let value)? = value else { throw DecodingError.missing(key) }
        return value
    }
    static func optionalString(_ value: Value?, _ key: String) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw DecodingError.missing(key)
        }
    }
    static func int(_ value: Value?, _ key: String) throws -> Int64 {
        guard case .int(let value)? = value else { throw DecodingError.missing(key) }
        return value
    }
    static func optionalInt(_ value: Value?, _ key: String) throws -> Int64? {
        switch value {
        case nil, .null?: return nil
        case .int(let value)?: return value
        default: throw DecodingError.missing(key)
        }
    }
    static func double(_ value: Value?, _ key: String) throws -> Double {
        switch value {
        case .double(let value)?: return value
        case .int(let value)?: return Double(value)
        default: throw DecodingError.missing(key)
        }
    }

    public enum DecodingError: Error, Equatable, CustomStringConvertible {
        case missing(String)
        case malformed(Int)
        case unknownKind(String)
        case invalid(String)
        public var description: String {
            switch self {
            case .missing(let key): "missing or mistyped field \(key)"
            case .malformed(let offset): "malformed JSON at byte \(offset)"
            case .unknownKind(let kind): "unknown record kind \(kind)"
            case .invalid(let what): "invalid value: \(what)"
            }
        }
    }

    // MARK: encoding

    public func encoded() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        encode(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func encode(into out: inout [UInt8]) {
        out.append(0x7B)
        var first = true
        for (key, value) in pairs {
            if !first { out.append(0x2C) }
            first = false
            FlatJSON.appendString(key, into: &out)
            out.append(0x3A)
            switch value {
            case .string(let text): FlatJSON.appendString(text, into: &out)
            case .int(let number): out.append(contentsOf: String(number).utf8)
            case .double(let number): out.append(contentsOf: (number.isFinite ? "\(number)" : "null").utf8)
            case .null: out.append(contentsOf: "null".utf8)
            }
        }
        out.append(0x7D)
    }

    static func appendString(_ text: String, into out: inout [UInt8]) {
        out.append(0x22)
        // Most strings need no escaping: copy them whole (this runs for every field of every
        // journal entry and snapshot record), scanning the contiguous UTF-8 directly.
        var copy = text
        let plain = copy.withUTF8 { bytes -> Bool in
            for byte in bytes where byte < 0x20 || byte == 0x22 || byte == 0x5C { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain {
            out.append(0x22)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                let digits = Array("0123456789abcdef".utf8)
                out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }

    // MARK: decoding

    public static func decode(_ text: String) throws -> FlatJSON {
        var copy = text
        return try copy.withUTF8 { try decode(UnsafeRawBufferPointer($0)) }
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> FlatJSON {
        var parser = Parser(bytes: bytes)
        var result = FlatJSON()
        guard try parser.open() else { return result }
        repeat {
            let key = try parser.key()
            result.pairs.append((key.decoded ?? parser.text(key.bytes), try parser.value()))
        } while try parser.more()
        return result
    }

    /// Reads a flat JSON object pair by pair: `open`, then `key`, `value` and `more` while `more`
    /// says another pair follows. `decode` builds a FlatJSON with it; a decoder that wants a few
    /// known fields of a record (a volunteer's snapshot line) reads the keys as bytes and makes no
    /// String of them. The errors are the same either way: the first malformed byte, by offset.
    struct Parser {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        /// Reads the opening brace: true when a pair follows, false for `{}`.
        mutating func open() throws -> Bool {
            try expect(0x7B)
            skip()
            if index < bytes.count, bytes[index] == 0x7D { index += 1; return false }
            return true
        }

        /// A pair's key and its colon: the key's bytes in the object when it holds no escape
        /// (`decoded` nil), else the decoded text.
        mutating func key() throws -> (bytes: UnsafeRawBufferPointer, decoded: String?) {
            skip()
            guard index < bytes.count, bytes[index] == 0x22 else { throw DecodingError.malformed(index) }
            let start = index + 1
            var end = start
            while end < bytes.count, bytes[end] != 0x22, bytes[end] != 0x5C { end += 1 }
            let key: (UnsafeRawBufferPointer, String?)
            if end < bytes.count, bytes[end] == 0x22 {
                key = (UnsafeRawBufferPointer(rebasing: bytes[start..<end]), nil)
                index = end + 1
            } else {
                key = (UnsafeRawBufferPointer(start: nil, count: 0), try string())
            }
            try expect(0x3A)
            return key
        }

        func text(_ key: UnsafeRawBufferPointer) -> String { String(decoding: key, as: UTF8.self) }

        /// A pair's value.
        mutating func value() throws -> Value {
            skip()
            guard index < bytes.count else { throw DecodingError.malformed(index) }
            switch bytes[index] {
            case 0x22: return .string(try string())
            case 0x6E:
                guard index + 4 <= bytes.count, bytes[index + 1] == 0x75, bytes[index + 2] == 0x6C, bytes[index + 3] == 0x6C else {
                    throw DecodingError.malformed(index)
                }
                index += 4
                return .null
            default: return try number()
            }
        }

        /// After a value: true when a comma says another pair follows, false at the closing brace.
        mutating func more() throws -> Bool {
            skip()
            guard index < bytes.count else { throw DecodingError.malformed(index) }
            if bytes[index] == 0x2C { index += 1; return true }
            if bytes[index] == 0x7D { index += 1; return false }
            throw DecodingError.malformed(index)
        }

        /// Reads the pairs left in the object (one must follow: after `open`, or after `more`
        /// said so), calling `body` with the position in `fields` and the value of each key that
        /// is one of them, the first time it appears (a duplicate key is read and skipped, as
        /// FlatJSON's look-up finds the first); keys not in `fields` are read and skipped too.
        mutating func readFields(_ fields: FieldNames, _ body: (Int, Value) -> Void) throws {
            var found = FieldNames.Found()
            repeat {
                let key = try key()
                let value = try value()
                let field = key.decoded.map { fields.index(of: Array($0.utf8)[...]) } ?? fields.index(of: key.bytes, expecting: found.next)
                if let field, found.first(field) { body(field, value) }
            } while try more()
        }

        mutating func skip() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }

        mutating func expect(_ byte: UInt8) throws {
            skip()
            guard index < bytes.count, bytes[index] == byte else { throw DecodingError.malformed(index) }
            index += 1
        }

        mutating func string() throws -> String {
            guard index < bytes.count, bytes[index] == 0x22 else { throw DecodingError.malformed(index) }
            index += 1
            // Most strings (every key, most values) hold no escape: made straight from the bytes,
            // with no buffer in between (a string of up to 15 bytes then allocates nothing).
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x22 {
                    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return text
                }
                if byte == 0x5C { break }
                index += 1
            }
            var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x22 { index += 1; return String(decoding: out, as: UTF8.self) }
                if byte == 0x5C {
                    index += 1
                    guard index < bytes.count else { break }
                    switch bytes[index] {
                    case 0x22: out.append(0x22)
                    case 0x5C: out.append(0x5C)
                    case 0x2F: out.append(0x2F)
                    case 0x6E: out.append(0x0A)
                    case 0x72: out.append(0x0D)
                    case 0x74: out.append(0x09)
                    case 0x62: out.append(0x08)
                    case 0x66: out.append(0x0C)
                    case 0x75:
                        guard index + 4 < bytes.count, let code = UInt32(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(index + 1)...(index + 4)]), as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(code) else { throw DecodingError.malformed(index) }
                        out.append(contentsOf: String(Character(scalar)).utf8)
                        index += 4
                    default: throw DecodingError.malformed(index)
                    }
                    index += 1
                    continue
                }
                out.append(byte)
                index += 1
            }
            throw DecodingError.malformed(index)
        }

        mutating func number() throws -> Value {
            let start = index
            var isDouble = false
            while index < bytes.count {
                let byte = bytes[index]
                if (byte >= 0x30 && byte <= 0x39) || byte == 0x2D { index += 1; continue }
                if byte == 0x2E || byte == 0x65 || byte == 0x45 || byte == 0x2B { isDouble = true; index += 1; continue }
                break
            }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            if !isDouble, let value = Int64(text) { return .int(value) }
            // A number too large for a Double reads as infinity, which the encoder writes as null:
            // refused here, so what decodes encodes back to itself (the journal holds finite numbers).
            if let value = Double(text), value.isFinite { return .double(value) }
            throw DecodingError.malformed(start)
        }
    }
}

extension FlatJSON {
    /// The keys a record decoder reads (at most 64), matched against a key's bytes without
    /// making a String of it. Records written by reliefd hold their keys in one order, so the
    /// field after the last one found is tried first.
    struct FieldNames: Sendable {
        let names: [[UInt8]]

        init(_ names: [String]) {
            precondition(names.count <= 64)
            self.names = names.map { Array($0.utf8) }
        }

        func index(of key: UnsafeRawBufferPointer, expecting next: Int) -> Int? {
            func matches(_ name: [UInt8]) -> Bool {
                guard name.count == key.count else { return false }
                return key.isEmpty || name.withUnsafeBytes { memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }
            }
            if next < names.count, matches(names[next]) { return next }
            return names.firstIndex(where: matches)
        }

        func index(of key: ArraySlice<UInt8>) -> Int? {
            names.firstIndex { $0[...] == key }
        }

        /// The fields met so far in one record: the first value of each is the one read.
        struct Found {
            private var seen: UInt64 = 0
            /// The field after the last one met: where a record written in order goes on.
            private(set) var next = 0

            /// True the first time `field` is met.
            mutating func first(_ field: Int) -> Bool {
                guard seen & (1 << field) == 0 else { return false }
                seen |= 1 << field
                next = field + 1
                return true
            }
        }
    }
}
