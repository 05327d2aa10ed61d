import CellviKernels

/// Public entry points to the layer kernels in Layers.swift, for other models built over the same
/// kernels (scGen's Gaussian VAE in CellviPerturbation). Same conventions: outputs first, then
/// inputs, weights, sizes; weights [out, in]; backward functions accumulate (+=) into gradients.
public enum LayerKernels {
    /// out(B, O) = inp(B, I) · Wᵀ + bias. weight: (O, I); bias: (O).
    public static func linearForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                                     _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, B: Int, I: Int, O: Int) {
        linear_forward(out, inp, weight, bias, nil, B: B, I: I, K: 0, O: O)
    }

    /// Backward of `linearForward`: dweight (O, I), dbias (O) and, when given, dinp (B, I) accumulate.
    public static func linearBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>,
                                      _ dbias: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                                      _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, B: Int, I: Int, O: Int) {
        linear_backward(dinp, dweight, dbias, dout, inp, weight, nil, B: B, I: I, K: 0, O: O)
    }

    /// Training-mode BatchNorm1d over (B, C): batch statistics, running statistics updated with
    /// PyTorch's `momentum` convention. xhat (B, C), mean (C), invstd (C) are kept for backward.
    public static func batchNormForwardTraining(
        _ out: UnsafeMutablePointer<Float>, _ xhat: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Float>,
        _ invstd: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ gamma: UnsafePointer<Float>,
        _ beta: UnsafePointer<Float>, _ runningMean: UnsafeMutablePointer<Float>, _ runningVar: UnsafeMutablePointer<Float>,
        B: Int, C: Int, momentum: Float, eps: Float) {
        batchnorm_forward_train(out, xhat, mean, invstd, inp, gamma, beta, runningMean, runningVar,
                                B: B, C: C, momentum: momentum, eps: eps)
    }

    /// Eval-mode BatchNorm1d with running statistics. out, inp: (B, C).
    public static func batchNormForwardEvaluation(
        _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ gamma: UnsafePointer<Float>,
        _ beta: UnsafePointer<Float>, _ runningMean: UnsafePointer<Float>, _ runningVar: UnsafePointer<Float>,
        B: Int, C: Int, eps: Float) {
        batchnorm_forward_eval(out, inp, gamma, beta, runningMean, runningVar, B: B, C: C, eps: eps)
    }

    /// Backward of training-mode BatchNorm: dinp (B, C) overwritten; dgamma, dbeta accumulate. scratch: (2C).
    public static func batchNormBackward(
        _ dinp: UnsafeMutablePointer<Float>, _ dgamma: UnsafeMutablePointer<Float>, _ dbeta: UnsafeMutablePointer<Float>,
        _ dout: UnsafePointer<Float>, _ xhat: UnsafePointer<Float>, _ invstd: UnsafePointer<Float>,
        _ gamma: UnsafePointer<Float>, _ scratch: UnsafeMutablePointer<Float>, B: Int, C: Int) {
        batchnorm_backward(dinp, dgamma, dbeta, dout, xhat, invstd, gamma, scratch, B: B, C: C)
    }

    /// Inverted-dropout mask: 0 with probability p, else 1/(1−p).
    public static func dropoutMask(_ mask: UnsafeMutablePointer<Float>, count n: Int, p: Float, rng: inout RandomSource) {
        dropout_mask(mask, count: n, p: p, rng: &rng)
    }

    /// out = inp · mask; also the backward (dinp = dout · mask), in place allowed.
    public static func dropoutForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                                      _ mask: UnsafePointer<Float>, count n: Int) {
        dropout_forward(out, inp, mask, count: n)
    }
}
