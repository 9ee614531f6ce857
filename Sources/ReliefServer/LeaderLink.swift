import CLibUV
import Foundation

/// A follower's TCP connection to the leader for one of its clients: the client's writes go over it
/// as the client's own user (`auth USER TOKEN`, checked again by the leader), each with a `req=`
/// token, and the leader's replies come back whole and in order (`LeaderReplies`), each with the
/// `seq=` of the state it showed (`session seq=yes`).
///
/// When the link fails — the leader is unreachable, was killed, or answers that it is not the
/// leader (a standby, or one loading) or could not commit (`ERR UNAVAILABLE`) — every write not yet
/// answered is sent again on a new link to the address the database names then (a standby that took
/// over records its own), with the same tokens, so each applies once; for up to `timeout` ms after
/// the first failure, then each is answered with `ERR UNAVAILABLE` naming the leader and its token.
final class LeaderLink {
    struct Forward {
        /// What is sent: one request line, or (an import) several, without the last LF.
        var line: [UInt8]
        var ticket: Int
        var token: String
        /// Replies the leader gives to `line`; the last one is the answer (an import's begin is
        /// answered before its commit).
        var replies = 1
        /// Bytes of the client's import it holds (counted against max_import_bytes_total).
        var held = 0
        var sent = false
        /// Replies received so far on this link (from 0 again when it is sent again).
        var received = 0
    }

    /// How a forward ended: the leader's reply, or why there was none.
    enum Answer {
        case replied(LeaderReplies.Reply)
        case failed(String)
    }

    private enum Phase { case idle, resolving, connecting, open }

