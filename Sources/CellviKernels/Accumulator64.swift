/// 64 floats held in four SIMD16 values (four AVX-512 registers, or eight AVX2 ones):
/// acc += v · w[0..<64] with fused multiply-adds.
struct Accumulator64 {
    var a0, a1, a2, a3: SIMD16<Float>

    @inline(__always)
    init(_ start: UnsafePointer<Float>?) {
        if let p = start {
            a0 = Self.load(p, 0); a1 = Self.load(p, 1); a2 = Self.load(p, 2); a3 = Self.load(p, 3)
        } else {
            let z = SIMD16<Float>(repeating: 0)
            a0 = z; a1 = z; a2 = z; a3 = z
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ k: Int) -> SIMD16<Float> {
        UnsafeRawPointer(p + 16 * k).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    mutating func add(_ v: Float, _ w: UnsafePointer<Float>) {
        let s = SIMD16<Float>(repeating: v)
        a0.addProduct(s, Self.load(w, 0)); a1.addProduct(s, Self.load(w, 1))
        a2.addProduct(s, Self.load(w, 2)); a3.addProduct(s, Self.load(w, 3))
    }

    @inline(__always)
    func store(_ p: UnsafeMutablePointer<Float>) {
        let r = UnsafeMutableRawPointer(p)
        r.storeBytes(of: a0, toByteOffset: 0, as: SIMD16<Float>.self); r.storeBytes(of: a1, toByteOffset: 64, as: SIMD16<Float>.self)
        r.storeBytes(of: a2, toByteOffset: 128, as: SIMD16<Float>.self); r.storeBytes(of: a3, toByteOffset: 192, as: SIMD16<Float>.self)
    }

    /// p[0..<64] = fma(v, self, p[0..<64]), element by element.
    @inline(__always)
    func fusedAddScaled(_ p: UnsafeMutablePointer<Float>, _ v: Float) {
        let s = SIMD16<Float>(repeating: v), q = UnsafePointer(p)
        var o = Accumulator64(q)
        o.a0.addProduct(s, a0); o.a1.addProduct(s, a1); o.a2.addProduct(s, a2); o.a3.addProduct(s, a3)
        o.store(p)
    }

    /// p[0..<64] += the accumulated values.
    @inline(__always)
    func addTo(_ p: UnsafeMutablePointer<Float>) {
        var sum = self
        let q = UnsafePointer(p)
        sum.a0 += Self.load(q, 0); sum.a1 += Self.load(q, 1); sum.a2 += Self.load(q, 2); sum.a3 += Self.load(q, 3)
        sum.store(p)
    }
}
