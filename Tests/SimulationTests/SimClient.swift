import ReliefCore
import ReliefProtocol

/// One simulated client: it pipelines requests, matches each reply to the request it answers (the
/// protocol answers in order), and remembers the writes whose outcome it does not know — the
/// connection dropped, the process died, or the store answered UNAVAILABLE — to send them again
/// with the same `req=` token, as a careful client must.
struct SimClient {
    let id: Int
    var stalled = false
    /// Requests sent on the current connection and not yet answered, oldest first; nil for junk
    /// that is answered with an error (or not at all, for bytes the framer drops).
    private var outstanding: [Sent?] = []
    private var reader = ReplyReader()
    /// Writes to send again: their outcome is unknown.
    private var unknown: [Sent] = []
    private var counter = 0

    struct Sent {
        var text: String
        var token: String?
        var isWrite: Bool
        var isRetry = false
        /// For `import commit`: the volunteers its rows add, all or none.
        var imports: [String] = []
        /// For `import commit`: a row is bad, so the import must be refused whole.
        var importHasBadRow = false
        /// A write whose unknown outcome the client resolves by sending it again (it has a token).
        var retryable: Bool { isWrite && token != nil }
    }

    init(id: Int) { self.id = id }

    /// Replies still owed on this connection.
    var owed: Int { outstanding.count }

    mutating func connected() {
        outstanding.removeAll()
        reader = ReplyReader()
    }

    /// The connection is gone: the writes it had out have an unknown outcome.
    mutating func disconnected() {
        for sent in outstanding { if let sent, sent.retryable { unknown.append(sent) } }
        outstanding.removeAll()
        stalled = false
    }

    mutating func sentUnanswerable() {
        outstanding.append(nil)
    }

    mutating func nextRequest(_ random: inout SplitMix64) -> Sent {
        if !unknown.isEmpty, random.int(0...2) == 0 {
            var retry = unknown.removeFirst()
            retry.isRetry = true
            outstanding.append(retry)
            return retry
        }
        counter += 1
        let token = "c\(id)-\(counter)"
        let warehouse = random.int(0...1) == 0 ? "wh-a" : "wh-b"
        let sent: Sent
        // Matching is costly to compute (and a debug build is slow at it): a plan now and then.
        switch random.int(0...39) {
        case 0...15:
            sent = Sent(text: "stock receive \(warehouse) water \(random.int(1...5)) lot=L\(token) donor=\"Donor \(id)\" req=\(token)",
                        token: token, isWrite: true)
        case 16...23:
            sent = Sent(text: "stock issue \(warehouse) water \(random.int(1...4)) to=\"Camp \(id)\" req=\(token)", token: token, isWrite: true)
        case 24...27:
            sent = Sent(text: "stock transfer wh-a wh-b water \(random.int(1...3)) req=\(token)", token: token, isWrite: true)
        case 28...31:
            sent = Sent(text: "stock query item=water", token: nil, isWrite: false)
        case 32...35:
            sent = Sent(text: "stock lots warehouse=\(warehouse)", token: nil, isWrite: false)
        case 36...37:
            // A write refused by the engine: still answered, in order, and changing nothing.
            sent = Sent(text: "stock issue \(warehouse) water 1000000 req=\(token)", token: token, isWrite: true)
        case 38:
            // Always computed off the loop: a plan for the incident, recorded if the state still allows.
            sent = Sent(text: "match flood req=\(token)", token: token, isWrite: true)
        default:
            sent = Sent(text: "need add flood supply water \(random.int(1...30)) priority=\(random.int(1...3)) req=\(token)", token: token, isWrite: true)
        }
        outstanding.append(sent)
        return sent
    }

    /// An import of a few volunteers: `import begin`, its rows (answered only by the commit), and
    /// `import commit` — or `import abort`, or a drop half-way that the simulation may cause.
    mutating func nextImport(_ random: inout SplitMix64) -> [String] {
        counter += 1
        let batch = "i\(id)-\(counter)"
        let count = random.int(1...12)
        let bad = random.int(0...7) == 0 ? random.int(0...(count - 1)) : -1
        var lines = ["import begin volunteers"]
        outstanding.append(Sent(text: lines[0], token: nil, isWrite: false))
        var ids: [String] = []
        for n in 0..<count {
            let volunteer = "v-\(batch)-\(n)"
            ids.append(volunteer)
            lines.append("volunteer add \(volunteer) name=\"Volunteer \(n)\" region=\(n == bad ? "zz" : "sx") at=37.8,112.5 line=\(n + 2)")
        }
        if random.int(0...9) == 0 {
            lines.append("import abort")
            outstanding.append(Sent(text: "import abort", token: nil, isWrite: false, imports: ids))
        } else {
            lines.append("import commit")
            outstanding.append(Sent(text: "import commit", token: nil, isWrite: true, imports: ids, importHasBadRow: bad >= 0))
        }
        return lines
    }

    /// Bytes from the server: the replies, each with the request it answers.
    mutating func receive(_ bytes: [UInt8]) -> [(Sent?, ReplyReader.Parsed)] {
        let replies = bytes.withUnsafeBytes { reader.feed($0) }
        var answered: [(Sent?, ReplyReader.Parsed)] = []
        for reply in replies {
            guard !outstanding.isEmpty else {
                answered.append((nil, reply))
                continue
            }
            let request = outstanding.removeFirst()
            if let request, request.retryable, case .error(let code, _) = reply, code == "UNAVAILABLE" {
                unknown.append(request)
            }
            answered.append((request ?? Sent(text: "junk", token: nil, isWrite: false), reply))
        }
        return answered
    }
}
