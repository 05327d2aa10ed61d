@testable import CellviModel
import CellviKernels
import XCTest

/// Central finite differences (Float32 kernels, Double sums) against analytic backward passes.
final class GradientCheckTests: XCTestCase {
    /// Checks that `analytic` ≈ (f(p+h) − f(p−h)) / 2h for each value of the buffer p.
    func fdCheck(_ label: String, _ p: UnsafeMutablePointer<Float>, count: Int, analytic: [Float],
                 h: Float = 1e-2, rtol: Double = 2e-2, atol: Double = 2e-3, indices: [Int]? = nil,
                 _ f: () -> Double) {
        var worst = 0.0
        for i in indices ?? Array(0..<count) {
            let old = p[i]
            p[i] = old + h; let fp = f()
            p[i] = old - h; let fm = f()
            p[i] = old
            let fd = (fp - fm) / Double(2 * h), an = Double(analytic[i])
            let err = abs(fd - an)
            worst = max(worst, err / (atol + rtol * max(abs(fd), abs(an))))
            XCTAssertLessThanOrEqual(err, atol + rtol * max(abs(fd), abs(an)), "\(label)[\(i)]: fd \(fd) vs analytic \(an)")
        }
        print(String(format: "  fd %@ worst error/tolerance %.3f", label, worst))
    }

    func randoms(_ n: Int, _ rng: inout RandomSource, scale: Float = 1) -> [Float] { (0..<n).map { _ in rng.normal() * scale } }

    func testLinearBatchNormReluDropoutLayers() {
        var rng = RandomSource(seed: 11)
        let B = 5, I = 4, K = 2, O = 3
        func buffer(_ v: [Float]) -> FloatBuffer { let f = FloatBuffer(count: v.count); for (i, e) in v.enumerated() { f.pointer[i] = e }; return f }
        let x = buffer(randoms(B * I, &rng)), w = buffer(randoms(O * (I + K), &rng)), b = buffer(randoms(O, &rng))
        let gamma = buffer(randoms(O, &rng).map { $0 + 1.5 }), beta = buffer(randoms(O, &rng))
        let codes: [Int32] = [0, 1, 1, 0, 1]
        let upstream = randoms(B * O, &rng)
        let mask = FloatBuffer(count: B * O)
        dropout_mask(mask.pointer, count: B * O, p: 0.3, rng: &rng)
        let rm = FloatBuffer(count: O), rv = buffer([Float](repeating: 1, count: O))
        let pre = FloatBuffer(count: B * O), xh = FloatBuffer(count: B * O), y = FloatBuffer(count: B * O)
        let out = FloatBuffer(count: B * O), mean = FloatBuffer(count: O), inv = FloatBuffer(count: O)
        // f = Σ upstream · dropout(relu(bn(linear(x))))
        func run() -> Double {
            linear_forward(pre.pointer, x.pointer, w.pointer, b.pointer, codes, B: B, I: I, K: K, O: O)
            batchnorm_forward_train(y.pointer, xh.pointer, mean.pointer, inv.pointer, pre.pointer, gamma.pointer, beta.pointer,
                                    rm.pointer, rv.pointer, B: B, C: O, momentum: 0.01, eps: 1e-3)
            relu_forward(y.pointer, count: B * O)
            dropout_forward(out.pointer, y.pointer, mask.pointer, count: B * O)
            return zip(out.array, upstream).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        }
        _ = run()
        let d = buffer(upstream), dPre = FloatBuffer(count: B * O), scratch = FloatBuffer(count: 2 * O)
        let dx = FloatBuffer(count: B * I), dw = FloatBuffer(count: O * (I + K))
        let db = FloatBuffer(count: O), dg = FloatBuffer(count: O), dbeta = FloatBuffer(count: O)
        dropout_forward(d.pointer, d.pointer, mask.pointer, count: B * O)
        relu_backward(d.pointer, y.pointer, count: B * O)
        batchnorm_backward(dPre.pointer, dg.pointer, dbeta.pointer, d.pointer, xh.pointer, inv.pointer, gamma.pointer,
                           scratch.pointer, B: B, C: O)
        linear_backward(dx.pointer, dw.pointer, db.pointer, dPre.pointer, x.pointer, w.pointer, codes, B: B, I: I, K: K, O: O)
        fdCheck("linear.x", x.pointer, count: B * I, analytic: dx.array, run)
        fdCheck("linear.weight", w.pointer, count: O * (I + K), analytic: dw.array, run)
        fdCheck("linear.bias", b.pointer, count: O, analytic: db.array, run)   // exactly 0 through BatchNorm
        fdCheck("bn.gamma", gamma.pointer, count: O, analytic: dg.array, run)
        fdCheck("bn.beta", beta.pointer, count: O, analytic: dbeta.array, run)
    }

