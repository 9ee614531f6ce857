#if canImport(Glibc)
import Glibc
#endif
import CLibPQ

/// What `PGConnection` needs of libpq, one connection's worth. `LibPQClient` is the real thing;
/// tests drive the connection state machine with a scripted fake, without a server.
///
/// Every call is non-blocking once `setNonblocking` has succeeded: results are read with
/// `consumeInput` + `isBusy` + `nextResult`, output is pushed with `flush`.
public protocol PQClient: AnyObject {
    /// PQconnectStartParams. False when libpq could not even start (out of memory, bad parameters).
    func connectStart(_ parameters: [(String, String)]) -> Bool
    /// PQconnectPoll.
    func connectPoll() -> PQPollStatus
    /// PQsocket (-1 when there is none).
    var socket: Int32 { get }
    func setNonblocking() -> Bool
    func enterPipelineMode() -> Bool
    /// PQsendQueryParams with text parameters and text results.
    func sendQuery(_ sql: String, _ parameters: [String?]) -> Bool
    /// PQsendPrepare (parameter types left to the server).
    func sendPrepare(_ name: String, _ sql: String) -> Bool
    /// PQsendQueryPrepared with text parameters and text results.
    func sendPrepared(_ name: String, _ parameters: [String?]) -> Bool
    func pipelineSync() -> Bool
    /// PQflush: 0 all sent, 1 more to send (wait for writable), -1 failed.
    func flush() -> Int32
    func consumeInput() -> Bool
    var isBusy: Bool { get }
    /// PQgetResult, copied into Swift values; `.end` for a NULL result.
    func nextResult() -> PQResult
    var transactionStatus: PQTransactionStatus { get }
    var errorMessage: String { get }
    /// PQnotifies, drained.
    func takeNotifications() -> [PQNotification]
    var backendPID: Int32 { get }
    /// PQfinish; idempotent.
    func finish()
}

public enum PQPollStatus: Sendable, Equatable { case reading, writing, ok, failed }

public enum PQTransactionStatus: Sendable, Equatable { case idle, active, inTransaction, inError, unknown }

public struct PQNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var pid: Int32
}

/// Rows of a result, as text (NULL is nil).
public struct PQRows: Sendable, Equatable {
    public var columns: Int
    public var values: [String?]
    public init(columns: Int, values: [String?]) {
        self.columns = columns
        self.values = values
    }
    public var count: Int { columns == 0 ? 0 : values.count / columns }
    public subscript(row: Int, column: Int) -> String? { values[row * columns + column] }
}

public enum PQResult: Sendable, Equatable {
    case tuples(PQRows)
    /// A statement that returns no rows; the command tag (`INSERT 0 1`, `COMMIT`).
    case command(String)
    case error(message: String, sqlState: String)
    /// Skipped because an earlier statement of the same pipeline segment failed.
    case aborted
    case pipelineSync
    /// The NULL that ends one statement's results.
    case end
}

/// libpq itself. Owns its `PGconn`; `finish` (or deinit) frees it.
public final class LibPQClient: PQClient {
    private var connection: OpaquePointer?
    /// The passwords in the parameters of the last connectStart: libpq's messages may quote parts
    /// of a connection string it could not parse, and they end up in logs and replies.
    private var secrets: [String] = []

    public init() {}
    deinit { finish() }

