import CLibUV
import ReliefCore
import ReliefEngine
import ReliefHTTP
import ReliefLimits
import ReliefProtocol

/// How a subscriber takes the feed: lines on the control socket (`watch`), or server-sent events
/// over HTTP (the situation board's `/board/events`).
enum FeedFormat: Int {
    case lines = 0
    case events = 1
}

/// Where one subscriber's feed goes.
protocol FeedSink: AnyObject {
    var feedFormat: FeedFormat { get }
    /// Bytes sent and not yet taken by the peer (what the output limits count).
    var heldBytes: Int { get }
    /// For the log.
    var peerName: String { get }
    func pushFeed(_ bytes: [UInt8])
    /// Ends the subscription with a last word saying why and where to resume.
    func cutFeed(_ reason: String, resumeAfter seq: Int64)
}

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
    /// Where each subscriber's feed goes, by its id (a connection's id; HTTP streams count down from -1).
    private var sinks: [Int: any FeedSink] = [:]
    private var nextStreamID = -1
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

    /// Subscribers being fed (not those cut off whose peer has not gone yet).
    var subscriberCount: Int { hub.subscribers.values.reduce(0) { $0 + ($1.phase == .cutOff ? 0 : 1) } }

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
        let newly = hub.committed(upTo: seq, returning: hub.hasSubscribers)
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
            attach(connection.id, connection, watch, from: start)
        }
    }

    /// `/board/events`: the same feed as server-sent events. `request` is the `watch` the stream's
    /// query and Last-Event-ID amount to; `pipe` is made with the id it is given (its callbacks
    /// come back to the loop with it).
    func subscribeStream(_ request: Request, as principal: Principal, peer: String,
                         pipe makePipe: (Int) -> HTTPEventPipe) -> Result<HTTPEventPipe, WatchRefusal> {
        switch server.engine.watchRequest(request, as: principal) {
        case .failure(let refusal):
            return .failure(refusal)
        case .success(let watch):
            let id = nextStreamID
            nextStreamID = nextStreamID == Int.min ? -1 : nextStreamID - 1
            let pipe = makePipe(id)
            let start = min(watch.from ?? hub.committedSeq, hub.committedSeq)
            var hello: [UInt8] = Array("retry: 3000\nevent: watching\ndata: ".utf8)
            hello += Array("{\"watching\":".utf8)
            JSONText.append(watch.selection.description, into: &hello)
            hello += Array(",\"from\":\(start),\"seq\":\(hub.committedSeq)}\n\n".utf8)
            pipe.yield(hello)
            attach(id, EventStreamSink(pipe: pipe, peer: peer), watch, from: start)
            return .success(pipe)
        }
    }

    private func attach(_ id: Int, _ sink: any FeedSink, _ watch: WatchRequest, from start: Int64) {
        sinks[id] = sink
        lastLine[id] = uv_now(server.loop)
        perform(hub.subscribe(id, selection: watch.selection, personal: watch.personal, from: start), for: id)
    }

    func closed(_ connection: Connection) {
        guard connection.watching else { return }
        unsubscribe(connection.id)
    }

    /// A subscriber is gone (its connection closed, its HTTP stream ended).
    func unsubscribe(_ id: Int) {
        guard sinks.removeValue(forKey: id) != nil else { return }
        hub.unsubscribe(id)
        lastLine[id] = nil
    }

    /// At shutdown: event streams end (their HTTP responses finish); connections close on their own.
    func finishStreams() {
        for (id, sink) in sinks {
            guard let stream = sink as? EventStreamSink else { continue }
            stream.pipe.finish()
            unsubscribe(id)
        }
    }

    /// The subscriber's peer took what was queued: a subscriber behind gets its next entries.
    func drained(_ id: Int) {
        advance(id)
    }

    private func advance(_ id: Int) {
        guard let sink = sinks[id], sink.heldBytes < refillBelow else { return }
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

    /// What subscribers with the same selection, masking and format are sent from the same record
    /// on: the same bytes.
    private struct Batch: Hashable {
        var selection: FeedSelection
        var personal: Bool
        var format: FeedFormat
        var from: Int
    }

    /// Appends to each subscriber the lines of `records[from...]` its selection matches. A record's
    /// topic and lines are made once, whoever needs them (once per format, with and without
    /// personal data), and the bytes for one selection once: a hundred screens following the same
    /// channels get the same array, which their connections share until written.
    private func send(_ records: [FeedRecord], to owed: [(id: Int, from: Int)]) {
        let state = server.engine.state
        var topics = [FeedTopic??](repeating: nil, count: records.count)
        // By 2 × format + personal: lines and events, each without and with personal data.
        var encoded = [[[UInt8]?]](repeating: [[UInt8]?](repeating: nil, count: records.count), count: 4)
        var batches: [Batch: (bytes: [UInt8], count: Int)] = [:]
        let now = uv_now(server.loop)
        for (id, from) in owed {
            guard let subscriber = hub.subscribers[id], subscriber.phase != .cutOff, let sink = sinks[id] else { continue }
            let format = sink.feedFormat
            let key = Batch(selection: subscriber.selection, personal: subscriber.personal, format: format, from: from)
            if batches[key] == nil {
                let variant = 2 * format.rawValue + (subscriber.personal ? 1 : 0)
                var out: [UInt8] = []
                var count = 0
                for index in from..<records.count {
                    if topics[index] == nil { topics[index] = .some(state.feedTopic(of: records[index])) }
                    guard let topic = topics[index]!, subscriber.selection.matches(topic, in: state) else { continue }
                    if encoded[variant][index] == nil {
                        var line: [UInt8] = []
                        switch format {
                        case .lines: Engine.appendFeedLine(records[index], channel: topic.channel, personal: subscriber.personal, into: &line)
                        case .events: Engine.appendFeedEvent(records[index], channel: topic.channel, personal: subscriber.personal, into: &line)
                        }
                        encoded[variant][index] = line
                    }
                    out.append(contentsOf: encoded[variant][index]!)
                    count += 1
                }
                batches[key] = (out, count)
            }
            let (out, count) = batches[key]!
            guard count > 0 else { continue }
            linesSent += Int64(count)
            lastLine[id] = now
            sink.pushFeed(out)
            if sink.heldBytes > maxOutput {
                cut(id, because: "it fell behind: \(sink.heldBytes) bytes not read (watch_max_output \(maxOutput))")
            }
        }
        limitTotal()
    }

    /// All subscribers together may hold `totalLimit`: past it, those furthest behind are cut off.
    private func limitTotal() {
        var held: [(id: Int, load: Int)] = []
        var total = 0
        for (id, subscriber) in hub.subscribers where subscriber.phase != .cutOff {
            guard let load = sinks[id]?.heldBytes else { continue }
            held.append((id, load))
            total += load
        }
        guard total > totalLimit else { return }
        for (id, load) in held.sorted(by: { $0.load > $1.load }) where total > totalLimit {
            cut(id, because: "subscribers together hold \(total) bytes not read, more than \(totalLimit); this one held the most (\(load))")
            total -= load
        }
    }

    /// Ends a subscription with a last word saying why and where to resume.
    private func cut(_ id: Int, because reason: String) {
        guard let subscriber = hub.subscribers[id] else { return }
        hub.cutOff(id)
        cutOffs += 1
        guard let sink = sinks[id] else { return }
        server.logger.warning("watch subscriber cut off", metadata: [
            "client": "\(id)", "peer": "\(sink.peerName)", "reason": "\(reason)", "cursor": "\(subscriber.cursor)",
        ])
        sink.cutFeed(reason, resumeAfter: subscriber.cursor)
    }

    /// Once a second: a subscriber sent nothing for a while gets `HEARTBEAT seq=…` (the seq it has
    /// been sent or passed over everything up to), so it knows where to resume and a dead peer's
    /// socket fails.
    func tick(now: UInt64) {
        for (id, last) in lastLine where now &- last >= Limits.feedHeartbeatMilliseconds {
            guard let subscriber = hub.subscribers[id], subscriber.phase == .live, let sink = sinks[id] else { continue }
            lastLine[id] = now
            switch sink.feedFormat {
            case .lines: sink.pushFeed(Array("HEARTBEAT seq=\(subscriber.cursor)\n".utf8))
            // A comment, and the seq as the stream's last event id (no event is dispatched for it).
            case .events: sink.pushFeed(Array(": heartbeat\nid: \(subscriber.cursor)\n\n".utf8))
            }
        }
    }
}

