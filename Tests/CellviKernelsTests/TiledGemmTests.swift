import Dispatch
import CellviKernels
import XCTest

/// `TiledGemm` (the AVX-512 build's GEMM) against the plain reference, on shapes with partial
/// tiles (rows not a multiple of 6, columns not a multiple of 64, depth across panel blocks).
final class TiledGemmTests: XCTestCase {
    func testTiledGemmMatchesReferenceOnRaggedShapes() {
        assertGemmMatchesReference("TiledGemm", shapes: [(13, 70, 37), (6, 64, 16), (128, 200, 300), (9, 130, 600), (70, 1000, 128)],
                                   ldcPadding: 3, seed: 11,
                                   accepts: { TiledGemm.accepts(m: $0, n: $1, k: $2, alpha: 1, beta: $3) }) {
            TiledGemm.gemm($0, ldc: $1, $2, lda: $3, transposeA: $4, $5, ldb: $6, transposeB: $7, m: $8, n: $9, k: $10, beta: $11)
        }
    }

    func testColumnBiasStartsEveryRow() {
        var rng = RandomSource(seed: 13)
        let m = 14, n = 150, k = 40
        let a = (0..<(m * k)).map { _ in rng.normal() }, b = (0..<(n * k)).map { _ in rng.normal() }
        let bias = (0..<n).map { _ in rng.normal() }
        var r = [Float](repeating: 0, count: m * n)
        BLAS.gemmReference(&r, ldc: n, a, lda: k, transposeA: false, b, ldb: k, transposeB: true, m: m, n: n, k: k)
        for i in 0..<m { for j in 0..<n { r[i * n + j] += bias[j] } }
        var tiled = [Float](repeating: .nan, count: m * n), blas = tiled
        TiledGemm.gemm(&tiled, ldc: n, a, lda: k, transposeA: false, b, ldb: k, transposeB: true,
                       m: m, n: n, k: k, beta: 0, columnBias: bias)
        BLAS.gemm(&blas, ldc: n, a, lda: k, transposeA: false, b, ldb: k, transposeB: true, m: m, n: n, k: k, columnBias: bias)
        for (x, y) in zip(tiled, r) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y))) }
        for (x, y) in zip(blas, r) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y))) }
    }

    func testTiledGemmIsDeterministic() {
        var rng = RandomSource(seed: 12)
        let m = 20, n = 100, k = 300
        let a = (0..<(m * k)).map { _ in rng.normal() }, b = (0..<(k * n)).map { _ in rng.normal() }
        var c1 = [Float](repeating: 0, count: m * n), c2 = c1
        TiledGemm.gemm(&c1, ldc: n, a, lda: k, transposeA: false, b, ldb: k, transposeB: true, m: m, n: n, k: k, beta: 0)
        TiledGemm.gemm(&c2, ldc: n, a, lda: k, transposeA: false, b, ldb: k, transposeB: true, m: m, n: n, k: k, beta: 0)
        XCTAssertEqual(c1, c2)
    }
}

/// The packing panels TiledGemm borrows instead of allocating.
final class PanelPoolTests: XCTestCase {
    func testConcurrentProductsGetTheirOwnPanelsAndGiveThemBack() {
        var rng = RandomSource(seed: 14)
        let m = 12, n = 130, k = 70   // transposed b and a partial panel: both use the panel
        let a = (0..<(m * k)).map { _ in rng.normal() }, b = (0..<(n * k)).map { _ in rng.normal() }
        var expected = [Float](repeating: 0, count: m * n)
        TiledGemm.gemm(&expected, ldc: n, a, lda: k, transposeA: false, b, ldb: k, transposeB: true, m: m, n: n, k: k, beta: 0)
        // More concurrent products than pooled panels: the extra ones allocate their own.
        let results = UnsafeMutablePointer<Float>.allocate(capacity: 40 * m * n)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 40) { i in
            TiledGemm.gemm(results + i * m * n, ldc: n, a, lda: k, transposeA: false, b, ldb: k, transposeB: true,
                           m: m, n: n, k: k, beta: 0)
        }
        for i in 0..<40 {
            XCTAssertEqual(Array(UnsafeBufferPointer(start: results + i * m * n, count: m * n)), expected, "product \(i)")
        }
    }
}
