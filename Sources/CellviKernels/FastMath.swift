import Foundation

/// Branch-free Float32 exp and log (Cephes polynomials in fused multiply-adds, ≤ 1 ulp measured on normal inputs) and
/// fixed-order reductions. Written as scalar functions so that plain `for` loops over buffers
/// auto-vectorise; `expReference` / `logReference` are the libm twins the tests compare against.
public enum FastMath {
    /// e^x. Below −87.3 gives 0; above 88.7 saturates near Float.greatestFiniteMagnitude / 2.
    @inline(__always)
    public static func exp(_ x0: Float) -> Float {
        let x1 = min(max(x0, -87.33654), 88.72283)
        // n = round(x / ln 2) with the 1.5·2^23 trick; t's low mantissa bits hold n.
        let t = x1 * 1.44269504088896341 + 12582912
        let n = t - 12582912
        var x = x1 - n * 0.693359375
        x = x - n * -2.12194440e-4
        let z = x * x
        var y: Float = 1.9875691500E-4
        y = Float(1.3981999507E-3).addingProduct(y, x)
        y = Float(8.3334519073E-3).addingProduct(y, x)
        y = Float(4.1665795894E-2).addingProduct(y, x)
        y = Float(1.6666665459E-1).addingProduct(y, x)
        y = Float(5.0000001201E-1).addingProduct(y, x)
        y = y * z + x + 1
        let k = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
        let pow2 = Float(bitPattern: UInt32(bitPattern: (k &+ 127) &<< 23))
        return x0 < -87.33654 ? 0 : y * pow2
    }

    /// Natural log for positive normal x (the likelihoods only pass θ + μ + 1e-8 and the like).
    @inline(__always)
    public static func log(_ x0: Float) -> Float {
        // musl's reduction: x0 = 2^e · m with m in [√½, √2), without branches.
        let ix = x0.bitPattern &+ (0x3F80_0000 - 0x3F35_04F3)
        let e = Float(bitPattern: (ix >> 23) | 0x4B00_0000) - (8388608 + 127)
        let x = Float(bitPattern: (ix & 0x007F_FFFF) &+ 0x3F35_04F3) - 1
        let z = x * x
        var y: Float = 7.0376836292E-2
        y = Float(-1.1514610310E-1).addingProduct(y, x)
        y = Float(1.1676998740E-1).addingProduct(y, x)
        y = Float(-1.2420140846E-1).addingProduct(y, x)
        y = Float(1.4249322787E-1).addingProduct(y, x)
        y = Float(-1.6668057665E-1).addingProduct(y, x)
        y = Float(2.0000714765E-1).addingProduct(y, x)
        y = Float(-2.4999993993E-1).addingProduct(y, x)
        y = Float(3.3333331174E-1).addingProduct(y, x)
        y = y * x * z
        y = y + e * -2.12194440e-4
        y = y - 0.5 * z
        return x + y + e * 0.693359375
    }

    /// (sin x, cos x) for x in [−π, π], Taylor polynomials to x¹⁷ / x¹⁸ (error below 4e-7):
    /// branch-free, for the Box–Muller angles of `RandomSource.fillNormal`.
    @inline(__always)
    public static func sinCos(_ x: Float) -> (Float, Float) {
        let z = x * x
        var s: Float = 1.0 / 355687428096000          // 1/17!
        s = Float(-1.0 / 1307674368000).addingProduct(s, z)
        s = Float(1.0 / 6227020800).addingProduct(s, z)
        s = Float(-1.0 / 39916800).addingProduct(s, z)
        s = Float(1.0 / 362880).addingProduct(s, z)
        s = Float(-1.0 / 5040).addingProduct(s, z)
        s = Float(1.0 / 120).addingProduct(s, z)
        s = Float(-1.0 / 6).addingProduct(s, z)
        s = Float(1).addingProduct(s, z)
        var c: Float = -1.0 / 6402373705728000        // −1/18!
        c = Float(1.0 / 20922789888000).addingProduct(c, z)
        c = Float(-1.0 / 87178291200).addingProduct(c, z)
        c = Float(1.0 / 479001600).addingProduct(c, z)
        c = Float(-1.0 / 3628800).addingProduct(c, z)
        c = Float(1.0 / 40320).addingProduct(c, z)
        c = Float(-1.0 / 720).addingProduct(c, z)
        c = Float(1.0 / 24).addingProduct(c, z)
        c = Float(-0.5).addingProduct(c, z)
        c = Float(1).addingProduct(c, z)
        return (x * s, c)
    }

    public static func expReference(_ x: Float) -> Float { Foundation.expf(x) }
    public static func logReference(_ x: Float) -> Float { Foundation.logf(x) }

    /// Σ p[0..<n] with 64 interleaved partial sums in four independent SIMD16 accumulators (so the
    /// adds overlap instead of waiting on one another), then 16, then the tail: a fixed order, so
    /// deterministic.
    @inline(__always)
    public static func sum(_ p: UnsafePointer<Float>, count n: Int) -> Float {
        typealias V = SIMD16<Float>
        let raw = UnsafeRawPointer(p)
        var a0 = V(repeating: 0), a1 = a0, a2 = a0, a3 = a0
        var i = 0
        while i + 64 <= n {
            a0 += raw.loadUnaligned(fromByteOffset: 4 * i, as: V.self)
            a1 += raw.loadUnaligned(fromByteOffset: 4 * (i + 16), as: V.self)
            a2 += raw.loadUnaligned(fromByteOffset: 4 * (i + 32), as: V.self)
            a3 += raw.loadUnaligned(fromByteOffset: 4 * (i + 48), as: V.self)
            i += 64
        }
        while i + 16 <= n { a0 += raw.loadUnaligned(fromByteOffset: 4 * i, as: V.self); i += 16 }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    /// Σ p[0..<n] accumulated in Double with eight interleaved partial sums (fixed order).
    @inline(__always)
    public static func sumAsDouble(_ p: UnsafePointer<Float>, count n: Int) -> Double {
        var lo = SIMD4<Double>(repeating: 0), hi = SIMD4<Double>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            lo += SIMD4<Double>(v.lowHalf); hi += SIMD4<Double>(v.highHalf); i += 8
        }
        var s = (lo + hi).sum()
        while i < n { s += Double(p[i]); i += 1 }
        return s
    }

    /// max p[0..<n] (−inf for n = 0; NaN-free inputs).
    @inline(__always)
    public static func maximum(_ p: UnsafePointer<Float>, count n: Int) -> Float {
        typealias V = SIMD16<Float>
        let raw = UnsafeRawPointer(p)
        var a0 = V(repeating: -.infinity), a1 = a0, a2 = a0, a3 = a0
        var i = 0
        while i + 64 <= n {
            let v0 = raw.loadUnaligned(fromByteOffset: 4 * i, as: V.self)
            let v1 = raw.loadUnaligned(fromByteOffset: 4 * (i + 16), as: V.self)
            let v2 = raw.loadUnaligned(fromByteOffset: 4 * (i + 32), as: V.self)
            let v3 = raw.loadUnaligned(fromByteOffset: 4 * (i + 48), as: V.self)
            a0.replace(with: v0, where: v0 .> a0); a1.replace(with: v1, where: v1 .> a1)
            a2.replace(with: v2, where: v2 .> a2); a3.replace(with: v3, where: v3 .> a3)
            i += 64
        }
        a0.replace(with: a1, where: a1 .> a0); a2.replace(with: a3, where: a3 .> a2)
        a0.replace(with: a2, where: a2 .> a0)
        var m = a0.max()
        while i < n { m = Swift.max(m, p[i]); i += 1 }
        return m
    }
}
