import CellviKernels
import Foundation

/// Eigenpairs of a symmetric operator, eigenvalues in descending algebraic order.
struct EigenPairs {
    var values: [Double]   // (K)
    var vectors: [Double]  // (N, K) row-major: column j is the eigenvector of values[j]
    var dimension: Int
}

/// Which end of the spectrum to keep.
enum SpectrumEnd {
    /// The K eigenvalues of largest |λ| (ARPACK's `which="LM"`).
    case largestMagnitude
    /// The K largest eigenvalues.
    case largestAlgebraic
}

/// K eigenpairs of the symmetric operator `apply(x, y)`: y = A·x on vectors of length `dimension`.
/// Lanczos with full re-orthogonalisation for `steps` steps (all of them when steps ≥ dimension, which makes
/// the result exact up to rounding), then Ritz pairs from the tridiagonal matrix by implicit QL.
func symmetricEigen(
    dimension n: Int, count k: Int, which: SpectrumEnd, steps requestedSteps: Int? = nil, seed: UInt64 = 0,
    apply: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void
) -> EigenPairs {
    let k = min(k, n)
    let m = min(n, requestedSteps ?? max(2 * k + 60, 3 * k))
    var basis = [Double](repeating: 0, count: m * n)  // (m, N) Lanczos vectors as rows
    var alpha = [Double](repeating: 0, count: m), beta = [Double](repeating: 0, count: m)
    var rng = SeededGenerator(seed: seed)
    var w = [Double](repeating: 0, count: n), h = [Double](repeating: 0, count: m)
    basis.withUnsafeMutableBufferPointer { qb in
    w.withUnsafeMutableBufferPointer { wb in
    h.withUnsafeMutableBufferPointer { hb in
        let q = qb.baseAddress!, wp = wb.baseAddress!, hp = hb.baseAddress!
        /// Removes from w its components along basis rows 0..<count (twice, for stability); returns |w|.
        func orthogonalize(_ count: Int) -> Double {
            for _ in 0..<2 where count > 0 {
                PairwiseDistances.multiplyVectorDouble(hp, q, rows: count, columns: n, stride: n, transpose: false, wp)
                PairwiseDistances.multiplyVectorDouble(wp, q, rows: count, columns: n, stride: n, transpose: true, hp,
                                                       alpha: -1, beta: 1)
            }
            var s = 0.0
            for i in 0..<n { s += wp[i] * wp[i] }
            return s.squareRoot()
        }
        func randomStart(_ row: Int) -> Bool {
            for _ in 0..<3 {
                for i in 0..<n { wp[i] = rng.nextUnit() - 0.5 }
                let norm = orthogonalize(row)
                if norm > 1e-10 {
                    for i in 0..<n { q[row * n + i] = wp[i] / norm }
                    return true
                }
            }
            return false
        }
        _ = randomStart(0)
        for j in 0..<m {
            apply(q + j * n, wp)
            var a = 0.0
            for i in 0..<n { a += wp[i] * q[j * n + i] }
            alpha[j] = a
            let norm = orthogonalize(j + 1)
            guard j + 1 < m else { break }
            if norm > 1e-10 * max(1, abs(a)) {
                beta[j] = norm
                for i in 0..<n { q[(j + 1) * n + i] = wp[i] / norm }
            } else {
                // Invariant subspace found: continue from a fresh orthogonal direction (T splits here).
                beta[j] = 0
                if !randomStart(j + 1) { break }
            }
        }
    }}}
    var d = alpha, e = beta
    var z = [Double](repeating: 0, count: m * m)  // (m, m)
    for i in 0..<m { z[i * m + i] = 1 }
    tridiagonalEigen(diagonal: &d, offDiagonal: &e, vectors: &z, size: m)
    var order = Array(0..<m)
    switch which {
    case .largestMagnitude: order.sort { abs(d[$0]) > abs(d[$1]) }
    case .largestAlgebraic: order.sort { d[$0] > d[$1] }
    }
    let chosen = Array(order.prefix(k)).sorted { d[$0] > d[$1] }
    var ritz = [Double](repeating: 0, count: m * k)  // (m, K)
    for (c, j) in chosen.enumerated() { for i in 0..<m { ritz[i * k + c] = z[i * m + j] } }
    var vectors = [Double](repeating: 0, count: n * k)  // (N, K) = Qᵀ · ritz
    basis.withUnsafeBufferPointer { qb in ritz.withUnsafeBufferPointer { rb in vectors.withUnsafeMutableBufferPointer { vb in
        PairwiseDistances.multiplyDouble(vb.baseAddress!, cStride: k, qb.baseAddress!, aStride: n, transposeA: true,
                                         rb.baseAddress!, bStride: k, transposeB: false, m: n, n: k, depth: m)
    } } }
    return EigenPairs(values: chosen.map { d[$0] }, vectors: vectors, dimension: n)
}

/// Implicit QL with Wilkinson shifts on a symmetric tridiagonal matrix (Numerical Recipes' `tqli`).
/// `offDiagonal[i]` couples i and i + 1. On return `diagonal` holds eigenvalues and column j of `vectors`
/// (row-major, size × size, initialised by the caller, usually to I) the eigenvector of diagonal[j].
func tridiagonalEigen(diagonal d: inout [Double], offDiagonal e: inout [Double], vectors z: inout [Double], size n: Int) {
    guard n > 1 else { return }
    e[n - 1] = 0
    for l in 0..<n {
        var iterations = 0
        while true {
            var m = l
            while m < n - 1 {
                let dd = abs(d[m]) + abs(d[m + 1])
                if abs(e[m]) <= Double.ulpOfOne * dd { break }
                m += 1
            }
            if m == l { break }
            iterations += 1
            if iterations > 60 { break }
            var g = (d[l + 1] - d[l]) / (2 * e[l])
            var r = (g * g + 1).squareRoot()
            g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r))
            var s = 1.0, c = 1.0, p = 0.0
            var i = m - 1
            var split = false
            while i >= l {
                let f = s * e[i], b = c * e[i]
                r = (f * f + g * g).squareRoot()
                e[i + 1] = r
                if r == 0 { d[i + 1] -= p; e[m] = 0; split = true; break }
                s = f / r; c = g / r
                g = d[i + 1] - p
                r = (d[i] - g) * s + 2 * c * b
                p = s * r
                d[i + 1] = g + p
                g = c * r - b
                z.withUnsafeMutableBufferPointer { zb in
                    let zp = zb.baseAddress!
                    for row in 0..<n {
                        let base = row * n
                        let zf = zp[base + i + 1]
                        zp[base + i + 1] = s * zp[base + i] + c * zf
                        zp[base + i] = c * zp[base + i] - s * zf
                    }
                }
                i -= 1
            }
            if split { continue }
            d[l] -= p; e[l] = g; e[m] = 0
        }
    }
}
