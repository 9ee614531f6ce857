#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ReliefProtocol

/// `reliefctl watch [CHANNEL…] [--from SEQ]`: follows the event feed, printing each line as it
/// comes, and resumes where it left off when the connection drops or the daemon cuts it off.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow every committed change, as it happens.",
        discussion: """
        Channels: incidents needs plans allocations assignments stock rosters alerts drills catalog
        donations users, all, or stock:WAREHOUSE / stock:REGION for one warehouse or region
        (default: every channel your role may read). Each change is one line, EVENT seq=N time=...
        channel=... event=KIND actor=USER and the entry's fields (docs/protocol.md, "Event feed").

        When the connection drops, the daemon restarts or cuts a slow reader off, reliefctl
        connects again and resumes after the last seq it printed, so no change is missed or
        printed twice (--no-reconnect: exit instead). A silent link is given up after 45 s
        (the daemon sends a heartbeat every 15 s).

        Exit status: 0 after --count events, 1 the daemon refused the watch, 2 usage or
        connection error (without --reconnect).
        """)

    @ParentCommand var root: ReliefCtl

    @Argument(help: "Channels to follow.") var channels: [String] = []
    @Option(help: ArgumentHelp("Resume after this seq (the last one seen).", valueName: "seq")) var from: Int64?
    @Option(help: ArgumentHelp("Exit after printing this many events.", valueName: "n")) var count: Int?
    @Flag(inversion: .prefixedNo, help: "Connect again and resume after a dropped connection.") var reconnect = true
    @Flag(help: "Print the daemon's heartbeats too.") var heartbeats = false

    var socket: String?
    var tcp: String?
    var format: OutputFormat = .raw

    enum CodingKeys: String, CodingKey { case root, channels, from, count, reconnect, heartbeats }

    /// No line for this long (three heartbeats): the link is taken as dead.
    static let silenceSeconds = 45.0

    func execute() throws -> Int32 {
        let endpoint = try Endpoint.resolve(socket: socket, tcp: tcp, environment: environment())
        var last = from
        var printed = 0
        var pause = 0.5
        while true {
            do {
                let connection = try Connection.open(endpoint, timeout: 10)
                var words = ["watch"] + channels
                if let last { words.append("from=\(last)") }
                try connection.send(Array((RequestLine.build(words) + "\n").utf8), timeout: 10)
                switch try connection.nextReply(timeout: 30) {
                case .error(let code, let message):
                    Terminal.err("ERR \(code) \(message)\n")
                    return 1
                case .ok(let text):
                    // Where the daemon starts: from= then, so a resume that follows asks from there.
                    if last == nil, let start = Output.pairs(text).first(where: { $0.key == "from" }).flatMap({ Int64($0.value) }) { last = start }
                default:
                    Terminal.err("reliefctl watch: unexpected reply to watch\n")
                    return 1
                }
                pause = 0.5
                while true {
                    let reply = try connection.nextReply(timeout: WatchCommand.silenceSeconds)
                    switch reply {
                    case .pushed(let line):
                        let isEvent = line.hasPrefix("EVENT ")
                        if let seq = WatchCommand.seq(of: line) {
                            // A line at or before what was printed (cannot happen) is not printed twice.
                            if isEvent, let last, seq <= last { continue }
                            last = max(last ?? seq, seq)
                        }
                        if isEvent || heartbeats { Terminal.emit(Output.render(reply, as: format)) }
                        if isEvent {
                            printed += 1
                            if let count, printed >= count { return 0 }
                        }
                    case .error(let code, let message):
                        // Cut off: said on stderr, then resumed like a dropped link.
                        throw ConnectionError("ERR \(code) \(message)")
                    default:
                        Terminal.emit(Output.render(reply, as: format))
                    }
                }
            } catch let error as ConnectionError {
                guard reconnect else { throw error }
                Terminal.err("reliefctl watch: \(error); resuming after seq \(last.map(String.init) ?? "?") in \(pause) s\n")
                usleep(UInt32(pause * 1_000_000))
                pause = min(pause * 2, 10)
            }
        }
    }

    /// The `seq=` of an EVENT or HEARTBEAT line (the first pair after its word).
    static func seq(of line: String) -> Int64? {
        guard let space = line.firstIndex(of: " ") else { return nil }
        let rest = line[line.index(after: space)...]
        guard rest.hasPrefix("seq=") else { return nil }
        return Int64(rest.dropFirst(4).prefix { $0 != " " })
    }
}
