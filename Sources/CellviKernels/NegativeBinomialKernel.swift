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
    /// Non-zero counts gathered per block of the sparse pass: five block buffers of 48 floats fit
    /// the 1 KB that `withUnsafeTemporaryAllocation` keeps on the stack (larger ones are a malloc per cell).
    static let sparseBlock = 48

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

    /// Counts whose gamma differences the vectorised sparse pass handles: integers 1…8, θ in (1e-30, 1e8).
    @inline(__always)
    static func smallCount(_ x: Float, _ theta: Float) -> Bool {
        x >= 1 && x <= 8 && x == x.rounded(.down) && theta < 1e8 && theta > 1e-30
    }

    /// Factor j of Π (θ+j)/(j+1) and term j of Σ (μ+ε−j)/(θ+j), both only when j < x.
    @inline(__always)
    static func risingStep(_ p: inout Float, _ d: inout Float, _ theta: Float, _ mu: Float, _ x: Float, _ j: Float) {
        let on = x > j
        p = p * (on ? (theta + j) * (1 / (j + 1)) : 1)
        d = d + (on ? (mu + eps - j) / (theta + j) : 0)
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
    /// mu, scratch: (G) out; gradLogits: (G) out or nil; gradLogTheta: (G) accumulated into (+=) or
    /// nil, so one buffer can sum the cells of a thread.
    /// gradientScratch (G), when given, holds the intermediate μ·dlogp/dμ, so gradLogits is written
    /// once, at the end: its columns outside `cachedGradientColumns` (read next by another core) with
    /// streaming stores, 16 at a time from 64-byte-aligned positions (follow with `StreamingStore.fence()`).
    @inline(__always)
    public static func row(G: Int, logits: UnsafePointer<Float>, logLibrary: Float,
                           theta: UnsafePointer<Float>, logThetaEps: UnsafePointer<Float>,
                           dThetaConstant: UnsafePointer<Float>,
                           countIndices: UnsafePointer<Int32>, countValues: UnsafePointer<Float>,
                           countRange: Range<Int>,
                           mu: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                           gradLogits: UnsafeMutablePointer<Float>?, gradLogTheta: UnsafeMutablePointer<Float>?,
                           lossScale: Float, gradientScratch: UnsafeMutablePointer<Float>? = nil,
                           cachedGradientColumns: Range<Int>? = nil) -> (Double, Float) {
        let m = FastMath.maximum(logits, count: G)
        for g in 0..<G { mu[g] = FastMath.exp(logits[g] - m) }
        let s = FastMath.sum(mu, count: G)
        let libraryScale = expf(logLibrary) / s
        let val = scratch
        // θ-gradients carry the loss scale from the start (no separate scaling pass).
        let c = -lossScale, scale = gradLogits != nil ? c : 0
        // Dense pass: every gene as a zero count. gl holds a_g = μ·dlogp/dμ until the final pass.
        if let out = gradLogits, let gt = gradLogTheta {
            let gl = gradientScratch ?? out
            for g in 0..<G {
                let mg = mu[g] * libraryScale, th = theta[g]
                let t = th + mg + eps
                let L = FastMath.log(t), r = 1 / t
                mu[g] = mg
                val[g] = th * (logThetaEps[g] - L)
                gl[g] = -th * mg * r                       // a_g = μ·dlogp/dμ
                gt[g] += c * th * (dThetaConstant[g] - L - th * r)   // c·θ·dlogp/dθ
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
                // Per entry: x(log(μ+ε) − log(θ+μ+ε)) + [x ≤ 8] (log Γ(x+θ) − log Γ(θ) − log x!), and
                // θ·∂/∂θ of the x-terms; gradLogits gains μ·∂/∂μ, kept in `ms` (μ is no longer needed).
                for k in 0..<n {
                    let x = xs[k], mg = ms[k], th = ts[k]
                    let t = th + mg + eps
                    let L = FastMath.log(t), r = 1 / t
                    // Γ(x+θ)/(Γ(θ)·x!) = Π_{j<x} (θ+j)/(j+1) for x = 1…8, in two products of four
                    // factors (no overflow for θ < 1e8). Its θ-derivative joins −x/(θ+μ+ε) as
                    // Σ_{j<x} [1/(θ+j) − 1/t] = r·Σ_{j<x} (μ+ε−j)/(θ+j), which keeps the cancellation exact.
                    let small = Self.smallCount(x, th)
                    var p1 = th, p2: Float = 1, d: Float = (mg + eps) / th
                    Self.risingStep(&p1, &d, th, mg, x, 1); Self.risingStep(&p1, &d, th, mg, x, 2)
                    Self.risingStep(&p1, &d, th, mg, x, 3); Self.risingStep(&p2, &d, th, mg, x, 4)
                    Self.risingStep(&p2, &d, th, mg, x, 5); Self.risingStep(&p2, &d, th, mg, x, 6)
                    Self.risingStep(&p2, &d, th, mg, x, 7)
                    let gammaTerm = small ? FastMath.log(p1) + FastMath.log(p2) : 0
                    terms[k] = x * (FastMath.log(mg + eps) - L) + gammaTerm
                    dLogTheta[k] = scale * th * (small ? r * d : -x * r)
                    ms[k] = mg * (x / (mg + eps) - x * r)
                }
                logp += FastMath.sumAsDouble(terms, count: n)
                // Counts above 8, non-integer counts, extreme θ: gamma differences in Double, one at a time.
                for k in 0..<n {
                    let x = xs[k], th = ts[k]
                    if x == 0 || Self.smallCount(x, th) { continue }
                    let (lg, dg) = gammaDifferences(x: x, theta: th)
                    logp += lg - logFactorial(x)
                    dLogTheta[k] += scale * th * Float(dg)
                }
                if let out = gradLogits, let gt = gradLogTheta {
                    let gl = gradientScratch ?? out
                    for k in 0..<n { let g = Int(ci[k]); gl[g] += ms[k]; gt[g] += dLogTheta[k] }
                }
                start += n
            }
        }
        guard let out = gradLogits, gradLogTheta != nil else { return (logp, 0) }
        // Chain through μ = exp(l)·softmax(s): ds_g = a_g − ρ_g Σ a, dl = Σ a.
        let a = gradientScratch ?? out
        let sumA = FastMath.sum(a, count: G)
        let rhoScale = sumA / expf(logLibrary)
        guard gradientScratch != nil, let cached = cachedGradientColumns, cached != 0..<G else {
            for g in 0..<G { out[g] = c * (a[g] - mu[g] * rhoScale) }
            return (logp, c * sumA)
        }
        for g in cached { out[g] = c * (a[g] - mu[g] * rhoScale) }
        for part in [0..<cached.lowerBound, cached.upperBound..<G] where !part.isEmpty {
            var g = part.lowerBound
            typealias V = SIMD16<Float>
            let cv = V(repeating: c), rv = V(repeating: rhoScale)
            while g < part.upperBound {
                let p = out + g
                if UInt(bitPattern: p) & 63 == 0 && g + 16 <= part.upperBound {
                    let av = UnsafeRawPointer(a + g).loadUnaligned(as: V.self)
                    let mv = UnsafeRawPointer(mu + g).loadUnaligned(as: V.self)
                    StreamingStore.store(cv * (av - mv * rv), p)
                    g += 16
                } else {
                    out[g] = c * (a[g] - mu[g] * rhoScale)
                    g += 1
                }
            }
        }
        return (logp, c * sumA)
    }
}
