/// Register-tiled single-precision GEMM on SIMD16 vectors, for CPUs with AVX-512 (32 vector
/// registers hold a 6 × 64 tile of C). Row-major, the same contract as `BLAS.gemm`:
/// c(m, n) = alpha · op(a) · op(b) + beta · c. op(a) is read in place (one scalar broadcast per row
/// and step of k); op(b) is read as rows of 64 columns, packed into a panel first when transposed.
/// The sum order of every element is fixed by the shapes alone.
public enum TiledGemm {
    typealias V = SIMD16<Float>
    public static let tileRows = 6, tileColumns = 64, depthBlock = 256

    @inline(__always) static func ld(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) static func st(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// Stores one 64-column row of a tile: with `streaming` and a cache-line-aligned row, as four
    /// whole-line streaming stores (the row goes to memory, not into this core's cache).
    @inline(__always)
    static func storeRow(_ v0: V, _ v1: V, _ v2: V, _ v3: V, _ p: UnsafeMutablePointer<Float>, streaming: Bool) {
        if streaming && UInt(bitPattern: p) & 63 == 0 {
            StreamingStore.store(v0, p); StreamingStore.store(v1, p + 16)
            StreamingStore.store(v2, p + 32); StreamingStore.store(v3, p + 48)
        } else {
            st(v0, p); st(v1, p + 16); st(v2, p + 32); st(v3, p + 48)
        }
    }

    /// c tile (6 × 64, row stride ldc) += Σ_k a(i, k) · b[k·ldb ..< k·ldb + 64], a(i, k) = a[i·si + k·sk].
    /// Row r is stored with streaming stores when bit r of `streamRows` is set.
    @inline(__always)
    static func kernel6x64(_ c: UnsafeMutablePointer<Float>, ldc: Int, _ a: UnsafePointer<Float>, si: Int, sk: Int,
                           _ b: UnsafePointer<Float>, ldb: Int, k: Int, accumulate: Bool, bias: UnsafePointer<Float>?,
                           streamRows: Int = 0) {
        let z0 = bias.map { ld($0) } ?? V(repeating: 0), z1 = bias.map { ld($0 + 16) } ?? z0
        let z2 = bias.map { ld($0 + 32) } ?? z0, z3 = bias.map { ld($0 + 48) } ?? z0
        var c00 = z0, c01 = z1, c02 = z2, c03 = z3, c10 = z0, c11 = z1, c12 = z2, c13 = z3
        var c20 = z0, c21 = z1, c22 = z2, c23 = z3, c30 = z0, c31 = z1, c32 = z2, c33 = z3
        var c40 = z0, c41 = z1, c42 = z2, c43 = z3, c50 = z0, c51 = z1, c52 = z2, c53 = z3
        if accumulate {
            c00 = ld(c); c01 = ld(c + 16); c02 = ld(c + 32); c03 = ld(c + 48)
            c10 = ld(c + ldc); c11 = ld(c + ldc + 16); c12 = ld(c + ldc + 32); c13 = ld(c + ldc + 48)
            c20 = ld(c + 2 * ldc); c21 = ld(c + 2 * ldc + 16); c22 = ld(c + 2 * ldc + 32); c23 = ld(c + 2 * ldc + 48)
            c30 = ld(c + 3 * ldc); c31 = ld(c + 3 * ldc + 16); c32 = ld(c + 3 * ldc + 32); c33 = ld(c + 3 * ldc + 48)
            c40 = ld(c + 4 * ldc); c41 = ld(c + 4 * ldc + 16); c42 = ld(c + 4 * ldc + 32); c43 = ld(c + 4 * ldc + 48)
            c50 = ld(c + 5 * ldc); c51 = ld(c + 5 * ldc + 16); c52 = ld(c + 5 * ldc + 32); c53 = ld(c + 5 * ldc + 48)
        }
        var ap = a, bp = b
        for _ in 0..<k {
            let b0 = ld(bp), b1 = ld(bp + 16), b2 = ld(bp + 32), b3 = ld(bp + 48)
            var s = V(repeating: ap[0])
            c00.addProduct(s, b0); c01.addProduct(s, b1); c02.addProduct(s, b2); c03.addProduct(s, b3)
            s = V(repeating: ap[si])
            c10.addProduct(s, b0); c11.addProduct(s, b1); c12.addProduct(s, b2); c13.addProduct(s, b3)
            s = V(repeating: ap[2 * si])
            c20.addProduct(s, b0); c21.addProduct(s, b1); c22.addProduct(s, b2); c23.addProduct(s, b3)
            s = V(repeating: ap[3 * si])
            c30.addProduct(s, b0); c31.addProduct(s, b1); c32.addProduct(s, b2); c33.addProduct(s, b3)
            s = V(repeating: ap[4 * si])
            c40.addProduct(s, b0); c41.addProduct(s, b1); c42.addProduct(s, b2); c43.addProduct(s, b3)
            s = V(repeating: ap[5 * si])
            c50.addProduct(s, b0); c51.addProduct(s, b1); c52.addProduct(s, b2); c53.addProduct(s, b3)
            ap += sk; bp += ldb
        }
        storeRow(c00, c01, c02, c03, c, streaming: streamRows & 1 != 0)
        storeRow(c10, c11, c12, c13, c + ldc, streaming: streamRows & 2 != 0)
        storeRow(c20, c21, c22, c23, c + 2 * ldc, streaming: streamRows & 4 != 0)
        storeRow(c30, c31, c32, c33, c + 3 * ldc, streaming: streamRows & 8 != 0)
        storeRow(c40, c41, c42, c43, c + 4 * ldc, streaming: streamRows & 16 != 0)
        storeRow(c50, c51, c52, c53, c + 5 * ldc, streaming: streamRows & 32 != 0)
    }

    /// One row of a tile: c[0..<64] += Σ_k a[k·sk] · b row k.
    @inline(__always)
    static func kernel1x64(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, sk: Int,
                           _ b: UnsafePointer<Float>, ldb: Int, k: Int, accumulate: Bool, bias: UnsafePointer<Float>?,
                           streaming: Bool = false) {
        let z = V(repeating: 0)
        var c0 = bias.map { ld($0) } ?? z, c1 = bias.map { ld($0 + 16) } ?? z
        var c2 = bias.map { ld($0 + 32) } ?? z, c3 = bias.map { ld($0 + 48) } ?? z
        if accumulate { c0 = ld(c); c1 = ld(c + 16); c2 = ld(c + 32); c3 = ld(c + 48) }
        var ap = a, bp = b
        for _ in 0..<k {
            let s = V(repeating: ap[0])
            c0.addProduct(s, ld(bp)); c1.addProduct(s, ld(bp + 16)); c2.addProduct(s, ld(bp + 32)); c3.addProduct(s, ld(bp + 48))
            ap += sk; bp += ldb
        }
        storeRow(c0, c1, c2, c3, c, streaming: streaming)
    }

    /// Whether `gemm` takes this product (else the caller uses OpenBLAS).
    @inline(__always)
    public static func accepts(m: Int, n: Int, k: Int, alpha: Float, beta: Float) -> Bool {
        alpha == 1 && (beta == 0 || beta == 1) && m >= tileRows && n >= tileColumns && k >= 1
    }

    /// c(m, n) = op(a) · op(b) (+ c when beta == 1), with a pooled panel for a transposed op(b). With
    /// `columnBias` (n) and beta 0, every row of c starts from the bias: c = bias + op(a) · op(b).
    /// Rows outside `cachedRows` (when given and `StreamingStore.isEnabled`) are written with streaming
    /// stores, in whole 64-column tiles that start on a cache line (`BLAS.gemm`).
    public static func gemm(_ c: UnsafeMutablePointer<Float>, ldc: Int,
                            _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                            _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                            m: Int, n: Int, k: Int, beta: Float, columnBias: UnsafePointer<Float>? = nil,
                            cachedRows: Range<Int>? = nil) {
        precondition(columnBias == nil || beta == 0, "TiledGemm: a column bias needs beta 0")
        let cachedRows = StreamingStore.isEnabled ? cachedRows : nil
        PanelPool.withPanel { panel in
            gemm(c, ldc: ldc, a, lda: lda, transposeA: transposeA, b, ldb: ldb, transposeB: transposeB,
                 m: m, n: n, k: k, beta: beta, columnBias: columnBias, panel: panel, cachedRows: cachedRows)
        }
        if let cached = cachedRows, cached != 0..<m { StreamingStore.fence() }
    }

    /// `gemm` with a caller's panel of depthBlock × 64 floats.
    static func gemm(_ c: UnsafeMutablePointer<Float>, ldc: Int,
                     _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                     _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                     m: Int, n: Int, k: Int, beta: Float, columnBias: UnsafePointer<Float>?,
                     panel: UnsafeMutablePointer<Float>, cachedRows: Range<Int>? = nil) {
        let si = transposeA ? 1 : lda, sk = transposeA ? lda : 1
        /// Bit r set: row i0 + r is streamed (outside cachedRows).
        @inline(__always) func streamMask(_ i0: Int, _ rows: Int) -> Int {
            guard let cached = cachedRows else { return 0 }
            var mask = 0
            for r in 0..<rows where !cached.contains(i0 + r) { mask |= 1 << r }
            return mask
        }
        var j0 = 0
        while j0 < n {
            let width = min(tileColumns, n - j0)
            // A partial last panel goes through a zero-padded copy of its columns of C.
            var k0 = 0
            while k0 < k {
                let depth = min(depthBlock, k - k0)
                // Rows k0..<k0+depth of op(b), columns j0..<j0+width, as rows of 64 (stride bRowStride).
                let bRows: UnsafePointer<Float>, bRowStride: Int
                if transposeB || width < tileColumns {
                    pack(panel, b, ldb: ldb, transposed: transposeB, rows: k0..<k0 + depth, columns: j0..<j0 + width)
                    bRows = UnsafePointer(panel); bRowStride = tileColumns
                } else {
                    bRows = b + k0 * ldb + j0; bRowStride = ldb
                }
                let aStart = a + k0 * sk, accumulate = beta != 0 || k0 > 0
                let bias = accumulate ? nil : columnBias.map { $0 + j0 }
                let lastDepth = k0 + depth == k   // only final values are streamed
                if width == tileColumns {
                    var i0 = 0
                    while i0 + tileRows <= m {
                        kernel6x64(c + i0 * ldc + j0, ldc: ldc, aStart + i0 * si, si: si, sk: sk, bRows, ldb: bRowStride, k: depth, accumulate: accumulate, bias: bias,
                                   streamRows: lastDepth ? streamMask(i0, tileRows) : 0)
                        i0 += tileRows
                    }
                    while i0 < m {
                        kernel1x64(c + i0 * ldc + j0, aStart + i0 * si, sk: sk, bRows, ldb: bRowStride, k: depth, accumulate: accumulate, bias: bias,
                                   streaming: lastDepth && streamMask(i0, 1) != 0)
                        i0 += 1
                    }
                } else {
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: tileColumns) { t in
                        for i in 0..<m {
                            let ci = c + i * ldc + j0
                            for j in 0..<width { t[j] = accumulate ? ci[j] : bias?[j] ?? 0 }
                            kernel1x64(t.baseAddress!, aStart + i * si, sk: sk, bRows, ldb: bRowStride, k: depth, accumulate: true, bias: nil)
                            for j in 0..<width { ci[j] = t[j] }
                        }
                    }
                }
                k0 += depth
            }
            j0 += width
        }
    }

