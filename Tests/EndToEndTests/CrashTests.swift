#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ReliefProtocol
import XCTest

/// kill -9 under load, again and again on the same data directory: every acknowledged write
/// survives exactly, nothing unsent appears, multi-lot transfers are all or nothing, and re-sent
/// `req=` tokens apply at most once.
final class CrashTests: EndToEndTestCase {
    static let iterations = 15
    static let threads = 8
    static let maxWritesPerThread = 400    // per iteration; keeps the token count far below the daemon's 100000
    static let window = 8                  // writes pipelined before reading their replies
    static let timeBudget: Double = 120    // stop early (and say so) rather than run away

    private typealias Write = CrashWorkload.Write

    /// Everything sent so far, by token.
    private var sent: [String: Write] = [:]
    /// Token → OK reply text of every write acknowledged (before a crash, or when re-sent).
    private var acknowledged: [String: String] = [:]

    func testKillNineUnderLoadLosesNothingAcknowledged() throws {
        let started = Date()
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        var random = SplitMix64(seed: seed)
        print("crash test seed \(seed)")
        let daemon = try startDaemon()
        do {
            let client = try daemon.connect()
            try addCatalog(client)
            try ok(client, "stock receive wh-a water 20 lot=seed-a")
            try ok(client, "stock receive wh-b water 20 lot=seed-b")
        }
        let seedUnits = 40

        for iteration in 1...CrashTests.iterations {
            if Date().timeIntervalSince(started) > CrashTests.timeBudget {
                XCTFail("crash test stopped after \(iteration - 1) iterations: over its \(Int(CrashTests.timeBudget)) s budget")
                break
            }
            if !daemon.isRunning { try daemon.start() }
            let logs = (0..<CrashTests.threads).map { _ in Locked(CrashClientLog()) }
            let group = DispatchGroup()
            for thread in 0..<CrashTests.threads {
                let socketPath = daemon.socketPath
                let log = logs[thread]
                group.enter()
                Thread {
                    CrashTests.runClient(socketPath: socketPath, iteration: iteration, thread: thread, log: log)
                    group.leave()
                }.start()
            }
            let loadStarted = Date()
            let delay = 50 + Int(random.next() % 351)
            usleep(UInt32(delay * 1000))
            daemon.kill()
            XCTAssertEqual(group.wait(timeout: .now() + 30), .success, "client threads did not finish after the kill")

            var sentNow = 0, ackedNow = 0
            let firstReply = logs.compactMap { $0.current.firstReplyAt }.min().map { Int($0.timeIntervalSince(loadStarted) * 1000) }
            for log in logs {
                let log = log.current
                XCTAssertTrue(log.ending == "killed" || log.ending == "done", "client thread ended with: \(log.ending)")
                for token in log.sent {
                    let (iteration, thread, n) = CrashTests.parse(token)
                    sent[token] = CrashWorkload.write(iteration: iteration, thread: thread, n: n)
                }
                sentNow += log.sent.count
                ackedNow += log.acknowledged.count
                acknowledged.merge(log.acknowledged) { first, _ in first }
            }

            try daemon.start()
            let client = try daemon.connect(timeout: 20)
            // Settled: the start-up snapshot's seal is committed, so it cannot land among the re-sends below.
            let fields = try settledInfo(client)
            XCTAssertEqual(fields["seq"], fields["committed_seq"], "after a restart everything loaded is committed")
            let afterCrash = try check(client, seedUnits: seedUnits, phase: "iteration \(iteration) after kill -9")

            // Re-send every write of this iteration that was not acknowledged: one that was applied
            // answers OK without applying again; one that was not applies now, once.
            let unacknowledged = logs.flatMap { $0.current.sent }.filter { acknowledged[$0] == nil }
            var resentOK = 0, resentRefused = 0
            for batch in stride(from: 0, to: unacknowledged.count, by: 100) {
                let tokens = Array(unacknowledged[batch..<min(batch + 100, unacknowledged.count)])
                try client.send(lines: tokens.map { sent[$0]!.line })
                for token in tokens {
                    let reply = try client.reply(timeout: 20)
                    if reply.isOK {
                        acknowledged[token] = reply.text
                        resentOK += 1
                    } else {
                        XCTAssertEqual(reply.errorCode, "INSUFFICIENT", "re-sent \(sent[token]!.line) → \(reply.text)")
                        resentRefused += 1
                    }
                }
            }
            // Repeat a sample of acknowledged writes: identical replies, nothing applied.
            let seqBefore = try info(client)["seq"]
            let sample = acknowledged.keys.sorted().shuffled(using: &random).prefix(40)
            try client.send(lines: sample.map { sent[$0]!.line })
            for token in sample {
                XCTAssertEqual(try client.reply(timeout: 20).text, acknowledged[token], "repeat of \(token)")
            }
            XCTAssertEqual(try info(client)["seq"], seqBefore, "repeated tokens appended to the journal")
            let afterResend = try check(client, seedUnits: seedUnits, phase: "iteration \(iteration) after re-sending")

            print(String(format: "crash %2d: killed after %3d ms (first reply after %@); sent %4d, acknowledged %4d, in flight and applied %3d, re-sent %3d (ok %3d, insufficient %3d); lots %5d, units %6d, transfers %4d",
                         iteration, delay, firstReply.map { "\($0) ms" } ?? "-", sentNow, ackedNow, afterCrash.inFlightApplied, unacknowledged.count,
                         resentOK, resentRefused, afterResend.lots, afterResend.units, afterResend.transfers))
            if (testRun?.totalFailureCount ?? 0) > 0 { break }
        }

        // Finally a clean stop and start: the same picture.
        let client = try daemon.connect()
        let picture = try client.request("stock lots").text
        client.close()
        try daemon.stop()
        try daemon.start()
        XCTAssertEqual(try daemon.connect().request("stock lots").text, picture)
        print(String(format: "crash test: %.1f s in all", Date().timeIntervalSince(started)))
    }

