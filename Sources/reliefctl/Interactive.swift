#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLibEdit
import ReliefCore
import ReliefProtocol

/// The interactive prompt: libedit line editing, a bounded history file, one request per line
/// sent as typed (the user writes protocol syntax, so nothing is re-quoted).
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
