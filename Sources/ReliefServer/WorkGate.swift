import ReliefProtocol

/// Which writes may run now and which wait, and the queue of the off-loop thread, as a value type
/// apart from libuv and the engine. `Server` asks it what becomes of each write and each off-loop
/// job and performs the answer.
///
/// Three things make a write wait:
/// - an import being checked again off the loop (its rows arrived while the live state changed):
///   the check must be the last word, so every write waits behind this *barrier* — a client's write
///   is parked with its connection held, and a finished off-loop write is held — until it ends;
/// - `max_uncommitted` entries not yet durable (ServerMachine's `admitWrite`): the writer is
///   parked, and not read, until commits catch up;
/// - writes refused outright (store unavailable, standby, shutting down) are not parked: refused.
///
/// The off-loop thread runs one job at a time; the rest wait here in order, an import's re-check
/// ahead of every request. A waiting request holds only its words: its work (and the copy of the
/// state it runs on) is made when its turn comes (`nextJob`).
///
/// Generic over what a re-check and an off-loop result carry, so the tests use plain values.
struct WorkGate<Recheck, Result> {
    enum Job {
        case request(connection: Int, request: Request)
        case recheck(connection: Int, Recheck)
    }

    enum Barrier {
        case open
        /// `connection`'s import is being checked again: the connections whose write waits for it
        /// (each held, its line kept), and off-loop write results that came back meanwhile.
        case checkingImport(connection: Int, parked: [Int], held: [Result])
    }

    /// What becomes of a write that arrives now.
    enum Admission: Equatable {
        case run
        /// Park the connection (its line kept, not read) until the import's re-check ends.
        case waitForBarrier
        /// Park the connection until commits catch up (max_uncommitted).
        case waitForCommits
        case refuse(String)
    }

    private(set) var barrier = Barrier.open
    private(set) var waiting: [Job] = []
    /// A job is on the off-loop thread.
    private(set) var busy = false
    /// Connections whose next write waits for commits to catch up, oldest first.
    private(set) var parkedForCommit: [Int] = []
    /// Off-loop jobs finished since start, for `info`.
    private(set) var finished: Int64 = 0

    /// Off-loop jobs running or waiting (for `info`, and shutdown waits for none).
    var outstanding: Int { waiting.count + (busy ? 1 : 0) }

    var barrierUp: Bool {
        if case .checkingImport = barrier { true } else { false }
    }

    /// Writes held back now, for `info`'s `writes_waiting`.
    var writesWaiting: Int {
        let behindBarrier = switch barrier {
        case .open: 0
        case .checkingImport(_, let parked, let held): parked.count + held.count
        }
        return behindBarrier + parkedForCommit.count
    }

    /// What becomes of a write arriving now, given what the life machine says of writes
    /// (`ServerMachine.admitWrite`). A refusal wins over waiting: a client is not held for a write
    /// that will be refused anyway.
    func admit(_ life: ServerMachine.Admission) -> Admission {
        switch life {
        case .refuse(let reason): return .refuse(reason)
        case .waitForCommits: return barrierUp ? .waitForBarrier : .waitForCommits
        case .run: return barrierUp ? .waitForBarrier : .run
        }
    }

    /// Records the connection as parked for `admission` (`.waitForBarrier` or `.waitForCommits`).
    mutating func park(_ connection: Int, for admission: Admission) {
        switch admission {
        case .waitForBarrier:
            guard case .checkingImport(let importer, var parked, let held) = barrier else {
                preconditionFailure("parked for a barrier that is not up")
            }
            parked.append(connection)
            barrier = .checkingImport(connection: importer, parked: parked, held: held)
        case .waitForCommits:
            parkedForCommit.append(connection)
        case .run, .refuse:
            preconditionFailure("only a waiting write is parked")
        }
    }

    /// Commits caught up (`commitsBehind` false): the connections to release, oldest first.
    mutating func commitsCaughtUp() -> [Int] {
        defer { parkedForCommit.removeAll() }
        return parkedForCommit
    }

    /// A request for the off-loop thread: true when it goes now (the caller submits it and calls
    /// `submitted`), false when it waits its turn.
    mutating func offload(_ request: Request, connection: Int) -> Bool {
        if busy {
            waiting.append(.request(connection: connection, request: request))
            return false
        }
        return true
    }

    /// The caller handed a job to the off-loop thread.
    mutating func submitted() {
        precondition(!busy, "one off-loop job at a time")
        busy = true
    }

    /// The next waiting job, if the off-loop thread is free. The caller submits it (`submitted`) or,
    /// for a request that no longer needs the thread or whose client left, deals with it on the loop
    /// and asks again.
    mutating func nextJob() -> Job? {
        guard !busy, !waiting.isEmpty else { return nil }
        return waiting.removeFirst()
    }

    /// `connection`'s import must be checked again off the loop: writes wait from now until
    /// `recheckFinished`, and the check goes ahead of every waiting request.
    mutating func startRecheck(_ recheck: Recheck, connection: Int) {
        precondition(!barrierUp, "one import check at a time: writes wait during it")
        barrier = .checkingImport(connection: connection, parked: [], held: [])
        waiting.insert(.recheck(connection: connection, recheck), at: 0)
    }

    /// The off-loop job came back with `result`. A write's result (`isWrite`) that finds the barrier
    /// up is held (nil): it must find the state the import was checked on. Otherwise it is the
    /// caller's to finish now.
    mutating func jobFinished(_ result: Result, isWrite: Bool) -> Result? {
        precondition(busy, "a result with no job out")
        busy = false
        finished += 1
        if isWrite, case .checkingImport(let importer, let parked, var held) = barrier {
            held.append(result)
            barrier = .checkingImport(connection: importer, parked: parked, held: held)
            return nil
        }
        return result
    }

    /// The re-check came back: the barrier comes down. What waited behind it, in order: the held
    /// off-loop results to finish, then the parked connections to release.
    mutating func recheckFinished() -> (held: [Result], parked: [Int]) {
        precondition(busy, "a result with no job out")
        busy = false
        finished += 1
        guard case .checkingImport(_, let parked, let held) = barrier else {
            preconditionFailure("a re-check finished with no barrier up")
        }
        barrier = .open
        return (held, parked)
    }
}
