import CellviKernels
import CellviModel
import Foundation

/// LeakyReLU in place on n values.
@inline(__always)
func leaky_relu_forward(_ x: UnsafeMutablePointer<Float>, count n: Int, slope: Float) {
    for i in 0..<n { x[i] = x[i] < 0 ? x[i] * slope : x[i] }
}

/// dx[i] *= slope where the LeakyReLU output y[i] is negative (in place on dx).
@inline(__always)
func leaky_relu_backward(_ dx: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count n: Int, slope: Float) {
    for i in 0..<n { dx[i] = y[i] < 0 ? dx[i] * slope : dx[i] }
}

/// The input of a hidden stack: the log-normalized minibatch (sparse, never densified) for the
/// encoder, latent points (dense) for the decoder.
enum ScGenStackInput {
    case sparse(SparseRows)               // (B, G)
    case dense(UnsafePointer<Float>)      // (B, Z)
}

/// scGen's VAE over one minibatch: encode → sample z → decode → loss, and the backward pass as the
/// forward script in reverse. Holds raw pointers into the model's slabs; owns nothing.
struct ScGenNetwork {
    let arch: ScGenArchitecture
    let params: UnsafeMutablePointer<Float>
    let grads: UnsafeMutablePointer<Float>
    let state: UnsafeMutablePointer<Float>
    /// Threads for the sparse first layer, the split products and Adam; OpenBLAS runs single-threaded.
    let threads: Int

    var config: ScGenConfiguration { arch.config }

    /// Runs a hidden stack on `input` (B, inputs); returns its output (B, H).
    func stackForward(_ layers: [ScGenLayer], _ bufs: [ScGenLayerBuffers], input: ScGenStackInput, B: Int,
                      training: Bool, rng: inout RandomSource) -> UnsafeMutablePointer<Float> {
        let P = params, S = state, p = config.dropoutRate
        for (l, s) in layers.enumerated() {
            let b = bufs[l], O = s.outputs, n = B * O
            switch (l, input) {
            case (0, .sparse(let x)):
                precondition(s.weightIsTransposed && x.rowCount == B)
                // pre(B, O) = X(B, I) · WT(I, O) + bias
                SparseProduct.forward(b.pre, x, P + s.weight, n: O, threads: threads)
                bias_forward(b.pre, P + s.bias, B: B, O: O)
            case (0, .dense(let x)):
                split_linear_forward(b.pre, x, P + s.weight, P + s.bias, B: B, I: s.inputs, O: O, threads: threads)
            default:
                split_linear_forward(b.pre, bufs[l - 1].out, P + s.weight, P + s.bias, B: B, I: s.inputs, O: O, threads: threads)
            }
            if training {
                LayerKernels.batchNormForwardTraining(b.y, b.xhat, b.mean, b.invstd, b.pre, P + s.gamma, P + s.beta,
                                                      S + s.runningMean, S + s.runningVar, B: B, C: O,
                                                      momentum: ScGenArchitecture.bnMomentum, eps: ScGenArchitecture.bnEps)
            } else {
                LayerKernels.batchNormForwardEvaluation(b.y, b.pre, P + s.gamma, P + s.beta, S + s.runningMean, S + s.runningVar,
                                                        B: B, C: O, eps: ScGenArchitecture.bnEps)
            }
            leaky_relu_forward(b.y, count: n, slope: config.leakySlope)
            if training && p > 0 {
                LayerKernels.dropoutMask(b.mask, count: n, p: p, rng: &rng)
                LayerKernels.dropoutForward(b.out, b.y, b.mask, count: n)
            } else {
                b.out.update(from: b.y, count: n)
            }
        }
        return bufs[bufs.count - 1].out
    }

