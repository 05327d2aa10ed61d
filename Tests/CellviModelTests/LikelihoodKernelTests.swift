@testable import CellviModel
import CellviKernels
import XCTest

/// The vectorised NB row kernel against the plain fused reference (`Likelihood.fusedRow`).
final class LikelihoodKernelTests: XCTestCase {
    func testNegativeBinomialKernelMatchesReference() {
        var rng = RandomSource(seed: 21)
        for G in [1, 7, 37, 300] {
            let logits = (0..<G).map { _ in 2 * rng.normal() }
            let theta = (0..<G).map { _ in Float(exp(2.5 * Double(rng.normal()))) }
            var idx = [Int32](), val = [Float]()
            for g in 0..<G where rng.uniform() < 0.4 || g == 0 {
                idx.append(Int32(g))
                val.append([1, 2, 3, 5, 8, 16, 17, 40, 900, 2.5, 5000][rng.integer(below: 11)])
            }
            let logLibrary = Float(log(Double(val.reduce(0, +)) + 50))
            var lte = [Float](repeating: 0, count: G), dtc = lte
            NegativeBinomialKernel.thetaConstants(&lte, &dtc, theta: theta, count: G)
            // −0.25 · θ ∂log p/∂θ in Double, μ from a Double softmax.
            let m = Double(logits.max()!), z = logits.reduce(0.0) { $0 + exp(Double($1) - m) }
            func dLogThetaTruth(_ g: Int) -> Double {
                let th = Double(theta[g]), mu = exp(Double(logLibrary)) * exp(Double(logits[g]) - m) / z, e = 1e-8
                let x = idx.firstIndex(of: Int32(g)).map { Double(val[$0]) } ?? 0
                var d = log(th + e) + th / (th + e) - log(th + mu + e) - (th + x) / (th + mu + e)
                if x > 0 { d += Special.digammaReference(x + th) - Special.digammaReference(th) }
                return -0.25 * th * d
            }
            for withGrad in [false, true] {
                var mu = [Float](repeating: 0, count: G), scratch = mu, gl = mu, gt = mu
                var muR = mu, glR = mu, gtR = mu
                let (lp, dl) = gl.withUnsafeMutableBufferPointer { glp in gt.withUnsafeMutableBufferPointer { gtp in
                    NegativeBinomialKernel.row(G: G, logits: logits, logLibrary: logLibrary, theta: theta,
                                               logThetaEps: lte, dThetaConstant: dtc, countIndices: idx,
                                               countValues: val, countRange: 0..<idx.count, mu: &mu, scratch: &scratch,
                                               gradLogits: withGrad ? glp.baseAddress : nil,
                                               gradLogTheta: withGrad ? gtp.baseAddress : nil, lossScale: 0.25)
                } }
                let (lpR, dlR) = glR.withUnsafeMutableBufferPointer { glp in gtR.withUnsafeMutableBufferPointer { gtp in
                    Likelihood.fusedRow(.nb, G: G, logits: logits, logLibrary: logLibrary, theta: theta, pi: nil,
                                        countIndices: idx, countValues: val, countRange: 0..<idx.count, mu: &muR,
                                        gradLogits: withGrad ? glp.baseAddress : nil,
                                        gradPxR: withGrad ? gtp.baseAddress : nil, gradPi: nil, lossScale: 0.25)
                } }
                XCTAssertEqual(lp, lpR, accuracy: 2e-6 * max(1, abs(lpR)), "G \(G) log p")
                XCTAssertEqual(dl, dlR, accuracy: 1e-4 * max(1, abs(dlR)), "G \(G) d library")
                for g in 0..<G {
                    XCTAssertEqual(mu[g], muR[g], accuracy: 1e-5 * max(1e-3, muR[g]), "G \(G) μ[\(g)]")
                    if withGrad {
                        XCTAssertEqual(gl[g], glR[g], accuracy: 1e-4 * max(1e-2, abs(glR[g])), "G \(G) dlogit[\(g)]")
                        // d/dlog θ cancels terms of size θ·log θ in Float; judge both against Double.
                        let truth = dLogThetaTruth(g)
                        let tol = max(1e-4 * max(1e-2, abs(truth)), 2 * abs(Double(gtR[g]) - truth))
                        XCTAssertEqual(Double(gt[g]), truth, accuracy: tol, "G \(G) dlogθ[\(g)]")
                    }
                }
            }
        }
    }

