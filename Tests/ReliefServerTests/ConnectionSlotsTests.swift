import XCTest
import ReliefProtocol
@testable import ReliefServer

/// ConnectionSlots in memory: which connection may stay, and why not — before, reached only by a
/// daemon and hundreds of real sockets.
final class ConnectionSlotsTests: XCTestCase {
    private func reason(_ refusal: (reason: String, reply: Reply)?) -> String? { refusal?.reason }

    func testTheUnixSocketKeepsItsSlotsWhenTCPIsFlooded() {
        var slots = ConnectionSlots(limits: .init(maxClients: 4, unixReserved: 2, perPeer: 10))
        XCTAssertNil(slots.accepted(peer: "tcp:10.0.0.1", isTCP: true, stopping: false))
        XCTAssertNil(slots.accepted(peer: "tcp:10.0.0.2", isTCP: true, stopping: false))
        XCTAssertEqual(reason(slots.accepted(peer: "tcp:10.0.0.3", isTCP: true, stopping: false)), "tcp_share")
        slots.closed(peer: "tcp:10.0.0.3", isTCP: true)
        XCTAssertNil(slots.accepted(peer: "uid:0", isTCP: false, stopping: false), "an operator still gets in")
        XCTAssertNil(slots.accepted(peer: "uid:0", isTCP: false, stopping: false))
        XCTAssertEqual(reason(slots.accepted(peer: "uid:0", isTCP: false, stopping: false)), "max_clients")
        XCTAssertEqual(slots.open, 5, "a refused connection counts until it is closed")
        XCTAssertEqual(slots.tcp, 2)
        XCTAssertEqual(slots.refusedSummary, "max_clients:1,tcp_share:1")
    }

    func testOnePeerCannotTakeEverySlot() {
        var slots = ConnectionSlots(limits: .init(maxClients: 100, unixReserved: 10, perPeer: 2))
        XCTAssertNil(slots.accepted(peer: "uid:1000", isTCP: false, stopping: false))
        XCTAssertNil(slots.accepted(peer: "uid:1000", isTCP: false, stopping: false))
        let refusal = slots.accepted(peer: "uid:1000", isTCP: false, stopping: false)
        XCTAssertEqual(refusal?.reason, "max_clients_per_peer")
        XCTAssertTrue(TextEncoder.encode(refusal!.reply).contains("uid:1000"), "the reply names the peer")
        XCTAssertNil(slots.accepted(peer: "uid:1001", isTCP: false, stopping: false), "another peer is not affected")
        slots.closed(peer: "uid:1000", isTCP: false)
        slots.closed(peer: "uid:1000", isTCP: false)
        XCTAssertNil(slots.accepted(peer: "uid:1000", isTCP: false, stopping: false), "room again once it closes some")
        XCTAssertEqual(slots.connections(of: "uid:1000"), 2)
    }

    func testNothingNewStaysWhileShuttingDown() {
        var slots = ConnectionSlots(limits: .init(maxClients: 100, unixReserved: 10, perPeer: 10))
        XCTAssertEqual(reason(slots.accepted(peer: "uid:0", isTCP: false, stopping: true)), "shutting_down")
        slots.count("idle")
        XCTAssertEqual(slots.refusedSummary, "idle:1,shutting_down:1")
    }
}
