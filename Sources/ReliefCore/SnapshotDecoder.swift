import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A snapshot's text as the store gave it, read in place: bytes (SQLite's parts, joined) or a
/// String (PostgreSQL's row), so neither is copied into the other's form.
enum SnapshotText: Sendable {
    case bytes([UInt8])
    case string(String)

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .bytes(let bytes): return try bytes.withUnsafeBytes(body)
        case .string(var string): return try string.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
        }
    }
}

/// A snapshot line made ready on the parsing thread: a volunteer already built (with the
/// certifications whose lines followed it in the same batch), a certification already decoded, or
/// any other record as parsed, for `State.load` to apply.
enum SnapshotItem: Equatable {
    case record(FlatJSON)
    case volunteer(Volunteer)
    case certification(volunteer: String, Certification)
}

/// Reads a snapshot's JSON lines in batches, preparing the next two batches on other threads while
/// the caller applies this one. Parsing the text (strings, numbers, the pairs of each record) and
/// building each volunteer from its record (profile, status, certifications) depend on nothing
/// but the bytes; on a large roster they are most of a start. Applying an item — putting it into
/// the state's tables, checking what it refers to — depends on the items before it and stays on
/// the caller's thread, in order. So a start keeps both cores of a small machine busy, and the
/// state built is exactly the one the lines give one after another: the same records applied in
/// the same order, the first bad line (parse, decode or apply) the error thrown. Nothing of the
/// daemon's loop is involved: this runs before it starts, or in a drill's copy of a store.
enum SnapshotDecoder {
    /// Lines per batch: enough to make a thread hand-off cheap next to the parsing, small enough
    /// that the items held ahead stay a few megabytes.
    static let batchLines = 4096

    /// One batch's items, and the error of the line after the last of them if there was one.
    /// Written by its preparing thread before it leaves its DispatchGroup and read by the caller
    /// after `wait()`: the group orders the two.
    private final class Batch: @unchecked Sendable {
        var items: [SnapshotItem] = []
        var failure: (any Error)?
    }

    /// A text pool the batches intern organizations, issuers, language and skill lists into. Each is used by one batch at
    /// a time: batch k uses pool k % 2, and batch k + 2 starts only after the caller has waited for
    /// batch k.
    private final class Pool: @unchecked Sendable {
        var pool = TextPool()
    }

    /// Batches prepared ahead of the one being applied: two, so both cores prepare while the
    /// caller's thread, which has much less to do per line, applies.
    static let batchesAhead = 2

    /// Calls `body` with each line of `text` (UTF-8; `lines`: byte ranges) prepared, in order. Returns the
    /// text pool the volunteers and certifications were interned with.
    /// `batchLines` other than the default is for tests (batches of a line or two).
    static func forEachItem(of text: SnapshotText, lines: [Range<Int>], batchLines: Int = SnapshotDecoder.batchLines,
                            _ body: (SnapshotItem) throws -> Void) throws -> TextPool {
        precondition(batchLines > 0)
        let pools = (0..<batchesAhead).map { _ in Pool() }
        func merged() -> TextPool {
            var pool = pools[0].pool
            for other in pools.dropFirst() { pool.add(other.pool) }
            pool.forgetWrittenLists()
            return pool
        }
        if lines.count <= batchLines {
            let batch = Batch()
            prepare(text, lines[...], into: batch, pool: pools[0])
            for item in batch.items { try body(item) }
            if let failure = batch.failure { throw failure }
            return merged()
        }
        var starts = Array(stride(from: 0, to: lines.count, by: batchLines))
        starts.reverse()
        var launched = 0
        func launch() -> (DispatchGroup, Batch)? {
            guard let start = starts.popLast() else { return nil }
            let slice = lines[start..<min(start + batchLines, lines.count)]
            let group = DispatchGroup(), batch = Batch(), pool = pools[launched % batchesAhead]
            launched += 1
            DispatchQueue.global().async(group: group) { prepare(text, slice, into: batch, pool: pool) }
            return (group, batch)
        }
        var ahead: [(DispatchGroup, Batch)] = []
        // Batches still being prepared are waited for before leaving, also on an error.
        defer { for (group, _) in ahead { group.wait() } }
        while ahead.count < batchesAhead, let next = launch() { ahead.append(next) }
        while !ahead.isEmpty {
            let (group, batch) = ahead.removeFirst()
            group.wait()
            if batch.failure == nil, let next = launch() { ahead.append(next) }
            for item in batch.items { try body(item) }
            if let failure = batch.failure { throw failure }
        }
        return merged()
    }

