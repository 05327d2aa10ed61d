import Dispatch

/// Row-range parallel loops with a fixed partition, so results never depend on scheduling.
public enum Parallel {
    /// Calls `body(range)` for `chunks` contiguous ranges covering 0..<count.
    /// With `threads` ≤ 1 (or tiny counts) it runs inline. The partition depends only on
    /// `count` and `threads`, and each index is handled by exactly one call.
    @inline(__always)
    public static func forEachChunk(_ count: Int, threads: Int, minimumPerChunk: Int = 1,
                                    _ body: (Range<Int>) -> Void) {
        let chunks = max(1, min(threads, count / max(1, minimumPerChunk)))
        if chunks <= 1 { if count > 0 { body(0..<count) }; return }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}
