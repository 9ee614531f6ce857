#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// swift-log's handler for reliefd: each record becomes one `LogfmtLine` handed to `sink`
/// (stderr in the daemon, an array in tests).
public struct LogfmtHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let destination: LogDestination
    private let sink: LogSink

    public init(label: String, level: Logger.Level, destination: LogDestination, sink: LogSink = .standardError,
                metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.logLevel = level
        self.destination = destination
        self.sink = sink
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // The handler's own, then the provider's, then the call's: the nearest to the call wins.
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        // The keys swift-log's own handlers use for an error passed to the call.
        if let error = event.error {
            merged["error.message"] = .string("\(error)")
            merged["error.type"] = .string(String(reflecting: type(of: error)))
        }
        let record = LogRecord(time: LogSink.now(), level: event.level, label: label,
                               message: event.message.description, metadata: merged, source: event.source)
        sink.write(LogfmtLine.format(record, for: destination))
    }
}

/// Where finished lines go.
public struct LogSink: Sendable {
    public let write: @Sendable (String) -> Void

    public init(write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// File descriptor 2, one write(2) per line under a lock: lines from the loop, the store's
    /// threads and the HTTP threads never interleave, and nothing is buffered, so a crash loses no
    /// line already logged.
    public static let standardError = LogSink { line in
        standardErrorLock.lock()
        defer { standardErrorLock.unlock() }
        writeWhole(line, to: 2)
    }

    private static let standardErrorLock = NSLock()

    /// The wall clock in milliseconds since the epoch.
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}

/// Writes all of `line` to `fd`, again after a signal or a partial write. A line that cannot be
/// written (stderr closed, a pipe nobody reads) is dropped: there is nowhere else to tell it.
private func writeWhole(_ line: String, to fd: Int32) {
    let bytes = Array(line.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if written > 0 {
            offset += written
        } else if written < 0 && errno == EINTR {
            continue
        } else {
            return
        }
    }
}

/// The one log set-up of every reliefd command (the daemon, `verify`, `drill`, `migrate`).
public enum ReliefLogging {
    /// Makes every `Logger` write logfmt to stderr at `level` and above, with the journal's
    /// priority prefix when stderr is the journal (decided once, from `JOURNAL_STREAM` and stderr).
    /// swift-log allows one bootstrap per process; each command calls this once before logging.
    public static func bootstrap(level: Logger.Level) {
        let destination = LogDestination.of(descriptor: 2, environment: ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { label in
            LogfmtHandler(label: label, level: level, destination: destination)
        }
    }
}
