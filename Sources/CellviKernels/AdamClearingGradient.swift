/// Adam's step fused with clearing the gradient slab for the next step, so a training step makes
/// one pass over the four slabs instead of a step plus a separate zeroing pass.
extension AdamKernel {
    /// Elements per block: the block's gradients are still in L1 when they are cleared.
    static let clearingBlock = 4096

    /// `step` (same arguments, bit-identical p, m, v), then g = 0. g: (n), cleared in place.
    public static func stepClearingGradient(_ p: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                                            _ v: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, count n: Int,
                                            stepSize: Float, bc2Sqrt: Float, epsilon: Float, weightDecay wd: Float,
                                            beta1: Float, beta2: Float, threads: Int) {
        Parallel.forEachChunk(n, threads: threads, minimumPerChunk: 65536) { r in
            var lo = r.lowerBound
            while lo < r.upperBound {
                let count = min(clearingBlock, r.upperBound - lo)
                update(p + lo, m + lo, v + lo, g + lo, count: count, stepSize: stepSize, bc2Sqrt: bc2Sqrt, epsilon: epsilon,
                       wd: wd, beta1: beta1, beta2: beta2)
                (g + lo).update(repeating: 0, count: count)
                lo += count
            }
        }
    }
}
