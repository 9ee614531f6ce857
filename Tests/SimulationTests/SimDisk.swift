import ReliefCore
@testable import ReliefServer
@testable import ReliefStore

/// The store as the simulation sees it: what is durable (the journal and stored snapshots), whether
/// it is reachable, and the jobs the server handed it, done in order after a simulated latency.
/// Faults come from the simulation's one random source: a commit that fails without writing, one
/// that writes and still reports failure (an fsync error, a connection lost after COMMIT), a store
/// that goes away for a while.
struct SimDisk {
    private(set) var journal: [Entry] = []
    /// Stored snapshots: the seq each was taken at and its text.
    private(set) var snapshots: [(seq: Int64, text: String)] = []
    /// Until this simulated time the store is unreachable: commits and re-reads fail.
    var downUntil: UInt64 = 0
    /// PostgreSQL mode: the lock session holding the leader lock (its backend pid), if any.
    var lockOwner: Int32?
    /// `req=` tokens completed in the durable journal, per actor: each must be there at most once.
    private(set) var tokens: [String: Int] = [:]
    /// Volunteers added in the durable journal (imports apply whole or not at all).
    private(set) var volunteers: Set<String> = []

    var lastSeq: Int64 { journal.last?.seq ?? 0 }

    struct Job {
        var due: UInt64
        var work: StoreWorker.Job
        /// Decided when the job was handed over, from the simulation's random source.
        var fate: Fate
    }

    enum Fate { case normal, fail, torn }

    private(set) var queue: [Job] = []

    /// A snapshot stored (PostgreSQL mode: the leader writes it directly).
    mutating func storeSnapshot(_ state: State) -> SnapshotSeal {
        let text = state.snapshotText()
        snapshots.append((state.lastSeq, text))
        return SnapshotSeal(snapshotSeq: state.lastSeq, text: text)
    }

    mutating func submit(_ work: StoreWorker.Job, due: UInt64, fate: Fate) {
        // The writer is one thread: jobs finish in order, never before the one ahead of them.
        queue.append(Job(due: max(due, queue.last?.due ?? 0), work: work, fate: fate))
    }

    /// The next job whose time has come, done: its result for the server (nil for a job that
    /// reports nothing).
    mutating func finishNext(now: UInt64) -> StoreWorker.Result?? {
        guard let job = queue.first, job.due <= now else { return nil }
        queue.removeFirst()
        let down = now < downUntil
        switch job.work {
        case .commit(let entries), .commitStaged(let entries):
            if down { return .some(.commitFailed("simulated store unreachable")) }
            if job.fate == .fail { return .some(.commitFailed("simulated I/O error")) }
            guard entries.first?.seq == lastSeq + 1 else {
                return .some(.commitFailed("entry seq \(entries.first?.seq ?? 0) does not follow the journal's last seq \(lastSeq)"))
            }
            append(entries)
            if job.fate == .torn { return .some(.commitFailed("simulated fsync error after the write")) }
            return .some(.committed(upTo: entries.last!.seq, count: entries.count, microseconds: 100))
        case .snapshot(let state):
            guard !down, state.lastSeq <= lastSeq else { return .some(.snapshotFailed("simulated: snapshot past the journal or store unreachable")) }
            let text = state.snapshotText()
            snapshots.append((state.lastSeq, text))
            return .some(.snapshotWritten(seal: SnapshotSeal(snapshotSeq: state.lastSeq, text: text), bytes: text.utf8.count,
                                          encodeMicroseconds: 0, storeMicroseconds: 0))
        case .recover:
            if down { return .some(.recoveryFailed("simulated store unreachable")) }
            do {
                let state = try rebuild()
                return .some(.recovered(state, writable: true, snapshotSeq: 0, snapshotCovers: 0))
            } catch {
                return .some(.recoveryFailed("\(error)"))
            }
        case .stop:
            return .some(.stopped)
        case .stage, .discardStaged, .storeSnapshot:
            return .some(nil)
        }
    }

    /// The process died: jobs handed over are gone, except that a commit the store was writing
    /// may have reached it (`landed`).
    mutating func crash(inFlightCommitLanded landed: Bool) {
        if landed, let job = queue.first, case .commit(let entries) = job.work, entries.first?.seq == lastSeq + 1 {
            append(entries)
        }
        queue.removeAll()
    }

    /// The chain's head as PostgreSQL keeps it: a commit must name it to follow it (a leader that
    /// lost its place, or a second writer, is refused).
    private(set) var headHash: [UInt8] = Array("genesis".utf8)

    /// Makes `entries` durable (the store's side of a commit that landed).
    mutating func append(_ entries: [Entry]) {
        journal += entries
        headHash = Array("h\(lastSeq)/\(journal.count)/\(entries.count)/\(headHash.count)".utf8)
        for entry in entries {
            if case .requestCompleted(let token, _, _, _) = entry.event {
                tokens[RequestScope.of(actor: entry.actor) + " " + token, default: 0] += 1
            }
            if case .volunteerAdded(let id, _) = entry.event { volunteers.insert(id) }
        }
    }

    /// The state the durable journal holds, replayed from the first entry.
    func rebuild() throws -> State {
        var state = State()
        try state.apply(journal)
        return state
    }

    /// The newest snapshot whose seal is durable, with the journal after it applied, as a start-up
    /// that loads from a snapshot would rebuild it (nil when none is sealed).
    func rebuildFromSnapshot() throws -> State? {
        var sealed: Set<Int64> = []
        for entry in journal { if let seal = SnapshotSeal(entry.event) { sealed.insert(seal.snapshotSeq) } }
        guard let snapshot = snapshots.last(where: { sealed.contains($0.seq) }) else { return nil }
        var state = try State(snapshotText: snapshot.text)
        try state.apply(Array(journal.drop { $0.seq <= snapshot.seq }))
        return state
    }
}
