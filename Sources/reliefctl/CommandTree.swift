import ArgumentParser

// Each subcommand runs with the options given before it (reliefctl --socket S import …): the
// parent's parsed values reach it through @ParentCommand.

extension ImportCommand {
    mutating func run() throws {
        (socket, tcp, timeout) = (root.socket, root.tcp, root.replyTimeout)
        throw ExitCode(try execute())
    }
}

extension ExportCommand {
    mutating func run() throws {
        (socket, tcp, timeout) = (root.socket, root.tcp, root.replyTimeout)
        throw ExitCode(try execute())
    }
}

extension WatchCommand {
    mutating func run() throws {
        (socket, tcp) = (root.socket, root.tcp)
        format = root.format ?? .raw
        throw ExitCode(try execute())
    }
}

extension BenchCommand {
    mutating func run() throws {
        socket = socket ?? root.socket
        tcp = tcp ?? root.tcp
        throw ExitCode(try execute())
    }
}

extension SolveCommand {
    func run() throws { throw ExitCode(try execute()) }
}

extension MatchingBenchCommand {
    func run() throws { throw ExitCode(try execute()) }
}

extension DemoRosterCommand {
    func run() throws { throw ExitCode(try execute()) }
}
