import CellviKernels
import Foundation

/// log p(x) of one count and its derivatives with respect to μ, θ and the zero-inflation
/// logit π. Pure functions mirroring scvi-tools `log_nb_positive`, `log_zinb_positive` and
/// torch `Poisson.log_prob` (eps = 1e-8), tested on their own.
public struct ElementLogProbability: Equatable {
    public var value: Float
    public var dMu: Float
    public var dTheta: Float
    public var dPi: Float
}

public enum Likelihood {
    static let eps: Float = 1e-8

    /// NB(x; μ, θ). lgamma(x + 1) is included so reported values match scvi-tools.
    @inline(__always)
    public static func nb(x: Float, mu: Float, theta: Float) -> ElementLogProbability {
        let logThetaEps = logf(theta + eps), logThetaMu = logf(theta + mu + eps)
        let invThetaMu = 1 / (theta + mu + eps)
        var v = theta * (logThetaEps - logThetaMu)
        var dMu = -theta * invThetaMu
        var dTheta = logThetaEps + theta / (theta + eps) - logThetaMu - theta * invThetaMu
        if x != 0 {
            v += x * (logf(mu + eps) - logThetaMu) + Special.logGamma(x + theta) - Special.logGamma(theta)
                - Special.logGamma(x + 1)
            dMu += x / (mu + eps) - x * invThetaMu
            dTheta += -x * invThetaMu + Special.digamma(x + theta) - Special.digamma(theta)
        }
        return ElementLogProbability(value: v, dMu: dMu, dTheta: dTheta, dPi: 0)
    }

    /// ZINB(x; μ, θ, π) with zero probability sigmoid(π).
    @inline(__always)
    public static func zinb(x: Float, mu: Float, theta: Float, pi: Float) -> ElementLogProbability {
        let logThetaEps = logf(theta + eps), logThetaMu = logf(theta + mu + eps)
        let invThetaMu = 1 / (theta + mu + eps)
        let nbZero = theta * (logThetaEps - logThetaMu)                  // log NB(0)
        let dNbZeroMu = -theta * invThetaMu
        let dNbZeroTheta = logThetaEps + theta / (theta + eps) - logThetaMu - theta * invThetaMu
        // softplus and sigmoid of π share one exp: e = exp(−|π|).
        let ePi = expf(-abs(pi)), logOnePlusEPi = logf(1 + ePi)
        let softplusNegPi = max(-pi, 0) + logOnePlusEPi
        let sigmoidNegPi = pi <= 0 ? 1 / (1 + ePi) : ePi / (1 + ePi)
        if x == 0 {
            let t = -pi + nbZero
            let eT = expf(-abs(t))
            let softplusT = max(t, 0) + logf(1 + eT)
            let s = t >= 0 ? 1 / (1 + eT) : eT / (1 + eT)
            return ElementLogProbability(value: softplusT - softplusNegPi,
                                         dMu: s * dNbZeroMu, dTheta: s * dNbZeroTheta,
                                         dPi: -s + sigmoidNegPi)
        }
        let v = -softplusNegPi - pi + nbZero + x * (logf(mu + eps) - logThetaMu)
            + Special.logGamma(x + theta) - Special.logGamma(theta) - Special.logGamma(x + 1)
        return ElementLogProbability(
            value: v, dMu: dNbZeroMu + x / (mu + eps) - x * invThetaMu,
            dTheta: dNbZeroTheta - x * invThetaMu + Special.digamma(x + theta) - Special.digamma(theta),
            dPi: sigmoidNegPi - 1)
    }

    /// Poisson(x; μ).
    @inline(__always)
    public static func poisson(x: Float, mu: Float) -> ElementLogProbability {
        if x == 0 { return ElementLogProbability(value: -mu, dMu: -1, dTheta: 0, dPi: 0) }
        return ElementLogProbability(value: x * logf(mu) - mu - Special.logGamma(x + 1),
                                     dMu: x / mu - 1, dTheta: 0, dPi: 0)
    }

