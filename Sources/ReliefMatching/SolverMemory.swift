#if canImport(Glibc)
import Glibc
#endif

/// One block of memory for all the arrays of a solve, carved in order. A large block is aligned to
/// 2 MiB and marked for transparent huge pages where the system offers them (Linux, `madvise`
/// mode): a network of a million arcs then costs a few page faults instead of thousands, which is
/// a fifth of the whole solve of a province-scale transportation network. A hint only: the memory
/// and its contents are the same either way.
struct SolverMemory {
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let fromMemalign: Bool
    private var used = 0

    static let hugePage = 2 << 20

    /// `bytes`: the sum of `SolverMemory.bytes(_:_:)` of every array that will be taken.
    init(bytes: Int) {
        #if canImport(Glibc)
        if bytes >= SolverMemory.hugePage {
            let rounded = (bytes + SolverMemory.hugePage - 1) / SolverMemory.hugePage * SolverMemory.hugePage
            var block: UnsafeMutableRawPointer?
            if posix_memalign(&block, SolverMemory.hugePage, rounded) == 0, let block {
                _ = madvise(block, rounded, MADV_HUGEPAGE)
                base = block
                size = rounded
                fromMemalign = true
                return
            }
        }
        #endif
        base = .allocate(byteCount: max(bytes, 1), alignment: 64)
        size = max(bytes, 1)
        fromMemalign = false
    }

    /// Room an array of `count` values of `type` takes (with its alignment to a cache line).
    static func bytes<T>(_ type: T.Type, _ count: Int) -> Int {
        MemoryLayout<T>.stride * max(count, 1) + 64
    }

    /// The next `count` values of `type` (uninitialized).
    mutating func take<T>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        used = (used + 63) / 64 * 64
        let pointer = (base + used).bindMemory(to: T.self, capacity: max(count, 1))
        used += MemoryLayout<T>.stride * max(count, 1)
        precondition(used <= size, "solver memory overrun")
        return pointer
    }

    func release() {
        #if canImport(Glibc)
        if fromMemalign { free(base); return }
        #endif
        base.deallocate()
    }
}
