import CellviKernels
import Foundation
import XCTest

final class KernelTests: XCTestCase {
    func testGemmMatchesReferenceForAllTransposes() {
        var rng = RandomSource(seed: 3)
        let m = 5, n = 7, k = 4
        for ta in [false, true] {
            for tb in [false, true] {
                let a = (0..<(m * k)).map { _ in rng.normal() }, b = (0..<(k * n)).map { _ in rng.normal() }
                var c = [Float](repeating: 1, count: m * n), r = c
                BLAS.gemm(&c, ldc: n, a, lda: ta ? m : k, transposeA: ta, b, ldb: tb ? k : n, transposeB: tb,
                          m: m, n: n, k: k, alpha: 0.5, beta: 1)
                BLAS.gemmReference(&r, ldc: n, a, lda: ta ? m : k, transposeA: ta, b, ldb: tb ? k : n, transposeB: tb,
                                   m: m, n: n, k: k, alpha: 0.5, beta: 1)
                for (x, y) in zip(c, r) { XCTAssertEqual(x, y, accuracy: 1e-5) }
            }
        }
    }

    func testSparseProductMatchesReference() {
        var rng = RandomSource(seed: 4)
        let rowsN = 6, k = 9, n = 5
        var dense = Matrix(zeros: rowsN, k)
        for i in 0..<(rowsN * k) where rng.uniform() < 0.4 { dense.values[i] = Float(rng.integer(below: 5) + 1) }
        let csr = CSRMatrix(dense: dense)
        let wt = (0..<(k * n)).map { _ in rng.normal() }
        let dout = (0..<(4 * n)).map { _ in rng.normal() }
        let rows = [4, 0, 2, 5]
        csr.rowOffsets.withUnsafeBufferPointer { o in csr.columnIndices.withUnsafeBufferPointer { ix in
            csr.values.withUnsafeBufferPointer { v in rows.withUnsafeBufferPointer { r in
                let x = SparseRows(offsets: o.baseAddress!, indices: ix.baseAddress!, values: v.baseAddress!,
                                   rows: r.baseAddress!, rowCount: 4)
                for threads in [1, 2] {
                    var out = [Float](repeating: 0, count: 4 * n)
                    SparseProduct.forward(&out, x, wt, n: n, threads: threads)
                    let ref = SparseProduct.forwardReference(x, wt, k: k, n: n)
                    for (a, b) in zip(out, ref) { XCTAssertEqual(a, b, accuracy: 1e-4) }
                    var g = [Float](repeating: 0, count: k * n)
                    SparseProduct.weightGradient(&g, x, dout, n: n, threads: threads)
                    let gref = SparseProduct.weightGradientReference(x, dout, k: k, n: n)
                    for (a, b) in zip(g, gref) { XCTAssertEqual(a, b, accuracy: 1e-4) }
                }
            } }
        } }
    }

    /// Column-major sparse kernels (64-wide register blocks plus a tail, log1p view) against the
    /// references: the weight gradient bit-identical for 1 and 2 threads, the forward in the row-wise
    /// sum order with one thread and deterministic with two; a tiny scratch falls back.
    func testColumnMajorSparseProductsMatchReference() {
        // Small, and large enough that the column-major copy is built by two threads.
        for (rowsN, k, B) in [(40, 70, 12), (150, 600, 100)] { checkColumnMajorSparseProducts(rowsN: rowsN, k: k, B: B) }
    }

