#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ReliefCore
import ReliefDrill
import ReliefEngine
import ReliefLog
import ReliefMatching
import ReliefServer
import ReliefStore

/// `reliefd drill run FILE [--compare FILE_B] [--report DIR] [--config FILE]`: plays a drill
/// scenario in-process, as fast as it goes, on its own sandbox (the live store is only read, for
/// `from live` and `replay incident`), prints what happened and every expectation, writes the
/// report (JSON and HTML) and its log, and exits 0 when every expectation held, 1 when one failed,
/// 2 when the scenario (or the command) has errors — all of them printed. With `--compare`, plays
/// both and writes their comparison beside their reports (`DrillComparison`).
///
/// `reliefd drill compare A B [--report DIR]`: the comparison of two reports already written.
enum Drill {
    static let usage = """
        usage: reliefd drill run FILE [--compare FILE_B] [--report DIR] [--config FILE]
               reliefd drill compare REPORT_A REPORT_B [--report DIR]
          run plays the drill scenario FILE (docs/drills.md) as fast as it goes and checks its
          expectations. The skill catalog, planning standards, matching policy and, for
          `from live` and `replay incident`, the store come from the configuration (defaults,
          then --config FILE). With --compare it plays FILE_B too and compares the two (FILE is A,
          FILE_B is B): DIR/a and DIR/b get their reports, DIR/compare.html and compare.json the
          comparison. Exit status: 0 every expectation held (in both), 1 one failed, 2 errors in a
          scenario or the arguments.
          compare compares two reports written before (a report.json, or the directory holding
          one) into DIR/compare.html and compare.json. Exit status: 0 compared, 2 errors.
        """

    static func run(_ arguments: [String]) -> Int32 {
        switch arguments.first {
        case "run": return runCommand(Array(arguments.dropFirst()))
        case "compare": return compareCommand(Array(arguments.dropFirst()))
        case "--help", "-h": print(usage); return 0
        default: return complain("expected a drill command: run or compare\n\(usage)")
        }
    }

    /// Leading words that are not flags, then the flags as pairs.
    static func split(_ arguments: [String]) -> (positionals: [String], flags: [(flag: String, value: String?)]) {
        let positionals = Array(arguments.prefix { !$0.hasPrefix("-") })
        return (positionals, FlagPairs.parse(Array(arguments.dropFirst(positionals.count))))
    }

