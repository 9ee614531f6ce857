import ArgumentParser
import ReliefCSV
import ReliefProtocol

/// How replies are printed.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case table, json, csv, raw
    /// Listings with `at=LAT,LON` (warehouses, incidents, teams, volunteers) as a GeoJSON
    /// FeatureCollection, for QGIS, uMap or Leaflet; other replies as json.
    case geojson
}

/// The text one reply prints: `out` for stdout, `err` for stderr; each ends in a newline when not empty.
struct Rendered: Equatable {
    var out = ""
    var err = ""
}

/// Turns replies into the chosen output format. Pure: no I/O, so it is tested in memory.
enum Output {
    typealias Pair = (key: String, value: String)

    static func render(_ reply: ReplyReader.Parsed, as format: OutputFormat) -> Rendered {
        switch reply {
        case .error(let code, let message):
            return Rendered(err: "ERR \(code) \(message)\n")
        case .ok(let text):
            switch format {
            case .raw: return Rendered(out: text.isEmpty ? "OK\n" : "OK \(text)\n")
            case .table: return Rendered(out: text.isEmpty ? "OK\n" : text + "\n")
            case .json, .geojson: return Rendered(out: jsonObject(pairs(text)) + "\n")
            case .csv: return Rendered(out: text.isEmpty ? "" : csv([pairs(text)]))
            }
        case .pushed(let line):
            // A feed line (`reliefctl watch`): one JSON object per line in json, else as sent.
            guard format == .json || format == .geojson, let space = line.firstIndex(of: " ") else { return Rendered(out: line + "\n") }
            // Typed by the feed's registry: its `seq`; the entry's body keeps its values as text.
            return Rendered(out: jsonObject([(key: "type", value: String(line[..<space]))] + pairs(String(line[line.index(after: space)...])),
                                            registry: TypedJSON.feedFields) + "\n")
        case .rows(let lines), .truncatedRows(let lines):
            let cut = reply.isCut
            var rendered: Rendered
            switch format {
            case .raw: return Rendered(out: "OK \(lines.count) rows\(cut ? " more" : "")\n" + lines.map { $0 + "\n" }.joined())
            case .table: rendered = Rendered(out: table(lines.map(pairs)))
            case .json: rendered = Rendered(out: jsonArray(lines.map(pairs)))
            case .geojson:
                // Personal data never goes on a map: phone and ID number are left out, shown or not.
                rendered = Rendered(out: GeoJSON.featureCollection(lines.map { Fields(pairs($0).map { ($0.key, $0.value) }) },
                                                                   dropping: ["phone", "id_number"]))
            case .csv: rendered = Rendered(out: csv(lines.map(pairs)))
            }
            // On stderr, so a script's JSON or CSV stays clean and a person still sees it.
            if cut { rendered.err = "only the first \(lines.count) rows: more match; narrow the filters or raise limit=\n" }
            return rendered
        }
    }

    /// The pairs of one logfmt line; bare words (no key) are gathered into one `message` field.
    static func pairs(_ line: String) -> [Pair] {
        var result: [Pair] = []
        var messageIndex: Int?
        for pair in ReplyReader.parseLogfmt(line) {
            if pair.key.isEmpty {
                if let index = messageIndex {
                    result[index].value += " " + pair.value
                } else {
                    messageIndex = result.count
                    result.append((key: "message", value: pair.value))
                }
            } else {
                result.append(pair)
            }
        }
        return result
    }

    /// Column names: the union of the rows' keys, in the order first seen.
    static func columns(_ rows: [[Pair]]) -> [String] {
        var seen = Set<String>()
        var names: [String] = []
        for row in rows {
            for pair in row where seen.insert(pair.key).inserted { names.append(pair.key) }
        }
        return names
    }

    static func cells(_ rows: [[Pair]], _ names: [String]) -> [[String]] {
        rows.map { row in
            names.map { name in row.first(where: { $0.key == name })?.value ?? "" }
        }
    }

    // MARK: table