    /// panel[r][0..<64] = op(b)[rows.lowerBound + r][columns] (zero beyond `columns`).
    static func pack(_ panel: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, ldb: Int, transposed: Bool,
                     rows: Range<Int>, columns: Range<Int>) {
        let width = columns.count
        if !transposed {
            for (r, kk) in rows.enumerated() {
                let dst = panel + r * tileColumns, src = b + kk * ldb + columns.lowerBound
                for j in 0..<width { dst[j] = src[j] }
                for j in width..<tileColumns { dst[j] = 0 }
            }
            return
        }
        // op(b)[kk][j] = b[j · ldb + kk]: 16 × 16 blocks transposed in registers where they fit.
        let depth = rows.count
        var r = 0
        while r + 16 <= depth && width == tileColumns {
            for j0 in stride(from: 0, to: tileColumns, by: 16) {
                transpose16(panel + r * tileColumns + j0, ldd: tileColumns,
                            b + (columns.lowerBound + j0) * ldb + rows.lowerBound + r, lds: ldb)
            }
            r += 16
        }
        while r < depth {
            let dst = panel + r * tileColumns, kk = rows.lowerBound + r
            for j in 0..<width { dst[j] = b[(columns.lowerBound + j) * ldb + kk] }
            for j in width..<tileColumns { dst[j] = 0 }
            r += 1
        }
    }

