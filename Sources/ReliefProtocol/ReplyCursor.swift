/// Encodes one reply a slice at a time, so a listing of a million rows never exists as one string:
/// the connection asks for more only once the client has read what went before.
///
/// `OK` and `ERR` replies are small and go out whole; rows (`.rows`, `.stream`) go out as the
/// header and then whole rows, at least one row per call, until about `budget` bytes were added.
public struct ReplyCursor: Sendable {
    private let reply: Reply
    /// Added as `seq=N` to an `OK` line or to a table's header (`session seq=yes`).
    private let seq: Int64?
    private var next = -1
    public private(set) var isFinished = false

    public init(_ reply: Reply, seq: Int64? = nil) {
        self.reply = reply
        self.seq = seq
    }

    /// Puts ` seq=N` before the line ending `out` ends with.
    private func appendSeq(_ out: inout [UInt8]) {
        guard let seq, out.last == 0x0A else { return }
        out.removeLast()
        out.append(contentsOf: " seq=\(seq)\n".utf8)
    }

    /// Rows the reply has in all (0 for `OK` and `ERR`).
    public var rowCount: Int {
        switch reply {
        case .rows(let rows): rows.count
        case .stream(let stream): stream.count
        case .ok, .error: 0
        }
    }

    /// Rows still to encode (0 for `OK` and `ERR`), for accounting.
    public var rowsLeft: Int {
        guard !isFinished else { return 0 }
        switch reply {
        case .rows(let rows): return rows.count - max(next, 0)
        case .stream(let stream): return stream.count - max(next, 0)
        case .ok, .error: return 0
        }
    }

    /// Appends the next slice to `out`: everything for `OK`/`ERR`, else the header (first call) and
    /// rows until `budget` bytes were appended. Returns true when the reply is complete.
    @discardableResult
    public mutating func encode(into out: inout [UInt8], budget: Int) -> Bool {
        guard !isFinished else { return true }
        let start = out.count
        switch reply {
        case .ok:
            TextEncoder.encode(reply, into: &out)
            appendSeq(&out)
            isFinished = true
        case .error:
            TextEncoder.encode(reply, into: &out)
            isFinished = true
        case .rows(let rows):
            if next < 0 {
                out.append(contentsOf: "OK \(rows.count) rows\n".utf8)
                appendSeq(&out)
                next = 0
            }
            while next < rows.count, out.count - start < budget {
                TextEncoder.appendLogfmt(rows[next], into: &out)
                out.append(0x0A)
                next += 1
            }
            isFinished = next == rows.count
        case .stream(let stream):
            if next < 0 {
                out.append(contentsOf: stream.header.utf8)
                appendSeq(&out)
                next = 0
            }
            while next < stream.count, out.count - start < budget {
                TextEncoder.appendLogfmt(stream.row(at: next), into: &out)
                out.append(0x0A)
                next += 1
            }
            isFinished = next == stream.count
        }
        return isFinished
    }
}
