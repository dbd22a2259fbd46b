#if os(Linux)
import CMalloc
#endif

/// How a long-running engine keeps its memory flat. Every recording allocates its frame, audio and
/// log rings (megabytes each) and frees them when it stops. glibc serves blocks that large with mmap
/// and gives them back on free, but only until the first one is freed: then it raises its mmap
/// threshold to that size and serves the next ones from the heap, where freed space stays resident.
/// Over a set of many record cycles the engine's memory grew a few megabytes each time (`bench soak`
/// showed +5 % in three minutes). Fixing the threshold keeps large blocks on mmap for good.
public enum MemoryPolicy {
    /// Blocks of at least `threshold` bytes are mapped on their own and unmapped when freed.
    public static func returnLargeBlocksToTheSystem(threshold: Int32 = 512 * 1024) {
        #if os(Linux)
        _ = lvj_set_mmap_threshold(threshold)
        _ = lvj_set_trim_threshold(2 * threshold)
        #endif
    }
}
