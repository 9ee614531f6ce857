import XCTest
@testable import ReliefStore

/// A scripted stand-in for libpq: records what is sent, answers from queued results, and can be
/// told that the connect is slow, that output is stuck, or that the server went away.
final class FakePQ: PQClient {
    var pollScript: [PQPollStatus] = [.ok]
    var sent: [String] = []
    var results: [PQResult] = []
    var busy = false
    var flushScript: [Int32] = []
    var consumeFails = false
    var status: PQTransactionStatus = .idle
    var finished = false
    var pendingNotifications: [PQNotification] = []

    func connectStart(_ parameters: [(String, String)]) -> Bool { finished = false; return true }
    func connectPoll() -> PQPollStatus { pollScript.isEmpty ? .ok : pollScript.removeFirst() }
    var socket: Int32 { finished ? -1 : 7 }
    func setNonblocking() -> Bool { true }
    func enterPipelineMode() -> Bool { sent.append("<pipeline>"); return true }
    func sendQuery(_ sql: String, _ parameters: [String?]) -> Bool { sent.append(sql); return !finished }
    func sendPrepare(_ name: String, _ sql: String) -> Bool { sent.append("PREPARE \(name)"); return !finished }
    func sendPrepared(_ name: String, _ parameters: [String?]) -> Bool { sent.append("EXECUTE \(name)"); return !finished }
    func pipelineSync() -> Bool { sent.append("<sync>"); return !finished }
    func flush() -> Int32 { flushScript.isEmpty ? 0 : flushScript.removeFirst() }
    func consumeInput() -> Bool { !consumeFails }
    var isBusy: Bool { busy || results.isEmpty }
    func nextResult() -> PQResult { results.isEmpty ? .end : results.removeFirst() }
    var transactionStatus: PQTransactionStatus { status }
    var errorMessage: String { "server closed the connection unexpectedly" }
    func takeNotifications() -> [PQNotification] { defer { pendingNotifications = [] }; return pendingNotifications }
    var backendPID: Int32 { 4242 }
    func finish() { finished = true }
}

final class PGConnectionTests: XCTestCase {
    private func ready(_ fake: FakePQ = FakePQ()) -> (PGConnection, FakePQ) {
        let connection = PGConnection(client: fake)
        XCTAssertEqual(connection.connect([("dbname", "x")]), [])
        XCTAssertEqual(connection.socketEvent(readable: false, writable: true), [.connected])
        return (connection, fake)
    }

    func testConnectFollowsWhatPollAsksToWaitFor() {
        let fake = FakePQ()
        fake.pollScript = [.reading, .writing, .ok]
        let connection = PGConnection(client: fake)
        _ = connection.connect([])
        XCTAssertEqual(connection.phase, .connecting)
        XCTAssertEqual(connection.interest, PGConnection.Interest(read: false, write: true))
        XCTAssertEqual(connection.socketEvent(readable: false, writable: true), [])
        XCTAssertEqual(connection.interest, PGConnection.Interest(read: true, write: false))
        XCTAssertEqual(connection.socketEvent(readable: true, writable: false), [])
        XCTAssertEqual(connection.interest, PGConnection.Interest(read: false, write: true))
        XCTAssertEqual(connection.socketEvent(readable: false, writable: true), [.connected])
        XCTAssertEqual(connection.phase, .ready)
        XCTAssertEqual(connection.interest, PGConnection.Interest(read: true, write: false))
        XCTAssertEqual(fake.sent, ["<pipeline>"])
    }

