import XCTest
@testable import ReliefServer

final class AuthThrottleTests: XCTestCase {
    func testTheDelayDoublesPerPeerUpToItsMaximumAndASuccessForgets() {
        var throttle = AuthThrottle()
        XCTAssertEqual((0..<7).map { throttle.failed(peer: "tcp:10.0.0.1", now: UInt64($0) * 1000) },
                       [1000, 2000, 4000, 8000, 16000, 30000, 30000])
        XCTAssertEqual(throttle.failed(peer: "tcp:10.0.0.2", now: 8000), 1000, "another address starts afresh")
        throttle.succeeded(peer: "tcp:10.0.0.1")
        XCTAssertEqual(throttle.failureCount(peer: "tcp:10.0.0.1"), 0)
        XCTAssertEqual(throttle.failed(peer: "tcp:10.0.0.1", now: 9000), 1000)
        // Quiet for longer than forgetAfter: forgotten.
        XCTAssertEqual(throttle.failed(peer: "tcp:10.0.0.2", now: 8000 + AuthThrottle.forgetAfter), 1000)
    }

    func testManyAddressesStayBounded() {
        var throttle = AuthThrottle()
        for n in 0..<(AuthThrottle.maxPeers + 100) { _ = throttle.failed(peer: "tcp:[fd00::\(n)]", now: UInt64(n)) }
        XCTAssertEqual(throttle.peers, AuthThrottle.maxPeers)
        XCTAssertEqual(throttle.failureCount(peer: "tcp:[fd00::0]"), 0, "the oldest is evicted")
        XCTAssertEqual(throttle.failureCount(peer: "tcp:[fd00::\(AuthThrottle.maxPeers + 99)]"), 1)
    }
}
