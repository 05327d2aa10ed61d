import CellviKernels

// Layer kernels in llm.c style: outputs first, then inputs, weights, sizes. Backward
// functions accumulate (+=) into gradients; callers zero gradients once per step. The two largest
// weight gradients can be written instead (`overwrite…`), so the optimizer need not clear them.
// Weights are stored [out, in] like PyTorch unless the name says transposed.

/// out(B, O) = inp(B, I) · W[:, :I]ᵀ + bias + W[:, I + code_b] (one-hot covariate, if K > 0).
/// weight: (O, I + K); bias: (O); codes: (B) or nil when K == 0. With `threads` > 1 the product is
/// cut into fixed blocks (`BLAS.gemmSplit`, OpenBLAS at one thread) and each block gets its bias on
/// the thread that computed it, so results are the same on every run with the same thread count.
/// out rows are `ldOut` (≥ O) apart. `cachedRows(p, parts)`, when given, names the rows of out the
/// core computing block p reads next; its other rows go out with streaming stores (`BLAS.gemmSplit`).
@inline(__always)
func linear_forward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                    _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                    _ codes: UnsafePointer<Int32>?, B: Int, I: Int, K: Int, O: Int, threads: Int = 1,
                    ldOut: Int? = nil, cachedRows: ((Int, Int) -> Range<Int>)? = nil) {
    let covariateWeights = K > 0 && codes != nil ? weight + I : nil
    if covariateWeights == nil {
        // The product starts from the bias (one pass over out).
        BLAS.gemmSplit(out, ldc: ldOut ?? O, inp, lda: I, transposeA: false, weight, ldb: I + K, transposeB: true,
                       m: B, n: O, k: I, columnBias: bias, threads: threads, cachedRows: cachedRows) { _, _ in }
        return
    }
    precondition(ldOut == nil || ldOut == O, "linear_forward: covariate layers write packed rows")
    BLAS.gemmSplit(out, ldc: O, inp, lda: I, transposeA: false, weight, ldb: I + K, transposeB: true,
                   m: B, n: O, k: I, threads: threads) { rows, cols in
        bias_forward(out, bias, covariateWeights, ldw: I + K, codes, rows: rows, cols: cols, O: O)
    }
}

/// out[rows, cols] += bias + covariate column code_b of the weights (`covariateWeights[j · ldw + code]`).
@inline(__always)
func bias_forward(_ out: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>,
                  _ covariateWeights: UnsafePointer<Float>?, ldw: Int, _ codes: UnsafePointer<Int32>?,
                  rows: Range<Int>, cols: Range<Int>, O: Int) {
    for b in rows {
        let o = out + b * O
        for j in cols { o[j] += bias[j] }
        if let w = covariateWeights, let codes {
            let c = Int(codes[b])
            for j in cols { o[j] += w[j * ldw + c] }
        }
    }
}

/// dbias[cols] += Σ_b dout[b, cols] and covariate gradients `dcov[j · ldw + code_b] += dout[b, j]`,
/// summed over cells in order for every column (so any column partition gives the same sums).
@inline(__always)
func bias_backward(_ dbias: UnsafeMutablePointer<Float>, _ dcov: UnsafeMutablePointer<Float>?, ldw: Int,
                   _ dout: UnsafePointer<Float>, ldDout: Int, _ codes: UnsafePointer<Int32>?, B: Int, cols: Range<Int>) {
    for b in 0..<B {
        let d = dout + b * ldDout
        for j in cols { dbias[j] += d[j] }
        if let w = dcov, let codes {
            let c = Int(codes[b])
            for j in cols { w[j * ldw + c] += d[j] }
        }
    }
}

