import CLibUV
import ReliefCore
import ReliefEngine
import ReliefProtocol

/// One client connection. Owns its `uv_stream_t` (a pipe or TCP handle); the handle's `data` holds
/// a retained reference that is released only in the close callback. Replies leave in request
/// order: a reply waits in `queued` until the commit it depends on is durable, and every reply
/// behind it waits too.
final class Connection {
    let id: Int
    unowned let server: Server
    let handle: UnsafeMutableRawPointer
    var stream: UnsafeMutablePointer<uv_stream_t> { handle.assumingMemoryBound(to: uv_stream_t.self) }
    let actor: String
    /// What this client may see: coordinator for listed uids on the Unix socket, else operator.
    let role: Role
    var framer: LineFramer
    /// The bulk import this client has open, if any.
    var importing: ImportBuffer?

    /// Replies that must wait for a commit, oldest first (ring: `queued[queuedHead...]`).
    private var queued: [(waitSeq: Int64, bytes: [UInt8])] = []
    private var queuedHead = 0
    /// Replies ready to go out at the next flush.
    private var output: [UInt8] = []
    private(set) var closing = false
    private var readingPaused = false
    /// A request of this client runs off the loop: its later requests wait, in order, in
    /// `backlog`, and reading stops until the result is in (like a blocked Redis client).
    private(set) var isBlocked = false
    private var backlog: [LineFramer.Event] = []
    private var closeAfterWrite = false
    /// Loop time (ms) of the last bytes received.
    var lastRead: UInt64
    var requests: Int64 = 0

    static let pauseReadingAbove = 1 << 20
    static let resumeReadingBelow = 256 << 10

    init(id: Int, server: Server, handle: UnsafeMutableRawPointer, actor: String, role: Role, maxLine: Int, now: UInt64) {
        self.id = id
        self.server = server
        self.handle = handle
        self.actor = actor
        self.role = role
        self.framer = LineFramer(maxLine: maxLine)
        self.lastRead = now
    }

    var hasQueuedReplies: Bool { queuedHead < queued.count }

    func startReading() {
        handle.assumingMemoryBound(to: uv_handle_t.self).pointee.data = Unmanaged.passRetained(self).toOpaque()
        beginReading()
    }

    private func beginReading() {
        uv_read_start(stream, { handle, _, buffer in
            // One loop-owned buffer serves every read: each read is consumed before the next.
            let server = Connection.from(handle!).server
            buffer!.pointee = uv_buf_init(server.readBuffer, UInt32(Server.readBufferSize))
        }, { stream, count, buffer in
            let connection = Connection.from(UnsafeMutableRawPointer(stream!).assumingMemoryBound(to: uv_handle_t.self))
            if count > 0 {
                connection.received(UnsafeRawBufferPointer(start: buffer!.pointee.base, count: count))
            } else if count < 0 {
                // EOF or a read error: the client is gone; replies still owed cannot be delivered.
                connection.close(reason: count == Int(UV_EOF.rawValue) ? "eof" : String(cString: uv_strerror(Int32(count))))
            }
        })
    }

    static func from(_ handle: UnsafeMutablePointer<uv_handle_t>) -> Connection {
        Unmanaged<Connection>.fromOpaque(handle.pointee.data).takeUnretainedValue()
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        lastRead = uv_now(server.loop)
        var events: [LineFramer.Event] = []
        framer.feed(bytes) { events.append($0) }
        run(events[...])
        flush()
    }

    private func run(_ events: ArraySlice<LineFramer.Event>) {
        for (offset, event) in events.enumerated() {
            if closing { return }
            if isBlocked {
                backlog.append(contentsOf: events.dropFirst(offset))
                return
            }
            switch event {
            case .line(let line):
                requests += 1
                server.execute(line: line, from: self)
            case .overlong(let length):
                send(.error(.limit, "request line of \(length) bytes exceeds max_line \(framer.maxLine); expected shorter lines"), waitSeq: 0)
            }
        }
    }

    /// The request just read runs off the loop: hold everything after it.
    func block() {
        isBlocked = true
        uv_read_stop(stream)
    }

    /// Its off-loop request has been answered: run what waited, then read again.
    func unblock() {
        guard isBlocked else { return }
        isBlocked = false
        let waiting = backlog
        backlog.removeAll()
        run(waiting[...])
        flush()
        if !isBlocked && !readingPaused && !closing && !closeAfterWrite { beginReading() }
    }

    /// Queues a reply; it goes out once `waitSeq` is committed and all replies before it went.
    func send(_ reply: Reply, waitSeq: Int64) {
        if !hasQueuedReplies && waitSeq <= server.committedSeq {
            TextEncoder.encode(reply, into: &output)
        } else {
            var bytes: [UInt8] = []
            TextEncoder.encode(reply, into: &bytes)
            queued.append((waitSeq, bytes))
            server.markWaiting(self)
        }
    }

