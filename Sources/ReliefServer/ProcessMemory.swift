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
/// - `returnFreed()` hands back what the heap holds free: after the load, before serving; and once
///   more when the writer has compared the current-state tables with the state (SQLite's page
///   cache filled with every table's pages and let go of them, ~10 MB at 100,000 volunteers
///   left free in the writer's heap). Not otherwise while serving: trimming holds each arena's
///   lock while it walks it, the loop's too (2.5–3.6 ms at 100,000 volunteers, logged by the
///   writer as `trim_us`), so it is done once, after a start, and never per request.
public enum ProcessMemory {
    public static let mmapThreshold: Int32 = 1 << 20

    public static func configure() {
        #if canImport(CMalloc)
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
        #endif
    }

    public static func returnFreed() {
        #if canImport(CMalloc)
        _ = malloc_trim(0)
        #endif
    }
}
