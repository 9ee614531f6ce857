import ReliefProtocol
import ReliefLimits

/// One connection's logic apart from libuv: what it has read and not yet run, the replies it owes in
/// request order, and the limits on both. `Connection` performs what this decides.
///
/// Input: bytes read are kept in `inbox` and cut into lines one at a time, only while the client
/// may run more (`nextEvent`), so a 64 KiB read of pipelined requests is not run in one go: lines
/// stop running once the client's output passes the soft limit, and reading stops while the inbox
/// holds anything. Memory for input is one read plus one partial line.
///
/// Output: every reply waits in `pending` until the commit it depends on is durable and every
/// reply before it went. A reply is encoded as it is queued, up to what the soft limit leaves;
/// rows beyond that stay in its `ReplyCursor` and are encoded only as the client reads. The load
/// (encoded bytes held here plus what libuv still has to write) is checked as each reply grows:
/// past the soft limit the client's lines stop running; past the hard limit it is disconnected.
struct ConnectionMachine {
    struct Limits: Equatable {
        /// Longest request line.
        var maxLine: Int
        /// Output held for the client past which its lines stop running and it is not read.
        var softOutput: Int
        /// Output past which the client is disconnected.
        var hardOutput: Int
        /// Bytes encoded per step of a large reply, so one client's reply never holds the loop long.
        var slice: Int = ReliefLimits.Limits.replySlice
        /// A listing of more rows than this is a large one (the server bounds how many are open).
        var largeRows: Int = ReliefLimits.Limits.largeListingRows
        /// Replies one client may have being made elsewhere at once (reads answered by the read
        /// pool); past it its lines wait.
        var readsOut: Int = ReliefLimits.Limits.readsOutPerClient

        init(maxLine: Int, softOutput: Int, hardOutput: Int, slice: Int = ReliefLimits.Limits.replySlice, largeRows: Int = ReliefLimits.Limits.largeListingRows,
             readsOut: Int = ReliefLimits.Limits.readsOutPerClient) {
            precondition(maxLine > 0 && softOutput > 0 && hardOutput >= softOutput && slice > 0 && readsOut > 0)
            self.maxLine = maxLine
            self.softOutput = softOutput
            self.hardOutput = hardOutput
            self.slice = slice
            self.largeRows = largeRows
            self.readsOut = readsOut
        }
    }

    /// A reply owed: its bytes encoded so far and the rest of it, released when `waitSeq` is durable.
    private struct Pending {
        var waitSeq: Int64
        var bytes: [UInt8]
        var cursor: ReplyCursor?
        /// A large listing still being encoded (counted in `largeListings`).
        var large = false
        /// The place of a reply being made elsewhere (`reserve`), until `fill` gives its bytes;
        /// 0 for any other reply. Nothing after it goes out before it.
        var ticket = 0
    }

    /// Why the client's lines are not run now (nil: they are).
    enum Pause: Equatable {
        /// A request of this client runs off the loop; its later lines wait for it (in order).
        case blocked
        /// As many of its reads as it may have out are being answered elsewhere (`reserve`).
        case reads
        /// Its replies are not being read: too much output held.
        case output
        case closing
    }

    let limits: Limits
    private(set) var framer: LineFramer
    private var inbox: [UInt8] = []
    private var inboxHead = 0
    /// A line taken and put back to run first (it had to wait; see `park`).
    private var parkedLine: [UInt8]?
    /// `session seq=yes`: replies that waited for the state say which (`seq=N`).
    var reportsSeq = false
    /// Loop time (ms) when the unfinished line began, while there is one.
    private(set) var lineStartedAt: UInt64?
    /// Loop time (ms) of the last bytes received.
    private(set) var lastInput: UInt64
    /// Loop time (ms) output last made progress (bytes handed to the socket), or was empty.
    private(set) var lastOutputProgress: UInt64

