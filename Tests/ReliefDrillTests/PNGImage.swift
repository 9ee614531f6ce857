import Foundation

/// Just enough of PNG to look at a browser's screenshot: 8-bit RGB or RGBA, not interlaced, with
/// its own inflate (Foundation on Linux exposes no zlib). Pixels come back as RGBA.
struct PNGImage {
    let width: Int
    let height: Int
    /// Four bytes a pixel, rows top to bottom.
    let rgba: [UInt8]

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 8, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw Failure(description: "not a PNG signature")
        }
        var offset = 8
        var header: (width: Int, height: Int, depth: UInt8, colour: UInt8, interlace: UInt8)?
        var compressed: [UInt8] = []
        func integer(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }
        while offset + 12 <= bytes.count {
            let length = integer(offset)
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let body = offset + 8
            guard length >= 0, body + length + 4 <= bytes.count else { throw Failure(description: "chunk \(type) runs past the end") }
            switch type {
            case "IHDR":
                header = (integer(body), integer(body + 4), bytes[body + 8], bytes[body + 9], bytes[body + 12])
            case "IDAT":
                compressed += bytes[body..<(body + length)]
            default:
                break
            }
            offset = body + length + 4
            if type == "IEND" { break }
        }
        guard let header else { throw Failure(description: "no IHDR") }
        guard header.depth == 8, header.colour == 2 || header.colour == 6, header.interlace == 0 else {
            throw Failure(description: "unsupported PNG: depth \(header.depth), colour type \(header.colour), interlace \(header.interlace)")
        }
        guard compressed.count > 2 else { throw Failure(description: "no image data") }
        var inflater = Inflater(input: compressed, position: 2)
        let raw = try inflater.inflate(expected: header.height * (1 + header.width * (header.colour == 6 ? 4 : 3)))
        width = header.width
        height = header.height
        rgba = try Self.unfilter(raw, width: header.width, height: header.height, channels: header.colour == 6 ? 4 : 3)
    }

    func pixel(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        let at = (y * width + x) * 4
        return (rgba[at], rgba[at + 1], rgba[at + 2])
    }

    private static func unfilter(_ raw: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
        let stride = width * channels
        guard raw.count >= height * (stride + 1) else { throw Failure(description: "image data too short: \(raw.count) bytes") }
        var current = [UInt8](repeating: 0, count: stride), previous = [UInt8](repeating: 0, count: stride)
        var out = [UInt8]()
        out.reserveCapacity(width * height * 4)
        for row in 0..<height {
            let start = row * (stride + 1)
            let filter = raw[start]
            for index in 0..<stride {
                let x = raw[start + 1 + index]
                let a = index >= channels ? current[index - channels] : 0
                let b = previous[index]
                let c = index >= channels ? previous[index - channels] : 0
                switch filter {
                case 0: current[index] = x
                case 1: current[index] = x &+ a
                case 2: current[index] = x &+ b
                case 3: current[index] = x &+ UInt8((Int(a) + Int(b)) / 2)
                case 4:
                    let p = Int(a) + Int(b) - Int(c)
                    let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
                    current[index] = x &+ (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)
                default: throw Failure(description: "row \(row) has filter \(filter)")
                }
            }
            if channels == 4 {
                out += current
            } else {
                for pixel in 0..<width { out += [current[pixel * 3], current[pixel * 3 + 1], current[pixel * 3 + 2], 255] }
            }
            swap(&current, &previous)
        }
        return out
    }
}

/// DEFLATE (RFC 1951): stored, fixed and dynamic Huffman blocks, decoded through lookup tables.
private struct Inflater {
    let input: [UInt8]
    var position: Int
    private var buffer: UInt64 = 0
    private var count = 0

    init(input: [UInt8], position: Int) {
        self.input = input
        self.position = position
    }

