/// One PostgreSQL connection in non-blocking pipeline mode, as a state machine apart from the
/// event loop: the owner tells it when its socket is readable or writable (`socketEvent`), asks
/// which readiness to watch next (`interest`, on `socket`), and acts on the events it returns.
/// Nothing here waits: the server drives it from a `uv_poll` handle, `PGBlockingDriver` from
/// poll(2) for the synchronous `Journal` interface and tools, the tests from a scripted fake.
///
/// Work is submitted as jobs: a list of statements sent as one pipeline segment (every statement
/// queued at once, then one sync), answered as a whole when the sync comes back. One job is on the
/// wire at a time and the rest wait in order, so a failed job's transaction is rolled back before
/// the next begins. Statements with `prepareAs` are prepared once per connection and reused.
///
/// Phases: disconnected → connecting → ready → failed (→ connecting again, by the owner).

import ReliefLimits
public final class PGConnection {
    public struct Statement: Sendable, Equatable {
        public var sql: String
        public var parameters: [String?]
        /// Prepare it once per connection under this name, then execute the prepared statement.
        public var prepareAs: String?
        public init(_ sql: String, _ parameters: [String?] = [], prepareAs: String? = nil) {
            self.sql = sql
            self.parameters = parameters
            self.prepareAs = prepareAs
        }
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Statement `index` of the job failed; the job's transaction was rolled back. The
        /// connection is still usable.
        case statement(index: Int, message: String, sqlState: String)
        /// The connection is gone. `inDoubt`: the job had been sent, so whatever it committed may
        /// or may not have reached the server; reload before trusting either way.
        case connectionLost(message: String, inDoubt: Bool)

        public var description: String {
            switch self {
            case .statement(_, let message, _): return message
            case .connectionLost(let message, let inDoubt):
                return inDoubt ? "connection lost with the transaction in flight (\(message)); it may or may not have committed"
                    : "not connected (\(message))"
            }
        }
    }

    /// Per statement, in order: `.tuples` or `.command`.
    public typealias Outcome = Result<[PQResult], Failure>

    public enum Event: Equatable {
        case connected
        case completed(job: Int, Outcome)
        /// The connection failed (or could not be made); every job it held has been completed
        /// with `connectionLost`.
        case lost(String)
        case notification(PQNotification)
    }

    public enum Phase: Sendable, Equatable { case disconnected, connecting, ready, failed }

    public struct Interest: Sendable, Equatable {
        public var read: Bool
        public var write: Bool
        public static let none = Interest(read: false, write: false)
    }

    /// Jobs waiting behind the one on the wire; a bound, not a tuning knob (the server keeps at most
    /// a commit, a snapshot and a probe outstanding).
    public static let maxQueuedJobs = Limits.postgresJobs

    public let client: PQClient
    public private(set) var phase: Phase = .disconnected
    /// What the last PQconnectPoll asked to wait for.
    private var connectWaitsFor: PQPollStatus = .writing
    /// libpq holds output it could not write yet.
    private var outputPending = false
    private var prepared: Set<String> = []
    private var queue: [(id: Int, statements: [Statement], isInternal: Bool)] = []
    private var flight: Flight?
    private var nextJob = 1

    private enum Expect { case prepare(String), statement(Int), sync }

    private struct Flight {
        var id: Int
        var isInternal: Bool
        var expected: [Expect]
        var head = 0
        var results: [PQResult]
        var failure: Failure?
    }

    public init(client: PQClient) {
        self.client = client
    }

    /// The descriptor to watch (-1 when there is none). It may change while connecting.
    public var socket: Int32 { phase == .connecting || phase == .ready ? client.socket : -1 }

    public var interest: Interest {
        switch phase {
        case .connecting: return Interest(read: connectWaitsFor == .reading, write: connectWaitsFor == .writing)
        case .ready: return Interest(read: true, write: outputPending)
        case .disconnected, .failed: return .none
        }
    }

    /// Jobs on the wire or waiting.
    public var pendingJobs: Int { queue.count + (flight == nil ? 0 : 1) }
    public var isIdle: Bool { pendingJobs == 0 }

    // MARK: inputs

    /// Starts connecting (PQconnectStartParams). Jobs submitted meanwhile wait for the connection.
    public func connect(_ parameters: [(String, String)]) -> [Event] {
        precondition(phase != .connecting && phase != .ready, "connect while connected")
        prepared.removeAll()
        outputPending = false
        guard client.connectStart(parameters) else { return fail(client.errorMessage) }
        phase = .connecting
        connectWaitsFor = .writing
        return []
    }

    /// Queues a job; returns its id and any events (an immediate failure when not connected).
    public func submit(_ statements: [Statement]) -> (job: Int, events: [Event]) {
        let id = nextJob
        nextJob += 1
        switch phase {
        case .disconnected, .failed:
            return (id, [.completed(job: id, .failure(.connectionLost(message: "no connection to the server", inDoubt: false)))])
        case .connecting, .ready:
            guard queue.count < PGConnection.maxQueuedJobs else {
                return (id, [.completed(job: id, .failure(.connectionLost(message: "too many jobs queued on one connection", inDoubt: false)))])
            }
            queue.append((id, statements, false))
            var events: [Event] = []
            if phase == .ready { sendNext(&events) }
            return (id, events)
        }
    }

