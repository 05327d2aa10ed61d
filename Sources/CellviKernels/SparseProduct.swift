import Foundation

/// A minibatch view into a CSR matrix: `rowCount` selected rows, never densified.
/// Pointers must stay valid while the view is used (callers pin the arrays).
public struct SparseRows {
    public var offsets: UnsafePointer<Int>      // (N + 1)  row starts in the full matrix
    public var indices: UnsafePointer<Int32>    // (nnz)    column of each entry
    public var values: UnsafePointer<Float>     // (nnz)    entry values (e.g. log1p of counts)
    public var rows: UnsafePointer<Int>         // (B)      selected rows
    public var rowCount: Int                    // B
    /// Entries read as log(1 + value) (the encoder input), without a transformed copy of the data.
    public var log1pOfValues: Bool

    public init(offsets: UnsafePointer<Int>, indices: UnsafePointer<Int32>, values: UnsafePointer<Float>,
                rows: UnsafePointer<Int>, rowCount: Int, log1pOfValues: Bool = false) {
        self.offsets = offsets; self.indices = indices; self.values = values
        self.rows = rows; self.rowCount = rowCount; self.log1pOfValues = log1pOfValues
    }

    /// Entry range of selected row i.
    @inline(__always) public func range(_ i: Int) -> Range<Int> { offsets[rows[i]]..<offsets[rows[i] + 1] }

    /// Value of entry e, log1p-transformed when `log1pOfValues`.
    @inline(__always) public func value(_ e: Int) -> Float {
        let v = values[e]
        return log1pOfValues ? Log1pTable.log1p(v) : v
    }
}

/// log1pf of small integer counts from a table (bit-identical to log1pf), others computed.
public enum Log1pTable {
    static let size = 4096
    static let table: UnsafePointer<Float> = {
        let t = UnsafeMutablePointer<Float>.allocate(capacity: size)
        for k in 0..<size { t[k] = log1pf(Float(k)) }
        return UnsafePointer(t)
    }()

    @inline(__always)
    public static func log1p(_ v: Float) -> Float {
        if v >= 0 && v < Float(size) {
            let k = Int(v)
            if Float(k) == v { return table[k] }
        }
        return log1pf(v)
    }
}

/// Sparse × dense products for the encoder's first layer.
public enum SparseProduct {
    /// Fewest rows of dwt per thread in the weight gradient (its threads split the k rows; Adam
    /// updates the same rows on the same threads: `SlabPartition.Split.rowChunks`).
    public static let weightGradientMinimumRows = 256
    /// How many genes ahead the sparse forward prefetches weight rows.
    static let weightPrefetchDistance = 12

