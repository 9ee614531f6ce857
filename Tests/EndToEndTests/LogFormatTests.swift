#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// The daemon's stderr: logfmt lines with their time, or under journald (stderr is the stream
/// `JOURNAL_STREAM` names) with the syslog priority first and no time.
final class LogFormatTests: EndToEndTestCase {
    /// `JOURNAL_STREAM` for the file at `path`, as systemd would set it were that file its stream.
    private func journalStream(of path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Daemon.Failure("stat \(path): \(String(cString: strerror(errno)))") }
        return "\(info.st_dev):\(info.st_ino)"
    }

    private func lines(_ daemon: Daemon) -> [String] {
        daemon.log.split(separator: "\n").map(String.init)
    }

    func testOutsideTheJournalEachLineStartsWithItsTime() throws {
        // Inherited from a parent under systemd, the variable names some other file: not the journal.
        let daemon = try startDaemon(["--log-level", "info"]) { daemon in
            daemon.environment["JOURNAL_STREAM"] = try self.journalStream(of: daemon.directory)
        }
        try daemon.stop()
        let lines = lines(daemon)
        let ready = try XCTUnwrap(lines.first { $0.contains("msg=\"reliefd ready\"") }, daemon.log)
        XCTAssertNotNil(ready.range(of: #"^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info label=reliefd msg="reliefd ready" "#,
                                    options: .regularExpression), ready)
        XCTAssertTrue(ready.contains(" socket=\(daemon.socketPath) "), ready)
        XCTAssertTrue(lines.contains { $0.contains(" level=notice label=reliefd msg=\"shutting down\" ") && $0.contains(" signal=15 ") }, daemon.log)
        for line in lines {
            XCTAssertTrue(line.hasPrefix("time="), line)
        }
    }

    func testUnderTheJournalEachLineStartsWithItsPriorityAndHasNoTime() throws {
        let daemon = try startDaemon(["--log-level", "info"]) { daemon in
            // The daemon appends to this very file, so its stderr has this device and inode.
            guard FileManager.default.createFile(atPath: daemon.logPath, contents: nil) else { throw Daemon.Failure("cannot create \(daemon.logPath)") }
            daemon.environment["JOURNAL_STREAM"] = try self.journalStream(of: daemon.logPath)
        }
        try daemon.stop()
        let lines = lines(daemon)
        XCTAssertTrue(lines.contains { $0.hasPrefix("<6>level=info label=reliefd msg=\"reliefd ready\" ") }, daemon.log)
        XCTAssertTrue(lines.contains { $0.hasPrefix("<5>level=notice label=reliefd msg=\"shutting down\" ") }, daemon.log)
        for line in lines {
            XCTAssertNotNil(line.range(of: #"^<[2-7]>level="#, options: .regularExpression), line)
            XCTAssertFalse(line.contains("time="), line)
        }
    }
}
