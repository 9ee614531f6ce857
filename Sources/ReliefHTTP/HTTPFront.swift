// ReliefHTTP: reliefd's HTTP listener (the situation board, JSON, GeoJSON, /metrics), parsed and
// served by Hummingbird on SwiftNIO threads of its own. It holds no state of the operation: each
// request is handed to the daemon's loop (an `HTTPDesk`, reached through the loop's mailbox) and
// its answer awaited; an event stream is an AsyncStream the loop yields to. docs/architecture.md
// "HTTP" says why Hummingbird and not h2o on the loop.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// An HTTP request as the loop sees it: method, decoded path, decoded query, credentials, peer.
public struct HTTPAsk: Sendable {
    public var method: String
    public var path: String
    public var query: [(key: String, value: String)]
    /// The `Authorization` header, if any.
    public var authorization: String?
    public var peer: String
    /// The `Cookie` header, if any (the board's session).
    public var cookie: String?
    /// `Last-Event-ID`: where a reconnecting event stream resumes.
    public var lastEventID: String?
    /// A form's body (`application/x-www-form-urlencoded`, at most `HTTPFront.maxBody` bytes), decoded.
    public var form: [(key: String, value: String)]
    /// `Origin` and `Host`: a form posted from another site is refused.
    public var origin: String?
    public var host: String?

    public init(method: String, path: String, query: [(key: String, value: String)], authorization: String?, peer: String,
                cookie: String? = nil, lastEventID: String? = nil, form: [(key: String, value: String)] = [],
                origin: String? = nil, host: String? = nil) {
        self.method = method; self.path = path; self.query = query; self.authorization = authorization; self.peer = peer
        self.cookie = cookie; self.lastEventID = lastEventID; self.form = form; self.origin = origin; self.host = host
    }

    public func form(_ key: String) -> String? { form.first { $0.key == key }?.value }

    /// A cookie's value from the `Cookie` header.
    public func cookie(_ name: String) -> String? {
        guard let cookie else { return nil }
        for part in cookie.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard let equals = pair.firstIndex(of: "=") else { continue }
            if pair[..<equals] == name { return String(pair[pair.index(after: equals)...]) }
        }
        return nil
    }

    public func query(_ key: String) -> String? { query.first { $0.key == key }?.value }
}

/// What the loop answers.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)]

    public init(status: Int, contentType: String, body: [UInt8], headers: [(String, String)] = []) {
        self.status = status; self.contentType = contentType; self.body = body; self.headers = headers
    }

    public static func text(_ status: Int, _ text: String, headers: [(String, String)] = []) -> HTTPAnswer {
        HTTPAnswer(status: status, contentType: "text/plain; charset=utf-8", body: Array((text + "\n").utf8), headers: headers)
    }
}

/// An event stream's start: refused with an answer, or a pipe the loop writes to until it finishes.
public enum HTTPStream: Sendable {
    case refused(HTTPAnswer)
    case events(HTTPEventPipe)
}

/// One event stream between the loop and an HTTP response: the loop yields chunks, the response
/// writes them to the peer. `held` counts the bytes yielded and not yet taken by the socket (the
/// write waits while the peer does not read), so the loop can cut off a reader that does not keep
/// up, as it cuts off a slow `watch` on the control socket; `cut` drops what is still queued, so a
/// reader cut off holds no more than its last word. `onDrained` runs when what is held falls below
/// `lowWater` (the loop may send a reader that is behind its next page); `onEnd` runs once, when
/// the stream ends for any reason: the loop finished it, the peer went away, shutdown.
public final class HTTPEventPipe: @unchecked Sendable {
    // @unchecked: every var is only touched under `lock`; the callbacks are Sendable.
    private let lock = NSLock()
    private var queue: [[UInt8]] = []
    private var heldBytes = 0
    /// The loop yields nothing more: the stream ends once the queue is written.
    private var finished = false
    /// Over: nothing more is written.
    private var ended = false
    private var waiter: CheckedContinuation<[UInt8]?, Never>?
    private let lowWater: Int
    private let onDrained: @Sendable () -> Void
    private let onEnd: @Sendable () -> Void