/// Backward of `linear_forward`. dinp (B, I) may be nil when the input needs no gradient.
/// With `overwriteWeightGradient` (no covariates) dweight is written instead of accumulated into.
/// The weight product, the bias sums and the input product run in one parallel region: part p
/// computes block p of each product (`BLAS.gemmBlock`, the blocks `gemmSplit` would use) and column
/// block p of the bias. With `extraSplits`, `extra(p, parts)` runs in the same region on every part
/// (a caller's column sum whose result must not depend on the partition). dout rows are `ldDout` apart.
@inline(__always)
func linear_backward(_ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>,
                     _ dbias: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                     _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                     _ codes: UnsafePointer<Int32>?, B: Int, I: Int, K: Int, O: Int, threads: Int = 1,
                     ldDout: Int? = nil,
                     overwriteWeightGradient: Bool = false, depthSplitScratch: UnsafeMutablePointer<Float>? = nil,
                     depthSplitCapacity: Int = 0,
                     extraSplits: Bool = false, extra: (Int, Int) -> Void = { _, _ in }) {
    let dcov = K > 0 && codes != nil ? dweight + I : nil, cov = K > 0 ? codes : nil
    let ldd = ldDout ?? O
    precondition(!overwriteWeightGradient || dcov == nil, "linear_backward: covariate columns accumulate; cannot overwrite")
    let weightParts = BLAS.splitParts(m: O, n: I, k: B, threads: threads)
    // A wide layer (O ≥ 4·max(B, I), say the (G, H) scale head) splits its input product over the
    // outputs instead: part p sums dout[:, block p] · W[block p] (the output block whose weight
    // gradient it also computes, and whose rows of W the optimizer updates on the same core) into its
    // own (B, I) partial, and the partials are added in order afterwards. Splitting over I instead
    // would have each core read every row of W, which the other core's Adam step then rewrites.
    // (With `StreamingStore.isEnabled`, partials 1… are computed in private blocks after the partials
    // and published with streaming stores: the caller reads them, and their cores write them next step.)
    let depthSplit = dinp != nil && weightParts > 1 && O >= 4 * max(B, I)
        && depthSplitScratch != nil && 2 * weightParts * B * I <= depthSplitCapacity && O > I
    let inputParts = dinp == nil || depthSplit ? 0 : BLAS.splitParts(m: B, n: I, k: O, threads: threads)
    // The bias sums follow the weight blocks when there are some: part p reads only the columns of
    // dout its weight product reads.
    let biasParts = weightParts > 1 ? weightParts : B * O >= 1 << 16 ? max(1, min(threads, O / 512)) : 1
    let parts = max(weightParts, inputParts, biasParts, extraSplits ? threads : 1)
    Parallel.forEachChunk(parts, threads: parts) { range in
        for p in range {
            if p < weightParts {
                // dW[:, :I] += doutᵀ(O, B) · inp(B, I)   (= with overwriteWeightGradient)
                BLAS.gemmBlock(p, of: weightParts, dweight, ldc: I + K, dout, lda: ldd, transposeA: true,
                               inp, ldb: I, transposeB: false, m: O, n: I, k: B, beta: overwriteWeightGradient ? 0 : 1)
            }
            if p < biasParts {
                bias_backward(dbias, dcov, ldw: I + K, dout, ldDout: ldd, cov, B: B,
                              cols: BLAS.splitRange(p, of: biasParts, length: O))
            }
            if let dinp, p < inputParts {
                // dinp(B, I) += dout(B, O) · W[:, :I](O, I)
                BLAS.gemmBlock(p, of: inputParts, dinp, ldc: I, dout, lda: ldd, transposeA: false,
                               weight, ldb: I + K, transposeB: false, m: B, n: I, k: O, beta: 1)
            }
            if depthSplit, let partials = depthSplitScratch, p < weightParts {
                // partial p (B, I) = dout[:, lo..<hi] · W[lo..<hi, :I], the rows of dW block p
                let block = BLAS.splitRange(p, of: weightParts, length: O)
                let stream = p > 0 && StreamingStore.isEnabled
                let published = partials + p * B * I, own = stream ? partials + (weightParts + p) * B * I : published
                BLAS.gemm(own, ldc: I, dout + block.lowerBound, lda: ldd, transposeA: false,
                          weight + block.lowerBound * (I + K), ldb: I + K, transposeB: false, m: B, n: I, k: block.count)
                if stream {
                    StreamingStore.copy(published, from: own, count: B * I)
                    StreamingStore.fence()
                }
            }
            if extraSplits { extra(p, parts) }
        }
    }
    if depthSplit, let dinp, let partials = depthSplitScratch {
        for p in 0..<weightParts {
            let part = partials + p * B * I
            for i in 0..<(B * I) { dinp[i] += part[i] }
        }
    }
}