    /// (evens of a ‖ evens of b, odds of a ‖ odds of b).
    @inline(__always)
    static func unzip(_ a: V, _ b: V) -> (V, V) {
        (V(lowHalf: a.evenHalf, highHalf: b.evenHalf), V(lowHalf: a.oddHalf, highHalf: b.oddHalf))
    }

    /// dst[c][r] = src[r][c] for a 16 × 16 block, in registers: four rounds of pairwise unzips (rows
    /// (2j, 2j+1) → evens to row j, odds to row j + 8), each moving one row-index bit into the columns.
    @inline(__always)
    static func transpose16(_ dst: UnsafeMutablePointer<Float>, ldd: Int, _ src: UnsafePointer<Float>, lds: Int) {
        var r0 = ld(src + 0 * lds), r1 = ld(src + 1 * lds), r2 = ld(src + 2 * lds), r3 = ld(src + 3 * lds)
        var r4 = ld(src + 4 * lds), r5 = ld(src + 5 * lds), r6 = ld(src + 6 * lds), r7 = ld(src + 7 * lds)
        var r8 = ld(src + 8 * lds), r9 = ld(src + 9 * lds), r10 = ld(src + 10 * lds), r11 = ld(src + 11 * lds)
        var r12 = ld(src + 12 * lds), r13 = ld(src + 13 * lds), r14 = ld(src + 14 * lds), r15 = ld(src + 15 * lds)
        for _ in 0..<4 {
            let (n0, n8) = unzip(r0, r1); let (n1, n9) = unzip(r2, r3)
            let (n2, n10) = unzip(r4, r5); let (n3, n11) = unzip(r6, r7)
            let (n4, n12) = unzip(r8, r9); let (n5, n13) = unzip(r10, r11)
            let (n6, n14) = unzip(r12, r13); let (n7, n15) = unzip(r14, r15)
            r0 = n0; r1 = n1; r2 = n2; r3 = n3; r4 = n4; r5 = n5; r6 = n6; r7 = n7; r8 = n8; r9 = n9; r10 = n10; r11 = n11; r12 = n12; r13 = n13; r14 = n14; r15 = n15
        }
        st(r0, dst + 0 * ldd); st(r1, dst + 1 * ldd); st(r2, dst + 2 * ldd); st(r3, dst + 3 * ldd)
        st(r4, dst + 4 * ldd); st(r5, dst + 5 * ldd); st(r6, dst + 6 * ldd); st(r7, dst + 7 * ldd)
        st(r8, dst + 8 * ldd); st(r9, dst + 9 * ldd); st(r10, dst + 10 * ldd); st(r11, dst + 11 * ldd)
        st(r12, dst + 12 * ldd); st(r13, dst + 13 * ldd); st(r14, dst + 14 * ldd); st(r15, dst + 15 * ldd)
    }
}
