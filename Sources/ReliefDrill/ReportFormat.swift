/// Text for the report's HTML: escaping and numbers written the same way on every machine. No
/// locale and no Foundation formatter is used, so the page is the same byte for byte wherever and
/// whenever it is rendered.
public enum ReportFormat {
    /// Escapes text for HTML element content and for quoted attribute values alike (inline SVG is
    /// parsed by the HTML parser, so the same escaping holds there). C0 controls other than tab and
    /// newline are dropped: the parser would turn some of them into errors or U+FFFD anyway.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// 12,000 — grouped by thousands with commas, whatever the machine's locale.
    static func thousands<T: BinaryInteger>(_ value: T) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }

    /// One decimal, grouped: 1,234.5 (and 12.0 stays 12.0, so a column of hours lines up).
    static func oneDecimal(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        let tenths = Int64((value * 10).rounded())
        let whole = thousands(tenths.magnitude / 10)
        return (tenths < 0 ? "-" : "") + whole + "." + String(tenths.magnitude % 10)
    }

    /// A drill time: T+HH:MM, hours running past 24 (T+72:00), T-00:10 before the start.
    static func drillTime(_ minute: Int) -> String {
        let sign = minute < 0 ? "-" : "+"
        let magnitude = minute.magnitude
        return "T\(sign)\(pad2(magnitude / 60)):\(pad2(magnitude % 60))"
    }

    /// A span of drill minutes: 45m, 2h 05m, 26h.
    static func duration(_ minutes: Int) -> String {
        let sign = minutes < 0 ? "-" : ""
        let magnitude = minutes.magnitude
        if magnitude < 60 { return "\(sign)\(magnitude)m" }
        let rest = magnitude % 60
        return rest == 0 ? "\(sign)\(magnitude / 60)h" : "\(sign)\(magnitude / 60)h \(pad2(rest))m"
    }

    /// An axis label in drill time: T+6h on whole hours, T+0:30 otherwise.
    static func axisTime(_ minute: Int) -> String {
        if minute % 60 == 0 { return "T+\(minute / 60)h" }
        return "T+\(minute / 60):\(pad2(minute.magnitude % 60))"
    }

    /// A coordinate in an SVG attribute: at most one decimal, no exponent, no "-0".
    static func svg(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int64((value * 10).rounded())
        if tenths == 0 { return "0" }
        let sign = tenths < 0 ? "-" : ""
        let magnitude = tenths.magnitude
        return magnitude % 10 == 0 ? "\(sign)\(magnitude / 10)" : "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }

    /// Shortens text for a chart label to `limit` characters, ending with "…" when cut (the full
    /// text goes into the element's <title>).
    static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(max(1, limit - 1))) + "…"
    }

    static func pad2<T: BinaryInteger>(_ value: T) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