    func testFailedConnectReportsLostAndFailsQueuedJobs() {
        let fake = FakePQ()
        fake.pollScript = [.failed]
        let connection = PGConnection(client: fake)
        _ = connection.connect([])
        let (job, queued) = connection.submit([PGConnection.Statement("SELECT 1")])
        XCTAssertEqual(queued, [])
        let events = connection.socketEvent(readable: false, writable: true)
        XCTAssertEqual(events, [
            .completed(job: job, .failure(.connectionLost(message: fake.errorMessage, inDoubt: false))),
            .lost(fake.errorMessage),
        ])
        XCTAssertEqual(connection.phase, .failed)
        XCTAssertEqual(connection.interest, .none)
        // Submitting while failed answers at once, never silently.
        let (second, refused) = connection.submit([PGConnection.Statement("SELECT 1")])
        XCTAssertEqual(refused, [.completed(job: second, .failure(.connectionLost(message: "no connection to the server", inDoubt: false)))])
    }

    func testJobIsOnePipelineSegmentAndCompletesAtItsSync() {
        let (connection, fake) = ready()
        let (job, events) = connection.submit([
            PGConnection.Statement("BEGIN"),
            PGConnection.Statement("INSERT", ["1"], prepareAs: "append"),
            PGConnection.Statement("INSERT", ["2"], prepareAs: "append"),
            PGConnection.Statement("COMMIT"),
        ])
        XCTAssertEqual(events, [])
        XCTAssertEqual(fake.sent, ["<pipeline>", "BEGIN", "PREPARE append", "EXECUTE append", "EXECUTE append", "COMMIT", "<sync>"])
        // Results arrive in two reads; nothing completes before the sync.
        fake.results = [.command("BEGIN"), .end, .command("PREPARE"), .end]
        XCTAssertEqual(connection.socketEvent(readable: true, writable: false), [])
        fake.results = [.command("INSERT 0 1"), .end, .command("INSERT 0 1"), .end, .command("COMMIT"), .end, .pipelineSync]
        XCTAssertEqual(connection.socketEvent(readable: true, writable: false), [
            .completed(job: job, .success([.command("BEGIN"), .command("INSERT 0 1"), .command("INSERT 0 1"), .command("COMMIT")])),
        ])
        XCTAssertTrue(connection.isIdle)
        // The statement stays prepared on this connection.
        _ = connection.submit([PGConnection.Statement("INSERT", ["3"], prepareAs: "append")])
        XCTAssertEqual(fake.sent.suffix(2), ["EXECUTE append", "<sync>"])
    }

    func testOneJobOnTheWireTheNextWaits() {
        let (connection, fake) = ready()
        let (first, _) = connection.submit([PGConnection.Statement("SELECT 1")])
        let (second, _) = connection.submit([PGConnection.Statement("SELECT 2")])
        XCTAssertEqual(fake.sent, ["<pipeline>", "SELECT 1", "<sync>"])
        XCTAssertEqual(connection.pendingJobs, 2)
        let one = PQRows(columns: 1, values: ["1"])
        fake.results = [.tuples(one), .end, .pipelineSync]
        XCTAssertEqual(connection.socketEvent(readable: true, writable: false), [.completed(job: first, .success([.tuples(one)]))])
        XCTAssertEqual(fake.sent.suffix(2), ["SELECT 2", "<sync>"])
        fake.results = [.tuples(one), .end, .pipelineSync]
        XCTAssertEqual(connection.socketEvent(readable: true, writable: false), [.completed(job: second, .success([.tuples(one)]))])
    }

    func testFailedStatementFailsTheJobAndTheAbortedTransactionIsRolledBackFirst() {
        let (connection, fake) = ready()
        let (job, _) = connection.submit([PGConnection.Statement("BEGIN"), PGConnection.Statement("INSERT"), PGConnection.Statement("COMMIT")])
        let (next, _) = connection.submit([PGConnection.Statement("SELECT 1")])
        fake.status = .inError
        fake.results = [.command("BEGIN"), .end, .error(message: "duplicate key", sqlState: "23505"), .end, .aborted, .end, .pipelineSync]
        XCTAssertEqual(connection.socketEvent(readable: true, writable: false), [
            .completed(job: job, .failure(.statement(index: 1, message: "duplicate key", sqlState: "23505"))),
        ])
        XCTAssertEqual(fake.sent.suffix(2), ["ROLLBACK", "<sync>"])
        fake.status = .idle
        fake.results = [.command("ROLLBACK"), .end, .pipelineSync]
        XCTAssertEqual(connection.socketEvent(readable: true, writable: false), [])
        XCTAssertEqual(fake.sent.suffix(2), ["SELECT 1", "<sync>"])
        _ = next
    }

