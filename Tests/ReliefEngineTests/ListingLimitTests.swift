import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// Every listing takes `limit=`, has a default, refuses a limit out of range, and says when it
/// was cut (`OK n rows more`) — so no request asks for unbounded memory and no cut listing passes
/// for the whole picture.
final class ListingLimitTests: XCTestCase {
    private func roster(_ count: Int) throws -> Engine {
        let engine = try Engine.rosterFixture(clock: ManualClock(december1))
        for n in 0..<count {
            engine.ok(String(format: "volunteer add v%04d name=\"Volunteer %d\" region=shanxi/taiyuan at=37.%04d,112.55 skills=first-aid:2", n, n, n))
        }
        return engine
    }

    func testEveryListingTakesLimitAndRefusesOneOutOfRange() throws {
        let engine = try roster(3)
        let listings = engine.commandList.filter { $0.listing != nil }
        XCTAssertGreaterThanOrEqual(listings.count, 20, "the listings: \(listings.map { $0.words.joined(separator: " ") })")
        for command in listings {
            let words = command.words.joined(separator: " ")
            XCTAssertTrue(command.usage.contains("limit="), "\(words): usage names limit= (\(command.usage))")
            for bad in ["0", "-1", "ten", String(command.listing!.maxLimit + 1)] {
                let reply = engine.handle(line: "\(words) limit=\(bad)", actor: "officer").reply
                guard case .error(.syntax, let message) = reply else { XCTFail("\(words) limit=\(bad) → \(replyText(reply))"); continue }
                XCTAssertTrue(message.contains("limit"), message)
            }
        }
        XCTAssertFalse(engine.commandList.contains { $0.mutating && $0.listing != nil }, "a write's reply is never cut")
    }

    func testRosterListingsAreCutAtTheirLimitAndSaySo() throws {
        let engine = try roster(60)
        let all = engine.handle(line: "volunteer list", actor: "officer").reply
        XCTAssertEqual(all.rowList?.count, 60)
        XCTAssertFalse(all.isCut, "60 volunteers fit the default of 1000")
        let ten = engine.handle(line: "volunteer list limit=10", actor: "officer").reply
        XCTAssertEqual(ten.rowList?.map { $0["volunteer"]! }, (0..<10).map { String(format: "v%04d", $0) })
        XCTAssertTrue(ten.isCut)
        XCTAssertTrue(TextEncoder.encode(ten).hasPrefix("OK 10 rows more\n"))
        let exact = engine.handle(line: "volunteer list limit=60", actor: "officer").reply
        XCTAssertFalse(exact.isCut, "exactly the limit: nothing was left out")
        // find defaults to the 50 nearest, and knows whether more matched.
        let found = engine.handle(line: "volunteer find near=37.0,112.55 radius=200km", actor: "officer").reply
        XCTAssertEqual(found.rowList?.count, 50)
        XCTAssertTrue(found.isCut)
        XCTAssertEqual(found.rowList?.first?["volunteer"], "v0000", "nearest first")
        // export: a stream, cut at the limit.
        guard case .stream(let stream) = engine.handle(line: "volunteer export limit=25", actor: "officer").reply else {
            return XCTFail("volunteer export is streamed")
        }
        XCTAssertEqual(stream.count, 25)
        XCTAssertTrue(stream.more)
    }

    func testAStreamedListingShowsTheStateItWasAskedOn() throws {
        let engine = try roster(5)
        let reply = engine.handle(line: "volunteer export", actor: "officer").reply
        // Changes after the request do not leak into rows made later.
        engine.ok("volunteer status v0001 unavailable reason=injured")
        XCTAssertEqual(reply.rowList?[1]["status"], "available")
        XCTAssertEqual(engine.handle(line: "volunteer export", actor: "officer").reply.rowList?[1]["status"], "unavailable")
    }

    func testLogsShowTheirNewestLines() throws {
        let engine = try roster(0)
        engine.ok("region add sx name=Shanxi")
        engine.ok("warehouse add wh name=W region=sx at=37.8,112.5")
        engine.ok("item add water name=Water category=water unit=bottle")
        for n in 1...5 { engine.ok("stock receive wh water \(n) lot=L\(n)") }
        let history = engine.handle(line: "stock history warehouse=wh limit=2", actor: "officer").reply
        XCTAssertEqual(history.rowList?.map { $0["lot"]! }, ["L4", "L5"], "the newest two, oldest first")
        XCTAssertTrue(history.isCut)
        XCTAssertFalse(engine.handle(line: "stock history warehouse=wh", actor: "officer").reply.isCut)
    }
}
