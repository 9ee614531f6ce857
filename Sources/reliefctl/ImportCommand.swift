#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ReliefCSV
import ReliefProtocol

/// What `reliefctl import` reads.
enum ImportKind: String, CaseIterable, ExpressibleByArgument {
    case volunteers, teams, travel, stock, cap

    init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

/// `reliefctl import volunteers|teams|travel|stock FILE.csv`: reads a spreadsheet's CSV export,
/// record by record, and sends it as one all-or-nothing import (cap: CAPImport).
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import volunteers, teams, travel times or opening stock from a CSV file, all or nothing.",
        discussion: """
        The file: RFC 4180 CSV (UTF-8) with a header row, optionally followed by
        an HXL hashtag row (#item+code, ...): with one, columns are matched by
        hashtag whatever language the header is in (docs/operations.md "HXL
        hashtags"), else by the English names below. A cell an export wrote
        as text with a quote in front ('=...) reads back without the quote.
        volunteers columns: id,name,phone,id_number,region,lat,lon (or at),languages,skills,max_hours,
          min_rest,org, and optionally cert_skill,cert_issued,cert_expires,cert_issuer (a certification;
          a later row with the same id and only the cert_ cells adds another).
        teams columns: id,name,specialty,region,lat,lon (or at),leader,members (ids separated by ;).
        travel columns: from,to,minutes, optionally both (yes: the same minutes the other way too);
          from and to are warehouse or region ids (road travel times for matching).
        stock columns: warehouse,item,on_hand (or quantity), optionally unit
          (must be the item's),lot,expires,source,donor,supplier (or party),note,
          min: a warehouse's opening stock, or export stock|lots read back
          (reserved, available, days_left, distance_km are skipped). Each row is
          a stock receive (min: a stock min), checked with your role as one
          would be; a quantity of 0 receives nothing.

        Records are sent as they are read. A bad CSV record aborts the import: every bad record is
        reported with its line number and nothing is imported. The daemon applies every row or none:
        on any bad row it reports each one by its CSV line and imports nothing.
        cap: an OASIS CAP 1.2 alert (XML) opens or updates one incident (docs/operations.md "CAP alerts");
          --region PATH to open one, --at LAT,LON if the alert has no polygon or circle, --drill DRILL
          for an Exercise alert.
        Exit status: 0 imported, 1 nothing imported (bad file or rows), 2 usage or connection error.
        """)

    @ParentCommand var root: ReliefCtl

    @Argument(help: "volunteers, teams, travel, stock or cap") var kind: ImportKind
    @Argument(help: "The CSV file, or the CAP alert for cap (- for stdin).") var file: String
    @Option(help: "cap: the region an incident is opened in.") var region: String?
    @Option(help: "cap: LAT,LON when the alert has no polygon or circle.") var at: String?
    @Option(help: "cap: the online drill an alert goes into (needed for an Exercise alert).") var drill: String?

    var socket: String?
    var tcp: String?
    var timeout: Double?

    enum CodingKeys: String, CodingKey { case root, kind, file, region, at, drill }

    func execute() throws -> Int32 {
        let kind: ImportPlan.Kind
        switch self.kind {
        case .cap:
            return try CAPImport(file: file, region: region, at: at, drill: drill, socket: socket, tcp: tcp, timeout: timeout).run()
        case .volunteers: kind = .volunteers
        case .teams: kind = .teams
        case .travel: kind = .travel
        case .stock: kind = .stock
        }
        let bytes = try FileText.read(file)
        // Records are read, turned into rows and sent as they come, so the daemon checks rows while
        // the rest of the file is still being read. A bad record stops the sending; the rest of the
        // file is still read so every bad record is reported, and the import is aborted.
        var reader = CSV.Reader(bytes)
        var plan: ImportPlan
        /// The record after the header when it is data, not a hashtag row: the first to send.
        var firstRecord: CSV.Record?
        do {
            let header = try reader.next()
            firstRecord = try reader.next()
            let hashtags = ImportPlan.isHashtagRow(firstRecord, after: header)
            plan = try ImportPlan(kind: kind, header: header, hashtags: hashtags ? firstRecord : nil)
            if hashtags { firstRecord = nil }
        } catch let failure as CSV.Failure {
            Terminal.err("reliefctl import: \(file): \(failure); nothing was sent\n")
            return 1
        } catch let header as ImportPlan.HeaderError {
            throw UsageError("\(file): \(header)")
        }
        if !plan.skippedColumns.isEmpty {
            let what = kind == .stock ? "not part of what is received" : "not part of a registration"
            Terminal.err("reliefctl import: skipping live-state columns \(plan.skippedColumns.joined(separator: ", ")) (\(what))\n")
        }
        let endpoint = try Endpoint.resolve(socket: socket, tcp: tcp, environment: environment())
        let connection = try Connection.open(endpoint, timeout: timeout)
        try connection.send(Array("import begin \(kind.rawValue)\n".utf8), timeout: timeout)
        if case .error(let code, let message) = try connection.nextReply(timeout: timeout) {
            Terminal.err("ERR \(code) \(message)\n")
            return 1
        }
        var failures: [CSV.Failure] = []
        var chunk: [UInt8] = []
        chunk.reserveCapacity(1 << 20)
        while true {
            let record: CSV.Record
            do {
                if let first = firstRecord {
                    record = first
                    firstRecord = nil
                } else {
                    guard let next = try reader.next() else { break }
                    record = next
                }
            } catch {
                failures.append(error)
                break
            }
            let rows: [ImportPlan.Row]
            do {
                rows = try plan.rows(for: record)
            } catch {
                failures.append(error)
                continue
            }
            guard failures.isEmpty else { continue }
            for row in rows {
                row.appendRequestLine(into: &chunk)
                chunk.append(0x0A)
            }
            if chunk.count >= 1 << 18 {
                try connection.send(chunk, timeout: timeout)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !failures.isEmpty {
            try connection.send(Array("import abort\n".utf8), timeout: timeout)
            let reply = try connection.nextReply(timeout: timeout)
            var text = "reliefctl import: \(file): \(failures.count) bad record\(failures.count == 1 ? "" : "s"); "
            if case .error(let code, let message) = reply {
                text += "the import was aborted (ERR \(code) \(message))\n"
            } else {
                text += "the import was aborted and nothing was imported\n"
            }
            for failure in failures { text += "\(failure)\n" }
            Terminal.err(text)
            return 1
        }
        chunk.append(contentsOf: "import commit\n".utf8)
        try connection.send(chunk, timeout: timeout)
        // Checking and committing a large import takes a while: wait at least ten minutes.
        let reply = try connection.nextReply(timeout: timeout.map { max($0, 600) })
        switch reply {
        case .error(let code, let message):
            let lines = ImportReport.lines(message)
            Terminal.err("ERR \(code) " + lines.joined(separator: "\n") + "\n")
            return 1
        case .ok(let text):
            Terminal.out("OK \(text)\n")
            return 0
        case .rows, .truncatedRows:
            Terminal.out(Output.render(reply, as: .raw).out)
            return 0
        case .pushed(let line):
            Terminal.err("reliefctl import: expected the import's reply, got \(line)\n")
            return 1
        }
    }
}