extension Connection: FeedSink {
    var feedFormat: FeedFormat { .lines }
    var heldBytes: Int { machine.load }
    var peerName: String { peer }
    func pushFeed(_ bytes: [UInt8]) { push(bytes) }
    func cutFeed(_ reason: String, resumeAfter seq: Int64) {
        sendAndClose(.error(.limit, "watch cut off: \(reason); resume with watch … from= the seq of the last EVENT received"),
                     reason: "watch cut off")
    }
}

/// A subscriber over HTTP: server-sent events into the response's pipe.
final class EventStreamSink: FeedSink {
    let pipe: HTTPEventPipe
    let peerName: String
    init(pipe: HTTPEventPipe, peer: String) { self.pipe = pipe; self.peerName = "http:" + peer }
    var feedFormat: FeedFormat { .events }
    var heldBytes: Int { pipe.held }
    func pushFeed(_ bytes: [UInt8]) { pipe.yield(bytes) }
    /// A `cutoff` event, then the stream ends; the browser reconnects after `retry:` with
    /// Last-Event-ID and resumes, so a board that fell behind catches up by itself.
    func cutFeed(_ reason: String, resumeAfter seq: Int64) {
        var out = Array("event: cutoff\ndata: {\"reason\":".utf8)
        JSONText.append("cut off: " + reason, into: &out)
        out += Array(",\"resume\":\(seq)}\n\n".utf8)
        pipe.cut(out)
    }
}
