import ReliefHTTP
import ReliefLimits
import ReliefProtocol

/// Replies of the text protocol as JSON for the HTTP listener: `OK key=value…` is an object,
/// a table is `{"rows": [...], "more": false}` (`more`: cut at its `limit=`), a refusal is
/// `{"error": "CODE", "message": "…"}` with the HTTP status the code means. Values are typed by
/// their field's name as in all of reliefd's JSON (TypedJSON): numbers, yes/no flags, `null` for an
/// empty number, strings otherwise.
enum HTTPJSON {
    /// Rows one HTTP answer may hold: larger listings are for reliefctl, which streams them.
    static let maxRows = Limits.largeListingRows

    static func answer(_ reply: Reply) -> HTTPAnswer {
        var out: [UInt8] = []
        switch reply {
        case .ok(let fields):
            object(fields, into: &out)
        case .rows(let rows):
            table(rows.count, more: false, into: &out) { rows[$0] }
        case .stream(let stream):
            table(stream.count, more: stream.header.hasSuffix("more\n"), into: &out) { stream.row(at: $0) }
        case .error(let code, let message):
            return error(code, message)
        }
        out.append(0x0A)
        return HTTPAnswer(status: 200, contentType: "application/json", body: out)
    }

    static func error(_ code: ErrorCode, _ message: String) -> HTTPAnswer {
        var out = Array("{\"error\":".utf8)
        string(code.rawValue, into: &out)
        out += Array(",\"message\":".utf8)
        string(message, into: &out)
        out += Array("}\n".utf8)
        let status = switch code {
        case .syntax: 400
        case .notFound: 404
        case .denied: 403
        case .conflict: 409
        case .insufficient: 409
        case .limit: 413
        case .unavailable: 503
        case .internal: 500
        }
        return HTTPAnswer(status: status, contentType: "application/json", body: out)
    }

    private static func table(_ count: Int, more: Bool, into out: inout [UInt8], _ row: (Int) -> Fields) {
        out += Array("{\"rows\":[".utf8)
        for index in 0..<count {
            if index > 0 { out.append(0x2C) }
            object(row(index), into: &out)
        }
        out += Array("],\"more\":\(more ? "true" : "false")}".utf8)
    }

    static func object(_ fields: Fields, into out: inout [UInt8]) {
        out.append(0x7B)
        var first = true
        for pair in fields.pairs {
            if !first { out.append(0x2C) }
            first = false
            TypedJSON.appendMember(pair.key, pair.value, into: &out)
        }
        out.append(0x7D)
    }

    static func string(_ text: String, into out: inout [UInt8]) { JSONText.append(text, into: &out) }
}
