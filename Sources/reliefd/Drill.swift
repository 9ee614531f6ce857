#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ReliefCore
import ReliefDrill
import ReliefEngine
import ReliefMatching
import ReliefServer
import ReliefStore

/// `reliefd drill run FILE [--report DIR] [--config FILE]`: plays a drill scenario in-process, as
/// fast as it goes, on its own sandbox (the live store is only read, for `from live`), prints what
/// happened and every expectation, writes the report (JSON and HTML) and its log, and exits 0 when every expectation held, 1
/// when one failed, 2 when the scenario (or the command) has errors — all of them printed.
enum Drill {
    static let usage = """
        usage: reliefd drill run FILE [--report DIR] [--config FILE]
          Plays the drill scenario FILE (docs/drills.md) as fast as it goes and checks its
          expectations. The skill catalog, planning standards, matching policy and, for
          `from live`, the store come from the configuration (defaults, then --config FILE).
          Exit status: 0 every expectation held, 1 one failed, 2 errors in the scenario or arguments.
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard arguments.first == "run" else {
            if arguments.first == "--help" || arguments.first == "-h" { print(usage); return 0 }
            return complain("expected a drill command: run\n\(usage)")
        }
        var file: String?, reportDirectory: String?, configFile: String?
        var rest = Array(arguments.dropFirst())
        if let first = rest.first, !first.hasPrefix("-") {
            file = first
            rest.removeFirst()
        }
        for (argument, value) in FlagPairs.parse(rest) {
            if argument == "--help" || argument == "-h" { print(usage); return 0 }
            guard let value else { return complain("\(argument) needs a value\n\(usage)") }
            switch argument {
            case "--report": reportDirectory = value
            case "--config": configFile = value
            default:
                guard file == nil, !argument.hasPrefix("-") else { return complain("unexpected argument \"\(argument)\"\n\(usage)") }
                file = argument
            }
        }
        guard let file else { return complain("missing the scenario FILE\n\(usage)") }

        var configuration = Configuration()
        if let configFile {
            guard let text = try? String(contentsOfFile: configFile, encoding: .utf8) else { return complain("cannot read configuration file \(configFile)") }
            do {
                try configuration.load(fileText: text, name: configFile)
            } catch {
                return complain("\(error)")
            }
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let logger = Logger(label: "reliefd.drill")
        var matchingPolicy = MatchingPolicy()
        do {
            matchingPolicy = try MatchingPolicy(parsing: configuration.matching)
        } catch {
            return complain("\(error)")
        }
        var planningStandards: PlanningStandards?
        if let planningFile = configuration.planningFile, let text = try? String(contentsOfFile: planningFile, encoding: .utf8) {
            do {
                planningStandards = try PlanningStandards(text: text, name: planningFile)
            } catch {
                return complain("planning standards not loaded: \(error)")
            }
        }

        guard let bytes = FileManager.default.contents(atPath: file) else { return complain("cannot read scenario \(file)") }
        let started = ContinuousClock.now
        let drill: DrillRun
        do throws(ScenarioErrors) {
            let scenario = try ScenarioParser.parse(bytes: Array(bytes), file: file)
            // The host's clock, read only for `start now`; a drill reads no other.
            let wallClock = Clock.system.now()
            let live: () throws -> State = {
                if let url = configuration.postgresURL {
                    throw StoreError("from live reads the embedded store offline; \(PostgresStore.redacted(url)) is PostgreSQL", isTransient: false)
                }
                return try SQLiteJournal(path: configuration.sqlitePath, logger: logger).loadReadOnly()
            }
            let startTime = scenario.start?.instant ?? Timestamp(milliseconds: wallClock.milliseconds / 60_000 * 60_000)
            let state = try DrillStart.state(for: scenario, at: startTime,
                                             sources: DrillStart.Sources(catalogFile: configuration.catalogFile, live: live))
            drill = try DrillRun(scenario: scenario, state: state, planningStandards: planningStandards, matchingPolicy: matchingPolicy,
                                 wallClock: wallClock)
        } catch {
            for item in error.items { FileHandle.standardError.write(Data("\(item)\n".utf8)) }
            return complain("\(error.items.count) error\(error.items.count == 1 ? "" : "s") in the scenario; it does not start")
        }
        let loaded = ContinuousClock.now
        drill.runToEnd()
        let ran = ContinuousClock.now
        let report = drill.report()

        print(summary(report, drill: drill, loadSeconds: seconds(loaded - started), runSeconds: seconds(ran - loaded)))
        if let reportDirectory {
            do {
                try writeReport(report, log: drill.log, to: reportDirectory)
                print("report: \(reportDirectory)/report.html and report.json, log: \(reportDirectory)/drill.log")
            } catch {
                return complain("cannot write the report to \(reportDirectory): \(error)")
            }
        }
        return report.summary.expectationsFailed == 0 ? 0 : 1
    }

    /// The report's files in `directory` (made if missing): report.json and report.html, and the
    /// drill's log beside them.
    static func writeReport(_ report: DrillReport, log: [DrillLogLine], to directory: String) throws {
        try report.write(to: directory)
        try Data(log.map { "\($0)\n" }.joined().utf8).write(to: URL(fileURLWithPath: directory + "/drill.log"), options: .atomic)
    }

    static func summary(_ report: DrillReport, drill: DrillRun, loadSeconds: Double, runSeconds: Double) -> String {
        let summary = report.summary
        let people = report.people
        var lines = [
            "EXERCISE drill \"\(report.scenario.name)\" (\(report.scenario.file)): from \(report.scenario.from), T+00:00 = \(report.scenario.start), "
                + "seed \(report.scenario.seed), end \(DrillTime.text(report.scenario.endMinute))",
            "start state \(String(format: "%.2f", loadSeconds)) s, drill \(String(format: "%.2f", runSeconds)) s: \(summary.injects) injects, "
                + "\(summary.plansProposed) plans proposed (\(summary.plansApplied) applied), \(report.needs.count) needs "
                + "(\(summary.needsMet) met, \(summary.needsUnmet) not fully met at the end), \(people.volunteersDeployed) people deployed "
                + "(\(people.teamsDeployed) teams, \(String(format: "%.1f", people.hours)) h on scene), \(people.noShows) no-shows, "
                + "\(people.restLimitRefusals) left out resting or at their duty limit, \(report.flows.count) dispatches "
                + "(\(report.flows.filter(\.crossRegion).count) across regions)",
            "expectations: \(summary.expectationsHeld) held, \(summary.expectationsFailed) failed",
        ]
        for expectation in report.expectations {
            lines.append("  \(expectation.held ? "held  " : "FAILED") line \(expectation.line): \(expectation.text)")
            lines.append("         \(expectation.detail)")
        }
        if drill.officerRefusals > 0 {
            lines.append("the engine refused the simulated officer \(drill.officerRefusals) time\(drill.officerRefusals == 1 ? "" : "s") (each is in the drill's log)")
        }
        return lines.joined(separator: "\n")
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func complain(_ message: String, status: Int32 = 2) -> Int32 {
        FileHandle.standardError.write(Data("reliefd drill: \(message)\n".utf8))
        return status
    }
}
