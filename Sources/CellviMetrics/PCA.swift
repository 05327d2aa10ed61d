import CellviKernels
import Dispatch
import Foundation

/// A truncated PCA of cells × features data (features centred implicitly; sparse data stay sparse).
public struct PCAResult: Sendable {
    /// Scores U·S, `obsm["X_pca"]`.  // (N, C)
    public var coordinates: Matrix
    /// Loadings, one row per component, `varm["PCs"]` transposed.  // (C, G)
    public var components: Matrix
    /// Explained variance σ² / (N − 1) per component.  // (C)
    public var variance: [Double]
    /// Share of the total variance per component.  // (C)
    public var varianceRatio: [Double]
}

/// PCA of a sparse matrix (like `sc.tl.pca(adata, n_comps=components)` on a CSR `X`, zero-centred):
/// randomized SVD (Halko et al.) with `powerIterations` re-orthonormalised power steps.
public func pca(of x: CSRMatrix, components: Int = 50, seed: UInt64 = 0, powerIterations: Int = 7) -> PCAResult {
    randomizedPCA(rows: x.rowCount, columns: x.columnCount, components: components, seed: seed,
                  powerIterations: powerIterations, operand: SparseOperand(x))
}

/// PCA of a dense matrix; see `pca(of: CSRMatrix, ...)`.
public func pca(of x: Matrix, components: Int = 50, seed: UInt64 = 0, powerIterations: Int = 7) -> PCAResult {
    pca(of: CSRMatrix(dense: x), components: components, seed: seed, powerIterations: powerIterations)
}

/// X as a linear operator: products with dense Float64 blocks, rows split across cores.
private struct SparseOperand {
    let x: CSRMatrix
    let columnMeans: [Double]  // (G)
    init(_ x: CSRMatrix) {
        self.x = x
        var means = [Double](repeating: 0, count: x.columnCount)
        for e in 0..<x.nonZeroCount { means[Int(x.columnIndices[e])] += Double(x.values[e]) }
        columnMeans = means.map { $0 / Double(max(1, x.rowCount)) }
    }

    /// Runs `body` with X's arrays pinned.
    func withPointers<T>(_ body: (CSRPointers) -> T) -> T {
        x.rowOffsets.withUnsafeBufferPointer { o in x.columnIndices.withUnsafeBufferPointer { i in
            x.values.withUnsafeBufferPointer { v in
                body(CSRPointers(rowOffsets: o.baseAddress!, columnIndices: i.baseAddress!, values: v.baseAddress!))
            } } }
    }

    /// (X − 1μᵀ) · b for b (G, L); returns (N, L). Rows are independent: 8 fixed row ranges across cores.
    func times(_ b: [Double], width l: Int) -> [Double] {
        let n = x.rowCount
        var out = [Double](repeating: 0, count: n * l)
        var shift = [Double](repeating: 0, count: l)  // μᵀ b
        for g in 0..<x.columnCount where columnMeans[g] != 0 { for c in 0..<l { shift[c] += columnMeans[g] * b[g * l + c] } }
        withPointers { xp in
        out.withUnsafeMutableBufferPointer { ob in b.withUnsafeBufferPointer { bb in shift.withUnsafeBufferPointer { sb in
            let op = ob.baseAddress!, bp = bb.baseAddress!, sp = sb.baseAddress!
            DispatchQueue.concurrentPerform(iterations: 8) { chunk in
                SparseDoubleProducts.timesRows(op, xp, rows: (n * chunk / 8)..<(n * (chunk + 1) / 8), bp, width: l, shift: sp)
            }
        } } } }
        return out
    }

    /// (X − 1μᵀ)ᵀ · y for y (N, L); returns (G, L). Two fixed row halves accumulate separately, then add in order.
    func transposeTimes(_ y: [Double], width l: Int) -> [Double] {
        let n = x.rowCount, g = x.columnCount
        let chunks = 2
        var partial = [Double](repeating: 0, count: chunks * g * l)  // (chunks, G, L)
        withPointers { xp in
        partial.withUnsafeMutableBufferPointer { pb in y.withUnsafeBufferPointer { yb in
            let pp = pb.baseAddress!, yp = yb.baseAddress!
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                SparseDoubleProducts.accumulateTransposeTimes(pp + chunk * g * l, xp,
                                                              rows: (n * chunk / chunks)..<(n * (chunk + 1) / chunks), yp, width: l)
            }
        } } }
        var out = Array(partial[0..<(g * l)])
        for chunk in 1..<chunks { for i in 0..<(g * l) { out[i] += partial[chunk * g * l + i] } }
        var columnSums = [Double](repeating: 0, count: l)  // 1ᵀ y
        y.withUnsafeBufferPointer { yb in
            for r in 0..<n { for c in 0..<l { columnSums[c] += yb[r * l + c] } }
        }
        for gene in 0..<g where columnMeans[gene] != 0 { for c in 0..<l { out[gene * l + c] -= columnMeans[gene] * columnSums[c] } }
        return out
    }
}

