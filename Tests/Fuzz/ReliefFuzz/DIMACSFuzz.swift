// Target `dimacs`: the DIMACS min-cost-flow files `reliefctl solve` reads (DIMACS.parse) and the
// solution files it writes (DIMACS.parseSolution), and the solve between them. The whole input is
// given to both parsers.
//
// Checked, besides "does not crash":
// - an error names a line of the file (1 ... its line count; 0 only for a file without lines) and
//   says what is wrong;
// - a problem line past Limits.dimacsNodes or dimacsArcs is refused, and what is allocated for a
//   problem stays within libFuzzer's malloc limit (-malloc_limit_mb): a short file cannot ask for
//   gigabytes before its arcs are read;
// - a parsed instance, written with DIMACS.format, parses to the same instance;
// - a small instance (at most `solveNodes` nodes and `solveArcs` arcs) solves or is refused with
//   FlowNetworkError; an optimal flow keeps every arc within its bounds, balances every node,
//   costs what it says, is proven optimal by its potentials, and its DIMACS solution file parses
//   to the same flows; MinCostFlow.solveByParts (what `reliefctl solve` runs) gives the same status
//   and cost, or is refused with the same error, and a flow within bounds, balanced, costing that;
// - a parsed solution, written back as `s COST` and `f SRC DST FLOW` lines, parses the same.

import ReliefLimits
import ReliefMatching

enum DIMACSFuzz {
    static let target = FuzzTarget(name: "dimacs", summary: "DIMACS problem and solution files, and the solve between them",
                                   maxLength: 16_384) { bytes in run(Array(bytes)) }

    static let solveNodes = 64
    static let solveArcs = 256
    /// A problem within the limits may declare up to 100 million nodes, which costs 8 bytes a node
    /// by design (a few seconds here): past this many the target only checks that a declaration
    /// past the limits is refused, and spends its time elsewhere.
    static let largestParsed: Int64 = 1_000_000

    static func run(_ input: [UInt8]) {
        let lines = lineCount(input)
        checkProblem(input, lines: lines)
        checkSolutionFile(input, lines: lines)
    }