    /// The wide-layer input gradient split over the outputs (per-thread partials) against the plain
    /// product, and the overwritten weight gradient against the accumulated one.
    func testWideLinearBackwardSplitsMatchPlainProducts() {
        var rng = RandomSource(seed: 31)
        let B = 16, I = 16, O = 4096
        let x = (0..<(B * I)).map { _ in rng.normal() }, w = (0..<(O * I)).map { _ in rng.normal() }
        let dout = (0..<(B * O)).map { _ in rng.normal() }
        var dx1 = [Float](repeating: 0.5, count: B * I), dw1 = [Float](repeating: 0, count: O * I), db1 = [Float](repeating: 0, count: O)
        linear_backward(&dx1, &dw1, &db1, dout, x, w, nil, B: B, I: I, K: 0, O: O, threads: 1)
        var dx2 = [Float](repeating: 0.5, count: B * I), dw2 = [Float](repeating: .nan, count: O * I), db2 = [Float](repeating: 0, count: O)
        var partials = [Float](repeating: .nan, count: 4 * B * I)
        linear_backward(&dx2, &dw2, &db2, dout, x, w, nil, B: B, I: I, K: 0, O: O, threads: 2,
                        overwriteWeightGradient: true, depthSplitScratch: &partials, depthSplitCapacity: partials.count)
        XCTAssertFalse(partials.allSatisfy { $0.isNaN }, "the depth split ran")
        for (a, b) in zip(dx2, dx1) { XCTAssertEqual(a, b, accuracy: 1e-3 * max(1, abs(b))) }
        for (a, b) in zip(dw2, dw1) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b))) }
        XCTAssertEqual(db2, db1)
    }

    func testDropoutMaskDropsAFractionPAndScalesTheRest() {
        var rng = RandomSource(seed: 32)
        for n in [100_001, 100_000] {   // odd and even counts (two uniforms per draw)
            var mask = [Float](repeating: .nan, count: n)
            dropout_mask(&mask, count: n, p: 0.1, rng: &rng)
            let zeros = mask.filter { $0 == 0 }.count
            XCTAssertEqual(Double(zeros) / Double(n), 0.1, accuracy: 0.005)
            XCTAssertTrue(mask.allSatisfy { $0 == 0 || $0 == 1 / Float(0.9) })
        }
        var a = RandomSource(seed: 5), b = RandomSource(seed: 5)
        var m1 = [Float](repeating: 0, count: 999), m2 = m1
        dropout_mask(&m1, count: 999, p: 0.3, rng: &a); dropout_mask(&m2, count: 999, p: 0.3, rng: &b)
        XCTAssertEqual(m1, m2, "seeded masks repeat")
    }

    func testBatchNormRunningStatistics() {
        let x: [Float] = [1, 2, 3, 6]  // B = 4, C = 1
        var out = [Float](repeating: 0, count: 4), xh = out, mean: [Float] = [0], inv: [Float] = [0]
        var rm: [Float] = [0], rv: [Float] = [1]
        batchnorm_forward_train(&out, &xh, &mean, &inv, x, [1], [0], &rm, &rv, B: 4, C: 1, momentum: 0.01, eps: 1e-3)
        XCTAssertEqual(rm[0], 0.03, accuracy: 1e-7)               // 0.01 · mean 3
        XCTAssertEqual(rv[0], 0.99 + 0.01 * (14.0 / 3), accuracy: 1e-6)  // unbiased var 14/3
        XCTAssertEqual(inv[0], 1 / (3.5 + 1e-3).squareRoot(), accuracy: 1e-6) // biased var 3.5
    }

    func testLikelihoodDerivatives() {
        func check(_ name: String, _ f: (Float, Float, Float) -> ElementLogProbability, x: Float, mu: Float, theta: Float, pi: Float) {
            let e = f(mu, theta, pi)
            let hm = mu * 1e-3, ht = theta * 1e-3, hp: Float = 1e-3
            let dMu = (Double(f(mu + hm, theta, pi).value) - Double(f(mu - hm, theta, pi).value)) / Double(2 * hm)
            let dTh = (Double(f(mu, theta + ht, pi).value) - Double(f(mu, theta - ht, pi).value)) / Double(2 * ht)
            let dPi = (Double(f(mu, theta, pi + hp).value) - Double(f(mu, theta, pi - hp).value)) / Double(2 * hp)
            XCTAssertEqual(Double(e.dMu), dMu, accuracy: 2e-2 * max(1, abs(dMu)), "\(name) x=\(x) dμ")
            XCTAssertEqual(Double(e.dTheta), dTh, accuracy: 2e-2 * max(1, abs(dTh)), "\(name) x=\(x) dθ")
            XCTAssertEqual(Double(e.dPi), dPi, accuracy: 2e-2 * max(1, abs(dPi)), "\(name) x=\(x) dπ")
        }
        for x: Float in [0, 1, 3, 17] {
            for (mu, theta, pi): (Float, Float, Float) in [(0.3, 0.5, -1), (4, 2, 0.7), (20, 0.1, 2)] {
                check("nb", { m, t, _ in Likelihood.nb(x: x, mu: m, theta: t) }, x: x, mu: mu, theta: theta, pi: pi)
                check("zinb", { Likelihood.zinb(x: x, mu: $0, theta: $1, pi: $2) }, x: x, mu: mu, theta: theta, pi: pi)
                check("poisson", { m, _, _ in Likelihood.poisson(x: x, mu: m) }, x: x, mu: mu, theta: theta, pi: pi)
            }
        }
        // NB log-probabilities sum to ~1 over x.
        var total = 0.0
        for x in 0..<400 { total += exp(Double(Likelihood.nb(x: Float(x), mu: 5, theta: 1.3).value)) }
        XCTAssertEqual(total, 1, accuracy: 1e-4)
    }

    /// The whole loss (mean of reconstruction + w·KL_z + KL_l) for several architectures.
    func testWholeLossGradients() throws {
        let configs: [SCVIConfiguration] = [
            .init(geneCount: 9, batchCount: 2, hiddenDimensions: 5, latentDimensions: 3, dropoutRate: 0.2, likelihood: .nb),
            .init(geneCount: 9, batchCount: 2, hiddenDimensions: 5, latentDimensions: 3, layerCount: 2, dropoutRate: 0.2,
                  likelihood: .zinb, dispersion: .geneBatch, useObservedLibrarySize: false, encodeCovariates: true),
            .init(geneCount: 9, batchCount: 1, hiddenDimensions: 5, latentDimensions: 2, dropoutRate: 0, likelihood: .nb,
                  dispersion: .geneCell),
            .init(geneCount: 9, batchCount: 3, hiddenDimensions: 5, latentDimensions: 2, dropoutRate: 0.1, likelihood: .poisson),
        ]
        for (ci, config) in configs.enumerated() {
            let model = try SCVIModel(configuration: config, seed: UInt64(ci * 7 + 1))
            var rng = RandomSource(seed: 99)
            let B = 6, G = config.geneCount
            var dense = Matrix(zeros: B, G)
            for i in 0..<(B * G) where rng.uniform() < 0.6 { dense.values[i] = Float(rng.integer(below: 8) + 1) }
            for i in 0..<B { dense[i, 0] += 1 }
            let csr = CSRMatrix(dense: dense)
            let codes = (0..<B).map { Int32($0 % config.batchCount) }
            model.setLibraryPrior(counts: csr, batchCodes: codes)
            let ws = Workspace(model.arch, capacity: B)
            let net = model.network(ws)
            for i in 0..<B { ws.rows[i] = i; ws.encoderCodes[i] = codes[i]; ws.decoderCodes[i] = codes[i] }
            let epsZ = randoms(B * config.latentDimensions, &rng), epsL = randoms(B, &rng)
            let w: Float = 0.7
            BoundData.with(csr) { data in
                func loss(grad: Bool) -> Double {
                    for i in 0..<epsZ.count { ws.epsZ[i] = epsZ[i] }
                    for i in 0..<B { ws.epsL[i] = epsL[i] }
                    var maskRng = RandomSource(seed: 5)   // identical dropout masks every call
                    net.forward(ws, input: data.input(ws, B), counts: data.raw(ws, B), B: B, training: true,
                                noise: .provided, gradientScale: grad ? 1 / Float(B) : nil, rng: &maskRng)
                    var s = 0.0
                    for i in 0..<B { s += Double(ws.reconstruction[i]) + Double(w) * Double(ws.klZ[i]) + Double(ws.klL[i]) }
                    return s / Double(B)
                }
                model.gradients.zero()
                _ = loss(grad: true)
                net.backward(ws, input: data.input(ws, B), B: B, klWeight: w)
                let analytic = model.gradients.array
                for e in model.arch.parameters.entries {
                    let picks = Array(Set((0..<min(6, e.count)).map { _ in rng.integer(below: e.count) })).sorted()
                    fdCheck("cfg\(ci) \(e.name)", model.parameters.pointer + e.offset, count: e.count,
                            analytic: Array(analytic[e.offset..<(e.offset + e.count)]), h: 2e-3,
                            rtol: 3e-2, atol: 3e-3, indices: picks) { loss(grad: false) }
                }
            }
        }
    }
}