    /// Replies owed, oldest first (ring: `pending[pendingHead...]`).
    private var pending: [Pending] = []
    private var pendingHead = 0
    /// Encoded bytes held in `pending`.
    private(set) var pendingBytes = 0
    /// Bytes ready to be written, in order.
    private(set) var ready: [UInt8] = []
    /// Bytes handed to libuv and not yet written to the socket (the I/O side reports them).
    private(set) var writeQueue = 0
    /// Row replies whose rows are not all encoded yet.
    private var openCursors = 0
    /// Large listings (more than `limits.largeRows` rows) not all encoded yet: each holds what its
    /// rows are made from until then.
    private(set) var largeListings = 0

    private(set) var isBlocked = false
    /// Replies reserved and not yet filled.
    private(set) var awaiting = 0
    private var lastTicket = 0
    private(set) var isClosing = false
    /// The peak load seen, for tests and `info`.
    private(set) var peakLoad = 0

    init(limits: Limits, now: UInt64) {
        self.limits = limits
        framer = LineFramer(maxLine: limits.maxLine)
        lastInput = now
        lastOutputProgress = now
    }

    // MARK: input

    /// Bytes read and not yet cut into lines.
    var inboxBytes: Int { inbox.count - inboxHead }
    var hasPartialLine: Bool { framer.hasPartialLine }

    /// Output held for this client: encoded and waiting, ready, and queued in libuv.
    var load: Int { pendingBytes + ready.count + writeQueue }

    var pause: Pause? {
        if isClosing { return .closing }
        if isBlocked { return .blocked }
        if awaiting >= limits.readsOut { return .reads }
        if openCursors > 0 || load >= limits.softOutput { return .output }
        return nil
    }

    /// Read from the socket only when everything read so far was run and lines may run.
    var wantsInput: Bool { inboxBytes == 0 && parkedLine == nil && pause == nil }

    /// Takes bytes just read.
    mutating func received(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        guard !bytes.isEmpty else { return }
        lastInput = now
        if inboxHead == inbox.count {
            inbox.removeAll(keepingCapacity: inbox.capacity <= ReliefLimits.Limits.inboxKept)
            inboxHead = 0
        }
        inbox.append(contentsOf: bytes)
    }

    /// The next line to run, or nil when the inbox holds no whole line or the client is paused.
    mutating func nextEvent(now: UInt64) -> LineFramer.Event? {
        guard pause == nil else { return nil }
        if let line = parkedLine {
            parkedLine = nil
            return .line(line)
        }
        while inboxHead < inbox.count {
            var event: LineFramer.Event?
            let consumed = inbox.withUnsafeBytes { all -> Int in
                let rest = UnsafeRawBufferPointer(rebasing: all[inboxHead...])
                let end = rest.firstIndex(of: 0x0A).map { $0 + 1 } ?? rest.count
                framer.feed(UnsafeRawBufferPointer(rebasing: rest[..<end])) { event = $0 }
                return end
            }
            inboxHead += consumed
            if framer.hasPartialLine {
                if lineStartedAt == nil { lineStartedAt = now }
            } else {
                lineStartedAt = nil
            }
            if let event { return event }
        }
        return nil
    }

    /// Reading resumes after a pause: a line left unfinished is timed from now, since the client
    /// could not send its end meanwhile.
    mutating func resumedReading(now: UInt64) {
        if framer.hasPartialLine { lineStartedAt = now }
    }

    /// Puts a line just taken back, to be the next one again once the client is unblocked.
    mutating func park(_ line: [UInt8]) {
        precondition(parkedLine == nil, "one line parked at a time")
        parkedLine = line
    }

    /// Lines waiting to run: the rest of the inbox, or a parked line.
    var hasWaitingInput: Bool { inboxBytes > 0 || parkedLine != nil }

    mutating func block() { isBlocked = true }
    mutating func unblock() { isBlocked = false }
    mutating func closing() { isClosing = true }

    // MARK: output

