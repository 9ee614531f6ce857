import XCTest
import ReliefCore

final class RequestScopeTests: XCTestCase {
    func testTCPDropsThePortAndEverythingElseStaysAsIs() {
        let cases: [(actor: String, scope: String)] = [
            ("uid:1000", "uid:1000"),
            ("uid:0", "uid:0"),
            ("tcp:127.0.0.1:5300", "tcp:127.0.0.1"),
            ("tcp:127.0.0.1:61000", "tcp:127.0.0.1"),
            ("tcp:[::1]:5300", "tcp:[::1]"),
            ("tcp:[fe80::1%eth0]:1", "tcp:[fe80::1%eth0]"),
            // What the listener writes when it cannot tell, and what other callers use.
            ("tcp", "tcp"),
            ("unix", "unix"),
            ("demo", "demo"),
            ("import", "import"),
            // Nothing that is not clearly a port is dropped.
            ("tcp:127.0.0.1", "tcp:127.0.0.1"),
            ("tcp:127.0.0.1:", "tcp:127.0.0.1:"),
            ("tcp:127.0.0.1:http", "tcp:127.0.0.1:http"),
            ("tcp:::1:5300", "tcp:::1:5300"),
            ("tcp:[::1", "tcp:[::1"),
            ("tcp:[::1]", "tcp:[::1]"),
            ("uid:1000:5", "uid:1000:5"),
        ]
        for (actor, scope) in cases { XCTAssertEqual(RequestScope.of(actor: actor), scope, actor) }
    }

    func testReconnectsFromOneAddressShareAScopeAndOtherAddressesDoNot() {
        XCTAssertEqual(RequestScope.of(actor: "tcp:10.0.0.5:40001"), RequestScope.of(actor: "tcp:10.0.0.5:40002"))
        XCTAssertNotEqual(RequestScope.of(actor: "tcp:10.0.0.5:40001"), RequestScope.of(actor: "tcp:10.0.0.6:40001"))
        XCTAssertNotEqual(RequestScope.of(actor: "tcp:10.0.0.5:40001"), RequestScope.of(actor: "uid:1000"))
    }
}
