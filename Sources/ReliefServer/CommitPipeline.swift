import ReliefCore
import ReliefLimits

/// The group-commit pipeline as a value-type state machine, apart from all I/O.
///
/// Entries produced during one loop turn collect in `pending`; at the end of the turn they leave as
/// one batch when no commit is in flight (one commit in flight at a time; the next batch collects
/// meanwhile). Replies wait until `committedSeq` covers them. A failed commit makes the store
/// unavailable: the batch in flight and everything collected after it are lost, and writes are
/// refused until the store has recovered.
///
/// The entries of one request (one `enqueue`) are not split between two commits when there are at
/// most `maxRequest` of them (the store's limit on one transaction), so such a request — a bulk
/// import included — is durable whole or not at all. A larger request is committed in slices of
/// `maxRequest`, one after the other; a crash between them leaves its first slices durable.
struct CommitPipeline {
    private(set) var committedSeq: Int64
    private(set) var pending: [Entry] = []
    /// Counts of the requests in `pending`, oldest first (ring: `groups[groupsHead...]`).
    private var groups: [Int] = []
    private var groupsHead = 0
    /// Last seq of the batch being committed, if any.
    private(set) var inFlightUpTo: Int64?
    private(set) var available = true
    /// Batches and entries committed since start, for `info`.
    private(set) var batches: Int64 = 0
    private(set) var entriesCommitted: Int64 = 0
    /// Bound on one batch; a turn that produced more leaves the rest for the next commit. A single
    /// request larger than this goes alone in one batch.
    let maxBatch: Int
    /// Bound on one commit whatever the requests (the store's transaction limit).
    let maxRequest: Int

    init(committedSeq: Int64, maxBatch: Int = Limits.commitBatchEntries, maxRequest: Int = Limits.transactionEntries) {
        precondition(maxBatch > 0 && maxRequest >= maxBatch)
        self.committedSeq = committedSeq
        self.maxBatch = maxBatch
        self.maxRequest = maxRequest
    }

    var isIdle: Bool { pending.isEmpty && inFlightUpTo == nil }

    /// Entries written and not yet durable: the batch in flight and those collecting behind it.
    var uncommitted: Int { Int((inFlightUpTo ?? committedSeq) - committedSeq) + pending.count }

    mutating func enqueue(_ entries: [Entry]) {
        precondition(available, "entries enqueued while the store is unavailable")
        if let last = pending.last, let first = entries.first {
            precondition(first.seq == last.seq + 1, "gap in entry sequence")
        }
        guard !entries.isEmpty else { return }
        pending.append(contentsOf: entries)
        groups.append(entries.count)
    }

    /// At the end of a loop turn: the batch to hand to the writer, if one should go now.
    mutating func takeBatch() -> [Entry]? {
        guard available, inFlightUpTo == nil, !pending.isEmpty else { return nil }
        let batch: [Entry]
        if pending.count <= maxBatch {
            batch = pending
            pending.removeAll(keepingCapacity: true)
            groups.removeAll(keepingCapacity: true)
            groupsHead = 0
        } else {
            // Whole requests up to maxBatch entries, and at least the first request (up to maxRequest).
            var count: Int
            if groups[groupsHead] > maxRequest {
                count = maxRequest
                groups[groupsHead] -= maxRequest
            } else {
                count = groups[groupsHead]
                groupsHead += 1
                while groupsHead < groups.count, count + groups[groupsHead] <= maxBatch {
                    count += groups[groupsHead]
                    groupsHead += 1
                }
            }
            batch = Array(pending[..<count])
            pending.removeFirst(count)
            if groupsHead > 1024 {
                groups.removeFirst(groupsHead)
                groupsHead = 0
            }
        }
        inFlightUpTo = batch.last!.seq
        return batch
    }

    /// A request whose entries were written ahead (staged) while it arrived goes to the writer whole
    /// as the batch in flight, past `pending`. Only when nothing else is pending or in flight, which
    /// holds while its staging lasts (any other write ends the staging).
    mutating func takeStaged(_ entries: [Entry]) {
        precondition(available && isIdle, "a staged request committed behind other writes")
        precondition(entries.first?.seq == committedSeq + 1, "gap in entry sequence")
        inFlightUpTo = entries.last!.seq
    }

    /// The writer committed the batch in flight.
    mutating func committed(upTo seq: Int64, count: Int) {
        precondition(inFlightUpTo == seq, "commit of \(seq) acknowledged but \(String(describing: inFlightUpTo)) in flight")
        committedSeq = seq
        inFlightUpTo = nil
        batches += 1
        entriesCommitted += Int64(count)
    }

    /// The writer failed to commit the batch in flight. Returns the number of entries lost (the
    /// batch and everything queued after it); their replies must become errors.
    mutating func failed() -> Int {
        let lost = Int((inFlightUpTo ?? committedSeq) - committedSeq) + pending.count
        inFlightUpTo = nil
        pending.removeAll()
        groups.removeAll()
        groupsHead = 0
        available = false
        return lost
    }

    /// The store works again and the state was reloaded from it, up to `seq`.
    mutating func recovered(committedSeq seq: Int64) {
        precondition(isIdle)
        committedSeq = seq
        available = true
    }
}
