#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ReliefCore
import ReliefProtocol

/// Feeds request lines from stdin to the daemon, pipelined, and prints each reply in order.
///
/// One poll() loop over stdin and the socket: requests go out as they are read (at most `window`
/// unanswered at a time, so neither side buffers without bound) and replies are printed as they come.
/// Blank lines and lines starting with `#` are skipped, so command files can carry comments.
struct Pipeline {
    let connection: Connection
    let format: OutputFormat
    let timeout: Double?
    /// In a table, times are shown in this zone (nil: as sent).
    var zone: OperationTimeZone? = nil
    var window = 1024
    static let maxLine = 1 << 20

    /// Exit status: 0 when every reply was OK, 1 when any was ERR.
    func run() throws(ConnectionError) -> Int32 {
        var framer = LineFramer(maxLine: Pipeline.maxLine)
        var input = [UInt8](repeating: 0, count: 64 << 10)
        var pending: [UInt8] = []
        var pendingOffset = 0
        var inFlight = 0
        var stdinOpen = true
        var sawError = false
        var lineNumber = 0
        var lastProgress = Monotonic.now()

        func take(_ event: LineFramer.Event) {
            lineNumber += 1
            switch event {
            case .overlong(let length):
                Terminal.err("reliefctl: stdin line \(lineNumber) is \(length) bytes, over the \(Pipeline.maxLine)-byte limit; skipped\n")
                sawError = true
            case .line(let bytes):
                var start = 0
                var end = bytes.count
                while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
                while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
                if start == end || bytes[start] == 0x23 { return }
                pending.append(contentsOf: bytes[start..<end])
                pending.append(0x0A)
                inFlight += 1
            }
        }

        while stdinOpen || inFlight > 0 {
            let wantInput = stdinOpen && inFlight < window && pending.count - pendingOffset < (1 << 20)
            var socketEvents = Int16(POLLIN)
            if pendingOffset < pending.count { socketEvents |= Int16(POLLOUT) }
            var fds = [pollfd(fd: wantInput ? 0 : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: connection.fd, events: socketEvents, revents: 0)]
            let deadline: UInt64? = inFlight > 0 && timeout != nil ? lastProgress + UInt64(timeout! * 1e9) : nil
            let ready = poll(&fds, 2, Monotonic.pollTimeout(until: deadline))
            if ready < 0 {
                if errno == EINTR { continue }
                throw ConnectionError("poll failed: \(errnoText(errno))")
            }
            if ready == 0 && deadline != nil && Monotonic.now() >= deadline! {
                throw ConnectionError("timed out after \(timeout!) s waiting for replies from \(connection.endpoint) (\(inFlight) unanswered)")
            }

            if fds[0].revents != 0 {
                let count = input.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if count > 0 {
                    input.withUnsafeBytes { framer.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count]), take) }
                } else if count == 0 || errno != EINTR {
                    if count < 0 { Terminal.err("reliefctl: cannot read stdin: \(errnoText(errno))\n") }
                    stdinOpen = false
                    if framer.hasPartialLine { framer.feed([0x0A], take) }
                }
            }

            if pendingOffset < pending.count {
                pendingOffset += try connection.writeSome(pending, from: pendingOffset)
                if pendingOffset == pending.count {
                    pending.removeAll(keepingCapacity: true)
                    pendingOffset = 0
                }
            }

            if fds[1].revents != 0 {
                let open = try connection.readAvailable()
                var out = ""
                var err = ""
                while let reply = connection.takeReply() {
                    inFlight -= 1
                    lastProgress = Monotonic.now()
                    if case .error = reply { sawError = true }
                    let rendered = Output.render(zone.map { LocalTimes.shown(reply, in: $0) } ?? reply, as: format)
                    out += rendered.out
                    if !rendered.err.isEmpty {
                        // Keep stdout and stderr in reply order when both go to the same terminal.
                        Terminal.out(out)
                        out = ""
                        err += rendered.err
                        Terminal.err(err)
                        err = ""
                    }
                }
                Terminal.out(out)
                if !open && inFlight > 0 {
                    throw ConnectionError("\(connection.endpoint) closed the connection with \(inFlight) requests unanswered")
                }
                if !open && stdinOpen {
                    throw ConnectionError("\(connection.endpoint) closed the connection")
                }
            }
        }
        return sawError ? 1 : 0
    }
}