    var owesReplies: Bool { pendingHead < pending.count }
    /// Nothing is left to send: no reply owed, nothing ready, nothing in libuv.
    var isDrained: Bool { !owesReplies && ready.isEmpty && writeQueue == 0 }

    /// Queues a reply that may go out once `waitSeq` is durable (and every reply before it went).
    mutating func enqueue(_ reply: Reply, waitSeq: Int64, committedSeq: Int64) {
        var item = Pending(waitSeq: waitSeq, bytes: [], cursor: ReplyCursor(reply, seq: reportsSeq && waitSeq > 0 ? waitSeq : nil))
        // Encode what the soft limit leaves room for (at least the header or a whole OK/ERR), so a
        // small reply is bytes at once and a large one waits in its cursor.
        let room = max(limits.softOutput - load, 1)
        if item.cursor!.encode(into: &item.bytes, budget: min(room, limits.slice)) {
            item.cursor = nil
        } else {
            openCursors += 1
            if item.cursor!.rowCount > limits.largeRows {
                item.large = true
                largeListings += 1
            }
        }
        pendingBytes += item.bytes.count
        pending.append(item)
        _ = produce(committedSeq: committedSeq)
        notePeak()
    }

    /// Keeps the place of a reply being made elsewhere (a read the read pool answers), released
    /// when `waitSeq` is durable once `fill` gave its bytes; returns its ticket. The client's later
    /// lines may run meanwhile (their replies queue behind it) until `limits.readsOut` are out.
    mutating func reserve(waitSeq: Int64) -> Int {
        lastTicket += 1
        pending.append(Pending(waitSeq: waitSeq, bytes: [], cursor: nil, ticket: lastTicket))
        awaiting += 1
        return lastTicket
    }

    /// The bytes of the reply reserved as `ticket`. False when its place is gone: the reply was
    /// replaced meanwhile (`failQueued`), or the connection let go of it.
    @discardableResult
    mutating func fill(_ ticket: Int, bytes: [UInt8], committedSeq: Int64) -> Bool {
        guard ticket > 0, let index = pending[pendingHead...].firstIndex(where: { $0.ticket == ticket }) else { return false }
        pending[index].ticket = 0
        pending[index].bytes = bytes
        pendingBytes += bytes.count
        awaiting -= 1
        _ = produce(committedSeq: committedSeq)
        notePeak()
        return true
    }

    /// Queues bytes that are not a reply (lines of the event feed, already committed): after
    /// every reply owed, in order. They count in the load like replies.
    mutating func push(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if pendingHead == pending.count {
            // Nothing ready: take the bytes as they are (the feed hands the same array to every
            // subscriber with the same selection; no copy is made until one is appended to).
            if ready.isEmpty { ready = bytes } else { ready.append(contentsOf: bytes) }
        } else {
            pending.append(Pending(waitSeq: 0, bytes: bytes, cursor: nil))
            pendingBytes += bytes.count
        }
        notePeak()
    }

