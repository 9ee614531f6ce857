#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A real `reliefd` process on a temporary data directory and Unix socket, for end-to-end tests.
///
/// The binary is the one `swift test` built next to the test bundle (or `RELIEFD_BIN`). The daemon's
/// stderr goes to `reliefd.log` in the temporary directory, so a failing test can show it. Every
/// wait is bounded; `cleanUp()` kills a daemon still running and removes the directory.
final class Daemon {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    let directory: String
    var dataDirectory: String { directory + "/data" }
    var socketPath: String { directory + "/r.sock" }
    var logPath: String { directory + "/reliefd.log" }
    /// Flags added after the fixed ones, e.g. `["--max-clients", "20"]`.
    var extraFlags: [String]
    /// Environment variables set for the daemon on top of the test's own.
    var environment: [String: String] = [:]
    private(set) var pid: pid_t = 0
    private(set) var starts = 0

    var isRunning: Bool { pid > 0 }

    init(flags: [String] = []) throws {
        extraFlags = flags
        var template = Array("/tmp/reliefd-e2e-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
    }

    deinit { cleanUp() }

    /// The `reliefd` executable: `RELIEFD_BIN`, else the directory of the running test executable
    /// (`.build/<triple>/<config>/` under `swift test`, which builds every product first).
    static func binaryPath() throws -> String {
        if let given = ProcessInfo.processInfo.environment["RELIEFD_BIN"], !given.isEmpty {
            guard access(given, X_OK) == 0 else { throw Failure("RELIEFD_BIN=\(given) is not an executable file") }
            return given
        }
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var directory = (exe as NSString).deletingLastPathComponent
            candidates.append(directory + "/reliefd")
            // Where the test bundle is a directory (Darwin-style .xctest bundles), walk up to the build directory.
            while directory.count > 1, directory.contains(".xctest") {
                directory = (directory as NSString).deletingLastPathComponent
                candidates.append(directory + "/reliefd")
            }
        }
        for candidate in candidates where access(candidate, X_OK) == 0 { return candidate }
        throw Failure("reliefd executable not found (looked at \(candidates.joined(separator: ", "))); build it first with `swift build` using the same --scratch-path, or set RELIEFD_BIN")
    }

    /// Starts the daemon and waits (at most `timeout` seconds) until its socket accepts connections.
    func start(timeout: Double = 20) throws {
        precondition(pid == 0, "daemon already running")
        let binary = try Daemon.binaryPath()
        // No skill catalog unless a test asks for one (--catalog-file PATH), so the store starts empty.
        let arguments = [binary, "--data-dir", dataDirectory, "--socket", socketPath, "--tcp", "off",
                         "--demo", "off", "--catalog-file", "off", "--log-level", "warning"] + extraFlags

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        var variables = ProcessInfo.processInfo.environment
        for (key, value) in environment { variables[key] = value }
        var envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        let status = posix_spawn(&child, binary, &actions, nil, &argv, &envp)
        guard status == 0 else { throw Failure("posix_spawn \(binary) failed: \(String(cString: strerror(status)))") }
        pid = child
        starts += 1

        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let exit = reap(block: false) {
                throw Failure("reliefd exited during start-up (\(exit)); log:\n\(log)")
            }
            if let probe = try? Client(socketPath: socketPath, timeout: 2) {
                probe.close()
                return
            }
            usleep(20_000)
        }
        kill()
        throw Failure("reliefd did not accept connections on \(socketPath) within \(timeout) s; log:\n\(log)")
    }

    /// The package's directory (where config/ is), found from this source file's path.
    static var packageDirectory: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }

    /// An executable built next to `reliefd` (e.g. `reliefctl`).
    static func siblingBinary(_ name: String) throws -> String {
        let path = (try binaryPath() as NSString).deletingLastPathComponent + "/" + name
        guard access(path, X_OK) == 0 else { throw Failure("\(name) not found at \(path); build it with the same --scratch-path") }
        return path
    }

    /// A free TCP port on loopback (asked of the kernel, then released; a race is unlikely in tests).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket failed") }
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failure("cannot find a free port: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }

    func connect(timeout: Double = 10) throws -> Client {
        try Client(socketPath: socketPath, timeout: timeout)
    }

    /// Clean shutdown: SIGTERM, then wait for the exit. Returns the exit status; a daemon that does
    /// not stop within `timeout` is killed and reported as a failure.
    @discardableResult
    func stop(timeout: Double = 20) throws -> Int32 {
        guard pid > 0 else { throw Failure("stop: reliefd is not running") }
        Glibc.kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let exit = reap(block: false) {
                guard exit == "exit 0" else { throw Failure("reliefd stopped with \(exit) after SIGTERM; log:\n\(log)") }
                return 0
            }
            usleep(10_000)
        }
        kill()
        throw Failure("reliefd did not exit within \(timeout) s of SIGTERM; killed it. log:\n\(log)")
    }

    /// Kills the daemon with SIGKILL (a crash) and reaps it.
    func kill() {
        guard pid > 0 else { return }
        Glibc.kill(pid, SIGKILL)
        _ = reap(block: true)
    }

    /// Whether the process is still alive (reaping it if it has died).
    func checkAlive() -> String? {
        guard pid > 0 else { return "not running" }
        return reap(block: false)
    }

    func restart(timeout: Double = 20) throws {
        if pid > 0 { try stop(timeout: timeout) }
        try start(timeout: timeout)
    }

    /// Returns a description of how the process ended once it has, and forgets the pid.
    private func reap(block: Bool) -> String? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, block ? 0 : WNOHANG)
        if result == 0 { return nil }
        pid = 0
        if result < 0 { return "waitpid failed: \(String(cString: strerror(errno)))" }
        let signal = status & 0x7F
        if signal == 0 { return "exit \((status >> 8) & 0xFF)" }
        return "signal \(signal)"
    }

    var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
    }

    /// Kills a daemon still running and removes the temporary directory.
    func cleanUp() {
        kill()
        if !directory.isEmpty, directory.hasPrefix("/tmp/reliefd-e2e-") {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
