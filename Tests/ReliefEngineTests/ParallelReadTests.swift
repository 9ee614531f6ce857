import Foundation
import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// Roster reads answered on another thread (`Engine.parallelRead`): the work is the reply `handle`
/// gives at that moment, whenever and wherever it runs; anything `handle` would refuse, and
/// anything but a bounded roster read, is left to `handle`.
final class ParallelReadTests: XCTestCase {
    private func roster(volunteers: Int = 600) throws -> Engine {
        let clock = ManualClock(december1)
        let engine = try RosterGeneratorTests.demoEngine(clock: clock)
        for line in RosterGenerator.demoLines(seed: 7, volunteers: volunteers, now: december1.day) { engine.ok(line, actor: "loader") }
        return engine
    }

    private static let reads = [
        "volunteer find skill=first-aid available near=37.87,112.55 radius=30km limit=20",
        "volunteer find skill=boat-operator near=37.87,112.55 radius=300km limit=5 personal",
        "volunteer find region=shanxi/taiyuan status=available limit=40",
        "volunteer find skill=cpr certified_at=2026-12-01 limit=256",
        "volunteer list region=shanxi limit=30",
        "volunteer export skill=driver-c1 limit=10",
    ]

    func testTheWorkGivesTheReplyHandleGivesAndKeepsItWhenTheStateMovesOn() throws {
        let engine = try roster()
        let admin = Principal.system("officer")
        for line in Self.reads {
            let request = try RequestParser.parse(line).get()
            guard let read = engine.parallelRead(request, as: admin, maxRows: 256) else { return XCTFail("\(line): not a parallel read") }
            let expected = engine.handle(request, as: admin).reply
            XCTAssertFalse(expected.isError, "\(line) → \(replyText(expected))")
            XCTAssertGreaterThan(expected.rowList?.count ?? 0, 0, line)
            XCTAssertEqual(replyText(read.compute()), replyText(expected), line)
            XCTAssertEqual(read.command, engine.commandName(request))
        }

        // Taken before a change, the work answers as of before it: the copy is the request's turn.
        let line = Self.reads[0]
        let request = try RequestParser.parse(line).get()
        let before = engine.handle(request, as: admin).reply
        let read = engine.parallelRead(request, as: admin, maxRows: 256)!
        let first = before.rowList!.first!["volunteer"]!
        engine.ok("volunteer status \(first) unavailable reason=injured")
        let after = engine.handle(request, as: admin).reply
        XCTAssertFalse(after.rowList!.contains { $0["volunteer"] == first }, "the change shows in a read handled after it")
        XCTAssertEqual(replyText(read.compute()), replyText(before), "the work made before the change does not see it")
    }

    func testTheWorkIsTheSameRunOnManyThreadsAtOnce() throws {
        let engine = try roster()
        let admin = Principal.system("officer")
        let requests = try Self.reads.map { try RequestParser.parse($0).get() }
        let expected = requests.map { replyText(engine.handle($0, as: admin).reply) }
        let reads = requests.map { engine.parallelRead($0, as: admin, maxRows: 256)! }
        let answers = Answers()
        DispatchQueue.concurrentPerform(iterations: 48) { index in
            answers.set(index, replyText(reads[index % reads.count].compute()))
        }
        for index in 0..<48 { XCTAssertEqual(answers.get(index), expected[index % reads.count], Self.reads[index % reads.count]) }
    }

    func testWhatHandleRefusesOrWouldNotBoundIsLeftToHandle() throws {
        let engine = try roster(volunteers: 50)
        let admin = Principal.system("officer")
        func read(_ line: String, as principal: Principal = admin, maxRows: Int = 256) throws -> Engine.ParallelRead? {
            engine.parallelRead(try RequestParser.parse(line).get(), as: principal, maxRows: maxRows)
        }
        XCTAssertNotNil(try read("volunteer find limit=256"))
        XCTAssertNil(try read("volunteer find limit=257"), "a listing longer than maxRows streams from the loop")
        XCTAssertNil(try read("volunteer find", maxRows: 10), "the default limit (50) is over a maxRows of 10")
        XCTAssertNil(try read("volunteer list"), "volunteer list's default limit is 1000")
        XCTAssertNil(try read("volunteer find limit=0"), "a bad limit is handle's to refuse")
        XCTAssertNil(try read("volunteer find near=91,0 radius=5km"), "a bad argument is handle's to refuse")
        XCTAssertNil(try read("volunteer find colour=red"), "an unknown option is handle's to refuse")
        XCTAssertNil(try read("volunteer find limit=5 req=abc"), "a request with a token is handle's")
        XCTAssertNil(try read("volunteer show v-000001"), "only roster listings are parallel reads")
        XCTAssertNil(try read("stock receive wh-taiyuan tent 1 supplier=x"), "a write never is")
        let viewer = Principal(user: "guest", role: .viewer)
        let denied = try RequestParser.parse("volunteer find personal limit=5").get()
        XCTAssertTrue(engine.handle(denied, as: viewer).reply.isError, "a viewer may not see personal data")
        XCTAssertNil(engine.parallelRead(denied, as: viewer, maxRows: 256), "a refusal is handle's to give")
    }
}

private final class Answers: @unchecked Sendable {
    // @unchecked: `texts` is guarded by `lock`.
    private let lock = NSLock()
    private var texts: [Int: String] = [:]
    func set(_ index: Int, _ text: String) { lock.withLock { texts[index] = text } }
    func get(_ index: Int) -> String? { lock.withLock { texts[index] } }
}

extension ParallelReadTests {
    /// The loop changes the roster while other threads answer reads from the copies it handed them.
    func testReadsOnOtherThreadsWhileTheStateChanges() throws {
        let engine = try roster()
        let admin = Principal.system("officer")
        let request = try RequestParser.parse(Self.reads[0]).get()
        let ids = engine.handle(request, as: admin).reply.rowList!.compactMap { $0["volunteer"] }
        let queue = DispatchQueue(label: "reads", attributes: .concurrent)
        let group = DispatchGroup()
        let answers = Answers()
        for round in 0..<400 {
            let read = engine.parallelRead(request, as: admin, maxRows: 256)!
            let expected = replyText(engine.handle(request, as: admin).reply)
            queue.async(group: group) {
                let text = replyText(read.compute())
                if text != expected { answers.set(round, text) }
            }
            let id = ids[round % ids.count]
            engine.ok(round % 2 == 0 ? "volunteer status \(id) unavailable reason=test" : "volunteer status \(id) available")
        }
        group.wait()
        XCTAssertNil(answers.get(0))
        for round in 0..<400 { XCTAssertNil(answers.get(round), "round \(round)") }
    }
}