    static func runCommand(_ arguments: [String]) -> Int32 {
        var reportDirectory: String?, configFile: String?, compareFile: String?
        let (positionals, flags) = split(arguments)
        guard positionals.count <= 1 else { return complain("unexpected argument \"\(positionals[1])\"\n\(usage)") }
        let file = positionals.first
        for (argument, value) in flags {
            if argument == "--help" || argument == "-h" { print(usage); return 0 }
            guard let value else { return complain("\(argument) needs a value\n\(usage)") }
            switch argument {
            case "--report": reportDirectory = value
            case "--config": configFile = value
            case "--compare": compareFile = value
            default: return complain("unexpected argument \"\(argument)\"\n\(usage)")
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
        ReliefLogging.bootstrap(level: .warning)
        let logger = Logger(label: "reliefd.drill")
        // The same resolved settings as the daemon's start-up (matching policy, planning standards).
        let settings: ServerSettings
        do {
            settings = try ServerSettings.resolve(configuration)
        } catch {
            return complain("\(error)")
        }
        for warning in settings.warnings {
            logger.warning("\(warning.message)", metadata: warning.metadata.mapValues { "\($0)" })
        }
        let setting = Setting(settings: settings, logger: logger)

        // Both scenarios are read and started before either plays: an error in B stops A too.
        var started: [Started] = []
        var errors = 0
        for scenarioFile in [file] + (compareFile.map { [$0] } ?? []) {
            switch start(scenarioFile, setting) {
            case .success(let result): started.append(result)
            case .failure(let failure): errors += failure.count
            }
        }
        guard errors == 0 else { return complain("\(errors) error\(errors == 1 ? "" : "s") in the scenario\(compareFile == nil ? "" : "s"); \(compareFile == nil ? "it does" : "they do") not start") }
        let played = started.map { one -> Played in
            let began = ContinuousClock.now
            one.drill.runToEnd()
            return Played(drill: one.drill, report: one.drill.report(), loadSeconds: one.loadSeconds, runSeconds: seconds(ContinuousClock.now - began))
        }
        for (index, result) in played.enumerated() {
            if played.count > 1 { print(index == 0 ? "A:" : "\nB:") }
            print(summary(result.report, drill: result.drill, loadSeconds: result.loadSeconds, runSeconds: result.runSeconds))
        }
        let failed = played.contains { $0.report.summary.expectationsFailed > 0 }
        guard played.count == 2 else {
            if let reportDirectory {
                do {
                    try writeReport(played[0].report, log: played[0].drill.log, to: reportDirectory)
                    print("report: \(reportDirectory)/report.html and report.json, log: \(reportDirectory)/drill.log")
                } catch {
                    return complain("cannot write the report to \(reportDirectory): \(error)")
                }
            }
            return failed ? 1 : 0
        }
        let comparison = DrillComparison(a: played[0].report, b: played[1].report, reportPaths: reportDirectory.map { _ in ("a/report.html", "b/report.html") })
        print("\n" + comparisonSummary(comparison))
        if let reportDirectory {
            do {
                try writeReport(played[0].report, log: played[0].drill.log, to: reportDirectory + "/a")
                try writeReport(played[1].report, log: played[1].drill.log, to: reportDirectory + "/b")
                try comparison.write(to: reportDirectory)
                print("reports: \(reportDirectory)/a and \(reportDirectory)/b (report.html, report.json, drill.log); comparison: \(reportDirectory)/compare.html and compare.json")
            } catch {
                return complain("cannot write the reports to \(reportDirectory): \(error)")
            }
        }
        return failed ? 1 : 0
    }

    /// What every scenario of one command shares: the configuration and what it loaded.
    struct Setting {
        var settings: ServerSettings
        var logger: Logger
    }

    struct Started {
        var drill: DrillRun
        var loadSeconds: Double
    }

    struct Played {
        var drill: DrillRun
        var report: DrillReport
        var loadSeconds: Double
        var runSeconds: Double
    }

    /// The errors of a scenario that does not start, already printed.
    struct NotStarted: Error {
        var count: Int
    }

    /// Reads one scenario and makes its drill, ready to play; its errors are printed as they are found.
    static func start(_ file: String, _ setting: Setting) -> Result<Started, NotStarted> {
        guard let bytes = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("\(file): cannot read the scenario\n".utf8))
            return .failure(NotStarted(count: 1))
        }
        let configuration = setting.settings.configuration, logger = setting.logger
        let started = ContinuousClock.now
        let drill: DrillRun
        do throws(ScenarioErrors) {
            let parsed = try ScenarioParser.parse(bytes: Array(bytes), file: file)
            // The host's clock, read only for `start now`; a drill reads no other.
            let wallClock = Clock.system.now()
            let live: () throws -> State = {
                if let url = configuration.postgresURL {
                    throw StoreError("from live reads the embedded store offline; \(PostgresStore.redacted(url)) is PostgreSQL", isTransient: false)
                }
                return try SQLiteJournal(path: configuration.sqlitePath, logger: logger).loadReadOnly()
            }
            let history: (String) throws -> IncidentHistory = { incident in
                if let url = configuration.postgresURL {
                    throw StoreError("replay incident reads the embedded SQLite store offline; \(PostgresStore.redacted(url)) is PostgreSQL, "
                                     + "which is not read offline yet", isTransient: false)
                }
                return try SQLiteJournal(path: configuration.sqlitePath, logger: logger).readIncidentHistory(incident)
            }
            let (scenario, state) = try DrillStart.prepare(parsed, wallClock: wallClock,
                                                           sources: DrillStart.Sources(catalogFile: configuration.catalogFile, live: live, history: history,
                                                                                       timeZone: setting.settings.timeZone))
            drill = try DrillRun(scenario: scenario, state: state, planningStandards: setting.settings.planningStandards,
                                 matchingPolicy: setting.settings.matchingPolicy, timeZone: setting.settings.timeZone, wallClock: wallClock)
        } catch {
            for item in error.items { FileHandle.standardError.write(Data("\(item)\n".utf8)) }
            return .failure(NotStarted(count: error.items.count))
        }
        return .success(Started(drill: drill, loadSeconds: seconds(ContinuousClock.now - started)))
    }

