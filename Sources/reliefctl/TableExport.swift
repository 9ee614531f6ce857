import ReliefCSV
import ReliefLimits
import ReliefProtocol

extension ExportKind {
    /// The daemon's listing that gives the rows.
    var command: [String] {
        switch self {
        case .volunteers: ["volunteer", "export"]
        case .stock: ["stock", "query"]
        case .lots: ["stock", "lots"]
        case .incidents: ["incident", "list"]
        case .needs: ["need", "list"]
        case .allocations: ["allocation", "list"]
        case .assignments: ["assignment", "list"]
        }
    }

    /// Bare words of the listing (`need list open`), given after FILE or without one.
    var flags: Set<String> {
        switch self {
        case .volunteers: ["available"]
        case .stock: ["expiring", "low"]
        case .needs: ["open"]
        case .lots, .incidents, .allocations, .assignments: []
        }
    }

    /// The most rows the listing gives in one reply (its limit= maximum): a roster is a country's
    /// volunteers, every other listing at most Limits.listingRows.
    var maximumRows: Int { self == .volunteers ? Limits.rosterRows : Limits.listingRows }

    /// The hashtags of its columns.
    var table: HXL.Table {
        switch self {
        case .volunteers: .volunteers
        case .stock, .lots: .stock
        case .incidents: .incidents
        case .needs: .needs
        case .allocations: .allocations
        case .assignments: .assignments
        }
    }
}

/// `reliefctl export KIND`: one listing of the daemon as CSV — a header row, the HXL hashtag row,
/// then a record per row, each cell neutralised against spreadsheet formulas (CSV.exportRecord).
/// The reply is held whole (the daemon's limit bounds it); the file is written in parts.
enum TableExport {
    /// The request line asking for every row the listing may give.
    static func request(_ kind: ExportKind, filters: [String], flags: [String], personal: Bool) -> String {
        // The daemon lists at most limit= rows (1,000 unless asked): an export asks for all it may.
        let limit = filters.contains { $0.lowercased().hasPrefix("limit=") } ? [] : ["limit=\(kind.maximumRows)"]
        return RequestLine.build(kind.command + filters + flags + limit + (personal ? ["personal"] : []))
    }

    /// The CSV of `lines` (the reply's rows), in parts of about `partBytes` each; nothing for no rows.
    static func write(_ lines: [String], table: HXL.Table, partBytes: Int = 1 << 20, to output: ([UInt8]) throws -> Void) rethrows {
        guard !lines.isEmpty else { return }
        let rows = lines.map(Output.pairs)
        let names = Output.columns(rows)
        let numeric = table.numeric(names)
        var part = Array(CSV.record(names).utf8) + Array(CSV.record(table.hashtagRow(names)).utf8)
        part.reserveCapacity(partBytes + 4096)
        for row in rows {
            let cells = names.map { name in row.first(where: { $0.key == name })?.value ?? "" }
            part.append(contentsOf: CSV.exportRecord(cells, numeric: numeric).utf8)
            if part.count >= partBytes {
                try output(part)
                part.removeAll(keepingCapacity: true)
            }
        }
        if !part.isEmpty { try output(part) }
    }

    /// Asks the daemon and writes the file; the exit status (0 written, 1 refused or cut).
    static func run(_ kind: ExportKind, file: String?, filters: [String], flags: [String], personal: Bool,
                    socket: String?, tcp: String?, timeout: Double?) throws -> Int32 {
        let endpoint = try Endpoint.resolve(socket: socket, tcp: tcp, environment: environment())
        let connection = try Connection.open(endpoint, timeout: timeout)
        try connection.send(Array((request(kind, filters: filters, flags: flags, personal: personal) + "\n").utf8), timeout: timeout)
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
            let writer = try FileText.Writer(file)
            defer { writer.close() }
            try write(lines, table: kind.table) { part throws(UsageError) in try writer.write(part) }
            if let file, file != "-" { Terminal.err("\(lines.count) rows of \(kind.rawValue) written to \(file)\n") }
            if reply.isCut {
                // A table cut short must not pass for a whole one.
                Terminal.err("reliefctl export: cut at \(lines.count) rows (the limit); more \(kind.rawValue) match: narrow the filters or export in parts\n")
                return 1
            }
            return 0
        }
    }
}
