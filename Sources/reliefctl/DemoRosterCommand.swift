import ArgumentParser
import ReliefCSV
import ReliefEngine

/// `reliefctl demo-roster --seed S --count N`: the demo roster's volunteers (the same generator
/// reliefd uses for `demo_volunteers`) as a volunteers CSV on stdout, for imports and benchmarks.
struct DemoRosterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-roster",
        abstract: "Write a generated volunteer roster as CSV to stdout (the same seed gives the same roster).")

    @Option(help: "Seed of the generator.") var seed: UInt64 = 2026
    @Option(help: "Volunteers to generate.") var count: Int = 28_500
    @Option(help: "Volunteer organizations they belong to.") var organizations: Int = 282

    func validate() throws {
        guard (1...10_000_000).contains(count) else { throw ValidationError("--count must be 1 to 10000000") }
        guard (1...100_000).contains(organizations) else { throw ValidationError("--organizations must be 1 to 100000") }
    }

    func execute() throws -> Int32 {
        var csv = RosterCSV()
        for line in RosterGenerator.lines(seed: seed, volunteers: count, organizations: organizations, teams: 0,
                                          now: Clock.system.now().day) {
            csv.add(line)
        }
        csv.flush()
        try FileText.write(Array(csv.text.utf8), to: nil)
        return 0
    }
}
