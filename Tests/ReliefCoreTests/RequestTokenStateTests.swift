import XCTest
@testable import ReliefCore

/// `request.completed` entries in the state: scoped by the entry's actor, bound tokens complete
/// once per scope, older unbound ones still load, and snapshots keep the window as it was.
final class RequestTokenStateTests: XCTestCase {
    private func completed(_ token: String, _ reply: String = "ok=1", digest: UInt64? = 1) -> Event {
        .requestCompleted(token: token, reply: reply, digest: digest.map { RequestDigest(high: $0, low: $0) },
                          command: digest == nil ? nil : "stock receive")
    }

    func testATokenBelongsToTheScopeOfItsEntrysActor() throws {
        var b = StateBuilder()
        try b.apply(completed("t"), actor: "tcp:10.0.0.1:40001")
        XCTAssertEqual(b.state.requests.lookup(scope: "tcp:10.0.0.1", token: "t")?.seq, 1)
        XCTAssertNil(b.state.requests.lookup(scope: "tcp:10.0.0.2", token: "t"))
        XCTAssertNil(b.state.requests.lookup(scope: "uid:1000", token: "t"))
        // Another client may use the same token for its own request.
        try b.apply(completed("t", "mine=1", digest: 2), actor: "uid:1000")
        XCTAssertEqual(b.state.requests.lookup(scope: "uid:1000", token: "t")?.reply, "mine=1")
        XCTAssertEqual(b.state.requests.lookup(scope: "tcp:10.0.0.1", token: "t")?.reply, "ok=1")
        // The same client on a new connection is the same scope: a bound token completes once.
        var refused = b
        XCTAssertThrowsError(try refused.apply(completed("t", digest: 3), actor: "tcp:10.0.0.1:40002"))
        XCTAssertEqual(refused.state.snapshotText(), b.state.snapshotText())
    }

    func testUnboundEntriesOfOlderJournalsLoadAndARepeatReplacesTheFirst() throws {
        // The global window of 100,000 forgot tokens that a scope's window of 10,000 still holds,
        // so an older journal may complete one token twice for one client.
        var b = StateBuilder()
        let body = try FlatJSON.decode(#"{"token":"old","reply":"lot=R-1"}"#)
        try b.apply(try Event(kind: "request.completed", body: body), actor: "uid:1000")
        try b.apply(completed("other"), actor: "uid:1000")
        try b.apply(completed("old", "lot=R-2", digest: nil), actor: "uid:1000")
        let remembered = try XCTUnwrap(b.state.requests.lookup(scope: "uid:1000", token: "old"))
        XCTAssertEqual(remembered.reply, "lot=R-2")
        XCTAssertNil(remembered.digest)
        XCTAssertEqual(b.state.requests.tokens(of: "uid:1000"), ["other", "old"])
    }

    func testSnapshotsRebuildTheSameWindow() throws {
        let bounds = RequestWindow(perScope: 3, total: 5)
        var b = StateBuilder(state: State(requests: bounds))
        let actors = ["uid:1000", "tcp:10.0.0.1:40001", "tcp:10.0.0.1:40002", "tcp:10.0.0.2:5000", "demo"]
        for index in 0..<12 { try b.apply(completed("t\(index % 4)", "n=\(index)", digest: nil), actor: actors[index % actors.count]) }
        for index in 0..<9 { try b.apply(completed("u\(index)", "n=\(index)", digest: UInt64(index + 1)), actor: actors[(index * 3) % actors.count]) }
        XCTAssertEqual(b.state.requests.count, 5)

        let text = b.state.snapshotText()
        var restored = StateBuilder(state: try State(snapshotText: text, requests: bounds), seq: b.seq, time: b.time)
        XCTAssertEqual(restored.state.requests.all, b.state.requests.all)
        XCTAssertEqual(restored.state.snapshotText(), text)
        // From here on both forget the same tokens.
        for index in 0..<7 {
            let actor = actors[(index * 2) % actors.count]
            try b.apply(completed("v\(index)", digest: UInt64(100 + index)), actor: actor)
            try restored.apply(completed("v\(index)", digest: UInt64(100 + index)), actor: actor)
            XCTAssertEqual(restored.state.requests.all, b.state.requests.all, "after v\(index)")
        }
    }

    /// Snapshots written before tokens were scoped: records with a token and a reply only.
    func testRequestRecordsOfOlderSnapshotsAnswerAnyClient() throws {
        let old = """
            {"t":"header","format":"reliefd-snapshot-1","seq":7,"auto_lot":0}
            {"t":"request","token":"a","reply":"lot=A"}
            {"t":"request","token":"b","reply":"lot=B"}

            """
        var b = StateBuilder(state: try State(snapshotText: old), seq: 7)
        XCTAssertEqual(b.state.requests.lookup(scope: "uid:1000", token: "a")?.reply, "lot=A")
        XCTAssertEqual(b.state.requests.lookup(scope: "tcp:10.0.0.1", token: "b")?.reply, "lot=B")
        XCTAssertEqual(b.state.requests.tokens(of: nil), ["a", "b"])
        try b.apply(completed("c"), actor: "uid:1000")
        let text = b.state.snapshotText()
        XCTAssertTrue(text.contains(#"{"t":"request","token":"a","reply":"lot=A","seq":0}"#), text)
        XCTAssertEqual(try State(snapshotText: text).requests.all, b.state.requests.all)
    }
}
