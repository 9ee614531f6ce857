import ReliefLimits

/// Slows failed logins (`auth USER TOKEN`) per peer: the reply to a failed attempt is held for a
/// delay that doubles with every failure of that peer (1 s, 2 s, 4 s, … up to `maxDelay`), and
/// the connection runs nothing else meanwhile. A success forgets the peer's failures; so does a
/// quiet `forgetAfter`. Tokens carry 192 random bits, so guessing is hopeless anyway: the delay
/// keeps a script from filling the log and the loop with attempts.
///
/// Bounded: at most `maxPeers` peers are remembered (an attacker with many addresses evicts the
/// oldest, which only ever shortens someone's delay). A value type, tested in memory; the server
/// holds the replies and releases them on its housekeeping tick.
struct AuthThrottle {
    static let firstDelay: UInt64 = 1000
    static let maxDelay: UInt64 = 30_000
    static let forgetAfter: UInt64 = 15 * 60_000
    static let maxPeers = 4096

    private var failures: [String: (count: Int, last: UInt64)] = [:]

    /// Records a failure of `peer` at `now` (milliseconds); returns how long to hold its reply.
    mutating func failed(peer: String, now: UInt64) -> UInt64 {
        var count = 1
        if let known = failures[peer], now &- known.last < AuthThrottle.forgetAfter { count = min(known.count + 1, 32) }
        if failures[peer] == nil, failures.count >= AuthThrottle.maxPeers, let oldest = failures.min(by: { $0.value.last < $1.value.last }) {
            failures[oldest.key] = nil
        }
        failures[peer] = (count, now)
        return min(AuthThrottle.firstDelay << UInt64(count - 1), AuthThrottle.maxDelay)
    }

    mutating func succeeded(peer: String) {
        failures[peer] = nil
    }

    /// Failures remembered for `peer` (for tests and `info`).
    func failureCount(peer: String) -> Int { failures[peer]?.count ?? 0 }
    var peers: Int { failures.count }
}
