#if canImport(CMalloc)
import CMalloc
#endif

/// How the daemon's memory goes back to the system (glibc malloc).
///
/// Loading a store parses a snapshot of tens of megabytes and builds the state beside it; a
/// snapshot taken later encodes the whole state into one buffer again. Left to its defaults, glibc
/// raises its mmap threshold after the first such buffer is freed, so the next ones come from the
/// heap, and the freed space in the middle of the heap stays in the process: 35 MB of a start on
/// 100,000 volunteers, and more after each snapshot. So:
/// - `configure()` fixes the threshold at 1 MiB: every block of a megabyte or more (snapshot and
///   import buffers, the tables of large maps) is a mapping of its own, returned when freed;
/// - `returnFreed()` hands back what the heap holds free once, after the load and before serving.
///   It is not called while serving: trimming holds the allocator's lock while it walks the heap,
///   which would stall the loop.
enum ProcessMemory {
    static let mmapThreshold: Int32 = 1 << 20

    static func configure() {
        #if canImport(CMalloc)
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
        #endif
    }

    static func returnFreed() {
        #if canImport(CMalloc)
        _ = malloc_trim(0)
        #endif
    }
}
