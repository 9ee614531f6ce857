#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The monotonic clock in nanoseconds; deadlines and latencies never use wall time.
enum Monotonic {
    @inline(__always)
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// A deadline `seconds` from now, or nil for "wait forever" when seconds is nil or not positive.
    static func deadline(after seconds: Double?) -> UInt64? {
        guard let seconds, seconds > 0 else { return nil }
        return now() &+ UInt64(seconds * 1e9)
    }

    /// Milliseconds left until `deadline` as a poll() timeout: -1 for no deadline, 0 once passed.
    static func pollTimeout(until deadline: UInt64?) -> Int32 {
        guard let deadline else { return -1 }
        let current = now()
        if current >= deadline { return 0 }
        return Int32(min((deadline - current + 999_999) / 1_000_000, UInt64(Int32.max)))
    }
}

/// The text of an errno value, as strerror gives it.
func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
