import Foundation

/// The start tags of an HTML document and their attributes, read the way a browser's tokenizer
/// reads them (quoted and unquoted values, comments, <style> as raw text): what the tests use to
/// see which elements a page has and what its attributes point at, without trusting the page's
/// own idea of where its markup is.
struct HTMLTags {
    struct Tag {
        let name: String
        let attributes: [(name: String, value: String)]
        /// Where the tag starts, in UTF-8 bytes.
        let offset: Int

        func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }
    }

    let tags: [Tag]

    init(_ html: String) {
        let bytes = Array(html.utf8)
        var tags: [Tag] = []
        var index = 0
        func starts(_ text: String, at position: Int) -> Bool {
            let pattern = Array(text.utf8)
            guard position + pattern.count <= bytes.count else { return false }
            for offset in 0..<pattern.count where Self.lower(bytes[position + offset]) != pattern[offset] { return false }
            return true
        }
        func skip(past text: String, from position: Int) -> Int {
            var at = position
            while at < bytes.count && !starts(text, at: at) { at += 1 }
            return min(bytes.count, at + text.utf8.count)
        }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else { index += 1; continue }
            let start = index
            if starts("<!--", at: index) { index = skip(past: "-->", from: index + 4); continue }
            if starts("<!", at: index) || starts("</", at: index) || starts("<?", at: index) {
                index = skip(past: ">", from: index + 1)
                continue
            }
            index += 1
            var name = ""
            while index < bytes.count, Self.isNameByte(bytes[index]) { name.unicodeScalars.append(Unicode.Scalar(Self.lower(bytes[index]))); index += 1 }
            // A "<" not followed by a tag name is text to a browser, as it is here.
            guard !name.isEmpty else { continue }
            var attributes: [(String, String)] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: ">") {
                if Self.isSpace(bytes[index]) || bytes[index] == UInt8(ascii: "/") { index += 1; continue }
                var attribute = [UInt8]()
                while index < bytes.count, !Self.isSpace(bytes[index]), bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: ">"),
                      !(bytes[index] == UInt8(ascii: "/") && attribute.isEmpty) {
                    attribute.append(Self.lower(bytes[index])); index += 1
                }
                var value = [UInt8]()
                while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
                if index < bytes.count, bytes[index] == UInt8(ascii: "=") {
                    index += 1
                    while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") {
                        let quote = bytes[index]
                        index += 1
                        while index < bytes.count, bytes[index] != quote { value.append(bytes[index]); index += 1 }
                        index += 1
                    } else {
                        while index < bytes.count, !Self.isSpace(bytes[index]), bytes[index] != UInt8(ascii: ">") { value.append(bytes[index]); index += 1 }
                    }
                }
                if !attribute.isEmpty { attributes.append((String(decoding: attribute, as: UTF8.self), Self.unescape(String(decoding: value, as: UTF8.self)))) }
            }
            index += 1
            tags.append(Tag(name: name, attributes: attributes, offset: start))
            if name == "style" || name == "script" { index = skip(past: "</\(name)", from: index) }
        }
        self.tags = tags
    }

    /// How many of each element, to compare two pages' structure.
    var counts: [String: Int] { tags.reduce(into: [:]) { $0[$1.name, default: 0] += 1 } }

    /// The tags from the start tag with `id` up to its closing (`</name>`), for one chart.
    func inside(id: String, of html: String) -> HTMLTags? {
        guard let open = tags.first(where: { $0.attribute("id") == id }) else { return nil }
        let bytes = Array(html.utf8)
        let closing = Array("</\(open.name)>".utf8)
        var end = open.offset
        while end + closing.count <= bytes.count && !bytes[end..<(end + closing.count)].elementsEqual(closing) { end += 1 }
        return HTMLTags(String(decoding: bytes[open.offset..<end], as: UTF8.self))
    }

    private static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D }
    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "-")
    }
    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 32 : byte }
}