    public func connectStart(_ parameters: [(String, String)]) -> Bool {
        finish()
        secrets = parameters.flatMap { key, value in
            key == "password" ? [value] : key == "dbname" ? PostgresStore.passwords(in: value) : []
        }
        let keywords = parameters.map { strdup($0.0) } + [nil]
        let values = parameters.map { strdup($0.1) } + [nil]
        defer {
            for pointer in keywords { free(pointer) }
            for pointer in values { free(pointer) }
        }
        connection = keywords.withUnsafeBufferPointer { keywordBuffer in
            values.withUnsafeBufferPointer { valueBuffer in
                keywordBuffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: keywords.count) { k in
                    valueBuffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: values.count) { v in
                        PQconnectStartParams(k, v, 1)
                    }
                }
            }
        }
        guard let connection else { return false }
        // Server notices (WARNING: …) would go to stderr; errors reach us as results instead.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        return PQstatus(connection) != CONNECTION_BAD
    }

    public func connectPoll() -> PQPollStatus {
        guard let connection else { return .failed }
        switch PQconnectPoll(connection) {
        case PGRES_POLLING_READING: return .reading
        case PGRES_POLLING_WRITING: return .writing
        case PGRES_POLLING_OK: return .ok
        default: return .failed
        }
    }

    public var socket: Int32 { connection.map { PQsocket($0) } ?? -1 }
    public func setNonblocking() -> Bool { connection.map { PQsetnonblocking($0, 1) == 0 } ?? false }
    public func enterPipelineMode() -> Bool { connection.map { PQenterPipelineMode($0) == 1 } ?? false }

    private func withParameters<T>(_ parameters: [String?], _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> T) -> T {
        let copies: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { for pointer in copies { free(pointer) } }
        return copies.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return body(0, nil) }
            return base.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: copies.count) {
                body(Int32(copies.count), $0)
            }
        }
    }

    public func sendQuery(_ sql: String, _ parameters: [String?]) -> Bool {
        guard let connection else { return false }
        return withParameters(parameters) { count, values in
            PQsendQueryParams(connection, sql, count, nil, values, nil, nil, 0) == 1
        }
    }

    public func sendPrepare(_ name: String, _ sql: String) -> Bool {
        guard let connection else { return false }
        return PQsendPrepare(connection, name, sql, 0, nil) == 1
    }

    public func sendPrepared(_ name: String, _ parameters: [String?]) -> Bool {
        guard let connection else { return false }
        return withParameters(parameters) { count, values in
            PQsendQueryPrepared(connection, name, count, values, nil, nil, 0) == 1
        }
    }

    public func pipelineSync() -> Bool { connection.map { PQpipelineSync($0) == 1 } ?? false }
    public func flush() -> Int32 { connection.map { PQflush($0) } ?? -1 }
    public func consumeInput() -> Bool { connection.map { PQconsumeInput($0) == 1 } ?? false }
    public var isBusy: Bool { connection.map { PQisBusy($0) == 1 } ?? false }

    public func nextResult() -> PQResult {
        guard let connection, let result = PQgetResult(connection) else { return .end }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            let rows = Int(PQntuples(result)), columns = Int(PQnfields(result))
            var values: [String?] = []
            values.reserveCapacity(rows * columns)
            for row in 0..<Int32(rows) {
                for column in 0..<Int32(columns) {
                    if PQgetisnull(result, row, column) == 1 {
                        values.append(nil)
                    } else {
                        values.append(String(cString: PQgetvalue(result, row, column)))
                    }
                }
            }
            return .tuples(PQRows(columns: columns, values: values))
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return .command(String(cString: PQcmdStatus(result)))
        case PGRES_PIPELINE_SYNC:
            return .pipelineSync
        case PGRES_PIPELINE_ABORTED:
            return .aborted
        default:
            let message = String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            return .error(message: message, sqlState: state)
        }
    }

    public var transactionStatus: PQTransactionStatus {
        guard let connection else { return .unknown }
        switch PQtransactionStatus(connection) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .inError
        default: return .unknown
        }
    }

    public var errorMessage: String {
        guard let connection else { return "no connection" }
        let text = String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines
        return text.isEmpty ? "connection failed" : PostgresStore.scrub(text, secrets: secrets)
    }

    public func takeNotifications() -> [PQNotification] {
        guard let connection else { return [] }
        var found: [PQNotification] = []
        while let notify = PQnotifies(connection) {
            found.append(PQNotification(channel: String(cString: notify.pointee.relname),
                                        payload: String(cString: notify.pointee.extra), pid: notify.pointee.be_pid))
            PQfreemem(notify)
        }
        return found
    }

    public var backendPID: Int32 { connection.map { PQbackendPID($0) } ?? 0 }

    public func finish() {
        guard let connection else { return }
        PQfinish(connection)
        self.connection = nil
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while text.last == "\n" || text.last == " " { text.removeLast() }
        return text.split(whereSeparator: { $0 == "\n" || $0 == "\t" }).map { $0.trimmingSpaces }.joined(separator: " ")
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var slice = self
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return slice
    }
}
