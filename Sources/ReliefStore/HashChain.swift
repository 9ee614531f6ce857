import Crypto

/// The journal's hash chain. Each row's `hash` is the lowercase hex SHA-256 of
///
///     <previous hash hex> "\n" <seq> "\n" <time> "\n"
///     <actor byte count> ":" <actor> "\n" <kind byte count> ":" <kind> "\n" <body byte count> ":" <body>
///
/// (numbers in decimal ASCII, text as UTF-8, counts in bytes); the row before seq 1 has the
/// hash of 64 zeros. Length prefixes make the encoding unambiguous whatever the text holds.
/// docs/storage.md shows how to recompute it with any SHA-256 tool.
///
/// The hasher reuses one input buffer so hashing a row allocates nothing.
struct HashChain {
    static let genesis: [UInt8] = Array(repeating: UInt8(ascii: "0"), count: 64)
    @inline(__always) private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x57 + nibble
    }

    private var input: [UInt8] = []

    init() { input.reserveCapacity(1024) }

    /// Replaces `hash` (the previous row's hex hash) with the hash of the row after it.
    mutating func advance(_ hash: inout [UInt8], seq: Int64, time: Int64, actor: UnsafeRawBufferPointer,
                          kind: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer) {
        precondition(hash.count == 64, "a chain hash is 64 hex digits")
        input.removeAll(keepingCapacity: true)
        input.append(contentsOf: hash)
        input.append(0x0A)
        HashChain.appendDecimal(seq, to: &input)
        input.append(0x0A)
        HashChain.appendDecimal(time, to: &input)
        input.append(0x0A)
        appendCounted(actor)
        input.append(0x0A)
        appendCounted(kind)
        input.append(0x0A)
        appendCounted(body)
        let digest = SHA256.hash(data: input)
        // Hex digits by arithmetic, written through the buffer: every row of every start passes here.
        hash.withUnsafeMutableBufferPointer { out in
            digest.withUnsafeBytes { bytes in
                for (index, byte) in bytes.enumerated() {
                    out[2 * index] = HashChain.hexDigit(byte >> 4)
                    out[2 * index + 1] = HashChain.hexDigit(byte & 0x0F)
                }
            }
        }
    }

    /// Convenience for Swift strings (the commit path).
    mutating func advance(_ hash: inout [UInt8], seq: Int64, time: Int64, actor: String, kind: String,
                          body: UnsafeRawBufferPointer) {
        var actor = actor, kind = kind
        actor.withUTF8 { actorBytes in
            kind.withUTF8 { kindBytes in
                advance(&hash, seq: seq, time: time, actor: UnsafeRawBufferPointer(actorBytes),
                        kind: UnsafeRawBufferPointer(kindBytes), body: body)
            }
        }
    }

    private mutating func appendCounted(_ bytes: UnsafeRawBufferPointer) {
        HashChain.appendDecimal(Int64(bytes.count), to: &input)
        input.append(UInt8(ascii: ":"))
        input.append(contentsOf: bytes)
    }

    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }
}
