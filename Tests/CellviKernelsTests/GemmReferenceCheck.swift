import CellviKernels
import XCTest

/// The signature of `TiledGemm.gemm` and `NarrowGemm.gemm` (beta 0 or 1, no bias).
typealias GemmKernel = (UnsafeMutablePointer<Float>, Int, UnsafePointer<Float>, Int, Bool,
                        UnsafePointer<Float>, Int, Bool, Int, Int, Int, Float) -> Void

/// Runs `kernel` and `BLAS.gemmReference` on random matrices for every shape, transpose and beta
/// (0 and 1), with `ldcPadding` extra columns in c that neither may touch, and fails on a relative
/// error above 1e-4 (float sums of hundreds of products against a Double reference; an indexing
/// bug is O(1)) or on a changed padding column.
func assertGemmMatchesReference(_ name: String, shapes: [(Int, Int, Int)], ldcPadding: Int = 0, seed: UInt64,
                                accepts: (Int, Int, Int, Float) -> Bool, _ kernel: GemmKernel,
                                file: StaticString = #filePath, line: UInt = #line) {
    var rng = RandomSource(seed: seed)
    for (m, n, k) in shapes {
        for ta in [false, true] {
            for tb in [false, true] {
                for beta: Float in [0, 1] {
                    let ldc = n + ldcPadding, lda = ta ? m : k, ldb = tb ? k : n
                    let a = (0..<(m * k)).map { _ in rng.normal() }, b = (0..<(k * n)).map { _ in rng.normal() }
                    var c = (0..<(m * ldc)).map { _ in rng.normal() }, r = c
                    let what = "\(name) m \(m) n \(n) k \(k) ta \(ta) tb \(tb) beta \(beta)"
                    XCTAssertTrue(accepts(m, n, k, beta), what, file: file, line: line)
                    kernel(&c, ldc, a, lda, ta, b, ldb, tb, m, n, k, beta)
                    BLAS.gemmReference(&r, ldc: ldc, a, lda: lda, transposeA: ta, b, ldb: ldb, transposeB: tb,
                                       m: m, n: n, k: k, beta: beta)
                    let worst = zip(c, r).map { abs($0 - $1) / max(1, abs($1)) }.max()!
                    XCTAssertLessThan(worst, 1e-4, what, file: file, line: line)
                    for i in 0..<m where c[(i * ldc + n)..<((i + 1) * ldc)] != r[(i * ldc + n)..<((i + 1) * ldc)] {
                        XCTFail("\(what): row \(i) written beyond column \(n)", file: file, line: line)
                    }
                }
            }
        }
    }
}
