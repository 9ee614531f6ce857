#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ReliefProtocol

/// A failure to reach or talk to the daemon; reported with exit status 2.
struct ConnectionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One client connection to the daemon over a non-blocking socket.
///
/// The blocking helpers (`send`, `nextReply`) wait with poll() against a deadline; the non-blocking
/// ones (`writeSome`, `readAvailable`) serve the pipelined stdin mode, which polls several fds itself.
final class Connection {
    let endpoint: Endpoint
    let fd: Int32
    private var reader = ReplyReader()
    private var parsed: [ReplyReader.Parsed] = []
    private var parsedIndex = 0
    private var readBuffer = [UInt8](repeating: 0, count: 64 << 10)

    private init(endpoint: Endpoint, fd: Int32) {
        self.endpoint = endpoint
        self.fd = fd
    }

    deinit { close(fd) }

    static func open(_ endpoint: Endpoint, timeout: Double?) throws(ConnectionError) -> Connection {
        switch endpoint {
        case .unix(let path): return try openUnix(path, endpoint: endpoint)
        case .tcp(let host, let port):
            let connection = try openTCP(host, port, endpoint: endpoint, timeout: timeout)
            if let login = try Login.fromEnvironment() { try connection.authenticate(login, timeout: timeout) }
            return connection
        }
    }

    /// Who reliefctl logs in as on TCP: `$RELIEFD_USER`, with the token in `$RELIEFD_TOKEN_FILE`
    /// (a file holding it, readable by its owner only) or `$RELIEFD_TOKEN`. Never a command-line
    /// flag: any local user can read another's command line in `ps`.
    struct Login {
        var user: String
        var token: String

        static func fromEnvironment() throws(ConnectionError) -> Login? {
            guard let user = getenv("RELIEFD_USER").map({ String(cString: $0) }), !user.isEmpty else { return nil }
            if let path = getenv("RELIEFD_TOKEN_FILE").map({ String(cString: $0) }), !path.isEmpty {
                guard path != "-", let bytes = try? FileText.read(path), bytes.count <= 4096 else {
                    throw ConnectionError("cannot read the token file \(path) ($RELIEFD_TOKEN_FILE): expected a readable file of one line")
                }
                let line = bytes.prefix { $0 != 0x0A && $0 != 0x0D }
                return Login(user: user, token: String(decoding: line, as: UTF8.self))
            }
            guard let token = getenv("RELIEFD_TOKEN").map({ String(cString: $0) }), !token.isEmpty else {
                throw ConnectionError("RELIEFD_USER is set but neither RELIEFD_TOKEN_FILE nor RELIEFD_TOKEN gives its token")
            }
            return Login(user: user, token: token)
        }
    }

    /// Sends `auth USER TOKEN` and checks the daemon accepted it.
    func authenticate(_ login: Login, timeout: Double?) throws(ConnectionError) {
        try send(Array("auth \(login.user) \(login.token)\n".utf8), timeout: timeout)
        if case .error(let code, let message) = try nextReply(timeout: timeout) {
            throw ConnectionError("logging in to \(endpoint) as \(login.user) failed: ERR \(code) \(message)")
        }
    }

    // MARK: blocking helpers

    /// Writes all of `bytes`, waiting for the socket to drain as needed.
    func send(_ bytes: [UInt8], timeout: Double?) throws(ConnectionError) {
        let deadline = Monotonic.deadline(after: timeout)
        var offset = 0
        while offset < bytes.count {
            offset += try writeSome(bytes, from: offset)
            if offset < bytes.count, !(try wait(for: Int16(POLLOUT), until: deadline)) {
                throw ConnectionError("timed out writing to \(endpoint)")
            }
        }
    }

    /// The next whole reply, in request order.
    func nextReply(timeout: Double?) throws(ConnectionError) -> ReplyReader.Parsed {
        let deadline = Monotonic.deadline(after: timeout)
        while true {
            if let reply = takeReply() { return reply }
            guard try wait(for: Int16(POLLIN), until: deadline) else {
                throw ConnectionError("timed out after \(timeout.map { "\($0)" } ?? "?") s waiting for a reply from \(endpoint)")
            }
            if try !readAvailable() {
                if let reply = takeReply() { return reply }
                throw ConnectionError("\(endpoint) closed the connection before replying")
            }
        }
    }

    // MARK: non-blocking primitives

