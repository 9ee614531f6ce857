/// An append-only list whose copies share all but its last, partly filled chunk.
///
/// The state is a value the loop hands to the snapshot writer as a copy; with a plain Array, the
/// first append after that copy duplicates the whole history (a million stock moves, their
/// strings retained one by one) on the loop, and every doubling of its capacity moves it all.
/// Here full chunks are never written again: a copy shares them, and an append after a copy
/// duplicates at most one chunk of `chunkSize` elements and, when a chunk fills, the array of
/// chunk references (a thousandth of the elements).
public struct ChunkedList<Element>: RandomAccessCollection {
    public static var chunkSize: Int { 1024 }

    /// Full chunks, each of exactly `chunkSize` elements, never changed once here.
    private var full: [[Element]] = []
    /// The last chunk, with fewer than `chunkSize` elements.
    private var tail: [Element] = []
    /// Elements of the first full chunk already removed (`removeFirst`), fewer than `chunkSize`.
    private var offset = 0

    public init() {}

    public init<S: Sequence>(_ elements: S) where S.Element == Element {
        for element in elements { append(element) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { full.count * Self.chunkSize + tail.count - offset }
    public var count: Int { endIndex }

    public subscript(position: Int) -> Element {
        precondition(position >= 0 && position < endIndex, "ChunkedList index \(position) out of range 0..<\(endIndex)")
        let shifted = position + offset
        let chunk = shifted / Self.chunkSize
        return chunk < full.count ? full[chunk][shifted % Self.chunkSize] : tail[shifted - full.count * Self.chunkSize]
    }

    /// Removes the first `k` elements: whole chunks are let go (shared chunks stay with the copies
    /// that hold them), a partly removed first chunk is skipped by an offset.
    public mutating func removeFirst(_ k: Int) {
        precondition(k >= 0 && k <= count, "ChunkedList cannot remove \(k) of \(count) elements")
        guard k > 0 else { return }
        offset += k
        let whole = Swift.min(offset / Self.chunkSize, full.count)
        if whole > 0 {
            full.removeFirst(whole)
            offset -= whole * Self.chunkSize
        }
        if full.isEmpty && offset > 0 {
            tail.removeFirst(offset)
            offset = 0
        }
    }

    public mutating func append(_ element: Element) {
        if tail.isEmpty { tail.reserveCapacity(Self.chunkSize) }
        tail.append(element)
        if tail.count == Self.chunkSize {
            full.append(tail)
            tail = []
        }
    }

    public mutating func removeAll() {
        full = []
        tail = []
        offset = 0
    }
}

extension ChunkedList: Sendable where Element: Sendable {}

extension ChunkedList: Equatable where Element: Equatable {
    public static func == (lhs: ChunkedList, rhs: ChunkedList) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }
}

extension ChunkedList: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Element...) { self.init(elements) }
}
