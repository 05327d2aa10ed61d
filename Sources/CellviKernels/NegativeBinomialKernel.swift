import Foundation

/// The scVI negative-binomial likelihood of one cell with observed library size and a θ row
/// shared by many cells (gene or gene-batch dispersion), fused with the softmax and its gradient.
///
/// For a zero count, log NB(0; μ, θ) = θ(log(θ+ε) − log(θ+μ+ε)) needs one log and one division per
/// gene (vectorised through `FastMath`); the terms in x and the lgamma/digamma differences are added
/// only for the non-zero counts. Per-gene constants of θ come from `thetaConstants` once per step.
/// `Likelihood.fusedRow` in CellviModel is the plain reference this kernel is tested against.
public enum NegativeBinomialKernel {
    public static let eps: Float = 1e-8
    /// Non-zero counts gathered per block of the sparse pass.
    static let sparseBlock = 256

    /// logThetaEps[g] = log(θ_g + ε); dThetaConstant[g] = log(θ_g + ε) + θ_g / (θ_g + ε). (n) each.
    public static func thetaConstants(_ logThetaEps: UnsafeMutablePointer<Float>,
                                      _ dThetaConstant: UnsafeMutablePointer<Float>,
                                      theta: UnsafePointer<Float>, count n: Int) {
        for g in 0..<n {
            let t = theta[g], l = logf(t + eps)
            logThetaEps[g] = l
            dThetaConstant[g] = l + t / (t + eps)
        }
    }

    /// log Γ(x + 1) for x = 0, 1, …, 4095 (allocated once, never freed).
    static let logFactorials: UnsafePointer<Double> = {
        let t = UnsafeMutablePointer<Double>.allocate(capacity: 4096)
        t[0] = 0
        for k in 1..<4096 { t[k] = t[k - 1] + Foundation.log(Double(k)) }
        return UnsafePointer(t)
    }()

    /// log Γ(x + θ) − log Γ(θ) and ψ(x + θ) − ψ(θ) for a positive count x.
    /// Small integer counts use the rising factorial θ(θ+1)…(θ+x−1) and its log-derivative.
    @inline(__always)
    static func gammaDifferences(x: Float, theta: Float) -> (Double, Double) {
        let xd = Double(x), td = Double(theta)
        if x == 1 { return (Foundation.log(td), 1 / td) }   // two thirds of the non-zeros
        if x <= 16, x == x.rounded(.down), theta < 1e15 {
            var p = 1.0, dp = 0.0, a = td
            for _ in 0..<Int(x) { dp = dp * a + p; p *= a; a += 1 }
            return (Foundation.log(p), dp / p)
        }
        return (Special.logGamma(xd + td) - Special.logGamma(td), Special.digamma(xd + td) - Special.digamma(td))
    }

    /// log Γ(x + 1).
    @inline(__always)
    static func logFactorial(_ x: Float) -> Double {
        if x < 4096, x == x.rounded(.down) { return logFactorials[Int(x)] }
        return Special.logGamma(Double(x) + 1)
    }

