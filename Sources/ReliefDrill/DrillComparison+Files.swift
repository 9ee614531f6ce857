import Foundation

/// Writing a comparison where people and programs pick it up: `compare.json` (sorted keys, so the
/// same two reports give the same bytes) and `compare.html`.
extension DrillComparison {
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Writes `compare.json` and `compare.html` into `directory`, creating it when missing; files
    /// are 0644 like the reports they compare (no person's name, phone or ID number is in either).
    public func write(to directory: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let base = URL(fileURLWithPath: directory, isDirectory: true)
        for (name, data) in [("compare.json", try json()), ("compare.html", Data(html().utf8))] {
            let url = base.appendingPathComponent(name)
            try data.write(to: url, options: .atomic)
            try manager.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
        }
    }
}
