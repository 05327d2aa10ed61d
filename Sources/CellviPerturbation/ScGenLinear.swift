import CellviKernels

// scGen's dense Linear layers over products split across cores (`BLAS.gemmSplit`), with OpenBLAS
// itself single-threaded. Same conventions as CellviModel's layer kernels: outputs first, then
// inputs, weights, sizes; weights (O, I); backward accumulates (+=) into gradients.

/// out(B, O) = inp(B, I) · Wᵀ + bias. weight: (O, I); bias: (O).
@inline(__always)
func split_linear_forward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                          _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, B: Int, I: Int, O: Int, threads: Int) {
    BLAS.gemmSplit(out, ldc: O, inp, lda: I, transposeA: false, weight, ldb: I, transposeB: true,
                   m: B, n: O, k: I, threads: threads)
    bias_forward(out, bias, B: B, O: O)
}

/// Backward of `split_linear_forward`: dweight (O, I), dbias (O) and, when given, dinp (B, I) accumulate.
@inline(__always)
func split_linear_backward(_ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>,
                           _ dbias: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                           _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, B: Int, I: Int, O: Int, threads: Int) {
    // dW(O, I) += doutᵀ(O, B) · inp(B, I)
    BLAS.gemmSplit(dweight, ldc: I, dout, lda: O, transposeA: true, inp, ldb: I, transposeB: false,
                   m: O, n: I, k: B, beta: 1, threads: threads)
    bias_backward(dbias, dout, B: B, O: O)
    if let dinp {
        // dinp(B, I) += dout(B, O) · W(O, I)
        BLAS.gemmSplit(dinp, ldc: I, dout, lda: O, transposeA: false, weight, ldb: I, transposeB: false,
                       m: B, n: I, k: O, beta: 1, threads: threads)
    }
}

/// out(B, O) += bias (O) on every row.
@inline(__always)
func bias_forward(_ out: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, B: Int, O: Int) {
    for b in 0..<B { let o = out + b * O; for j in 0..<O { o[j] += bias[j] } }
}

/// dbias (O) += Σ_b dout(B, O).
@inline(__always)
func bias_backward(_ dbias: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, B: Int, O: Int) {
    for b in 0..<B { let d = dout + b * O; for j in 0..<O { dbias[j] += d[j] } }
}