    private static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                                       4097, 6145, 8193, 12289, 16385, 24577]
    private static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// A canonical Huffman code as a table indexed by the next `bits` input bits (least
    /// significant first, as DEFLATE packs them): symbol << 4 | code length.
    private struct Table {
        var entries: [Int32]
        var bits: Int

        init(lengths: [Int]) {
            bits = max(1, lengths.max() ?? 1)
            entries = [Int32](repeating: -1, count: 1 << bits)
            var countOf = [Int](repeating: 0, count: 16)
            for length in lengths where length > 0 { countOf[length] += 1 }
            var next = [Int](repeating: 0, count: 16)
            var code = 0
            for length in 1..<16 {
                code = (code + countOf[length - 1]) << 1
                next[length] = code
            }
            for (symbol, length) in lengths.enumerated() where length > 0 {
                let assigned = next[length]
                next[length] += 1
                var reversed = 0
                for bit in 0..<length where assigned & (1 << bit) != 0 { reversed |= 1 << (length - 1 - bit) }
                var fill = reversed
                while fill < entries.count {
                    entries[fill] = Int32(symbol << 4 | length)
                    fill += 1 << length
                }
            }
        }
    }

    private mutating func need(_ bits: Int) {
        while count < bits {
            // Past the end, zeros: a truncated stream then fails on a bad symbol or a short image.
            let byte = position < input.count ? UInt64(input[position]) : 0
            position += 1
            buffer |= byte << UInt64(count)
            count += 8
        }
    }

    private mutating func take(_ bits: Int) -> Int {
        guard bits > 0 else { return 0 }
        need(bits)
        let value = Int(buffer & ((1 << UInt64(bits)) - 1))
        buffer >>= UInt64(bits)
        count -= bits
        return value
    }

    private mutating func decode(_ table: Table) throws -> Int {
        need(table.bits)
        let entry = table.entries[Int(buffer & ((1 << UInt64(table.bits)) - 1))]
        guard entry >= 0 else { throw PNGImage.Failure(description: "invalid Huffman code") }
        let length = Int(entry & 15)
        buffer >>= UInt64(length)
        count -= length
        return Int(entry >> 4)
    }

    mutating func inflate(expected: Int) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(expected)
        var last = false
        while !last {
            guard position <= input.count + 8 else { throw PNGImage.Failure(description: "deflate stream ends early") }
            last = take(1) == 1
            switch take(2) {
            case 0:
                // A stored block starts on a byte boundary.
                let drop = count % 8
                _ = take(drop)
                let length = take(16)
                _ = take(16)
                for _ in 0..<length { out.append(UInt8(take(8))) }
            case 1:
                let literal = Table(lengths: Array(repeating: 8, count: 144) + Array(repeating: 9, count: 112)
                                        + Array(repeating: 7, count: 24) + Array(repeating: 8, count: 8))
                let distance = Table(lengths: Array(repeating: 5, count: 30))
                try block(&out, literal, distance)
            case 2:
                let literalCount = take(5) + 257, distanceCount = take(5) + 1, codeCount = take(4) + 4
                var codeLengths = [Int](repeating: 0, count: 19)
                for index in 0..<codeCount { codeLengths[Self.codeLengthOrder[index]] = take(3) }
                let codeTable = Table(lengths: codeLengths)
                var lengths: [Int] = []
                while lengths.count < literalCount + distanceCount {
                    let symbol = try decode(codeTable)
                    switch symbol {
                    case 0..<16: lengths.append(symbol)
                    case 16:
                        guard let previous = lengths.last else { throw PNGImage.Failure(description: "repeat with nothing before") }
                        lengths += Array(repeating: previous, count: 3 + take(2))
                    case 17: lengths += Array(repeating: 0, count: 3 + take(3))
                    default: lengths += Array(repeating: 0, count: 11 + take(7))
                    }
                }
                try block(&out, Table(lengths: Array(lengths[0..<literalCount])),
                          Table(lengths: Array(lengths[literalCount..<(literalCount + distanceCount)])))
            default:
                throw PNGImage.Failure(description: "reserved block type")
            }
        }
        return out
    }

    private mutating func block(_ out: inout [UInt8], _ literal: Table, _ distance: Table) throws {
        while true {
            let symbol = try decode(literal)
            if symbol < 256 { out.append(UInt8(symbol)); continue }
            if symbol == 256 { return }
            let index = symbol - 257
            guard index < Self.lengthBase.count else { throw PNGImage.Failure(description: "bad length symbol \(symbol)") }
            let length = Self.lengthBase[index] + take(Self.lengthExtra[index])
            let code = try decode(distance)
            guard code < Self.distanceBase.count else { throw PNGImage.Failure(description: "bad distance symbol \(code)") }
            let back = Self.distanceBase[code] + take(Self.distanceExtra[code])
            guard back <= out.count else { throw PNGImage.Failure(description: "distance \(back) before the start") }
            let from = out.count - back
            for offset in 0..<length { out.append(out[from + offset]) }
        }
    }
}
