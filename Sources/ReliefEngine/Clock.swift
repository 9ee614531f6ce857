// ReliefEngine owns the command table: a parsed Request is checked against the state, turned into
// events and a typed Reply. It is transport-free: the server, the tests and drills drive the same
// Engine. It reads time only through the injected Clock.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ReliefCore

/// The engine's source of time. The daemon uses the system clock; tests and drills inject their own.
public struct Clock: Sendable {
    public var now: @Sendable () -> Timestamp

    public init(now: @escaping @Sendable () -> Timestamp) { self.now = now }

    public static let system = Clock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    public static func fixed(_ time: Timestamp) -> Clock { Clock { time } }
}
