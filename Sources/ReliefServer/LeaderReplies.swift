/// The replies a follower reads back from the leader on a forwarding link, cut into whole replies:
/// one `OK …` or `ERR …` line, or a table's header `OK n rows [more]` and its n lines. Each reply's
/// `seq=N` (the link asked for them with `session seq=yes`) is read off its first line. Pure, so the
/// framing is tested apart from the socket; what it holds is bounded by `maxReply`.
struct LeaderReplies {
    struct Reply: Equatable {
        /// The reply as the leader sent it, every line with its LF.
        var bytes: [UInt8]
        /// The journal position it showed (`seq=N` on its first line), if it said.
        var seq: Int64?
        var isError: Bool
        /// The first line without its LF, for messages and decisions (`ERR UNAVAILABLE standby: …`).
        var firstLine: String
    }

    enum Failure: Error, Equatable {
        case tooLong(Int)
        case malformed(String)
    }

    let maxReply: Int
    private var pending: [UInt8] = []
    private var current: [UInt8] = []
    private var firstLine = ""
    private var rowsLeft = 0
    private var inReply = false

    init(maxReply: Int) { self.maxReply = maxReply }

    /// Bytes held for a reply not yet whole.
    var held: Int { pending.count + current.count }

    /// Feeds bytes read; returns the replies they completed, in order.
    mutating func received(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> [Reply] {
        pending.append(contentsOf: bytes)
        var done: [Reply] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: 0x0A) {
            let line = pending[start...newline]
            start = newline + 1
            current.append(contentsOf: line)
            guard current.count <= maxReply else { throw .tooLong(current.count) }
            if inReply {
                rowsLeft -= 1
            } else {
                inReply = true
                firstLine = String(decoding: line.dropLast(), as: UTF8.self)
                if firstLine.hasSuffix("\r") { firstLine.removeLast() }
                rowsLeft = try LeaderReplies.rows(in: firstLine)
            }
            if rowsLeft == 0 {
                done.append(Reply(bytes: current, seq: LeaderReplies.seq(in: firstLine), isError: firstLine.hasPrefix("ERR"), firstLine: firstLine))
                current.removeAll(keepingCapacity: true)
                inReply = false
            }
        }
        pending.removeFirst(start)
        guard pending.count + current.count <= maxReply else { throw .tooLong(pending.count + current.count) }
        return done
    }

    /// Rows that follow a reply's first line: n for `OK n rows …`, else none.
    static func rows(in line: String) throws(Failure) -> Int {
        guard line.hasPrefix("OK ") || line.hasPrefix("ERR ") || line == "OK" else { throw .malformed(String(line.prefix(80))) }
        let words = line.split(separator: " ", maxSplits: 3)
        guard words.count >= 3, words[0] == "OK", words[2] == "rows", let count = Int(words[1]) else { return 0 }
        guard count >= 0 else { throw .malformed(String(line.prefix(80))) }
        return count
    }

    /// The value of a trailing ` seq=N` on a reply's first line.
    static func seq(in line: String) -> Int64? {
        guard !line.hasPrefix("ERR"), let range = line.range(of: " seq=", options: .backwards) else { return nil }
        return Int64(line[range.upperBound...])
    }

    /// The reply without the ` seq=N` its first line ends with (for a client that did not ask).
    static func withoutSeq(_ reply: Reply) -> [UInt8] {
        guard let seq = reply.seq else { return reply.bytes }
        let suffix = Array(" seq=\(seq)".utf8)
        guard let newline = reply.bytes.firstIndex(of: 0x0A) else { return reply.bytes }
        var end = newline
        if end > 0, reply.bytes[end - 1] == 0x0D { end -= 1 }
        guard end >= suffix.count, Array(reply.bytes[(end - suffix.count)..<end]) == suffix else { return reply.bytes }
        var bytes = reply.bytes
        bytes.removeSubrange((end - suffix.count)..<end)
        return bytes
    }
}
