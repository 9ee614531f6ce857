// reliefctl: the command-line client of reliefd. One-shot requests, an interactive prompt,
// pipelined command files on stdin, and its own subcommands (import, export, watch, solve, bench,
// bench-matching, demo-roster), each a real ArgumentParser command so `--help`, the shell
// completion scripts and the man page are generated from the same definitions.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ReliefEngine
import ReliefProtocol

@main
struct ReliefCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reliefctl",
        abstract: "Talk to reliefd, the relief-logistics daemon.",
        discussion: """
        reliefctl [OPTIONS] COMMAND WORDS... sends one request to the daemon (the send subcommand,
        which is the default). Each word is quoted as needed: the shell argument 'donor=Yangquan
        Steel' arrives as donor="Yangquan Steel". Options go before the command.
        reliefctl help asks the daemon for its commands; reliefctl --help is this text, and
        reliefctl SUBCOMMAND --help tells about one of reliefctl's own subcommands.

        Without command words: an interactive prompt when stdin is a terminal (Tab completes the
        daemon's command words and option names), otherwise request lines are read from stdin
        (blank lines and # comments skipped), pipelined, and each reply printed.

        The socket is --socket, else $RELIEFD_SOCKET, else /run/reliefd/reliefd.sock (never one in
        the current directory unless named). For deploy/run: export RELIEFD_SOCKET=$PWD/data/reliefd.sock

        Times: the daemon answers in UTC. Tables show them in the operation's time zone, with their
        offset (2026-12-03T18:00:00+08:00): --time-zone, else $RELIEFD_TIME_ZONE, else the daemon's
        time_zone (asked with info). --format json, csv and raw print them as sent; JSON values are
        typed (numbers, true/false, null), as docs/protocol.md "JSON" says.

        Shell completion: reliefctl --generate-completion-script bash|zsh|fish (deploy/install
        installs them, and the man page reliefctl(1)).

        Exit status: 0 OK, 1 the daemon answered ERR, 2 usage or connection error.
        """,
        version: "reliefctl \(ReliefVersion.string)",
        subcommands: [SendCommand.self, ImportCommand.self, ExportCommand.self, WatchCommand.self,
                      SolveCommand.self, BenchCommand.self, MatchingBenchCommand.self, DemoRosterCommand.self],
        defaultSubcommand: SendCommand.self)

    @Option(help: ArgumentHelp("Unix socket of the daemon.", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("Connect over TCP instead, e.g. 127.0.0.1:7878.", valueName: "host:port"))
    var tcp: String?

    @Option(help: "Output format: table, json, csv, geojson (listings with at=, for GIS tools) or raw (default: table on a terminal, raw otherwise).")
    var format: OutputFormat?

    @Option(help: "Seconds to wait to connect and for each reply; 0 waits forever.")
    var timeout: Double = 30

    @Option(help: ArgumentHelp("Show times in tables in this time zone, e.g. Asia/Shanghai or UTC (default: $RELIEFD_TIME_ZONE, else the daemon's time_zone). JSON, CSV and raw output stay UTC.",
                               valueName: "zone"))
    var timeZone: String?

    /// The timeout as the connection takes it: nil waits forever.
    var replyTimeout: Double? { timeout > 0 ? timeout : nil }

    static func main() {
        do {
            var command = try parseAsRoot(routed(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let error as UsageError {
            Terminal.err("reliefctl: \(error)\n")
            Glibc.exit(2)
        } catch let error as ConnectionError {
            Terminal.err("reliefctl: \(error)\n")
            Glibc.exit(2)
        } catch {
            if error is ExitCode || exitCode(for: error) == .success { exit(withError: error) }
            Terminal.err(fullMessage(for: error) + "\n")
            Glibc.exit(2)
        }
    }

    /// reliefctl's own subcommands; any other first word is a request for the daemon.
    static var localCommands: Set<String> {
        Set(configuration.subcommands.map { $0._commandName })
    }

    /// The options before the command that take a value (as separate words).
    static let valueOptions: Set<String> = ["--socket", "--tcp", "--format", "--timeout", "--time-zone"]

    /// Names `send` where the command is a request for the daemon, so that every daemon command,
    /// `help` among them (which ArgumentParser would take as its own), goes to the daemon. Options before the
    /// command are kept in place; an option word where the command would be (`--version`,
    /// `--help`, `--generate-completion-script`, a typo) is left to ArgumentParser.
    static func routed(_ arguments: [String]) -> [String] {
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if word == "--" { break }
            if word.hasPrefix("-") {
                if valueOptions.contains(word) {
                    index += 2
                    continue
                }
                if let equals = word.firstIndex(of: "="), valueOptions.contains(String(word[..<equals])) {
                    index += 1
                    continue
                }
                return arguments
            }
            if localCommands.contains(word) { return arguments }
            // `reliefctl help import`: reliefctl's help for its subcommand; `help` alone or
            // `help stock` asks the daemon.
            if word == "help", index + 1 < arguments.count, localCommands.contains(arguments[index + 1]) { return arguments }
            break
        }
        var result = arguments
        result.insert(SendCommand._commandName, at: min(index, arguments.count))
        return result
    }
}

/// The process environment as a dictionary, without Foundation.
func environment() -> [String: String] {
    var result: [String: String] = [:]
    var cursor = environ
    while let entry = cursor.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        cursor += 1
    }
    return result
}
