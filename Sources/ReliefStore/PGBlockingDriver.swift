#if canImport(Glibc)
import Glibc
#endif

/// Drives a `PGConnection` with poll(2) on the calling thread, for the synchronous `Journal`
/// interface (start-up tools, `reliefd migrate`, tests). The daemon's loop drives the same state
/// machine from a `uv_poll` handle instead and never waits here.
public final class PGBlockingDriver {
    public let connection: PGConnection
    /// Bound on one wait for the server (connect, or one job).
    public var timeoutSeconds: Double
    /// NOTIFY payloads received while waiting (a LISTENing tool reads them).
    public private(set) var notifications: [PQNotification] = []

    public init(client: PQClient = LibPQClient(), timeoutSeconds: Double = 30) {
        connection = PGConnection(client: client)
        self.timeoutSeconds = timeoutSeconds
    }

    public var isConnected: Bool { connection.phase == .ready }

    /// Connects, or throws a transient StoreError naming the reason.
    public func connect(_ parameters: [(String, String)]) throws {
        if connection.phase == .ready || connection.phase == .connecting { _ = connection.close(reason: "reconnecting") }
        var connected = false
        var lost: String?
        var none: PGConnection.Outcome?
        handle(connection.connect(parameters), job: nil, connected: &connected, lost: &lost, outcome: &none)
        do {
            try wait(until: { connected || lost != nil }) { events in
                self.handle(events, job: nil, connected: &connected, lost: &lost, outcome: &none)
            }
        } catch {
            _ = connection.close(reason: "\(error)")
            lost = "\(error)"
        }
        if let lost { throw StoreError("cannot connect to PostgreSQL: \(lost)") }
    }

    /// Runs one job and returns its results, or throws the failure.
    public func run(_ statements: [PGConnection.Statement]) throws(PGConnection.Failure) -> [PQResult] {
        let (job, events) = connection.submit(statements)
        var outcome: PGConnection.Outcome?
        var connected = false
        var lost: String?
        handle(events, job: job, connected: &connected, lost: &lost, outcome: &outcome)
        do {
            try wait(until: { outcome != nil }) { events in
                self.handle(events, job: job, connected: &connected, lost: &lost, outcome: &outcome)
            }
        } catch {
            _ = connection.close(reason: "\(error)")
            throw .connectionLost(message: "\(error)", inDoubt: true)
        }
        switch outcome! {
        case .success(let results): return results
        case .failure(let failure): throw failure
        }
    }

    /// Waits for a notification (after `LISTEN`), at most `seconds`.
    public func waitForNotifications(seconds: Double) -> [PQNotification] {
        let deadline = now() + seconds
        while notifications.isEmpty, connection.phase == .ready, now() < deadline {
            pollOnce(milliseconds: Int32(max(1, (deadline - now()) * 1000))) { events in
                for case .notification(let notification) in events { self.notifications.append(notification) }
            }
        }
        defer { notifications.removeAll() }
        return notifications
    }

    public func close() {
        _ = connection.close(reason: "closed")
    }

    // MARK: waiting

    private func handle(_ events: [PGConnection.Event], job: Int?, connected: inout Bool, lost: inout String?,
                        outcome: inout PGConnection.Outcome?) {
        for event in events {
            switch event {
            case .connected: connected = true
            case .lost(let message): lost = message
            case .notification(let notification): notifications.append(notification)
            case .completed(let id, let result): if id == job { outcome = result }
            }
        }
    }

    private struct TimedOut: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "no answer from PostgreSQL within \(Int(seconds)) s" }
    }

    private func wait(until done: () -> Bool, _ onEvents: ([PGConnection.Event]) -> Void) throws {
        let deadline = now() + timeoutSeconds
        while !done() {
            guard connection.phase == .connecting || connection.phase == .ready else { return }
            let left = deadline - now()
            guard left > 0 else { throw TimedOut(seconds: timeoutSeconds) }
            pollOnce(milliseconds: Int32(min(left * 1000, 1000) + 1), onEvents)
        }
    }

    private func pollOnce(milliseconds: Int32, _ onEvents: ([PGConnection.Event]) -> Void) {
        let interest = connection.interest
        let fd = connection.socket
        guard fd >= 0, interest.read || interest.write else { return }
        var descriptor = pollfd(fd: fd, events: Int16((interest.read ? POLLIN : 0) | (interest.write ? POLLOUT : 0)), revents: 0)
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0 && errno == EINTR { return }
        let readable = descriptor.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0
        let writable = descriptor.revents & Int16(POLLOUT | POLLERR) != 0
        guard ready > 0 else { return }
        onEvents(connection.socketEvent(readable: readable, writable: writable))
    }

    private func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