/// First encoder layer on sparse input: out(B, O) = X(B, I) · WT[:I] + WT[I + code] + bias.
/// weightT is stored transposed, (I + K, O), so each non-zero adds one contiguous row.
/// Dense-enough minibatches are densified into `denseScratch` (B, I) and go through BLAS.
@inline(__always)
func sparse_linear_forward(_ out: UnsafeMutablePointer<Float>, _ x: SparseRows,
                           _ weightT: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                           _ codes: UnsafePointer<Int32>?, I: Int, K: Int, O: Int, threads: Int,
                           denseScratch: UnsafeMutablePointer<Float>, columnScratch: SparseColumnScratch) {
    if SparseProduct.prefersDense(x, k: I) {
        // denseScratch (B, I) = X; out(B, O) = X · WT[:I]
        SparseProduct.densify(denseScratch, x, k: I, threads: threads)
        BLAS.gemmSplit(out, ldc: O, denseScratch, lda: I, transposeA: false, weightT, ldb: O, transposeB: false,
                       m: x.rowCount, n: O, k: I, threads: threads)
    } else {
        SparseProduct.forward(out, x, weightT, n: O, k: I, scratch: columnScratch, threads: threads)
    }
    for b in 0..<x.rowCount {
        let o = out + b * O
        for j in 0..<O { o[j] += bias[j] }
        if K > 0, let codes {
            let w = weightT + (I + Int(codes[b])) * O
            for j in 0..<O { o[j] += w[j] }
        }
    }
}

/// Backward of `sparse_linear_forward` (weights and bias only). Expects the forward pass of the
/// same minibatch to have run just before (a dense-enough minibatch is still in `denseScratch`).
/// With `overwriteWeights` rows 0..<I of dweightT are written instead of accumulated into.
@inline(__always)
func sparse_linear_backward(_ dweightT: UnsafeMutablePointer<Float>, _ dbias: UnsafeMutablePointer<Float>,
                            _ dout: UnsafePointer<Float>, _ x: SparseRows,
                            _ codes: UnsafePointer<Int32>?, I: Int, K: Int, O: Int, threads: Int,
                            denseScratch: UnsafeMutablePointer<Float>, columnScratch: SparseColumnScratch,
                            overwriteWeights: Bool = false) {
    if SparseProduct.prefersDense(x, k: I) {
        // dWT[:I](I, O) += Xᵀ(I, B) · dout(B, O)   (= with overwriteWeights)
        BLAS.gemmSplit(dweightT, ldc: O, denseScratch, lda: I, transposeA: true, dout, ldb: O, transposeB: false,
                       m: I, n: O, k: x.rowCount, beta: overwriteWeights ? 0 : 1, threads: threads)
    } else {
        SparseProduct.weightGradient(dweightT, x, dout, n: O, k: I, scratch: columnScratch, threads: threads,
                                     overwrite: overwriteWeights)
    }
    for b in 0..<x.rowCount {
        let d = dout + b * O
        for j in 0..<O { dbias[j] += d[j] }
        if K > 0, let codes {
            let w = dweightT + (I + Int(codes[b])) * O
            for j in 0..<O { w[j] += d[j] }
        }
    }
}