    @inline(__always)
    static func element(_ kind: GeneLikelihood, x: Float, mu: Float, theta: Float, pi: Float) -> ElementLogProbability {
        switch kind {
        case .nb: return nb(x: x, mu: mu, theta: theta)
        case .zinb: return zinb(x: x, mu: mu, theta: theta, pi: pi)
        case .poisson: return poisson(x: x, mu: mu)
        }
    }

    /// One cell's fused pass: softmax of the scale logits, μ = exp(logLibrary)·ρ, the log-likelihood
    /// of the sparse counts, and (if `lossScale` ≠ 0) gradients of `lossScale · (−log p)`.
    /// A dense pass over genes evaluates every term as if x = 0; a sparse pass over the non-zero
    /// counts replaces those entries, so lgamma/digamma run only on non-zeros.
    ///
    /// logits: (G) scale-head output; mu: (G) out; theta: (G); pi: (G) or nil;
    /// gradLogits, gradPxR (dθ·θ, i.e. w.r.t. log θ), gradPi: (G) out, or nil to skip gradients.
    /// Returns (log p, gradient w.r.t. logLibrary).
    @inline(__always)
    static func fusedRow(_ kind: GeneLikelihood, G: Int,
                         logits: UnsafePointer<Float>, logLibrary: Float,
                         theta: UnsafePointer<Float>, pi: UnsafePointer<Float>?,
                         countIndices: UnsafePointer<Int32>, countValues: UnsafePointer<Float>, countRange: Range<Int>,
                         mu: UnsafeMutablePointer<Float>,
                         gradLogits: UnsafeMutablePointer<Float>?, gradPxR: UnsafeMutablePointer<Float>?,
                         gradPi: UnsafeMutablePointer<Float>?, lossScale: Float) -> (Double, Float) {
        var m = -Float.infinity
        for g in 0..<G { m = max(m, logits[g]) }
        var s: Float = 0
        for g in 0..<G { let e = expf(logits[g] - m); mu[g] = e; s += e }
        let libraryScale = expf(logLibrary) / s
        for g in 0..<G { mu[g] *= libraryScale }

        var logp = 0.0
        let wantGrad = gradLogits != nil
        // Dense pass: every gene as a zero count.
        switch kind {
        case .poisson:
            var sum: Float = 0
            for g in 0..<G { sum += mu[g] }
            logp -= Double(sum)
            if let gl = gradLogits { for g in 0..<G { gl[g] = -1 } }
        case .nb, .zinb:
            var sum: Float = 0
            for g in 0..<G {
                let e = element(kind, x: 0, mu: mu[g], theta: theta[g], pi: pi?[g] ?? 0)
                sum += e.value
                if wantGrad {
                    gradLogits![g] = e.dMu
                    gradPxR?[g] = e.dTheta * theta[g]
                    gradPi?[g] = e.dPi
                }
            }
            logp += Double(sum)
        }
        // Sparse pass: replace the non-zero counts.
        for k in countRange {
            let x = countValues[k]
            if x == 0 { continue }
            let g = Int(countIndices[k])
            let p = pi?[g] ?? 0
            let zero = element(kind, x: 0, mu: mu[g], theta: theta[g], pi: p)
            let e = element(kind, x: x, mu: mu[g], theta: theta[g], pi: p)
            logp += Double(e.value) - Double(zero.value)
            if wantGrad {
                gradLogits![g] = e.dMu
                gradPxR?[g] = e.dTheta * theta[g]
                gradPi?[g] = e.dPi
            }
        }
        guard let gl = gradLogits else { return (logp, 0) }
        // Chain through μ = exp(l)·softmax(s): ds_g = a_g − ρ_g Σ a,  a_g = dμ_g·μ_g,  dl = Σ a.
        var sumA: Float = 0
        for g in 0..<G { let a = gl[g] * mu[g]; gl[g] = a; sumA += a }
        let invLibrary = expf(-logLibrary)
        let c = -lossScale
        for g in 0..<G { gl[g] = c * (gl[g] - mu[g] * invLibrary * sumA) }
        if let gp = gradPxR { for g in 0..<G { gp[g] *= c } }
        if let gp = gradPi { for g in 0..<G { gp[g] *= c } }
        return (logp, c * sumA)
    }
}