    /// With a gradient scratch row, the logits gradient is written once at the end, its columns
    /// outside `cachedGradientColumns` as streaming stores: the same numbers as the plain kernel.
    func testGradientScratchAndStreamedColumnsChangeNothing() {
        StreamingStore.setEnabled(true)
        defer { StreamingStore.setEnabled(false) }
        var rng = RandomSource(seed: 31)
        let G = 1000
        let logits = (0..<G).map { _ in rng.normal() }, theta = (0..<G).map { _ in Float(0.2 + 3 * rng.uniform()) }
        var lte = [Float](repeating: 0, count: G), dtc = lte
        NegativeBinomialKernel.thetaConstants(&lte, &dtc, theta: theta, count: G)
        let genes = (0..<G).filter { _ in rng.uniform() < 0.1 }
        let idx = genes.map(Int32.init), counts = genes.map { _ in Float(1 + rng.integer(below: 12)) }
        func run(_ streamed: Bool) -> (Double, Float, [Float], [Float], [Float]) {
            var mu = [Float](repeating: 0, count: G), scratch = mu, gt = mu, extra = mu
            let raw = UnsafeMutableRawPointer.allocate(byteCount: G * 4, alignment: 64)
            defer { raw.deallocate() }
            let gl = raw.bindMemory(to: Float.self, capacity: G)
            gl.initialize(repeating: .nan, count: G)
            let (lp, dl) = extra.withUnsafeMutableBufferPointer { e in
                NegativeBinomialKernel.row(G: G, logits: logits, logLibrary: 7, theta: theta, logThetaEps: lte,
                                           dThetaConstant: dtc, countIndices: idx, countValues: counts,
                                           countRange: 0..<genes.count, mu: &mu, scratch: &scratch, gradLogits: gl,
                                           gradLogTheta: &gt, lossScale: 1 / 128,
                                           gradientScratch: streamed ? e.baseAddress : nil,
                                           cachedGradientColumns: streamed ? 496..<G : nil)
            }
            StreamingStore.fence()
            return (lp, dl, mu, Array(UnsafeBufferPointer(start: gl, count: G)), gt)
        }
        let plain = run(false), streamed = run(true)
        XCTAssertEqual(plain.0, streamed.0); XCTAssertEqual(plain.1, streamed.1)
        XCTAssertEqual(plain.2, streamed.2); XCTAssertEqual(plain.3, streamed.3); XCTAssertEqual(plain.4, streamed.4)
    }

    /// Every count the vectorised gamma differences take (1…8) and both sides of the fallback (9, 2.5),
    /// over θ from 1e-3 to 1e6: log p against Double lgamma, dlogθ against Double digamma. For large θ
    /// the Float zero-count terms θ(log θ − log(θ+μ)) cancel (as in PyTorch), so the tolerance also
    /// admits twice the plain reference's own error.
    func testSmallCountGammaDifferences() {
        let counts: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 2.5]
        let G = counts.count
        for th in [Float(1e-3), 0.05, 0.7, 3, 40, 900, 1e6] {
            let logits = (0..<G).map { Float($0 % 3) * 0.5 }
            let theta = [Float](repeating: th, count: G)
            let idx = (0..<G).map(Int32.init)
            let logLibrary: Float = 4
            var lte = [Float](repeating: 0, count: G), dtc = lte
            NegativeBinomialKernel.thetaConstants(&lte, &dtc, theta: theta, count: G)
            var mu = [Float](repeating: 0, count: G), scratch = mu, gl = mu, gt = mu
            let (lp, _) = NegativeBinomialKernel.row(G: G, logits: logits, logLibrary: logLibrary, theta: theta,
                                                     logThetaEps: lte, dThetaConstant: dtc, countIndices: idx,
                                                     countValues: counts, countRange: 0..<G, mu: &mu, scratch: &scratch,
                                                     gradLogits: &gl, gradLogTheta: &gt, lossScale: -1)
            var muR = mu, glR = mu, gtR = mu
            let (lpR, _) = Likelihood.fusedRow(.nb, G: G, logits: logits, logLibrary: logLibrary, theta: theta, pi: nil,
                                               countIndices: idx, countValues: counts, countRange: 0..<G, mu: &muR,
                                               gradLogits: &glR, gradPxR: &gtR, gradPi: nil, lossScale: -1)
            var truth = 0.0
            let t = Double(th), e = 1e-8
            for g in 0..<G {
                let m = Double(mu[g]), x = Double(counts[g])
                truth += t * (log(t + e) - log(t + m + e)) + x * (log(m + e) - log(t + m + e))
                    + lgamma(x + t) - lgamma(t) - lgamma(x + 1)
                let d = log(t + e) + t / (t + e) - log(t + m + e) - (t + x) / (t + m + e)
                    + Special.digammaReference(x + t) - Special.digammaReference(t)
                let tol = max(2e-5 * max(1, abs(t * d)), 2 * abs(Double(gtR[g]) - t * d))
                XCTAssertEqual(Double(gt[g]), t * d, accuracy: tol, "θ \(th) x \(counts[g]) dlogθ")
            }
            XCTAssertEqual(lp, truth, accuracy: max(2e-6 * max(1, abs(truth)), 2 * abs(lpR - truth)), "θ \(th) log p")
        }
    }
}
