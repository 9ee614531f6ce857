#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import reliefctl

final class SolveCommandTests: XCTestCase {
    private let instance = """
        c the textbook instance, with a lower bound on the last arc
        p min 4 5
        n 1 4
        n 4 -4
        a 1 2 0 4 2
        a 1 3 0 2 2
        a 2 3 0 2 1
        a 2 4 0 3 3
        a 3 4 1 5 1

        """

    private func fields(_ line: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }

    func testSolvesAFileAndPrintsTheCostAndTheFlows() throws {
        let path = "/tmp/reliefctl-solve-test-\(getpid()).min"
        try FileText.write(Array(instance.utf8), to: path)
        defer { unlink(path) }
        let command = try SolveCommand.parse([path, "--flows"])
        let bytes = try FileText.read(path)
        let result = SolveCommand.run(bytes, name: path, flows: command.flows)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.err, "")
        let lines = result.out.split(separator: "\n")
        let summary = fields(lines[0])
        XCTAssertEqual(summary["cost"], "14")
        XCTAssertEqual(summary["status"], "optimal")
        XCTAssertEqual(summary["nodes"], "4")
        XCTAssertEqual(summary["arcs"], "5")
        XCTAssertNotNil(summary["solve_ms"].flatMap(Double.init))
        XCTAssertNotNil(summary["parse_ms"].flatMap(Double.init))
        XCTAssertEqual(Array(lines.dropFirst()), ["s 14", "f 1 2 2", "f 1 3 2", "f 2 3 2", "f 3 4 4"])
    }

    func testAParseErrorOrAnInfeasibleInstanceExitsWithOne() {
        let bad = SolveCommand.run(Array("p min 2 1\na 1 3 0 1 1\n".utf8), name: "bad.min", flows: false)
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.out, "")
        XCTAssertEqual(bad.err, "reliefctl solve: bad.min: line 2: node 3 is outside 1...2\n")

        let infeasible = SolveCommand.run(Array("p min 2 1\nn 1 5\nn 2 -5\na 1 2 0 4 1\n".utf8), name: "small.min", flows: false)
        XCTAssertEqual(infeasible.status, 1)
        XCTAssertTrue(infeasible.err.hasPrefix("reliefctl solve: small.min: infeasible"), infeasible.err)

        let unbounded = SolveCommand.run(Array("p min 2 2\na 1 2 0 9223372036854775807 -1\na 2 1 0 9223372036854775807 0\n".utf8),
                                         name: "cycle.min", flows: false)
        XCTAssertEqual(unbounded.status, 1)
        XCTAssertTrue(unbounded.err.hasPrefix("reliefctl solve: cycle.min: unbounded"), unbounded.err)
    }

    func testArgumentsAreChecked() {
        XCTAssertThrowsError(try SolveCommand.parse([]))
        XCTAssertThrowsError(try SolveCommand.parse(["--generate", "planet", "--out", "x"]))
        XCTAssertThrowsError(try SolveCommand.parse(["--generate", "province"]))
        XCTAssertThrowsError(try SolveCommand.parse(["file.min", "--generate", "province", "--out", "x"]))
        XCTAssertNoThrow(try SolveCommand.parse(["--generate", "country", "--seed", "3", "--out", "-"]))
        XCTAssertNoThrow(try SolveCommand.parse(["-"]))
    }
}
