import Foundation
import ReliefCore
import ReliefCSV

/// Writing a disclosure for publication: `index.html` for people and one CSV per section (the
/// same columns as `disclose section=`) for spreadsheets and programs, in a directory of its own.
extension Disclosure {
    /// Section → CSV text: a header row, then the rows. A text cell that a spreadsheet would take
    /// for a formula (it starts with = + - @, a tab or a CR, and is not a number) is written with a
    /// leading apostrophe: a donor's name must not run as a formula on a reader's machine.
    public func csvFiles() -> [(name: String, text: String)] {
        Disclosure.sections.map { section in
            let table = self.table(section)
            var text = table.columns.map(CSV.field).joined(separator: ",") + "\r\n"
            for row in table.rows { text += row.map { CSV.field(Disclosure.inert($0)) }.joined(separator: ",") + "\r\n" }
            return (section + ".csv", text)
        }
    }

    static func inert(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return value }
        let number = value.dropFirst()
        if first == "-", !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) { return value }
        return "'" + value
    }

    /// Writes the page and the CSV files into `directory`, which must not exist yet (a published
    /// account is never replaced under the same name); files 0644, for the public.
    public func write(to directory: String) throws -> [String] {
        let manager = FileManager.default
        guard !manager.fileExists(atPath: directory) else {
            throw DisclosureWriteError(message: "\(directory) exists; a disclosure is never replaced: choose another name")
        }
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let base = URL(fileURLWithPath: directory, isDirectory: true)
        var written: [String] = []
        for (name, text) in [("index.html", html())] + csvFiles() {
            let url = base.appendingPathComponent(name)
            try Data(text.utf8).write(to: url, options: .atomic)
            try manager.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
            written.append(url.path)
        }
        return written
    }
}

public struct DisclosureWriteError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
