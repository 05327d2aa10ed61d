import CellviKernels
import XCTest

/// `NarrowGemm` (products with at most 16 output columns, the latent layers) against the plain
/// reference: partial row blocks, every transpose, accumulate, column bias, and a c wider than n
/// whose other columns must stay untouched. Also TiledGemm at depths below 16 (the decoder's first layer).
final class NarrowGemmTests: XCTestCase {
    func testNarrowGemmMatchesReference() {
        assertGemmMatchesReference("NarrowGemm", shapes: [(128, 10, 128), (13, 1, 7), (8, 16, 300), (9, 11, 1), (130, 3, 64)],
                                   ldcPadding: 5, seed: 21,
                                   accepts: { NarrowGemm.accepts(m: $0, n: $1, k: $2, alpha: 1, beta: $3) }) {
            NarrowGemm.gemm($0, ldc: $1, $2, lda: $3, transposeA: $4, $5, ldb: $6, transposeB: $7, m: $8, n: $9, k: $10, beta: $11)
        }
    }

    func testNarrowGemmColumnBias() {
        var rng = RandomSource(seed: 22)
        let m = 19, n = 10, k = 33
        let a = (0..<(m * k)).map { _ in rng.normal() }, b = (0..<(n * k)).map { _ in rng.normal() }
        let bias = (0..<n).map { _ in rng.normal() }
        var r = [Float](repeating: 0, count: m * n)
        BLAS.gemmReference(&r, ldc: n, a, lda: k, transposeA: false, b, ldb: k, transposeB: true, m: m, n: n, k: k)
        for i in 0..<m { for j in 0..<n { r[i * n + j] += bias[j] } }
        var c = [Float](repeating: .nan, count: m * n)
        NarrowGemm.gemm(&c, ldc: n, a, lda: k, transposeA: false, b, ldb: k, transposeB: true, m: m, n: n, k: k,
                        beta: 0, columnBias: bias)
        for (x, y) in zip(c, r) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y))) }
    }

    func testTiledGemmAtSmallDepths() {
        assertGemmMatchesReference("TiledGemm", shapes: [(128, 128, 1), (128, 128, 3), (20, 70, 11), (128, 128, 15)], seed: 23,
                                   accepts: { TiledGemm.accepts(m: $0, n: $1, k: $2, alpha: 1, beta: $3) }) {
            TiledGemm.gemm($0, ldc: $1, $2, lda: $3, transposeA: $4, $5, ldb: $6, transposeB: $7, m: $8, n: $9, k: $10, beta: $11)
        }
    }
}
