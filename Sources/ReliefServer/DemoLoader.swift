import Logging
import ReliefCore
import ReliefEngine
import ReliefProtocol
import ReliefStore

/// Runs a file of request lines (the demo dataset, or any script of commands) through the engine
/// and commits what it produced, before the loop starts. All or nothing: a refused line stops the
/// load with its line number and nothing is committed.
public enum DemoLoader {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func load(text: String, name: String, into state: State, journal: Journal,
                            clock: Clock, logger: Logger) throws -> State {
        let engine = Engine(state: state, clock: clock)
        var entries: [Entry] = []
        var lineNumber = 0
        var commands = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let outcome = engine.handle(line: String(line), actor: "demo")
            if case .error(let code, let message) = outcome.reply {
                throw Failure(description: "\(name):\(lineNumber): ERR \(code.rawValue) \(message)")
            }
            entries += outcome.entries
            commands += 1
        }
        var start = 0
        while start < entries.count {
            let end = min(entries.count, start + 10_000)
            try journal.commit(Array(entries[start..<end]))
            start = end
        }
        logger.info("demo dataset loaded", metadata: ["file": "\(name)", "commands": "\(commands)", "entries": "\(entries.count)"])
        return engine.state
    }
}
