import CellviKernels
@testable import CellviPerturbation
import XCTest

/// The kernels behind scGen's fast training: split products against the plain reference, the fused
/// Adam step against step + zeroing, and the threaded network against the single-threaded one.
final class ScGenKernelTests: XCTestCase {
    func randomArray(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RandomSource(seed: seed)
        return (0..<n).map { _ in rng.uniformFloat() - 0.5 }
    }

    func testSplitGemmMatchesTheReferenceForEveryTransposition() {
        BLAS.setThreadCount(1)
        // Shapes large enough to split (m·n·k ≥ 2^20), with the larger side rows or columns.
        for (m, n, k) in [(32, 1000, 64), (700, 40, 64)] {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let a = randomArray(m * k, seed: 1), b = randomArray(k * n, seed: 2), c0 = randomArray(m * n, seed: 3)
                    var fast = c0, slow = c0
                    let lda = transposeA ? m : k, ldb = transposeB ? k : n
                    fast.withUnsafeMutableBufferPointer { c in
                        BLAS.gemmSplit(c.baseAddress!, ldc: n, a, lda: lda, transposeA: transposeA, b, ldb: ldb, transposeB: transposeB,
                                       m: m, n: n, k: k, alpha: 0.5, beta: 1, threads: 3)
                    }
                    slow.withUnsafeMutableBufferPointer { c in
                        BLAS.gemmReference(c.baseAddress!, ldc: n, a, lda: lda, transposeA: transposeA, b, ldb: ldb, transposeB: transposeB,
                                           m: m, n: n, k: k, alpha: 0.5, beta: 1)
                    }
                    let worst = zip(fast, slow).map { abs($0 - $1) }.max()!
                    XCTAssertLessThan(worst, 1e-4, "\(m)×\(n)×\(k) tA \(transposeA) tB \(transposeB)")
                }
            }
        }
    }

    func testAdamStepClearingGradientEqualsStepThenZero() {
        let n = 200_003
        var p1 = randomArray(n, seed: 4), m1 = randomArray(n, seed: 5), v1 = randomArray(n, seed: 6).map { $0 * $0 }
        var g1 = randomArray(n, seed: 7)
        var p2 = p1, m2 = m1, v2 = v1, g2 = g1
        AdamKernel.step(&p1, &m1, &v1, g1, count: n, stepSize: 1e-3, bc2Sqrt: 0.3, epsilon: 0.01, weightDecay: 1e-6,
                        beta1: 0.9, beta2: 0.999, threads: 2)
        g1 = [Float](repeating: 0, count: n)
        AdamKernel.stepClearingGradient(&p2, &m2, &v2, &g2, count: n, stepSize: 1e-3, bc2Sqrt: 0.3, epsilon: 0.01, weightDecay: 1e-6,
                                        beta1: 0.9, beta2: 0.999, threads: 2)
        XCTAssertEqual(p1, p2); XCTAssertEqual(m1, m2); XCTAssertEqual(v1, v2); XCTAssertEqual(g1, g2)
    }

    func testThreadedGradientMatchesSingleThreaded() throws {
        // Wide enough that the output layer's products are split (40 × 300 × 128 ≥ 2^20).
        let c = ScGenConfiguration(geneCount: 300, hiddenDimensions: 128, latentDimensions: 10)
        var rng = RandomSource(seed: 9)
        let values = (0..<(40 * 300)).map { _ in rng.uniformFloat() < 0.8 ? 0 : 3 * rng.uniformFloat() }
        let data = CSRMatrix(dense: Matrix(rows: 40, columns: 300, values: values))
        var results: [(Double, [Float])] = []
        for threads in [1, 2] {
            let vae = try ScGenVAE(configuration: c, seed: 3)
            vae.threads = threads
            results.append(try vae.lossAndGradient(data, rows: Array(0..<40), seed: 8))
        }
        XCTAssertEqual(results[0].0, results[1].0, accuracy: 1e-4 * abs(results[0].0))
        let scale = results[0].1.map { abs($0) }.max()!
        let worst = zip(results[0].1, results[1].1).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-4 * scale)
    }
}
