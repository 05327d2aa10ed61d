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

    /// `stepClearingGradient` over the slab, except that the tensors in `overwritten` (disjoint, in
    /// slab order; gradients the next backward pass writes instead of accumulating into) are not cleared, and
    /// each of them is updated part by part on the thread (chunk) that its kernels give that part.
    /// The rest of the slab is cut into the same fixed chunks as `step`, unless it is smaller than one
    /// chunk: then (the biases, BatchNorm and latent layers of scVI, which the caller's serial code
    /// reads and writes the gradients of) chunk 0, the calling thread, updates all of it. One parallel
    /// region; p, m and v are bit-identical to `step`.
    public static func stepClearingGradient(_ p: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                                            _ v: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, count n: Int,
                                            overwritten: [SlabPartition], stepSize: Float, bc2Sqrt: Float, epsilon: Float,
                                            weightDecay wd: Float, beta1: Float, beta2: Float, threads: Int) {
        let chunks = Parallel.chunkCount(n, threads: threads, minimumPerChunk: 65536)
        let restOnCaller = n - overwritten.reduce(0) { $0 + $1.range.count } < 65536
        for (a, b) in zip(overwritten, overwritten.dropFirst()) {
            precondition(a.range.upperBound <= b.range.lowerBound, "stepClearingGradient: overwritten tensors must be in slab order")
        }
        func run(_ r: Range<Int>, clearing: Bool) {
            var b = r.lowerBound
            while b < r.upperBound {
                let count = min(clearingBlock, r.upperBound - b)
                update(p + b, m + b, v + b, g + b, count: count, stepSize: stepSize, bc2Sqrt: bc2Sqrt,
                       epsilon: epsilon, wd: wd, beta1: beta1, beta2: beta2)
                if clearing { (g + b).update(repeating: 0, count: count) }
                b += count
            }
        }
        Parallel.forEachChunk(chunks, threads: chunks) { chunkRange in
            for chunk in chunkRange {
                // This chunk of the slab, without the overwritten tensors.
                let r = !restOnCaller ? Parallel.chunkRange(chunk, of: chunks, count: n) : chunk == 0 ? 0..<n : 0..<0
                var lo = r.lowerBound
                for k in overwritten.lazy.map(\.range) where k.upperBound > lo && k.lowerBound < r.upperBound {
                    run(lo..<max(lo, k.lowerBound), clearing: true)
                    lo = max(lo, k.upperBound)
                }
                run(lo..<max(lo, r.upperBound), clearing: true)
                // This thread's parts of the overwritten tensors.
                for tensor in overwritten {
                    let parts = tensor.parts(threads: chunks)
                    for part in 0..<parts where part % chunks == chunk {
                        tensor.forEachRange(ofPart: part, parts: parts) { run($0, clearing: false) }
                    }
                }
            }
        }
    }
}