    /// One cell: mu = exp(logLibrary)·softmax(logits) and log p(x); with gradients (gradLogits
    /// non-nil) also d/dlogits and d/dlog θ of `lossScale · (−log p)` and the returned d/dlogLibrary.
    ///
    /// logits, theta, logThetaEps, dThetaConstant: (G); counts: entries countRange of the CSR arrays;
    /// mu, scratch: (G) out; gradLogits, gradLogTheta: (G) out or nil.
    @inline(__always)
    public static func row(G: Int, logits: UnsafePointer<Float>, logLibrary: Float,
                           theta: UnsafePointer<Float>, logThetaEps: UnsafePointer<Float>,
                           dThetaConstant: UnsafePointer<Float>,
                           countIndices: UnsafePointer<Int32>, countValues: UnsafePointer<Float>,
                           countRange: Range<Int>,
                           mu: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                           gradLogits: UnsafeMutablePointer<Float>?, gradLogTheta: UnsafeMutablePointer<Float>?,
                           lossScale: Float) -> (Double, Float) {
        let m = FastMath.maximum(logits, count: G)
        for g in 0..<G { mu[g] = FastMath.exp(logits[g] - m) }
        let s = FastMath.sum(mu, count: G)
        let libraryScale = expf(logLibrary) / s
        let val = scratch
        // Dense pass: every gene as a zero count.
        if let gl = gradLogits, let gt = gradLogTheta {
            for g in 0..<G {
                let mg = mu[g] * libraryScale, th = theta[g]
                let t = th + mg + eps
                let L = FastMath.log(t), r = 1 / t
                mu[g] = mg
                val[g] = th * (logThetaEps[g] - L)
                gl[g] = -th * mg * r                       // a_g = μ·dlogp/dμ
                gt[g] = th * (dThetaConstant[g] - L - th * r)   // θ·dlogp/dθ
            }
        } else {
            for g in 0..<G {
                let mg = mu[g] * libraryScale, th = theta[g]
                mu[g] = mg
                val[g] = th * (logThetaEps[g] - FastMath.log(th + mg + eps))
            }
        }
        var logp = Double(FastMath.sum(val, count: G))
        // Sparse pass: add the terms of the non-zero counts, in blocks gathered into contiguous
        // buffers so the logs, divisions and small-count gamma differences vectorise.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 5 * sparseBlock) { buffer in
            let xs = buffer.baseAddress!, ms = xs + sparseBlock, ts = ms + sparseBlock
            let terms = ts + sparseBlock, dLogTheta = terms + sparseBlock
            var start = countRange.lowerBound
            while start < countRange.upperBound {
                let n = min(sparseBlock, countRange.upperBound - start)
                let ci = countIndices + start, cv = countValues + start
                for k in 0..<n { let g = Int(ci[k]); xs[k] = cv[k]; ms[k] = mu[g]; ts[k] = theta[g] }
                // Per entry: x(log(μ+ε) − log(θ+μ+ε)) + [x ≤ 4] (log Γ(x+θ) − log Γ(θ) − log x!), and
                // θ·∂/∂θ of the x-terms; gradLogits gains μ·∂/∂μ, kept in `ms` (μ is no longer needed).
                for k in 0..<n {
                    let x = xs[k], mg = ms[k], th = ts[k]
                    let t = th + mg + eps
                    let L = FastMath.log(t), r = 1 / t
                    // Rising factorial θ(θ+1)…(θ+x−1) for x = 1…4 and its log-derivative Σ 1/(θ+j).
                    let small = x >= 1 && x <= 4 && x == x.rounded(.down) && th < 1e8
                    let f1: Float = x > 1 ? th + 1 : 1, f2: Float = x > 2 ? th + 2 : 1, f3: Float = x > 3 ? th + 3 : 1
                    let p = th * f1 * (f2 * f3)
                    let dp = 1 / th + (x > 1 ? 1 / (th + 1) : 0) + (x > 2 ? 1 / (th + 2) : 0) + (x > 3 ? 1 / (th + 3) : 0)
                    let logFact: Float = x > 3 ? 3.1780538 : x > 2 ? 1.7917595 : x > 1 ? 0.6931472 : 0
                    let gammaTerm = small ? FastMath.log(p) - logFact : 0
                    terms[k] = x * (FastMath.log(mg + eps) - L) + gammaTerm
                    dLogTheta[k] = th * (-x * r + (small ? dp : 0))
                    ms[k] = mg * (x / (mg + eps) - x * r)
                }
                logp += FastMath.sumAsDouble(terms, count: n)
                // Counts above 4 (or huge θ): gamma differences in Double, one at a time.
                for k in 0..<n {
                    let x = xs[k], th = ts[k]
                    if x == 0 || (x >= 1 && x <= 4 && x == x.rounded(.down) && th < 1e8) { continue }
                    let (lg, dg) = gammaDifferences(x: x, theta: th)
                    logp += lg - logFactorial(x)
                    dLogTheta[k] += th * Float(dg)
                }
                if let gl = gradLogits, let gt = gradLogTheta {
                    for k in 0..<n { let g = Int(ci[k]); gl[g] += ms[k]; gt[g] += dLogTheta[k] }
                }
                start += n
            }
        }
        guard let gl = gradLogits, let gt = gradLogTheta else { return (logp, 0) }
        // Chain through μ = exp(l)·softmax(s): ds_g = a_g − ρ_g Σ a, dl = Σ a.
        let sumA = FastMath.sum(gl, count: G)
        let c = -lossScale, rhoScale = sumA / expf(logLibrary)
        for g in 0..<G { gl[g] = c * (gl[g] - mu[g] * rhoScale) }
        for g in 0..<G { gt[g] *= c }
        return (logp, c * sumA)
    }
}
