import Dispatch

/// Row-range parallel loops with a fixed partition, so results never depend on scheduling.
public enum Parallel {
    /// Calls `body(range)` for `chunks` contiguous ranges covering 0..<count, on `WorkerTeam`
    /// (chunk c on the same thread in every call while the workers are awake; Dispatch when the team
    /// is busy, as in a nested call). With `threads` ≤ 1 (or tiny counts) it runs inline. The
    /// partition depends only on `count` and `threads`, and each index is handled by exactly one call.
    @inline(__always)
    public static func forEachChunk(_ count: Int, threads: Int, minimumPerChunk: Int = 1,
                                    _ body: (Range<Int>) -> Void) {
        let chunks = chunkCount(count, threads: threads, minimumPerChunk: minimumPerChunk)
        if chunks <= 1 { if count > 0 { body(0..<count) }; return }
        let chunk = { (c: Int) in
            let range = chunkRange(c, of: chunks, count: count)
            if !range.isEmpty { body(range) }
        }
        if WorkerTeam.shared.run(chunks: chunks, chunk) { return }
        DispatchQueue.concurrentPerform(iterations: chunks, execute: chunk)
    }

    /// How many chunks `forEachChunk` cuts `count` indices into.
    @inline(__always)
    public static func chunkCount(_ count: Int, threads: Int, minimumPerChunk: Int = 1) -> Int {
        max(1, min(threads, count / max(1, minimumPerChunk)))
    }

    /// Chunk c of the `chunks` that `forEachChunk` cuts 0..<count into.
    @inline(__always)
    public static func chunkRange(_ c: Int, of chunks: Int, count: Int) -> Range<Int> {
        count * c / chunks..<count * (c + 1) / chunks
    }
}
