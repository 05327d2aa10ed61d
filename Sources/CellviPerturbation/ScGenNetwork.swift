import CellviKernels
import CellviModel
import Foundation

/// LeakyReLU in place on n values.
@inline(__always)
func leaky_relu_forward(_ x: UnsafeMutablePointer<Float>, count n: Int, slope: Float) {
    for i in 0..<n where x[i] < 0 { x[i] *= slope }
}

/// dx[i] *= slope where the LeakyReLU output y[i] is negative (in place on dx).
@inline(__always)
func leaky_relu_backward(_ dx: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count n: Int, slope: Float) {
    for i in 0..<n where y[i] < 0 { dx[i] *= slope }
}

/// scGen's VAE over one minibatch: encode → sample z → decode → loss, and the backward pass as the
/// forward script in reverse. Holds raw pointers into the model's slabs; owns nothing.
struct ScGenNetwork {
    let arch: ScGenArchitecture
    let params: UnsafeMutablePointer<Float>
    let grads: UnsafeMutablePointer<Float>
    let state: UnsafeMutablePointer<Float>

    var config: ScGenConfiguration { arch.config }

    /// Runs a hidden stack on `input` (B, inputs); returns its output (B, H).
    func stackForward(_ layers: [ScGenLayer], _ bufs: [ScGenLayerBuffers], input: UnsafePointer<Float>, B: Int,
                      training: Bool, rng: inout RandomSource) -> UnsafeMutablePointer<Float> {
        let P = params, S = state, p = config.dropoutRate
        for (l, s) in layers.enumerated() {
            let b = bufs[l], O = s.outputs, n = B * O
            let inp = l == 0 ? input : UnsafePointer(bufs[l - 1].out)
            LayerKernels.linearForward(b.pre, inp, P + s.weight, P + s.bias, B: B, I: s.inputs, O: O)
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

    /// Backward of a training-mode stack; the top gradient is in `bufs.last.dOut`. Accumulates into
    /// `dInput` (B, inputs) when given.
    func stackBackward(_ layers: [ScGenLayer], _ bufs: [ScGenLayerBuffers], input: UnsafePointer<Float>,
                       dInput: UnsafeMutablePointer<Float>?, B: Int, ws: ScGenWorkspace) {
        let P = params, D = grads
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let s = layers[l], b = bufs[l], O = s.outputs, n = B * O
            if config.dropoutRate > 0 { LayerKernels.dropoutForward(b.dOut, b.dOut, b.mask, count: n) }
            leaky_relu_backward(b.dOut, b.y, count: n, slope: config.leakySlope)
            LayerKernels.batchNormBackward(b.dPre, D + s.gamma, D + s.beta, b.dOut, b.xhat, b.invstd, P + s.gamma,
                                           ws.bnScratch, B: B, C: O)
            let inp = l == 0 ? input : UnsafePointer(bufs[l - 1].out)
            let dIn = l == 0 ? dInput : bufs[l - 1].dOut
            if l > 0 { Elementwise.zero(bufs[l - 1].dOut, count: B * s.inputs) }
            LayerKernels.linearBackward(dIn, D + s.weight, D + s.bias, b.dPre, inp, P + s.weight, B: B, I: s.inputs, O: O)
        }
    }

    /// Encoder: ws.qm, ws.logVariance, ws.qv = exp(logVariance) (B, Z) from ws.x.
    func encode(_ ws: ScGenWorkspace, B: Int, training: Bool, rng: inout RandomSource) {
        let P = params, H = config.hiddenDimensions, Z = config.latentDimensions
        let h = stackForward(arch.encoder, ws.encoder, input: ws.x, B: B, training: training, rng: &rng)
        LayerKernels.linearForward(ws.qm, h, P + arch.meanHead.weight, P + arch.meanHead.bias, B: B, I: H, O: Z)
        LayerKernels.linearForward(ws.logVariance, h, P + arch.logVarianceHead.weight, P + arch.logVarianceHead.bias, B: B, I: H, O: Z)
        for k in 0..<(B * Z) { ws.qv[k] = expf(ws.logVariance[k]) }
    }

    /// Decoder: ws.output (B, G) from ws.z.
    func decode(_ ws: ScGenWorkspace, B: Int, training: Bool, rng: inout RandomSource) {
        let P = params, H = config.hiddenDimensions, G = config.geneCount
        let h = stackForward(arch.decoder, ws.decoder, input: ws.z, B: B, training: training, rng: &rng)
        LayerKernels.linearForward(ws.output, h, P + arch.outputHead.weight, P + arch.outputHead.bias, B: B, I: H, O: G)
    }

    /// Full pass; ws.loss (B) = 0.5·Σ(x − out)² + 0.5·klWeight·KL per cell; returns the mean.
    /// `sample`: z = qm + √qv·ε with ε drawn; else z = qm.
    @discardableResult
    func forward(_ ws: ScGenWorkspace, B: Int, training: Bool, sample: Bool, rng: inout RandomSource) -> Double {
        let Z = config.latentDimensions, G = config.geneCount
        encode(ws, B: B, training: training, rng: &rng)
        if sample { rng.fillNormal(ws.eps, count: B * Z) } else { Elementwise.zero(ws.eps, count: B * Z) }
        for k in 0..<(B * Z) { ws.z[k] = ws.qm[k] + ws.qv[k].squareRoot() * ws.eps[k] }
        decode(ws, B: B, training: training, rng: &rng)
        var total = 0.0
        for i in 0..<B {
            var sse: Float = 0, kl: Float = 0
            let x = ws.x + i * G, o = ws.output + i * G
            for g in 0..<G { let d = x[g] - o[g]; sse += d * d }
            for d in 0..<Z {
                let k = i * Z + d
                kl += ws.qv[k] + ws.qm[k] * ws.qm[k] - 1 - ws.logVariance[k]
            }
            ws.loss[i] = 0.5 * sse + 0.5 * config.klWeight * 0.5 * kl
            total += Double(ws.loss[i])
        }
        return total / Double(max(B, 1))
    }

    /// Gradients of the mean loss accumulated into `grads`. Call after a training-mode `forward`.
    func backward(_ ws: ScGenWorkspace, B: Int) {
        let P = params, D = grads
        let G = config.geneCount, H = config.hiddenDimensions, Z = config.latentDimensions
        let inv = 1 / Float(B)
        for k in 0..<(B * G) { ws.dOutput[k] = (ws.output[k] - ws.x[k]) * inv }

        let top = ws.decoder[ws.decoder.count - 1]
        Elementwise.zero(top.dOut, count: B * H)
        LayerKernels.linearBackward(top.dOut, D + arch.outputHead.weight, D + arch.outputHead.bias, ws.dOutput, top.out,
                                    P + arch.outputHead.weight, B: B, I: H, O: G)
        Elementwise.zero(ws.dz, count: B * Z)
        stackBackward(arch.decoder, ws.decoder, input: ws.z, dInput: ws.dz, B: B, ws: ws)

        // z = qm + √exp(lv)·ε and 0.5·klWeight·KL(N(qm, qv) ‖ N(0, 1)), both averaged over cells.
        let c = 0.5 * config.klWeight * inv
        for k in 0..<(B * Z) {
            let sd = ws.qv[k].squareRoot()
            ws.dqm[k] = ws.dz[k] + c * ws.qm[k]
            ws.dLogVariance[k] = ws.dz[k] * ws.eps[k] * 0.5 * sd + c * 0.5 * (ws.qv[k] - 1)
        }
        let encoderTop = ws.encoder[ws.encoder.count - 1]
        Elementwise.zero(encoderTop.dOut, count: B * H)
        LayerKernels.linearBackward(encoderTop.dOut, D + arch.meanHead.weight, D + arch.meanHead.bias, ws.dqm, encoderTop.out,
                                    P + arch.meanHead.weight, B: B, I: H, O: Z)
        LayerKernels.linearBackward(encoderTop.dOut, D + arch.logVarianceHead.weight, D + arch.logVarianceHead.bias,
                                    ws.dLogVariance, encoderTop.out, P + arch.logVarianceHead.weight, B: B, I: H, O: Z)
        stackBackward(arch.encoder, ws.encoder, input: ws.x, dInput: nil, B: B, ws: ws)
    }
}