/// BatchNorm1d in training mode (PyTorch semantics): normalise with the biased batch variance,
/// update running stats with momentum and the unbiased variance.
/// out, xhat: (B, C); mean, invstd: (C) saved for backward; inp: (B, C).
@inline(__always)
func batchnorm_forward_train(_ out: UnsafeMutablePointer<Float>, _ xhat: UnsafeMutablePointer<Float>,
                             _ mean: UnsafeMutablePointer<Float>, _ invstd: UnsafeMutablePointer<Float>,
                             _ inp: UnsafePointer<Float>, _ gamma: UnsafePointer<Float>, _ beta: UnsafePointer<Float>,
                             _ runningMean: UnsafeMutablePointer<Float>, _ runningVar: UnsafeMutablePointer<Float>,
                             B: Int, C: Int, momentum: Float, eps: Float, writeOutput: Bool = true) {
    for j in 0..<C { mean[j] = 0; invstd[j] = 0 }
    for b in 0..<B { let x = inp + b * C; for j in 0..<C { mean[j] += x[j] } }
    let invB = 1 / Float(B)
    for j in 0..<C { mean[j] *= invB }
    // invstd temporarily holds Σ (x − mean)²
    for b in 0..<B { let x = inp + b * C; for j in 0..<C { let d = x[j] - mean[j]; invstd[j] += d * d } }
    let unbias = B > 1 ? Float(B) / Float(B - 1) : 1
    for j in 0..<C {
        let variance = invstd[j] * invB
        runningMean[j] = (1 - momentum) * runningMean[j] + momentum * mean[j]
        runningVar[j] = (1 - momentum) * runningVar[j] + momentum * variance * unbias
        invstd[j] = 1 / (variance + eps).squareRoot()
    }
    if !writeOutput {
        for b in 0..<B { let x = inp + b * C, h = xhat + b * C; for j in 0..<C { h[j] = (x[j] - mean[j]) * invstd[j] } }
        return
    }
    for b in 0..<B {
        let x = inp + b * C, h = xhat + b * C, o = out + b * C
        for j in 0..<C { h[j] = (x[j] - mean[j]) * invstd[j]; o[j] = gamma[j] * h[j] + beta[j] }
    }
}

/// `batchnorm_forward_train` then `relu_forward` on out, with out written once, as streaming stores
/// (`StreamingStore`): for a layer whose output another core reads next. The same values; C must be
/// a multiple of 16 and out rows 64-byte aligned.
@inline(__always)
func batchnorm_relu_forward_train_streamed(_ out: UnsafeMutablePointer<Float>, _ xhat: UnsafeMutablePointer<Float>,
                                           _ mean: UnsafeMutablePointer<Float>, _ invstd: UnsafeMutablePointer<Float>,
                                           _ inp: UnsafePointer<Float>, _ gamma: UnsafePointer<Float>, _ beta: UnsafePointer<Float>,
                                           _ runningMean: UnsafeMutablePointer<Float>, _ runningVar: UnsafeMutablePointer<Float>,
                                           B: Int, C: Int, momentum: Float, eps: Float) {
    typealias V = SIMD16<Float>
    // Statistics (and xhat) as the plain layer computes them; the affine output and ReLU per 16 channels.
    batchnorm_forward_train(xhat, xhat, mean, invstd, inp, gamma, beta, runningMean, runningVar,
                            B: B, C: C, momentum: momentum, eps: eps, writeOutput: false)
    for b in 0..<B {
        let h = xhat + b * C, o = out + b * C
        for j in stride(from: 0, to: C, by: 16) {
            let v = V.load(gamma + j) * V.load(h + j) + V.load(beta + j)
            StreamingStore.store(v.replacing(with: 0, where: v .< 0), o + j)   // max(v, 0) as relu_forward
        }
    }
    StreamingStore.fence()
}

extension SIMD16 where Scalar == Float {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
}

/// BatchNorm1d in eval mode with running statistics. out, inp: (B, C).
@inline(__always)
func batchnorm_forward_eval(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                            _ gamma: UnsafePointer<Float>, _ beta: UnsafePointer<Float>,
                            _ runningMean: UnsafePointer<Float>, _ runningVar: UnsafePointer<Float>,
                            B: Int, C: Int, eps: Float) {
    for b in 0..<B {
        let x = inp + b * C, o = out + b * C
        for j in 0..<C { o[j] = gamma[j] * (x[j] - runningMean[j]) / (runningVar[j] + eps).squareRoot() + beta[j] }
    }
}