    public init(lowWater: Int, onDrained: @escaping @Sendable () -> Void, onEnd: @escaping @Sendable () -> Void) {
        self.lowWater = lowWater
        self.onDrained = onDrained
        self.onEnd = onEnd
    }

    /// Bytes yielded and not yet written to the peer's socket.
    public var held: Int { lock.lock(); defer { lock.unlock() }; return heldBytes }

    /// Loop side: queues bytes for the peer (nothing once the stream is finished).
    public func yield(_ bytes: [UInt8]) {
        lock.lock()
        guard !finished, !ended else { lock.unlock(); return }
        heldBytes += bytes.count
        if let waiter {
            self.waiter = nil
            lock.unlock()
            waiter.resume(returning: bytes)
        } else {
            queue.append(bytes)
            lock.unlock()
        }
    }

    /// Loop side: the stream ends once what was yielded is written.
    public func finish() {
        lock.lock()
        finished = true
        let waiter = self.waiter
        self.waiter = nil
        lock.unlock()
        waiter?.resume(returning: nil)
    }

    /// Loop side: drops what is queued and not yet written, sends `last` and ends.
    public func cut(_ last: [UInt8]) {
        lock.lock()
        for chunk in queue { heldBytes -= chunk.count }
        queue = []
        lock.unlock()
        yield(last)
        finish()
    }

    /// Response side: everything queued, as one chunk; nil when the stream is over.
    func next() async -> [UInt8]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[UInt8]?, Never>) in
                lock.lock()
                if !queue.isEmpty {
                    let chunk = queue.count == 1 ? queue[0] : Array(queue.joined())
                    queue.removeAll(keepingCapacity: true)
                    lock.unlock()
                    continuation.resume(returning: chunk)
                } else if finished || ended {
                    lock.unlock()
                    continuation.resume(returning: nil)
                } else {
                    waiter = continuation
                    lock.unlock()
                }
            }
        } onCancel: {
            end()
        }
    }

    /// Response side: `count` bytes were written.
    func written(_ count: Int) {
        lock.lock()
        let before = heldBytes
        heldBytes -= count
        let drained = before >= lowWater && heldBytes < lowWater && !finished && !ended
        lock.unlock()
        if drained { onDrained() }
    }

    /// The stream is over (idempotent): `onEnd` runs the first time.
    func end() {
        lock.lock()
        let first = !ended
        ended = true
        queue = []
        let waiter = self.waiter
        self.waiter = nil
        lock.unlock()
        waiter?.resume(returning: nil)
        if first { onEnd() }
    }
}

/// The daemon's side: the loop answers (its implementation hops to the loop and back).
public protocol HTTPDesk: AnyObject, Sendable {
    func answer(_ ask: HTTPAsk) async -> HTTPAnswer
    func stream(_ ask: HTTPAsk) async -> HTTPStream
}

