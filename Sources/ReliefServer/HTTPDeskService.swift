import CLibUV
import Foundation
import ReliefCore
import ReliefEngine
import ReliefHTTP
import ReliefProtocol

/// Where the HTTP threads meet the loop: a request is posted to the loop's mailbox with the
/// continuation its answer resumes; the loop answers it (Server.answerHTTP) and resumes it from
/// the loop thread. Nothing of the operation is read off the loop.
final class LoopDesk: HTTPDesk, @unchecked Sendable {
    // @unchecked: `jobs` is a mailbox (locked); nothing else is mutable.

    enum Job: Sendable {
        case answer(HTTPAsk, CheckedContinuation<HTTPAnswer, Never>)
        case stream(HTTPAsk, CheckedContinuation<HTTPStream, Never>)
        /// An event stream's peer took most of what it held (HTTPEventPipe's `onDrained`).
        case streamDrained(Int)
        /// An event stream ended (HTTPEventPipe's `onEnd`).
        case streamEnded(Int)
    }

    let jobs: LoopMailbox<Job>

    init(wakeLoop: UnsafeMutablePointer<uv_async_t>) {
        jobs = LoopMailbox(wake: wakeLoop)
    }

    func answer(_ ask: HTTPAsk) async -> HTTPAnswer {
        await withCheckedContinuation { continuation in
            if !jobs.post(.answer(ask, continuation)) { continuation.resume(returning: .text(503, "reliefd is shutting down")) }
        }
    }

    func stream(_ ask: HTTPAsk) async -> HTTPStream {
        await withCheckedContinuation { continuation in
            if !jobs.post(.stream(ask, continuation)) { continuation.resume(returning: .refused(.text(503, "reliefd is shutting down"))) }
        }
    }
}

/// Answers HTTP requests on the loop: who is asking (HTTP Basic with a user and one of its
/// tokens, as `auth USER TOKEN`), then the route.
///
/// - `/api/NOUN/VERB/ARG…?key=value…`: a read command of the text protocol (`/api/stock/query?item=water`,
///   `/api/incident/show/flood`) answered as JSON; writes are refused (405).
/// - `/metrics`: Prometheus text (HTTPMetrics).
extension Server {
    /// HTTP requests take turns with the control socket's lines: they run while this turn's
    /// budget lasts (at least one), and the rest wait for the next turn, so a burst of large
    /// listings over HTTP cannot hold the loop.
    func drainHTTP() {
        guard let desk = httpDesk else { return }
        httpQueue.append(contentsOf: desk.jobs.drain())
        var ran = 0
        while httpQueueHead < httpQueue.count, ran == 0 || turnBudgetLeft() {
            let job = httpQueue[httpQueueHead]
            httpQueueHead += 1
            ran += 1
            switch job {
            case .answer(let ask, let continuation):
                answerHTTP(ask) { continuation.resume(returning: $0) }
            case .stream(let ask, let continuation):
                answerStream(ask) { continuation.resume(returning: $0) }
            case .streamDrained(let id):
                feed.drained(id)
            case .streamEnded(let id):
                feed.unsubscribe(id)
            }
        }
        if httpQueueHead == httpQueue.count {
            httpQueue.removeAll(keepingCapacity: httpQueue.count <= 1024)
            httpQueueHead = 0
        } else {
            httpWakeAgain()
        }
    }

