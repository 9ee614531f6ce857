import Foundation
import XCTest

/// The installed service: reliefd tells systemd when it is ready and stopping and pings its
/// watchdog from the loop; the unit runs what the installed config says and passes systemd's own
/// check; the package check tells a user without root what to run.
final class ServiceTests: EndToEndTestCase {
    /// A datagram socket standing in for systemd's notification socket.
    final class NotifySocket {
        let path: String
        let fd: Int32

        init(directory: String) throws {
            path = directory + "/notify"
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { target in
                for (index, byte) in path.utf8.enumerated() { target[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
            }
            guard fd >= 0, bound else { throw Daemon.Failure("cannot bind \(path): \(String(cString: strerror(errno)))") }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        /// Messages received until one contains `text` (or `timeout` passes).
        func messages(until text: String, timeout: Double) -> [String] {
            var received: [String] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0 else { continue }
                received.append(String(decoding: buffer[0..<count], as: UTF8.self))
                if received.last!.contains(text) { break }
            }
            return received
        }
    }

    func testReliefdTellsSystemdItIsReadyPingsTheWatchdogAndSaysWhenItStops() throws {
        var notify: NotifySocket!
        // A watchdog of 2 s: a ping at least every second, from the loop's tick.
        let daemon = try startDaemon { daemon in
            notify = try NotifySocket(directory: daemon.directory)
            daemon.environment = ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "2000000"]
        }
        let first = notify.messages(until: "READY=1", timeout: 10)
        let ready = try XCTUnwrap(first.last { $0.contains("READY=1") }, "\(first)")
        XCTAssertTrue(ready.contains("STATUS=serving at seq"), ready)
        XCTAssertTrue(ready.contains("MAINPID=\(daemon.pid)"), ready)
        let pings = notify.messages(until: "WATCHDOG=1", timeout: 3)
        XCTAssertEqual(pings.last, "WATCHDOG=1", "\(pings)")
        let again = notify.messages(until: "WATCHDOG=1", timeout: 3)
        XCTAssertEqual(again.last, "WATCHDOG=1", "the pings go on: \(again)")
        XCTAssertEqual(try daemon.stop(), 0)
        let last = notify.messages(until: "STOPPING=1", timeout: 5)
        XCTAssertTrue(last.contains { $0.contains("STOPPING=1") }, "\(last)")
    }

    func testWithoutSystemdNothingIsSentAndAWatchdogForAnotherProcessIsIgnored() throws {
        var notify: NotifySocket!
        // WATCHDOG_PID names another process: reliefd inherited the variable and must not ping.
        _ = try startDaemon { daemon in
            notify = try NotifySocket(directory: daemon.directory)
            daemon.environment = ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"]
        }
        let seen = notify.messages(until: "WATCHDOG=1", timeout: 3)
        XCTAssertTrue(seen.contains { $0.contains("READY=1") }, "\(seen)")
        XCTAssertFalse(seen.contains("WATCHDOG=1"), "\(seen)")
    }

    /// The unit starts reliefd with the installed config alone, waits for READY, and passes
    /// `systemd-analyze verify` (with ExecStart pointed at the reliefd just built; the machine's
    /// systemd is not running here, so a real `systemctl start` is for a machine with one).
    func testTheUnitRunsTheInstalledConfigAndVerifies() throws {
        let root = Daemon.packageDirectory
        let unit = try String(contentsOfFile: root + "/deploy/reliefd.service", encoding: .utf8)
        let execStart = unit.split(separator: "\n").filter { $0.hasPrefix("ExecStart=") }
        XCTAssertEqual(execStart, ["ExecStart=/usr/local/bin/reliefd --config /etc/reliefd/reliefd.conf"], "no flag overrides the config")
        XCTAssertTrue(unit.contains("\nType=notify\n") && unit.contains("\nWatchdogSec="), unit)
        XCTAssertTrue(unit.contains("\nSystemCallErrorNumber=EPERM\n"), unit)

        // The installed config: absolute paths, each to a file or directory the installer installs.
        let config = try String(contentsOfFile: root + "/deploy/reliefd.conf", encoding: .utf8)
        let install = try String(contentsOfFile: root + "/deploy/install", encoding: .utf8)
        var values: [String: String] = [:]
        for line in config.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        for key in ["socket", "data_dir", "catalog_file", "planning_file", "drills_dir"] {
            XCTAssertTrue(values[key]?.hasPrefix("/") == true, "\(key) = \(values[key] ?? "missing")")
        }
        for key in ["catalog_file", "planning_file"] { XCTAssertTrue(install.contains(values[key]!), "the installer installs \(values[key]!)") }
        XCTAssertTrue(install.contains("/etc/reliefd/drills/"))
        XCTAssertEqual(values["demo"], "off")
        // reliefd itself reads it: every key known, every value valid.
        let checked = try reliefd(["--config", root + "/deploy/reliefd.conf", "--check-config"], timeout: 30)
        XCTAssertEqual(checked.status, 0, checked.err)

        let analyze = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: analyze) else {
            throw XCTSkip("systemd-analyze is not installed here; the unit's text was checked")
        }
        let scratch = NSTemporaryDirectory() + "unit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let local = unit.replacingOccurrences(of: "/usr/local/bin/reliefd", with: try Daemon.binaryPath())
        try local.write(toFile: scratch + "/reliefd.service", atomically: true, encoding: .utf8)
        let verified = try runProgram(analyze, ["verify", "--man=no", scratch + "/reliefd.service"], timeout: 60)
        // Lines about the machine (no such user yet, no running systemd) are not the unit's fault.
        let problems = (verified.out + verified.err).split(separator: "\n").filter { line in
            !line.contains("reliefd.service") ? false :
                !(line.contains("Failed to resolve user") || line.contains("Failed to resolve group"))
        }
        XCTAssertTrue(problems.isEmpty, "systemd-analyze verify: \(verified.out)\n\(verified.err)")
    }

    /// deploy/run and deploy/test install what is missing with apt; a user who is not root and has
    /// no sudo is told the exact command instead.
    func testThePackageCheckTellsAUserWithoutRootWhatToRun() throws {
        let root = Daemon.packageDirectory
        let bin = NSTemporaryDirectory() + "nosudo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: bin) }
        // A PATH with the tools the check uses and no sudo (swift: only looked for).
        try "#!/bin/sh\nexit 0\n".write(toFile: bin + "/swift", atomically: true, encoding: .utf8)
        chmod(bin + "/swift", 0o755)
        for tool in ["dpkg-query", "grep", "id"] {
            let found = ["/usr/bin/" + tool, "/bin/" + tool].first { FileManager.default.isExecutableFile(atPath: $0) }
            try FileManager.default.createSymbolicLink(atPath: bin + "/" + tool, withDestinationPath: try XCTUnwrap(found, tool))
        }
        chmod(bin, 0o755)
        let check = ". deploy/lib/common.sh; ensure_packages bash reliefd-test-no-such-package"
        var command = ["/bin/bash", "-c", check]
        if getuid() == 0 {
            // As nobody, as a user without root would be.
            command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] + command
        }
        let result = try runProgram(command[0], Array(command.dropFirst()), in: root, environment: ["PATH": bin], timeout: 30)
        XCTAssertEqual(result.status, 1, result.err)
        XCTAssertTrue(result.err.contains("missing Debian packages: reliefd-test-no-such-package"), result.err)
        XCTAssertTrue(result.err.contains("apt-get install -y --no-install-recommends reliefd-test-no-such-package"), result.err)
        XCTAssertFalse(result.err.contains("sudo: command not found"), result.err)
    }
}
