import Foundation

/// log Γ and ψ for positive arguments (the only ones the likelihoods need).
public enum Special {
    /// log Γ(x) for x > 0: upward recurrence to x ≥ 8, then the Stirling series (Double inside).
    @inline(__always)
    public static func logGamma(_ x: Float) -> Float { Float(logGamma(Double(x))) }

    @inline(__always)
    public static func logGamma(_ x0: Double) -> Double {
        var x = x0, shift = 0.0
        if x < 8 {
            var prod = 1.0
            while x < 8 { prod *= x; x += 1 }
            shift = Foundation.log(prod)
        }
        let inv = 1 / x, inv2 = inv * inv
        let series = inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680))))
        return (x - 0.5) * Foundation.log(x) - x + 0.91893853320467274178 + series - shift
    }

    /// ψ(x) = d/dx log Γ(x) for x > 0: recurrence to x ≥ 6, then the asymptotic series.
    @inline(__always)
    public static func digamma(_ x: Float) -> Float { Float(digamma(Double(x))) }

    @inline(__always)
    public static func digamma(_ x0: Double) -> Double {
        var x = x0, acc = 0.0
        while x < 6 { acc -= 1 / x; x += 1 }
        let inv = 1 / x, inv2 = inv * inv
        let series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132)))))
        return acc + Foundation.log(x) - 0.5 * inv - series
    }

    /// Reference twin of `logGamma`: the C library's lgamma.
    public static func logGammaReference(_ x: Double) -> Double { Foundation.lgamma(x) }

    /// Reference twin of `digamma`: recurrence to x ≥ 40 before the series (slow, more exact).
    public static func digammaReference(_ x0: Double) -> Double {
        var x = x0, acc = 0.0
        while x < 40 { acc -= 1 / x; x += 1 }
        let inv2 = 1 / (x * x)
        return acc + Foundation.log(x) - 0.5 / x - inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 / 252))
    }
}
