import CellviKernels
import XCTest

/// Gradients the backward pass writes instead of accumulating into.
final class OverwrittenGradientTests: XCTestCase {
    func testAdamLeavesKeptGradientsAndUpdatesLikeStep() {
        var rng = RandomSource(seed: 21)
        let n = 150_000, keep = [1000..<70_000, 90_000..<150_000]
        let p0 = (0..<n).map { _ in rng.normal() }, g0 = (0..<n).map { _ in rng.normal() }
        let m0 = (0..<n).map { _ in rng.normal() * 0.1 }, v0 = (0..<n).map { _ in abs(rng.normal()) * 0.01 }
        var (p1, m1, v1, g1) = (p0, m0, v0, g0)
        var (p2, m2, v2) = (p0, m0, v0)
        AdamKernel.stepClearingGradient(&p1, &m1, &v1, &g1, count: n, keeping: keep, stepSize: 1e-3, bc2Sqrt: 0.3,
                                        epsilon: 0.01, weightDecay: 1e-6, beta1: 0.9, beta2: 0.999, threads: 2)
        AdamKernel.step(&p2, &m2, &v2, g0, count: n, stepSize: 1e-3, bc2Sqrt: 0.3, epsilon: 0.01, weightDecay: 1e-6,
                        beta1: 0.9, beta2: 0.999, threads: 1)
        XCTAssertTrue(p1 == p2 && m1 == m2 && v1 == v2, "same update as step")
        for i in stride(from: 0, to: n, by: 7) {
            let kept = keep.contains { $0.contains(i) }
            XCTAssertEqual(g1[i], kept ? g0[i] : 0, "gradient \(i)")
        }
    }

    func testSparseWeightGradientOverwrites() {
        var rng = RandomSource(seed: 22)
        let rowsN = 40, k = 300, n = 72, B = 16
        var dense = Matrix(zeros: rowsN, k)
        for i in 0..<(rowsN * k) where rng.uniform() < 0.05 { dense.values[i] = Float(rng.integer(below: 5) + 1) }
        let csr = CSRMatrix(dense: dense)
        let dout = (0..<(B * n)).map { _ in rng.normal() }
        let rows = (0..<B).map { _ in rng.integer(below: rowsN) }
        csr.rowOffsets.withUnsafeBufferPointer { o in csr.columnIndices.withUnsafeBufferPointer { ix in
            csr.values.withUnsafeBufferPointer { v in rows.withUnsafeBufferPointer { r in
                let x = SparseRows(offsets: o.baseAddress!, indices: ix.baseAddress!, values: v.baseAddress!,
                                   rows: r.baseAddress!, rowCount: B, log1pOfValues: true)
                let ref = SparseProduct.weightGradientReference(x, dout, k: k, n: n)
                for capacity in [10_000, 3] {   // column-major kernel, and its row-wise fallback
                    var g = [Float](repeating: .nan, count: k * n)
                    SparseProduct.weightGradient(&g, x, dout, n: n, k: k, scratch: SparseColumnScratch(columns: k, capacity: capacity),
                                                 threads: 2, overwrite: true)
                    for (a, b) in zip(g, ref) { XCTAssertEqual(a, b, accuracy: 1e-4) }
                }
            } }
        } }
    }
}
