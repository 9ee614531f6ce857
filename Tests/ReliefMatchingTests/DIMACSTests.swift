import ReliefCore
import XCTest
@testable import ReliefMatching

final class DIMACSTests: XCTestCase {
    func testParsesAndSolvesASmallFile() throws {
        let instance = try DIMACS.parse("""
            c the textbook instance
            c
            p min 4 5
            n 1 4
            n 4 -4
            a 1 2 0 4 2
            a 1 3 0 2 2
            a 2 3 0 2 1
            a 2 4 0 3 3
            a 3 4 0 5 1
            """)
        XCTAssertEqual(instance.network.nodeCount, 4)
        XCTAssertEqual(instance.network.arcCount, 5)
        XCTAssertEqual(instance.network.supply, [4, 0, 0, -4])
        XCTAssertEqual(instance.network.arcSource, [0, 0, 1, 1, 2])
        XCTAssertEqual(instance.network.arcTarget, [1, 2, 2, 3, 3])
        XCTAssertEqual(instance.lowerBounds, [])
        let solution = try MinCostFlow.solve(instance.network)
        XCTAssertEqual(instance.cost(of: solution), 14)
    }

    func testLowerBoundsAreSentUpFrontAndAddedBack() throws {
        let instance = try DIMACS.parse("""
            p min 3 3
            n 1 5
            n 3 -5
            a 1 2 0 5 1
            a 2 3 0 10 1
            a 1 3 3 10 3
            """)
        XCTAssertEqual(instance.network.supply, [2, 0, -2])
        XCTAssertEqual(instance.network.arcCapacity, [5, 10, 7])
        XCTAssertEqual(instance.costOffset, 9)
        let solution = try MinCostFlow.solve(instance.network)
        XCTAssertEqual(instance.flows(of: solution), [2, 2, 3])
        XCTAssertEqual(instance.cost(of: solution), 13)
        XCTAssertEqual(instance.originalSupply(), [5, 0, -5])
    }

    func testWhitespaceVariantsAndUnlimitedCapacity() throws {
        let instance = try DIMACS.parse("c x\r\n\r\n  p\tmin 2 1\r\nn 1 +3\r\nn 2 -3\r\n\ta 1 2 0 9223372036854775807 -2  \r\nc\r\n")
        XCTAssertEqual(instance.network.arcCapacity, [FlowNetwork.unlimited])
        XCTAssertEqual(instance.network.arcCost, [-2])
        XCTAssertEqual(instance.network.supply, [3, -3])
    }