    /// Writes what the socket takes now; 0 when it would block.
    func writeSome(_ bytes: UnsafeRawBufferPointer) throws(ConnectionError) -> Int {
        guard bytes.count > 0 else { return 0 }
        while true {
            let result = systemSend(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return 0 }
            throw ConnectionError("cannot write to \(endpoint): \(errnoText(code))")
        }
    }

    func writeSome(_ bytes: [UInt8], from offset: Int) throws(ConnectionError) -> Int {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ConnectionError) -> Int in try writeSome(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
        }
        return try result.get()
    }

    /// Reads whatever is available and parses it into replies; false at end of stream.
    func readAvailable() throws(ConnectionError) -> Bool {
        while true {
            let count = readBuffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                let replies = readBuffer.withUnsafeBytes { reader.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                if parsedIndex == parsed.count {
                    parsed.removeAll(keepingCapacity: true)
                    parsedIndex = 0
                }
                parsed.append(contentsOf: replies)
                if count < readBuffer.count { return true }
                continue
            }
            if count == 0 { return false }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return true }
            throw ConnectionError("cannot read from \(endpoint): \(errnoText(code))")
        }
    }

    /// A reply already read and parsed, if any.
    func takeReply() -> ReplyReader.Parsed? {
        guard parsedIndex < parsed.count else { return nil }
        defer { parsedIndex += 1 }
        return parsed[parsedIndex]
    }

    /// Waits until the socket is ready for `events`; false on timeout.
    func wait(for events: Int16, until deadline: UInt64?) throws(ConnectionError) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let result = poll(&entry, 1, Monotonic.pollTimeout(until: deadline))
            if result > 0 { return true }
            if result == 0 { return false }
            if errno == EINTR { continue }
            throw ConnectionError("poll failed on \(endpoint): \(errnoText(errno))")
        }
    }

    // MARK: connecting

    private static func openUnix(_ path: String, endpoint: Endpoint) throws(ConnectionError) -> Connection {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ConnectionError("cannot connect to \(endpoint): path longer than \(MemoryLayout.size(ofValue: address.sun_path) - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let fd = socket(AF_UNIX, streamType, 0)
        guard fd >= 0 else { throw ConnectionError("cannot create a socket: \(errnoText(errno))") }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 {
            let code = errno
            close(fd)
            var hint = ""
            if code == ENOENT || code == ECONNREFUSED {
                hint = " (is reliefd running? \(Endpoint.searchHint))"
            } else if code == EACCES {
                hint = " (the socket admits its owner and its group only: ask to be added to that group, e.g. reliefd-clients, and log in again)"
            }
            throw ConnectionError("cannot connect to \(endpoint): \(errnoText(code))\(hint)")
        }
        do {
            try setNonBlocking(fd, endpoint)
        } catch {
            close(fd)
            throw error
        }
        return Connection(endpoint: endpoint, fd: fd)
    }

    private static func openTCP(_ host: String, _ port: UInt16, endpoint: Endpoint, timeout: Double?) throws(ConnectionError) -> Connection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = plainStreamType
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw ConnectionError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = ConnectionError("cannot connect to \(endpoint): no addresses")
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, streamType, 0)
            guard fd >= 0 else { continue }
            do throws(ConnectionError) {
                try setNonBlocking(fd, endpoint)
                if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
                    guard errno == EINPROGRESS else { throw ConnectionError("cannot connect to \(endpoint): \(errnoText(errno))") }
                    var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    let ready = poll(&entry, 1, Monotonic.pollTimeout(until: Monotonic.deadline(after: timeout)))
                    if ready == 0 { throw ConnectionError("cannot connect to \(endpoint): timed out") }
                    var code: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                    if code != 0 { throw ConnectionError("cannot connect to \(endpoint): \(errnoText(code))") }
                }
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return Connection(endpoint: endpoint, fd: fd)
            } catch {
                close(fd)
                lastError = error
            }
        }
        throw lastError
    }

    static func setNonBlocking(_ fd: Int32, _ endpoint: Endpoint) throws(ConnectionError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            let code = errno
            throw ConnectionError("cannot configure the socket for \(endpoint): \(errnoText(code))")
        }
    }
}

#if canImport(Glibc)
private let systemSend = Glibc.send
#elseif canImport(Darwin)
private let systemSend = Darwin.send
#endif

#if os(Linux)
let streamType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
let plainStreamType = Int32(SOCK_STREAM.rawValue)
#else
let plainStreamType = SOCK_STREAM
let streamType = SOCK_STREAM
#endif
