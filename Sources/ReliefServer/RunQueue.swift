/// Connections waiting for a turn to run lines or encode a large reply, in the order they get it:
/// first in, first out, except that a client whose bytes just arrived while the turn's budget was
/// spent goes first next turn (it has had no service yet; the busy ones had theirs). Each id is in
/// the queue at most once.
struct RunQueue {
    private var order: [Int] = []
    private var head = 0
    private var members: Set<Int> = []

    var isEmpty: Bool { members.isEmpty }
    var count: Int { members.count }

    mutating func push(_ id: Int, first: Bool = false) {
        guard members.insert(id).inserted else { return }
        if first {
            if head > 0 {
                head -= 1
                order[head] = id
            } else {
                order.insert(id, at: 0)
            }
        } else {
            order.append(id)
        }
    }

    mutating func pop() -> Int? {
        while head < order.count {
            let id = order[head]
            head += 1
            if head == order.count || head > 4096 {
                order.removeFirst(head)
                head = 0
            }
            if members.remove(id) != nil { return id }
        }
        return nil
    }

    /// Forgets `id` (a closed connection); its slot is skipped when reached.
    mutating func remove(_ id: Int) {
        members.remove(id)
    }
}