    /// One client thread: pipelines windows of writes until the daemon dies or its quota is sent.
    private static func runClient(socketPath: String, iteration: Int, thread: Int, log: Locked<CrashClientLog>) {
        let client: Client
        do {
            client = try Client(socketPath: socketPath, timeout: 10)
        } catch {
            // Killed before this thread connected.
            log.withLock { $0.ending = "killed" }
            return
        }
        var n = 0
        do {
            while n < maxWritesPerThread {
                let writes = (n..<min(n + window, maxWritesPerThread)).map {
                    CrashWorkload.write(iteration: iteration, thread: thread, n: $0)
                }
                n += writes.count
                log.withLock { $0.sent += writes.map(\.token) }
                try client.send(lines: writes.map(\.line))
                for write in writes {
                    let reply = try client.reply()
                    log.withLock {
                        if $0.firstReplyAt == nil { $0.firstReplyAt = Date() }
                        if reply.isOK { $0.acknowledged[write.token] = reply.text } else { $0.refused[write.token] = reply.text }
                    }
                }
            }
            log.withLock { $0.ending = "done" }
        } catch Client.Failure.closed {
            log.withLock { $0.ending = "killed" }
        } catch {
            log.withLock { $0.ending = "\(error)" }
        }
    }

    private static func parse(_ token: String) -> (Int, Int, Int) {
        let parts = token.dropFirst().split(separator: "-").map { Int($0)! }
        return (parts[0], parts[1], parts[2])
    }

    private struct Picture {
        var lots = 0
        var units = 0
        var transfers = 0
        var inFlightApplied = 0
    }

