import CLibUV
import ReliefCore
import ReliefEngine
import ReliefProtocol

/// One client connection: owns its `uv_stream_t` (a pipe or TCP handle), whose `data` holds a
/// retained reference released only in the close callback. What to run, what to send and when to
/// read are decided by its `ConnectionMachine`; this class performs it with libuv.
///
/// Lines run a few at a time (`linesPerStep`): a client with more waiting is stepped again on the
/// next loop turn (`Server.scheduleStep`), so a client that pipelines thousands of requests in one
/// read takes turns with everyone else instead of holding the loop.
final class Connection {
    let id: Int
    unowned let server: Server
    let handle: UnsafeMutableRawPointer
    var stream: UnsafeMutablePointer<uv_stream_t> { handle.assumingMemoryBound(to: uv_stream_t.self) }
    let actor: String
    /// Who the client is for slots and `req=` tokens (`RequestScope.of(actor:)`): `uid:N` on the Unix socket, `tcp:ADDRESS` on TCP.
    let peer: String
    let isTCP: Bool
    /// Who the client acts as: from its uid on the Unix socket (`Server.principal(of:on:)`), from
    /// `auth USER TOKEN`; nil until a TCP client (or an unmapped Unix peer, when configured so) has
    /// authenticated.
    var principal: Principal?
    private(set) var machine: ConnectionMachine
    /// The bulk import this client has open, if any.
    var importing: ImportBuffer?
    /// The `req=` of an import commit whose rows are checked again off the loop.
    var recheckToken: ImportBuffer.Token?
    /// On a follower: the token this client logged in with (`auth`), to log in as it at the leader;
    /// the link its writes go over; the newest seq a write of it showed (its reads wait for it);
    /// and until when a read of it waits for the follower to get there.
    var credential: String?
    var leaderLink: LeaderLink?
    var seenSeq: Int64 = 0
    var seqWaitUntil: UInt64?
    private var isReading = false
    private var closeAfterWrite = false
    private(set) var closing = false
    private var closeReason: String?
    var requests: Int64 = 0
    /// Refusals for lack of rights logged for this client: a flood of them must not flood the log.
    private var denialsLogged = 0
    static let denialsLoggedMax = 20

    /// Whether to log this refusal: the first `denialsLoggedMax` (the last says the rest are not).
    func shouldLogDenial() -> Bool {
        denialsLogged += 1
        if denialsLogged == Connection.denialsLoggedMax {
            server.logger.warning("further refusals of this client are counted in info denied, not logged",
                                  metadata: ["client": "\(id)", "peer": "\(peer)"])
        }
        return denialsLogged <= Connection.denialsLoggedMax
    }
    /// Subscribed to the event feed (`watch`): it is sent EVENT lines and runs only ping and quit.
    var watching = false
    /// A line that ran successfully: the client speaks the protocol (see HTTP detection).
    var spokeProtocol = false

    /// Lines run per step before others get a turn.
    static let linesPerStep = 32

    init(id: Int, server: Server, handle: UnsafeMutableRawPointer, actor: String, peer: String, isTCP: Bool, principal: Principal?,
         limits: ConnectionMachine.Limits, now: UInt64) {
        self.id = id
        self.server = server
        self.handle = handle
        self.actor = actor
        self.peer = peer
        self.isTCP = isTCP
        self.principal = principal
        self.machine = ConnectionMachine(limits: limits, now: now)
    }

    var hasQueuedReplies: Bool { machine.owesReplies }
    /// `session seq=yes` (ConnectionMachine.reportsSeq).
    var reportsSeq: Bool {
        get { machine.reportsSeq }
        set { machine.reportsSeq = newValue }
    }
    var lastRead: UInt64 { machine.lastInput }

    func startReading() {
        UV.own(handle, by: self)
        updateReading()
    }

    static func from(_ handle: UnsafeMutablePointer<uv_handle_t>) -> Connection {
        UV.owner(of: handle, as: Connection.self)
    }

