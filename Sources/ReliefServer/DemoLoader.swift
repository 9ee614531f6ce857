import Logging
import ReliefCore
import ReliefEngine
import ReliefProtocol
import ReliefStore

/// Runs request lines (the skill catalog, the demo dataset, a generated roster) through the engine
/// and commits what it produced, before the loop starts. All or nothing: a refused line stops the
/// load with its line number and nothing is committed.
public enum DemoLoader {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func load(text: String, name: String, into state: State, journal: Journal,
                            clock: Clock, logger: Logger) throws -> State {
        try load(lines: text.split(separator: "\n", omittingEmptySubsequences: false).lazy.map(String.init),
                 name: name, into: state, journal: journal, clock: clock, logger: logger)
    }

    /// The same for lines already in memory (a generated dataset). Blank lines and `#` comments are
    /// skipped; errors name the line by its position in `lines`, counted from 1.
    public static func load<Lines: Sequence<String>>(lines: Lines, name: String, into state: State, journal: Journal,
                                                     clock: Clock, logger: Logger) throws -> State {
        let started = ContinuousClock.now
        let engine = Engine(state: state, clock: clock)
        var entries: [Entry] = []
        var lineNumber = 0
        var commands = 0
        for line in lines {
            lineNumber += 1
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let outcome = engine.handle(line: line, actor: "demo")
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
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        logger.info("dataset loaded", metadata: ["name": "\(name)", "commands": "\(commands)", "entries": "\(entries.count)",
                                                 "ms": "\(milliseconds)"])
        return engine.state
    }
}