    /// Checks the daemon's stock against what was sent and acknowledged.
    private func check(_ client: Client, seedUnits: Int, phase: String) throws -> Picture {
        var picture = Picture()
        // Lots: each of ours holds exactly what was received into it, wherever its units are now.
        var lotTotals: [String: Int] = [:]
        var lotsByWarehouse: [String: Int] = [:]
        for row in try rows(client, "stock lots item=water limit=100000") {
            let units = Int(row["on_hand"] ?? "") ?? -1
            lotTotals[row["lot"] ?? "?", default: 0] += units
            lotsByWarehouse[row["warehouse"] ?? "?", default: 0] += units
        }
        // Lots emptied by transfers in both directions drop out of `stock lots`; none here is ever issued.
        var failures: [String] = []
        for (lot, total) in lotTotals where !lot.hasPrefix("seed-") {
            guard let write = sent[lot] else {
                failures.append("lot \(lot) exists but was never sent")
                continue
            }
            if total != write.quantity { failures.append("lot \(lot) holds \(total) units; \(write.quantity) were received") }
            if acknowledged[lot] == nil { picture.inFlightApplied += 1 }
        }
        for (token, _) in acknowledged {
            guard let write = sent[token], case .receive(let lot) = write.kind else { continue }
            if lotTotals[lot] != write.quantity {
                failures.append("acknowledged receive \(token) (\(write.quantity) units) shows \(lotTotals[lot].map(String.init) ?? "no lot")")
            }
        }
        // Units: transfers conserve them, so the total is the seed plus every receive present.
        let received = lotTotals.keys.filter { !$0.hasPrefix("seed-") }.reduce(0) { $0 + (sent[$1]?.quantity ?? 0) }
        picture.units = lotTotals.values.reduce(0, +)
        picture.lots = lotTotals.count
        if picture.units != seedUnits + received {
            failures.append("\(picture.units) units in all; expected \(seedUnits) seed + \(received) received")
        }
        // `stock query` agrees with the lots.
        for row in try rows(client, "stock query item=water") {
            let warehouse = row["warehouse"] ?? "?"
            if Int(row["on_hand"] ?? "") != lotsByWarehouse[warehouse, default: 0] {
                failures.append("stock query says \(warehouse) holds \(row["on_hand"] ?? "?"); its lots sum to \(lotsByWarehouse[warehouse, default: 0])")
            }
        }
        // Transfers: all of a transfer's per-lot moves or none, out and in alike.
        var outByNote: [String: Int] = [:], inByNote: [String: Int] = [:]
        for warehouse in ["wh-a", "wh-b"] {
            let moves = try rows(client, "stock history warehouse=\(warehouse) item=water limit=100000")
            if moves.count >= 100_000 { failures.append("history of \(warehouse) hit its limit; the check is incomplete") }
            for move in moves {
                guard let note = move["note"], let delta = Int(move["delta"] ?? "") else { continue }
                switch move["kind"] {
                case "transfer_out": outByNote[note, default: 0] -= delta
                case "transfer_in": inByNote[note, default: 0] += delta
                default: failures.append("unexpected move \(move)")
                }
            }
        }
        picture.transfers = outByNote.count
        for (note, units) in outByNote {
            guard let write = sent[note] else {
                failures.append("transfer \(note) applied but never sent")
                continue
            }
            if units != write.quantity || inByNote[note] != write.quantity {
                failures.append("transfer \(note) of \(write.quantity) moved out \(units), in \(inByNote[note] ?? 0): half applied or applied twice")
            }
        }
        for note in inByNote.keys where outByNote[note] == nil { failures.append("transfer \(note) arrived but never left") }
        for (token, _) in acknowledged {
            guard let write = sent[token], case .transfer(let note) = write.kind else { continue }
            if outByNote[note] != write.quantity { failures.append("acknowledged transfer \(token) is missing") }
        }
        for failure in failures.prefix(20) { XCTFail("\(phase): \(failure)") }
        if failures.count > 20 { XCTFail("\(phase): … and \(failures.count - 20) more") }
        return picture
    }
}