    /// The principal an HTTP request authenticates as (HTTP Basic, or the board's session
    /// cookie), or the answer that refuses it.
    func httpPrincipal(_ ask: HTTPAsk) -> HTTPLogin {
        let challenge = [("WWW-Authenticate", "Basic realm=\"reliefd\", charset=\"UTF-8\"")]
        if ask.authorization == nil, let id = ask.cookie(BoardSessions.cookieName) {
            guard let session = boardSessions.session(id, now: uv_now(loop)),
                  let principal = engine.authenticate(user: session.user, token: session.token) else {
                return .refused(.text(401, "the board's session ended (expired, or its token was revoked); log in again at /board"))
            }
            return .principal(principal)
        }
        guard let header = ask.authorization, header.lowercased().hasPrefix("basic "),
              let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") else {
            return .refused(.text(401, "log in with your reliefd user name and one of its tokens (reliefctl token create)", headers: challenge))
        }
        let user = String(text[..<colon]), token = String(text[text.index(after: colon)...])
        if let principal = engine.authenticate(user: user, token: token) { return .principal(principal) }
        return .refused(.text(401, "authentication failed: unknown user, or a wrong or revoked token", headers: challenge))
    }

    /// Answers `ask` now or, for a read whose state is not yet durable, once it is.
    func answerHTTP(_ ask: HTTPAsk, _ reply: @escaping (HTTPAnswer) -> Void) {
        if ask.path == "/board" || ask.path.hasPrefix("/board/") {
            answerBoard(ask, reply)
            return
        }
        if ask.method != "GET" && ask.method != "HEAD" {
            reply(.text(405, "\(ask.method) \(ask.path): the HTTP listener only reads (GET); send writes on the control socket"))
            return
        }
        let principal: Principal
        switch httpPrincipal(ask) {
        case .principal(let known): principal = known
        case .refused(let refusal):
            if ask.authorization != nil {
                // A wrong token: answered late, as on the control socket.
                holdFailedLogin(ask, refusal, reply)
            } else {
                reply(refusal)
            }
            return
        }
        metrics.httpRequests += 1
        if ask.path == "/metrics" {
            reply(HTTPAnswer(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(metricsText().utf8)))
            return
        }
        if ask.path.hasPrefix("/geo/") {
            answerGeoJSON(ask, as: principal, reply)
            return
        }
        guard ask.path == "/api" || ask.path.hasPrefix("/api/") else {
            reply(.text(404, "nothing at \(ask.path); try /api/help, /geo/warehouses, /metrics"))
            return
        }
        if let refused = standbyRefusal {
            reply(HTTPJSON.error(.unavailable, refused))
            return
        }
        let words = ask.path.split(separator: "/").dropFirst().map(String.init)
        guard !words.isEmpty else {
            reply(HTTPJSON.error(.syntax, "name a command: /api/NOUN/VERB[/ARG…]?key=value, e.g. /api/stock/query?item=water"))
            return
        }
        var options: [Request.Option] = []
        for (key, value) in ask.query {
            guard !options.contains(where: { $0.key == key }) else {
                reply(HTTPJSON.error(.syntax, "\(key)= given twice; expected each option at most once"))
                return
            }
            options.append(Request.Option(key: key, value: value))
        }
        let request = Request(words: words, options: options)
        if Engine.hostCommand(request) != nil {
            reply(HTTPJSON.error(.notFound, "\(words.prefix(2).joined(separator: " ")) is not served over HTTP; use the control socket"))
            return
        }
        if engine.isMutating(request) {
            reply(HTTPAnswer(status: 405, contentType: "application/json",
                             body: Array("{\"error\":\"METHOD\",\"message\":\"the HTTP listener is read-only; send writes on the control socket\"}\n".utf8)))
            return
        }
        if let limit = engine.listingLimit(request), limit > HTTPJSON.maxRows {
            reply(HTTPJSON.error(.limit, "limit=\(limit) is more than \(HTTPJSON.maxRows) rows over HTTP; use reliefctl for larger listings"))
            return
        }
        let outcome = engine.handle(request, as: principal)
        let answer = HTTPJSON.answer(outcome.reply)
        let wait = max(outcome.waitForSeq, engine.state.lastSeq)
        if wait <= committedSeq {
            reply(answer)
        } else {
            httpWaiting.append((wait, answer, reply))
        }
    }
}

extension Server {
    /// Listings with coordinates as GeoJSON, by the noun's plural: `/geo/warehouses`,
    /// `/geo/incidents`, `/geo/teams`, `/geo/volunteers` (personal data never on a map), with the
    /// listing's own filters as query options.
    static let geoListings = ["warehouses": "warehouse", "incidents": "incident", "teams": "team", "volunteers": "volunteer"]

    func answerGeoJSON(_ ask: HTTPAsk, as principal: Principal, _ reply: @escaping (HTTPAnswer) -> Void) {
        let name = String(ask.path.dropFirst(5))
        guard let noun = Server.geoListings[name] else {
            reply(.text(404, "no map layer \(name); expected one of " + Server.geoListings.keys.sorted().joined(separator: ", ")))
            return
        }
        if let refused = standbyRefusal {
            reply(HTTPJSON.error(.unavailable, refused))
            return
        }
        let request = Request(words: [noun, "list"], options: ask.query.map { Request.Option(key: $0.key, value: $0.value) })
        if let limit = engine.listingLimit(request), limit > HTTPJSON.maxRows {
            reply(HTTPJSON.error(.limit, "limit=\(limit) is more than \(HTTPJSON.maxRows) features over HTTP; use reliefctl --format geojson"))
            return
        }
        let outcome = engine.handle(request, as: principal)
        let rows: [Fields]
        switch outcome.reply {
        case .rows(let listed): rows = listed
        case .stream(let stream): rows = (0..<stream.count).map { stream.row(at: $0) }
        case .error(let code, let message):
            reply(HTTPJSON.error(code, message))
            return
        case .ok:
            rows = []
        }
        let answer = HTTPAnswer(status: 200, contentType: "application/geo+json",
                                body: Array(GeoJSON.featureCollection(rows, dropping: ["phone", "id_number"]).utf8))
        let wait = max(outcome.waitForSeq, engine.state.lastSeq)
        if wait <= committedSeq { reply(answer) } else { httpWaiting.append((wait, answer, reply)) }
    }
}

extension Server {
    /// A failed HTTP log-in is answered late, the delay growing with the peer's failures
    /// (AuthThrottle, shared with the control socket's `auth`), and logged.
    func holdFailedLogin(_ ask: HTTPAsk, _ refusal: HTTPAnswer, _ reply: @escaping (HTTPAnswer) -> Void) {
        let delay = httpAuthFailed(peer: "http:" + ask.peer)
        logger.warning("HTTP authentication failed", metadata: ["peer": "\(ask.peer)", "path": "\(ask.path)", "delay_ms": "\(delay)"])
        holdHTTP(refusal, for: delay, reply)
    }
}

/// Who an HTTP request is, or the answer that refuses it.
enum HTTPLogin {
    case principal(Principal)
    case refused(HTTPAnswer)
}

/// Why the HTTP listener failed to start, set on its thread, read by the loop at start-up.
final class HTTPStartFailure: @unchecked Sendable {
    // @unchecked: `text` is only touched under `lock`.
    private let lock = NSLock()
    private var text: String?
    func set(_ message: String) { lock.lock(); text = message; lock.unlock() }
    var message: String? { lock.lock(); defer { lock.unlock() }; return text }
}
