import CellviKernels
@testable import CellviMetrics
import XCTest

final class LinearAlgebraTests: XCTestCase {
    /// Truncated Lanczos on a sparse symmetric matrix finds the same leading eigenvalues as the full run.
    func testTruncatedLanczosMatchesFullSpectrum() {
        let (graph, _) = plantedPartition(communities: 5, size: 60, pIn: 0.2, pOut: 0.02, seed: 1)
        let n = graph.rowCount
        func apply(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) {
            for r in 0..<n {
                var s = 0.0
                for e in graph.rowOffsets[r]..<graph.rowOffsets[r + 1] { s += Double(graph.values[e]) * x[Int(graph.columnIndices[e])] }
                y[r] = s
            }
        }
        let full = symmetricEigen(dimension: n, count: 10, which: .largestMagnitude, steps: n, apply: apply)
        let truncated = symmetricEigen(dimension: n, count: 10, which: .largestMagnitude, steps: 80, apply: apply)
        for j in 0..<5 { XCTAssertEqual(truncated.values[j], full.values[j], accuracy: 1e-6 * abs(full.values[0])) }
        // Eigen-equation residual of the leading pair.
        var x = (0..<n).map { full.vectors[$0 * 10] }, y = [Double](repeating: 0, count: n)
        x.withUnsafeMutableBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in apply(xb.baseAddress!, yb.baseAddress!) } }
        let residual = zip(y, x).map { abs($0 - full.values[0] * $1) }.max()!
        XCTAssertLessThan(residual, 1e-8)
    }

    /// PCA variances match the eigenvalues of the covariance matrix on a small dense low-rank-plus-noise matrix.
    func testPCAMatchesCovarianceEigenvalues() {
        var rng = SeededGenerator(seed: 4)
        let n = 300, g = 25, rank = 4
        let scores = (0..<(n * rank)).map { _ in gaussian(&rng) * 3 }
        let loadings = (0..<(rank * g)).map { _ in gaussian(&rng) }
        var x = Matrix(zeros: n, g)
        for r in 0..<n { for c in 0..<g {
            var s = 5.0 + 0.3 * gaussian(&rng)
            for t in 0..<rank { s += scores[r * rank + t] * loadings[t * g + c] }
            x[r, c] = Float(s)
        } }
        let result = pca(of: x, components: 6, seed: 1)
        var mean = [Double](repeating: 0, count: g)
        for r in 0..<n { for c in 0..<g { mean[c] += Double(x[r, c]) / Double(n) } }
        var covariance = [Double](repeating: 0, count: g * g)
        for r in 0..<n { for a in 0..<g { for b in 0..<g {
            covariance[a * g + b] += (Double(x[r, a]) - mean[a]) * (Double(x[r, b]) - mean[b]) / Double(n - 1)
        } } }
        let exact = denseSymmetricEigen(covariance, size: g, count: 6)
        for j in 0..<6 { XCTAssertEqual(result.variance[j], exact.values[j], accuracy: 1e-4 * exact.values[0]) }
        // Scores are centred and their variance is the component's variance.
        var sum = 0.0, squares = 0.0
        for r in 0..<n { sum += Double(result.coordinates[r, 0]); squares += Double(result.coordinates[r, 0] * result.coordinates[r, 0]) }
        XCTAssertEqual(sum / Double(n), 0, accuracy: 1e-3)
        XCTAssertEqual(squares / Double(n - 1), result.variance[0], accuracy: 1e-3 * result.variance[0])
        XCTAssertEqual(result.varianceRatio.reduce(0, +), exact.values.prefix(6).reduce(0, +) / (0..<g).reduce(0.0) { $0 + covariance[$1 * g + $1] }, accuracy: 1e-4)
    }
}
