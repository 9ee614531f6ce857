/// Splits the daemon's refusal of an import — "import refused, nothing imported: 3 bad rows of 10:
/// line 4: …; line 7: …" — into its header and one line per bad row, for printing.
enum ImportReport {
    static func lines(_ message: String) -> [String] {
        let bytes = Array(message.utf8)
        func itemStarts(at index: Int) -> Bool {
            let marker = Array("line ".utf8)
            guard index + marker.count < bytes.count, bytes[index..<(index + marker.count)].elementsEqual(marker) else { return false }
            var cursor = index + marker.count
            while cursor < bytes.count, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39 { cursor += 1 }
            return cursor > index + marker.count && cursor < bytes.count && bytes[cursor] == 0x3A
        }
        var starts: [Int] = []
        var index = 2
        while index < bytes.count {
            let separator = bytes[index - 1] == 0x20 && (bytes[index - 2] == 0x3B || (starts.isEmpty && bytes[index - 2] == 0x3A))
            if separator, itemStarts(at: index) { starts.append(index) }
            index += 1
        }
        guard let first = starts.first else { return [message] }
        var result = [String(decoding: bytes[..<(first - 2)], as: UTF8.self)]
        for (position, start) in starts.enumerated() {
            let end = position + 1 < starts.count ? starts[position + 1] - 2 : bytes.count
            var text = String(decoding: bytes[start..<end], as: UTF8.self)
            if position + 1 == starts.count, let more = text.firstMatch(of: /; (and \d+ more)$/) {
                result.append(String(text[..<more.range.lowerBound]))
                text = String(more.output.1)
            }
            result.append(text)
        }
        return result
    }
}
