#if canImport(Glibc)
import Glibc
#endif
// sys/socket.h's SOCK_* constants reach Swift through libuv's headers (as for Listener), not
// through Glibc's module alone.
import CLibUV
import Foundation

/// systemd's service notifications (sd_notify(3)), without libsystemd: datagrams to the socket
/// `$NOTIFY_SOCKET` names (a path, or `@name` in the abstract namespace). The daemon says
/// `READY=1` once it serves (the unit is `Type=notify`, so `systemctl start` returns then, and units
/// ordered after reliefd start against a daemon that answers), `STOPPING=1` when it begins to stop,
/// and, while systemd's watchdog is on (`WatchdogSec=`, passed as `$WATCHDOG_USEC`), `WATCHDOG=1`
/// from the loop's once-a-second tick at half the interval: a loop that stalls stops the pings
/// and systemd restarts the daemon. Without `$NOTIFY_SOCKET` (not under systemd) it does nothing.
final class ServiceNotifier {
    private let address: [UInt8]?
    /// Milliseconds between watchdog pings (half of `WATCHDOG_USEC`), or nil when it is off.
    let watchdogInterval: UInt64?
    private var lastPing: UInt64 = 0
    /// Notifications that could not be sent (for `info`-style diagnostics and tests).
    private(set) var failures = 0

    init(environment: [String: String] = ProcessInfo.processInfo.environment, pid: Int32 = getpid()) {
        if let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.utf8.count < 108,
           path.hasPrefix("/") || path.hasPrefix("@") {
            var bytes = Array(path.utf8)
            if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
            address = bytes
        } else {
            address = nil
        }
        // WATCHDOG_PID, when given, names the process meant (not a child that inherited it).
        if let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds >= 2000,
           environment["WATCHDOG_PID"].map({ Int32($0) == pid }) ?? true {
            watchdogInterval = microseconds / 2000
        } else {
            watchdogInterval = nil
        }
    }

    var isActive: Bool { address != nil }

    func ready(status: String) { send("READY=1\nSTATUS=\(status)\nMAINPID=\(getpid())") }
    func stopping() { send("STOPPING=1\nSTATUS=stopping") }
    func status(_ text: String) { send("STATUS=\(text)") }

    /// The loop's tick: a watchdog ping when one is due.
    func tick(now: UInt64) {
        guard let interval = watchdogInterval, now &- lastPing >= interval else { return }
        lastPing = now
        send("WATCHDOG=1")
    }

    private func send(_ message: String) {
        guard let address else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { failures += 1; return }
        defer { close(fd) }
        var target = sockaddr_un()
        target.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &target.sun_path) { path in
            for (index, byte) in address.enumerated() { path[index] = byte }
        }
        // A path is NUL-terminated; an abstract name is exactly its bytes.
        let length = MemoryLayout<sa_family_t>.size + address.count + (address[0] == 0 ? 0 : 1)
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL), $0, socklen_t(length))
            }
        }
        if sent != bytes.count { failures += 1 }
    }
}