    /// Lines as the reader counts them: a last line without LF counts.
    static func lineCount(_ bytes: [UInt8]) -> Int {
        bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } + (bytes.last.map { $0 == 0x0A ? 0 : 1 } ?? 0)
    }

    static func checkError(_ error: DIMACSError, lines: Int, _ input: [UInt8]) {
        let range = lines == 0 ? 0...0 : 1...lines
        if !range.contains(error.line) { Fuzz.fail("error on line \(error.line) of a file of \(lines) lines: \(error)", input) }
        if error.message.isEmpty { Fuzz.fail("error without a message", input) }
    }

    /// The NODES and ARCS of the file's first problem line, if it has one that reads.
    static func declared(_ input: [UInt8]) -> (nodes: Int64, arcs: Int64)? {
        for line in input.split(separator: 0x0A) {
            let fields = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
            guard fields.first.map(Array.init) == [UInt8(ascii: "p")] else { continue }
            guard fields.count == 4, let nodes = Int64(String(decoding: fields[2], as: UTF8.self)),
                  let arcs = Int64(String(decoding: fields[3], as: UTF8.self)) else { return nil }
            return (nodes, arcs)
        }
        return nil
    }

    static func checkProblem(_ input: [UInt8], lines: Int) {
        if let (nodes, _) = declared(input), nodes > largestParsed && nodes <= Int64(Limits.dimacsNodes) { return }
        let instance: DIMACSInstance
        do {
            instance = try DIMACS.parse(input)
        } catch {
            checkError(error, lines: lines, input)
            return
        }
        if let (nodes, arcs) = declared(input), nodes > Int64(Limits.dimacsNodes) || arcs > Int64(Limits.dimacsArcs) {
            Fuzz.fail("a problem of \(nodes) nodes and \(arcs) arcs, past the limits, was read", input)
        }
        let network = instance.network
        for arc in 0..<network.arcCount where network.arcCapacity[arc] < 0 {
            Fuzz.fail("arc \(arc) has capacity \(network.arcCapacity[arc])", input)
        }
        let written = DIMACS.format(instance, comments: ["fuzz", "a comment\nwith a line break"])
        do {
            let again = try DIMACS.parse(written)
            if again != instance { Fuzz.fail("the written instance parses differently:\n\(String(decoding: written, as: UTF8.self))", input) }
        } catch {
            Fuzz.fail("the written instance does not parse: \(error)\n\(String(decoding: written.prefix(2000), as: UTF8.self))", input)
        }
        if network.nodeCount <= solveNodes && network.arcCount <= solveArcs { checkSolve(instance, input) }
    }

    static func checkSolve(_ instance: DIMACSInstance, _ input: [UInt8]) {
        let network = instance.network
        let solution: FlowSolution
        do {
            solution = try MinCostFlow.solve(network)
        } catch {
            // The same limits refuse the network by parts (`reliefctl solve`), except that solve
            // refuses a cost whose partial sums in arc order pass 64 bits, and solveByParts (summing
            // in 128 bits) only an optimal cost that does not fit.
            do {
                _ = try MinCostFlow.solveByParts(network)
                if error != .costOverflow { Fuzz.fail("solve refuses with \(error), solveByParts does not", input) }
            } catch let parts {
                if parts != error { Fuzz.fail("solve refuses with \(error), solveByParts with \(parts)", input) }
            }
            return
        }
        checkParts(network, solution, input)
        guard solution.status == .optimal else {
            if !solution.flow.isEmpty { Fuzz.fail("a \(solution.status) solution with flows", input) }
            return
        }
        guard solution.flow.count == network.arcCount, solution.potential.count == network.nodeCount else {
            Fuzz.fail("optimal solution of \(solution.flow.count) flows and \(solution.potential.count) potentials", input)
        }
        var balance = network.supply.map { Int128($0) }
        var cost: Int128 = 0
        for arc in 0..<network.arcCount {
            let flow = solution.flow[arc], capacity = network.arcCapacity[arc], arcCost = network.arcCost[arc]
            if flow < 0 || flow > capacity { Fuzz.fail("arc \(arc) carries \(flow) of capacity \(capacity)", input) }
            let source = Int(network.arcSource[arc]), target = Int(network.arcTarget[arc])
            balance[source] -= Int128(flow)
            balance[target] += Int128(flow)
            cost += Int128(flow) * Int128(arcCost)
            let reduced = Int128(arcCost) + Int128(solution.potential[source]) - Int128(solution.potential[target])
            if (flow < capacity && reduced < 0) || (flow > 0 && reduced > 0) {
                Fuzz.fail("arc \(arc) (flow \(flow) of \(capacity), reduced cost \(reduced)) shows the flow is not optimal", input)
            }
        }
        if let node = balance.firstIndex(where: { $0 != 0 }) { Fuzz.fail("node \(node) is out of balance by \(balance[node])", input) }
        if cost != Int128(solution.cost) { Fuzz.fail("solution says cost \(solution.cost), its flows cost \(cost)", input) }
        // What `reliefctl solve --flows` prints reads back as the same flows.
        guard instance.cost(of: solution) != nil else { return }
        let file = DIMACS.formatSolution(instance, solution)
        do {
            let read = try DIMACS.parseSolution(file)
            let flows = instance.flows(of: solution)
            let expected = (0..<network.arcCount).filter { flows[$0] != 0 }.map {
                DIMACSSolution.Flow(source: Int64(network.arcSource[$0]) + 1, target: Int64(network.arcTarget[$0]) + 1, flow: flows[$0])
            }
            if read != DIMACSSolution(cost: instance.cost(of: solution)!, flows: expected) {
                Fuzz.fail("the solution file reads differently:\n\(String(decoding: file, as: UTF8.self))", input)
            }
        } catch {
            Fuzz.fail("the solution file does not parse: \(error)\n\(String(decoding: file, as: UTF8.self))", input)
        }
    }

    /// `MinCostFlow.solveByParts` (what `reliefctl solve` runs, here with cost scaling on every
    /// assignment-shaped part), bundled and with every component apart: the status and cost of the whole network's simplex, and a flow within the bounds that
    /// balances every node and costs what it says.
    static func checkParts(_ network: FlowNetwork, _ whole: FlowSolution, _ input: [UInt8]) {
        for bundle in [MinCostFlow.bundleNodes, 1] {
            let parts: FlowSolution
            do {
                // Cost scaling on every assignment-shaped part, however small.
                parts = try MinCostFlow.solveByParts(network, costScalingNodes: 0, bundleNodes: bundle).solution
            } catch {
                // Only a cost past 64 bits can differ: summed the same way, it overflows the same way.
                Fuzz.fail("solve answers \(whole.status), solveByParts (bundle \(bundle)) throws \(error)", input)
            }
            if parts.status != whole.status || parts.cost != whole.cost {
                Fuzz.fail("solve: \(whole.status) cost \(whole.cost); solveByParts (bundle \(bundle)): \(parts.status) cost \(parts.cost)", input)
            }
            guard parts.status == .optimal else { continue }
            var balance = network.supply.map { Int128($0) }
            var cost: Int128 = 0
            for arc in 0..<network.arcCount {
                let flow = parts.flow[arc]
                if flow < 0 || flow > network.arcCapacity[arc] { Fuzz.fail("by parts, arc \(arc) carries \(flow)", input) }
                balance[Int(network.arcSource[arc])] -= Int128(flow)
                balance[Int(network.arcTarget[arc])] += Int128(flow)
                cost += Int128(flow) * Int128(network.arcCost[arc])
            }
            if let node = balance.firstIndex(where: { $0 != 0 }) { Fuzz.fail("by parts, node \(node) is out of balance", input) }
            if cost != Int128(parts.cost) { Fuzz.fail("by parts, cost \(parts.cost) but the flows cost \(cost)", input) }
        }
    }

    static func checkSolutionFile(_ input: [UInt8], lines: Int) {
        let solution: DIMACSSolution
        do {
            solution = try DIMACS.parseSolution(input)
        } catch {
            checkError(error, lines: lines, input)
            return
        }
        var text = "c written again\ns \(solution.cost)\n"
        for flow in solution.flows { text += "f \(flow.source) \(flow.target) \(flow.flow)\n" }
        do {
            let again = try DIMACS.parseSolution(text)
            if again != solution { Fuzz.fail("the solution written again parses differently:\n\(text)", input) }
        } catch {
            Fuzz.fail("the solution written again does not parse: \(error)\n\(text)", input)
        }
    }
}
