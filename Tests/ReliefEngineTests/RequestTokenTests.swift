import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// `req=` tokens belong to the client that sent them and are bound to the request.
final class RequestTokenTests: XCTestCase {
    private func water(_ engine: Engine, _ warehouse: String = "ty-01") -> Int64 {
        engine.state.stock(warehouse: warehouse, sku: "water-5l")?.onHand ?? 0
    }

    /// An engine on the fixture whose state keeps tokens within `window`.
    private func engine(window: RequestWindow) -> Engine {
        let engine = Engine(state: State(requests: window), clock: .fixed(december1))
        for line in Engine.fixtureLines { engine.ok(line) }
        return engine
    }

    private func request(_ line: String) throws -> Request { try RequestParser.parse(line).get() }

    func testAnotherClientsSameTokenAppliesItsOwnRequest() {
        let engine = Engine.shanxiFixture()
        let mine = engine.handle(line: "stock receive ty-01 water-5l 100 lot=A req=shared", actor: "uid:1000")
        XCTAssertEqual(mine.reply, .ok(["lot": "A"]))
        // Before, this got uid:1000's reply and applied nothing (or claimed the token first).
        let theirs = engine.handle(line: "stock receive ty-01 water-5l 7 lot=B req=shared", actor: "tcp:10.0.0.8:41000")
        XCTAssertEqual(theirs.reply, .ok(["lot": "B"]))
        XCTAssertEqual(theirs.entries.count, 2)
        XCTAssertEqual(water(engine), 107)
        // Each client's retry gets its own first reply.
        XCTAssertEqual(engine.handle(line: "stock receive ty-01 water-5l 100 lot=A req=shared", actor: "uid:1000").reply, mine.reply)
        XCTAssertEqual(engine.handle(line: "stock receive ty-01 water-5l 7 lot=B req=shared", actor: "tcp:10.0.0.8:41001").reply, theirs.reply)
        XCTAssertEqual(water(engine), 107)
    }

