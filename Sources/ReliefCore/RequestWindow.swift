import ReliefLimits

/// The `req=` tokens the daemon remembers, keyed by (scope, token): each client has its own
/// tokens, so no client can claim, answer or flush another's.
///
/// Bounded twice. Per scope, the newest `perScope` tokens are kept (a client's own older tokens
/// are forgotten first). In all, at most `total`: past that, the oldest token of the scope holding
/// the most tokens is forgotten (of equally large scopes, the one whose oldest token is oldest), so
/// a flood — from one client or from many — forgets its own tokens long before a quiet client's.
/// Which token goes depends only on the tokens remembered, never on timing or hashing, so replay
/// and a snapshot rebuild exactly the window the running daemon had.
public struct RequestWindow: Sendable {
    /// Tokens one client keeps: its last 10,000 writes with `req=` can be retried.
    public static let perScopeCapacity = Limits.requestTokensPerClient
    /// Tokens kept in all; with replies capped at `maxReplyBytes`, about 1.3 GB at the very worst
    /// (typical replies are tens of bytes: a few hundred MB).
    public static let totalCapacity = Limits.requestTokens
    /// Longest reply remembered for a retry (the engine shortens longer ones, marked `truncated=yes`).
    public static let maxReplyBytes = Limits.rememberedReplyBytes

    public let perScope: Int
    public let total: Int
    public private(set) var count = 0

    private struct Key: Hashable {
        var scope: String?
        var token: String
    }

    /// One scope's tokens, oldest first, and where the scope sits in `heap`.
    private struct Queue {
        var tokens: [(token: String, seq: Int64)] = []
        var head = 0
        var heapIndex = 0
        var count: Int { tokens.count - head }
        var oldestSeq: Int64 { tokens[head].seq }

        mutating func popOldest() -> String {
            let token = tokens[head].token
            head += 1
            // Compact now and then so a long-lived scope's array does not grow forever.
            if head >= 64 && head * 2 >= tokens.count {
                tokens.removeFirst(head)
                head = 0
            }
            return token
        }
    }

    private var remembered: [Key: RememberedRequest] = [:]
    private var queues: [String?: Queue] = [:]
    /// Every scope, as a binary heap whose top is the scope to forget from first (`precedes`).
    private var heap: [String?] = []

    public init(perScope: Int = RequestWindow.perScopeCapacity, total: Int = RequestWindow.totalCapacity) {
        precondition(perScope >= 1 && total >= 1, "a request window holds at least one token")
        self.perScope = perScope
        self.total = total
    }

    /// The token as remembered for `scope`; a token from an old unscoped snapshot answers any scope.
    public func lookup(scope: String, token: String) -> RememberedRequest? {
        if let found = remembered[Key(scope: scope, token: token)] { return found }
        guard queues[nil as String?] != nil else { return nil }
        return remembered[Key(scope: nil, token: token)]
    }

    /// How many tokens `scope` holds (nil: the unscoped tokens of an old snapshot).
    public func count(of scope: String?) -> Int { queues[scope]?.count ?? 0 }

    /// `scope`'s tokens, oldest first.
    public func tokens(of scope: String?) -> [String] {
        guard let queue = queues[scope] else { return [] }
        return queue.tokens[queue.head...].map(\.token)
    }

    /// Every remembered token: the unscoped ones first, then scope by scope in name order, each
    /// scope's oldest first. Remembering them in this order into an empty window rebuilds this one.
    public var all: [RememberedRequest] {
        var out: [RememberedRequest] = []
        out.reserveCapacity(count)
        let scopes = queues.keys.sorted { a, b in
            guard let a else { return b != nil }
            guard let b else { return false }
            return a < b
        }
        for scope in scopes {
            let queue = queues[scope]!
            for slot in queue.tokens[queue.head...] { out.append(remembered[Key(scope: scope, token: slot.token)]!) }
        }
        return out
    }

    /// Remembers one token as the newest of its scope, forgetting what the bounds require. A token
    /// the scope already holds is replaced (only journals written before tokens were scoped and
    /// hashed can repeat one: their global window had forgotten it already).
    public mutating func remember(_ request: RememberedRequest) {
        let key = Key(scope: request.scope, token: request.token)
        if remembered[key] != nil { forget(key) }
        remembered[key] = request
        if queues[request.scope] == nil {
            heap.append(request.scope)
            queues[request.scope] = Queue(heapIndex: heap.count - 1)
        }
        queues[request.scope]!.tokens.append((request.token, request.seq))
        count += 1
        siftUp(queues[request.scope]!.heapIndex)
        if queues[request.scope]!.count > perScope { forgetOldest(of: request.scope) }
        if count > total, let largest = heap.first { forgetOldest(of: largest) }
    }

    // MARK: forgetting

    private mutating func forgetOldest(of scope: String?) {
        let token = queues[scope]!.popOldest()
        remembered[Key(scope: scope, token: token)] = nil
        count -= 1
        if queues[scope]!.count == 0 {
            removeScope(scope)
        } else {
            // Fewer tokens and a younger oldest one: it can only move down.
            siftDown(queues[scope]!.heapIndex)
        }
    }

    private mutating func forget(_ key: Key) {
        remembered[key] = nil
        count -= 1
        var queue = queues.removeValue(forKey: key.scope)!
        let index = queue.tokens[queue.head...].firstIndex { $0.token == key.token }!
        queue.tokens.remove(at: index)
        queues[key.scope] = queue
        if queue.count == 0 {
            removeScope(key.scope)
        } else {
            siftDown(queue.heapIndex)
            siftUp(queues[key.scope]!.heapIndex)
        }
    }

    private mutating func removeScope(_ scope: String?) {
        let index = queues.removeValue(forKey: scope)!.heapIndex
        let last = heap.count - 1
        if index != last {
            heap[index] = heap[last]
            queues[heap[index]]!.heapIndex = index
        }
        heap.removeLast()
        if index < heap.count {
            siftDown(index)
            siftUp(queues[heap[index]]!.heapIndex)
        }
    }

    // MARK: the heap of scopes

    /// Whether `a` is forgotten from before `b`: more tokens first, then the older oldest token,
    /// then (never needed while seqs are unique) the name, so the order is total.
    private func precedes(_ a: String?, _ b: String?) -> Bool {
        let qa = queues[a]!, qb = queues[b]!
        if qa.count != qb.count { return qa.count > qb.count }
        if qa.oldestSeq != qb.oldestSeq { return qa.oldestSeq < qb.oldestSeq }
        guard let a else { return b != nil }
        guard let b else { return false }
        return a < b
    }

    private mutating func swapHeap(_ i: Int, _ j: Int) {
        heap.swapAt(i, j)
        queues[heap[i]]!.heapIndex = i
        queues[heap[j]]!.heapIndex = j
    }

    private mutating func siftUp(_ start: Int) {
        var index = start
        while index > 0 {
            let parent = (index - 1) / 2
            guard precedes(heap[index], heap[parent]) else { return }
            swapHeap(index, parent)
            index = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var index = start
        while true {
            var best = index
            let left = 2 * index + 1, right = left + 1
            if left < heap.count && precedes(heap[left], heap[best]) { best = left }
            if right < heap.count && precedes(heap[right], heap[best]) { best = right }
            guard best != index else { return }
            swapHeap(index, best)
            index = best
        }
    }
}