    func testErrorsNameTheLineAndWhatWasExpected() {
        let cases: [(String, Int, String)] = [
            ("", 0, "no 'p min NODES ARCS' line"),
            ("c only a comment\n", 1, "no 'p min NODES ARCS' line"),
            ("a 1 2 0 1 1\n", 1, "arc line before the 'p min NODES ARCS' line"),
            ("n 1 1\n", 1, "node line before"),
            ("p max 2 1\n", 1, "expected 'p min NODES ARCS'"),
            ("p min 2\n", 1, "expected ARCS in 'p min NODES ARCS', found the end of the line"),
            ("p min -1 0\n", 1, "NODES -1 is outside"),
            ("p min 2 0\np min 2 0\n", 2, "a second problem line (the first is line 1)"),
            ("p min 2 1\na 1 3 0 1 1\n", 2, "node 3 is outside 1...2"),
            ("p min 2 1\na 0 2 0 1 1\n", 2, "node 0 is outside 1...2"),
            ("p min 2 1\na 1 2 0 1\n", 2, "expected COST in 'a SRC DST LOW CAP COST', found the end of the line"),
            ("p min 2 1\na 1 2 0 x 1\n", 2, "expected CAP in 'a SRC DST LOW CAP COST' as a whole number, found 'x'"),
            ("p min 2 1\na 1 2 0 1.5 1\n", 2, "as a whole number, found '1.5'"),
            ("p min 2 1\na 1 2 0 99999999999999999999 1\n", 2, "does not fit in a 64-bit integer"),
            ("p min 2 1\na 1 2 0 1 1 7\n", 2, "unexpected '7' after 'a SRC DST LOW CAP COST'"),
            ("p min 2 1\na 1 2 3 1 1\n", 2, "capacity 1 is below the lower bound 3"),
            ("p min 2 1\na 1 2 -1 1 1\n", 2, "lower bound -1 is negative"),
            ("p min 2 2\na 1 2 0 1 1\n", 2, "1 arc lines, but line 1 declares 2"),
            ("p min 2 1\na 1 2 0 1 1\na 2 1 0 1 1\n", 3, "more arc lines than the 1 declared on line 1"),
            ("p min 2 0\nn 1 1\nn 1 2\n", 3, "node 1 already has a supply on line 2"),
            ("p min 2 0\nx 1\n", 2, "expected a line starting with c, p, n or a, found 'x'"),
            ("p min 2 0\nfoo bar\n", 2, "expected a line starting with c, p, n or a, found 'foo'"),
        ]
        for (text, line, message) in cases {
            XCTAssertThrowsError(try DIMACS.parse(text), text) { error in
                guard let error = error as? DIMACSError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.line, line, text)
                XCTAssertTrue(error.message.contains(message), "\(text): got \(error.message)")
                XCTAssertTrue(error.description.hasPrefix("line \(line): "), error.description)
            }
        }
    }

    func testFormatReadsBack() throws {
        let original = try DIMACS.parse("""
            p min 4 5
            n 1 6
            n 2 -1
            n 4 -5
            a 1 2 2 4 2
            a 1 3 0 9223372036854775807 -2
            a 3 2 0 2 1
            a 2 4 1 3 3
            a 3 4 0 5 1
            """)
        let text = DIMACS.format(original, comments: ["made by a test", "two lines"])
        XCTAssertTrue(String(decoding: text, as: UTF8.self).hasPrefix("c made by a test\nc two lines\np min 4 5\nn 1 6\n"))
        XCTAssertEqual(try DIMACS.parse(text), original)
    }

    /// Found by the dimacs fuzz target: adding the lower bounds back in arc order overflowed (a
    /// trap in DIMACS.format) although each node's supply fits, and a file read with the lines in
    /// one order could be refused in the order format writes them. Supplies and lower bounds must
    /// now fit in an Int64 together, whatever the order.
    func testLowerBoundsNearTheLimitReadBackInAnyOrder() throws {
        let half = Int64.max / 2
        let original = try DIMACS.parse("""
            p min 3 2
            a 3 1 \(half) 9223372036854775807 1
            a 1 2 \(half) \(half) -1
            n 1 1
            """)
        XCTAssertEqual(original.originalSupply(), [1, 0, 0])
        XCTAssertEqual(try DIMACS.parse(DIMACS.format(original)), original)
        XCTAssertThrowsError(try DIMACS.parse("p min 3 2\nn 1 9223372036854775807\na 1 2 1 1 0\n")) { error in
            XCTAssertEqual(error as? DIMACSError, DIMACSError(line: 3, "lower bound 1: supplies and lower bounds add up to more than 9223372036854775807"))
        }
        XCTAssertThrowsError(try DIMACS.parse("p min 2 0\nn 1 -9223372036854775808\n")) { error in
            XCTAssertEqual((error as? DIMACSError)?.line, 2)
        }
    }

    /// Found by the dimacs fuzz target: `p min 3 500000000` reserved 12 GB for arcs before reading
    /// any; what is reserved is now bounded by what the file can hold.
    func testAShortFileDeclaringManyArcsIsRefusedAtItsEnd() {
        XCTAssertThrowsError(try DIMACS.parse("p min 3 500000000\na 1 2 0 1 1\n")) { error in
            XCTAssertEqual(error as? DIMACSError, DIMACSError(line: 2, "1 arc lines, but line 1 declares 500000000"))
        }
    }

    func testSolutionFormatReadsBack() throws {
        let instance = try DIMACS.parse("""
            p min 3 3
            n 1 5
            n 3 -5
            a 1 2 0 5 1
            a 2 3 0 10 1
            a 1 3 3 10 3
            """)
        let solution = try MinCostFlow.solve(instance.network)
        let text = String(decoding: DIMACS.formatSolution(instance, solution), as: UTF8.self)
        XCTAssertEqual(text, "s 13\nf 1 2 2\nf 2 3 2\nf 1 3 3\n")
        let parsed = try DIMACS.parseSolution("c solved\n" + text)
        XCTAssertEqual(parsed, DIMACSSolution(cost: 13, flows: [.init(source: 1, target: 2, flow: 2),
                                                               .init(source: 2, target: 3, flow: 2),
                                                               .init(source: 1, target: 3, flow: 3)]))
        XCTAssertThrowsError(try DIMACS.parseSolution("f 1 2 3\n")) { error in
            XCTAssertEqual((error as? DIMACSError)?.message, "no 's COST' line")
        }
        XCTAssertThrowsError(try DIMACS.parseSolution("s 1\ns 2\n")) { error in
            XCTAssertEqual(error as? DIMACSError, DIMACSError(line: 2, "a second cost line (the first is line 1)"))
        }
    }

    /// Random networks survive format → parse → solve with the same cost.
    func testGeneratedNetworksRoundTrip() throws {
        for seed in UInt64(0)..<200 {
            var random = SplitMix64(seed: 90_000 + seed)
            let network = MinCostFlowPropertyTests.randomNetwork(&random)
            let instance = DIMACSInstance(network: network)
            let parsed = try DIMACS.parse(DIMACS.format(instance))
            XCTAssertEqual(parsed.network, network, "seed \(seed)")
        }
    }
}