    func checkColumnMajorSparseProducts(rowsN: Int, k: Int, B: Int) {
        var rng = RandomSource(seed: 5)
        let n = 136
        let data = SparseTestData(rows: rowsN, columns: k, fill: 0.1, maxCount: 7, batch: B, rng: &rng)
        let wt = (0..<(k * n)).map { _ in rng.normal() }
        let dout = (0..<(B * n)).map { _ in rng.normal() }
        data.withMinibatch { x in
            let ref = SparseProduct.forwardReference(x, wt, k: k, n: n)
            let gref = SparseProduct.weightGradientReference(x, dout, k: k, n: n)
            var rowWise = [Float](repeating: 0, count: B * n)
            SparseProduct.forward(&rowWise, x, wt, n: n, threads: 1)
            var firstGradient: [Float]?
            for (threads, capacity) in [(1, 10_000), (2, 10_000), (2, 10_000), (2, 3)] {
                let scratch = SparseColumnScratch(columns: k, capacity: capacity)
                var out = [Float](repeating: 7, count: B * n)
                SparseProduct.forward(&out, x, wt, n: n, k: k, scratch: scratch, threads: threads)
                for (a, b) in zip(out, ref) { XCTAssertEqual(a, b, accuracy: 1e-4) }
                var g = [Float](repeating: 0, count: k * n)
                SparseProduct.weightGradient(&g, x, dout, n: n, k: k, scratch: scratch, threads: threads)
                for (a, b) in zip(g, gref) { XCTAssertEqual(a, b, accuracy: 1e-4) }
                if capacity > 3 {
                    // One thread keeps the row-wise sum order; more threads add per-thread gene
                    // partials, the same way on every run.
                    if threads == 1 { XCTAssertTrue(out == rowWise, "column-major forward keeps the row-wise sum order") }
                    var again = [Float](repeating: 0, count: B * n)
                    SparseProduct.forward(&again, x, wt, n: n, k: k, scratch: scratch, threads: threads)
                    XCTAssertTrue(again == out, "\(threads) threads: forward is deterministic")
                    if let f = firstGradient { XCTAssertTrue(f == g, "threads \(threads) change the weight gradient") }
                    else { firstGradient = g }
                }
            }
        }
    }

    func testSinCosAndNormalDraws() {
        var worst: Float = 0
        for i in 0...20000 {
            let x = Float.pi * (2 * Float(i) / 20000 - 1)
            let (s, c) = FastMath.sinCos(x)
            worst = max(worst, abs(s - sinf(x)), abs(c - cosf(x)))
        }
        XCTAssertLessThan(worst, 5e-7)
        var rng = RandomSource(seed: 8)
        var z = [Float](repeating: .nan, count: 200_001)   // odd count: the last pair is half used
        rng.fillNormal(&z, count: z.count)
        let mean = z.reduce(0.0) { $0 + Double($1) } / Double(z.count)
        let variance = z.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(z.count)
        let tail = Double(z.filter { abs($0) > 1.959964 }.count) / Double(z.count)
        XCTAssertEqual(mean, 0, accuracy: 0.01); XCTAssertEqual(variance, 1, accuracy: 0.01)
        XCTAssertEqual(tail, 0.05, accuracy: 0.003)
        XCTAssertTrue(z.allSatisfy { $0.isFinite })
        var again = RandomSource(seed: 8), w = [Float](repeating: 0, count: z.count)
        again.fillNormal(&w, count: w.count)
        XCTAssertEqual(z, w, "seeded draws repeat")
    }

    func testSpecialFunctionsMatchReferences() {
        for x in [1e-4, 0.03, 0.5, 1, 1.5, 3.7, 7.9, 8, 12.5, 100, 1e4, 3e6] {
            XCTAssertEqual(Special.logGamma(x), Special.logGammaReference(x), accuracy: 1e-10 * max(1, abs(Special.logGammaReference(x))))
            XCTAssertEqual(Special.digamma(x), Special.digammaReference(x), accuracy: 1e-9 * max(1, abs(Special.digammaReference(x))))
        }
        XCTAssertEqual(Special.digamma(1.0), -0.5772156649015329, accuracy: 1e-10)
    }

    func testSoftplusSigmoidLogSoftmax() {
        for x in [-100, -20, -1, 0, 0.5, 20, 100] as [Float] {
            XCTAssertEqual(Double(Elementwise.softplus(x)), Elementwise.softplusReference(Double(x)), accuracy: 1e-5 * max(1, Double(abs(x))))
            XCTAssertEqual(Double(Elementwise.sigmoid(x)), 1 / (1 + exp(-Double(x))), accuracy: 1e-7)
        }
        let row: [Float] = [1000, 999, -5, 0.25]
        var out = [Float](repeating: 0, count: 4)
        Elementwise.logSoftmax(&out, row, count: 4)
        let ref = Elementwise.logSoftmaxReference(row.map(Double.init))
        for (a, b) in zip(out, ref) { XCTAssertEqual(Double(a), b, accuracy: 1e-4 * max(1, abs(b) / 100)) }
    }

