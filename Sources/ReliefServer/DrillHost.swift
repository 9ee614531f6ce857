import CLibUV
import Foundation
import Logging
import ReliefCore
import ReliefEngine
import ReliefProtocol
import ReliefLimits

/// Online drills beside live operation (docs/drills.md "Online"): `drill start NAME`, `list`,
/// `status`, `pause`, `resume`, `stop`, `ask`, `inject`, `report`. Each drill is a `DrillWorker` on
/// a thread of its own with its own engine, clock and journal; the live state is only read, once,
/// when a drill starts `from live`, and written once, when such a drill ends: the record that its
/// teams and volunteers took part (`drill record`). Loop thread only.
final class DrillHost {
    private struct Drill {
        let worker: DrillWorker
        var status: DrillWorker.Status
        var finished = false
        var report: String?
        /// The client waiting for `drill start`'s answer.
        var starter: Int?
        let startedAt: Timestamp
    }

    unowned let server: Server
    private let events: UnsafeMutablePointer<uv_async_t>
    private var drills: [String: Drill] = [:]
    /// Drills in the order they started, for `drill list` and for forgetting the oldest finished.
    private var order: [String] = []
    private var nextNumber = 1
    /// Questions, injects and reports sent to a drill, by ticket: the client waiting for the answer.
    private var tickets: [Int: (connection: Int, drill: String)] = [:]
    private var nextTicket = 1
    /// Finished drills kept for `drill status` and `drill report`.
    static let finishedKept = 16

    init(server: Server, loop: UnsafeMutablePointer<uv_loop_t>) {
        self.server = server
        events = UV.allocate(uv_async_t.self)
    }

    /// Sets up the handle drills wake the loop with (Server.run, before the loop runs).
    func open(loop: UnsafeMutablePointer<uv_loop_t>) throws {
        do {
            try UV.open(events, owner: self, "uv_async_init") { uv_async_init(loop, $0) { UV.owner(of: $0, as: DrillHost.self).drain() } }
        } catch {
            UV.free(events)
            throw error
        }
        opened = true
    }

    /// The wake-up handle was opened (it is then closed by `close`, which frees it).
    private var opened = false

    /// Drills loading, running or paused.
    var active: Int { drills.values.filter { !$0.finished }.count }

    /// Whether `request` is one of the online drill commands (`drill record` is the engine's).
    static func handles(_ request: Request) -> Bool {
        guard request.words.count >= 2, request.word(0, is: "drill") else { return false }
        return ["start", "list", "status", "pause", "resume", "stop", "ask", "inject", "report"].contains { request.word(1, is: $0) }
    }

    // MARK: commands

