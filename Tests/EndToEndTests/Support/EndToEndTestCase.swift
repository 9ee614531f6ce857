import CSQLite
import Foundation
import ReliefProtocol
import XCTest

/// Base class of the end-to-end tests: hands out daemons and makes sure `tearDown` kills them and
/// removes their directories even when a test fails half-way.
class EndToEndTestCase: XCTestCase {
    private var daemons: [Daemon] = []

    override func tearDown() {
        for daemon in daemons {
            if (testRun?.totalFailureCount ?? 0) > 0 {
                print("--- reliefd log (\(daemon.directory)) ---\n\(daemon.log.suffix(4000))")
            }
            daemon.cleanUp()
        }
        daemons.removeAll()
        super.tearDown()
    }

    /// A started daemon on a fresh temporary directory.
    func startDaemon(_ flags: [String] = [], environment: [String: String] = [:], before: (Daemon) throws -> Void = { _ in }) throws -> Daemon {
        let daemon = try Daemon(flags: flags)
        daemon.environment = environment
        daemons.append(daemon)
        try before(daemon)
        try daemon.start()
        return daemon
    }

    /// Sends `line` and fails the test unless the reply is OK (plain or rows).
    @discardableResult
    func ok(_ client: Client, _ line: String, file: StaticString = #filePath, line number: UInt = #line) throws -> ReplyReader.Parsed {
        let reply = try client.request(line)
        XCTAssertTrue(reply.isOK, "\(line) → \(reply.text)", file: file, line: number)
        return reply
    }

    /// Sends `line` and returns its rows, failing unless the reply is rows.
    func rows(_ client: Client, _ line: String, file: StaticString = #filePath, line number: UInt = #line) throws -> [[String: String]] {
        let reply = try client.request(line)
        guard let rows = reply.rowFields else {
            XCTFail("\(line) → \(reply.text); expected rows", file: file, line: number)
            return []
        }
        return rows
    }

    /// Sends `line` and checks it is refused with `code`.
    func refused(_ client: Client, _ line: String, _ code: String, file: StaticString = #filePath, line number: UInt = #line) throws {
        let reply = try client.request(line)
        XCTAssertEqual(reply.errorCode, code, "\(line) → \(reply.text)", file: file, line: number)
    }

