import CellviKernels
import XCTest

/// `NarrowGemm` (products with at most 16 output columns, the latent layers) against the plain
/// reference: partial row blocks, every transpose, accumulate, column bias, and a c wider than n
/// whose other columns must stay untouched. Also TiledGemm at depths below 16 (the decoder's first layer).
final class NarrowGemmTests: XCTestCase {
    func testNarrowGemmMatchesReference() {
        var rng = RandomSource(seed: 21)
        for (m, n, k) in [(128, 10, 128), (13, 1, 7), (8, 16, 300), (9, 11, 1), (130, 3, 64)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    for beta: Float in [0, 1] {
                        let ldc = n + 5   // columns n..<ldc belong to something else
                        let a = (0..<(m * k)).map { _ in rng.normal() }, b = (0..<(k * n)).map { _ in rng.normal() }
                        var c = (0..<(m * ldc)).map { _ in rng.normal() }, r = c
                        let lda = ta ? m : k, ldb = tb ? k : n
                        XCTAssertTrue(NarrowGemm.accepts(m: m, n: n, k: k, alpha: 1, beta: beta))
                        NarrowGemm.gemm(&c, ldc: ldc, a, lda: lda, transposeA: ta, b, ldb: ldb, transposeB: tb,
                                        m: m, n: n, k: k, beta: beta)
                        BLAS.gemmReference(&r, ldc: ldc, a, lda: lda, transposeA: ta, b, ldb: ldb, transposeB: tb,
                                           m: m, n: n, k: k, beta: beta)
                        let worst = zip(c, r).map { abs($0 - $1) / max(1, abs($1)) }.max()!
                        XCTAssertLessThan(worst, 1e-4, "m \(m) n \(n) k \(k) ta \(ta) tb \(tb) beta \(beta)")
                        for i in 0..<m { for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], r[i * ldc + j]) } }
                    }
                }
            }
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
        var rng = RandomSource(seed: 23)
        for k in [1, 3, 11, 15] {
            let m = 128, n = 128
            let a = (0..<(m * k)).map { _ in rng.normal() }, b = (0..<(k * n)).map { _ in rng.normal() }
            var c = (0..<(m * n)).map { _ in rng.normal() }, r = c
            XCTAssertTrue(TiledGemm.accepts(m: m, n: n, k: k, alpha: 1, beta: 1))
            TiledGemm.gemm(&c, ldc: n, a, lda: k, transposeA: false, b, ldb: k, transposeB: true, m: m, n: n, k: k, beta: 1)
            BLAS.gemmReference(&r, ldc: n, a, lda: k, transposeA: false, b, ldb: k, transposeB: true, m: m, n: n, k: k, beta: 1)
            for (x, y) in zip(c, r) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y)), "k \(k)") }
        }
    }
}
