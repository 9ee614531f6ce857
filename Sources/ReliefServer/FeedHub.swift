import ReliefCore
import ReliefLimits

/// The event feed's bookkeeping apart from I/O (the server performs what it decides): the entries
/// written and not yet committed, a ring of the latest committed ones, and where each subscriber
/// is. Every subscriber gets every committed entry after its cursor exactly once and in seq
/// order: while live, as each batch commits; when further behind than the ring reaches, a page at
/// a time read back from the store, then from the ring, then live again.
struct FeedHub {
    enum Phase: Equatable {
        /// Gets each batch as it commits.
        case live
        /// Its next page is being read from the store.
        case reading
        /// Behind the live feed: it gets its next entries (from the ring or a page from the store)
        /// once it has read most of what it was sent (`ready`).
        case behind
        /// Cut off: gets nothing more.
        case cutOff
    }

    struct Subscriber: Equatable {
        var selection: FeedSelection
        /// Whether its lines carry personal data (its role sees it).
        var personal: Bool
        /// The last seq it was sent or passed over: it is owed every matching entry after this.
        var cursor: Int64
        var phase: Phase
    }

    /// What the server is to do for one subscriber.
    enum Step: Equatable {
        case nothing
        /// Send these committed entries (those its selection matches), in order; it is live now.
        case send([Entry])
        /// Read the page of entries after `after` from the store (then `pageRead`).
        case read(after: Int64, limit: Int)
    }

    private(set) var committedSeq: Int64
    /// Entries written and not yet committed, in seq order, all after `committedSeq`.
    private var uncommitted: [Entry] = []
    private var uncommittedHead = 0
    /// The latest committed entries: seqs `committedSeq - ring.count + 1 ... committedSeq`.
    private var ring: [Entry] = []
    private var ringStart = 0
    let ringCapacity: Int
    let pageEntries: Int
    private(set) var subscribers: [Int: Subscriber] = [:]

    init(committedSeq: Int64, ringCapacity: Int = Limits.feedRingEntries, pageEntries: Int = Limits.feedPageEntries) {
        precondition(ringCapacity > 0 && pageEntries > 0)
        self.committedSeq = committedSeq
        self.ringCapacity = ringCapacity
        self.pageEntries = pageEntries
    }

    /// The oldest seq the ring holds (committedSeq + 1 when it is empty).
    var ringFirstSeq: Int64 { committedSeq - Int64(ring.count) + 1 }
    var ringCount: Int { ring.count }
    var hasSubscribers: Bool { !subscribers.isEmpty }

    // MARK: the journal

    /// Entries the loop wrote (they commit in this order).
    /// Entries that do not follow what it holds (cannot happen while every write goes through
    /// here) are not a reason to stop the daemon: what it held is dropped, and `committed` finds
    /// the gap and sends live subscribers back to the store, which has every entry.
    mutating func appended(_ entries: [Entry]) {
        guard let first = entries.first else { return }
        let expected = (uncommittedHead < uncommitted.count ? uncommitted.last!.seq : committedSeq) + 1
        if first.seq != expected {
            uncommitted = []
            uncommittedHead = 0
        }
        uncommitted.append(contentsOf: entries)
    }

    /// Entries after `seq` were lost with a failed commit: they never happened.
    mutating func discarded(after seq: Int64) {
        while uncommitted.count > uncommittedHead, uncommitted.last!.seq > seq { uncommitted.removeLast() }
    }

    /// The state was loaded again from the store, up to `seq`: what the ring and the queue held may
    /// not be what the store has, so both are dropped, and every live subscriber catches up from
    /// the store.
    mutating func reset(committedSeq seq: Int64) {
        uncommitted = []
        uncommittedHead = 0
        ring = []
        ringStart = 0
        committedSeq = seq
        for id in Array(subscribers.keys) where subscribers[id]!.phase == .live {
            subscribers[id]!.phase = .behind
        }
    }

