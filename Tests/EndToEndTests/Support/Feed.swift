import Foundation
import ReliefProtocol
import XCTest

/// Reading the event feed (`watch`) in end-to-end tests.
extension EndToEndTestCase {
    /// Kinds that are not on the feed (they change nothing an operator follows).
    static let offFeed: Set<String> = ["request.completed", "snapshot.sealed"]

    /// Reads pushed lines from `client` until one has seq `last` (or fails after `timeout`).
    func events(_ client: Client, through last: Int, timeout: Double = 20) throws -> [[String: String]] {
        var seen: [[String: String]] = []
        let deadline = Date().addingTimeInterval(timeout)
        while seen.last.flatMap({ Int($0["seq"] ?? "") }) ?? 0 < last {
            guard Date() < deadline else { throw Daemon.Failure("no event with seq \(last) within \(timeout) s; saw \(seen.count): \(seen.suffix(3))") }
            let reply = try client.reply(timeout: deadline.timeIntervalSinceNow)
            guard let fields = reply.pushedFields else { throw Daemon.Failure("expected a feed line, got \(reply.text)") }
            if fields["type"] == "EVENT" { seen.append(fields) }
        }
        return seen
    }

    /// The journal's entries on the feed, by seq, read with `audit log` (limit: all of them).
    func journal(_ client: Client, after: Int = 0) throws -> [(seq: Int, kind: String)] {
        try rows(client, "audit log limit=100000").compactMap { row in
            guard let seq = Int(row["seq"] ?? ""), seq > after, let kind = row["kind"], !EndToEndTestCase.offFeed.contains(kind) else { return nil }
            return (seq, kind)
        }
    }
}