    func handle(_ request: Request, from connection: Connection) {
        let verb = request.words[1].lowercased()
        do {
            switch verb {
            case "start": try start(request, from: connection)
            case "list":
                try expect(request, words: 2, options: [])
                connection.send(.rows(order.compactMap { id in drills[id].map { fields(id, $0) } }), waitSeq: 0)
            case "status":
                try expect(request, words: 3, options: [])
                let id = request.words[2]
                connection.send(.ok(fields(id, try drill(id))), waitSeq: 0)
            case "pause", "resume", "stop":
                try expect(request, words: 3, options: verb == "resume" ? ["speed"] : [])
                let id = request.words[2]
                let current = try running(id)
                var command = DrillWorker.Command.pause
                if verb == "resume" { command = .resume(try request.option("speed").map(DrillHost.speed)) }
                if verb == "stop" { command = .stop }
                guard current.worker.send(command) else { throw RequestError(.limit, "drill \(id) has too many commands waiting; try again") }
                connection.send(.ok(["drill": id, verb == "stop" ? "stopping" : "state": verb == "pause" ? "paused" : verb == "resume" ? "running" : "yes",
                                     "exercise": "yes"]), waitSeq: 0)
            case "ask", "inject":
                guard request.words.count >= 4 else {
                    throw RequestError(.syntax, "usage: drill \(verb) DRILL COMMAND…; e.g. drill \(verb) d-1 \(verb == "ask" ? "stock query item=water-5l" : "stock receive ty-01 water-5l 500")")
                }
                let id = request.words[2]
                let current = try running(id)
                let line = DrillHost.line(words: Array(request.words[3...]), options: request.options)
                let ticket = nextTicket
                nextTicket += 1
                guard current.worker.send(verb == "ask" ? .ask(line, ticket: ticket) : .inject(line, ticket: ticket)) else {
                    throw RequestError(.limit, "drill \(id) has too many commands waiting; try again")
                }
                tickets[ticket] = (connection.id, id)
                connection.block()
            case "report":
                try expect(request, words: 3, options: [])
                let id = request.words[2]
                let current = try drill(id)
                if current.finished {
                    guard let report = current.report else { throw RequestError(.unavailable, "drill \(id)'s report could not be written; see the log") }
                    connection.send(.ok(["drill": id, "report": report + "/report.html", "json": report + "/report.json", "exercise": "yes"]), waitSeq: 0)
                    return
                }
                let ticket = nextTicket
                nextTicket += 1
                guard current.worker.send(.report(ticket: ticket)) else { throw RequestError(.limit, "drill \(id) has too many commands waiting; try again") }
                tickets[ticket] = (connection.id, id)
                connection.block()
            default:
                throw RequestError(.syntax, "unknown drill command \"\(request.words[1])\"")
            }
        } catch let error as RequestError {
            connection.send(.error(error.code, error.message), waitSeq: 0)
        } catch {
            connection.send(.error(.internal, "\(error)"), waitSeq: 0)
        }
    }

    private func start(_ request: Request, from connection: Connection) throws {
        try expect(request, words: 3, options: ["speed", "id"])
        let configuration = server.configuration
        let name = request.words[2]
        guard DrillHost.isName(name) else {
            throw RequestError(.syntax, "bad scenario name \"\(name)\"; expected the name of a file in drills_dir (\(configuration.drillsDir)) such as fen-river-flood")
        }
        var path = configuration.drillsDir + "/" + name
        if !FileManager.default.fileExists(atPath: path), FileManager.default.fileExists(atPath: path + ".drill") { path += ".drill" }
        guard FileManager.default.fileExists(atPath: path) else {
            throw RequestError(.notFound, "no scenario \(name) in drills_dir (\(configuration.drillsDir)); expected one of: "
                               + DrillHost.scenarios(in: configuration.drillsDir).joined(separator: ", "))
        }
        let speed = try request.option("speed").map(DrillHost.speed) ?? .times(60)
        var id: String
        if let given = request.option("id") {
            guard DrillHost.isName(given) else { throw RequestError(.syntax, "bad drill id \"\(given)\"; expected letters, digits, '.', '_' or '-'") }
            guard drills[given] == nil, !FileManager.default.fileExists(atPath: reportDirectory(given)) else {
                throw RequestError(.conflict, "drill \(given) exists (or its report in \(reportDirectory(given))); choose another id=")
            }
            id = given
        } else {
            // Numbers restart with the daemon: skip those whose report is already on disk.
            repeat {
                id = "d-\(nextNumber)"
                nextNumber += 1
            } while drills[id] != nil || FileManager.default.fileExists(atPath: reportDirectory(id))
        }
        guard active < configuration.maxDrills else {
            throw RequestError(.limit, "\(active) drills are running (max_drills \(configuration.maxDrills)); stop one first (drill list)")
        }
        let setup = DrillWorker.Setup(id: id, path: path, speed: speed, catalogFile: configuration.catalogFile, live: server.engine.state,
                                      planningStandards: server.engine.planningStandards, matchingPolicy: server.engine.matchingPolicy,
                                      timeZone: server.engine.timeZone, reportDirectory: reportDirectory(id))
        let worker = DrillWorker(setup: setup, wakeLoop: events)
        var status = DrillWorker.Status()
        status.speed = speed
        drills[id] = Drill(worker: worker, status: status, starter: connection.id, startedAt: Clock.system.now())
        order.append(id)
        forgetOldFinished()
        connection.block()
        server.logger.notice("drill starting", metadata: ["drill": "\(id)", "scenario": "\(path)", "speed": "\(speed)", "exercise": "true"])
        worker.start()
    }

