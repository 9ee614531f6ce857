// ServerSettings: what the daemon runs with, resolved once from the configuration before any store
// is opened. Both stores (SQLite and PostgreSQL) and `reliefd drill run` start from this one value,
// so a setting cannot be honoured by one start-up path and forgotten by another.

import Foundation
import ReliefEngine
import ReliefLimits
import ReliefMatching
import ReliefCore

public struct ServerSettings: Sendable {
    /// The configuration as read (defaults, then the file, then flags), consistency-checked.
    public let configuration: Configuration
    /// The matching policy of the `matching_*` keys.
    public let matchingPolicy: MatchingPolicy
    /// Planning standards for `need estimate`; nil when planning_file is off or not found.
    public let planningStandards: PlanningStandards?
    /// The operation's time zone (time_zone), resolved from the tz database.
    public let timeZone: OperationTimeZone
    /// What start-up should tell the operator but is not an error (a default file that is absent).
    public let warnings: [Warning]

    public struct Warning: Sendable, Equatable {
        public var message: String
        public var metadata: [String: String]
    }

    /// A setting that cannot be used: start-up stops with this message.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Resolves every setting that needs more than the configuration's own text: the matching policy,
    /// and the planning standards file (read at every start, so an edit takes effect on restart;
    /// estimates only propose, the needs they add carry their numbers in the journal). A file that is
    /// absent is a warning, because the defaults name files of the source tree; a file that is present
    /// and wrong is a problem.
    public static func resolve(_ configuration: Configuration,
                               readFile: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }) throws(Problem) -> ServerSettings {
        // The relations between the limits (Limits.swift) hold in every build that starts.
        let broken = Limits.violations()
        guard broken.isEmpty else {
            throw Problem("this build's limits contradict each other: " + broken.joined(separator: "; "))
        }
        do {
            try configuration.checkConsistency()
        } catch {
            throw Problem("\(error)")
        }
        let policy: MatchingPolicy
        do {
            policy = try MatchingPolicy(parsing: configuration.matching)
        } catch {
            throw Problem("matching policy: \(error)")
        }
        let timeZone: OperationTimeZone
        do {
            timeZone = try OperationTimeZone.system(named: configuration.timeZone)
        } catch {
            throw Problem("time_zone: \(error)")
        }
        var warnings: [Warning] = []
        var standards: PlanningStandards?
        if let planningFile = configuration.planningFile {
            if let text = readFile(planningFile) {
                do {
                    standards = try PlanningStandards(text: text, name: planningFile)
                } catch {
                    throw Problem("planning standards not loaded: \(error)")
                }
            } else {
                warnings.append(Warning(message: "planning standards not found; need estimate is refused (set planning_file, or off)",
                                        metadata: ["planning_file": planningFile]))
            }
        }
        return ServerSettings(configuration: configuration, matchingPolicy: policy, planningStandards: standards, timeZone: timeZone,
                              warnings: warnings)
    }
}
