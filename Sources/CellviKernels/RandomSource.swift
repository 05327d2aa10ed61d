import Foundation

/// Seeded xoshiro256** generator; identical streams on every platform for the same seed.
public struct RandomSource: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64
    private var spareNormal: Float? = nil

    /// Seeds the four state words with SplitMix64 from `seed`.
    public init(seed: UInt64) {
        var z = seed
        func splitMix(_ z: inout UInt64) -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var r = z
            r = (r ^ (r >> 30)) &* 0xBF58_476D_1CE4_E5B9
            r = (r ^ (r >> 27)) &* 0x94D0_49BB_1331_11EB
            return r ^ (r >> 31)
        }
        s0 = splitMix(&z); s1 = splitMix(&z); s2 = splitMix(&z); s3 = splitMix(&z)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func uniformFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal via Box–Muller (pairs; the second value is kept for the next call).
    @inline(__always)
    public mutating func normal() -> Float {
        if let s = spareNormal { spareNormal = nil; return s }
        let u1 = 1 - uniform()          // (0, 1]
        let u2 = uniform()
        let r = (-2 * Foundation.log(u1)).squareRoot()
        spareNormal = Float(r * Foundation.sin(2 * Double.pi * u2))
        return Float(r * Foundation.cos(2 * Double.pi * u2))
    }

    /// Fills n floats with standard normals: Box–Muller in Float (two 24-bit uniforms per 64-bit
    /// draw; FastMath.log and polynomial sin/cos), 64 pairs at a time in a stack buffer so the loop
    /// vectorises without allocating.
    public mutating func fillNormal(_ out: UnsafeMutablePointer<Float>, count n: Int) {
        let block = 64
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * block) { buffer in
            let u1 = buffer.baseAddress!, u2 = u1 + block
            var first = 0   // first output of this block
            while first < n {
                let pairs = min(block, (n - first + 1) / 2)
                for k in 0..<pairs {
                    let r = next()
                    u1[k] = Float((r >> 40) + 1) * 0x1p-24             // (0, 1]
                    u2[k] = Float((r >> 16) & 0xFF_FFFF) * 0x1p-24     // [0, 1)
                }
                for k in 0..<pairs {
                    let radius = (-2 * FastMath.log(u1[k])).squareRoot()
                    let x = Float.pi * (2 * u2[k] - 1)                  // the angle − π, in [−π, π)
                    let (s, c) = FastMath.sinCos(x)
                    u1[k] = -radius * c; u2[k] = -radius * s            // r·cos(x + π), r·sin(x + π)
                }
                for k in 0..<pairs {
                    out[first + 2 * k] = u1[k]
                    if first + 2 * k + 1 < n { out[first + 2 * k + 1] = u2[k] }
                }
                first += 2 * pairs
            }
        }
    }

    /// Uniform integer in 0..<n without modulo bias.
    @inline(__always)
    public mutating func integer(below n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        while true {
            let r = next()
            let m = r.multipliedFullWidth(by: bound)
            if m.low >= threshold { return Int(m.high) }
        }
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, integer(below: i + 1)) }
        return p
    }

    /// Gamma(shape, 1) by Marsaglia–Tsang (boosted for shape < 1).
    public mutating func gamma(shape: Double) -> Double {
        if shape <= 0 { return 0 }
        if shape < 1 {
            let u = uniform()
            return gamma(shape: shape + 1) * Foundation.pow(max(u, 1e-300), 1 / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat { x = Double(normal()); v = 1 + c * x } while v <= 0
            v = v * v * v
            let u = uniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if Foundation.log(max(u, 1e-300)) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) { return d * v }
        }
    }

    /// Poisson(λ): multiplication method for λ < 10, Hörmann's PTRS otherwise.
    public mutating func poisson(_ lambda: Double) -> Double {
        if !(lambda > 0) { return 0 }
        if lambda < 10 {
            let l = Foundation.exp(-lambda)
            var k = 0.0, p = uniform()
            while p > l { k += 1; p *= uniform() }
            return k
        }
        let slam = lambda.squareRoot(), loglam = Foundation.log(lambda)
        let b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b
        let invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5, v = uniform()
            let us = 0.5 - abs(u)
            let k = Foundation.floor((2 * a / us + b) * u + lambda + 0.43)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if Foundation.log(v) + Foundation.log(invalpha) - Foundation.log(a / (us * us) + b)
                <= -lambda + k * loglam - Foundation.lgamma(k + 1) { return k }
        }
    }
}
