/// What happens next in a drill: events ordered by (time, phase, sequence). The sequence is the
/// order they were scheduled in, so the order never depends on anything but the drill itself.
/// Checks of expectations run after everything else at their minute (`Phase.check`), and the end
/// after those.
struct DrillAgenda {
    enum Phase: Int, Comparable {
        case act = 0, check, end
        static func < (a: Phase, b: Phase) -> Bool { a.rawValue < b.rawValue }
    }

    enum Action: Equatable {
        /// `Scenario.injects[index]`.
        case inject(Int)
        /// The officer's `plan` (and the next one scheduled).
        case plan
        case apply(plan: String)
        case dispatch(allocation: String)
        case deliver(allocation: String)
        case setOff(assignment: String)
        case arrive(assignment: String)
        case release(assignment: String, reason: String)
        /// The deadline of `Scenario.expectations[index]`.
        case check(Int)
        case end
    }

    struct Event {
        var time: Int64
        var phase: Phase
        var sequence: Int
        var action: Action

        func precedes(_ other: Event) -> Bool {
            (time, phase.rawValue, sequence) < (other.time, other.phase.rawValue, other.sequence)
        }
    }

    /// A binary heap on `precedes`.
    private var heap: [Event] = []
    private var nextSequence = 0

    var first: Event? { heap.first }
    var isEmpty: Bool { heap.isEmpty }

    mutating func schedule(_ action: Action, at time: Int64, phase: Phase = .act) {
        heap.append(Event(time: time, phase: phase, sequence: nextSequence, action: action))
        nextSequence += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() -> Event? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count, heap[right].precedes(heap[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }

    mutating func removeAll() { heap.removeAll() }
}