    // MARK: events from the workers

    private func drain() {
        for id in order {
            guard let worker = drills[id]?.worker else { continue }
            for event in worker.drainEvents() { apply(event, of: id) }
        }
        server.drillsChanged()
    }

    private func apply(_ event: DrillWorker.Event, of id: String) {
        guard var drill = drills[id] else { return }
        switch event {
        case .started(let status):
            drill.status = status
            if let starter = drill.starter, let connection = server.connection(starter) {
                connection.send(.ok(["drill": id, "scenario": status.scenario, "from": status.from, "clock": status.clock,
                                     "end": DrillHost.time(status.endMinute), "speed": status.speed.description, "exercise": "yes"]), waitSeq: 0)
                connection.unblock()
            }
            drill.starter = nil
            server.logger.notice("drill started", metadata: ["drill": "\(id)", "scenario": "\(status.scenario)", "exercise": "true"])
        case .failed(let errors):
            drill.finished = true
            drill.status.state = "failed"
            if let starter = drill.starter, let connection = server.connection(starter) {
                connection.send(.error(.syntax, "\(errors.count) error\(errors.count == 1 ? "" : "s") in the scenario; it does not start: "
                                       + errors.joined(separator: "; ")), waitSeq: 0)
                connection.unblock()
            }
            drill.starter = nil
            drills[id] = drill
            // A drill that never started leaves nothing to look at.
            drills[id] = nil
            order.removeAll { $0 == id }
            return
        case .progress(let status):
            drill.status = status
        case .reply(let ticket, let reply):
            if let waiting = tickets.removeValue(forKey: ticket), let connection = server.connection(waiting.connection) {
                connection.send(reply, waitSeq: 0)
                connection.unblock()
            }
        case .finished(let status, let directory, let writeError, let teams, let volunteers):
            drill.status = status
            drill.status.state = status.state == "finished" && status.minute < status.endMinute ? "stopped" : "finished"
            drill.finished = true
            drill.report = directory
            if let writeError {
                server.logger.warning("drill report not written", metadata: ["drill": "\(id)", "error": "\(writeError)", "exercise": "true"])
            }
            server.logger.notice("drill over", metadata: [
                "drill": "\(id)", "scenario": "\(status.scenario)", "held": "\(status.held)", "failed": "\(status.failed)",
                "report": "\(directory ?? "-")", "exercise": "true",
            ])
            // Only a drill on the live roster's own people is a drill they took part in.
            if status.from == "live", !teams.isEmpty || !volunteers.isEmpty {
                server.recordDrill(id: id, scenario: status.scenario, teams: teams, volunteers: volunteers)
            }
            // Commands sent after its end are not answered by it: answer them here.
            for (ticket, waiting) in tickets where waiting.drill == id {
                tickets[ticket] = nil
                if let connection = server.connection(waiting.connection) {
                    connection.send(.error(.conflict, "drill \(id) is over (\(drill.status.state)); drill report \(id) gives its report"), waitSeq: 0)
                    connection.unblock()
                }
            }
        }
        drills[id] = drill
    }

    /// Stops every drill (at shutdown); `active` reaches 0 as they finish.
    func stopAll() {
        for drill in drills.values where !drill.finished { _ = drill.worker.send(.stop) }
    }

    func close() {
        guard opened else { return }
        opened = false
        UV.close(events)
    }

    // MARK: helpers

