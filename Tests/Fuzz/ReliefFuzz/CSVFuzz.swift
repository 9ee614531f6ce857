// Target `csv`: reliefctl's spreadsheet side (ReliefCSV): the CSV reader, the import plan that
// turns a volunteers, teams, travel or stock CSV into request lines, and RosterCSV, which writes
// request lines as a volunteers CSV.
//
// The first byte chooses what the rest is: (byte % 8) 0, 1, 2 — a volunteers, teams or travel CSV
// file; 3 — request lines for RosterCSV; 4 — a stock CSV; 5, 6, 7 — as 0, 1, 2 (the seeds from
// before stock start with 0 to 3).
//
// Checked, besides "does not crash":
// - CSV.parse and the record-at-a-time CSV.Reader agree; a failure names a line of the file
//   (1 ... its line count) and says what is wrong; records' lines rise and lie in the file;
// - written back with CSV.record, the records read back the same (but a record that is one empty
//   field, which is written as a blank line);
// - the import plan refuses a bad header with a message, and bad records each with a line that
//   one of them starts on; every row comes from such a line;
// - each row's request line parses (RequestParser) to the row's words (command, positional words,
//   flags) and options, plus line=N — a cell cannot add or drop a word or an option;
// - memory is bounded: the request lines of a file are at most `expansion` times its size (plus a
//   constant), so a small file cannot make reliefctl build gigabytes;
// - RosterCSV writes a file that reads back as a volunteers CSV with a record per volunteer and
//   per further certification, and whose import gives a `volunteer add` row per volunteer.

import ReliefCSV
import ReliefProtocol

enum CSVFuzz {
    static let target = FuzzTarget(name: "csv", summary: "CSV reader, import plan (volunteers, teams, travel, stock) and roster CSV",
                                   maxLength: 8192) { bytes in run(Array(bytes)) }

    /// Request-line bytes per byte of CSV, at most (a row is a command, one cell and `line=N`; a
    /// cell of a few bytes can make a row of a hundred).
    static let expansion = 64

    static func run(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let rest = Array(input.dropFirst())
        switch first % 8 {
        case 0, 5: checkFile(rest, kind: .volunteers, input)
        case 1, 6: checkFile(rest, kind: .teams, input)
        case 2, 7: checkFile(rest, kind: .travel, input)
        case 4: checkFile(rest, kind: .stock, input)
        default: checkRoster(rest, input)
        }
    }