    func testOutputThatDoesNotFitWaitsForWritable() {
        let fake = FakePQ()
        let (connection, _) = ready(fake)
        fake.flushScript = [1, 1, 0]
        _ = connection.submit([PGConnection.Statement("INSERT big")])
        XCTAssertEqual(connection.interest, PGConnection.Interest(read: true, write: true))
        _ = connection.socketEvent(readable: false, writable: true)
        XCTAssertEqual(connection.interest, PGConnection.Interest(read: true, write: true))
        _ = connection.socketEvent(readable: false, writable: true)
        XCTAssertEqual(connection.interest, PGConnection.Interest(read: true, write: false))
    }

    func testLostConnectionFailsTheJobInFlightAsInDoubtAndTheQueuedOnesAsNotSent() {
        let (connection, fake) = ready()
        let (inFlight, _) = connection.submit([PGConnection.Statement("BEGIN"), PGConnection.Statement("COMMIT")])
        let (queued, _) = connection.submit([PGConnection.Statement("SELECT 1")])
        fake.consumeFails = true
        let events = connection.socketEvent(readable: true, writable: false)
        XCTAssertEqual(events, [
            .completed(job: inFlight, .failure(.connectionLost(message: fake.errorMessage, inDoubt: true))),
            .completed(job: queued, .failure(.connectionLost(message: fake.errorMessage, inDoubt: false))),
            .lost(fake.errorMessage),
        ])
        XCTAssertTrue(fake.finished)
        XCTAssertEqual(connection.phase, .failed)
        XCTAssertEqual(connection.socket, -1)
        // The owner reconnects; statements are prepared again on the new connection.
        fake.pollScript = [.ok]
        fake.consumeFails = false
        _ = connection.connect([])
        XCTAssertEqual(connection.socketEvent(readable: false, writable: true), [.connected])
        _ = connection.submit([PGConnection.Statement("INSERT", prepareAs: "append")])
        XCTAssertEqual(fake.sent.suffix(3), ["PREPARE append", "EXECUTE append", "<sync>"])
    }

    func testNotificationsAreReported() {
        let (connection, fake) = ready()
        fake.pendingNotifications = [PQNotification(channel: "reliefd_events", payload: "7 lot.received", pid: 99)]
        XCTAssertEqual(connection.socketEvent(readable: true, writable: false),
                       [.notification(PQNotification(channel: "reliefd_events", payload: "7 lot.received", pid: 99))])
    }

    func testCloseFailsWhatIsPendingWithoutReportingLost() {
        let (connection, fake) = ready()
        let (job, _) = connection.submit([PGConnection.Statement("SELECT 1")])
        XCTAssertEqual(connection.close(reason: "shutting down"),
                       [.completed(job: job, .failure(.connectionLost(message: "shutting down", inDoubt: true)))])
        XCTAssertEqual(connection.phase, .disconnected)
        XCTAssertTrue(fake.finished)
    }

    func testURLPasswordIsMaskedAndTheURLWinsOverDefaults() {
        XCTAssertEqual(PostgresStore.redacted("postgres://reliefd:s3cret@db:5432/relief"), "postgres://reliefd:***@db:5432/relief")
        XCTAssertEqual(PostgresStore.redacted("postgres://reliefd@db/relief"), "postgres://reliefd@db/relief")
        XCTAssertTrue(PostgresStore.isPostgresURL("postgresql://db/relief"))
        XCTAssertFalse(PostgresStore.isPostgresURL("sqlite:/tmp/x.db"))
        // libpq applies keywords in order; the URL (expanded from dbname) comes last so it wins.
        XCTAssertEqual(PostgresStore.parameters(url: "postgres://db/relief").last?.0, "dbname")
    }
}
