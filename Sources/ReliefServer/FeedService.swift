import CLibUV
import ReliefCore
import ReliefEngine
import ReliefLimits
import ReliefProtocol

/// The event feed as the loop runs it (`watch`, docs/protocol.md "Event feed"): FeedHub decides
/// who is owed what; this sends it. A committed batch is turned into lines once per entry (and
/// once more without personal data, if a subscriber's role must not see it), then appended to
/// each subscriber's output; a subscriber further behind than the ring is read back from the store
/// on the feed's reader thread, a page at a time, each page once it has read most of the last.
final class FeedService {
    unowned let server: Server
    private(set) var hub: FeedHub
    private let reader: FeedReader?
    /// Output held for a subscriber past which it is cut off (`watch_max_output`).
    let maxOutput: Int
    /// A subscriber behind the live feed gets its next page once its output is below this.
    let refillBelow: Int
    /// Output held for all subscribers together past which the furthest behind are cut off.
    let totalLimit: Int
    /// Loop time (ms) of the last line sent to each subscriber, for heartbeats.
    private var lastLine: [Int: UInt64] = [:]
    /// Lines sent and subscribers cut off since start (`info`).
    private(set) var linesSent: Int64 = 0
    private(set) var cutOffs: Int64 = 0

    init(server: Server, committedSeq: Int64, maxOutput: Int, totalLimit: Int = Limits.watchOutputTotal, reader: FeedReader?) {
        self.server = server
        self.totalLimit = totalLimit
        self.hub = FeedHub(committedSeq: committedSeq)
        self.maxOutput = maxOutput
        self.refillBelow = max(maxOutput / 4, 16 << 10)
        self.reader = reader
    }

    var subscriberCount: Int { hub.subscribers.count }

    func stop() { reader?.stop() }

    // MARK: the journal

    func appended(_ entries: [Entry]) { hub.appended(entries) }
    func discarded(after seq: Int64) { hub.discarded(after: seq) }

    func reset(committedSeq seq: Int64) {
        hub.reset(committedSeq: seq)
        // Live subscribers are behind now: each reads what it is owed back from the store.
        for id in Array(hub.subscribers.keys) { advance(id) }
    }

    /// Everything up to `seq` is durable: live subscribers get what just committed.
    func committed(upTo seq: Int64) {
        let newly = hub.committed(upTo: seq)
        guard !newly.isEmpty, hub.hasSubscribers else { return }
        let owed = hub.liveDeliveries(of: newly)
        guard !owed.isEmpty else { return }
        send(newly.map(FeedRecord.init), to: owed)
    }

    // MARK: subscribers

    /// `watch …`: the connection becomes a subscriber, told where it starts, then sent what it is owed.
    func subscribe(_ request: Request, from connection: Connection, as principal: Principal) {
        switch server.engine.watchRequest(request, as: principal) {
        case .failure(let refusal):
            connection.send(.error(refusal.code, refusal.message), waitSeq: 0)
        case .success(let watch):
            connection.watching = true
            let start = min(watch.from ?? hub.committedSeq, hub.committedSeq)
            var fields: Fields = ["watching": watch.selection.description, "from": String(start)]
            fields.append("seq", String(hub.committedSeq))
            connection.send(.ok(fields), waitSeq: 0)
            lastLine[connection.id] = uv_now(server.loop)
            perform(hub.subscribe(connection.id, selection: watch.selection, personal: watch.personal, from: start), for: connection.id)
        }
    }

    func closed(_ connection: Connection) {
        guard connection.watching else { return }
        hub.unsubscribe(connection.id)
        lastLine[connection.id] = nil
    }

    /// The subscriber's socket took what was queued: a subscriber behind gets its next entries.
    func drained(_ connection: Connection) {
        advance(connection.id)
    }

    private func advance(_ id: Int) {
        guard let connection = server.connection(id), connection.machine.load < refillBelow else { return }
        perform(hub.ready(id), for: id)
    }

    private func perform(_ step: FeedHub.Step, for id: Int) {
        switch step {
        case .nothing:
            break
        case .send(let entries):
            send(entries.map(FeedRecord.init), to: [(id, 0)])
            advance(id)
        case .read(let after, let limit):
            guard let reader else {
                cut(id, because: "the store cannot be read back for the feed here")
                return
            }
            reader.submit(FeedReader.Job(subscriber: id, after: after, limit: limit))
        }
    }

