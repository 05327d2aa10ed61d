/// Matrix products split across cores by the caller instead of by OpenBLAS: C is cut into fixed
/// blocks of rows or columns and each block is one single-threaded `cblas_sgemm` on its own core.
/// For the thin products of minibatch training (32 × 800 × 6388) this keeps both cores busy
/// without OpenBLAS's worker threads spinning between calls. Run with OpenBLAS at one thread
/// (`BLAS.setThreadCount(1)`); nested BLAS threads would only spin against these.
extension BLAS {
    /// Products smaller than this many multiply–adds run as one call.
    static let splitMinimumWork = 1 << 20

    /// `gemm` (same arguments) with the larger of C's two dimensions cut into `threads` contiguous
    /// blocks (multiples of 16). The partition depends only on the shapes and `threads`, so results
    /// are the same on every run with the same thread count.
    public static func gemmSplit(
        _ c: UnsafeMutablePointer<Float>, ldc: Int,
        _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0, threads: Int
    ) {
        let splitRows = m > n, length = splitRows ? m : n
        let parts = m * n * k < splitMinimumWork ? 1 : max(1, min(threads, length / 16))
        if parts == 1 {
            gemm(c, ldc: ldc, a, lda: lda, transposeA: transposeA, b, ldb: ldb, transposeB: transposeB,
                 m: m, n: n, k: k, alpha: alpha, beta: beta)
            return
        }
        Parallel.forEachChunk(parts, threads: parts) { range in
            for part in range {
                let lo = part == 0 ? 0 : (length * part / parts) & ~15
                let hi = part == parts - 1 ? length : (length * (part + 1) / parts) & ~15
                if lo >= hi { continue }
                if splitRows {
                    // rows lo..<hi of op(a) and of c
                    gemm(c + lo * ldc, ldc: ldc, transposeA ? a + lo : a + lo * lda, lda: lda, transposeA: transposeA,
                         b, ldb: ldb, transposeB: transposeB, m: hi - lo, n: n, k: k, alpha: alpha, beta: beta)
                } else {
                    // columns lo..<hi of op(b) and of c
                    gemm(c + lo, ldc: ldc, a, lda: lda, transposeA: transposeA,
                         transposeB ? b + lo * ldb : b + lo, ldb: ldb, transposeB: transposeB,
                         m: m, n: hi - lo, k: k, alpha: alpha, beta: beta)
                }
            }
        }
    }
}
