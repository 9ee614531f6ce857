import CLibUV
import ReliefCore
import ReliefEngine
import ReliefHTTP
import ReliefProtocol

/// The situation board over HTTP (docs/operations.md "Situation board"):
///
/// - `GET /board`: the board (BoardPage) for a browser that is logged in, the log-in form otherwise;
/// - `POST /board/login` (`user`, `token`): a session cookie (BoardSessions), then back to `/board`;
/// - `POST /board/logout`: the session ends;
/// - `GET /board/board.js`, `/board/board.css`, `/board/icon.svg`: the page's script, style and
///   icon (no data in them);
/// - `GET /board/events?channels=…`: the event feed as server-sent events (`answerStream`).
///
/// The page reads everything it shows from `/api/…` and `/geo/…` with its cookie, as any client would.
extension Server {
    func answerBoard(_ ask: HTTPAsk, _ reply: @escaping (HTTPAnswer) -> Void) {
        switch (ask.method, ask.path) {
        case ("GET", "/board/board.js"), ("HEAD", "/board/board.js"):
            reply(HTTPAnswer(status: 200, contentType: "text/javascript; charset=utf-8", body: BoardPage.script))
        case ("GET", "/board/board.css"), ("HEAD", "/board/board.css"):
            reply(HTTPAnswer(status: 200, contentType: "text/css; charset=utf-8", body: BoardPage.style))
        case ("GET", "/board/icon.svg"), ("HEAD", "/board/icon.svg"):
            reply(HTTPAnswer(status: 200, contentType: "image/svg+xml", body: BoardPage.icon))
        case ("GET", "/board"), ("HEAD", "/board"):
            if case .principal(let principal) = httpPrincipal(ask) {
                reply(BoardPage.answer(BoardPage.board(user: principal.user, role: principal.role.rawValue)))
            } else {
                reply(BoardPage.answer(BoardPage.login(message: nil)))
            }
        case ("POST", "/board/login"):
            boardLogin(ask, reply)
        case ("POST", "/board/logout"):
            guard sameOrigin(ask) else {
                reply(.text(403, "a form from another site (Origin \(ask.origin ?? "")); log out from the board itself"))
                return
            }
            if let id = ask.cookie(BoardSessions.cookieName) { boardSessions.close(id) }
            reply(HTTPAnswer(status: 303, contentType: "text/plain; charset=utf-8", body: Array("logged out\n".utf8),
                             headers: [("Location", "/board"), ("Set-Cookie", BoardPage.expiredCookie)]))
        case (_, "/board/events"):
            reply(.text(405, "\(ask.method) /board/events: the event stream is read with GET (EventSource)"))
        case ("GET", _), ("HEAD", _):
            reply(.text(404, "nothing at \(ask.path); the board is at /board"))
        default:
            reply(.text(405, "\(ask.method) \(ask.path): only the board's log-in and log-out take a form"))
        }
    }

    /// A form posted by a page of another site (its `Origin` names another host) is refused, so a
    /// page elsewhere cannot log a browser in as someone else.
    private func sameOrigin(_ ask: HTTPAsk) -> Bool {
        guard let origin = ask.origin else { return true }
        guard let host = ask.host else { return false }
        return origin == "http://" + host || origin == "https://" + host
    }

    private func boardLogin(_ ask: HTTPAsk, _ reply: @escaping (HTTPAnswer) -> Void) {
        guard sameOrigin(ask) else {
            reply(.text(403, "a log-in form from another site (Origin \(ask.origin ?? "")); log in at /board itself"))
            return
        }
        let user = ask.form("user") ?? "", token = ask.form("token") ?? ""
        guard !user.isEmpty, !token.isEmpty else {
            reply(BoardPage.answer(BoardPage.login(message: "Give your user name and one of its tokens (reliefctl token create)."), status: 400))
            return
        }
        guard let principal = engine.authenticate(user: user, token: token) else {
            holdFailedLogin(ask, BoardPage.answer(BoardPage.login(message: "Log-in failed: unknown user, or a wrong or revoked token."), status: 401), reply)
            return
        }
        let id = boardSessions.open(user: user, token: token, now: uv_now(loop))
        logger.notice("board log-in", metadata: ["peer": "\(ask.peer)", "user": "\(principal.user)", "role": "\(principal.role.rawValue)"])
        reply(HTTPAnswer(status: 303, contentType: "text/plain; charset=utf-8", body: Array("logged in\n".utf8),
                         headers: [("Location", "/board"), ("Set-Cookie", BoardPage.cookie(id))]))
    }

    /// `/board/events?channels=incidents,needs,stock:north&from=SEQ`: the event feed as server-sent
    /// events, the channels and rights as for `watch` (none named: every channel the role reads);
    /// a browser that reconnects resumes after its Last-Event-ID.
    func answerStream(_ ask: HTTPAsk, _ reply: @escaping (HTTPStream) -> Void) {
        guard ask.path == "/board/events" else {
            reply(.refused(.text(404, "no event stream at \(ask.path); the board's is /board/events")))
            return
        }
        let principal: Principal
        switch httpPrincipal(ask) {
        case .principal(let known): principal = known
        case .refused(let refusal):
            if ask.authorization != nil { holdFailedLogin(ask, refusal) { reply(.refused($0)) } } else { reply(.refused(refusal)) }
            return
        }
        metrics.httpRequests += 1
        if let refused = standbyRefusal {
            reply(.refused(HTTPJSON.error(.unavailable, refused)))
            return
        }
        var words = ["watch"]
        var options: [Request.Option] = []
        for (key, value) in ask.query {
            switch key {
            case "channels":
                words += value.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            case "from":
                options.append(Request.Option(key: "from", value: value))
            default:
                reply(.refused(HTTPJSON.error(.syntax, "unknown option \(key)=; expected channels=CHANNEL,… and from=SEQ")))
                return
            }
        }
        if let resume = ask.lastEventID?.trimmingCharacters(in: .whitespaces), !resume.isEmpty {
            options.removeAll { $0.key == "from" }
            options.append(Request.Option(key: "from", value: resume))
        }
        guard let desk = httpDesk else {
            reply(.refused(.text(503, "the HTTP listener is not running")))
            return
        }
        let lowWater = feed.refillBelow
        let result = feed.subscribeStream(Request(words: words, options: options), as: principal, peer: ask.peer) { id in
            HTTPEventPipe(lowWater: lowWater, onDrained: { desk.jobs.post(.streamDrained(id)) },
                          onEnd: { desk.jobs.post(.streamEnded(id)) })
        }
        switch result {
        case .success(let pipe): reply(.events(pipe))
        case .failure(let refusal): reply(.refused(HTTPJSON.error(refusal.code, refusal.message)))
        }
    }
}
