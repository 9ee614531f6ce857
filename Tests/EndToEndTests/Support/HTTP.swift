import Foundation
import XCTest

/// HTTP from the tests: `curl` on loopback (a well-kept client, so the daemon's answers are read
/// as any client reads them), and a server-sent event stream read by curl into a file.
extension EndToEndTestCase {
    /// `curl` on loopback: the status code and the body. `extra` adds curl options (a form, a
    /// cookie jar, headers).
    func get(_ port: UInt16, _ path: String, user: String? = nil, token: String? = nil, extra: [String] = [],
             timeout: Double = 30) throws -> (status: Int, body: String) {
        var arguments = ["-s", "-S", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}"] + extra + ["http://127.0.0.1:\(port)\(path)"]
        if let user, let token { arguments += ["-u", "\(user):\(token)"] }
        let result = try runProgram("/usr/bin/curl", arguments, timeout: timeout)
        XCTAssertEqual(result.status, 0, "curl \(path): \(result.err)")
        guard let newline = result.out.lastIndex(of: "\n") else { throw Daemon.Failure("curl \(path): no status in \(result.out)") }
        return (Int(result.out[result.out.index(after: newline)...]) ?? 0, String(result.out[..<newline]))
    }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// `jq -r 'ROWS | select(.available > 1000) | .warehouse' FILE` (ROWS `.[]` for reliefctl's
    /// JSON, `.rows[]` for the HTTP listener's), or the same with Python's json module when jq is
    /// not installed: the warehouses selected, in order.
    func selectAvailableOver1000(_ file: String, rows path: String = ".[]") throws -> [String] {
        let result: (status: Int32, out: String, err: String)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/jq") {
            result = try runProgram("/usr/bin/jq", ["-r", "\(path) | select(.available > 1000) | .warehouse", file], timeout: 60)
        } else {
            let script = """
                import json, sys
                data = json.load(open(sys.argv[1]))
                for row in (data if sys.argv[2] == ".[]" else data["rows"]):
                    value = row.get("available")
                    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 1000:
                        print(row["warehouse"])
                """
            result = try runProgram("/usr/bin/python3", ["-c", script, file, path], timeout: 60)
        }
        XCTAssertEqual(result.status, 0, result.err)
        return result.out.split(separator: "\n").map(String.init)
    }
}

/// An event stream (`/board/events`) read by `curl -N` into a file, parsed on demand. Stopped
/// (curl killed) when the test ends or by `stop`.
final class EventStreamReader {
    struct Event: Equatable {
        var id: String
        var event: String
        var data: String
    }

    let process = Process()
    let file: String
    /// What `count(of:)` has read of the file: bytes, events by name, and an incomplete last block.
    private var scanned: UInt64 = 0
    private var counts: [String: Int] = [:]
    private var tail = Data()

    init(port: UInt16, path: String, user: String, token: String, headers: [String] = []) throws {
        file = NSTemporaryDirectory() + "sse-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: file, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-N", "--max-time", "900", "-u", "\(user):\(token)", "-o", file]
            + headers.flatMap { ["-H", $0] } + ["http://127.0.0.1:\(port)\(path)"]
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit { stop() }

    func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: file)
    }

    var text: String { (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }

    /// Every complete event so far (blocks ended by a blank line), comments and retry left out:
    /// `id` is the block's `id:` (empty when it has none).
    var events: [Event] {
        var result: [Event] = []
        let blocks = text.components(separatedBy: "\n\n")
        for block in blocks.dropLast() {
            var event = Event(id: "", event: "", data: "")
            for line in block.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix(":") {
                if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event.event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { event.data = String(line.dropFirst(6)) }
            }
            if !event.event.isEmpty { result.append(event) }
        }
        return result
    }

    /// How many complete events named `event` were received. Cheap enough to poll while
    /// megabytes stream in: only the bytes that arrived since the last call are read and split.
    func count(of event: String) -> Int {
        if let handle = FileHandle(forReadingAtPath: file) {
            defer { try? handle.close() }
            try? handle.seek(toOffset: scanned)
            let fresh = handle.readDataToEndOfFile()
            scanned += UInt64(fresh.count)
            tail.append(fresh)
            let separator = Data("\n\n".utf8), prefix = Data("event: ".utf8)
            var from = tail.startIndex
            while let blank = tail.range(of: separator, in: from..<tail.endIndex) {
                let block = tail[from..<blank.lowerBound]
                for line in block.split(separator: 0x0A) where line.starts(with: prefix) {
                    counts[String(decoding: line.dropFirst(prefix.count), as: UTF8.self), default: 0] += 1
                }
                from = blank.upperBound
            }
            tail = Data(tail[from...])
        }
        return counts[event, default: 0]
    }

    /// The committed entries received (events with an id), by seq.
    var entries: [Event] { events.filter { !$0.id.isEmpty && $0.event != "watching" } }
}
