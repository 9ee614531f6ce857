import Foundation
import Logging
import ReliefLog
import XCTest
@testable import ReliefServer

/// A line a machine asks for (`.log(ServerMachine.Log)`, performed by `Logger.write` in `Server`
/// and `PostgresBackend`) is an ordinary swift-log record, so it comes out in the daemon's logfmt.
final class MachineLogTests: XCTestCase {
    final class Lines: @unchecked Sendable {
        // @unchecked: `lines` is only touched under `lock`.
        private let lock = NSLock()
        private var lines: [String] = []
        var sink: LogSink { LogSink { line in self.lock.withLock { self.lines.append(line) } } }
        var all: [String] { lock.withLock { lines } }
    }

    func testAMachinesLineIsWrittenInLogfmtAtItsLevel() {
        let lines = Lines()
        let logger = Logger(label: "reliefd") { label in
            LogfmtHandler(label: label, level: .info, destination: .journal, sink: lines.sink, metadataProvider: nil)
        }
        logger.write(ServerMachine.Log(level: .error, message: "commit failed; refusing writes until the store recovers",
                                       metadata: ["error": "disk I/O error", "seq": "12"]))
        logger.write(ServerMachine.Log(level: .notice, message: "store recovered; accepting writes", metadata: ["seq": "12"]))
        logger.write(ServerMachine.Log(level: .warning, message: "snapshot failed", metadata: ["error": "\"x\" = y\nz"]))
        logger.write(ServerMachine.Log(level: .info, message: "long commit"))
        XCTAssertEqual(lines.all, [
            "<3>level=error label=reliefd msg=\"commit failed; refusing writes until the store recovers\" error=\"disk I/O error\" seq=12 source=ReliefServer\n",
            "<5>level=notice label=reliefd msg=\"store recovered; accepting writes\" seq=12 source=ReliefServer\n",
            "<4>level=warning label=reliefd msg=\"snapshot failed\" error=\"\\\"x\\\" = y\\nz\" source=ReliefServer\n",
            "<6>level=info label=reliefd msg=\"long commit\" source=ReliefServer\n",
        ])
    }
}