    /// An aligned table with a header and a rule; numeric columns are right-aligned.
    static func table(_ rows: [[Pair]]) -> String {
        let footer = rows.count == 1 ? "(1 row)\n" : "(\(rows.count) rows)\n"
        guard !rows.isEmpty else { return footer }
        let names = columns(rows)
        let body = cells(rows, names).map { $0.map(printable) }
        var widths = names.map(displayWidth)
        var numeric = [Bool](repeating: true, count: names.count)
        for row in body {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], displayWidth(cell))
                if !cell.isEmpty && Double(cell) == nil { numeric[column] = false }
            }
        }
        func line(_ values: [String], alignNumbers: Bool) -> String {
            var text = ""
            for (column, value) in values.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - displayWidth(value))
                let last = column == values.count - 1
                if alignNumbers && numeric[column] {
                    text += padding + value
                } else {
                    text += last ? value : value + padding
                }
                if !last { text += "  " }
            }
            while text.last == " " { text.removeLast() }
            return text + "\n"
        }
        var text = line(names, alignNumbers: true)
        text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in body { text += line(row, alignNumbers: true) }
        return text + footer
    }

    /// Control characters would break the table's lines; show them as spaces.
    static func printable(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return value }
        return String(String.UnicodeScalarView(value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    /// Terminal columns a string takes: East Asian wide characters count twice, combining marks not at all.
    static func displayWidth(_ text: String) -> Int {
        var width = 0
        for scalar in text.unicodeScalars {
            let value = scalar.value
            switch value {
            case 0x0300...0x036F, 0x200B...0x200F, 0xFE00...0xFE0F: continue
            case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
                 0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
                 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
                width += 2
            default:
                width += 1
            }
        }
        return width
    }

    // MARK: csv

    /// RFC 4180: a header line, then one record per row, CRLF line ends, quoted where needed. A
    /// cell a spreadsheet would run as a formula is made text with a `'` (CSV.neutralised); a
    /// number in a column that holds numbers (HXL.numericNames: on_hand, lat, delta, …) is not.
    static func csv(_ rows: [[Pair]]) -> String {
        guard !rows.isEmpty else { return "" }
        let names = columns(rows)
        let numeric = names.map { HXL.numericNames.contains($0) }
        var text = names.map(csvField).joined(separator: ",") + "\r\n"
        for row in cells(rows, names) {
            text += row.enumerated().map { csvField(CSV.neutralised($1, numeric: numeric[$0])) }.joined(separator: ",") + "\r\n"
        }
        return text
    }

    static func csvField(_ value: String) -> String {
        // On bytes and scalars: as a Character, a quote or comma followed by a combining mark is
        // neither, and would be written bare.
        guard value.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else { return value }
        return "\"" + value.replacingAll("\"", with: "\"\"") + "\""
    }

    // MARK: json

    /// One object per row, one row per line, keys in the order the daemon sent them.
    static func jsonArray(_ rows: [[Pair]]) -> String {
        guard !rows.isEmpty else { return "[]\n" }
        return "[\n" + rows.map { "  " + jsonObject($0) }.joined(separator: ",\n") + "\n]\n"
    }

    /// Values typed by their field's name, as the HTTP listener types them (TypedJSON).
    static func jsonObject(_ pairs: [Pair], registry: [String: TypedJSON.FieldType] = TypedJSON.replyFields) -> String {
        var out: [UInt8] = [0x7B]
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out += [0x2C, 0x20] }
            TypedJSON.appendMember(pair.key, pair.value, in: registry, spaced: true, into: &out)
        }
        out.append(0x7D)
        return String(decoding: out, as: UTF8.self)
    }

    static func jsonString(_ value: String) -> String { JSONText.string(value) }
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation needed), scalar by scalar: as a
    /// Character, `"` followed by a combining mark would not be found.
    func replacingAll(_ target: Unicode.Scalar, with replacement: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            if scalar == target { out.append(contentsOf: replacement.unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }
}