/// Backward of training-mode BatchNorm. dinp (B, C) is overwritten; dgamma, dbeta accumulate.
/// scratch: (2C). With `streamed` (C a multiple of 16, dinp rows 64-byte aligned) dinp is written as
/// streaming stores, for another core to read next; the same values.
@inline(__always)
func batchnorm_backward(_ dinp: UnsafeMutablePointer<Float>, _ dgamma: UnsafeMutablePointer<Float>,
                        _ dbeta: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                        _ xhat: UnsafePointer<Float>, _ invstd: UnsafePointer<Float>, _ gamma: UnsafePointer<Float>,
                        _ scratch: UnsafeMutablePointer<Float>, B: Int, C: Int, streamed: Bool = false) {
    let sumD = scratch, sumDX = scratch + C   // Σ dxhat, Σ dxhat·xhat  (C each)
    for j in 0..<C { sumD[j] = 0; sumDX[j] = 0 }
    for b in 0..<B {
        let d = dout + b * C, h = xhat + b * C
        for j in 0..<C { sumD[j] += d[j]; sumDX[j] += d[j] * h[j] }
    }
    for j in 0..<C { dbeta[j] += sumD[j]; dgamma[j] += sumDX[j] }
    let invB = 1 / Float(B)
    if streamed {
        typealias V = SIMD16<Float>
        let ib = V(repeating: invB)
        for b in 0..<B {
            let d = dout + b * C, h = xhat + b * C, o = dinp + b * C
            for j in stride(from: 0, to: C, by: 16) {
                // The same operations, in the same order, as the plain loop below.
                let v = V.load(gamma + j) * V.load(invstd + j)
                    * (V.load(d + j) - ib * V.load(sumD + j) - V.load(h + j) * ib * V.load(sumDX + j))
                StreamingStore.store(v, o + j)
            }
        }
        StreamingStore.fence()
        return
    }
    for b in 0..<B {
        let d = dout + b * C, h = xhat + b * C, o = dinp + b * C
        for j in 0..<C {
            o[j] = gamma[j] * invstd[j] * (d[j] - invB * sumD[j] - h[j] * invB * sumDX[j])
        }
    }
}

/// In-place ReLU on n values.
@inline(__always)
func relu_forward(_ x: UnsafeMutablePointer<Float>, count n: Int) {
    for i in 0..<n { x[i] = max(x[i], 0) }
}

/// dx[i] = 0 where the ReLU output y[i] is 0 (in place on dx). Eight lanes at a time with a
/// mask: the plain loop compiled to a data-dependent branch per element.
@inline(__always)
func relu_backward(_ dx: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count n: Int) {
    var i = 0
    while i + 8 <= n {
        let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
        var dv = UnsafeRawPointer(dx + i).loadUnaligned(as: SIMD8<Float>.self)
        dv.replace(with: 0, where: .!(yv .> 0))
        UnsafeMutableRawPointer(dx + i).storeBytes(of: dv, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { if !(y[i] > 0) { dx[i] = 0 }; i += 1 }
}

/// Draws an inverted-dropout mask: 0 with probability p, else 1/(1−p).
@inline(__always)
func dropout_mask(_ mask: UnsafeMutablePointer<Float>, count n: Int, p: Float, rng: inout RandomSource) {
    let keep = 1 / (1 - p)
    // Two 24-bit uniforms per 64-bit draw (bits 40–63 and 16–39), so the generator's serial chain
    // runs half as often.
    var i = 0
    while i + 2 <= n {
        let r = rng.next()
        mask[i] = Float(r >> 40) * 0x1p-24 < p ? 0 : keep
        mask[i + 1] = Float((r >> 16) & 0xFF_FFFF) * 0x1p-24 < p ? 0 : keep
        i += 2
    }
    if i < n { mask[i] = rng.uniformFloat() < p ? 0 : keep }
}

/// out = inp · mask (element-wise). Also serves as the backward (dinp = dout · mask).
@inline(__always)
func dropout_forward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                     _ mask: UnsafePointer<Float>, count n: Int) {
    for i in 0..<n { out[i] = inp[i] * mask[i] }
}