/// The listener: Hummingbird on an event loop group of its own (one thread), in a service group
/// the daemon starts and stops (no signal handling of its own: the loop handles signals).
public final class HTTPFront: Sendable {
    private let group: ServiceGroup
    private let port: Locked<Int?>
    private let stopped: Locked<Bool>

    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        /// Connections at once; more wait in the kernel's backlog.
        public var maxConnections: Int
        /// An idle keep-alive connection, or one that sends no complete request, is closed after this.
        public var idleSeconds: Int64
        public init(host: String, port: Int, maxConnections: Int, idleSeconds: Int64) {
            self.host = host; self.port = port; self.maxConnections = maxConnections; self.idleSeconds = idleSeconds
        }
    }

    /// Paths of event streams (server-sent events); every other path is one answer.
    public static let streamPaths: Set<String> = ["/board/events"]

    public init(settings: Settings, desk: any HTTPDesk, logger: Logger) {
        let port = Locked<Int?>(nil)
        self.port = port
        stopped = Locked(false)
        let router = Router(context: DeskContext.self)
        let handler: @Sendable (Request, DeskContext) async throws -> Response = { request, context in
            let ask = HTTPFront.ask(request, context)
            if HTTPFront.streamPaths.contains(ask.path) {
                switch await desk.stream(ask) {
                case .refused(let answer):
                    return HTTPFront.response(answer)
                case .events(let pipe):
                    var headers = HTTPFields()
                    headers[.contentType] = "text/event-stream; charset=utf-8"
                    headers[.cacheControl] = "no-store"
                    headers[.init("X-Content-Type-Options")!] = "nosniff"
                    return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                        defer { pipe.end() }
                        while let chunk = await pipe.next() {
                            try await writer.write(ByteBuffer(bytes: chunk))
                            pipe.written(chunk.count)
                        }
                        try await writer.finish(nil)
                    })
                }
            }
            return HTTPFront.response(await desk.answer(ask))
        }
        // A form (the board's log-in) is read whole up to maxBody; anything larger is refused.
        let formHandler: @Sendable (Request, DeskContext) async throws -> Response = { request, context in
            var request = request
            guard let buffer = try? await request.collectBody(upTo: HTTPFront.maxBody) else {
                return HTTPFront.response(.text(413, "a form of more than \(HTTPFront.maxBody) bytes; expected a log-in form"))
            }
            var ask = HTTPFront.ask(request, context)
            ask.form = HTTPFront.decodeForm(String(buffer: buffer))
            return HTTPFront.response(await desk.answer(ask))
        }
        router.get("/", use: handler)
        router.get("**", use: handler)
        router.post("**", use: formHandler)
        var httpLogger = logger
        httpLogger.logLevel = max(logger.logLevel, .warning)
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(settings.idleSeconds))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "reliefd",
                                 availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections, logger: httpLogger)),
            onServerRunning: { channel in port.set(channel.localAddress?.port) },
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup(numberOfThreads: 1)),
            logger: httpLogger
        )
        group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: httpLogger))
    }

    /// Starts serving; `boundPort` is set once the socket is bound. A failure to bind is logged by
    /// `onFailure`.
    public func start(onFailure: @escaping @Sendable (String) -> Void) {
        let group = self.group
        let stopped = self.stopped
        Task.detached {
            do {
                try await group.run()
            } catch {
                if !stopped.get() { onFailure("\(error)") }
            }
        }
    }

    /// The port bound (the one configured, or the kernel's choice for port 0), once listening.
    public var boundPort: Int? { port.get() }

    /// Stops accepting and ends open connections (event streams end when the loop finishes them).
    public func stop() {
        stopped.set(true)
        let group = self.group
        Task.detached { await group.triggerGracefulShutdown() }
    }

    static func ask(_ request: Request, _ context: DeskContext) -> HTTPAsk {
        let rawPath = request.uri.path
        let path = rawPath.removingPercentEncoding ?? rawPath
        var query: [(key: String, value: String)] = []
        for (key, value) in request.uri.queryParameters {
            let key = String(key).replacingOccurrences(of: "+", with: " ")
            let value = String(value).replacingOccurrences(of: "+", with: " ")
            query.append((key.removingPercentEncoding ?? key, value.removingPercentEncoding ?? value))
        }
        let peer = context.remoteAddress.map { "\($0.ipAddress ?? "?")" } ?? "?"
        return HTTPAsk(method: request.method.rawValue, path: path, query: query,
                       authorization: request.headers[.authorization], peer: peer,
                       cookie: request.headers[.cookie], lastEventID: request.headers[.init("Last-Event-ID")!],
                       origin: request.headers[.origin], host: request.head.authority)
    }

    /// The largest form body read (the board's log-in: a user name and a token).
    public static let maxBody = 4096

    /// `application/x-www-form-urlencoded`: `key=value&…`, `+` a space, percent-escapes decoded.
    public static func decodeForm(_ text: String) -> [(key: String, value: String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func response(_ answer: HTTPAnswer) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        headers[.cacheControl] = "no-store"
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

/// The request context: Hummingbird's, and the peer's address (for the failed-login throttle).
struct DeskContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// A value shared between the NIO thread that sets it and the loop that reads it.
final class Locked<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ new: Value) { lock.lock(); value = new; lock.unlock() }
}
