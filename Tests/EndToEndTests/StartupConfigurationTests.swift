#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// reliefd refuses a bad configuration at start with a message naming what was wrong, and exits.
final class StartupConfigurationTests: EndToEndTestCase {
    private func run(_ arguments: [String], timeout: Double = 20) throws -> (status: Int32, stderr: String, stdout: String) {
        let result = try reliefd(arguments, timeout: timeout)
        return (result.status, result.err, result.out)
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

    /// Settings are resolved before any store is opened: planning standards that are present but wrong
    /// (or a matching policy that cannot be used) stop the start with their message, and leave no store.
    func testBadPlanningStandardsStopTheStartBeforeTheStoreIsOpened() throws {
        let directory = try temporaryDirectory()
        let planning = directory + "/bad.standards"
        try "water amount=lots unit=L per=person-day item=water-5l content=5 priority=1\n".write(toFile: planning, atomically: true, encoding: .utf8)
        let result = try run(["--data-dir", directory + "/data", "--socket", directory + "/r.sock", "--tcp", "off",
                              "--planning-file", planning])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("planning standards not loaded: \(planning):1"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/data/reliefd.db"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/r.sock"))
    }

    func testAnUnknownSocketGroupStopsTheStart() throws {
        let directory = try temporaryDirectory()
        let result = try run(["--data-dir", directory + "/data", "--socket", directory + "/r.sock", "--tcp", "off",
                              "--demo", "off", "--catalog-file", "off", "--socket-group", "no-such-group-reliefd"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("socket_group \"no-such-group-reliefd\": no such group"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/r.sock"))
    }

    /// A password on the command line shows in ps: refused, and the message does not repeat it.
    func testAPasswordOnTheCommandLineIsRefusedWithoutRepeatingIt() throws {
        let directory = try temporaryDirectory()
        let base = ["--data-dir", directory + "/data", "--socket", directory + "/r.sock", "--tcp", "off"]
        for store in ["postgres://reliefd:hunter2secret@127.0.0.1:1/relief", "postgres://reliefd@127.0.0.1:1/relief?password=hunter2secret"] {
            let result = try run(base + ["--store", store])
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertTrue(result.stderr.contains("--store holds a password"), result.stderr)
            XCTAssertTrue(result.stderr.contains("store_password_file") && result.stderr.contains("PGPASSFILE"), result.stderr)
            XCTAssertFalse(result.stderr.contains("hunter2secret"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/r.sock"))
        }
        try "x".write(toFile: directory + "/source.db", atomically: false, encoding: .utf8)
        let migrate = try run(["migrate", "--from", "sqlite:" + directory + "/source.db", "--to", "postgres://reliefd:hunter2secret@127.0.0.1:1/relief"])
        XCTAssertEqual(migrate.status, 2, migrate.stderr)
        XCTAssertTrue(migrate.stderr.contains("--to holds a password"), migrate.stderr)
        XCTAssertFalse(migrate.stderr.contains("hunter2secret"), migrate.stderr)
    }

    func testAPasswordFileOthersCouldReadOrOwnIsRefused() throws {
        let directory = try temporaryDirectory()
        let file = directory + "/store-password"
        try "hunter2secret\n".write(toFile: file, atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(file, 0o644), 0)
        let base = ["--data-dir", directory + "/data", "--socket", directory + "/r.sock", "--tcp", "off",
                    "--store", "postgres://reliefd@127.0.0.1:1/relief", "--store-password-file", file]
        let loose = try run(base)
        XCTAssertEqual(loose.status, 2, loose.stderr)
        XCTAssertTrue(loose.stderr.contains("store_password_file \(file) is mode 0644, readable or writable by others; expected 0600 or 0400: chmod 600 \(file)"),
                      loose.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/r.sock"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/data"), "a refused start creates nothing")
        try "x".write(toFile: directory + "/source.db", atomically: false, encoding: .utf8)
        let migrate = try run(["migrate", "--from", "sqlite:" + directory + "/source.db", "--to", "postgres://reliefd@127.0.0.1:1/relief",
                               "--password-file", file])
        XCTAssertEqual(migrate.status, 2, migrate.stderr)
        XCTAssertTrue(migrate.stderr.contains("--password-file \(file) is mode 0644"), migrate.stderr)

        XCTAssertEqual(chmod(file, 0o600), 0)
        // Both a password in the URL and a password file: which one is meant is unclear.
        let conf = directory + "/both.conf"
        try "store = postgres://reliefd:other@127.0.0.1:1/relief\nstore_password_file = \(file)\n".write(toFile: conf, atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(conf, 0o600), 0)
        let both = try run(["--config", conf, "--data-dir", directory + "/data", "--socket", directory + "/r.sock", "--tcp", "off"])
        XCTAssertEqual(both.status, 2, both.stderr)
        XCTAssertTrue(both.stderr.contains("store holds a password and store_password_file is set too"), both.stderr)

        XCTAssertEqual(chmod(file, 0o400), 0)
        let empty = directory + "/empty-password"
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data("\n".utf8), attributes: [.posixPermissions: 0o600]))
        let emptyResult = try run(base.dropLast() + [empty])
        XCTAssertEqual(emptyResult.status, 2, emptyResult.stderr)
        XCTAssertTrue(emptyResult.stderr.contains("store_password_file \(empty) is empty"), emptyResult.stderr)

        guard geteuid() == 0 else { return } // giving the file away takes root
        XCTAssertEqual(chown(file, 65534, gid_t.max), 0)
        let foreign = try run(base)
        XCTAssertEqual(foreign.status, 2, foreign.stderr)
        XCTAssertTrue(foreign.stderr.contains("store_password_file \(file) belongs to uid 65534; expected the user reliefd runs as (uid 0)"), foreign.stderr)
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
