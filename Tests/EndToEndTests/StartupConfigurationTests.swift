#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// reliefd refuses a bad configuration at start with a message naming what was wrong, and exits.
final class StartupConfigurationTests: XCTestCase {
    private func run(_ arguments: [String], timeout: Double = 20) throws -> (status: Int32, stderr: String, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Daemon.binaryPath())
        process.arguments = arguments
        let errors = Pipe()
        let output = Pipe()
        process.standardError = errors
        process.standardOutput = output
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("reliefd \(arguments) did not exit within \(timeout) s")
        }
        process.waitUntilExit()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, text, out)
    }

    private func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "reliefd-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testUnknownFlagIsNamedAndNothingStarts() throws {
        let directory = try temporaryDirectory()
        let result = try run(["--data-dir", directory + "/data", "--socket", directory + "/r.sock", "--colour", "blue"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("--colour: unknown key \"colour\""), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/r.sock"))
    }

    func testBadValueInFileNamesFileLineAndExpectation() throws {
        let directory = try temporaryDirectory()
        let file = directory + "/bad.conf"
        try "# ok\nsocket = \(directory)/r.sock\nmax_clients = lots\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try run(["--config", file, "--data-dir", directory + "/data"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("bad.conf:3: bad value \"lots\" for max_clients; expected a whole number"), result.stderr)
    }

    func testHelpVersionAndUnreadableOrBadFiles() throws {
        let help = try run(["--help"])
        XCTAssertEqual(help.status, 0)
        for flag in ["--socket", "--data-dir", "--max-line", "--partial-line-timeout", "--snapshot-every", "--demo-file"] {
            XCTAssertTrue(help.stdout.contains(flag), "--help does not list \(flag)")
        }
        let version = try run(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.stdout.hasPrefix("reliefd "), version.stdout)
        let directory = try temporaryDirectory()
        let file = directory + "/r.conf"
        try "tcp = 127.0.0.1:notaport\n".write(toFile: file, atomically: true, encoding: .utf8)
        // A bad value in the file stops the start even when other keys come from flags.
        let bad = try run(["--config", file, "--data-dir", directory + "/data"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("r.conf:1: bad value \"127.0.0.1:notaport\" for tcp"), bad.stderr)
        let missing = try run(["--config", directory + "/nope.conf"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("cannot read configuration file"), missing.stderr)
    }

    func testAnUnknownSocketGroupStopsTheStart() throws {
        let directory = try temporaryDirectory()
        let result = try run(["--data-dir", directory + "/data", "--socket", directory + "/r.sock", "--tcp", "off",
                              "--demo", "off", "--catalog-file", "off", "--socket-group", "no-such-group-reliefd"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("socket_group \"no-such-group-reliefd\": no such group"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/r.sock"))
    }

    func testAnotherDaemonOnTheSameSocketIsRefused() throws {
        let first = try Daemon(flags: [])
        defer { first.cleanUp() }
        try first.start()
        let result = try run(["--data-dir", first.directory + "/data2", "--socket", first.socketPath, "--tcp", "off"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("another reliefd is already listening on \(first.socketPath)"), result.stderr)
        // The first one is untouched.
        let client = try first.connect()
        XCTAssertTrue(try client.request("ping").isOK)
    }
}
