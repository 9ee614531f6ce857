/// Splits a byte stream into request lines, enforcing the maximum line length.
///
/// A value type with no I/O: the connection feeds it what it reads and takes back events.
/// Lines end in LF; a CR before the LF is dropped. A line longer than `maxLine` yields
/// `.overlong` once and its remaining bytes are discarded up to the next LF, so one bad line
/// neither exhausts memory nor desynchronises the stream.
public struct LineFramer: Sendable {
    public enum Event: Equatable, Sendable {
        case line([UInt8])
        case overlong(Int)
    }

    public let maxLine: Int
    private var buffer: [UInt8] = []
    private var discarding = false
    private var discarded = 0

    public init(maxLine: Int) {
        precondition(maxLine > 0)
        self.maxLine = maxLine
    }

    /// Bytes held of an unfinished line.
    public var pendingBytes: Int { buffer.count }
    public var hasPartialLine: Bool { !buffer.isEmpty || discarding }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (Event) -> Void) {
        var start = 0
        let count = bytes.count
        while start < count {
            // Find the next LF.
            var end = start
            while end < count && bytes[end] != 0x0A { end += 1 }
            let found = end < count
            if discarding {
                discarded += end - start
                if found {
                    discarding = false
                    emit(.overlong(discarded))
                    discarded = 0
                }
            } else if buffer.count + (end - start) > maxLine + (found || (end > start && bytes[end - 1] == 0x0D) ? 1 : 0) {
                // Allow one extra byte for a CR that will be stripped when the line is complete
                // (its LF may arrive in the next read).
                let total = buffer.count + (end - start)
                buffer.removeAll(keepingCapacity: false)
                if found {
                    emit(.overlong(total))
                } else {
                    discarding = true
                    discarded = total
                }
            } else if found {
                if buffer.isEmpty {
                    var line = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                    if line.last == 0x0D { line.removeLast() }
                    emitLine(line, emit)
                } else {
                    buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                    var line = buffer
                    buffer.removeAll(keepingCapacity: true)
                    if line.last == 0x0D { line.removeLast() }
                    emitLine(line, emit)
                }
            } else {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            }
            start = found ? end + 1 : end
        }
    }

    public mutating func feed(_ bytes: [UInt8], _ emit: (Event) -> Void) {
        bytes.withUnsafeBytes { feed($0, emit) }
    }

    private func emitLine(_ line: [UInt8], _ emit: (Event) -> Void) {
        if line.count > maxLine {
            emit(.overlong(line.count))
        } else {
            emit(.line(line))
        }
    }
}
