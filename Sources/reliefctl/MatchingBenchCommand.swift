import ArgumentParser
import ReliefCore
import ReliefEngine
import ReliefMatching

/// `reliefctl bench-matching --scale province|country`: the matching benchmark, in process. It
/// builds a generated operation (MatchingScenario) and times what the daemon's loop (`match`) and
/// its offload thread (`plan`) compute, through the same Engine and Matching code, without the
/// socket. With `--dimacs FILE` it also writes the `plan` network as a DIMACS min-cost-flow
/// instance, so other solvers (deploy/lib/flow_solvers.py) solve exactly the same problem.
/// Prints logfmt lines for deploy/bench.
struct MatchingBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-matching",
        abstract: "Time match and plan on a generated province- or country-scale operation (in process).")

    @Option(help: "province, country or tiny.") var scale: String = "province"
    @Option(help: "Seed of the generated operation.") var seed: UInt64 = 1
    @Option(help: "Times each incident is matched, and plan runs.") var reps: Int = 3
    @Option(help: "Write the plan's flow network here in DIMACS format.") var dimacs: String?

    func validate() throws {
        guard MatchingScenario.Size.named(scale) != nil else { throw ValidationError("--scale must be province, country or tiny") }
        guard (1...100).contains(reps) else { throw ValidationError("--reps must be 1 to 100") }
    }

    func execute() throws -> Int32 {
        let size = MatchingScenario.Size.named(scale)!
        var started = Monotonic.now()
        let (state, incidents) = MatchingScenario.build(size, seed: seed)
        let buildMilliseconds = Double(Monotonic.now() - started) / 1e6
        let lots = state.stock.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.lots.count } }
        print("scenario=\(scale) seed=\(seed) warehouses=\(state.warehouses.count) items=\(state.items.count) lots=\(lots) "
              + "volunteers=\(state.volunteers.count) teams=\(state.teams.count) incidents=\(incidents.count) "
              + "needs=\(Matching.openNeeds(in: state).count) build_ms=\(format(buildMilliseconds))")

        // match INCIDENT, as the loop runs it: parse, match, record the plan event.
        let engine = Engine(state: state, clock: .fixed(MatchingScenario.now))
        var samples: [Double] = []
        for _ in 0..<reps {
            for incident in incidents {
                started = Monotonic.now()
                let outcome = engine.handle(line: "match \(incident)", actor: "bench")
                samples.append(Double(Monotonic.now() - started) / 1e3)
                if outcome.reply.isError { throw UsageError("match \(incident) failed: \(outcome.reply)") }
            }
        }
        samples.sort()
        print("workload=match runs=\(samples.count) p50_us=\(format(percentile(samples, 0.5))) "
              + "p99_us=\(format(percentile(samples, 0.99))) max_us=\(format(samples.last ?? 0))")

        // plan over every open need, as the offload thread computes it.
        let needs = Matching.openNeeds(in: state)
        var times: [Double] = []
        var last: MatchingResult?
        for _ in 0..<reps {
            started = Monotonic.now()
            last = try Matching.solve(state: state, now: MatchingScenario.now, policy: engine.matchingPolicy, needs: needs)
            times.append(Double(Monotonic.now() - started) / 1e6)
        }
        times.sort()
        let result = last!
        let met = result.plan.lines.count
        print("workload=plan runs=\(times.count) needs=\(needs.count) median_ms=\(format(percentile(times, 0.5))) "
              + "min_ms=\(format(times.first!)) max_ms=\(format(times.last!)) nodes=\(result.stats.nodes) arcs=\(result.stats.arcs) "
              + "pivots=\(result.stats.pivots) lines=\(met) unmet=\(result.plan.unmet.count) cost=\(result.flowCost) "
              + "priority_exact=\(result.stats.priorityExact)")

        if let dimacs {
            let bytes = DIMACS.format(DIMACSInstance(network: result.network),
                                      comments: ["reliefd plan network: \(scale) scenario, seed \(seed), \(needs.count) open needs"])
            try FileText.write(bytes, to: dimacs)
            print("dimacs=\(dimacs) nodes=\(result.network.nodeCount) arcs=\(result.network.arcCount) cost=\(result.flowCost)")
        }
        return 0
    }

    private func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    private func format(_ value: Double) -> String {
        let scaled = (value * 10).rounded() / 10
        return scaled == scaled.rounded() ? String(Int(scaled)) : String(scaled)
    }
}
