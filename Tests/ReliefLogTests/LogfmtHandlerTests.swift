import Foundation
import Logging
import ReliefLog
import XCTest

/// The handler through swift-log's `Logger`, writing to an array instead of stderr.
final class LogfmtHandlerTests: XCTestCase {
    /// Lines a `LogSink` received.
    final class Lines: @unchecked Sendable {
        // @unchecked: `lines` is only touched under `lock`.
        private let lock = NSLock()
        private var lines: [String] = []
        var sink: LogSink { LogSink { line in self.lock.withLock { self.lines.append(line) } } }
        var all: [String] { lock.withLock { lines } }
    }

    private func logger(_ lines: Lines, level: Logger.Level = .info, destination: LogDestination = .stream) -> Logger {
        Logger(label: "reliefd") { label in
            LogfmtHandler(label: label, level: level, destination: destination, sink: lines.sink, metadataProvider: nil)
        }
    }

    func testEachRecordIsOneLogfmtLineWithTheLoggersAndTheCallsMetadata() throws {
        let lines = Lines()
        var logger = logger(lines)
        logger[metadataKey: "store"] = "sqlite:data/reliefd.db"
        logger[metadataKey: "client"] = "1"
        let before = Date()
        logger.warning("commit failed;\nrefusing writes", metadata: ["error": "disk I/O error", "client": "7"])
        logger.debug("not at info")
        let after = Date()

        XCTAssertEqual(lines.all.count, 1)
        let line = try XCTUnwrap(lines.all.first)
        let parsed = try XCTUnwrap(PythonLogfmt.parse(line).first)
        XCTAssertEqual(parsed.keys, ["time", "level", "label", "msg", "client", "error", "store", "source"])
        XCTAssertEqual(parsed["level"], "warning")
        XCTAssertEqual(parsed["label"], "reliefd")
        XCTAssertEqual(parsed["msg"], "commit failed;\nrefusing writes")
        XCTAssertEqual(parsed["client"], "7", "the call's metadata wins over the logger's")
        XCTAssertEqual(parsed["error"], "disk I/O error")
        XCTAssertEqual(parsed["store"], "sqlite:data/reliefd.db")
        XCTAssertEqual(parsed["source"], "ReliefLogTests")
        // The time is now, to the millisecond.
        let milliseconds = { (date: Date) in Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
        let earliest = LogfmtLine.iso8601Milliseconds(milliseconds(before)), latest = LogfmtLine.iso8601Milliseconds(milliseconds(after) + 1)
        let time = try XCTUnwrap(parsed["time"])
        XCTAssertTrue(earliest <= time && time <= latest, "\(earliest) <= \(time) <= \(latest)")
    }

    func testUnderTheJournalTheLevelDecidesThePrefix() {
        let lines = Lines()
        let logger = logger(lines, level: .trace, destination: .journal)
        logger.trace("t")
        logger.info("i")
        logger.notice("n")
        logger.error("e", metadata: ["error": "x"])
        logger.critical("c")
        XCTAssertEqual(lines.all, [
            "<7>level=trace label=reliefd msg=t source=ReliefLogTests\n",
            "<6>level=info label=reliefd msg=i source=ReliefLogTests\n",
            "<5>level=notice label=reliefd msg=n source=ReliefLogTests\n",
            "<3>level=error label=reliefd msg=e error=x source=ReliefLogTests\n",
            "<2>level=critical label=reliefd msg=c source=ReliefLogTests\n",
        ])
    }

    /// swift-log's own handlers' keys for an error carried by the event.
    struct DiskFull: Error, CustomStringConvertible { var description: String { "no space left" } }

    func testAnEventsErrorBecomesErrorFields() {
        let lines = Lines()
        let handler = LogfmtHandler(label: "reliefd", level: .info, destination: .journal, sink: lines.sink, metadataProvider: nil)
        handler.log(event: LogEvent(level: .error, message: "write failed", error: DiskFull(), metadata: nil,
                                    source: "ReliefStore", file: #fileID, function: #function, line: #line))
        XCTAssertEqual(lines.all, ["<3>level=error label=reliefd msg=\"write failed\" error.message=\"no space left\" error.type=ReliefLogTests.LogfmtHandlerTests.DiskFull source=ReliefStore\n"])
    }

    func testAMetadataProvidersValuesAreMergedBeneathTheCalls() {
        let lines = Lines()
        let provider = Logger.MetadataProvider { ["request": "r1", "peer": "provided"] }
        let logger = Logger(label: "reliefd") { label in
            LogfmtHandler(label: label, level: .info, destination: .journal, sink: lines.sink, metadataProvider: provider)
        }
        logger.info("m", metadata: ["peer": "called"])
        XCTAssertEqual(lines.all, ["<6>level=info label=reliefd msg=m peer=called request=r1 source=ReliefLogTests\n"])
    }
}
