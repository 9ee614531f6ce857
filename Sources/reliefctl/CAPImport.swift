#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ReliefCAP
import ReliefProtocol

/// `reliefctl import cap FILE.xml [--region PATH] [--at LAT,LON] [--drill DRILL]`: opens or updates
/// an incident from an OASIS CAP 1.2 alert (docs/operations.md "CAP alerts"). The file is parsed
/// and checked whole before anything is sent; the incident is found by the id derived from the
/// alert (CAP.incidentID), so a repeat, an Update or a Cancel reaches the incident the first
/// alert opened.
struct CAPImport {
    let file: String
    let region: String?
    let at: String?
    let drill: String?
    let socket: String?
    let tcp: String?
    let timeout: Double?

    func run() throws -> Int32 {
        let bytes = try Self.readBounded(file, limit: CAP.maxBytes)
        let alert: CAP.Alert
        let plan: CAP.Plan
        do {
            alert = try CAP.parse(bytes)
            plan = try CAP.Plan(alert)
        } catch {
            Terminal.err("reliefctl import cap: \(file): \(error); nothing was sent\n")
            return 1
        }
        if alert.status == "Exercise" && drill == nil {
            Terminal.err("reliefctl import cap: \(file): an Exercise alert opens exercise incidents only: give --drill DRILL (a running online drill, docs/drills.md); nothing was sent\n")
            return 1
        }
        var point: CAP.Point?
        if let at {
            guard let parsed = CAP.parsePoint(Substring(at)) else { throw UsageError("bad --at \"\(at)\"; expected LAT,LON in decimal degrees") }
            point = parsed
        }
        let endpoint = try Endpoint.resolve(socket: socket, tcp: tcp, environment: environment())
        let connection = try Connection.open(endpoint, timeout: timeout)
        func request(_ words: [String], write: Bool) throws -> ReplyReader.Parsed {
            let line = drill.map { ["drill", write ? "inject" : "ask", $0] + words } ?? words
            try connection.send(Array((RequestLine.build(line) + "\n").utf8), timeout: timeout)
            return try connection.nextReply(timeout: timeout)
        }
        var found: (id: String, status: String)?
        for id in plan.candidates {
            let reply = try request(["incident", "show", id], write: false)
            switch reply {
            case .rows(let lines), .truncatedRows(let lines):
                let fields = lines.first.map(ReplyReader.parseLogfmt) ?? []
                found = (id, fields.first { $0.key == "status" }?.value ?? "open")
            case .error(let code, _) where code == "NOTFOUND":
                continue
            case .error(let code, let message):
                Terminal.err("ERR \(code) \(message)\n")
                return 1
            case .ok, .pushed:
                Terminal.err("reliefctl import cap: unexpected reply to incident show \(id)\n")
                return 1
            }
            if found != nil { break }
        }
        let requests: [[String]]
        do {
            requests = try plan.requests(found: found, region: region, at: point)
        } catch {
            Terminal.err("reliefctl import cap: \(file): \(error); nothing was sent\n")
            return 1
        }
        for words in requests {
            switch try request(words, write: true) {
            case .error(let code, let message):
                Terminal.err("ERR \(code) \(message)\n")
                return 1
            case .ok(let text):
                Terminal.out("OK \(text)\n")
            case let other:
                Terminal.out(Output.render(other, as: .raw).out)
            }
        }
        return 0
    }

    /// Reads `path` (stdin for `-`), stopping once it has more than `limit` bytes: a longer file
    /// is not read on, and CAP.parse refuses it by its size.
    static func readBounded(_ path: String, limit: Int) throws(UsageError) -> [UInt8] {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw UsageError("cannot open \(path): \(errnoText(errno))") }
        defer { if fd != 0 { close(fd) } }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes.append(contentsOf: buffer[0..<count])
                if bytes.count > limit { return bytes } // CAP.parse refuses it by its size
            } else if count == 0 {
                return bytes
            } else if errno != EINTR {
                throw UsageError("cannot read \(path): \(errnoText(errno))")
            }
        }
    }
}
