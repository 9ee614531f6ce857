/// Connections waiting for a turn to run lines or encode a large reply. Two lines, taken in turn:
/// `fresh` — clients whose bytes arrived while the loop turn's budget was spent and that have had
/// no service for them yet (a ping behind a flood) — and `continuing` — clients that were served
/// and have more (a flood, a long pipeline). Alternating keeps a ping from waiting behind every
/// flood, and a continuing client from waiting behind an endless stream of fresh ones: each line
/// is first in, first out, and neither can starve the other. Each id is queued at most once.
struct RunQueue {
    private var fresh = IDQueue()
    private var continuing = IDQueue()
    private var members: Set<Int> = []
    /// Whose turn it is when both lines have someone.
    private var freshNext = true

    var isEmpty: Bool { members.isEmpty }
    var count: Int { members.count }

    mutating func push(_ id: Int, fresh isFresh: Bool = false) {
        guard members.insert(id).inserted else { return }
        if isFresh { fresh.append(id) } else { continuing.append(id) }
    }

    mutating func pop() -> Int? {
        while !members.isEmpty, !(fresh.isEmpty && continuing.isEmpty) {
            let useFresh = (freshNext && !fresh.isEmpty) || continuing.isEmpty
            freshNext.toggle()
            guard let id = useFresh ? fresh.popFirst() : continuing.popFirst() else { continue }
            if members.remove(id) != nil { return id }
        }
        return nil
    }

    /// Forgets `id` (a closed connection); its place is skipped when reached.
    mutating func remove(_ id: Int) {
        members.remove(id)
    }

    /// A first-in, first-out line of ids (ring buffer over an array).
    private struct IDQueue {
        private var items: [Int] = []
        private var head = 0
        var isEmpty: Bool { head == items.count }

        mutating func append(_ id: Int) { items.append(id) }

        mutating func popFirst() -> Int? {
            guard head < items.count else { return nil }
            let id = items[head]
            head += 1
            if head == items.count || head > 4096 {
                items.removeFirst(head)
                head = 0
            }
            return id
        }
    }
}
