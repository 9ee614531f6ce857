import CLibUV
import Foundation

/// Where a thread hands results to the loop: `post` appends under a lock and wakes the loop with
/// `uv_async_send` (which coalesces wake-ups, so the loop's callback drains everything posted).
/// The writer, the offload thread and each drill's thread meet the loop only here.
final class LoopMailbox<Item: Sendable>: @unchecked Sendable {
    // @unchecked: `items` is guarded by `lock`; `wake` is only passed to uv_async_send, which may
    // be called from any thread.
    private let lock = NSLock()
    private var items: [Item] = []
    private var closed = false
    private let wake: UnsafeMutablePointer<uv_async_t>

    init(wake: UnsafeMutablePointer<uv_async_t>) {
        self.wake = wake
    }

    /// Any thread. False once the mailbox is closed (the loop's handle is going away): the item
    /// was not taken, and the sender answers for it.
    @discardableResult
    func post(_ item: Item) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return false }
        items.append(item)
        // Under the lock, so `close` returning means no wake-up can follow it.
        uv_async_send(wake)
        return true
    }

    /// The loop thread, before it closes the wake-up handle: nothing more is posted.
    func close() {
        lock.lock()
        closed = true
        lock.unlock()
    }

    /// The loop thread: everything posted so far, in order.
    func drain() -> [Item] {
        lock.lock()
        defer { lock.unlock() }
        let taken = items
        items.removeAll(keepingCapacity: true)
        return taken
    }
}