    /// The socket is readable and/or writable (or the owner just wants progress checked).
    public func socketEvent(readable: Bool, writable: Bool) -> [Event] {
        var events: [Event] = []
        switch phase {
        case .disconnected, .failed:
            break
        case .connecting:
            switch client.connectPoll() {
            case .reading: connectWaitsFor = .reading
            case .writing: connectWaitsFor = .writing
            case .failed: return fail(client.errorMessage)
            case .ok:
                guard client.setNonblocking(), client.enterPipelineMode() else { return fail(client.errorMessage) }
                phase = .ready
                events.append(.connected)
                sendNext(&events)
            }
        case .ready:
            if writable && outputPending {
                flushOutput(&events)
                if phase != .ready { return events }
            }
            if readable {
                guard client.consumeInput() else { return events + fail(client.errorMessage) }
                for notification in client.takeNotifications() { events.append(.notification(notification)) }
                drainResults(&events)
            }
        }
        return events
    }

    /// Drops the connection; every job it held completes with `connectionLost`.
    public func close(reason: String) -> [Event] {
        guard phase == .connecting || phase == .ready else {
            client.finish()
            phase = .disconnected
            return []
        }
        let events = fail(reason)
        phase = .disconnected
        return events.filter { if case .lost = $0 { return false } else { return true } }
    }

    // MARK: sending

    private func sendNext(_ events: inout [Event]) {
        guard phase == .ready, flight == nil, !queue.isEmpty else { return }
        let job = queue.removeFirst()
        var expected: [Expect] = []
        expected.reserveCapacity(job.statements.count + 2)
        for (index, statement) in job.statements.enumerated() {
            var sent: Bool
            if let name = statement.prepareAs {
                if !prepared.contains(name) {
                    guard client.sendPrepare(name, statement.sql) else { events += fail(client.errorMessage, sending: job); return }
                    prepared.insert(name)
                    expected.append(.prepare(name))
                }
                sent = client.sendPrepared(name, statement.parameters)
            } else {
                sent = client.sendQuery(statement.sql, statement.parameters)
            }
            guard sent else { events += fail(client.errorMessage, sending: job); return }
            expected.append(.statement(index))
        }
        guard client.pipelineSync() else { events += fail(client.errorMessage, sending: job); return }
        expected.append(.sync)
        flight = Flight(id: job.id, isInternal: job.isInternal, expected: expected,
                        results: Array(repeating: .end, count: job.statements.count))
        flushOutput(&events)
    }

    private func flushOutput(_ events: inout [Event]) {
        switch client.flush() {
        case 0: outputPending = false
        case 1: outputPending = true
        default: events += fail(client.errorMessage)
        }
    }

    // MARK: receiving

    private func drainResults(_ events: inout [Event]) {
        while phase == .ready, var current = flight, !client.isBusy {
            let result = client.nextResult()
            switch current.expected[current.head] {
            case .sync:
                guard result == .pipelineSync else {
                    if result == .end { return } // nothing more yet
                    events += fail("unexpected result \(result) where the pipeline's sync was expected")
                    return
                }
                flight = nil
                finish(current, &events)
                continue
            case .prepare(let name):
                switch result {
                case .end: current.head += 1
                case .command: break
                case .error(let message, let state):
                    prepared.remove(name)
                    if current.failure == nil { current.failure = .statement(index: nextStatement(current), message: message, sqlState: state) }
                default:
                    prepared.remove(name)
                }
            case .statement(let index):
                switch result {
                case .end: current.head += 1
                case .error(let message, let state):
                    if current.failure == nil { current.failure = .statement(index: index, message: message, sqlState: state) }
                case .aborted:
                    if current.failure == nil {
                        current.failure = .statement(index: index, message: "statement skipped: the pipeline was aborted", sqlState: "")
                    }
                case .pipelineSync:
                    events += fail("pipeline sync arrived before statement \(index) finished")
                    return
                default:
                    current.results[index] = result
                }
            }
            flight = current
        }
    }

    private func nextStatement(_ flight: Flight) -> Int {
        for expect in flight.expected[flight.head...] { if case .statement(let index) = expect { return index } }
        return 0
    }

    private func finish(_ done: Flight, _ events: inout [Event]) {
        if !done.isInternal {
            if let failure = done.failure {
                events.append(.completed(job: done.id, .failure(failure)))
            } else {
                events.append(.completed(job: done.id, .success(done.results)))
            }
        }
        // A job that failed inside BEGIN … COMMIT leaves the session in an aborted transaction;
        // end it before anything else runs on this connection.
        let status = client.transactionStatus
        if status == .inError {
            queue.insert((nextJob, [Statement("ROLLBACK")], true), at: 0)
            nextJob += 1
        }
        sendNext(&events)
    }

    // MARK: failure

    /// The connection is unusable: finish it and complete every job with `connectionLost`.
    private func fail(_ message: String, sending job: (id: Int, statements: [Statement], isInternal: Bool)? = nil) -> [Event] {
        client.finish()
        phase = .failed
        outputPending = false
        prepared.removeAll()
        var events: [Event] = []
        if let flight, !flight.isInternal {
            events.append(.completed(job: flight.id, .failure(.connectionLost(message: message, inDoubt: true))))
        }
        flight = nil
        if let job, !job.isInternal {
            // Partly sent: the server may have run some of it, but never its sync, so never its COMMIT
            // — except that a sent COMMIT runs without a sync. Count it as in doubt.
            events.append(.completed(job: job.id, .failure(.connectionLost(message: message, inDoubt: true))))
        }
        for waiting in queue where !waiting.isInternal {
            events.append(.completed(job: waiting.id, .failure(.connectionLost(message: message, inDoubt: false))))
        }
        queue.removeAll()
        events.append(.lost(message))
        return events
    }
}
