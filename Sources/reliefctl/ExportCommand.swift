import ArgumentParser
import ReliefCSV
import ReliefProtocol

/// `reliefctl export volunteers [FILE.csv] [FILTER=VALUE…] [--personal]`: the rows of
/// `volunteer export` as RFC 4180 CSV with a header row, to FILE or stdout.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export volunteers to CSV.",
        discussion: """
        Filters are options of volunteer export, e.g. region=shanxi/taiyuan skill=first-aid.
        --personal adds phone and id_number; it needs the coordinator role (a Unix-socket client
        whose uid is in the daemon's coordinator_uids), otherwise the daemon answers ERR DENIED.
        The file is created with mode 0600. Exit status: 0 written, 1 ERR from the daemon or more than
        1,000,000 volunteers matched (the file holds the first 1,000,000), 2 usage
        or connection error.
        """)

    @ParentCommand var root: ReliefCtl

    @Argument(help: "volunteers") var kind: String
    @Argument(help: "[FILE.csv] then filters such as region=R skill=S (FILE omitted or - : stdout).") var rest: [String] = []
    @Flag(help: "Include phone and id_number (coordinator role only).") var personal = false

    var socket: String?
    var tcp: String?
    var timeout: Double?

    enum CodingKeys: String, CodingKey { case root, kind, rest, personal }

    /// The most rows `volunteer export` lists in one reply.
    static let maximumRows = 1_000_000

    func execute() throws -> Int32 {
        guard kind.lowercased() == "volunteers" else {
            throw UsageError("unknown export kind \"\(kind)\"; expected volunteers")
        }
        var file: String?
        var filters: [String] = []
        for word in rest {
            if word.contains("=") {
                filters.append(word)
            } else if file == nil {
                file = word
            } else {
                throw UsageError("unexpected \"\(word)\": give one FILE, then filters as key=value")
            }
        }
        let endpoint = try Endpoint.resolve(socket: socket, tcp: tcp, environment: environment())
        let connection = try Connection.open(endpoint, timeout: timeout)
        // The daemon lists at most limit= rows (1,000 unless asked): an export asks for all it may.
        let limit = filters.contains { $0.lowercased().hasPrefix("limit=") } ? [] : ["limit=\(ExportCommand.maximumRows)"]
        let words = ["volunteer", "export"] + filters + limit + (personal ? ["personal"] : [])
        try connection.send(Array((RequestLine.build(words) + "\n").utf8), timeout: timeout)
        let reply = try connection.nextReply(timeout: timeout.map { max($0, 300) })
        switch reply {
        case .error(let code, let message):
            Terminal.err("ERR \(code) \(message)\n")
            return 1
        case .ok(let text):
            Terminal.err("reliefctl export: expected rows, got OK \(text)\n")
            return 1
        case .pushed(let line):
            Terminal.err("reliefctl export: expected rows, got \(line)\n")
            return 1
        case .rows(let lines), .truncatedRows(let lines):
            let rows = lines.map(Output.pairs)
            let names = Output.columns(rows)
            var text = CSV.record(names)
            for row in Output.cells(rows, names) { text += CSV.record(row) }
            if rows.isEmpty { text = "" }
            try FileText.write(Array(text.utf8), to: file)
            if let file, file != "-" { Terminal.err("\(rows.count) volunteers written to \(file)\n") }
            if reply.isCut {
                // A roster cut short must not pass for a whole one.
                Terminal.err("reliefctl export: cut at \(rows.count) rows (the limit); more volunteers match: narrow the filters or export in parts\n")
                return 1
            }
            return 0
        }
    }
}
