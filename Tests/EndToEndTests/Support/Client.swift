#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ReliefProtocol

/// A blocking control-protocol client over a POSIX Unix socket. Every read waits at most its
/// timeout, and sends time out too (`SO_SNDTIMEO`), so a test can never hang on the daemon.
final class Client {
    enum Failure: Error, Equatable, CustomStringConvertible {
        case timedOut
        case closed                // the daemon closed the connection (EOF or reset)
        case system(String, Int32) // call, errno

        var description: String {
            switch self {
            case .timedOut: "timed out waiting for a reply"
            case .closed: "connection closed by reliefd"
            case .system(let call, let code): "\(call) failed: \(String(cString: strerror(code)))"
            }
        }
    }

    private(set) var fd: Int32
    let timeout: Double
    private var reader = ReplyReader()
    private var ready: [ReplyReader.Parsed] = []
    private var readyHead = 0
    /// Reply bytes received so far.
    private(set) var bytesReceived = 0

    init(socketPath: String, timeout: Double = 10) throws {
        self.timeout = timeout
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.system("socket", errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in socketPath.utf8.prefix(bytes.count - 1).enumerated() { bytes[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            Glibc.connect(fd, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_un>.size))
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(fd)
            fd = -1
            throw Failure.system("connect", code)
        }
        var sendTimeout = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// A client over TCP to `127.0.0.1:port`.
    init(tcpPort port: UInt16, timeout: Double = 10) throws {
        self.timeout = timeout
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.system("socket", errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            Glibc.connect(fd, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in>.size))
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(fd)
            fd = -1
            throw Failure.system("connect", code)
        }
        var sendTimeout = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Sends one request line; the LF is added.
    func send(_ line: String) throws {
        try send(bytes: Array(line.utf8) + [0x0A])
    }

    /// Sends several request lines in one write (pipelining).
    func send(lines: [String]) throws {
        var bytes: [UInt8] = []
        for line in lines { bytes += line.utf8; bytes.append(0x0A) }
        try send(bytes: bytes)
    }

    /// Sends raw bytes, all of them or a failure (`.closed` when the daemon hung up).
    func send(bytes: [UInt8]) throws {
        guard fd >= 0 else { throw Failure.closed }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { throw Failure.timedOut }
                if code == EPIPE || code == ECONNRESET { throw Failure.closed }
                throw Failure.system("send", code)
            }
            offset += sent
        }
    }

    /// The next reply, waiting at most `timeout` seconds (default: the client's).
    func reply(timeout: Double? = nil) throws -> ReplyReader.Parsed {
        let deadline = Date().addingTimeInterval(timeout ?? self.timeout)
        while true {
            if readyHead < ready.count {
                let reply = ready[readyHead]
                readyHead += 1
                if readyHead == ready.count { ready.removeAll(keepingCapacity: true); readyHead = 0 }
                return reply
            }
            try receive(until: deadline)
        }
    }

    /// Sends one line and returns its reply.
    func request(_ line: String, timeout: Double? = nil) throws -> ReplyReader.Parsed {
        try send(line)
        return try reply(timeout: timeout)
    }

    /// Reads (and keeps) whatever arrives until the daemon closes the connection. Returns true
    /// when it did within `timeout` seconds.
    func waitForClose(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            do {
                try receive(until: deadline)
            } catch Failure.closed {
                return true
            } catch {
                return false
            }
        }
    }

    /// Replies received and not yet taken by `reply()`.
    var pendingReplies: [ReplyReader.Parsed] { Array(ready[readyHead...]) }

    private func receive(until deadline: Date) throws {
        guard fd >= 0 else { throw Failure.closed }
        let remaining = deadline.timeIntervalSinceNow
        if remaining <= 0 { throw Failure.timedOut }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(min(remaining * 1000, 60_000).rounded(.up)))
        if ready < 0 {
            if errno == EINTR { return }
            throw Failure.system("poll", errno)
        }
        if ready == 0 { throw Failure.timedOut }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        if count == 0 { throw Failure.closed }
        if count < 0 {
            let code = errno
            if code == EINTR || code == EAGAIN { return }
            if code == ECONNRESET || code == EPIPE { throw Failure.closed }
            throw Failure.system("recv", code)
        }
        bytesReceived += count
        let parsed = buffer.withUnsafeBytes { reader.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        self.ready.append(contentsOf: parsed)
    }
}

extension Client {
    /// Reads and throws away whatever has already arrived, without waiting. Returns false once the
    /// daemon has closed the connection.
    func discardAvailable() -> Bool {
        guard fd >= 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { continue }
            if count == 0 { return false }
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
        }
    }
}
