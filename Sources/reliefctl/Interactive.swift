#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLibEdit
import ReliefCore
import ReliefProtocol

/// The interactive prompt: libedit line editing, a bounded history file, Tab completion of the
/// daemon's command words and option names, one request per line sent as typed (the user writes
/// protocol syntax, so nothing is re-quoted).
struct Interactive {
    let endpoint: Endpoint
    let format: OutputFormat
    let timeout: Double?
    /// The zone tables show times in (asked of the daemon once, unless given).
    let displayZone: DisplayZone
    static let historyLimit: Int32 = 1000
    static let prompt = "reliefd> "

    static var historyPath: String? {
        guard let home = getenv("HOME"), home[0] != 0 else { return nil }
        return String(cString: home) + "/.reliefctl_history"
    }

    /// Exit status: 0 when the user leaves; 2 when the daemon cannot be reached at start.
    func run() throws(ConnectionError) -> Int32 {
        var connection: Connection? = try Connection.open(endpoint, timeout: timeout)
        // Tab completes command words and option names from the daemon's `help`.
        TabCompletion.commands = CommandCompletion.fetch(over: connection!, timeout: timeout)
        TabCompletion.install()
        let historyPath = Interactive.historyPath
        using_history()
        stifle_history(Interactive.historyLimit)
        if let historyPath { _ = read_history(historyPath) }
        defer {
            if let historyPath {
                _ = write_history(historyPath)
                _ = history_truncate_file(historyPath, Interactive.historyLimit)
            }
        }

        while let raw = readline(Interactive.prompt) {
            let line = String(cString: raw)
            free(raw)
            let trimmed = Interactive.trim(line)
            if trimmed.isEmpty { continue }
            let lowered = trimmed.lowercased()
            if lowered == "quit" || lowered == "exit" { return 0 }
            add_history(trimmed)

            do {
                if connection == nil {
                    connection = try Connection.open(endpoint, timeout: timeout)
                    if TabCompletion.commands == nil {
                        TabCompletion.commands = CommandCompletion.fetch(over: connection!, timeout: timeout)
                    }
                }
                let zone = format == .table ? try displayZone.resolve(connection!, timeout: timeout) : nil
                try connection!.send(Array((trimmed + "\n").utf8), timeout: timeout)
                let reply = try connection!.nextReply(timeout: timeout)
                Terminal.emit(Output.render(zone.map { LocalTimes.shown(reply, in: $0) } ?? reply, as: format))
            } catch {
                // The request may or may not have been applied; reconnect on the next line.
                Terminal.err("reliefctl: \(error)\n")
                connection = nil
            }
        }
        Terminal.out("\n")
        return 0
    }

    static func trim(_ line: String) -> String {
        var scalars = Substring(line)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" || last == "\n" { scalars.removeLast() }
        return String(scalars)
    }
}

/// libedit's completion hook. readline calls back on the prompt's own thread, from inside
/// `readline()`, and takes plain C function pointers that cannot capture anything: what they need is
/// kept here, written only on that thread before the prompt starts or between lines.
enum TabCompletion {
    nonisolated(unsafe) static var commands: CommandCompletion?
    /// The candidates of the completion in progress, handed out one by one to libedit.
    nonisolated(unsafe) static var pending: [String] = []
    nonisolated(unsafe) static var next = 0

    static func install() {
        reliefd_rl_set_completion { text, start, _ in
            // Never fall back to file names: a request has none.
            reliefd_rl_completion_over()
            let line = reliefd_rl_line_buffer().map { String(cString: $0) } ?? ""
            let before = String(decoding: line.utf8.prefix(Int(max(start, 0))), as: UTF8.self)
            let prefix = text.map { String(cString: $0) } ?? ""
            TabCompletion.pending = TabCompletion.candidates(before: before, prefix: prefix)
            TabCompletion.next = 0
            // An option name ends in "=": its value follows without a space.
            reliefd_rl_set_append_character(TabCompletion.pending.allSatisfy { $0.hasSuffix("=") } ? 0 : 32)
            guard let text, !TabCompletion.pending.isEmpty else { return nil }
            return rl_completion_matches(text, { _, state in
                if state == 0 { TabCompletion.next = 0 }
                guard TabCompletion.next < TabCompletion.pending.count else { return nil }
                defer { TabCompletion.next += 1 }
                return strdup(TabCompletion.pending[TabCompletion.next])
            })
        }
    }

    /// The candidates for the word being typed, given the line before it.
    static func candidates(before: String, prefix: String) -> [String] {
        guard let commands else { return [] }
        let typed = before.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        return commands.candidates(typed: typed, prefix: prefix)
    }
}
