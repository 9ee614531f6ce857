import XCTest
import ReliefCore

/// The window of remembered `req=` tokens: per scope, the newest `perScope`; in all at most
/// `total`, forgetting from the scope holding the most (of equals, the one with the oldest token).
final class RequestWindowTests: XCTestCase {
    private func request(_ scope: String?, _ token: String, seq: Int64, reply: String = "ok=1") -> RememberedRequest {
        RememberedRequest(scope: scope, token: token, reply: reply, digest: RequestDigest(high: UInt64(seq), low: 7),
                          command: "stock receive", seq: seq)
    }

    func testEachScopeKeepsItsNewestTokens() {
        var window = RequestWindow(perScope: 3, total: 100)
        for seq in 1...5 { window.remember(request("uid:1", "a\(seq)", seq: Int64(seq))) }
        window.remember(request("uid:2", "a1", seq: 6))
        XCTAssertEqual(window.tokens(of: "uid:1"), ["a3", "a4", "a5"])
        XCTAssertEqual(window.tokens(of: "uid:2"), ["a1"])
        XCTAssertNil(window.lookup(scope: "uid:1", token: "a1"), "forgotten past the scope's window")
        XCTAssertEqual(window.lookup(scope: "uid:2", token: "a1")?.seq, 6, "the same token in another scope is another request")
        XCTAssertNil(window.lookup(scope: "uid:3", token: "a5"), "a scope never sees another's token")
        XCTAssertEqual(window.count, 4)
    }

    func testAFloodForgetsItsOwnTokensNotAQuietClients() {
        var window = RequestWindow(perScope: 1000, total: 10)
        window.remember(request("uid:1000", "victim-1", seq: 1))
        window.remember(request("uid:1000", "victim-2", seq: 2))
        var seq: Int64 = 2
        for index in 0..<5000 {
            seq += 1
            window.remember(request("tcp:10.0.0.9", "flood-\(index)", seq: seq))
        }
        XCTAssertEqual(window.tokens(of: "uid:1000"), ["victim-1", "victim-2"])
        XCTAssertEqual(window.tokens(of: "tcp:10.0.0.9"), (4992..<5000).map { "flood-\($0)" })
        XCTAssertEqual(window.count, 10)

        // Many new scopes: the largest scope loses first, so the flood is cut down to the victim's
        // size before the victim loses a token; of equally large scopes the oldest token goes.
        for index in 0..<6 {
            seq += 1
            window.remember(request("tcp:10.1.0.\(index)", "f", seq: seq))
        }
        XCTAssertEqual(window.tokens(of: "tcp:10.0.0.9"), ["flood-4998", "flood-4999"])
        XCTAssertEqual(window.tokens(of: "uid:1000"), ["victim-1", "victim-2"])
        window.remember(request("tcp:10.1.0.6", "f", seq: seq + 1))
        XCTAssertEqual(window.tokens(of: "uid:1000"), ["victim-2"])
        window.remember(request("tcp:10.1.0.7", "f", seq: seq + 2))
        XCTAssertEqual(window.tokens(of: "tcp:10.0.0.9"), ["flood-4999"])
        XCTAssertEqual(window.tokens(of: "uid:1000"), ["victim-2"])
        XCTAssertEqual(window.count, 10)
    }

    func testOfEquallyLargeScopesTheOneWithTheOldestTokenLosesIt() {
        var window = RequestWindow(perScope: 5, total: 5)
        for (seq, scope) in ["a", "b", "b", "a", "c"].enumerated() { window.remember(request(scope, "\(seq + 1)", seq: Int64(seq + 1))) }
        window.remember(request("c", "6", seq: 6))
        XCTAssertEqual(window.tokens(of: "a"), ["4"], "a, b and c hold two each; a's token 1 was the oldest")
        window.remember(request("d", "7", seq: 7))
        XCTAssertEqual(window.tokens(of: "b"), ["3"], "b and c hold two each; b's token 2 was older than c's 5")
        window.remember(request("d", "8", seq: 8))
        XCTAssertEqual(window.tokens(of: "c"), ["6"])
        XCTAssertEqual(window.all.map(\.token), ["4", "3", "6", "7", "8"])
    }

