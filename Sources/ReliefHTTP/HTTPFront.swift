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

    public init(method: String, path: String, query: [(key: String, value: String)], authorization: String?, peer: String) {
        self.method = method; self.path = path; self.query = query; self.authorization = authorization; self.peer = peer
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

/// An event stream's start: refused with an answer, or chunks the loop yields until it finishes.
public enum HTTPStream: Sendable {
    case refused(HTTPAnswer)
    case events(AsyncStream<[UInt8]>)
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
                case .events(let chunks):
                    var headers = HTTPFields()
                    headers[.contentType] = "text/event-stream; charset=utf-8"
                    headers[.cacheControl] = "no-store"
                    return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                        for await chunk in chunks {
                            try await writer.write(ByteBuffer(bytes: chunk))
                        }
                        try await writer.finish(nil)
                    })
                }
            }
            return HTTPFront.response(await desk.answer(ask))
        }
        router.get("/", use: handler)
        router.get("**", use: handler)
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
                       authorization: request.headers[.authorization], peer: peer)
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
