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
        let starts = scratch.columnStarts, rows = scratch.rows, vals = scratch.values
        Parallel.forEachChunk(k, threads: threads, minimumPerChunk: 256) { columns in
            for c in columns {
                let lo = Int(starts[c]), hi = Int(starts[c + 1])
                let g = dwt + c * n
                if lo == hi {
                    if overwrite { g.update(repeating: 0, count: n) }
                    continue
                }
                var j0 = 0
                while j0 + 64 <= n {
                    var acc = Accumulator64(nil)
                    for e in lo..<hi { acc.add(vals[e], dout + Int(rows[e]) * n + j0) }
                    if overwrite { acc.store(g + j0) } else { acc.addTo(g + j0) }
                    j0 += 64
                }
                for j in j0..<n {
                    var sum: Float = 0
                    for e in lo..<hi { sum += vals[e] * dout[Int(rows[e]) * n + j] }
                    g[j] = overwrite ? sum : g[j] + sum
                }
            }
        }
    }

    /// out(B, n) = X(B, k) · wt(k, n) through the column-major copy of X: each weight row is read
    /// once, 64 columns at a time into registers, and added into the rows of the cells holding that
    /// gene. Each 64-column piece is summed in its own contiguous (B, 64) block (it stays in L1, and
    /// threads never write neighbouring cache lines), then copied into `out`. With sorted CSR indices
    /// the sum order per element is that of the row-wise `forward`. Threads split the pieces, so
    /// results do not depend on the thread count. Falls back to `forward` when `scratch` is too small.
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ x: SparseRows, _ wt: UnsafePointer<Float>,
                               n: Int, k: Int, scratch: SparseColumnScratch, threads: Int = 1) {
        guard scratch.load(x, columns: k, threads: threads) else { forward(out, x, wt, n: n, threads: threads); return }
        let starts = scratch.columnStarts, rows = scratch.rows, vals = scratch.values
        let B = x.rowCount, pieces = (n + 63) / 64
        let blocks = scratch.pieceBlocks(floats: pieces * B * 64)  // (pieces, B, 64)
        Parallel.forEachChunk(pieces, threads: threads) { pieceRange in
            for piece in pieceRange {
                let j0 = piece * 64, width = min(64, n - j0)
                let block = blocks + piece * B * 64
                block.update(repeating: 0, count: B * 64)
                for c in 0..<k {
                    let lo = Int(starts[c]), hi = Int(starts[c + 1])
                    if lo == hi { continue }
                    let w = wt + c * n + j0
                    if width == 64 {
                        let weights = Accumulator64(w)
                        for e in lo..<hi { weights.fusedAddScaled(block + Int(rows[e]) * 64, vals[e]) }
                    } else {
                        for e in lo..<hi {
                            let o = block + Int(rows[e]) * 64, v = vals[e]
                            for j in 0..<width { o[j] = o[j].addingProduct(v, w[j]) }
                        }
                    }
                }
                for i in 0..<B { (out + i * n + j0).update(from: block + i * 64, count: width) }
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

/// Column-major copy of a minibatch for `SparseProduct.weightGradient`, allocated once.
public final class SparseColumnScratch {
    let columnCapacity: Int
    let capacity: Int
    let columnStarts: UnsafeMutablePointer<Int32>  // (columns + 1)
    let rows: UnsafeMutablePointer<Int32>          // (capacity) cell of each entry
    let values: UnsafeMutablePointer<Float>        // (capacity) entry value (as `SparseRows.value`)
    // What is loaded: matrix arrays, transform and selected rows (columns −1: nothing).
    private var loadedColumns = -1
    private var loadedIndices: UnsafePointer<Int32>?, loadedValues: UnsafePointer<Float>?, loadedOffsets: UnsafePointer<Int>?
    private var loadedLog1p = false
    private var loadedRows: [Int] = []

    /// Fills the column-major copy from `x`; false (nothing loaded) when it does not fit. A copy of
    /// the same rows of the same arrays since the last `invalidate()` (say, forward then backward
    /// of one step) is kept as is.
    func load(_ x: SparseRows, columns k: Int, threads: Int = 1) -> Bool {
        let B = x.rowCount
        if loadedColumns == k && loadedIndices == x.indices && loadedValues == x.values && loadedOffsets == x.offsets
            && loadedLog1p == x.log1pOfValues && loadedRows.count == B
            && loadedRows.withUnsafeBufferPointer({ r in (0..<B).allSatisfy { r[$0] == x.rows[$0] } }) {
            return true
        }
        loadedColumns = -1
        var nnz = 0
        for i in 0..<B { nnz += x.range(i).count }
        guard nnz <= capacity, k <= columnCapacity else { return false }
        // Counting sort of the entries by column, stable in cell order. Threads take fixed column
        // blocks; each scans every entry, counts those left of its block for its offset, and fills
        // only its own columns, so the result is the same for any thread count.
        let starts = columnStarts, rows = self.rows, values = self.values
        let table = Log1pTable.table, tableSize = Float(Log1pTable.size)
        Parallel.forEachChunk(k, threads: nnz >= 4096 ? threads : 1, minimumPerChunk: 256) { block in
            let lo = block.lowerBound, hi = block.upperBound
            (starts + lo).update(repeating: 0, count: hi - lo)
            var below: Int32 = 0
            for i in 0..<B {
                for e in x.range(i) {
                    let c = Int(x.indices[e])
                    if c < lo { below += 1 } else if c < hi { starts[c] += 1 }
                }
            }
            var run = below
            for c in lo..<hi { let n = starts[c]; starts[c] = run; run += n }
            for i in 0..<B {
                for e in x.range(i) {
                    let c = Int(x.indices[e])
                    if c < lo || c >= hi { continue }
                    let at = Int(starts[c])
                    var v = x.values[e]
                    if x.log1pOfValues {
                        let t = Int(v)
                        v = v >= 0 && v < tableSize && Float(t) == v ? table[t] : log1pf(v)
                    }
                    rows[at] = Int32(i); values[at] = v; starts[c] += 1
                }
            }
            // starts[c] now ends column c; shift back to starts within the block.
            for c in stride(from: hi - 1, to: lo, by: -1) { starts[c] = starts[c - 1] }
            starts[lo] = below
        }
        starts[k] = Int32(nnz)
        loadedColumns = k; loadedIndices = x.indices; loadedValues = x.values; loadedOffsets = x.offsets
        loadedLog1p = x.log1pOfValues
        loadedRows.removeAll(keepingCapacity: true)
        loadedRows.append(contentsOf: UnsafeBufferPointer(start: x.rows, count: B))
        return true
    }

    /// A 64-byte-aligned buffer of at least `floats` floats for `SparseProduct.forward`'s per-piece
    /// sums; grows (reallocates) only when a larger product comes along.
    func pieceBlocks(floats: Int) -> UnsafeMutablePointer<Float> {
        if floats > pieceCapacity {
            pieceStorage?.deallocate()
            pieceStorage = UnsafeMutableRawPointer.allocate(byteCount: floats * 4, alignment: 64)
            pieceCapacity = floats
        }
        return pieceStorage!.assumingMemoryBound(to: Float.self)
    }
    private var pieceStorage: UnsafeMutableRawPointer?
    private var pieceCapacity = 0

    /// Forgets the loaded copy. Call when the matrix behind the views may have changed; the
    /// network calls it at the start of every forward pass.
    public func invalidate() { loadedColumns = -1 }

    /// columns: k of the products; capacity: most entries of one minibatch.
    public init(columns: Int, capacity: Int) {
        columnCapacity = columns; self.capacity = capacity
        columnStarts = .allocate(capacity: columns + 1); columnStarts.initialize(repeating: 0, count: columns + 1)
        rows = .allocate(capacity: max(capacity, 1)); rows.initialize(repeating: 0, count: max(capacity, 1))
        values = .allocate(capacity: max(capacity, 1)); values.initialize(repeating: 0, count: max(capacity, 1))
    }
    deinit { columnStarts.deallocate(); rows.deallocate(); values.deallocate(); pieceStorage?.deallocate() }
}

/// 64 floats held in four SIMD16 values (four AVX-512 registers, or eight AVX2 ones):
/// acc += v · w[0..<64] with fused multiply-adds.
struct Accumulator64 {
    var a0, a1, a2, a3: SIMD16<Float>

    @inline(__always)
    init(_ start: UnsafePointer<Float>?) {
        if let p = start {
            a0 = Self.load(p, 0); a1 = Self.load(p, 1); a2 = Self.load(p, 2); a3 = Self.load(p, 3)
        } else {
            let z = SIMD16<Float>(repeating: 0)
            a0 = z; a1 = z; a2 = z; a3 = z
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ k: Int) -> SIMD16<Float> {
        UnsafeRawPointer(p + 16 * k).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    mutating func add(_ v: Float, _ w: UnsafePointer<Float>) {
        let s = SIMD16<Float>(repeating: v)
        a0.addProduct(s, Self.load(w, 0)); a1.addProduct(s, Self.load(w, 1))
        a2.addProduct(s, Self.load(w, 2)); a3.addProduct(s, Self.load(w, 3))
    }

    @inline(__always)
    func store(_ p: UnsafeMutablePointer<Float>) {
        let r = UnsafeMutableRawPointer(p)
        r.storeBytes(of: a0, toByteOffset: 0, as: SIMD16<Float>.self); r.storeBytes(of: a1, toByteOffset: 64, as: SIMD16<Float>.self)
        r.storeBytes(of: a2, toByteOffset: 128, as: SIMD16<Float>.self); r.storeBytes(of: a3, toByteOffset: 192, as: SIMD16<Float>.self)
    }

    /// p[0..<64] = fma(v, self, p[0..<64]), element by element.
    @inline(__always)
    func fusedAddScaled(_ p: UnsafeMutablePointer<Float>, _ v: Float) {
        let s = SIMD16<Float>(repeating: v), q = UnsafePointer(p)
        var o = Accumulator64(q)
        o.a0.addProduct(s, a0); o.a1.addProduct(s, a1); o.a2.addProduct(s, a2); o.a3.addProduct(s, a3)
        o.store(p)
    }

    /// p[0..<64] += the accumulated values.
    @inline(__always)
    func addTo(_ p: UnsafeMutablePointer<Float>) {
        var sum = self
        let q = UnsafePointer(p)
        sum.a0 += Self.load(q, 0); sum.a1 += Self.load(q, 1); sum.a2 += Self.load(q, 2); sum.a3 += Self.load(q, 3)
        sum.store(p)
    }
}