    /// Moves replies whose commit is durable into `ready`, in order, and encodes more of a large
    /// reply at the head while the client keeps up (at most one slice per call). Returns true when
    /// a large reply has more to encode once the socket takes what is ready.
    @discardableResult
    mutating func produce(committedSeq: Int64) -> Bool {
        var encoded = 0
        while pendingHead < pending.count, pending[pendingHead].waitSeq <= committedSeq, pending[pendingHead].ticket == 0 {
            let index = pendingHead
            if !pending[index].bytes.isEmpty {
                pendingBytes -= pending[index].bytes.count
                ready.append(contentsOf: pending[index].bytes)
                pending[index].bytes = []
            }
            if pending[index].cursor != nil {
                // Encode more only while what is ready and queued is under the soft limit, and
                // one slice per call: the rest when the client has read this.
                guard encoded < limits.slice, ready.count + writeQueue < limits.softOutput else { return true }
                let before = ready.count
                let finished = pending[index].cursor!.encode(into: &ready, budget: limits.slice)
                encoded += ready.count - before
                notePeak()
                if !finished { return true }
                pending[index].cursor = nil
                openCursors -= 1
                if pending[index].large {
                    pending[index].large = false
                    largeListings -= 1
                }
            }
            pendingHead += 1
        }
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: pending.count <= 1024)
            pendingHead = 0
        }
        return false
    }

    /// Takes the bytes ready to write.
    mutating func takeReady() -> [UInt8] {
        let taken = ready
        ready.removeAll(keepingCapacity: false)
        return taken
    }

    /// Gives back what could not be written at once; it goes out first next time. (The I/O side
    /// hands the rest to libuv instead; this is for tests and a failed try.)
    mutating func putBack(_ bytes: ArraySlice<UInt8>) {
        ready.insert(contentsOf: bytes, at: 0)
    }

    /// What libuv still holds to write, after a write or a write callback, and the time.
    mutating func writeQueueChanged(to bytes: Int, progressed: Bool, now: UInt64) {
        writeQueue = bytes
        if progressed || load == 0 { lastOutputProgress = now }
        notePeak()
    }

    /// Past the hard limit: the client must be disconnected.
    var overHardLimit: Bool { load > limits.hardOutput }

    /// Held over the soft limit with no byte taken by the client for `stallLimit` ms.
    func outputStalled(now: UInt64, stallLimit: UInt64) -> Bool {
        stallLimit > 0 && pause == .output && now &- lastOutputProgress >= stallLimit
    }

    /// The timeouts of a connection, in loop milliseconds; 0 turns one off.
    struct Timeouts: Equatable {
        /// A line begun and not ended this long after its first byte (slowloris).
        var partialLine: UInt64
        /// Paused for output this long without the client reading any of it.
        var outputStall: UInt64
        /// Nothing received this long, with nothing owed or waiting.
        var idle: UInt64
    }

    enum Timeout: Equatable {
        case partialLine, outputStall, idle
    }

    /// Which timeout, if any, ends the connection at `now` (checked once a second). `beingRead`:
    /// reading is not paused by the server (a paused client cannot finish its line); `importing`:
    /// an import is open, which is not idleness.
    func dueTimeout(now: UInt64, _ timeouts: Timeouts, beingRead: Bool, importing: Bool) -> Timeout? {
        if timeouts.partialLine > 0, beingRead, let started = lineStartedAt, now &- started >= timeouts.partialLine {
            // Counted from the line's first byte, so a byte now and then does not keep it open.
            return .partialLine
        }
        if outputStalled(now: now, stallLimit: timeouts.outputStall) { return .outputStall }
        if timeouts.idle > 0, now &- lastInput >= timeouts.idle, isDrained, inboxBytes == 0, !importing, !isBlocked {
            return .idle
        }
        return nil
    }

    // MARK: failed commits

    /// Replaces every reply that waits for an entry after `committedSeq` with `reply`: those
    /// entries were lost with a failed commit, so their requests did not happen (and a read computed
    /// on them showed changes that never became durable). The errors are held (`Int64.max`) until
    /// `releaseHeld`, once the state has been re-read.
    mutating func failQueued(after committedSeq: Int64, with reply: Reply) {
        var errorBytes: [UInt8] = []
        TextEncoder.encode(reply, into: &errorBytes)
        for index in pendingHead..<pending.count where pending[index].waitSeq > committedSeq {
            pendingBytes += errorBytes.count - pending[index].bytes.count
            if pending[index].cursor != nil { openCursors -= 1 }
            if pending[index].large { largeListings -= 1 }
            if pending[index].ticket != 0 { awaiting -= 1 }
            pending[index] = Pending(waitSeq: Int64.max, bytes: errorBytes, cursor: nil)
        }
    }

    mutating func releaseHeld() {
        for index in pendingHead..<pending.count where pending[index].waitSeq == Int64.max {
            pending[index].waitSeq = 0
        }
    }

    private mutating func notePeak() {
        peakLoad = max(peakLoad, load)
    }
}