    static func compareCommand(_ arguments: [String]) -> Int32 {
        let (positionals, flags) = split(arguments)
        var reportDirectory: String?
        for (argument, value) in flags {
            if argument == "--help" || argument == "-h" { print(usage); return 0 }
            guard let value else { return complain("\(argument) needs a value\n\(usage)") }
            guard argument == "--report" else { return complain("unexpected argument \"\(argument)\"\n\(usage)") }
            reportDirectory = value
        }
        guard positionals.count == 2 else {
            return complain(positionals.count < 2 ? "expected two reports to compare, A and B\n\(usage)" : "unexpected argument \"\(positionals[2])\"\n\(usage)")
        }
        var reports: [DrillReport] = []
        var pages: [String] = []
        for path in positionals {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let json = exists && isDirectory.boolValue ? path + "/report.json" : path
            switch readReport(json) {
            case .success(let report): reports.append(report)
            case .failure(let failure): return complain(failure.message)
            }
            pages.append((json as NSString).deletingLastPathComponent + "/report.html")
        }
        let links = reportDirectory.flatMap { directory -> (String, String)? in
            guard let a = relativePath(pages[0], from: directory), let b = relativePath(pages[1], from: directory) else { return nil }
            return (a, b)
        }
        let comparison = DrillComparison(a: reports[0], b: reports[1], reportPaths: links)
        print(comparisonSummary(comparison))
        if let reportDirectory {
            do {
                try comparison.write(to: reportDirectory)
                print("comparison: \(reportDirectory)/compare.html and compare.json")
            } catch {
                return complain("cannot write the comparison to \(reportDirectory): \(error)")
            }
        }
        return 0
    }

    /// `page` as a link from a file in `directory`, when the page exists; nil otherwise.
    static func relativePath(_ page: String, from directory: String) -> String? {
        guard FileManager.default.fileExists(atPath: page) else { return nil }
        let current = FileManager.default.currentDirectoryPath
        func components(_ path: String) -> [String] {
            let absolute = path.hasPrefix("/") ? path : current + "/" + path
            var out: [String] = []
            for part in absolute.split(separator: "/") where part != "." {
                if part == ".." { if !out.isEmpty { out.removeLast() } } else { out.append(String(part)) }
            }
            return out
        }
        let target = components(page), base = components(directory)
        var common = 0
        while common < min(target.count, base.count) && target[common] == base[common] { common += 1 }
        return (Array(repeating: "..", count: base.count - common) + target[common...]).joined(separator: "/")
    }

    /// The comparison in a few lines: the summary's changes and the needs whose times moved.
    static func comparisonSummary(_ comparison: DrillComparison) -> String {
        var lines = ["EXERCISE comparison: A \"\(comparison.a.name)\" vs B \"\(comparison.b.name)\" (differences are B − A)"]
        for metric in comparison.summary where metric.a != metric.b {
            let verdict = metric.verdict == .better ? ", better" : metric.verdict == .worse ? ", worse" : ""
            lines.append("  \(metric.label): \(metric.aText) → \(metric.bText) (\(metric.deltaText)\(verdict))")
        }
        if lines.count == 1 { lines.append("  the summaries are the same") }
        let moved = comparison.needs.filter { $0.changed }
        lines.append("needs: \(comparison.needs.count) compared, \(moved.count) with other times or amounts")
        for need in moved {
            lines.append("  \(need.name): " + need.changes.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
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
        if let replay = report.replay {
            var line = "replay of incident \(replay.incident) (journal entries \(replay.openedSeq)–\(replay.lastSeq)): \(replay.inputs) inputs replayed"
            if replay.afterTheEnd > 0 { line += ", \(replay.afterTheEnd) after the end left out" }
            if replay.inexpressible > 0 { line += ", \(replay.inexpressible) stock receipts no request can make left out" }
            lines.append(line + (replay.refused.isEmpty ? "" : ", \(replay.refused.count) refused in this drill's world:"))
            for refusal in replay.refused {
                lines.append("  refused \(DrillTime.text(refusal.minute)) (entry \(refusal.seq)): \(refusal.text)")
                lines.append("         \(refusal.refusal)")
            }
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