    /// `info` fields.
    /// Waits for something the daemon shows — a field of `info`, a line of its log, a reply — instead
    /// of sleeping for a time it might take: checks `condition` every 20 ms, for at most `timeout`
    /// seconds, and fails naming `what` when it never holds. Returns how long it took.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 10, _ condition: () throws -> Bool) throws -> Double {
        let started = Date()
        while true {
            if (try? condition()) == true { return Date().timeIntervalSince(started) }
            guard Date().timeIntervalSince(started) < timeout else {
                throw Daemon.Failure("timed out after \(timeout) s waiting for \(what)")
            }
            usleep(20_000)
        }
    }

    /// A TCP client logged in as `user` (created with `role` by `admin`, a Unix-socket admin,
    /// if it does not exist yet), with a token made for it.
    func tcpClient(port: UInt16, as user: String = "tester", role: String = "admin", scope: String = "",
                   admin: Client, timeout: Double = 10) throws -> Client {
        let known = try admin.request("user show \(user)")
        if known.errorCode == "NOTFOUND" { _ = try ok(admin, "user add \(user) role=\(role) \(scope)") }
        tokenCounter += 1
        let token = try ok(admin, "token create \(user) t\(tokenCounter)").okFields?["token"] ?? ""
        let client = try Client(tcpPort: port, timeout: timeout)
        let auth = try client.request("auth \(user) \(token)")
        XCTAssertEqual(auth.okFields?["user"], user, auth.text)
        return client
    }
    private var tokenCounter = 0

    func info(_ client: Client) throws -> [String: String] {
        let reply = try client.request("info")
        guard let fields = reply.okFields else { throw Daemon.Failure("info → \(reply.text)") }
        return fields
    }

    /// `info` once the daemon has settled after a start. A start that replayed entries (a journal
    /// tail after a kill -9, a catalog loaded into a new store) snapshots them at once, and the
    /// snapshot's seal (`snapshot.sealed`) is one more journal entry, committed a moment later;
    /// a clean stop seals its final snapshot the same way. Waits (at most `timeout` seconds) until
    /// every entry is committed and the newest snapshot is the state but for its seal.
    func settledInfo(_ client: Client, timeout: Double = 20) throws -> [String: String] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let fields = try info(client)
            if fields["committed_seq"] == fields["seq"], fields["snapshot_pending"] == "no" {
                return fields
            }
            guard Date() < deadline else { throw Daemon.Failure("reliefd did not settle within \(timeout) s: info \(fields)") }
            usleep(20_000)
        }
    }

    /// How `expectSameAnswers` brings the daemon back: `kill -9` and a start that replays the
    /// journal's tail, or a clean stop and a start from the snapshot it wrote.
    enum Comeback: String { case afterKill = "kill -9 and restart", afterRestart = "a restart from the snapshot" }

    /// The replies to `queries`, as text.
    func answers(_ client: Client, _ queries: [String]) throws -> [String] {
        try queries.map { try client.request($0).text }
    }

    /// Closes `client`, brings `daemon` back as `comeback` says, and checks that each query answers
    /// as in `before`; returns a client of the daemon that came back.
    func expectSameAnswers(_ queries: [String], as before: [String], after comeback: Comeback, of daemon: Daemon, closing client: Client,
                           file: StaticString = #filePath, line: UInt = #line) throws -> Client {
        client.close()
        switch comeback {
        case .afterKill:
            daemon.kill()
            try daemon.start()
        case .afterRestart:
            try daemon.restart()
        }
        let client = try daemon.connect()
        for (query, old) in zip(queries, before) {
            XCTAssertEqual(try client.request(query).text, old, "\(query) differs after \(comeback.rawValue)", file: file, line: line)
        }
        return client
    }

    /// What a refused request must not change: the stock and lot tables and the journal position.
    func observable(_ client: Client) throws -> String {
        let stock = try client.request("stock query").text
        let lots = try client.request("stock lots").text
        let fields = try info(client)
        return "\(stock)\n\(lots)\nseq=\(fields["seq"] ?? "?") committed_seq=\(fields["committed_seq"] ?? "?")"
    }

    /// A small catalog: region sx, warehouses wh-a and wh-b, item water.
    func addCatalog(_ client: Client) throws {
        try ok(client, "region add sx name=Shanxi")
        try ok(client, "warehouse add wh-a name=\"Depot A\" region=sx at=37.87,112.55")
        try ok(client, "warehouse add wh-b name=\"Depot B\" region=sx at=37.70,112.70")
        try ok(client, "item add water name=\"Water 5l\" category=water unit=bottle")
    }

    /// Runs a program with its output discarded and returns its exit status (posix_spawn and
    /// waitpid: a server the program starts, as `pg-test-cluster resume` does, holds no pipe of ours
    /// open, which would keep Foundation's Process waiting).
    func spawnAndWait(_ arguments: [String]) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, arguments[0], &actions, nil, &argv, environ)
        guard status == 0 else { throw Daemon.Failure("posix_spawn \(arguments[0]) failed: \(String(cString: strerror(status)))") }
        var exit: Int32 = 0
        while waitpid(child, &exit, 0) < 0 && errno == EINTR {}
        return (exit >> 8) & 0xFF
    }

    /// Runs reliefctl with `arguments`; returns its exit status and output.
    func reliefctl(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 120) throws -> (status: Int32, out: String, err: String) {
        try runProgram(try Daemon.siblingBinary("reliefctl"), arguments, environment: environment, timeout: timeout)
    }

    /// Runs `reliefd ARGUMENTS` (a subcommand such as verify, migrate or drill run, or a start
    /// expected to fail) to its end, in `directory` when given.
    func reliefd(_ arguments: [String], in directory: String? = nil, timeout: Double = 120) throws -> (status: Int32, out: String, err: String) {
        try runProgram(try Daemon.binaryPath(), arguments, in: directory, timeout: timeout)
    }

    /// Runs a program to its end; its exit status, stdout and stderr (through files, so a large
    /// output cannot fill a pipe and stall it). One that outlives `timeout` is killed and fails the test.
    func runProgram(_ path: String, _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:],
                    timeout: Double) throws -> (status: Int32, out: String, err: String) {
        let scratch = NSTemporaryDirectory() + "run-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        XCTAssertTrue(FileManager.default.createFile(atPath: scratch + "/out", contents: nil))
        XCTAssertTrue(FileManager.default.createFile(atPath: scratch + "/err", contents: nil))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = FileHandle(forWritingAtPath: scratch + "/out")
        process.standardError = FileHandle(forWritingAtPath: scratch + "/err")
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("\((path as NSString).lastPathComponent) \(arguments) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        let out = (try? String(contentsOfFile: scratch + "/out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: scratch + "/err", encoding: .utf8)) ?? ""
        return (process.terminationStatus, out, err)
    }

    /// The first column of the first row `query` gives on the SQLite file at `path`, read-only.
    func sqliteScalar(_ path: String, _ query: String) throws -> String? {
        var db: OpaquePointer?
        defer { sqlite3_close_v2(db) }
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { throw Daemon.Failure("cannot open \(path)") }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, query, -1, &statement, nil) == SQLITE_OK else { throw Daemon.Failure("cannot prepare \(query)") }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) else { return nil }
        return String(cString: text)
    }

    /// Writes `text` to a file in the daemon's directory and returns its path.
    func write(_ text: String, _ name: String, in daemon: Daemon) throws -> String {
        let path = daemon.directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
