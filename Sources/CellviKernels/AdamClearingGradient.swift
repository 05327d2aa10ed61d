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

    /// `stepClearingGradient` over the slab, except that the gradients in `keeping` (sorted, disjoint
    /// ranges the next backward pass overwrites instead of accumulating into) are not cleared.
    /// One parallel region, the same fixed thread chunks as `step`.
    public static func stepClearingGradient(_ p: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                                            _ v: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, count n: Int,
                                            keeping: [Range<Int>], stepSize: Float, bc2Sqrt: Float, epsilon: Float,
                                            weightDecay wd: Float, beta1: Float, beta2: Float, threads: Int) {
        Parallel.forEachChunk(n, threads: threads, minimumPerChunk: 65536) { r in
            var lo = r.lowerBound
            while lo < r.upperBound {
                // The piece from lo up to the next boundary of a kept range (or the chunk's end).
                var hi = r.upperBound, kept = false
                for k in keeping {
                    if k.contains(lo) { hi = min(hi, k.upperBound); kept = true; break }
                    if k.lowerBound > lo { hi = min(hi, k.lowerBound); break }
                }
                var b = lo
                while b < hi {
                    let count = min(clearingBlock, hi - b)
                    update(p + b, m + b, v + b, g + b, count: count, stepSize: stepSize, bc2Sqrt: bc2Sqrt,
                           epsilon: epsilon, wd: wd, beta1: beta1, beta2: beta2)
                    if !kept { (g + b).update(repeating: 0, count: count) }
                    b += count
                }
                lo = hi
            }
        }
    }
}