    /// The commit of everything up to `seq` is durable. Returns the entries that just committed
    /// (when `returning`; nobody needs them while nobody watches); every live subscriber is owed
    /// those after its cursor (`liveCursor`), and its cursor moves. Only the newest `ringCapacity`
    /// of them go into the ring: a commit of an import of 2,200,000 entries copies 16,384, not all.
    mutating func committed(upTo seq: Int64, returning: Bool = true) -> [Entry] {
        guard seq > committedSeq else { return [] }
        let start = uncommittedHead
        var end = start
        while end < uncommitted.count, uncommitted[end].seq <= seq { end += 1 }
        let complete = end - start == Int(seq - committedSeq) && (end == start || uncommitted[start].seq == committedSeq + 1)
        let newly = complete && returning ? Array(uncommitted[start..<end]) : []
        if complete {
            for index in max(start, end - ringCapacity)..<end { push(uncommitted[index]) }
        }
        uncommittedHead = end
        if uncommittedHead == uncommitted.count {
            uncommitted.removeAll(keepingCapacity: uncommitted.capacity <= 4096)
            uncommittedHead = 0
        } else if uncommittedHead > 4096 {
            uncommitted.removeFirst(uncommittedHead)
            uncommittedHead = 0
        }
        if !complete {
            // Entries the loop did not see written (cannot happen while every write goes through
            // `appended`): the ring would have a gap, so it starts again from here.
            ring = []
            ringStart = 0
            committedSeq = seq
            for id in Array(subscribers.keys) where subscribers[id]!.phase == .live { subscribers[id]!.phase = .behind }
            return []
        }
        committedSeq = seq
        return newly
    }

    private mutating func push(_ entry: Entry) {
        if ring.count < ringCapacity {
            ring.append(entry)
        } else {
            ring[ringStart] = entry
            ringStart = (ringStart + 1) % ringCapacity
        }
    }

    /// The ring's entries after `seq`, up to `committedSeq`; nil when the ring does not reach back
    /// to `seq + 1`.
    func ringEntries(after seq: Int64) -> [Entry]? {
        guard seq >= ringFirstSeq - 1 else { return nil }
        guard seq < committedSeq else { return [] }
        let skip = Int(seq - ringFirstSeq + 1)
        return (skip..<ring.count).map { ring[(ringStart + $0) % ring.count] }
    }

    // MARK: subscribers

    /// A new subscriber, owed every matching entry after `from` (nil: from now on).
    mutating func subscribe(_ id: Int, selection: FeedSelection, personal: Bool, from: Int64?) -> Step {
        subscribers[id] = Subscriber(selection: selection, personal: personal, cursor: min(from ?? committedSeq, committedSeq), phase: .behind)
        return ready(id)
    }

    mutating func unsubscribe(_ id: Int) {
        subscribers[id] = nil
    }

    /// Live subscribers owed `entries` (which just committed), each with what it is owed: the
    /// entries after its cursor. Their cursors move to `committedSeq`.
    mutating func liveDeliveries(of entries: [Entry]) -> [(id: Int, from: Int)] {
        guard let first = entries.first?.seq else { return [] }
        var owed: [(id: Int, from: Int)] = []
        for (id, subscriber) in subscribers where subscriber.phase == .live {
            let skip = max(0, Int(subscriber.cursor - first + 1))
            if skip < entries.count { owed.append((id, skip)) }
            subscribers[id]!.cursor = max(subscriber.cursor, committedSeq)
        }
        return owed
    }

    /// The subscriber has read most of what it was sent: if it is behind, its next entries.
    mutating func ready(_ id: Int) -> Step {
        guard var subscriber = subscribers[id], subscriber.phase == .behind else { return .nothing }
        defer { subscribers[id] = subscriber }
        if subscriber.cursor >= committedSeq {
            subscriber.phase = .live
            return .nothing
        }
        if let entries = ringEntries(after: subscriber.cursor) {
            subscriber.cursor = committedSeq
            subscriber.phase = .live
            return .send(entries)
        }
        subscriber.phase = .reading
        return .read(after: subscriber.cursor, limit: pageEntries)
    }

    enum PageOutcome: Equatable {
        /// The subscriber is gone, cut off, or elsewhere: drop the page.
        case drop
        /// Send the page's matching entries, then `ready` once the subscriber has read them.
        case send
        /// The store has nothing after the cursor although the loop committed past it: the
        /// subscriber cannot be given what it is owed (it is cut off).
        case missing
    }

    /// A page read from the store for `id`, after `after`, whose last seq is `lastSeq` (nil: the
    /// store had no entry after the cursor).
    mutating func pageRead(_ id: Int, after: Int64, lastSeq: Int64?) -> PageOutcome {
        guard var subscriber = subscribers[id], subscriber.phase == .reading, subscriber.cursor == after else { return .drop }
        guard let lastSeq, lastSeq > after else {
            subscriber.phase = .cutOff
            subscribers[id] = subscriber
            return .missing
        }
        subscriber.phase = .behind
        subscriber.cursor = lastSeq
        subscribers[id] = subscriber
        return .send
    }

    /// The subscriber fell behind while live (or could not be read for): nothing more for it.
    mutating func cutOff(_ id: Int) {
        subscribers[id]?.phase = .cutOff
    }
}