    /// Moves replies whose commit is durable to the output and writes it.
    func flush() {
        let committed = server.committedSeq
        while queuedHead < queued.count, queued[queuedHead].waitSeq <= committed {
            output.append(contentsOf: queued[queuedHead].bytes)
            queuedHead += 1
        }
        if queuedHead == queued.count {
            queued.removeAll(keepingCapacity: queued.count < 1024)
            queuedHead = 0
        }
        write()
    }

    /// Replaces every queued reply that waits for an entry after `committedSeq` with `reply`: those
    /// entries were lost with a failed commit, so their requests did not happen. The errors are held
    /// back (with everything behind them) until `releaseHeld`, once the state has been re-read, so a
    /// client that reads after its error sees the state without the lost change.
    func failQueued(after committedSeq: Int64, with reply: Reply) {
        var errorBytes: [UInt8] = []
        TextEncoder.encode(reply, into: &errorBytes)
        for index in queuedHead..<queued.count where queued[index].waitSeq > committedSeq {
            queued[index] = (Int64.max, errorBytes)
        }
    }

    func releaseHeld() {
        for index in queuedHead..<queued.count where queued[index].waitSeq == Int64.max {
            queued[index].waitSeq = 0
        }
    }

    private func write() {
        guard !output.isEmpty, !closing else { return }
        var written = 0
        output.withUnsafeMutableBytes { bytes in
            var buffer = uv_buf_init(bytes.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
            let result = uv_try_write(stream, &buffer, 1)
            if result > 0 { written = Int(result) }
        }
        if written < output.count {
            let remaining = output.count - written
            let headerSize = (MemoryLayout<uv_write_t>.stride + 15) & ~15
            let raw = UnsafeMutableRawPointer.allocate(byteCount: headerSize + remaining, alignment: 16)
            let request = raw.bindMemory(to: uv_write_t.self, capacity: 1)
            let data = raw + headerSize
            output.withUnsafeBytes { bytes in
                data.copyMemory(from: bytes.baseAddress! + written, byteCount: remaining)
            }
            request.pointee.data = Unmanaged.passUnretained(self).toOpaque()
            var buffer = uv_buf_init(data.assumingMemoryBound(to: CChar.self), UInt32(remaining))
            let status = uv_write(request, stream, &buffer, 1) { request, status in
                let connection = Unmanaged<Connection>.fromOpaque(request!.pointee.data).takeUnretainedValue()
                UnsafeMutableRawPointer(request!).deallocate()
                connection.wrote(status: status)
            }
            if status != 0 {
                raw.deallocate()
                output.removeAll(keepingCapacity: true)
                close(reason: "write failed: " + String(cString: uv_strerror(status)))
                return
            }
        }
        output.removeAll(keepingCapacity: output.count < 1 << 20)
        applyBackpressure()
    }

    private func wrote(status: Int32) {
        if closing { return }
        if status != 0 {
            close(reason: "write failed: " + String(cString: uv_strerror(status)))
            return
        }
        let pendingBytes = uv_stream_get_write_queue_size(stream)
        if closeAfterWrite && pendingBytes == 0 {
            close(reason: "closed after reply")
            return
        }
        if readingPaused && !isBlocked && pendingBytes < Connection.resumeReadingBelow && !server.isStopping {
            readingPaused = false
            beginReading()
        }
    }

    /// A client that does not read its replies: stop reading its requests while a lot is queued,
    /// and drop it once the queue passes the configured limit.
    private func applyBackpressure() {
        let pendingBytes = uv_stream_get_write_queue_size(stream)
        if pendingBytes > server.configuration.maxOutput {
            server.logger.warning("client not reading its replies; disconnecting", metadata: ["client": "\(id)", "queued_bytes": "\(pendingBytes)"])
            close(reason: "output limit")
        } else if pendingBytes > Connection.pauseReadingAbove && !readingPaused {
            readingPaused = true
            uv_read_stop(stream)
        } else if pendingBytes == 0 && closeAfterWrite {
            close(reason: "closed after reply")
        }
    }

    func stopReading() {
        uv_read_stop(stream)
        readingPaused = true
    }

    /// Sends `reply` and closes once it has been written.
    func sendAndClose(_ reply: Reply) {
        send(reply, waitSeq: 0)
        closeAfterWrite = true
        stopReading()
        flush()
    }

    /// Closes the connection once its queued replies are written (used at shutdown).
    func closeWhenFlushed() {
        closeAfterWrite = true
        stopReading()
        flush()
        if uv_stream_get_write_queue_size(stream) == 0 && !hasQueuedReplies { close(reason: "shutdown") }
    }

    func close(reason: String) {
        guard !closing else { return }
        closing = true
        server.forget(self, reason: reason)
        uv_close(handle.assumingMemoryBound(to: uv_handle_t.self)) { handle in
            let unmanaged = Unmanaged<Connection>.fromOpaque(handle!.pointee.data)
            handle!.pointee.data = nil
            UnsafeMutableRawPointer(handle!).deallocate()
            unmanaged.release()
        }
    }
}
