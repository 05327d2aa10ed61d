/// Single-precision GEMM for products with at most 16 output columns (the latent layers of scVI:
/// (B, H) · (H, 10) and their gradients), where a 64-column tile would be mostly padding.
/// Same contract as `BLAS.gemm`: c(m, n) = op(a) · op(b) (+ c when beta == 1), row-major.
/// op(b) is packed into (k, 16) zero-padded rows (in a pooled panel, so no allocation); each row of c is one SIMD16 accumulator, eight
/// rows at a time so eight independent multiply–add chains are in flight. Every element sums over
/// k in order, so results depend only on the shapes.
public enum NarrowGemm {
    typealias V = SIMD16<Float>
    public static let maximumColumns = 16
    /// Deepest product whose packed op(b) fits one `PanelPool` panel (1024).
    public static let maximumDepth = PanelPool.floatsPerPanel / maximumColumns
    static let rowBlock = 8

    /// Whether `gemm` takes this product (else the caller uses another kernel).
    @inline(__always)
    public static func accepts(m: Int, n: Int, k: Int, alpha: Float, beta: Float) -> Bool {
        alpha == 1 && (beta == 0 || beta == 1) && n >= 1 && n <= maximumColumns && k >= 1 && k <= maximumDepth && m >= 1
    }

    public static func gemm(_ c: UnsafeMutablePointer<Float>, ldc: Int,
                            _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                            _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                            m: Int, n: Int, k: Int, beta: Float, columnBias: UnsafePointer<Float>? = nil) {
        precondition(accepts(m: m, n: n, k: k, alpha: 1, beta: beta), "NarrowGemm: shape or scaling not supported")
        // A TiledGemm panel holds the (k, 16) copy of op(b) (k ≤ maximumDepth fits): row kk = op(b) row kk
        // in columns 0..<n, zeros beyond.
        PanelPool.withPanel { panel in
            panel.update(repeating: 0, count: k * maximumColumns)
            if transposeB {
                for j in 0..<n { let src = b + j * ldb; for kk in 0..<k { panel[kk * maximumColumns + j] = src[kk] } }
            } else {
                for kk in 0..<k { let src = b + kk * ldb, dst = panel + kk * maximumColumns; for j in 0..<n { dst[j] = src[j] } }
            }
            let start = columnBias.map { load($0, n) } ?? V(repeating: 0)
            let si = transposeA ? 1 : lda, sk = transposeA ? lda : 1
            let rowsOfB = UnsafePointer(panel)
            var i0 = 0
            while i0 + rowBlock <= m {
                block8(c + i0 * ldc, ldc: ldc, a + i0 * si, si: si, sk: sk, rowsOfB, n: n, k: k,
                       accumulate: beta != 0, start: start)
                i0 += rowBlock
            }
            while i0 < m {
                var acc = beta != 0 ? load(c + i0 * ldc, n) : start
                var ap = a + i0 * si
                for kk in 0..<k { acc.addProduct(V(repeating: ap[0]), row(rowsOfB, kk)); ap += sk }
                store(acc, c + i0 * ldc, n)
                i0 += 1
            }
        }
    }

    /// Row kk of the packed panel.
    @inline(__always)
    static func row(_ panel: UnsafePointer<Float>, _ kk: Int) -> V {
        UnsafeRawPointer(panel + kk * maximumColumns).loadUnaligned(as: V.self)
    }

    /// Rows 0..<8 of c (row stride ldc) from rows of op(a) (a(i, kk) = a[i·si + kk·sk]).
    @inline(__always)
    static func block8(_ c: UnsafeMutablePointer<Float>, ldc: Int, _ a: UnsafePointer<Float>, si: Int, sk: Int,
                       _ rowsOfB: UnsafePointer<Float>, n: Int, k: Int, accumulate: Bool, start: V) {
        var c0 = start, c1 = start, c2 = start, c3 = start, c4 = start, c5 = start, c6 = start, c7 = start
        if accumulate {
            c0 = load(c, n); c1 = load(c + ldc, n); c2 = load(c + 2 * ldc, n); c3 = load(c + 3 * ldc, n)
            c4 = load(c + 4 * ldc, n); c5 = load(c + 5 * ldc, n); c6 = load(c + 6 * ldc, n); c7 = load(c + 7 * ldc, n)
        }
        var ap = a
        for kk in 0..<k {
            let r = row(rowsOfB, kk)
            c0.addProduct(V(repeating: ap[0]), r); c1.addProduct(V(repeating: ap[si]), r)
            c2.addProduct(V(repeating: ap[2 * si]), r); c3.addProduct(V(repeating: ap[3 * si]), r)
            c4.addProduct(V(repeating: ap[4 * si]), r); c5.addProduct(V(repeating: ap[5 * si]), r)
            c6.addProduct(V(repeating: ap[6 * si]), r); c7.addProduct(V(repeating: ap[7 * si]), r)
            ap += sk
        }
        store(c0, c, n); store(c1, c + ldc, n); store(c2, c + 2 * ldc, n); store(c3, c + 3 * ldc, n)
        store(c4, c + 4 * ldc, n); store(c5, c + 5 * ldc, n); store(c6, c + 6 * ldc, n); store(c7, c + 7 * ldc, n)
    }

    /// The first n floats at p as lanes 0..<n (zeros beyond).
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ n: Int) -> V {
        if n == 16 { return UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { t in
            let q = t.baseAddress!
            q.update(repeating: 0, count: 16)
            q.update(from: p, count: n)
            return UnsafeRawPointer(q).loadUnaligned(as: V.self)
        }
    }

    /// Lanes 0..<n of v to p[0..<n] (nothing beyond n is written).
    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
        if n == 16 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self); return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { t in
            UnsafeMutableRawPointer(t.baseAddress!).storeBytes(of: v, as: V.self)
            p.update(from: t.baseAddress!, count: n)
        }
    }
}
