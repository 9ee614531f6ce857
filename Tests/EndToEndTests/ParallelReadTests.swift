import Foundation
import XCTest

/// Roster reads answered by the read pool beside the loop (`read_threads`): many clients at once,
/// each client's replies in its order, each read seeing the client's writes before it and none
/// after; a client that does not read its replies is held as any other.
final class ParallelReadTests: EndToEndTestCase {
    private var config: String { Daemon.packageDirectory + "/config" }

    private func daemon(readThreads: Int) throws -> (Daemon, Client) {
        let daemon = try startDaemon(["--demo", "on", "--demo-file", config + "/demo/shanxi.commands", "--demo-volunteers", "3000",
                                      "--catalog-file", config + "/catalog/skills.commands", "--read-threads", String(readThreads)])
        return (daemon, try daemon.connect(timeout: 120))
    }

    /// City centres of the demo operation, far enough apart that each has its own nearest first-aider.
    private static let points = ["37.87,112.55", "40.08,113.30", "37.86,113.58", "36.20,113.12",
                                 "35.50,112.85", "39.33,112.43", "38.42,112.73", "36.09,111.52"]

    private func find(_ point: String) -> String {
        "volunteer find skill=first-aid available near=\(point) radius=60km limit=20"
    }

    /// Eight clients pipeline rounds of: find (their volunteer listed), the volunteer made
    /// unavailable, find (gone), available again, find (back). Returns how many reads the pool answered.
    private func pipelinedRounds(readThreads: Int, rounds: Int = 12) throws -> (pooled: Int, info: [String: String]) {
        let (daemon, admin) = try daemon(readThreads: readThreads)
        var targets: [String] = []
        for point in Self.points {
            let found = try rows(admin, find(point))
            targets.append(try XCTUnwrap(found.first?["volunteer"], "a first-aider near \(point)"))
        }
        XCTAssertEqual(Set(targets).count, targets.count, "each point has its own nearest first-aider")

        let clients = try Self.points.map { _ in try daemon.connect(timeout: 60) }
        for (index, client) in clients.enumerated() {
            var lines: [String] = []
            for _ in 0..<rounds {
                lines += [find(Self.points[index]), "volunteer status \(targets[index]) unavailable reason=drill",
                          find(Self.points[index]), "volunteer status \(targets[index]) available",
                          find(Self.points[index])]
            }
            try client.send(lines: lines)
        }
        for (index, client) in clients.enumerated() {
            let target = targets[index]
            for round in 0..<rounds {
                let listed = try client.reply(timeout: 60)
                let down = try client.reply(timeout: 60)
                let gone = try client.reply(timeout: 60)
                let up = try client.reply(timeout: 60)
                let back = try client.reply(timeout: 60)
                let context = "client \(index) round \(round)"
                XCTAssertEqual(listed.rowFields?.first?["volunteer"], target, "\(context): \(listed.text.prefix(200))")
                XCTAssertTrue(down.isOK, "\(context): \(down.text)")
                XCTAssertFalse(gone.rowFields?.contains { $0["volunteer"] == target } ?? true, "\(context): the read after the write sees it")
                XCTAssertTrue(up.isOK, "\(context): \(up.text)")
                XCTAssertEqual(back.rowFields?.first?["volunteer"], target, "\(context): \(back.text.prefix(200))")
            }
        }
        let fields = try info(admin)
        return (Int(fields["reads_pooled"] ?? "") ?? -1, fields)
    }

    func testReadsOfManyClientsAnsweredBesideTheLoopKeepEachClientsOrderAndSeeItsWrites() throws {
        let (pooled, fields) = try pipelinedRounds(readThreads: 2)
        XCTAssertEqual(fields["read_threads"], "2")
        XCTAssertGreaterThan(pooled, 0, "with eight clients at once, finds go to the read pool")
        XCTAssertEqual(fields["read_queue"], "0", "every read answered")
    }

    func testWithoutReadThreadsTheLoopAnswersEveryRead() throws {
        let (pooled, fields) = try pipelinedRounds(readThreads: 0, rounds: 4)
        XCTAssertEqual(fields["read_threads"], "0")
        XCTAssertEqual(pooled, 0)
    }

    func testAClientThatDoesNotReadIsHeldWhileOthersAreAnswered() throws {
        let (daemon, admin) = try daemon(readThreads: 2)
        let hostile = try daemon.connect(timeout: 60)
        // 1,000 finds (80 KB: the socket takes them all) of ~7 KB replies each (7 MB), none read,
        // while two other clients pipeline theirs at once.
        try hostile.send(lines: Array(repeating: find(Self.points[0]), count: 1000))
        let others = try (0..<2).map { _ in try daemon.connect(timeout: 60) }
        for _ in 0..<20 {
            for (index, client) in others.enumerated() { try client.send(lines: Array(repeating: find(Self.points[index + 1]), count: 8)) }
            for client in others {
                for _ in 0..<8 { XCTAssertNotNil(try client.reply(timeout: 30).rowFields) }
            }
        }
        let fields = try info(admin)
        let held = try XCTUnwrap(Int(fields["output_held_bytes"] ?? ""))
        XCTAssertGreaterThan(held, 0, "the hostile client's replies wait for it")
        XCTAssertLessThan(held, 1 << 20, "its lines stopped running past the soft limit (256 KiB), a reply or so after it")
        XCTAssertEqual(fields["clients_paused"], "1")
        XCTAssertEqual(fields["read_queue"], "0")
    }
}