    /// Backward of a training-mode stack; the top gradient is in `bufs.last.dOut` (consumed). Accumulates
    /// into `dInput` (B, inputs) when given; a sparse input gets no gradient.
    func stackBackward(_ layers: [ScGenLayer], _ bufs: [ScGenLayerBuffers], input: ScGenStackInput,
                       dInput: UnsafeMutablePointer<Float>?, B: Int, ws: ScGenWorkspace) {
        let P = params, D = grads
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let s = layers[l], b = bufs[l], O = s.outputs, n = B * O
            if config.dropoutRate > 0 { LayerKernels.dropoutForward(b.dOut, b.dOut, b.mask, count: n) }
            leaky_relu_backward(b.dOut, b.y, count: n, slope: config.leakySlope)
            LayerKernels.batchNormBackward(b.dPre, D + s.gamma, D + s.beta, b.dOut, b.xhat, b.invstd, P + s.gamma,
                                           ws.bnScratch, B: B, C: O)
            switch (l, input) {
            case (0, .sparse(let x)):
                // dWT(I, O) += Xᵀ · dPre
                SparseProduct.weightGradient(D + s.weight, x, b.dPre, n: O, threads: threads)
                bias_backward(D + s.bias, b.dPre, B: B, O: O)
            case (0, .dense(let x)):
                split_linear_backward(dInput, D + s.weight, D + s.bias, b.dPre, x, P + s.weight, B: B, I: s.inputs, O: O, threads: threads)
            default:
                // The product accumulates into the layer below's dOut, so it starts from zero.
                Elementwise.zero(bufs[l - 1].dOut, count: B * s.inputs)
                split_linear_backward(bufs[l - 1].dOut, D + s.weight, D + s.bias, b.dPre, bufs[l - 1].out, P + s.weight,
                                      B: B, I: s.inputs, O: O, threads: threads)
            }
        }
    }

    /// Encoder: ws.qm, ws.logVariance, ws.qv = exp(logVariance) (B, Z) from the minibatch x (B, G).
    func encode(_ ws: ScGenWorkspace, x: SparseRows, training: Bool, rng: inout RandomSource) {
        let P = params, H = config.hiddenDimensions, Z = config.latentDimensions, B = x.rowCount
        let h = stackForward(arch.encoder, ws.encoder, input: .sparse(x), B: B, training: training, rng: &rng)
        split_linear_forward(ws.qm, h, P + arch.meanHead.weight, P + arch.meanHead.bias, B: B, I: H, O: Z, threads: threads)
        split_linear_forward(ws.logVariance, h, P + arch.logVarianceHead.weight, P + arch.logVarianceHead.bias, B: B, I: H, O: Z, threads: threads)
        for k in 0..<(B * Z) { ws.qv[k] = expf(ws.logVariance[k]) }
    }

    /// Decoder: ws.output (B, G) from ws.z.
    func decode(_ ws: ScGenWorkspace, B: Int, training: Bool, rng: inout RandomSource) {
        let P = params, H = config.hiddenDimensions, G = config.geneCount
        let h = stackForward(arch.decoder, ws.decoder, input: .dense(ws.z), B: B, training: training, rng: &rng)
        split_linear_forward(ws.output, h, P + arch.outputHead.weight, P + arch.outputHead.bias, B: B, I: H, O: G, threads: threads)
    }

    /// Full pass on the minibatch x (B, G); ws.loss (B) = 0.5·Σ(x − out)² + 0.5·klWeight·KL per cell;
    /// returns the mean. Leaves ws.residual = out − x for `backward`.
    /// `sample`: z = qm + √qv·ε with ε drawn; else z = qm.
    @discardableResult
    func forward(_ ws: ScGenWorkspace, x: SparseRows, training: Bool, sample: Bool, rng: inout RandomSource) -> Double {
        let Z = config.latentDimensions, G = config.geneCount, B = x.rowCount
        encode(ws, x: x, training: training, rng: &rng)
        if sample { rng.fillNormal(ws.eps, count: B * Z) } else { Elementwise.zero(ws.eps, count: B * Z) }
        for k in 0..<(B * Z) { ws.z[k] = ws.qm[k] + ws.qv[k].squareRoot() * ws.eps[k] }
        decode(ws, B: B, training: training, rng: &rng)
        var total = 0.0
        for i in 0..<B {
            // residual row = out − x: a copy of out, minus x at its non-zeros.
            let r = ws.residual + i * G
            r.update(from: ws.output + i * G, count: G)
            for e in x.range(i) { r[Int(x.indices[e])] -= x.values[e] }
            var sse: Float = 0, kl: Float = 0
            for g in 0..<G { sse += r[g] * r[g] }
            for d in 0..<Z {
                let k = i * Z + d
                kl += ws.qv[k] + ws.qm[k] * ws.qm[k] - 1 - ws.logVariance[k]
            }
            ws.loss[i] = 0.5 * sse + 0.5 * config.klWeight * 0.5 * kl
            total += Double(ws.loss[i])
        }
        return total / Double(max(B, 1))
    }

    /// Gradients of the mean loss accumulated into `grads`. Call after a training-mode `forward` on
    /// the same x.
    func backward(_ ws: ScGenWorkspace, x: SparseRows) {
        let P = params, D = grads, B = x.rowCount
        let G = config.geneCount, H = config.hiddenDimensions, Z = config.latentDimensions
        let inv = 1 / Float(B)
        let dOutput = ws.residual   // (B, G) d loss / d out = (out − x) / B, in place
        for k in 0..<(B * G) { dOutput[k] *= inv }

        let top = ws.decoder[ws.decoder.count - 1]
        Elementwise.zero(top.dOut, count: B * H)
        split_linear_backward(top.dOut, D + arch.outputHead.weight, D + arch.outputHead.bias, dOutput, top.out,
                              P + arch.outputHead.weight, B: B, I: H, O: G, threads: threads)
        Elementwise.zero(ws.dz, count: B * Z)
        stackBackward(arch.decoder, ws.decoder, input: .dense(ws.z), dInput: ws.dz, B: B, ws: ws)

        // z = qm + √exp(lv)·ε and 0.5·klWeight·KL(N(qm, qv) ‖ N(0, 1)), both averaged over cells.
        let c = 0.5 * config.klWeight * inv
        for k in 0..<(B * Z) {
            let sd = ws.qv[k].squareRoot()
            ws.dqm[k] = ws.dz[k] + c * ws.qm[k]
            ws.dLogVariance[k] = ws.dz[k] * ws.eps[k] * 0.5 * sd + c * 0.5 * (ws.qv[k] - 1)
        }
        let encoderTop = ws.encoder[ws.encoder.count - 1]
        Elementwise.zero(encoderTop.dOut, count: B * H)
        split_linear_backward(encoderTop.dOut, D + arch.meanHead.weight, D + arch.meanHead.bias, ws.dqm, encoderTop.out,
                              P + arch.meanHead.weight, B: B, I: H, O: Z, threads: threads)
        split_linear_backward(encoderTop.dOut, D + arch.logVarianceHead.weight, D + arch.logVarianceHead.bias,
                              ws.dLogVariance, encoderTop.out, P + arch.logVarianceHead.weight, B: B, I: H, O: Z, threads: threads)
        stackBackward(arch.encoder, ws.encoder, input: .sparse(x), dInput: nil, B: B, ws: ws)
    }
}
