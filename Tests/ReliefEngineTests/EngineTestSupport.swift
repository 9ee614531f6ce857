import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// 2026-12-01T08:00:00Z
let december1 = Timestamp(milliseconds: 1_796_112_000_000)

extension Engine {
    static func testEngine(at time: Timestamp = december1) -> Engine { Engine(clock: .fixed(time)) }

    /// Runs a request that must succeed; returns its reply.
    @discardableResult
    func ok(_ line: String, actor: String = "officer", file: StaticString = #filePath, lineNumber: UInt = #line) -> Reply {
        let outcome = handle(line: line, actor: actor)
        if case .error(let code, let message) = outcome.reply {
            XCTFail("\(line) → ERR \(code.rawValue) \(message)", file: file, line: lineNumber)
        }
        return outcome.reply
    }

    /// Runs a request that must be refused with `code`; checks it changed nothing and returns the message.
    @discardableResult
    func refused(_ line: String, _ code: ErrorCode, file: StaticString = #filePath, lineNumber: UInt = #line) -> String {
        let before = state.snapshotText()
        let outcome = handle(line: line, actor: "officer")
        XCTAssertEqual(outcome.entries, [], "a refused request emitted entries", file: file, line: lineNumber)
        XCTAssertEqual(state.snapshotText(), before, "a refused request changed the state", file: file, line: lineNumber)
        guard case .error(let got, let message) = outcome.reply else {
            XCTFail("\(line) → \(TextEncoder.encode(outcome.reply)), expected ERR \(code.rawValue)", file: file, line: lineNumber)
            return ""
        }
        XCTAssertEqual(got, code, "\(line) → \(message)", file: file, line: lineNumber)
        return message
    }

    func rows(_ line: String, file: StaticString = #filePath, lineNumber: UInt = #line) -> [Fields] {
        let reply = ok(line, file: file, lineNumber: lineNumber)
        guard let rows = reply.rowList else {
            XCTFail("\(line) → \(TextEncoder.encode(reply)), expected rows", file: file, line: lineNumber)
            return []
        }
        return rows
    }

    func okFields(_ line: String, file: StaticString = #filePath, lineNumber: UInt = #line) -> Fields {
        let reply = ok(line, file: file, lineNumber: lineNumber)
        guard case .ok(let fields) = reply else {
            XCTFail("\(line) → \(TextEncoder.encode(reply)), expected OK", file: file, line: lineNumber)
            return Fields()
        }
        return fields
    }

    /// Two cities, three warehouses, a small catalog.
    static func shanxiFixture(at time: Timestamp = december1) -> Engine {
        let engine = testEngine(at: time)
        for line in fixtureLines { engine.ok(line) }
        return engine
    }

    static let fixtureLines = [
        "region add shanxi name=Shanxi level=province",
        "region add shanxi/taiyuan name=Taiyuan",
        "region add shanxi/jinzhong name=Jinzhong",
        "region add shanxi/datong name=Datong",
        #"warehouse add ty-01 name="Taiyuan depot" region=shanxi/taiyuan at=37.87,112.55"#,
        #"warehouse add jz-01 name="Jinzhong depot" region=shanxi/jinzhong at=37.69,112.75"#,
        #"warehouse add dt-01 name="Datong depot" region=shanxi/datong at=40.08,113.30"#,
        #"item add water-5l name="Bottled water 5 L" category=water unit=bottle pack=4 shelf_life=365d"#,
        #"item add tent-12 name="Relief tent 12 m2" category=shelter unit=tent"#,
        #"item add quilt name="Cotton quilt" category=shelter unit=piece pack=10"#,
    ]
}

func replyText(_ reply: Reply) -> String { TextEncoder.encode(reply) }
