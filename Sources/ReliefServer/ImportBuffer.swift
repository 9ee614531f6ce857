import ReliefCore
import ReliefEngine
import ReliefProtocol

/// One connection's bulk import in progress, as a value-type state machine apart from all I/O.
///
/// `import begin volunteers|teams|travel|stock` starts it; every following line is a row (a request line such as
/// `volunteer add v-1 name=… line=17`), buffered without a reply, until `import commit` (apply all
/// rows or none) or `import abort`. The optional `line=N` option names the row's line in the
/// client's source file, so errors point there; without it a row is numbered by its position.
/// At most `maxRows` rows and `maxBytes` bytes of row text (and the server may end it when all open
/// imports together hold too much): past that the import is dead — what it held is freed, later
/// rows are dropped unread, and the commit gets `ERR LIMIT` — rather than ended early, which would
/// run the remaining rows as ordinary requests.
///
/// An `import begin` that is refused (the store is down, a standby, a bad kind) opens a dead
/// import all the same: a client that pipelined its rows behind the begin must never have them run
/// one by one as ordinary requests — half an import — so they are dropped unread until
/// `import commit` (answered with the refusal again) or `import abort`. PostgreSQL discards the
/// data of a failed COPY until its end the same way. A new `import begin` replaces a refused one.
struct ImportBuffer {
    enum Kind: String, CaseIterable {
        case volunteers, teams, travel, stock

        /// The commands a row of this kind may be.
        var allowed: Set<String> {
            switch self {
            case .volunteers: ["volunteer add", "volunteer certify"]
            case .teams: ["team add", "team member add"]
            case .travel: ["travel set"]
            // Opening stock: what a warehouse holds and the level below which it is low.
            case .stock: ["stock receive", "stock min"]
            }
        }
    }

    enum Action {
        /// The row was taken; nothing is sent.
        case buffered
        /// A reply; the import goes on.
        case reply(Reply)
        /// The import is over without applying anything; send this reply.
        case end(Reply)
        /// `import commit [req=TOKEN]`: apply the session's rows all or none (rows that did not
        /// parse are in it too); with a token, a retry of the same import applies nothing again.
        case commit(session: ImportSession, token: Token?)
        /// `import commit [req=TOKEN]` of an import held for the leader (`relay`): what to send
        /// there, whole: `import begin KIND`, the rows as received, `import commit req=TOKEN`
        /// (the client's token, or the one `relay` was given), the lines joined by LF.
        case relay(lines: [UInt8], token: String)
        /// `import begin` after a refused begin: this import ends without a reply, and the line is
        /// handled as a new begin.
        case beginAgain
    }

    /// `import commit req=TOKEN`: the token, and the digest of the rows it is bound to.
    struct Token {
        var token: String
        var digest: RequestDigest
    }

    /// What the rows are; nil only for an import refused at its begin for an unknown kind.
    let kind: Kind?
    /// Why `import begin` was refused, for an import that is dead from its start.
    private(set) var refusal: RequestError?
    let maxRows: Int
    let maxBytes: Int
    /// Rows are checked by the engine as they arrive, on a copy of the state (see ImportSession).
    private(set) var session: ImportSession?
    /// On a follower, the rows are not checked here but held as received, after the import's
    /// `import begin` line, each line with its LF, for the leader, which checks and applies them
    /// (`relay`); nil otherwise. Built here whole, so handing it on copies nothing.
    private(set) var relayed: [UInt8]?
    /// The token a relayed import's commit carries when the client gave none.
    private var relayToken = ""
    /// The rows' digest as they arrive, for `import commit req=TOKEN` (see ImportDigester).
    private var digester: ImportDigester?
    /// Rows received, dropped ones included.
    private(set) var received = 0
    /// Bytes of row text held (0 once the import is dead).
    private(set) var bytes = 0
    /// Why the import is dead (a limit it passed), or nil while it lives.
    private(set) var overflow: String?
    var overflowed: Bool { overflow != nil }

    /// The commands a row may be.
    var allowed: Set<String> { kind?.allowed ?? [] }

    init(kind: Kind?, maxRows: Int, maxBytes: Int = .max, session: ImportSession? = nil) {
        precondition(maxRows > 0 && maxBytes > 0)
        self.kind = kind
        self.maxRows = maxRows
        self.maxBytes = maxBytes
        self.session = session
    }

    /// Holds the rows as received, for the leader, instead of checking them here (a follower);
    /// `token` is the commit's req= when the client sends none.
    mutating func relay(token: String) {
        precondition(received == 0 && session == nil && kind != nil, "relay an import before its first row")
        relayed = Array("import begin \(kind!.rawValue)\n".utf8)
        relayToken = token
        // The leader hashes the rows it is sent.
        digester = nil
    }

    /// Ends the import for `reason` (a limit): what it held is freed, its later rows are dropped,
    /// and its commit is refused saying why.
    mutating func kill(_ reason: String) {
        guard overflow == nil else { return }
        overflow = reason
        session = nil
        if relayed != nil { relayed = [] }
        bytes = 0
    }

    /// Starts checking rows as they arrive in `session`.
    mutating func attach(_ session: ImportSession) {
        precondition(received == 0, "attach the session before the first row")
        self.session = session
    }

    /// `import begin KIND`: the new buffer, or the refusal to send.
    static func begin(_ request: Request, maxRows: Int, maxBytes: Int = .max) -> Result<ImportBuffer, RequestError> {
        let kinds = Kind.allCases.map(\.rawValue).joined(separator: " or ")
        guard request.words.count == 3, request.options.isEmpty, request.requestToken == nil else {
            return .failure(RequestError(.syntax, "usage: import begin \(kinds.replacingOccurrences(" or ", "|")); then one row per line, then import commit or import abort"))
        }
        guard let kind = Kind(rawValue: request.words[2].lowercased()) else {
            return .failure(RequestError(.syntax, "unknown import kind \"\(request.words[2])\"; expected \(kinds)"))
        }
        var buffer = ImportBuffer(kind: kind, maxRows: maxRows, maxBytes: maxBytes)
        buffer.digester = ImportDigester(kind: kind.rawValue)
        return .success(buffer)
    }