    private func drill(_ id: String) throws -> Drill {
        guard let drill = drills[id] else {
            throw RequestError(.notFound, "drill \(id) not found; drill list shows the drills")
        }
        return drill
    }

    private func running(_ id: String) throws -> Drill {
        let drill = try drill(id)
        guard !drill.finished else { throw RequestError(.conflict, "drill \(id) is over (\(drill.status.state)); drill report \(id) gives its report") }
        guard drill.starter == nil else { throw RequestError(.conflict, "drill \(id) is still loading; try again in a moment") }
        return drill
    }

    private func fields(_ id: String, _ drill: Drill) -> Fields {
        let status = drill.status
        var fields: Fields = ["drill": id, "scenario": status.scenario, "state": status.state, "exercise": "yes"]
        fields.append("at", DrillHost.time(status.minute))
        fields.append("end", DrillHost.time(status.endMinute))
        fields.append("speed", status.speed.description)
        fields.append("from", status.from)
        fields.append("injects", String(status.injects))
        fields.append("plans", String(status.plans))
        fields.append("open_needs", String(status.needsOpen))
        fields.append("held", String(status.held))
        fields.append("failed", String(status.failed))
        fields.append("pending", String(status.pending))
        fields.append("started", drill.startedAt.iso8601)
        fields.append("report", drill.report.map { $0 + "/report.html" } ?? "")
        fields.append("last", status.lastLog)
        return fields
    }

    private func reportDirectory(_ id: String) -> String { server.configuration.dataDir + "/drills/" + id }

    private func forgetOldFinished() {
        let finished = order.filter { drills[$0]?.finished == true }
        guard finished.count > DrillHost.finishedKept else { return }
        for id in finished.prefix(finished.count - DrillHost.finishedKept) {
            drills[id] = nil
            order.removeAll { $0 == id }
        }
    }

    private func expect(_ request: Request, words: Int, options: Set<String>) throws {
        guard request.words.count == words else {
            throw RequestError(.syntax, "usage: " + DrillHost.usage[request.words[1].lowercased()]!)
        }
        for option in request.options where !options.contains(option.key) {
            throw RequestError(.syntax, "unknown option \(option.key)=; usage: " + DrillHost.usage[request.words[1].lowercased()]!)
        }
    }

    static let usage: [String: String] = [
        "start": "drill start SCENARIO [speed=N|max] [id=ID]", "list": "drill list", "status": "drill status DRILL",
        "pause": "drill pause DRILL", "resume": "drill resume DRILL [speed=N|max]", "stop": "drill stop DRILL",
        "ask": "drill ask DRILL COMMAND…", "inject": "drill inject DRILL COMMAND…", "report": "drill report DRILL",
    ]

    static func speed(_ text: String) throws -> DrillWorker.Speed {
        if text == "max" { return .max }
        guard let factor = Double(text), factor.isFinite, Limits.drillSpeed.contains(factor) else {
            throw RequestError(.syntax, "bad speed \"\(text)\"; expected max or a number from 0.01 to 100000 (drill minutes per wall minute)")
        }
        return .times(factor)
    }

    /// A scenario or drill name: letters, digits, '.', '_' and '-', not starting with '.', at most
    /// 64 bytes — never a path, so `drill start` reads only files in drills_dir.
    static func isName(_ text: String) -> Bool {
        guard let first = text.utf8.first, first != UInt8(ascii: "."), text.utf8.count <= 64 else { return false }
        return text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A) || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    static func time(_ minute: Int) -> String {
        String(format: "T+%02d:%02d", minute / 60, minute % 60)
    }

    /// The request line of a drill's `ask` or `inject`: the words and options after the drill id.
    static func line(words: [String], options: [Request.Option]) -> String {
        (words.map(TextEncoder.quoteArgument) + options.map { TextEncoder.quoteArgument($0.key + "=" + $0.value) }).joined(separator: " ")
    }

    static func scenarios(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".drill") }
            .map { String($0.dropLast(6)) }.sorted()
    }
}
