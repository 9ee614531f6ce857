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
        for sent in outstanding { if let sent, sent.isWrite { unknown.append(sent) } }
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
        switch random.int(0...9) {
        case 0...3:
            sent = Sent(text: "stock receive \(warehouse) water \(random.int(1...5)) lot=L\(token) donor=\"Donor \(id)\" req=\(token)",
                        token: token, isWrite: true)
        case 4...5:
            sent = Sent(text: "stock issue \(warehouse) water \(random.int(1...4)) to=\"Camp \(id)\" req=\(token)", token: token, isWrite: true)
        case 6:
            sent = Sent(text: "stock transfer wh-a wh-b water \(random.int(1...3)) req=\(token)", token: token, isWrite: true)
        case 7:
            sent = Sent(text: "stock query item=water", token: nil, isWrite: false)
        case 8:
            sent = Sent(text: "stock lots warehouse=\(warehouse)", token: nil, isWrite: false)
        default:
            // A write refused by the engine: still answered, in order, and changing nothing.
            sent = Sent(text: "stock issue \(warehouse) water 1000000 req=\(token)", token: token, isWrite: true)
        }
        outstanding.append(sent)
        return sent
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
            if let request, request.isWrite, case .error(let code, _) = reply, code == "UNAVAILABLE" {
                unknown.append(request)
            }
            answered.append((request ?? Sent(text: "junk", token: nil, isWrite: false), reply))
        }
        return answered
    }
}
