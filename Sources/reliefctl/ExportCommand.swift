import ArgumentParser
import ReliefCSV
import ReliefProtocol

/// What `reliefctl export` writes (TableExport: the daemon's listing of each).
enum ExportKind: String, CaseIterable, ExpressibleByArgument {
    case volunteers, stock, lots, incidents, needs, allocations, assignments

    init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

/// `reliefctl export KIND [FILE.csv] [FILTER=VALUE…] [FLAG…] [--personal]`: the rows of the
/// daemon's listing of KIND as RFC 4180 CSV with a header row and an HXL hashtag row, to FILE or
/// stdout (TableExport).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export volunteers, stock, lots, incidents, needs, allocations or assignments to CSV.",
        discussion: """
        Each kind is one listing of the daemon, every row it may give:
          volunteers   volunteer export (up to 1,000,000 rows)  flag: available
          stock        stock query (warehouse and item)       flags: expiring, low
          lots         stock lots (warehouse and lot)
          incidents    incident list
          needs        need list                              flag: open
          allocations  allocation list
          assignments  assignment list
        Each but volunteers gives up to 100,000 rows. Filters are the listing's
        options (region=shanxi/taiyuan, warehouse=ty-01, incident=ID); flags are
        its bare words. --personal (volunteers) adds phone and id_number; it
        needs the coordinator role, otherwise the daemon answers ERR DENIED.

        The file: a header row, an HXL hashtag row (#item+code, ...; see
        docs/operations.md "HXL hashtags"), a record per row. A cell a
        spreadsheet would run as a formula (starting with =, +, -, @, tab or CR)
        gets a ' in front, which makes it text; a number in a numeric column
        (on_hand, lat, ...) is written as it is. reliefctl import takes the quote
        off again: export volunteers and export stock|lots import back.
        The file is created with mode 0600. Exit status: 0 written, 1 ERR from
        the daemon or more rows matched than the listing gives (the file holds
        the first ones), 2 usage or connection error.
        """)

    @ParentCommand var root: ReliefCtl

    @Argument(help: "volunteers, stock, lots, incidents, needs, allocations or assignments") var kind: ExportKind
    @Argument(help: "[FILE.csv] then filters such as region=R skill=S and flags such as open (FILE omitted or - : stdout).") var rest: [String] = []
    @Flag(help: "Include phone and id_number (coordinator role only).") var personal = false

    var socket: String?
    var tcp: String?
    var timeout: Double?

    enum CodingKeys: String, CodingKey { case root, kind, rest, personal }

    func execute() throws -> Int32 {
        if personal && kind != .volunteers { throw UsageError("--personal is for volunteers only") }
        var file: String?
        var filters: [String] = []
        var flags: [String] = []
        for word in rest {
            if word.contains("=") {
                filters.append(word)
            } else if kind.flags.contains(word.lowercased()) {
                flags.append(word)
            } else if file == nil {
                file = word
            } else {
                let known = kind.flags.isEmpty ? "" : " or flags (\(kind.flags.sorted().joined(separator: ", ")))"
                throw UsageError("unexpected \"\(word)\": give one FILE, then filters as key=value\(known)")
            }
        }
        return try TableExport.run(kind, file: file, filters: filters, flags: flags, personal: personal,
                                   socket: socket, tcp: tcp, timeout: timeout)
    }
}