    /// out(B, n) = X(B, k) · wt(k, n), X sparse; `beta` 0 overwrites, 1 accumulates.
    /// Each output row is built 64 columns at a time in registers (one pass over the row's entries
    /// per block), so the weight rows are only read; the sum order per element is the entry order.
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ x: SparseRows,
                               _ wt: UnsafePointer<Float>, n: Int, beta: Float = 0, threads: Int = 1) {
        Parallel.forEachChunk(x.rowCount, threads: threads, minimumPerChunk: 8) { chunk in
            for i in chunk {
                let o = out + i * n, r = x.range(i)
                var j0 = 0
                while j0 + 64 <= n {
                    var acc = Accumulator64(beta == 0 ? nil : UnsafePointer(o + j0))
                    for e in r { acc.add(x.value(e), wt + Int(x.indices[e]) * n + j0) }
                    acc.store(o + j0)
                    j0 += 64
                }
                if j0 < n {
                    if beta == 0 { (o + j0).update(repeating: 0, count: n - j0) }
                    for e in r {
                        let v = x.value(e), w = wt + Int(x.indices[e]) * n
                        for j in j0..<n { o[j] = o[j].addingProduct(v, w[j]) }
                    }
                }
            }
        }
    }

    /// dwt(k, n) += Xᵀ · dout, i.e. row c of dwt gains v · dout[i] for each entry (i, c, v).
    /// Threads split the n columns, so the sum order is fixed and there are no races.
    public static func weightGradient(_ dwt: UnsafeMutablePointer<Float>, _ x: SparseRows,
                                      _ dout: UnsafePointer<Float>, n: Int, threads: Int = 1) {
        let parts = max(1, min(threads, n / 16))
        Parallel.forEachChunk(parts, threads: parts) { partRange in
            for p in partRange {
                let lo = n * p / parts, hi = n * (p + 1) / parts
                for i in 0..<x.rowCount {
                    let d = dout + i * n
                    for e in x.range(i) {
                        let v = x.value(e), g = dwt + Int(x.indices[e]) * n
                        for j in lo..<hi { g[j] += v * d[j] }
                    }
                }
            }
        }
    }

    /// dwt(k, n) += Xᵀ · dout (with `overwrite`, dwt = Xᵀ · dout) through a column-major copy of the
    /// minibatch: each touched row c of dwt is summed in registers over the cells holding gene c (in
    /// cell order) and written once; with `overwrite` untouched rows are zeroed, so dwt needs no
    /// clearing beforehand. Threads split the k rows of dwt; every element's sum order is independent
    /// of the thread count. Falls back to the row-wise kernel when the minibatch has more entries
    /// than `scratch` holds.
    public static func weightGradient(_ dwt: UnsafeMutablePointer<Float>, _ x: SparseRows,
                                      _ dout: UnsafePointer<Float>, n: Int, k: Int,
                                      scratch: SparseColumnScratch, threads: Int = 1, overwrite: Bool = false) {
        guard scratch.load(x, columns: k, threads: threads) else {
            if overwrite { dwt.update(repeating: 0, count: k * n) }
            weightGradient(dwt, x, dout, n: n, threads: threads)
            return
        }
        let rows = scratch.rows, vals = scratch.values, blocks = scratch.blockCount
        let prefetch = threads > 1 && StreamingStore.isEnabled   // dout may have been streamed to memory
        Parallel.forEachChunk(k, threads: threads, minimumPerChunk: Self.weightGradientMinimumRows) { columns in
            if prefetch { StreamingStore.prefetch(dout, count: x.rowCount * n) }
            for c in columns {
                let g = dwt + c * n
                if !scratch.hasEntries(column: c) {
                    if overwrite { g.update(repeating: 0, count: n) }
                    continue
                }
                var j0 = 0
                while j0 + 64 <= n {
                    var acc = Accumulator64(nil)
                    for b in 0..<blocks {
                        for e in scratch.entries(column: c, block: b) { acc.add(vals[e], dout + Int(rows[e]) * n + j0) }
                    }
                    if overwrite { acc.store(g + j0) } else { acc.addTo(g + j0) }
                    j0 += 64
                }
                for j in j0..<n {
                    var sum: Float = 0
                    for b in 0..<blocks {
                        for e in scratch.entries(column: c, block: b) { sum += vals[e] * dout[Int(rows[e]) * n + j] }
                    }
                    g[j] = overwrite ? sum : g[j] + sum
                }
            }
        }
    }

    /// out(B, n) = X(B, k) · wt(k, n) through the column-major copy of X: each weight row is read
    /// once, 64 columns at a time into registers, and added into the rows of the cells holding that
    /// gene. Threads split the k genes in the chunks of the weight gradient (`weightGradientMinimumRows`),
    /// so each core reads the rows of wt it updates in Adam; each sums its genes into its own
    /// (B, n) partial, 64-column piece by piece (a (B, 64) block stays in L1), and the partials are
    /// added in thread order. With one thread and sorted CSR indices the sum order per element is
    /// that of the row-wise `forward`; with more, results are the same on every run with the same
    /// thread count. Falls back to `forward` when `scratch` is too small.
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ x: SparseRows, _ wt: UnsafePointer<Float>,
                               n: Int, k: Int, scratch: SparseColumnScratch, threads: Int = 1) {
        guard scratch.load(x, columns: k, threads: threads) else { forward(out, x, wt, n: n, threads: threads); return }
        let rows = scratch.rows, vals = scratch.values, cellBlocks = scratch.blockCount
        let B = x.rowCount, pieces = (n + 63) / 64
        let chunks = Parallel.chunkCount(k, threads: threads, minimumPerChunk: weightGradientMinimumRows)
        // (chunks, pieces, B, 64) partial sums, then (chunks, B, 64) blocks private to each chunk: the
        // partials of chunks ≥ 1 are summed there and published with streaming stores (when
        // `StreamingStore.isEnabled`), so their core need not take back lines the calling core read.
        let storage = scratch.pieceBlocks(floats: chunks * pieces * B * 64 + chunks * B * 64)
        let partials = storage, privateBlocks = storage + chunks * pieces * B * 64
        let publish = StreamingStore.isEnabled
        Parallel.forEachChunk(chunks, threads: chunks) { chunkRange in
            for chunk in chunkRange {
                let genes = Parallel.chunkRange(chunk, of: chunks, count: k)
                for piece in 0..<pieces {
                    let j0 = piece * 64, width = min(64, n - j0)
                    let published = partials + (chunk * pieces + piece) * B * 64
                    let block = chunk == 0 || !publish ? published : privateBlocks + chunk * B * 64
                    defer { if block != published { StreamingStore.copy(published, from: block, count: B * 64) } }
                    block.update(repeating: 0, count: B * 64)
                    for c in genes where scratch.hasEntries(column: c) {
                        let w = wt + c * n + j0
                        if width == 64 {
                            // The weight rows stream from L3 or memory (5 MB at 10,000 genes): ask for
                            // the piece a few genes ahead while this one is added.
                            if c + Self.weightPrefetchDistance < genes.upperBound {
                                StreamingStore.prefetch(w + Self.weightPrefetchDistance * n, count: 64)
                            }
                            let weights = Accumulator64(w)
                            for b in 0..<cellBlocks {
                                for e in scratch.entries(column: c, block: b) {
                                    weights.fusedAddScaled(block + Int(rows[e]) * 64, vals[e])
                                }
                            }
                        } else {
                            for b in 0..<cellBlocks {
                                for e in scratch.entries(column: c, block: b) {
                                    let o = block + Int(rows[e]) * 64, v = vals[e]
                                    for j in 0..<width { o[j] = o[j].addingProduct(v, w[j]) }
                                }
                            }
                        }
                    }
                }
                if chunk > 0 && publish { StreamingStore.fence() }
            }
        }
        // out = Σ partials in chunk order (B · n adds: cheaper here than waking a second thread).
        for i in 0..<B {
            let o = out + i * n
            for piece in 0..<pieces {
                let j0 = piece * 64, width = min(64, n - j0)
                (o + j0).update(from: partials + piece * B * 64 + i * 64, count: width)
                for chunk in 1..<max(chunks, 1) {
                    let p = partials + (chunk * pieces + piece) * B * 64 + i * 64
                    for j in 0..<width { o[j0 + j] += p[j] }
                }
            }
        }
    }

    /// Whether the selected rows are dense enough (≥ 1/8 of k columns filled) that densifying
    /// and a BLAS product beat the row-by-row sparse kernels. Depends only on the data.
    public static func prefersDense(_ x: SparseRows, k: Int) -> Bool {
        var nnz = 0
        for i in 0..<x.rowCount { nnz += x.range(i).count }
        return nnz * 8 >= x.rowCount * k
    }

    /// out(B, k) = X as a dense matrix (values transformed as `x.value`).
    public static func densify(_ out: UnsafeMutablePointer<Float>, _ x: SparseRows, k: Int, threads: Int = 1) {
        Parallel.forEachChunk(x.rowCount, threads: threads, minimumPerChunk: 8) { chunk in
            for i in chunk {
                let o = out + i * k
                o.update(repeating: 0, count: k)
                for e in x.range(i) { o[Int(x.indices[e])] += x.value(e) }
            }
        }
    }

    /// Reference twin of `forward`: densify X, then a plain product.
    public static func forwardReference(_ x: SparseRows, _ wt: UnsafePointer<Float>, k: Int, n: Int) -> [Float] {
        var out = [Float](repeating: 0, count: x.rowCount * n)
        for i in 0..<x.rowCount {
            var dense = [Double](repeating: 0, count: k)
            for e in x.range(i) { dense[Int(x.indices[e])] += Double(x.value(e)) }
            for j in 0..<n {
                var s = 0.0
                for c in 0..<k { s += dense[c] * Double(wt[c * n + j]) }
                out[i * n + j] = Float(s)
            }
        }
        return out
    }

    /// Reference twin of `weightGradient` (returns Xᵀ · dout as a new (k, n) array).
    public static func weightGradientReference(_ x: SparseRows, _ dout: UnsafePointer<Float>, k: Int, n: Int) -> [Float] {
        var g = [Double](repeating: 0, count: k * n)
        for i in 0..<x.rowCount {
            for e in x.range(i) {
                for j in 0..<n { g[Int(x.indices[e]) * n + j] += Double(x.value(e)) * Double(dout[i * n + j]) }
            }
        }
        return g.map(Float.init)
    }
}