    private let loop: UnsafeMutablePointer<uv_loop_t>
    private let user: String
    private let credential: String
    /// The leader's address now (from the database), "" when none is known.
    private let address: () -> String
    private let timeout: UInt64
    private let answer: (Forward, Answer) -> Void
    private var phase = Phase.idle
    private var handle: UnsafeMutablePointer<uv_tcp_t>?
    private var connectingTo = ""
    /// The other addresses of the leader's host name, tried in turn when a connection is refused.
    private var candidates: [sockaddr_storage] = []
    /// Replies owed before the forwards': the login's and `session seq=yes`'s.
    private var controlReplies = 0
    private var forwards: [Forward] = []
    private let maxReply: Int
    private var replies: LeaderReplies
    private var failingSince: UInt64?
    private var retryAt: UInt64 = 0
    private var lastProblem = ""
    private var closed = false
    /// Loop time of the last reply or forward: a link idle for `idleClose` ms is closed (the
    /// leader counts each open link against the follower's max_clients_per_peer there).
    private var lastUsed: UInt64 = 0
    static let idleClose: UInt64 = 30_000
    private static let readSize = 65_536
    private let readBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: LeaderLink.readSize)
    /// A relayed reply is held whole before it is passed on: `maxReply` (the client's max_output)
    /// bounds it, as it bounds what the client may be owed.
    init(loop: UnsafeMutablePointer<uv_loop_t>, user: String, credential: String, timeout: UInt64, maxReply: Int,
         address: @escaping () -> String, answer: @escaping (Forward, Answer) -> Void) {
        self.loop = loop
        self.maxReply = maxReply
        replies = LeaderReplies(maxReply: maxReply)
        self.user = user
        self.credential = credential
        self.timeout = timeout
        self.address = address
        self.answer = answer
    }

    deinit { readBuffer.deallocate() }

    /// Import bytes held by forwards not yet answered.
    var heldBytes: Int { forwards.reduce(0) { $0 + $1.held } }

    /// Sends `forward.line` (which carries `forward.token` as its req=) to the leader; `answer` is
    /// called once.
    func forward(_ forward: Forward) {
        guard !closed else { return }
        forwards.append(forward)
        lastUsed = uv_now(loop)
        switch phase {
        case .open where controlReplies == 0: sendUnsent()
        case .open, .connecting, .resolving: break
        case .idle: if failingSince == nil { connect() }
        }
    }

    /// Called on the loop's tick: a link waiting to retry connects again, or gives up.
    func tick(now: UInt64) {
        if !closed, phase == .open, forwards.isEmpty, now &- lastUsed >= LeaderLink.idleClose {
            dropHandle()
            return
        }
        guard !closed, phase == .idle, !forwards.isEmpty, let since = failingSince else { return }
        if now &- since >= timeout {
            giveUp()
        } else if now >= retryAt {
            connect()
        }
    }

    /// The client went away: writes not yet answered are left to the leader (their tokens make a
    /// retry by the client safe).
    func close() {
        guard !closed else { return }
        closed = true
        forwards.removeAll()
        dropHandle()
    }

    // MARK: connecting

    private func connect() {
        let target = address()
        guard !target.isEmpty else {
            failed("the leader's address is not known (no leader has recorded one in the database)")
            return
        }
        candidates = []
        if let storage = LeaderLink.socketAddress(target) {
            connect(to: storage, target: target)
        } else if let (host, port) = LeaderLink.hostAndPort(target) {
            resolve(host, port: port, target: target)
        } else {
            failed("the leader's recorded address \(target) is not HOST:PORT")
        }
    }

    /// A host name is looked up off the loop (uv_getaddrinfo, on libuv's thread pool), then
    /// connected to at its first address, each time the link connects: a leader that moved keeps
    /// its name.
    private func resolve(_ host: String, port: Int32, target: String) {
        phase = .resolving
        connectingTo = target
        let request = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        let status = uv_getaddrinfo(loop, request, { request, status, list in
            let link = Unmanaged<LeaderLink>.fromOpaque(request!.pointee.data).takeRetainedValue()
            request!.deallocate()
            defer { if let list { uv_freeaddrinfo(list) } }
            guard !link.closed, link.phase == .resolving else { return }
            link.phase = .idle
            var found: [sockaddr_storage] = []
            var next = status == 0 ? list : nil
            while let entry = next, found.count < 16 {
                if let address = entry.pointee.ai_addr, entry.pointee.ai_addrlen <= MemoryLayout<sockaddr_storage>.size {
                    var storage = sockaddr_storage()
                    withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(entry.pointee.ai_addrlen))) }
                    found.append(storage)
                }
                next = entry.pointee.ai_next
            }
            guard !found.isEmpty else {
                link.failed("looking up the leader's host name in \(link.connectingTo): \(status == 0 ? "no address" : String(cString: uv_strerror(status)))")
                return
            }
            // Each address in the order the resolver gives them, until one takes the connection.
            link.candidates = Array(found.dropFirst())
            link.connect(to: found[0], target: link.connectingTo)
        }, host, String(port), &hints)
        if status != 0 {
            Unmanaged<LeaderLink>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            phase = .idle
            failed("looking up the leader's host name in \(target): \(String(cString: uv_strerror(status)))")
        }
    }

    private func connect(to storage: sockaddr_storage, target: String) {
        let tcp = UV.allocate(uv_tcp_t.self)
        do {
            try UV.open(tcp, owner: self, "uv_tcp_init") { uv_tcp_init(loop, $0) }
        } catch {
            UV.free(tcp)
            failed("\(error)")
            return
        }
        handle = tcp
        connectingTo = target
        phase = .connecting
        replies = LeaderReplies(maxReply: maxReply)
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
        var address = storage
        let status = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_connect(request, tcp, $0, LeaderLink.connected) }
        }
        if status != 0 {
            Unmanaged<LeaderLink>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            failed("connecting to the leader at \(target): \(String(cString: uv_strerror(status)))")
        }
    }

    private static let connected: uv_connect_cb = { request, status in
        let link = Unmanaged<LeaderLink>.fromOpaque(request!.pointee.data).takeRetainedValue()
        let stream = request!.pointee.handle
        request!.deallocate()
        guard let handle = link.handle, UnsafeMutableRawPointer(handle) == UnsafeMutableRawPointer(stream), !link.closed else { return }
        guard status == 0 else {
            if !link.candidates.isEmpty {
                let next = link.candidates.removeFirst()
                link.dropHandle()
                link.connect(to: next, target: link.connectingTo)
                return
            }
            link.failed("connecting to the leader at \(link.connectingTo): \(String(cString: uv_strerror(status)))")
            return
        }
        link.opened()
    }

    private func opened() {
        phase = .open
        guard let handle else { return }
        let stream = UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_stream_t.self)
        uv_read_start(stream, { handle, _, buffer in
            let link = UV.owner(of: UnsafeMutableRawPointer(handle), as: LeaderLink.self)
            buffer!.pointee = uv_buf_init(link.readBuffer, UInt32(LeaderLink.readSize))
        }, { stream, count, buffer in
            let link = UV.owner(of: UnsafeMutableRawPointer(stream), as: LeaderLink.self)
            guard let handle = link.handle, UnsafeMutableRawPointer(handle) == UnsafeMutableRawPointer(stream!) else { return }
            if count > 0 {
                link.received(UnsafeRawBufferPointer(start: buffer!.pointee.base, count: count))
            } else if count < 0 {
                link.failed(count == Int(UV_EOF.rawValue) ? "the leader at \(link.connectingTo) closed the connection"
                                                          : "reading from the leader at \(link.connectingTo): \(String(cString: uv_strerror(Int32(count))))")
            }
        })
        // Logged in as the client's own user; then each reply says the seq it showed.
        controlReplies = 2
        write(Array("auth \(LeaderLink.quoted(user)) \(LeaderLink.quoted(credential))\nsession seq=yes\n".utf8))
        for index in forwards.indices {
            forwards[index].sent = false
            forwards[index].received = 0
        }
    }

    private func sendUnsent() {
        // The lines are copied once, into the buffer libuv writes from (an import's are large).
        var parts: [[UInt8]] = []
        for index in forwards.indices where !forwards[index].sent {
            parts.append(forwards[index].line)
            parts.append(LeaderLink.newline)
            forwards[index].sent = true
        }
        if !parts.isEmpty { write(parts) }
    }

    private static let newline: [UInt8] = [0x0A]

    // MARK: replies

    private func received(_ bytes: UnsafeRawBufferPointer) {
        let complete: [LeaderReplies.Reply]
        do throws(LeaderReplies.Failure) {
            complete = try replies.received(bytes)
        } catch {
            // Not the protocol, or a reply past the bound: nothing more on this link makes sense.
            let problem = switch error {
            case .tooLong(let bytes): "a reply from the leader exceeds max_output (\(maxReply) bytes; \(bytes) held)"
            case .malformed(let line): "the leader at \(connectingTo) answered something that is not reliefd's protocol: \(line)"
            }
            finish(all: problem)
            return
        }
        for reply in complete {
            guard !closed else { return }
            if controlReplies > 0 {
                controlReplies -= 1
                if reply.isError {
                    // The login was refused by the leader: every write gets its answer.
                    let refusal = reply
                    let owed = forwards
                    forwards.removeAll()
                    dropHandle()
                    failingSince = nil
                    for forward in owed { answer(forward, .replied(refusal)) }
                    return
                }
                if controlReplies == 0 {
                    failingSince = nil
                    sendUnsent()
                }
                continue
            }
            guard !forwards.isEmpty else { continue }
            if reply.isError && LeaderLink.isNotLeading(reply.firstLine) {
                // Not the leader now, or it could not commit: sent again where the leader is.
                lastProblem = "the reliefd at \(connectingTo) answered: \(reply.firstLine)"
                failed(lastProblem)
                return
            }
            lastUsed = uv_now(loop)
            forwards[0].received += 1
            // An import's begin was answered: its commit's reply is the one to relay. (A begin the
            // leader refused leaves the import dead there: the commit's reply says why.)
            guard forwards[0].received >= forwards[0].replies else { continue }
            answer(forwards.removeFirst(), .replied(reply))
        }
    }

    /// `ERR UNAVAILABLE …`: a standby, a reliefd loading, without its lock or shutting down, or a
    /// commit that failed. The write did not apply, or is in doubt; its token makes sending it
    /// again safe, where the database says the leader is then.
    static func isNotLeading(_ line: String) -> Bool {
        line.hasPrefix("ERR UNAVAILABLE")
    }

    // MARK: failures

    private func failed(_ problem: String) {
        lastProblem = problem
        dropHandle()
        guard !forwards.isEmpty else {
            failingSince = nil
            return
        }
        let now = uv_now(loop)
        if failingSince == nil { failingSince = now }
        retryAt = now + LeaderLink.retryDelay
        if let since = failingSince, now &- since >= timeout { giveUp() }
    }

    static let retryDelay: UInt64 = 250

    private func giveUp() {
        let target = address()
        finish(all: "the leader\(target.isEmpty ? "" : " at \(target)") cannot be reached (\(lastProblem))")
    }

    private func finish(all problem: String) {
        let owed = forwards
        forwards.removeAll()
        failingSince = nil
        dropHandle()
        for forward in owed {
            let applied = forward.sent ? "the write may or may not have been applied there" : "nothing was applied"
            answer(forward, .failed("\(problem); \(applied); retry with req=\(forward.token) (it applies at most once), or send it to the leader"))
        }
    }

    private func dropHandle() {
        if let handle {
            self.handle = nil
            UV.close(UnsafeMutableRawPointer(handle))
        }
        phase = .idle
        controlReplies = 0
    }

    // MARK: bytes

    private func write(_ bytes: [UInt8]) { write([bytes]) }

    /// Writes `parts` one after another, copied into one buffer that lives until libuv has
    /// written it.
    private func write(_ parts: [[UInt8]]) {
        guard let handle else { return }
        let stream = UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_stream_t.self)
        let headerSize = (MemoryLayout<uv_write_t>.stride + 15) & ~15
        let count = parts.reduce(0) { $0 + $1.count }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: headerSize + count, alignment: 16)
        let request = raw.bindMemory(to: uv_write_t.self, capacity: 1)
        let data = raw + headerSize
        var offset = 0
        for part in parts where !part.isEmpty {
            part.withUnsafeBytes { (data + offset).copyMemory(from: $0.baseAddress!, byteCount: part.count) }
            offset += part.count
        }
        // Built directly: uv_buf_init takes a 32-bit length, and an import may be larger.
        var buffer = uv_buf_t(base: data.assumingMemoryBound(to: CChar.self), len: count)
        // A failed write shows as a failed read (EOF or a reset): only the memory is handled here.
        let status = uv_write(request, stream, &buffer, 1) { request, _ in UnsafeMutableRawPointer(request!).deallocate() }
        if status != 0 {
            raw.deallocate()
            failed("writing to the leader at \(connectingTo): \(String(cString: uv_strerror(status)))")
        }
    }

    /// A word of the protocol as the leader's parser reads it back.
    static func quoted(_ word: String) -> String {
        guard word.isEmpty || word.contains(where: { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "\\" || $0 == "=" }) else { return word }
        return "\"" + word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// `HOST:PORT` with a host name (Configuration.isHostName) and a port.
    static func hostAndPort(_ text: String) -> (String, Int32)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int32(text[text.index(after: colon)...]), port > 0, port < 65_536 else { return nil }
        let host = String(text[..<colon])
        return Configuration.isHostName(host) ? (host, port) : nil
    }

    /// `IP:PORT` (IPv6 in brackets) as a socket address.
    static func socketAddress(_ text: String) -> sockaddr_storage? {
        guard let colon = text.lastIndex(of: ":"), let port = Int32(text[text.index(after: colon)...]), port > 0, port < 65_536 else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var storage = sockaddr_storage()
        let parsed = withUnsafeMutablePointer(to: &storage) { pointer -> Int32 in
            if host.contains(":") {
                return uv_ip6_addr(host, port, UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: sockaddr_in6.self))
            }
            return uv_ip4_addr(host, port, UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: sockaddr_in.self))
        }
        return parsed == 0 ? storage : nil
    }
}
