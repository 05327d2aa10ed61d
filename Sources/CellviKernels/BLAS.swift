import COpenBLAS

/// Row-major single-precision matrix products: `TiledGemm` (`NarrowGemm` for at most 16 output
/// columns) when the build has AVX-512 (CELLVI_SIMD16_GEMM, set by Package.swift), otherwise OpenBLAS
/// `cblas_sgemm`.
public enum BLAS {
    /// Sets the number of OpenBLAS threads (deterministic for a fixed count).
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// c(m, n) = alpha · op(a) · op(b) + beta · c, row-major with leading dimensions.
    /// op(a) is (m, k): `a` is (m, lda≥k) or, transposed, (k, lda≥m). Likewise op(b) is (k, n).
    /// With `columnBias` (n; beta must be 0) every row of c starts from the bias before the product
    /// is added: c = columnBias + alpha · op(a) · op(b), in one pass over c.
    /// `cachedRows` (a placement hint; results do not depend on it): the rows of c this core reads
    /// next. The other rows, read next by another core, are written with streaming stores where the
    /// kernel can (`TiledGemm`). nil: all rows are written normally.
    @inline(__always)
    public static func gemm(
        _ c: UnsafeMutablePointer<Float>, ldc: Int,
        _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0, columnBias: UnsafePointer<Float>? = nil,
        cachedRows: Range<Int>? = nil
    ) {
        if m == 0 || n == 0 { return }
        precondition(columnBias == nil || beta == 0, "BLAS.gemm: a column bias needs beta 0")
        #if CELLVI_SIMD16_GEMM
        if k > 0 && TiledGemm.accepts(m: m, n: n, k: k, alpha: alpha, beta: beta) {
            TiledGemm.gemm(c, ldc: ldc, a, lda: lda, transposeA: transposeA, b, ldb: ldb, transposeB: transposeB,
                           m: m, n: n, k: k, beta: beta, columnBias: columnBias, cachedRows: cachedRows)
            return
        }
        if k > 0 && NarrowGemm.accepts(m: m, n: n, k: k, alpha: alpha, beta: beta) {
            NarrowGemm.gemm(c, ldc: ldc, a, lda: lda, transposeA: transposeA, b, ldb: ldb, transposeB: transposeB,
                            m: m, n: n, k: k, beta: beta, columnBias: columnBias)
            return
        }
        #endif
        var beta = beta
        if let bias = columnBias {
            for i in 0..<m { (c + i * ldc).update(from: bias, count: n) }
            beta = 1
        }
        if k == 0 {
            if beta == 0 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] = 0 } } }
            else if beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } } }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Plain triple-loop twin of `gemm` (Double accumulation), used in tests.
    public static func gemmReference(
        _ c: UnsafeMutablePointer<Float>, ldc: Int,
        _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(av) * Double(bv)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * s + old)
            }
        }
    }
}

extension Matrix {
    /// self(m, k) · other(k, n) → (m, n). Convenience for inference and tests (allocates).
    public func multiplied(by other: Matrix, transposingOther: Bool = false) -> Matrix {
        let n = transposingOther ? other.rows : other.columns
        let k = transposingOther ? other.columns : other.rows
        precondition(columns == k, "Matrix.multiplied: inner dimensions \(columns) and \(k) differ")
        var out = Matrix(zeros: rows, n)
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                out.values.withUnsafeMutableBufferPointer { c in
                    BLAS.gemm(c.baseAddress!, ldc: n, a.baseAddress!, lda: columns, transposeA: false,
                              b.baseAddress!, ldb: other.columns, transposeB: transposingOther,
                              m: rows, n: n, k: k)
                }
            }
        }
        return out
    }
}