    /// Physical lines of the file, as the reader counts them (LF, CRLF or a lone CR end a line).
    static func lineCount(_ bytes: [UInt8]) -> Int {
        var lines = 1
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A { lines += 1 } else if bytes[index] == 0x0D {
                lines += 1
                if index + 1 < bytes.count && bytes[index + 1] == 0x0A { index += 1 }
            }
            index += 1
        }
        return lines
    }

    static func checkFile(_ bytes: [UInt8], kind: ImportPlan.Kind, _ input: [UInt8]) {
        let lines = lineCount(bytes)
        let parsed: Result<[CSV.Record], CSV.Failure> = Result { () throws(CSV.Failure) in try CSV.parse(bytes) }

        // The reader, a record at a time, gives the same records and failure.
        var reader = CSV.Reader(bytes)
        var streamed: [CSV.Record] = []
        var streamFailure: CSV.Failure?
        while true {
            do {
                guard let record = try reader.next() else { break }
                streamed.append(record)
            } catch {
                streamFailure = error
                break
            }
        }
        if (try? reader.next()) != nil { Fuzz.fail("the reader gives records after its end or a failure", input) }

        let records: [CSV.Record]
        switch parsed {
        case .failure(let failure):
            if streamFailure != failure { Fuzz.fail("parse fails with \(failure), the reader with \(String(describing: streamFailure))", input) }
            if !(1...lines).contains(failure.line) { Fuzz.fail("failure on line \(failure.line) of a file of \(lines) lines: \(failure)", input) }
            if failure.message.isEmpty { Fuzz.fail("failure without a message", input) }
            return
        case .success(let all):
            if streamFailure != nil || streamed != all { Fuzz.fail("parse and the reader disagree: \(all) / \(streamed)", input) }
            records = all
        }
        var previous = 0
        for record in records {
            if record.line <= previous || record.line > lines { Fuzz.fail("record on line \(record.line) after \(previous), file of \(lines) lines", input) }
            if record.fields.isEmpty { Fuzz.fail("record without fields on line \(record.line)", input) }
            previous = record.line
        }
        checkWriteBack(records, input)
        checkPlan(records, kind: kind, fileSize: bytes.count, input)
    }

    /// What CSV.record writes reads back as the same records.
    static func checkWriteBack(_ records: [CSV.Record], _ input: [UInt8]) {
        let kept = records.map(\.fields).filter { $0 != [""] }
        var text = kept.map(CSV.record).joined()
        // A byte-order mark at the start of the first field would be read as the file's own.
        if text.utf8.starts(with: [0xEF, 0xBB, 0xBF]) { text = "\u{FEFF}" + text }
        do {
            let again = try CSV.parse(text).map(\.fields)
            if again != kept { Fuzz.fail("records written back read differently:\n  \(kept)\n  \(again)\n  text: \(text)", input) }
        } catch {
            Fuzz.fail("records written back do not read: \(error)\n  text: \(text)", input)
        }
    }

    static func checkPlan(_ records: [CSV.Record], kind: ImportPlan.Kind, fileSize: Int, _ input: [UInt8]) {
        let recordLines = Set(records.map(\.line))
        let rows: [ImportPlan.Row]
        do {
            rows = try ImportPlan.rows(kind: kind, records: records).rows
        } catch let error as ImportPlan.HeaderError {
            if error.description.isEmpty { Fuzz.fail("header error without a message", input) }
            return
        } catch let error as ImportPlan.RecordErrors {
            if error.failures.isEmpty { Fuzz.fail("record errors without a failure", input) }
            for failure in error.failures where !recordLines.contains(failure.line) || failure.message.isEmpty {
                Fuzz.fail("record failure \(failure) names no record's line (records on \(recordLines.sorted()))", input)
            }
            return
        } catch {
            Fuzz.fail("import plan threw \(error)", input)
        }
        var size = 0
        for row in rows {
            if !recordLines.contains(row.line) { Fuzz.fail("row from line \(row.line), where no record starts", input) }
            let line = row.requestLine
            size += line.utf8.count + 1
            checkRequestLine(row, line, input)
        }
        if size > expansion * fileSize + 4096 {
            Fuzz.fail("\(fileSize) bytes of CSV became \(rows.count) rows, \(size) bytes of request lines", input)
        }
    }

    /// The row's request line parses to its words and options, plus line=N.
    static func checkRequestLine(_ row: ImportPlan.Row, _ line: String, _ input: [UInt8]) {
        // The request encoder writes control characters other than tab, CR and LF as spaces.
        func clean(_ text: String) -> String {
            String(decoding: text.utf8.map { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D) || $0 == 0x7F ? 0x20 : $0 }, as: UTF8.self)
        }
        let options = row.options + [Request.Option(key: "line", value: String(row.line))]
        let expected = Request(words: row.words.map(clean), options: options.map { Request.Option(key: $0.key, value: clean($0.value)) })
        switch RequestParser.parse(line) {
        case .success(let request):
            if request != expected { Fuzz.fail("row \(row.words) \(row.options) is sent as \(line), which reads as \(request)", input) }
        case .failure(let error):
            Fuzz.fail("row \(row.words) \(row.options) is sent as \(line), which does not parse: \(error.message)", input)
        }
    }

    // MARK: RosterCSV

    static func checkRoster(_ bytes: [UInt8], _ input: [UInt8]) {
        var roster = RosterCSV()
        var added: [String] = []
        var certifications = 0
        var current: String?
        var currentCertified = false
        /// A certification of a volunteer not added before it reads back as a registration of its own.
        var strayCertification = false
        for slice in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            let line = String(decoding: slice, as: UTF8.self)
            roster.add(line)
            // What RosterCSV makes of the line, by the same rules, to count the records it must write.
            guard case .success(let request) = RequestParser.parse(line), request.words.count >= 3,
                  request.words[0].lowercased() == "volunteer" else { continue }
            switch request.words[1].lowercased() {
            case "add":
                added.append(request.words[2])
                current = request.words[2]
                currentCertified = false
            case "certify" where request.words.count >= 4:
                if current == request.words[2] && !currentCertified { currentCertified = true } else { certifications += 1 }
                if !added.contains(request.words[2]) { strayCertification = true }
            default: break
            }
        }
        roster.flush()
        if roster.volunteers != added.count { Fuzz.fail("roster counts \(roster.volunteers) volunteers, the lines add \(added.count)", input) }
        let records: [CSV.Record]
        do {
            records = try CSV.parse(roster.text)
        } catch {
            Fuzz.fail("the roster CSV does not read: \(error)\n\(roster.text)", input)
        }
        guard records.first?.fields == RosterCSV.columns else { Fuzz.fail("the roster CSV's header is \(records.first?.fields ?? [])", input) }
        for record in records where record.fields.count != RosterCSV.columns.count {
            Fuzz.fail("roster record on line \(record.line) has \(record.fields.count) fields", input)
        }
        if records.count != 1 + added.count + certifications {
            Fuzz.fail("roster CSV has \(records.count - 1) records for \(added.count) volunteers and \(certifications) further certifications\n\(roster.text)", input)
        }
        // Its import gives a volunteer add row per volunteer, in order (when the values are ones the plan takes).
        guard !strayCertification, let (rows, _) = try? ImportPlan.rows(kind: .volunteers, records: records) else { return }
        // An id added twice may read back once: a later record of a known id with only certification
        // cells is a further certification (by design); the daemon refuses the second add anyway.
        func firstOccurrences(_ ids: [String]) -> [String] {
            var seen = Set<String>()
            return ids.filter { seen.insert($0).inserted }
        }
        let ids = firstOccurrences(rows.filter { $0.words.starts(with: ["volunteer", "add"]) }.map { $0.words[2] })
        var expected = added.map { $0.trimmingCharacters(in: " \t") }
        // A first record whose filled cells all start with # reads as an HXL hashtag row (by design).
        if records.count > 1 && CSV.isHashtagRow(records[1].fields) && !expected.isEmpty { expected.removeFirst() }
        expected = firstOccurrences(expected)
        if ids != expected { Fuzz.fail("the roster CSV imports as volunteers \(ids), the lines add \(expected)", input) }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