    func testARetryAfterReconnectingOverTCPGetsTheFirstReply() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l 100 lot=A")
        let first = engine.handle(line: "stock issue ty-01 water-5l 30 req=r1", actor: "tcp:192.0.2.7:50000")
        XCTAssertEqual(first.reply, .ok(["issued": "30", "lots": "A:30"]))
        let before = engine.state.snapshotText()
        let retry = engine.handle(line: "stock issue ty-01 water-5l 30 req=r1", actor: "tcp:192.0.2.7:50017")
        XCTAssertEqual(retry.reply, first.reply)
        XCTAssertEqual(retry.entries, [])
        XCTAssertEqual(retry.waitForSeq, engine.state.lastSeq)
        XCTAssertEqual(engine.state.snapshotText(), before)
        // Another address is another client.
        XCTAssertEqual(engine.handle(line: "stock issue ty-01 water-5l 30 req=r1", actor: "tcp:192.0.2.8:50000").entries.count, 2)
        XCTAssertEqual(water(engine), 40)
    }

    func testATokenReusedForADifferentRequestIsAConflictAndAppliesNothing() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l 100 lot=A")
        let first = engine.handle(line: "stock issue ty-01 water-5l 30 req=r1", actor: "officer")
        XCTAssertEqual(first.reply, .ok(["issued": "30", "lots": "A:30"]))
        let seq = first.entries.last!.seq
        for other in ["stock issue ty-01 water-5l 31 req=r1", "stock issue ty-01 water-5l 30 to=camp req=r1",
                      "stock issue TY-01 water-5l 30 req=r1", "stock transfer ty-01 jz-01 water-5l 30 req=r1",
                      "stock receive ty-01 water-5l 30 req=r1"] {
            let message = engine.refused(other, .conflict)
            XCTAssertEqual(message, "req=r1 was already used for a different request (stock issue, journal entry \(seq)); use a new token", other)
        }
        XCTAssertEqual(water(engine), 70)
        // The request it was first used with still gets its first reply.
        XCTAssertEqual(engine.handle(line: "stock issue ty-01 water-5l 30 req=r1", actor: "officer").reply, first.reply)
        // A refusal is not a use: the token stays free until a request with it succeeds.
        engine.refused("stock issue ty-01 water-5l 500 req=r2", .insufficient)
        engine.ok("stock issue ty-01 water-5l 5 req=r2")
        XCTAssertEqual(water(engine), 65)
    }

    func testTheSameRequestWrittenDifferentlyIsARetry() throws {
        let engine = Engine.shanxiFixture()
        let first = engine.handle(line: #"stock receive ty-01 water-5l 10 lot=A note="two words" donor=Red req=k"#, actor: "officer")
        XCTAssertEqual(first.reply, .ok(["lot": "A"]))
        for retry in [#"STOCK Receive ty-01 water-5l 10 lot=A note="two words" donor=Red req=k"#,
                      #"stock receive ty-01 water-5l 10 donor=Red NOTE="two words" lot=A req=k"#,
                      "req=k stock receive\tty-01  water-5l 10 lot=\"A\" note=\"two words\" donor=\"Red\""] {
            let outcome = engine.handle(line: retry, actor: "officer")
            XCTAssertEqual(outcome.reply, first.reply, retry)
            XCTAssertEqual(outcome.entries, [], retry)
        }
        XCTAssertEqual(water(engine), 10)
        let digest = { (line: String) throws -> RequestDigest in Engine.requestDigest(try self.request(line), commandWords: 2) }
        // Words keep their order and their case; a word is not its split halves.
        XCTAssertNotEqual(try digest("stock transfer a b x 1"), try digest("stock transfer b a x 1"))
        XCTAssertNotEqual(try digest("stock receive a x 1"), try digest("stock receive A x 1"))
        XCTAssertNotEqual(try digest(#"stock receive "a b" x 1"#), try digest("stock receive a b x 1"))
        XCTAssertNotEqual(try digest("stock receive a x 1 note=ab"), try digest("stock receive a x 1 note=a b"))
        XCTAssertNotEqual(try digest("stock receive a x 1 note=a"), try digest("stock receive a x 1 lot=a"))
        XCTAssertNotEqual(try digest("stock receive a x 1"), try digest("stock issue a x 1"))
        XCTAssertEqual(try digest("stock receive a x 1 req=one"), try digest("stock receive a x 1 req=two"))
        XCTAssertEqual(try digest("stock receive a x 1 b=2 a=1"), try digest("stock receive a x 1 a=1 b=2"))
    }

    func testATokenFromAnOlderJournalAnswersAnyRequestOfItsClient() throws {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l 100 lot=A")
        // What an older daemon journaled: no hash, no command.
        var state = engine.state
        try state.apply(Entry(seq: state.lastSeq + 1, time: december1, actor: "uid:1000",
                              event: .requestCompleted(token: "old", reply: "issued=30 lots=A:30")))
        engine.reset(to: state)
        let before = engine.state.snapshotText()
        let outcome = engine.handle(line: "stock issue ty-01 water-5l 99 req=old", actor: "uid:1000")
        XCTAssertEqual(outcome.reply, .ok(["issued": "30", "lots": "A:30"]))
        XCTAssertEqual(outcome.entries, [])
        XCTAssertEqual(engine.state.snapshotText(), before)
        // Still only its own client's.
        XCTAssertEqual(engine.handle(line: "stock issue ty-01 water-5l 1 req=old", actor: "uid:1001").entries.count, 2)
    }

    func testReadsIgnoreTokens() {
        let engine = Engine.shanxiFixture()
        engine.ok("stock receive ty-01 water-5l 100 lot=A req=k")
        guard case .rows(let rows) = engine.handle(line: "stock query req=k", actor: "officer").reply else {
            return XCTFail("a read with a used token is answered as a read")
        }
        XCTAssertEqual(rows.first?["on_hand"], "100")
        XCTAssertEqual(engine.handle(line: "ping req=k", actor: "officer").reply, .ok(["": "pong"]))
    }

    func testImportRowsMayNotCarryTokens() throws {
        let engine = Engine.shanxiFixture()
        let before = engine.state.snapshotText()
        let outcome = engine.importRows([(line: 1, request: try request("region add shanxi/lvliang name=Lvliang req=k"))],
                                        allowed: ["region add"], actor: "officer")
        guard case .error(let code, let message) = outcome.reply else { return XCTFail("an import row with req= was accepted") }
        XCTAssertEqual(code, .syntax)
        XCTAssertTrue(message.contains("req= is not allowed in an import row"), message)
        XCTAssertEqual(engine.state.snapshotText(), before)
    }

    // MARK: the window

    func testTheDocumentedBounds() {
        let state = State()
        XCTAssertEqual(state.requests.perScope, 10_000)
        XCTAssertEqual(state.requests.total, 1_000_000)
        XCTAssertEqual(RequestWindow.maxReplyBytes, 1024)
    }

    func testAFloodOfTokensFromOneClientDoesNotForgetAnothersToken() {
        let engine = engine(window: RequestWindow(perScope: 100, total: 150))
        engine.ok("stock receive ty-01 water-5l 1000 lot=A")
        let victim = engine.handle(line: "stock issue ty-01 water-5l 30 req=v", actor: "uid:1000")
        XCTAssertEqual(victim.reply, .ok(["issued": "30", "lots": "A:30"]))
        // Several flooding clients, well past the total.
        for index in 0..<600 {
            let outcome = engine.handle(line: "stock receive jz-01 water-5l 1 lot=F req=f\(index)", actor: "tcp:10.9.0.\(index % 3):4000")
            XCTAssertFalse(outcome.reply.isError)
        }
        XCTAssertEqual(engine.state.requests.count, 150)
        XCTAssertEqual(engine.state.requests.tokens(of: "uid:1000"), ["v"])
        let retry = engine.handle(line: "stock issue ty-01 water-5l 30 req=v", actor: "uid:1000")
        XCTAssertEqual(retry.reply, victim.reply)
        XCTAssertEqual(retry.entries, [])
        XCTAssertEqual(water(engine), 970)
        // The flood forgot its own oldest tokens: 149 left over three clients.
        XCTAssertEqual((0..<3).map { engine.state.requests.count(of: "tcp:10.9.0.\($0)") }.sorted(), [49, 50, 50])
        XCTAssertNil(engine.state.requests.lookup(scope: "tcp:10.9.0.0", token: "f0"))
        XCTAssertNotNil(engine.state.requests.lookup(scope: "tcp:10.9.0.2", token: "f599"))
    }

    func testEachClientKeepsItsOwnLastTokens() {
        let engine = engine(window: RequestWindow(perScope: 5, total: 100))
        for index in 0..<8 { engine.ok("stock receive ty-01 water-5l 1 lot=A req=a\(index)", actor: "uid:1000") }
        engine.ok("stock receive ty-01 water-5l 1 lot=A req=b0", actor: "uid:1001")
        XCTAssertEqual(engine.state.requests.tokens(of: "uid:1000"), ["a3", "a4", "a5", "a6", "a7"])
        XCTAssertEqual(engine.state.requests.tokens(of: "uid:1001"), ["b0"])
        // Past its window a client's token is forgotten: retrying it applies it again (documented).
        XCTAssertEqual(engine.handle(line: "stock receive ty-01 water-5l 1 lot=A req=a0", actor: "uid:1000").entries.count, 2)
        XCTAssertEqual(engine.handle(line: "stock receive ty-01 water-5l 1 lot=A req=a7", actor: "uid:1000").entries, [])
        XCTAssertEqual(water(engine), 10)
    }

    func testReplayAndASnapshotRebuildTheSameWindow() throws {
        let window = RequestWindow(perScope: 4, total: 9)
        let engine = Engine(state: State(requests: window), clock: .fixed(december1))
        var entries: [Entry] = []
        for line in Engine.fixtureLines { entries += engine.handle(line: line, actor: "officer").entries }
        var rng = SplitMix64(seed: 7)
        let actors = ["uid:1000", "uid:0", "tcp:10.0.0.1:1", "tcp:10.0.0.1:2", "tcp:10.0.0.2:1", "demo"]
        var replies = Set<String>()
        for _ in 0..<200 {
            // Few tokens and varying quantities: new tokens, retries and conflicts all happen.
            let line = "stock receive ty-01 water-5l \(1 + rng.next() % 3) lot=A req=t\(rng.next() % 20)"
            let outcome = engine.handle(line: line, actor: actors[Int(rng.next() % UInt64(actors.count))])
            replies.insert(outcome.reply.isError ? "error" : outcome.entries.isEmpty ? "retry" : "applied")
            entries += outcome.entries
        }
        XCTAssertEqual(replies, ["error", "retry", "applied"])
        XCTAssertEqual(engine.state.requests.count, 9)
        var replayed = State(requests: window)
        try replayed.apply(entries)
        XCTAssertEqual(replayed.requests.all, engine.state.requests.all)
        let restored = try State(snapshotText: engine.state.snapshotText(), requests: window)
        XCTAssertEqual(restored.requests.all, engine.state.requests.all)
        XCTAssertEqual(replayed.snapshotText(), engine.state.snapshotText())

        // From the snapshot the daemon goes on exactly as the one that wrote it.
        let resumed = Engine(state: restored, clock: .fixed(december1))
        for step in 0..<100 {
            let actor = actors[Int(rng.next() % UInt64(actors.count))]
            let line = "stock receive ty-01 water-5l 1 lot=A req=u\(rng.next() % 15)"
            XCTAssertEqual(resumed.handle(line: line, actor: actor).reply, engine.handle(line: line, actor: actor).reply, "step \(step)")
            XCTAssertEqual(resumed.state.requests.all, engine.state.requests.all, "step \(step)")
        }
    }

    // MARK: what is remembered

    func testALongReplyIsRememberedShortenedAndItsRetryAppliesNothing() {
        let engine = Engine.shanxiFixture()
        for index in 0..<300 { engine.ok("stock receive ty-01 water-5l 1 lot=LOT-\(1000 + index) expires=2027-01-01") }
        let first = engine.handle(line: "stock issue ty-01 water-5l 300 to=camp req=big", actor: "officer")
        guard case .ok(let fields) = first.reply else { return XCTFail(replyText(first.reply)) }
        XCTAssertGreaterThan(TextEncoder.logfmt(fields).utf8.count, 2000, "the first reply is whole")
        guard case .requestCompleted(_, let stored, _, _)? = first.entries.last?.event else { return XCTFail("no request.completed") }
        XCTAssertLessThanOrEqual(stored.utf8.count, RequestWindow.maxReplyBytes)
        let retry = engine.handle(line: "stock issue ty-01 water-5l 300 to=camp req=big", actor: "officer")
        XCTAssertEqual(retry.entries, [])
        guard case .ok(let again) = retry.reply else { return XCTFail(replyText(retry.reply)) }
        XCTAssertEqual(again["issued"], "300")
        XCTAssertEqual(again["truncated"], "yes")
        XCTAssertTrue(again["lots"]?.hasPrefix("LOT-1000:1,LOT-1001:1,") == true, again["lots"] ?? "")
        XCTAssertTrue(again["lots"]?.hasSuffix("…") == true)
        XCTAssertEqual(water(engine), 0)
    }

    func testStoredRepliesFitTheirLimit() {
        XCTAssertEqual(Engine.storedReply(["lot": "A", "note": "two words"]), #"lot=A note="two words""#)
        let long = String(repeating: "水", count: 2000)
        for fields: Fields in [["lot": long], ["a": long, "b": "short", "c": long], ["q": String(repeating: "\"", count: 3000)],
                               Fields((0..<400).map { ("key\($0)", "v") })] {
            let stored = Engine.storedReply(fields, limit: 200)
            XCTAssertLessThanOrEqual(stored.utf8.count, 200, stored)
            let parsed = Engine.fields(fromLogfmt: stored)
            XCTAssertEqual(parsed.pairs.last?.key, "truncated", stored)
            XCTAssertEqual(parsed["truncated"], "yes")
        }
        let cut = Engine.fields(fromLogfmt: Engine.storedReply(["a": long, "b": "short", "c": long], limit: 200))
        XCTAssertEqual(cut["b"], "short", "short values survive; the long ones are cut")
        XCTAssertTrue(cut["a"]?.hasPrefix("水水水") == true)
    }
}
