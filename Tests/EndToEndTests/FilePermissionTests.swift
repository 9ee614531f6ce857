#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// The store's files are the daemon user's alone (they hold what masking hides from operators);
/// the socket has a group of its own.
final class FilePermissionTests: EndToEndTestCase {
    private func mode(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            XCTFail("\(path) does not exist", file: file, line: line)
            return nil
        }
        return info.st_mode & 0o7777
    }

    /// Starts a daemon with the usual umask 022 of a shell, so files come out 0644 / 0755 unless
    /// reliefd sees to it itself.
    private func startWithOrdinaryUmask(_ daemon: Daemon) throws {
        let old = umask(0o022)
        defer { umask(old) }
        try daemon.start()
    }

    func testANewDataDirectoryAndTheStoreFilesAreTheDaemonsUsersOnly() throws {
        let daemon = try Daemon()
        addTeardownBlock { daemon.cleanUp() }
        try startWithOrdinaryUmask(daemon)
        let client = try daemon.connect()
        try addCatalog(client)
        let data = daemon.dataDirectory
        XCTAssertEqual(mode(data), 0o700)
        for name in ["reliefd.db", "reliefd.db-wal", "reliefd.db-shm"] {
            XCTAssertEqual(mode(data + "/" + name), 0o600, name)
        }
        client.close()
        try daemon.stop()
        XCTAssertEqual(mode(data + "/reliefd.db"), 0o600, "the snapshot at shutdown keeps the file private")
    }

    func testLooserExistingFilesAreNarrowedAtStartAndSymlinksLeftAlone() throws {
        let daemon = try Daemon()
        addTeardownBlock { daemon.cleanUp() }
        try daemon.start()
        try addCatalog(try daemon.connect())
        try daemon.stop()

        // As an earlier reliefd (or a careless copy) left them.
        let data = daemon.dataDirectory
        XCTAssertEqual(chmod(data, 0o755), 0)
        XCTAssertEqual(chmod(data + "/reliefd.db", 0o644), 0)
        try "a copy\n".write(toFile: data + "/reliefd.db.bak", atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(data + "/reliefd.db.bak", 0o644), 0)
        let outside = daemon.directory + "/outside.txt"
        try "not the store's\n".write(toFile: outside, atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(outside, 0o644), 0)
        XCTAssertEqual(symlink(outside, data + "/reliefd.db.link"), 0)
        // Not the store's: left as it is (data_dir may name a directory that holds other things).
        try "notes\n".write(toFile: data + "/notes.txt", atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(data + "/notes.txt", 0o644), 0)

        daemon.extraFlags = ["--log-level", "notice"]
        try startWithOrdinaryUmask(daemon)
        let client = try daemon.connect()
        try ok(client, "region add other name=Other")
        XCTAssertEqual(mode(data), 0o700)
        for name in ["reliefd.db", "reliefd.db-wal", "reliefd.db-shm", "reliefd.db.bak"] {
            XCTAssertEqual(mode(data + "/" + name), 0o600, name)
        }
        XCTAssertEqual(mode(outside), 0o644, "a symlink in the data directory is not followed")
        XCTAssertEqual(mode(data + "/notes.txt"), 0o644)
        let log = daemon.log
        XCTAssertTrue(log.contains("data directory was readable by others; made it 0700"), log)
        XCTAssertTrue(log.contains("was=0755"), log)
        XCTAssertTrue(log.contains("path=\(data)/reliefd.db was=0644"), log)
        XCTAssertEqual(try rows(client, "region list").count, 2, "the store opened as before")
    }

    func testTheSocketGetsItsOwnGroupAndMode() throws {
        // A group reliefd may give the socket: any, as root; otherwise one of ours.
        var candidates: [gid_t] = []
        if geteuid() == 0 {
            setgrent()
            while let entry = getgrent() { candidates.append(entry.pointee.gr_gid) }
            endgrent()
        } else {
            var groups = [gid_t](repeating: 0, count: 256)
            let count = getgroups(Int32(groups.count), &groups)
            candidates = Array(groups.prefix(Int(max(count, 0))))
        }
        guard let gid = candidates.first(where: { $0 != getegid() }), let entry = getgrgid(gid) else {
            throw XCTSkip("no group other than our own to give the socket")
        }
        let name = String(cString: entry.pointee.gr_name)
        let daemon = try startDaemon(["--socket-group", name, "--socket-mode", "0660"])
        var info = stat()
        XCTAssertEqual(lstat(daemon.socketPath, &info), 0)
        XCTAssertEqual(info.st_gid, gid, "socket group")
        XCTAssertEqual(info.st_mode & 0o777, 0o660)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFSOCK)
        XCTAssertTrue(try daemon.connect().request("ping").isOK)
    }

    /// A password in the configuration file is accepted, but never shown: not in `info`, not in the
    /// log (which warns when others can read the file). No server listens on port 1, so the daemon
    /// stays a candidate and logs its connection failures meanwhile.
    func testAPasswordInTheConfigurationFileIsNeverShownAndALooseFileIsWarnedAbout() throws {
        let daemon = try Daemon()
        addTeardownBlock { daemon.cleanUp() }
        let conf = daemon.directory + "/reliefd.conf"
        try "store = postgres://reliefd:hunter2secret@127.0.0.1:1/relief?sslmode=disable&password=hunter3secret\n"
            .write(toFile: conf, atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(conf, 0o644), 0)
        daemon.extraFlags = ["--config", conf]
        try daemon.start()
        let client = try daemon.connect()
        let fields = try info(client)
        XCTAssertEqual(fields["store"], "postgres://reliefd:***@127.0.0.1:1/relief?sslmode=disable&password=***")
        XCTAssertNotEqual(fields["role"], "leader")
        // A few connection attempts, each logged with the error PostgreSQL's client gave.
        try waitFor("two failed connection attempts in the log") {
            daemon.log.components(separatedBy: "PostgreSQL unreachable").count > 2
        }
        let log = daemon.log
        XCTAssertTrue(log.contains("the configuration file holds the PostgreSQL password and others can read it"), log)
        XCTAssertTrue(log.contains("mode=0644"), log)
        XCTAssertFalse(log.contains("hunter2secret") || log.contains("hunter3secret"), log)
    }

    /// Without a socket, reliefctl says where it looked and how to point it elsewhere.
    func testReliefctlNamesWhereItLookedWhenNothingListens() throws {
        let missing = NSTemporaryDirectory() + "no-daemon-\(UUID().uuidString).sock"
        let result = try reliefctl(["--socket", missing, "ping"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.err.contains("cannot connect to unix socket \(missing)"), result.err)
        XCTAssertTrue(result.err.contains("else $RELIEFD_SOCKET, else /run/reliefd/reliefd.sock"), result.err)
        XCTAssertTrue(result.err.contains("export RELIEFD_SOCKET=$PWD/data/reliefd.sock"), result.err)
    }
}
