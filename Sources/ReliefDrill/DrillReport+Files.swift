import Foundation

/// Writing a report where people and programs pick it up: `report.json` for machines (sorted keys,
/// so two runs of the same drill compare with diff) and `report.html` for people.
extension DrillReport {
    /// The report as JSON: pretty-printed with sorted keys, so the same report gives the same bytes.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Writes `report.json` and `report.html` into `directory`, creating it (and its parents) when
    /// missing and replacing earlier files of the same names. Files are 0644: a report holds counts,
    /// places and ids of stock, needs and plans, and no volunteer's name, phone or ID number.
    public func write(to directory: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                    attributes: [.posixPermissions: 0o755])
        let base = URL(fileURLWithPath: directory, isDirectory: true)
        for (name, data) in [("report.json", try json()), ("report.html", Data(html().utf8))] {
            let url = base.appendingPathComponent(name)
            // Atomic: a reader opening the page while a drill rewrites it sees the old or the new one.
            try data.write(to: url, options: .atomic)
            try manager.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
        }
    }
}
