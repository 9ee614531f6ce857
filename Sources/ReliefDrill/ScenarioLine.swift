/// One line of a scenario file cut into words with their columns, by the protocol's own rules
/// (spaces or tabs between words, `"quoted strings"` with `\" \\ \n \t \r`, `key=value` options
/// whose value may be quoted) plus one of the file's own: a `#` that starts a word starts a
/// comment, which runs to the end of the line. Columns count characters from 1, as an editor does.
struct ScenarioLine {
    struct Word: Equatable {
        /// The word without its quotes (escapes resolved); for an option, its value.
        var text: String
        /// For `key=value`, the key (lowercased, like the protocol's options); nil for a plain word.
        var key: String?
        var column: Int
        var quoted: Bool
    }

    var words: [Word] = []
    /// Column where a `#` comment starts (nil: none); a request ends before it.
    var commentColumn: Int?
    /// The characters of the line, to cut a request out of it.
    let characters: [Character]

    struct Problem: Error {
        var column: Int
        var message: String
    }

    init(_ text: String) throws(Problem) {
        characters = Array(text)
        var index = 0
        func blank(_ character: Character) -> Bool { character == " " || character == "\t" }
        while index < characters.count {
            if blank(characters[index]) { index += 1; continue }
            let start = index
            if characters[index] == "#" {
                commentColumn = index + 1
                return
            }
            if characters[index] == "\"" {
                let (text, end) = try ScenarioLine.quoted(characters, from: index)
                words.append(Word(text: text, key: nil, column: start + 1, quoted: true))
                index = end
                continue
            }
            var raw = ""
            while index < characters.count, !blank(characters[index]) {
                let character = characters[index]
                if character == "\"" {
                    // A quote may only open a whole word or an option's value, as in the protocol.
                    guard raw.hasSuffix("="), ScenarioLine.isKey(String(raw.dropLast())) else {
                        throw Problem(column: index + 1, message: "quote in the middle of a word; expected a space before it, or key=\"value\"")
                    }
                    let (text, end) = try ScenarioLine.quoted(characters, from: index)
                    words.append(Word(text: text, key: String(raw.dropLast()).lowercased(), column: start + 1, quoted: true))
                    index = end
                    raw = ""
                    break
                }
                if let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1, scalar.value < 0x20 || scalar.value == 0x7F {
                    throw Problem(column: index + 1, message: "control character U+\(String(scalar.value, radix: 16, uppercase: true)); expected printable text")
                }
                raw.append(character)
                index += 1
            }
            guard !raw.isEmpty else { continue }
            if let equals = raw.firstIndex(of: "="), ScenarioLine.isKey(String(raw[..<equals])) {
                words.append(Word(text: String(raw[raw.index(after: equals)...]), key: String(raw[..<equals]).lowercased(),
                                  column: start + 1, quoted: false))
            } else {
                words.append(Word(text: raw, key: nil, column: start + 1, quoted: false))
            }
        }
    }

    /// The text from `column` up to a comment (or the end), without trailing blanks.
    func text(from column: Int) -> String {
        let end = (commentColumn ?? characters.count + 1) - 1
        guard column - 1 < end else { return "" }
        var slice = characters[(column - 1)..<end]
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }

    /// An option key as the protocol takes it: a letter, then letters, digits, `_`, `-`, `.`.
    static func isKey(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == ".") }
    }

    /// The string starting at the quote at `start`, and the index after its closing quote.
    static func quoted(_ characters: [Character], from start: Int) throws(Problem) -> (String, Int) {
        var index = start + 1
        var text = ""
        while index < characters.count {
            let character = characters[index]
            if character == "\"" {
                index += 1
                if index < characters.count, characters[index] != " ", characters[index] != "\t" {
                    throw Problem(column: index + 1, message: "unexpected character after the closing quote; expected a space")
                }
                return (text, index)
            }
            if character == "\\" {
                index += 1
                guard index < characters.count else { break }
                switch characters[index] {
                case "\"": text.append("\"")
                case "\\": text.append("\\")
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "r": text.append("\r")
                default: throw Problem(column: index, message: "unknown escape \\\(characters[index]); expected one of \\\" \\\\ \\n \\t \\r")
                }
                index += 1
                continue
            }
            text.append(character)
            index += 1
        }
        throw Problem(column: start + 1, message: "quote not closed; expected a closing \" on the same line")
    }
}
