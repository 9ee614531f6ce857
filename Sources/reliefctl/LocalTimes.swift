import ReliefCore
import ReliefProtocol

/// Times in reliefctl's tables. The daemon answers in UTC (`by=2026-12-03T10:00:00Z`), and the
/// wire, `--format json|csv|raw` and the store stay so; a table (and an `OK …` line printed with
/// it) shows each time on the operation's wall clock with its offset, `2026-12-03T18:00:00+08:00`:
/// RFC 3339, so it can be given back as it is (`by=2026-12-03T18:00:00+08:00`). Only values that
/// are a whole UTC timestamp as the daemon writes one (`YYYY-MM-DDTHH:MM:SSZ`, or with `.fff`) are
/// rewritten; a time inside a longer text (a message, a reason) is left as the daemon wrote it.
enum LocalTimes {
    /// `reply` as a table shows it in `zone`; unchanged for UTC, errors and feed lines.
    static func shown(_ reply: ReplyReader.Parsed, in zone: OperationTimeZone) -> ReplyReader.Parsed {
        guard !zone.isUTC else { return reply }
        switch reply {
        case .ok(let text): return .ok(line(text, in: zone))
        case .rows(let lines): return .rows(lines.map { line($0, in: zone) })
        case .truncatedRows(let lines): return .truncatedRows(lines.map { line($0, in: zone) })
        case .error, .pushed: return reply
        }
    }

    /// Whether `reply` holds a time a table would show differently outside UTC.
    static func hasTimestamp(_ reply: ReplyReader.Parsed) -> Bool {
        let lines: [String]
        switch reply {
        case .ok(let text): lines = [text]
        case .rows(let rows), .truncatedRows(let rows): lines = rows
        case .error, .pushed: return false
        }
        return lines.contains { $0.contains("Z") && ReplyReader.parseLogfmt($0).contains { utc($0.value) != nil } }
    }

    /// One logfmt line with its UTC timestamps rewritten; a line without one comes back as it was.
    static func line(_ line: String, in zone: OperationTimeZone) -> String {
        guard line.contains("Z") else { return line }
        let pairs = ReplyReader.parseLogfmt(line)
        var changed = false
        var fields = Fields()
        for pair in pairs {
            if let local = value(pair.value, in: zone) {
                fields.append(pair.key, local)
                changed = true
            } else {
                fields.append(pair.key, pair.value)
            }
        }
        return changed ? TextEncoder.logfmt(fields) : line
    }

    /// `2026-12-03T18:00:00+08:00` for `2026-12-03T10:00:00Z` in Asia/Shanghai (milliseconds kept
    /// when the daemon sent them); nil for anything else.
    static func value(_ value: String, in zone: OperationTimeZone) -> String? {
        guard let (time, milliseconds) = utc(value) else { return nil }
        return zone.text(time, milliseconds: milliseconds)
    }

    /// The instant of a value written as `Timestamp.iso8601` or `iso8601Milliseconds` writes one.
    static func utc(_ value: String) -> (Timestamp, milliseconds: Bool)? {
        let count = value.utf8.count
        guard count == 20 || count == 24, value.utf8.last == 0x5A /* Z */, value.utf8.dropFirst(10).first == 0x54 /* T */,
              case .success(.instant(let time, 0)) = DateTimeText.parse(value) else { return nil }
        return (time, count == 24)
    }
}

/// Which zone reliefctl's tables show times in: `--time-zone`, else `$RELIEFD_TIME_ZONE`, else the
/// daemon's own (`info` says `time_zone=`), asked once per run. A daemon that does not say (an
/// older one), or names a zone unknown here: UTC, as sent.
final class DisplayZone {
    private var zone: OperationTimeZone?

    init(option: String?, environment: [String: String]) throws(UsageError) {
        if let name = option ?? environment["RELIEFD_TIME_ZONE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            do {
                zone = try OperationTimeZone.system(named: name)
            } catch {
                throw UsageError("\(option == nil ? "$RELIEFD_TIME_ZONE" : "--time-zone"): \(error)")
            }
        }
    }

    /// A zone given outright (tests, or a zone already known).
    init(_ zone: OperationTimeZone) { self.zone = zone }

    /// The zone, asking the daemon on `connection` the first time (one `info`). Throws only when
    /// the connection fails; a refused `info` or one without `time_zone=` means UTC.
    func resolve(_ connection: Connection, timeout: Double?) throws(ConnectionError) -> OperationTimeZone {
        if let zone { return zone }
        try connection.send(Array("info\n".utf8), timeout: timeout)
        var found = OperationTimeZone.utc
        if case .ok(let text) = try connection.nextReply(timeout: timeout),
           let name = ReplyReader.parseLogfmt(text).first(where: { $0.key == "time_zone" })?.value,
           let named = try? OperationTimeZone.system(named: name) {
            found = named
        }
        zone = found
        return found
    }
}
