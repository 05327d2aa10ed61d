import Foundation

/// Element-wise and row-wise kernels on raw buffers. Fast versions use Float; each has a
/// Double reference twin for tests.
public enum Elementwise {
    /// Stable softplus log(1 + e^x).
    @inline(__always)
    public static func softplus(_ x: Float) -> Float { max(x, 0) + log1pf(expf(-abs(x))) }
    public static func softplusReference(_ x: Double) -> Double { max(x, 0) + Foundation.log1p(Foundation.exp(-abs(x))) }

    /// Stable logistic sigmoid 1 / (1 + e^−x).
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let e = expf(x); return e / (1 + e)
    }

    /// out[i] = log_softmax(x)[i] over one row of length n; returns log Σ exp(x).
    @discardableResult @inline(__always)
    public static func logSoftmax(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count n: Int) -> Float {
        var m = -Float.infinity
        for i in 0..<n { m = max(m, x[i]) }
        var s: Float = 0
        for i in 0..<n { s += expf(x[i] - m) }
        let lse = m + logf(s)
        for i in 0..<n { out[i] = x[i] - lse }
        return lse
    }

    /// Reference twin of `logSoftmax` in Double.
    public static func logSoftmaxReference(_ x: [Double]) -> [Double] {
        let m = x.max() ?? 0
        let lse = m + Foundation.log(x.reduce(0) { $0 + Foundation.exp($1 - m) })
        return x.map { $0 - lse }
    }

    /// y[i] += a · x[i]
    @inline(__always)
    public static func axpy(_ y: UnsafeMutablePointer<Float>, _ a: Float, _ x: UnsafePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] += a * x[i] }
    }

    /// Sets n floats to zero.
    @inline(__always)
    public static func zero(_ y: UnsafeMutablePointer<Float>, count n: Int) {
        y.update(repeating: 0, count: n)
    }
}
