import CellviKernels

/// A random sparse count matrix and a minibatch view of some of its rows, for the sparse kernels' tests.
struct SparseTestData {
    let csr: CSRMatrix
    let rows: [Int]

    /// rowsN × k counts in 1…maxCount with the given fill; `batch` rows drawn with replacement.
    init(rows rowsN: Int, columns k: Int, fill: Double, maxCount: Int, batch: Int, rng: inout RandomSource) {
        var dense = Matrix(zeros: rowsN, k)
        for i in 0..<(rowsN * k) where rng.uniform() < fill { dense.values[i] = Float(rng.integer(below: maxCount) + 1) }
        csr = CSRMatrix(dense: dense)
        rows = (0..<batch).map { _ in rng.integer(below: rowsN) }
    }

    /// Calls `body` with the minibatch as `SparseRows` read as log1p(counts).
    func withMinibatch<R>(_ body: (SparseRows) -> R) -> R {
        csr.rowOffsets.withUnsafeBufferPointer { o in csr.columnIndices.withUnsafeBufferPointer { ix in
            csr.values.withUnsafeBufferPointer { v in rows.withUnsafeBufferPointer { r in
                body(SparseRows(offsets: o.baseAddress!, indices: ix.baseAddress!, values: v.baseAddress!,
                                rows: r.baseAddress!, rowCount: rows.count, log1pOfValues: true))
            } }
        } }
    }
}