    /// The byte ranges of the non-empty lines of `text` (found with memchr: a snapshot of a
    /// national roster is half a gigabyte).
    static func lines(of text: SnapshotText) -> [Range<Int>] {
        text.withUnsafeBytes { raw in
            var ranges: [Range<Int>] = []
            guard let base = raw.baseAddress else { return ranges }
            var start = 0
            while start < raw.count {
                let end = memchr(base + start, 0x0A, raw.count - start).map { $0 - UnsafeMutableRawPointer(mutating: base) } ?? raw.count
                if end > start { ranges.append(start..<end) }
                start = end + 1
            }
            return ranges
        }
    }

    /// What a line's first pair says it is, with the parser past that pair for a volunteer or a
    /// certification (decoded field by field from there). Anything else, or a line whose first
    /// key is not `t`, is decoded as a whole record.
    private enum LineKind {
        case volunteer(FlatJSON.Parser)
        case certification(FlatJSON.Parser)
        case other
    }

    private static func kind(of line: UnsafeRawBufferPointer) throws -> LineKind {
        var parser = FlatJSON.Parser(bytes: line)
        guard try parser.open() else { return .other }
        let key = try parser.key()
        guard key.decoded == nil, key.bytes.count == 1, key.bytes[0] == 0x74, case .string(let type) = try parser.value() else {
            return .other
        }
        switch type {
        case "volunteer": return .volunteer(parser)
        case "cert": return .certification(parser)
        default: return .other
        }
    }

    /// One line made ready: a volunteer or a certification decoded straight from its bytes
    /// when its first pair says so (as every line reliefd writes does), any other line as a
    /// whole record (`decodeRecord`). Either way the item, or the error, is the one
    /// `decodeRecord(FlatJSON.decode(line))` gives.
    static func decodeLine(_ line: UnsafeRawBufferPointer, pool: inout TextPool) throws -> SnapshotItem {
        switch try kind(of: line) {
        case .volunteer(var parser):
            return .volunteer(try State.snapshotVolunteer(reading: &parser, pool: &pool))
        case .certification(var parser):
            let (id, certification) = try State.snapshotCertification(reading: &parser, pool: &pool)
            return .certification(volunteer: id, certification)
        case .other:
            return try decodeRecord(FlatJSON.decode(line), pool: &pool)
        }
    }

    /// A line decoded as a record first, then by its type.
    static func decodeRecord(_ record: FlatJSON, pool: inout TextPool) throws -> SnapshotItem {
        switch try record.string("t") {
        case "volunteer":
            return .volunteer(try State.snapshotVolunteer(record, pool: &pool))
        case "cert":
            let (id, certification) = try State.snapshotCertification(record, pool: &pool)
            return .certification(volunteer: id, certification)
        default:
            return .record(record)
        }
    }

    private static func prepare(_ text: SnapshotText, _ lines: ArraySlice<Range<Int>>, into batch: Batch, pool: Pool) {
        text.withUnsafeBytes { raw in
            var items: [SnapshotItem] = []
            items.reserveCapacity(lines.count)
            do {
                for line in lines {
                    let item = try decodeLine(UnsafeRawBufferPointer(rebasing: raw[line]), pool: &pool.pool)
                    // A volunteer's certifications follow its line: added to it here, where the
                    // volunteer is still this batch's own (its box not shared, so no copy).
                    if case .certification(let id, let certification) = item, case .volunteer(var volunteer)? = items.last, volunteer.id == id {
                        items.removeLast()
                        volunteer.certifications[certification.skill] = certification
                        items.append(.volunteer(volunteer))
                    } else {
                        items.append(item)
                    }
                }
            } catch {
                batch.failure = error
            }
            batch.items = items
        }
    }
}