    func testRandomSourceIsDeterministicAndRoughlyCalibrated() {
        var a = RandomSource(seed: 42), b = RandomSource(seed: 42)
        XCTAssertEqual((0..<100).map { _ in a.next() }, (0..<100).map { _ in b.next() })
        var r = RandomSource(seed: 7)
        let n = 20000
        let normals = (0..<n).map { _ in Double(r.normal()) }
        let mean = normals.reduce(0, +) / Double(n)
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 0, accuracy: 0.03); XCTAssertEqual(variance, 1, accuracy: 0.04)
        let p = r.permutation(50)
        XCTAssertEqual(p.sorted(), Array(0..<50))
        for lam in [0.5, 4.0, 30.0, 500.0] {
            let s = (0..<5000).map { _ in r.poisson(lam) }
            XCTAssertEqual(s.reduce(0, +) / 5000, lam, accuracy: 0.05 * lam + 0.05)
        }
        for shape in [0.3, 1.0, 5.0] {
            let s = (0..<5000).map { _ in r.gamma(shape: shape) }
            XCTAssertEqual(s.reduce(0, +) / 5000, shape, accuracy: 0.06 * shape + 0.02)
        }
    }

    func testFastExpAndLogMatchLibmWithinTwoUlps() {
        var rng = RandomSource(seed: 11)
        var worstExp: Float = 0, worstLog: Float = 0
        for _ in 0..<200_000 {
            let x = Float(rng.uniform() * 175 - 87)
            let e = FastMath.exp(x), r = FastMath.expReference(x)
            worstExp = max(worstExp, abs(e - r) / r.ulp)
            let y = Float(bitPattern: UInt32(0x0080_0000) + UInt32(truncatingIfNeeded: rng.next() % 0x7EFF_FFFF))
            let l = FastMath.log(y), lr = FastMath.logReference(y)
            worstLog = max(worstLog, abs(l - lr) / max(lr.magnitude, 1).ulp)
        }
        XCTAssertLessThanOrEqual(worstExp, 2, "exp worst ulps")
        XCTAssertLessThanOrEqual(worstLog, 2, "log worst ulps (relative to max(|log x|, 1))")
        XCTAssertEqual(FastMath.exp(-100), 0)
        XCTAssertEqual(FastMath.exp(0), 1)
        XCTAssertEqual(FastMath.log(1), 0)
        let v: [Float] = (0..<37).map { Float($0) * 0.37 - 3 }
        XCTAssertEqual(FastMath.sum(v, count: v.count), v.reduce(0, +), accuracy: 1e-4)
        XCTAssertEqual(FastMath.maximum(v, count: v.count), v.max()!)
    }

    func testAdamKernelIsBitIdenticalToReferenceForAnyThreadCount() {
        var rng = RandomSource(seed: 12)
        let n = 150_001
        let p0 = (0..<n).map { _ in rng.normal() }, g = (0..<n).map { _ in rng.normal() }
        var pr = p0, mr = [Float](repeating: 0, count: n), vr = mr
        for _ in 0..<3 {
            AdamKernel.stepReference(&pr, &mr, &vr, g, count: n, stepSize: 1e-3, bc2Sqrt: 0.03, epsilon: 0.01,
                                     weightDecay: 1e-6, beta1: 0.9, beta2: 0.999)
        }
        for threads in [1, 2, 3] {
            var p = p0, m = [Float](repeating: 0, count: n), v = m
            for _ in 0..<3 {
                AdamKernel.step(&p, &m, &v, g, count: n, stepSize: 1e-3, bc2Sqrt: 0.03, epsilon: 0.01,
                                weightDecay: 1e-6, beta1: 0.9, beta2: 0.999, threads: threads)
            }
            XCTAssertEqual(p, pr, "threads \(threads)"); XCTAssertEqual(m, mr); XCTAssertEqual(v, vr)
        }
    }
}