    /// Pages read from the store (the reader's mailbox woke the loop).
    func drainReader() {
        guard let reader else { return }
        for result in reader.drainResults() {
            let id = result.job.subscriber
            switch result.records {
            case .failure(let error):
                if hub.pageRead(id, after: result.job.after, lastSeq: nil) != .drop {
                    cut(id, because: "reading the journal back failed: \(error.message)")
                }
            case .success(let records):
                switch hub.pageRead(id, after: result.job.after, lastSeq: records.last?.seq) {
                case .drop:
                    break
                case .missing:
                    cut(id, because: "the store holds no entry after seq \(result.job.after)")
                case .send:
                    send(records, to: [(id, 0)])
                    advance(id)
                }
            }
        }
    }

    /// Appends to each subscriber the lines of `records[from...]` its selection matches; a record's
    /// topic and lines are made once, whoever needs them.
    private func send(_ records: [FeedRecord], to owed: [(id: Int, from: Int)]) {
        let state = server.engine.state
        var topics = [FeedTopic??](repeating: nil, count: records.count)
        var lines = [[UInt8]?](repeating: nil, count: records.count)
        var masked = [[UInt8]?](repeating: nil, count: records.count)
        let now = uv_now(server.loop)
        for (id, from) in owed {
            guard let subscriber = hub.subscribers[id], subscriber.phase != .cutOff,
                  let connection = server.connection(id) else { continue }
            var out: [UInt8] = []
            var count = 0
            for index in from..<records.count {
                if topics[index] == nil { topics[index] = .some(state.feedTopic(of: records[index])) }
                guard let topic = topics[index]!, subscriber.selection.matches(topic, in: state) else { continue }
                if subscriber.personal {
                    if lines[index] == nil {
                        var line: [UInt8] = []
                        Engine.appendFeedLine(records[index], channel: topic.channel, personal: true, into: &line)
                        lines[index] = line
                    }
                    out.append(contentsOf: lines[index]!)
                } else {
                    if masked[index] == nil {
                        var line: [UInt8] = []
                        Engine.appendFeedLine(records[index], channel: topic.channel, personal: false, into: &line)
                        masked[index] = line
                    }
                    out.append(contentsOf: masked[index]!)
                }
                count += 1
            }
            guard count > 0 else { continue }
            linesSent += Int64(count)
            lastLine[id] = now
            connection.push(out)
            if connection.machine.load > maxOutput {
                cut(id, because: "it fell behind: \(connection.machine.load) bytes not read (watch_max_output \(maxOutput))")
            }
        }
        limitTotal()
    }

    /// All subscribers together may hold `totalLimit`: past it, those furthest behind are cut off.
    private func limitTotal() {
        var held: [(id: Int, load: Int)] = []
        var total = 0
        for (id, subscriber) in hub.subscribers where subscriber.phase != .cutOff {
            guard let load = server.connection(id)?.machine.load else { continue }
            held.append((id, load))
            total += load
        }
        guard total > totalLimit else { return }
        for (id, load) in held.sorted(by: { $0.load > $1.load }) where total > totalLimit {
            cut(id, because: "subscribers together hold \(total) bytes not read, more than \(totalLimit); this one held the most (\(load))")
            total -= load
        }
    }

    /// Ends a subscription with a last line saying why and where to resume.
    private func cut(_ id: Int, because reason: String) {
        guard let subscriber = hub.subscribers[id] else { return }
        hub.cutOff(id)
        cutOffs += 1
        guard let connection = server.connection(id) else { return }
        server.logger.warning("watch subscriber cut off", metadata: [
            "client": "\(id)", "peer": "\(connection.peer)", "reason": "\(reason)", "cursor": "\(subscriber.cursor)",
        ])
        connection.sendAndClose(.error(.limit, "watch cut off: \(reason); resume with watch … from= the seq of the last EVENT received"),
                                reason: "watch cut off")
    }

    /// Once a second: a subscriber sent nothing for a while gets `HEARTBEAT seq=…` (the seq it has
    /// been sent or passed over everything up to), so it knows where to resume and a dead peer's
    /// socket fails.
    func tick(now: UInt64) {
        for (id, last) in lastLine where now &- last >= Limits.feedHeartbeatMilliseconds {
            guard let subscriber = hub.subscribers[id], subscriber.phase == .live, let connection = server.connection(id) else { continue }
            lastLine[id] = now
            connection.push(Array("HEARTBEAT seq=\(subscriber.cursor)\n".utf8))
        }
    }
}