    /// Reads exactly when the machine wants input: everything read so far has run and the client is
    /// not paused. A paused client's bytes wait in the kernel, where they cost this process nothing.
    private func updateReading() {
        let wanted = machine.wantsInput && !closeAfterWrite && !closing && !server.isStopping
        guard wanted != isReading else { return }
        isReading = wanted
        if wanted {
            machine.resumedReading(now: uv_now(server.loop))
            uv_read_start(stream, { handle, _, buffer in
                // One loop-owned buffer serves every read: each read is taken before the next.
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
        } else {
            uv_read_stop(stream)
        }
    }

    /// Whether the client is being read (not paused by us), for the partial-line timeout.
    var isBeingRead: Bool { isReading }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        machine.received(bytes, now: uv_now(server.loop))
        step()
    }

    /// Runs lines while this turn's budget lasts (at most `linesPerStep`; with `granted`, at least
    /// one), sends what is ready, and decides whether to read or to be stepped again later.
    func step(granted: Bool = false) {
        guard !closing else { return }
        var ran = 0
        while ran < Connection.linesPerStep, !closing, !closeAfterWrite {
            if !(granted && ran == 0) && !server.turnBudgetLeft() {
                // Others' turn: this client goes on later (in the fresh line if it got nothing now).
                if machine.hasWaitingInput && machine.pause == nil { server.scheduleStep(self, fresh: ran == 0) }
                break
            }
            guard let event = machine.nextEvent(now: uv_now(server.loop)) else { break }
            ran += 1
            switch event {
            case .line(let line):
                requests += 1
                server.execute(line: line, from: self)
            case .overlong(let length) where importing != nil:
                // A row cannot be dropped from an import that applies all or nothing: the import
                // dies, and its commit says why (rows get no reply, so the replies stay in step).
                server.overlongRow(of: self, length: length)
            case .overlong(let length):
                send(.error(.limit, "request line of \(length) bytes exceeds max_line \(machine.limits.maxLine); expected shorter lines"), waitSeq: 0)
            }
        }
        flush()
        guard !closing else { return }
        updateReading()
        if machine.hasWaitingInput && machine.pause == nil && !closeAfterWrite { server.scheduleStep(self) }
    }

    /// `line` must wait (writes are held while an import is checked again): keep it to run first,
    /// and hold everything after it, until `unblock`.
    func park(_ line: [UInt8]) {
        machine.park(line)
        block()
    }

    /// The request just read runs off the loop: hold everything after it.
    func block() {
        machine.block()
        updateReading()
    }

    /// Its off-loop request has been answered: run what waited, then read again.
    func unblock() {
        guard machine.isBlocked else { return }
        machine.unblock()
        step()
    }

    /// Queues a reply; it goes out once `waitSeq` is committed and every reply before it went.
    func send(_ reply: Reply, waitSeq: Int64) {
        guard !closing else { return }
        machine.enqueue(reply, waitSeq: waitSeq, committedSeq: server.committedSeq)
        if machine.owesReplies { server.markWaiting(self) }
        checkHardLimit()
    }

    /// Keeps the place of a reply the read pool makes (released once `waitSeq` is durable and
    /// `fillRead` gave it); returns its ticket.
    func reserveRead(waitSeq: Int64) -> Int {
        let ticket = machine.reserve(waitSeq: waitSeq)
        server.markWaiting(self)
        return ticket
    }

    /// The read pool's reply for `ticket`, put in its place (sent by `readsFilled`).
    func fillRead(_ ticket: Int, bytes: [UInt8]) {
        guard !closing else { return }
        machine.fill(ticket, bytes: bytes, committedSeq: server.committedSeq)
        if machine.owesReplies { server.markWaiting(self) }
    }

    /// After the replies the read pool gave this turn: sends what is ready in one write, and runs
    /// lines that waited (this client had as many reads out as it may).
    func readsFilled() {
        guard !closing else { return }
        if machine.hasWaitingInput && machine.pause == nil {
            step()
        } else {
            flush()
        }
    }

    /// Sends lines of the event feed (after every reply owed); see FeedService.
    func push(_ bytes: [UInt8]) {
        guard !closing, !closeAfterWrite else { return }
        machine.push(bytes)
        flush()
    }

    /// Moves replies whose commit is durable to the socket.
    func flush() {
        guard !closing else { return }
        let more = machine.produce(committedSeq: server.committedSeq)
        write()
        guard !closing else { return }
        checkHardLimit()
        if closeAfterWrite && machine.isDrained {
            close(reason: closeReason ?? "closed after reply")
            return
        }
        // A large reply the socket keeps up with: encode its next slice on the next turn.
        if more && machine.writeQueue == 0 { server.scheduleStep(self) }
        updateReading()
    }

    private func checkHardLimit() {
        guard machine.overHardLimit, !closing else { return }
        server.logger.warning("client exceeded its output limit; disconnecting", metadata: [
            "client": "\(id)", "peer": "\(peer)", "held_bytes": "\(machine.load)", "max_output": "\(machine.limits.hardOutput)",
        ])
        close(reason: "output limit")
    }

    /// Replaces the replies that wait for lost entries with `reply` (held until `releaseHeld`).
    func failQueued(after committedSeq: Int64, with reply: Reply) {
        machine.failQueued(after: committedSeq, with: reply)
    }

    func releaseHeld() {
        machine.releaseHeld()
    }

    private func write() {
        guard !closing else { return }
        let output = machine.takeReady()
        guard !output.isEmpty else { return }
        let now = uv_now(server.loop)
        var written = 0
        if uv_stream_get_write_queue_size(stream) == 0 {
            // Read only (uv_try_write does not write to the buffer): the bytes may be shared with
            // other subscribers of the feed, and mutable access would copy them.
            output.withUnsafeBytes { bytes in
                var buffer = uv_buf_init(UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self)), UInt32(bytes.count))
                let result = uv_try_write(stream, &buffer, 1)
                if result > 0 { written = Int(result) }
            }
        }
        if written < output.count {
            // The rest is owned by the write request until its callback.
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
                close(reason: "write failed: " + String(cString: uv_strerror(status)))
                return
            }
        }
        machine.writeQueueChanged(to: Int(uv_stream_get_write_queue_size(stream)), progressed: written > 0, now: now)
    }

    private func wrote(status: Int32) {
        if closing { return }
        if status != 0 {
            close(reason: "write failed: " + String(cString: uv_strerror(status)))
            return
        }
        machine.writeQueueChanged(to: Int(uv_stream_get_write_queue_size(stream)), progressed: true, now: uv_now(server.loop))
        // Output drained: encode more of a large reply, run lines that waited, read again.
        step()
        if watching && !closing { server.feed.drained(id) }
    }

    /// At shutdown: read nothing more (`updateReading` sees the server stopping).
    func stopReading() {
        updateReading()
    }

    /// Sends `reply` and closes once it has been written.
    func sendAndClose(_ reply: Reply, reason: String = "closed after reply") {
        send(reply, waitSeq: 0)
        closeAfterWrite = true
        closeReason = reason
        updateReading()
        flush()
    }

    /// Closes the connection once its queued replies are written (used at shutdown).
    func closeWhenFlushed() {
        closeAfterWrite = true
        closeReason = "shutdown"
        updateReading()
        flush()
    }

    func close(reason: String) {
        guard !closing else { return }
        closing = true
        machine.closing()
        if isReading { uv_read_stop(stream) }
        isReading = false
        server.forget(self, reason: reason)
        UV.close(handle)
    }
}
