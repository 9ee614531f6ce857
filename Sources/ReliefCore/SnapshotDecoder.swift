import Dispatch

/// Reads a snapshot's JSON lines in batches, parsing the next batch on a second thread while the
/// caller applies this one. Parsing the text (strings, numbers, the pairs of each record) is a
/// quarter of loading a large roster and depends on nothing but the bytes; applying a record
/// depends on the records before it and stays on the caller's thread, in order. So a start on two
/// cores takes about the longer of the two, not their sum, and the state built is exactly the one
/// the lines give one after another: the same records applied in the same order, the first bad
/// line (parse or apply) the error thrown. Nothing of the daemon's loop is involved: this runs
/// before it starts, or in a drill's copy of a store.
enum SnapshotDecoder {
    /// Lines per batch: enough to make a thread hand-off cheap next to the parsing, small enough
    /// that the parsed records held ahead stay a few megabytes.
    static let batchLines = 4096

    /// One batch's parsed records, or the first error in it. Written by the parsing thread before
    /// it leaves its DispatchGroup and read by the caller after `wait()`: the group orders the two.
    private final class Batch: @unchecked Sendable {
        var records: [FlatJSON] = []
        var failure: (any Error)?
    }

    /// Calls `body` with each line of `text` (`lines`: byte ranges) parsed, in order.
    static func forEachRecord(of text: String, lines: [Range<Int>], _ body: (FlatJSON) throws -> Void) throws {
        if lines.count <= batchLines {
            for record in try parse(text, lines[...]) { try body(record) }
            return
        }
        var starts = Array(stride(from: 0, to: lines.count, by: batchLines))
        starts.reverse()
        func launch() -> (DispatchGroup, Batch)? {
            guard let start = starts.popLast() else { return nil }
            let slice = lines[start..<min(start + batchLines, lines.count)]
            let group = DispatchGroup(), batch = Batch()
            DispatchQueue.global().async(group: group) {
                do { batch.records = try parse(text, slice) } catch { batch.failure = error }
            }
            return (group, batch)
        }
        var next = launch()
        // A batch still being parsed is waited for before leaving, also on an error.
        defer { next?.0.wait() }
        while let (group, batch) = next {
            group.wait()
            next = launch()
            if let failure = batch.failure { throw failure }
            for record in batch.records { try body(record) }
        }
    }

    private static func parse(_ text: String, _ lines: ArraySlice<Range<Int>>) throws -> [FlatJSON] {
        var text = text
        return try text.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            var records: [FlatJSON] = []
            records.reserveCapacity(lines.count)
            for line in lines { records.append(try FlatJSON.decode(UnsafeRawBufferPointer(rebasing: raw[line]))) }
            return records
        }
    }
}
