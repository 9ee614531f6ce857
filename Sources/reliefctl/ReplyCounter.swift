#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts whole replies in a byte stream without building strings: the benchmark's hot path.
///
/// A reply is one header line (`OK…` or `ERR…`), plus n more lines when the header is `OK n rows`
/// or `OK n rows more` (a listing cut at its limit).
/// Only the first bytes of each header line are kept; row lines are only counted.
struct ReplyCounter {
    static let keptHeaderBytes = 256
    private var rowsLeft = 0
    private var header: [UInt8] = []
    private(set) var errors = 0
    private(set) var firstError: String?

    init() { header.reserveCapacity(ReplyCounter.keptHeaderBytes) }

    /// Feeds bytes; returns how many replies they completed.
    mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        var completed = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let found = memchr(base + index, 0x0A, count - index)
            let end = found.map { base.distance(to: UnsafeRawPointer($0)) } ?? count
            if rowsLeft > 0 {
                if found != nil {
                    rowsLeft -= 1
                    if rowsLeft == 0 { completed += 1 }
                }
            } else {
                let room = ReplyCounter.keptHeaderBytes - header.count
                if room > 0 {
                    let take = min(room, end - index)
                    header.append(contentsOf: UnsafeRawBufferPointer(start: base + index, count: take))
                }
                if found != nil {
                    completed += finishHeader()
                    header.removeAll(keepingCapacity: true)
                }
            }
            index = end + 1
        }
        return completed
    }

    /// Reads a complete header line; returns 1 when it is a whole reply, 0 when rows follow.
    private mutating func finishHeader() -> Int {
        if header.last == 0x0D { header.removeLast() }
        if header.count >= 3 && header[0] == 0x45 && header[1] == 0x52 && header[2] == 0x52 { // ERR
            errors += 1
            if firstError == nil { firstError = String(decoding: header, as: UTF8.self) }
            return 1
        }
        // "OK <n> rows" or "OK <n> rows more"
        guard header.count > 8, header[0] == 0x4F, header[1] == 0x4B, header[2] == 0x20 else { return 1 }
        var index = 3
        var rows = 0
        while index < header.count, header[index] >= 0x30, header[index] <= 0x39, rows < 1 << 40 {
            rows = rows * 10 + Int(header[index] - 0x30)
            index += 1
        }
        let rowsWord: [UInt8] = [0x20, 0x72, 0x6F, 0x77, 0x73] // " rows"
        let moreWord: [UInt8] = [0x20, 0x6D, 0x6F, 0x72, 0x65] // " more"
        guard index > 3, header.count == index + 5 || header.count == index + 10,
              header[index..<(index + 5)].elementsEqual(rowsWord),
              header.count == index + 5 || header[(index + 5)...].elementsEqual(moreWord)
        else { return 1 }
        if rows == 0 { return 1 }
        rowsLeft = rows
        return 0
    }
}
