#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ReliefProtocol

/// `reliefctl [send] COMMAND WORDS…`: one request to the daemon, and its reply printed; without
/// words, the interactive prompt (on a terminal) or the request lines of stdin, pipelined.
struct SendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a request to the daemon (the default: reliefctl stock query ... is reliefctl send stock query ...).",
        discussion: """
        The words form one request line, each quoted as needed. reliefctl help lists the daemon's
        commands (those your role may run are marked in roles=); docs/protocol.md describes them.
        Without words: the interactive prompt on a terminal, else request lines from stdin.
        """)

    @ParentCommand var root: ReliefCtl

    @Argument(parsing: .captureForPassthrough,
              help: ArgumentHelp("The request, e.g. stock query item=water-5l", valueName: "command"),
              completion: .custom { words, index, prefix in CommandCompletion.shellCompletions(words, index, prefix) })
    var words: [String] = []

    mutating func run() throws {
        if words.first == "--" {
            words.removeFirst()
        } else if let first = words.first, first.hasPrefix("-") {
            // Passthrough capture keeps unknown options; no command starts with "-", so it is a typo.
            throw UsageError("unknown option \(first); options go before the command (see reliefctl --help)")
        }

        let endpoint = try Endpoint.resolve(socket: root.socket, tcp: root.tcp, environment: environment())
        let format = root.format ?? (Terminal.stdoutIsTerminal ? .table : .raw)
        let timeout = root.replyTimeout
        let displayZone = try DisplayZone(option: root.timeZone, environment: environment())

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
