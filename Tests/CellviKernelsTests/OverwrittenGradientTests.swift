import CellviKernels
import XCTest

/// Gradients the backward pass writes instead of accumulating into.
final class OverwrittenGradientTests: XCTestCase {
    func testAdamLeavesOverwrittenGradientsAndUpdatesLikeStep() {
        var rng = RandomSource(seed: 21)
        let n = 160_000
        let tensors = [SlabPartition(range: 1024..<(1024 + 100 * 640), rowLength: 640, split: .rowBlocks),
                       SlabPartition(range: 90_000..<(90_000 + 400 * 150), rowLength: 150, split: .rowChunks(minimumRows: 64))]
        let p0 = (0..<n).map { _ in rng.normal() }, g0 = (0..<n).map { _ in rng.normal() }
        let m0 = (0..<n).map { _ in rng.normal() * 0.1 }, v0 = (0..<n).map { _ in abs(rng.normal()) * 0.01 }
        for threads in [1, 2, 3] {
            var (p1, m1, v1, g1) = (p0, m0, v0, g0)
            var (p2, m2, v2) = (p0, m0, v0)
            AdamKernel.stepClearingGradient(&p1, &m1, &v1, &g1, count: n, overwritten: tensors, stepSize: 1e-3, bc2Sqrt: 0.3,
                                            epsilon: 0.01, weightDecay: 1e-6, beta1: 0.9, beta2: 0.999, threads: threads)
            AdamKernel.step(&p2, &m2, &v2, g0, count: n, stepSize: 1e-3, bc2Sqrt: 0.3, epsilon: 0.01, weightDecay: 1e-6,
                            beta1: 0.9, beta2: 0.999, threads: 1)
            XCTAssertTrue(p1 == p2 && m1 == m2 && v1 == v2, "same update as step, \(threads) threads")
            for i in 0..<n {
                let kept = tensors.contains { $0.range.contains(i) }
                if g1[i] != (kept ? g0[i] : 0) { XCTFail("gradient \(i), \(threads) threads"); break }
            }
        }
    }

    func testPartitionsCoverEachTensorOnce() {
        for tensor in [SlabPartition(range: 32..<(32 + 10_000 * 128), rowLength: 128, split: .rowBlocks),
                       SlabPartition(range: 0..<(300 * 136), rowLength: 136, split: .rowChunks(minimumRows: 32))] {
            for threads in 1...4 {
                var seen = [Int](repeating: 0, count: tensor.range.upperBound)
                let parts = tensor.parts(threads: threads)
                for p in 0..<parts { tensor.forEachRange(ofPart: p, parts: parts) { for i in $0 { seen[i] += 1 } } }
                XCTAssertEqual(seen[tensor.range].allSatisfy { $0 == 1 }, true, "\(tensor.split), \(threads) threads")
            }
        }
    }

    func testSparseWeightGradientOverwrites() {
        var rng = RandomSource(seed: 22)
        let k = 300, n = 72, B = 16
        let data = SparseTestData(rows: 40, columns: k, fill: 0.05, maxCount: 5, batch: B, rng: &rng)
        let dout = (0..<(B * n)).map { _ in rng.normal() }
        data.withMinibatch { x in
            let ref = SparseProduct.weightGradientReference(x, dout, k: k, n: n)
            for capacity in [10_000, 3] {   // column-major kernel, and its row-wise fallback
                var g = [Float](repeating: .nan, count: k * n)
                SparseProduct.weightGradient(&g, x, dout, n: n, k: k, scratch: SparseColumnScratch(columns: k, capacity: capacity),
                                             threads: 2, overwrite: true)
                for (a, b) in zip(g, ref) { XCTAssertEqual(a, b, accuracy: 1e-4) }
            }
        }
    }
}
