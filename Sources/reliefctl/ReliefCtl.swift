// reliefctl: the command-line client of reliefd. One-shot commands, an interactive prompt,
// pipelined command files on stdin, and a benchmark driver (`reliefctl bench`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ReliefProtocol

@main
struct ReliefCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reliefctl",
        abstract: "Talk to reliefd, the relief-logistics daemon.",
        discussion: """
        Sends COMMAND WORDS... as one request. Each word is quoted as needed, so a shell argument
        such as 'donor=Yangquan Steel' arrives as donor="Yangquan Steel". Options go before the command.

        Without command words: an interactive prompt when stdin is a terminal, otherwise request
        lines are read from stdin (blank lines and # comments skipped), pipelined, and each reply printed.

        The socket is --socket, else $RELIEFD_SOCKET, else /run/reliefd/reliefd.sock (never one in
        the current directory unless named). For deploy/run: export RELIEFD_SOCKET=$PWD/data/reliefd.sock

        Bulk import and export (CSV): reliefctl import volunteers|teams|travel FILE.csv,
        reliefctl export volunteers [FILE.csv] [filters] [--personal]; see reliefctl import --help.
        A demo roster as CSV: reliefctl demo-roster --seed S --count N > roster.csv

        The event feed: reliefctl watch [CHANNEL...] (see reliefctl watch --help).

        Times: the daemon answers in UTC. Tables show them in the operation's time zone, with their
        offset (2026-12-03T18:00:00+08:00): --time-zone, else $RELIEFD_TIME_ZONE, else the daemon's
        time_zone (asked with info). --format json, csv and raw print them as sent.

        Benchmark: reliefctl bench --help; matching in process: reliefctl bench-matching --help

        Exit status: 0 OK, 1 the daemon answered ERR, 2 usage or connection error.
        """)

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

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The request, e.g. stock query item=water-5l", valueName: "command"))
    var words: [String] = []

    static func main() {
        do {
            var command = try parseAsRoot()
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

    mutating func run() throws {
        let endpointChoice = (socket: socket, tcp: tcp)
        if words.first == "bench" {
            let rest = Array(words.dropFirst())
            var bench: BenchCommand
            do {
                bench = try BenchCommand.parse(rest)
            } catch {
                if BenchCommand.exitCode(for: error) == .success { BenchCommand.exit(withError: error) }
                throw UsageError(BenchCommand.fullMessage(for: error))
            }
            bench.socket = bench.socket ?? endpointChoice.socket
            bench.tcp = bench.tcp ?? endpointChoice.tcp
            throw ExitCode(try bench.execute())
        }
        let localTimeout: Double? = timeout > 0 ? timeout : nil
        switch words.first {
        case "import":
            var command: ImportCommand = try ReliefCtl.parseSubcommand(Array(words.dropFirst()))
            (command.socket, command.tcp, command.timeout) = (endpointChoice.socket, endpointChoice.tcp, localTimeout)
            throw ExitCode(try command.execute())
        case "export":
            var command: ExportCommand = try ReliefCtl.parseSubcommand(Array(words.dropFirst()))
            (command.socket, command.tcp, command.timeout) = (endpointChoice.socket, endpointChoice.tcp, localTimeout)
            throw ExitCode(try command.execute())
        case "watch":
            var command: WatchCommand = try ReliefCtl.parseSubcommand(Array(words.dropFirst()))
            (command.socket, command.tcp) = (endpointChoice.socket, endpointChoice.tcp)
            command.format = format ?? .raw
            throw ExitCode(try command.execute())
        case "solve": throw ExitCode(try (ReliefCtl.parseSubcommand(Array(words.dropFirst())) as SolveCommand).execute())
        case "bench-matching": throw ExitCode(try (ReliefCtl.parseSubcommand(Array(words.dropFirst())) as MatchingBenchCommand).execute())
        case "demo-roster":
            let command: DemoRosterCommand = try ReliefCtl.parseSubcommand(Array(words.dropFirst()))
            throw ExitCode(try command.execute())
        default: break
        }
        if words.first == "--" {
            words.removeFirst()
        } else if let first = words.first, first.hasPrefix("-") {
            // Passthrough capture keeps unknown options; no command starts with "-", so it is a typo.
            throw UsageError("unknown option \(first); options go before the command (see reliefctl --help)")
        }

        let endpoint = try Endpoint.resolve(socket: socket, tcp: tcp, environment: environment())
        let format = self.format ?? (Terminal.stdoutIsTerminal ? .table : .raw)
        let timeout: Double? = timeout > 0 ? timeout : nil
        let displayZone = try DisplayZone(option: timeZone, environment: environment())

        if words.isEmpty {
            if Terminal.stdinIsTerminal {
                throw ExitCode(try Interactive(endpoint: endpoint, format: format, timeout: timeout, displayZone: displayZone).run())
            }
            let connection = try Connection.open(endpoint, timeout: timeout)
            let zone = format == .table ? try displayZone.resolve(connection, timeout: timeout) : nil
            throw ExitCode(try Pipeline(connection: connection, format: format, timeout: timeout, zone: zone).run())
        }

        let connection = try Connection.open(endpoint, timeout: timeout)
        try connection.send(Array((RequestLine.build(words) + "\n").utf8), timeout: timeout)
        var reply = try connection.nextReply(timeout: timeout)
        // A table shows times in the operation's zone; the daemon is asked which only when there is one to show.
        if format == .table, LocalTimes.hasTimestamp(reply), let zone = try? displayZone.resolve(connection, timeout: timeout) {
            reply = LocalTimes.shown(reply, in: zone)
        }
        Terminal.emit(Output.render(reply, as: format))
        if case .error = reply { throw ExitCode(1) }
    }
}

extension ReliefCtl {
    /// Parses a local subcommand's arguments; --help prints its help and exits 0, a mistake is a usage error.
    static func parseSubcommand<Command: ParsableCommand>(_ arguments: [String]) throws -> Command {
        do {
            return try Command.parse(arguments)
        } catch {
            if Command.exitCode(for: error) == .success { Command.exit(withError: error) }
            throw UsageError(Command.fullMessage(for: error))
        }
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
