import CLibUV
import Foundation

/// CPU work of a PostgreSQL store backend — replaying the journal at load (`PostgresLoad`'s
/// `compute`) — each on a short-lived thread of its own; the value comes back through a mailbox
/// (the loop's wake-up handle) and its completion runs on the loop when the backend drains it.
final class ReplayThreads {
    private struct Done: Sendable {
        var id: Int
        var value: any Sendable
    }

    private let mailbox: LoopMailbox<Done>
    private var waiting: [Int: (any Sendable) -> Void] = [:]
    private var next = 1

    init(wake: UnsafeMutablePointer<uv_async_t>) {
        mailbox = LoopMailbox(wake: wake)
    }

    /// Runs `work` on a thread named reliefd-replay; `done` gets its value on the loop (`drain`).
    func run(_ work: @escaping @Sendable () -> any Sendable, then done: @escaping (any Sendable) -> Void) {
        let id = next
        next += 1
        waiting[id] = done
        let mailbox = self.mailbox
        let thread = Thread { mailbox.post(Done(id: id, value: work())) }
        thread.name = "reliefd-replay"
        thread.start()
    }

    /// On the loop: completes every work whose value came back.
    func drain() {
        for done in mailbox.drain() { waiting.removeValue(forKey: done.id)?(done.value) }
    }
}
