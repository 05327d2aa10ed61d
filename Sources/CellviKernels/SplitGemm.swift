/// Matrix products split across cores by the caller instead of by OpenBLAS: C is cut into fixed
/// blocks of rows or columns and each block is one single-threaded `cblas_sgemm` on its own core.
/// For the thin products of minibatch training (32 × 800 × 6388) this keeps both cores busy
/// without OpenBLAS's worker threads spinning between calls. Run with OpenBLAS at one thread
/// (`BLAS.setThreadCount(1)`); nested BLAS threads would only spin against these.
extension BLAS {
    /// Products smaller than this many multiply–adds run as one call.
    static let splitMinimumWork = 1 << 20

    /// How many blocks `gemmSplit` cuts an m × n × k product into for `threads` threads.
    @inline(__always)
    public static func splitParts(m: Int, n: Int, k: Int, threads: Int) -> Int {
        m * n * k < splitMinimumWork ? 1 : max(1, min(threads, max(m, n) / 16))
    }

    /// `gemm` (same arguments) with the larger of C's two dimensions cut into `threads` contiguous
    /// blocks (multiples of 16). The partition depends only on the shapes and `threads`, so results
    /// are the same on every run with the same thread count.
    public static func gemmSplit(
        _ c: UnsafeMutablePointer<Float>, ldc: Int,
        _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0, threads: Int
    ) {
        gemmSplit(c, ldc: ldc, a, lda: lda, transposeA: transposeA, b, ldb: ldb, transposeB: transposeB,
                  m: m, n: n, k: k, alpha: alpha, beta: beta, threads: threads) { _, _ in }
    }

    /// `gemmSplit` that also calls `epilogue(rows, columns)` on each block of C right after the
    /// thread that wrote it (one parallel region instead of two, e.g. for a bias pass).
    /// `cachedRows(part, parts)`: the rows of c that the core computing block `part` reads next
    /// (see `gemm`); nil when every core reads what it wrote.
    @inline(__always)
    public static func gemmSplit(
        _ c: UnsafeMutablePointer<Float>, ldc: Int,
        _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0, columnBias: UnsafePointer<Float>? = nil,
        threads: Int, cachedRows: ((Int, Int) -> Range<Int>)? = nil, epilogue: (Range<Int>, Range<Int>) -> Void
    ) {
        let parts = splitParts(m: m, n: n, k: k, threads: threads)
        if parts == 1 {
            gemm(c, ldc: ldc, a, lda: lda, transposeA: transposeA, b, ldb: ldb, transposeB: transposeB,
                 m: m, n: n, k: k, alpha: alpha, beta: beta, columnBias: columnBias)
            epilogue(0..<m, 0..<n)
            return
        }
        Parallel.forEachChunk(parts, threads: parts) { range in
            for part in range {
                if let (rows, columns) = gemmBlock(part, of: parts, c, ldc: ldc, a, lda: lda, transposeA: transposeA,
                                                   b, ldb: ldb, transposeB: transposeB, m: m, n: n, k: k,
                                                   alpha: alpha, beta: beta, columnBias: columnBias,
                                                   cachedRows: cachedRows?(part, parts)) {
                    epilogue(rows, columns)
                }
            }
        }
    }

    /// Block `part` of `parts` contiguous blocks of 0..<length, cut at multiples of 16 (the blocks of
    /// the split dimension in `gemmBlock`; callers that work on the same rows or columns use them too).
    @inline(__always)
    public static func splitRange(_ part: Int, of parts: Int, length: Int) -> Range<Int> {
        let lo = part == 0 ? 0 : (length * part / parts) & ~15
        let hi = part == parts - 1 ? length : (length * (part + 1) / parts) & ~15
        return lo..<max(lo, hi)
    }

    /// Block `part` of the `parts` blocks `gemmSplit` cuts this product into, computed on the calling
    /// thread (for callers that run several products in one parallel region). Returns the rows and
    /// columns of C written, or nil for an empty block. With `parts` == 1 it is the whole product.
    @inline(__always)
    @discardableResult
    public static func gemmBlock(
        _ part: Int, of parts: Int,
        _ c: UnsafeMutablePointer<Float>, ldc: Int,
        _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0, columnBias: UnsafePointer<Float>? = nil,
        cachedRows: Range<Int>? = nil
    ) -> (Range<Int>, Range<Int>)? {
        let splitRows = m > n
        let block = splitRange(part, of: parts, length: splitRows ? m : n)
        let lo = block.lowerBound, hi = block.upperBound
        if lo >= hi { return nil }
        if splitRows {
            // rows lo..<hi of op(a) and of c
            gemm(c + lo * ldc, ldc: ldc, transposeA ? a + lo : a + lo * lda, lda: lda, transposeA: transposeA,
                 b, ldb: ldb, transposeB: transposeB, m: hi - lo, n: n, k: k, alpha: alpha, beta: beta,
                 columnBias: columnBias,
                 cachedRows: cachedRows.map { r in
                     let l = min(max(r.lowerBound, lo), hi), u = max(min(r.upperBound, hi), l)
                     return l - lo..<u - lo
                 })
            return (lo..<hi, 0..<n)
        } else {
            // columns lo..<hi of op(b) and of c
            gemm(c + lo, ldc: ldc, a, lda: lda, transposeA: transposeA,
                 transposeB ? b + lo * ldb : b + lo, ldb: ldb, transposeB: transposeB,
                 m: m, n: hi - lo, k: k, alpha: alpha, beta: beta, columnBias: columnBias.map { $0 + lo },
                 cachedRows: cachedRows)
            return (0..<m, lo..<hi)
        }
    }
}
