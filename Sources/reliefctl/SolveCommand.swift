import ArgumentParser
import ReliefMatching

/// `reliefctl solve FILE`: solves a DIMACS min-cost-flow instance with reliefd's own solver (no
/// daemon involved), so the solver can be checked against published instances and other solvers.
/// `reliefctl solve --generate province|country|province-people|country-people --seed N --out FILE`
/// writes the benchmark instances.
struct SolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solve",
        abstract: "Solve a DIMACS min-cost-flow instance, or generate one.",
        discussion: """
        Prints one line:
          cost=<n> status=optimal nodes=<n> arcs=<n> solve_ms=<x> parse_ms=<y>
          pivots=<n> parts=<n> cost_scaling_parts=<n>
        parse_ms is reading and parsing the file; solve_ms is the solver alone
        (MinCostFlow.solveByParts). The network is cut at its node of highest
        degree (a slack node) into the components left without it, each solved
        with its own copy of that node (exact for any network). Assignment-shaped
        parts (sources of supply 1 on arcs of capacity 1: people -> needs) of
        8,000 nodes or more go to cost scaling, the others to network simplex.
        pivots counts the network simplex's pivots, parts the parts solved (1:
        the network whole), cost_scaling_parts those solved by cost scaling.
        With --flows, the DIMACS solution follows: s COST, then f SRC DST FLOW
        per arc with flow. Exit status 1 when the file does not parse or the
        instance is infeasible or unbounded.

        --generate writes a benchmark instance. province and country are
        transportation instances (warehouses -> needs, a slack node for unmet
        need and unused stock): province is 150 x 1,000 fully connected, country
        is 3,000 x 10,000 with each need connected to its 50-100 nearest
        warehouses. province-people and country-people are assignment-shaped
        (volunteers of supply 1 -> needs of their skill, arcs of capacity 1 to
        the one or two nearest, a slack node): 30,000 volunteers, 1,000 needs,
        6 skills; 300,000 volunteers, 10,000 needs, 12 skills. The same seed
        gives the same file. deploy/lib/flow_solvers.py solves the same files
        with networkx and HiGHS, deploy/lib/lemon_solve.cc with LEMON.
        """)

    @Argument(help: ArgumentHelp("DIMACS min-cost-flow file, - for stdin.", valueName: "file"))
    var file: String?

    @Flag(help: "Also print the DIMACS solution lines (s COST, f SRC DST FLOW).")
    var flows = false

    @Option(help: ArgumentHelp("Write a generated instance instead of solving: province, country, province-people or country-people.",
                               valueName: "scale"))
    var generate: String?

    @Option(help: "Seed of the generated instance.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Where --generate writes the instance (- for stdout).", valueName: "file"))
    var out: String?

    func validate() throws {
        if let generate {
            guard BenchmarkInstance(rawValue: generate) != nil || PeopleBenchmarkInstance(rawValue: generate) != nil else {
                throw ValidationError("--generate takes province, country, province-people or country-people")
            }
            guard out != nil else { throw ValidationError("--generate needs --out FILE (or --out -)") }
            guard file == nil else { throw ValidationError("give a FILE to solve or --generate, not both") }
        } else {
            guard file != nil else { throw ValidationError("give a DIMACS FILE to solve (- for stdin), or --generate") }
        }
    }

    func execute() throws -> Int32 {
        if let generate, let scale = PeopleBenchmarkInstance(rawValue: generate), let out {
            return try write(generated: { scale.network(seed: seed) }, name: scale.rawValue, to: out,
                             describing: "\(scale.volunteers) volunteers (nodes 1-\(scale.volunteers)), \(scale.needs) needs of \(scale.skills) skills, 1 slack node (last)")
        }
        if let generate, let scale = BenchmarkInstance(rawValue: generate), let out {
            return try write(generated: { scale.transportation(seed: seed).network() }, name: scale.rawValue, to: out,
                             describing: "\(scale.warehouses) warehouses (nodes 1-\(scale.warehouses)), \(scale.needs) needs, 1 slack node (last)")
        }
        let name = file ?? "-"
        let started = Monotonic.now()
        let bytes = try FileText.read(name)
        let result = Self.run(bytes, name: name, flows: flows, readStarted: started)
        Terminal.out(result.out)
        Terminal.err(result.err)
        return result.status
    }

    /// What `reliefctl solve` does with a file's bytes: the text for stdout and stderr and the exit
    /// status. `readStarted` is when reading the file began, so parse_ms includes it.
    /// Writes a generated instance as DIMACS with its provenance in comments; says what it wrote.
    private func write(generated make: () -> FlowNetwork, name: String, to out: String, describing description: String) throws -> Int32 {
        let started = Monotonic.now()
        let instance = DIMACSInstance(network: make())
        let bytes = DIMACS.format(instance, comments: ["reliefctl solve --generate \(name) --seed \(seed)", description])
        let milliseconds = Self.milliseconds(since: started)
        try FileText.write(bytes, to: out)
        Terminal.err("wrote \(out): instance=\(name) seed=\(seed) nodes=\(instance.network.nodeCount) "
                     + "arcs=\(instance.network.arcCount) generate_ms=\(milliseconds)\n")
        return 0
    }

    static func run(_ bytes: [UInt8], name: String, flows: Bool, readStarted: UInt64? = nil) -> (out: String, err: String, status: Int32) {
        let parseStarted = readStarted ?? Monotonic.now()
        let instance: DIMACSInstance
        do {
            instance = try DIMACS.parse(bytes)
        } catch {
            return ("", "reliefctl solve: \(name): \(error)\n", 1)
        }
        let parseMilliseconds = milliseconds(since: parseStarted)
        let solveStarted = Monotonic.now()
        let parts: PartsSolution
        do {
            parts = try MinCostFlow.solveByParts(instance.network)
        } catch {
            return ("", "reliefctl solve: \(name): \(error)\n", 1)
        }
        let solveMilliseconds = milliseconds(since: solveStarted)
        let solution = parts.solution
        switch solution.status {
        case .infeasible:
            return ("", "reliefctl solve: \(name): infeasible: no flow meets every supply and demand within the capacities\n", 1)
        case .unbounded:
            return ("", "reliefctl solve: \(name): unbounded: a cycle of unlimited-capacity arcs has negative cost\n", 1)
        case .optimal:
            break
        }
        guard let cost = instance.cost(of: solution) else {
            return ("", "reliefctl solve: \(name): \(FlowNetworkError.costOverflow)\n", 1)
        }
        var out = "cost=\(cost) status=optimal nodes=\(instance.network.nodeCount) arcs=\(instance.network.arcCount) "
            + "solve_ms=\(solveMilliseconds) parse_ms=\(parseMilliseconds) pivots=\(solution.pivots) "
            + "parts=\(parts.parts) cost_scaling_parts=\(parts.costScalingParts)\n"
        if flows {
            out += String(decoding: DIMACS.formatSolution(instance, solution), as: UTF8.self)
        }
        return (out, "", 0)
    }

    static func milliseconds(since start: UInt64) -> String {
        BenchResult.fixed(Double(Monotonic.now() - start) / 1e6, 3)
    }
}