private func randomizedPCA(rows n: Int, columns g: Int, components requested: Int, seed: UInt64,
                           powerIterations: Int, operand: SparseOperand) -> PCAResult {
    let c = min(requested, n, g)
    let l = min(c + 20, n, g)
    var rng = SeededGenerator(seed: seed)
    var omega = [Double](repeating: 0, count: g * l)  // (G, L)
    for i in 0..<omega.count { omega[i] = gaussian(&rng) }
    var basis = orthonormalColumns(operand.times(omega, width: l), rows: n, width: l)  // (N, L)
    for _ in 0..<powerIterations {
        let back = orthonormalColumns(operand.transposeTimes(basis, width: l), rows: g, width: l)  // (G, L)
        basis = orthonormalColumns(operand.times(back, width: l), rows: n, width: l)
    }
    // B = Qᵀ A_c is (L, G); stored transposed as Bᵀ = A_cᵀ Q (G, L). SVD of B via eig(B Bᵀ).
    let bt = operand.transposeTimes(basis, width: l)  // (G, L)
    var gram = [Double](repeating: 0, count: l * l)  // (L, L) = B Bᵀ
    bt.withUnsafeBufferPointer { bb in gram.withUnsafeMutableBufferPointer { gb in
        PairwiseDistances.multiplyDouble(gb.baseAddress!, cStride: l, bb.baseAddress!, aStride: l, transposeA: true,
                                         bb.baseAddress!, bStride: l, transposeB: false, m: l, n: l, depth: g)
    } }
    let eig = denseSymmetricEigen(gram, size: l, count: c)
    var coordinates = Matrix(zeros: n, c), components = Matrix(zeros: c, g)
    var variance = [Double](repeating: 0, count: c)
    for j in 0..<c {
        let sigma = max(eig.values[j], 0).squareRoot()
        variance[j] = sigma * sigma / Double(max(1, n - 1))
        // Left vector u = Q · w; sign chosen so its largest |entry| is positive (sklearn's svd_flip).
        var u = [Double](repeating: 0, count: n)
        basis.withUnsafeBufferPointer { qb in eig.vectors.withUnsafeBufferPointer { wb in
            for r in 0..<n { var s = 0.0; for t in 0..<l { s += qb[r * l + t] * wb[t * c + j] }; u[r] = s }
        } }
        var sign = 1.0, largest = 0.0
        for v in u where abs(v) > largest { largest = abs(v); sign = v < 0 ? -1 : 1 }
        for r in 0..<n { coordinates[r, j] = Float(sign * u[r] * sigma) }
        if sigma > 0 {
            for gene in 0..<g {
                var s = 0.0; for t in 0..<l { s += bt[gene * l + t] * eig.vectors[t * c + j] }
                components[j, gene] = Float(sign * s / sigma)
            }
        }
    }
    let total = totalVariance(operand)
    return PCAResult(coordinates: coordinates, components: components, variance: variance,
                     varianceRatio: variance.map { total > 0 ? $0 / total : 0 })
}

/// Σ over features of the sample variance.
private func totalVariance(_ operand: SparseOperand) -> Double {
    let x = operand.x, n = Double(x.rowCount)
    var squares = 0.0
    for v in x.values { squares += Double(v) * Double(v) }
    let meanSquares = operand.columnMeans.reduce(0.0) { $0 + $1 * $1 }
    return (squares - n * meanSquares) / max(1, n - 1)
}

/// Orthonormal basis of the column span of y (rows, width): modified Gram–Schmidt, applied twice for stability.
/// Columns that are numerically dependent become 0.
private func orthonormalColumns(_ y: [Double], rows: Int, width l: Int) -> [Double] {
    var columns = [Double](repeating: 0, count: l * rows)  // (L, rows): column j contiguous
    for r in 0..<rows { for j in 0..<l { columns[j * rows + r] = y[r * l + j] } }
    columns.withUnsafeMutableBufferPointer { cb in
        SparseDoubleProducts.orthonormalizeColumns(cb.baseAddress!, rows: rows, count: l)
    }
    var q = [Double](repeating: 0, count: rows * l)
    for r in 0..<rows { for j in 0..<l { q[r * l + j] = columns[j * rows + r] } }
    return q
}

/// All-steps Lanczos on a small dense symmetric matrix: exact eigenpairs, descending.
func denseSymmetricEigen(_ a: [Double], size l: Int, count: Int) -> EigenPairs {
    symmetricEigen(dimension: l, count: count, which: .largestAlgebraic, steps: l) { input, output in
        a.withUnsafeBufferPointer { ab in
            PairwiseDistances.multiplyVectorDouble(output, ab.baseAddress!, rows: l, columns: l, stride: l,
                                                   transpose: false, input)
        }
    }
}

/// A standard normal draw (Box–Muller).
func gaussian(_ rng: inout SeededGenerator) -> Double {
    let u = max(rng.nextUnit(), 1e-300), v = rng.nextUnit()
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
}