    /// The dead import left by an `import begin` refused with `error`: its rows are dropped until
    /// `import commit` (refused with `error` again) or `import abort`.
    static func refused(_ request: Request, _ error: RequestError) -> ImportBuffer {
        let kind = request.words.count > 2 ? Kind(rawValue: request.words[2].lowercased()) : nil
        var buffer = ImportBuffer(kind: kind, maxRows: 1)
        buffer.refusal = error
        return buffer
    }

    /// What a client is told when its `import begin` is refused: why, and that its rows are dropped.
    static func refusalReply(_ error: RequestError) -> Reply {
        .error(error.code, "\(error.message); the rows that follow are discarded until import commit or import abort")
    }

    /// Takes one line received while the import is open.
    mutating func take(_ line: [UInt8]) -> Action {
        let parsed = line.withUnsafeBytes { RequestParser.parse($0) }
        if case .success(let request) = parsed {
            if request.words.isEmpty && request.options.isEmpty && request.requestToken == nil { return .buffered }
            if request.words.count >= 2, request.words[0].lowercased() == "import" {
                let verb = request.words[1].lowercased()
                // `req=` is not an option: `import commit req=TOKEN` is bare.
                let bare = request.words.count == 2 && request.options.isEmpty
                switch verb {
                case "commit" where bare:
                    if let refusal {
                        return .end(.error(refusal.code, "import refused when it began (\(refusal.message)); its \(received) rows were discarded; nothing was imported"))
                    }
                    if let overflow {
                        return .end(.error(.limit, "import aborted: \(overflow); nothing was imported"))
                    }
                    if var lines = relayed {
                        relayed = nil
                        let token = request.requestToken ?? relayToken
                        lines += Array("import commit req=\(LeaderLink.quoted(token))".utf8)
                        return .relay(lines: lines, token: token)
                    }
                    let taken = session!
                    session = nil
                    let token = request.requestToken.map { Token(token: $0, digest: (digester ?? ImportDigester(kind: kind?.rawValue ?? "")).finalize()) }
                    return .commit(session: taken, token: token)
                case "abort" where bare:
                    return .end(.ok(["aborted": String(received)]))
                case "begin":
                    if refusal != nil { return .beginAgain }
                    return .reply(.error(.conflict, "an import of \(kind?.rawValue ?? "rows") is already open; send its rows, then import commit or import abort"))
                default: break
                }
            }
        }
        received += 1
        if overflowed || refusal != nil { return .buffered }
        if received > maxRows {
            kill("more than \(maxRows) rows (max_import_rows)")
            return .buffered
        }
        if bytes + line.count > maxBytes {
            kill("more than \(maxBytes) bytes of rows (max_import_bytes)")
            return .buffered
        }
        bytes += line.count
        digester?.add(row: line)
        if relayed != nil {
            relayed!.append(contentsOf: line)
            relayed!.append(0x0A)
            return .buffered
        }
        switch parsed {
        case .success(var request):
            var number = received
            if let index = request.options.firstIndex(where: { $0.key == "line" }) {
                let value = request.options[index].value
                guard let given = Int(value), given > 0 else {
                    session!.refuse(line: received, message: "SYNTAX bad value \"\(value)\" for line; expected the row's line number")
                    return .buffered
                }
                number = given
                request.options.remove(at: index)
            }
            session!.add(line: number, request: request)
        case .failure(let error):
            session!.refuse(line: ImportBuffer.lineOption(in: line) ?? received, message: "\(error.code.rawValue) \(error.message)")
        }
        return .buffered
    }

    /// Whether `line` is `import commit` (which applies to the live state), without taking it.
    /// Asked of every row of an import: a row that does not start with the word `import` (after
    /// blanks, in any case) is answered from its first bytes, without parsing it (which cost a
    /// tenth of the loop's time in an import of 100,000 volunteers).
    static func isCommit(_ line: [UInt8]) -> Bool {
        var start = 0
        while start < line.count, line[start] == 0x20 || line[start] == 0x09 { start += 1 }
        let word = Array("import".utf8)
        guard line.count >= start + word.count else { return false }
        // A quoted first word ("import") is left to the parser.
        if line[start] != 0x22 {
            for (offset, letter) in word.enumerated() where line[start + offset] | 0x20 != letter { return false }
        }
        guard case .success(let request) = line.withUnsafeBytes({ RequestParser.parse($0) }) else { return false }
        return request.words.count == 2 && request.options.isEmpty && request.words[0].lowercased() == "import"
            && request.words[1].lowercased() == "commit"
    }

    /// The `line=N` of a row that did not parse, found by looking for ` line=` followed by digits.
    static func lineOption(in line: [UInt8]) -> Int? {
        let key = Array(" line=".utf8)
        guard line.count > key.count else { return nil }
        var start = 0
        while start + key.count <= line.count {
            if line[start..<(start + key.count)].elementsEqual(key) {
                var index = start + key.count
                var value = 0
                while index < line.count, line[index] >= 0x30, line[index] <= 0x39, value < 1 << 40 {
                    value = value * 10 + Int(line[index] - 0x30)
                    index += 1
                }
                if index > start + key.count, index == line.count || line[index] == 0x20, value > 0 { return value }
            }
            start += 1
        }
        return nil
    }
}

private extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
