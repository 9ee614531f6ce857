import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// A drill's sandbox engine marks every incident it opens as an exercise; a live engine never does.
final class ExerciseCommandTests: XCTestCase {
    static let open = "incident open f title=Flood kind=flood at=37.8,112.5 region=shanxi/taiyuan severity=3"

    func testIncidentsOpenedByAnExerciseEngineSaySoEverywhere() {
        let engine = Engine.shanxiFixture()
        engine.exercise = true
        XCTAssertEqual(engine.okFields(Self.open)["exercise"], "yes")
        XCTAssertEqual(engine.state.incidents["f"]?.exercise, true)
        XCTAssertEqual(engine.rows("incident list").first?["exercise"], "yes")
        XCTAssertEqual(engine.rows("incident show f").first?["exercise"], "yes")
        XCTAssertEqual(engine.rows("incident timeline f").first?["text"]?.hasPrefix("opened (exercise):"), true)
    }

    func testALiveEngineOpensRealIncidentsAsBefore() {
        let engine = Engine.shanxiFixture()
        XCTAssertEqual(engine.okFields(Self.open), ["incident": "f", "status": "open"])
        XCTAssertEqual(engine.state.incidents["f"]?.exercise, false)
        XCTAssertNil(engine.rows("incident list").first?["exercise"])
    }

    func testUnknownCommandNamesWhatWasExpectedWithoutRunningAnything() {
        let engine = Engine.testEngine()
        func request(_ line: String) -> Request { try! RequestParser.parse(line).get() }
        XCTAssertNil(engine.unknownCommand(request("stock receive nowhere nothing 1")), "known, even if the state would refuse it")
        XCTAssertNil(engine.unknownCommand(request("team member add t v")))
        XCTAssertEqual(engine.unknownCommand(request("stock recieve a b 1")),
                       "unknown stock command \"recieve\"; expected one of: adjust, history, issue, lots, min, query, receive, transfer")
        XCTAssertEqual(engine.unknownCommand(request("team member promote t v")),
                       "unknown team member command \"promote\"; expected one of: add, remove")
        XCTAssertEqual(engine.unknownCommand(Request(words: [])), "empty request; expected a command such as: help")
        XCTAssertEqual(engine.state.lastSeq, 0)
    }
}
