// ReliefLog: how reliefd's log lines look. One logfmt line per record on stderr, with journald's
// priority prefix in place of the time when stderr is the journal. The line is made by a pure
// function (`LogfmtLine.format`), so the format is tested without a stream.

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// Everything one line shows, gathered by the handler before it is formatted.
public struct LogRecord: Sendable {
    /// Milliseconds since 1970-01-01T00:00:00Z, read when the record was made.
    public var time: Int64
    public var level: Logger.Level
    /// The logger's label (`reliefd`, `reliefd.verify`, …): which program or part is speaking.
    public var label: String
    public var message: String
    /// The handler's metadata merged with the provider's and the call's (the call's win).
    public var metadata: Logger.Metadata
    /// The module that logged (`ReliefServer`); empty leaves the field out.
    public var source: String

    public init(time: Int64, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata = [:], source: String = "") {
        self.time = time
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
        self.source = source
    }
}

/// The logfmt line of a record: `time=… level=… label=… msg=… key=value … source=…`.
///
/// The fields a reader looks for first come first, in a fixed order; then the metadata sorted by
/// key, so two lines of the same event line up; then the module that logged, last because it is for
/// whoever reads the code. A value is written bare when it is a single safe word and in double
/// quotes otherwise, so any logfmt parser reads back exactly what was logged.
public enum LogfmtLine {
    /// The fixed fields' keys. A metadata key equal to one gets a `_` after it (`level_=…`), so a
    /// parser that keeps the last of two equal keys cannot lose the real level or message.
    static let reservedKeys: Set<String> = ["time", "level", "label", "msg", "source"]

    /// The whole line, ending in one "\n" (a record's own newlines are escaped inside quotes).
    /// For the journal it begins with the syslog priority (`<4>`) and has no time: journald takes
    /// the priority from the prefix and stamps every line itself.
    public static func format(_ record: LogRecord, for destination: LogDestination) -> String {
        var line = ""
        switch destination {
        case .journal:
            line += "<\(record.level.syslogPriority)>"
        case .stream:
            line += "time=\(iso8601Milliseconds(record.time)) "
        }
        line += "level=\(record.level.rawValue)"
        append("label", record.label, to: &line)
        append("msg", record.message, to: &line)
        let fields = record.metadata.map { key, value in
            let name = key.isEmpty ? "_" : logfmtKey(key)
            return (name: reservedKeys.contains(name) ? name + "_" : name, key: key, value: value)
        }
        // By the key as written; two keys written alike (`a b`, `a_b`) in the order of the originals.
        for field in fields.sorted(by: { ($0.name, $0.key) < ($1.name, $1.key) }) {
            appendFlattened(field.name, field.value, to: &line)
        }
        if !record.source.isEmpty { append("source", record.source, to: &line) }
        line += "\n"
        return line
    }

    /// A metadata value as one or more fields: a dictionary as `key.sub=…` (sorted by sub-key), a
    /// list as `key.0=… key.1=…`, nested as deep as it goes; an empty list or dictionary as `key=""`,
    /// so the key is still there.
    static func appendFlattened(_ key: String, _ value: Logger.MetadataValue, to line: inout String) {
        switch value {
        case .string(let text):
            append(key, text, to: &line)
        case .stringConvertible(let convertible):
            append(key, convertible.description, to: &line)
        case .dictionary(let dictionary):
            if dictionary.isEmpty { append(key, "", to: &line) }
            for (sub, inner) in dictionary.sorted(by: { $0.key < $1.key }) {
                appendFlattened(key + "." + (sub.isEmpty ? "_" : logfmtKey(sub)), inner, to: &line)
            }
        case .array(let values):
            if values.isEmpty { append(key, "", to: &line) }
            for (index, inner) in values.enumerated() {
                appendFlattened("\(key).\(index)", inner, to: &line)
            }
        }
    }

    private static func append(_ key: String, _ value: String, to line: inout String) {
        line += " "
        line += key
        line += "="
        line += logfmtValue(value)
    }

    /// `key` with every character a logfmt key may not hold (anything but ASCII letters, digits,
    /// `_`, `.` and `-`) replaced by `_`, one `_` per Unicode scalar.
    public static func logfmtKey(_ key: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-": result.append(scalar)
            default: result.append("_")
            }
        }
        return String(result)
    }

    /// `value` as a logfmt value: bare when it is a non-empty run of characters that cannot end or
    /// confuse a field; otherwise in double quotes, with `"` and `\` escaped by a backslash and
    /// control characters written `\n`, `\t`, `\r` or `\u00XX`, so a value never splits the line.
    public static func logfmtValue(_ value: String) -> String {
        guard needsQuotes(value) else { return value }
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if isControl(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        result += "\""
        return result
    }

    /// Empty, or holding a space (any Unicode white space), `=`, `"`, `\` or a control character.
    static func needsQuotes(_ value: String) -> Bool {
        if value.isEmpty { return true }
        return value.unicodeScalars.contains { scalar in
            scalar == "=" || scalar == "\"" || scalar == "\\" || isControl(scalar) || scalar.properties.isWhitespace
        }
    }

    /// C0, DEL and C1 (general category Cc): all of them fit `\u00XX`.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// RFC 3339 in UTC with milliseconds: `2026-12-06T07:02:35.123Z`.
    public static func iso8601Milliseconds(_ milliseconds: Int64) -> String {
        // Floor division, so a time before 1970 still has milliseconds 0…999.
        var seconds = time_t(milliseconds / 1000)
        var fraction = Int(milliseconds % 1000)
        if fraction < 0 {
            fraction += 1000
            seconds -= 1
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(fraction, 3))Z"
    }

    private static func pad(_ number: Int, _ width: Int) -> String {
        let digits = String(number)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension Logger.Level {
    /// The syslog priority journald reads from a `<N>` prefix (sd-daemon(3)): there is no level
    /// below debug, so trace is debug too.
    public var syslogPriority: Int {
        switch self {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