    func testUnscopedTokensOfAnOldSnapshotAnswerEveryScope() {
        var window = RequestWindow(perScope: 2, total: 10)
        for index in 1...3 { window.remember(request(nil, "old-\(index)", seq: 0)) }
        window.remember(request("uid:1", "old-3", seq: 9, reply: "mine=1"))
        XCTAssertEqual(window.tokens(of: nil), ["old-2", "old-3"])
        XCTAssertEqual(window.lookup(scope: "tcp:10.0.0.1", token: "old-2")?.scope, .some(nil))
        XCTAssertEqual(window.lookup(scope: "uid:1", token: "old-3")?.reply, "mine=1", "a scope's own token comes first")
        XCTAssertEqual(window.lookup(scope: "uid:2", token: "old-3")?.reply, "ok=1")
        XCTAssertNil(window.lookup(scope: "uid:1", token: "old-1"))
        XCTAssertEqual(window.all.map(\.scope), [nil, nil, "uid:1"])
    }

    func testRememberingATokenAgainReplacesIt() {
        var window = RequestWindow(perScope: 3, total: 100)
        window.remember(request("s", "x", seq: 1, reply: "first=1"))
        window.remember(request("s", "y", seq: 2))
        window.remember(request("s", "x", seq: 3, reply: "second=1"))
        XCTAssertEqual(window.tokens(of: "s"), ["y", "x"])
        XCTAssertEqual(window.lookup(scope: "s", token: "x")?.reply, "second=1")
        XCTAssertEqual(window.count, 2)
    }

    /// Random streams against a plain model of the rule; and the window rebuilt from `all`
    /// (what a snapshot holds) forgets exactly what the original does from then on.
    func testMatchesTheRuleAndRebuildsFromItsListing() {
        for seed: UInt64 in [1, 2, 3, 2026] {
            var rng = SplitMix64(seed: seed)
            let perScope = Int(rng.next() % 6) + 1, total = Int(rng.next() % 20) + 1
            var window = RequestWindow(perScope: perScope, total: total)
            var model = Model(perScope: perScope, total: total)
            var rebuilt: RequestWindow?
            let scopes: [String?] = [nil, "uid:0", "uid:1000", "tcp:10.0.0.1", "tcp:10.0.0.2", "tcp:[::1]", "demo"]
            for seq in Int64(1)...2000 {
                let scope = scopes[Int(rng.next() % UInt64(scopes.count))]
                // Few tokens, so a scope now and then repeats one (as a journal of the global window can).
                let next = request(scope, "t\(rng.next() % 12)", seq: seq, reply: "n=\(seq)")
                window.remember(next)
                rebuilt?.remember(next)
                model.remember(next)
                XCTAssertEqual(window.all, model.all, "seed \(seed) seq \(seq)")
                XCTAssertEqual(window.count, model.all.count, "seed \(seed) seq \(seq)")
                XCTAssertLessThanOrEqual(window.count, total)
                if seq == 1000 {
                    var copy = RequestWindow(perScope: perScope, total: total)
                    for remembered in window.all { copy.remember(remembered) }
                    XCTAssertEqual(copy.all, window.all, "seed \(seed)")
                    rebuilt = copy
                }
                if let rebuilt { XCTAssertEqual(rebuilt.all, window.all, "seed \(seed) seq \(seq): rebuilt window differs") }
            }
        }
    }

    /// The rule written plainly: a list in arrival order, scanned on every insert.
    private struct Model {
        var perScope: Int
        var total: Int
        var tokens: [RememberedRequest] = []

        mutating func remember(_ request: RememberedRequest) {
            tokens.removeAll { $0.scope == request.scope && $0.token == request.token }
            tokens.append(request)
            let mine = tokens.filter { $0.scope == request.scope }
            if mine.count > perScope { forgetOldest(of: request.scope) }
            if tokens.count > total {
                var counts: [String?: (count: Int, oldest: Int64)] = [:]
                for token in tokens {
                    let was = counts[token.scope] ?? (0, token.seq)
                    counts[token.scope] = (was.count + 1, min(was.oldest, token.seq))
                }
                let largest = counts.max { a, b in
                    a.value.count != b.value.count ? a.value.count < b.value.count : a.value.oldest > b.value.oldest
                }!.key
                forgetOldest(of: largest)
            }
        }

        mutating func forgetOldest(of scope: String?) {
            tokens.remove(at: tokens.firstIndex { $0.scope == scope }!)
        }

        var all: [RememberedRequest] {
            let order: (String?) -> String = { $0.map { "1" + $0 } ?? "0" }
            return tokens.enumerated().sorted { a, b in
                order(a.element.scope) != order(b.element.scope) ? order(a.element.scope) < order(b.element.scope) : a.offset < b.offset
            }.map(\.element)
        }
    }
}
