/// Adam update over flat slabs (PyTorch semantics: coupled L2 weight decay, bias correction),
/// one tight loop the compiler vectorises. Threads take fixed contiguous ranges; every element
/// is computed the same way whatever the thread count.
public enum AdamKernel {
    /// p, m, v: (n) updated in place; g: (n). stepSize = lr / (1 − β1^t), bc2Sqrt = √(1 − β2^t).
    public static func step(_ p: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                            _ v: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, count n: Int,
                            stepSize: Float, bc2Sqrt: Float, epsilon: Float, weightDecay wd: Float,
                            beta1: Float, beta2: Float, threads: Int) {
        Parallel.forEachChunk(n, threads: threads, minimumPerChunk: 65536) { r in
            update(p + r.lowerBound, m + r.lowerBound, v + r.lowerBound, g + r.lowerBound, count: r.count,
                   stepSize: stepSize, bc2Sqrt: bc2Sqrt, epsilon: epsilon, wd: wd, beta1: beta1, beta2: beta2)
        }
    }

    @inline(__always)
    static func update(_ p: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                       _ v: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, count n: Int,
                       stepSize: Float, bc2Sqrt: Float, epsilon: Float, wd: Float, beta1: Float, beta2: Float) {
        let a1 = 1 - beta1, a2 = 1 - beta2
        for i in 0..<n {
            let grad = g[i] + wd * p[i]
            let mi = beta1 * m[i] + a1 * grad
            let vi = beta2 * v[i] + a2 * grad * grad
            m[i] = mi; v[i] = vi
            // vi ≥ +0, so abs changes nothing; it lets LLVM drop sqrtf's errno path and vectorise.
            p[i] -= stepSize * mi / (abs(vi).squareRoot() / bc2Sqrt + epsilon)
        }
    }

    /// Plain reference twin (one element at a time, as `AdamState` did before).
    public static func stepReference(_ p: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                                     _ v: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, count n: Int,
                                     stepSize: Float, bc2Sqrt: Float, epsilon: Float, weightDecay wd: Float,
                                     beta1: Float, beta2: Float) {
        for i in 0..<n {
            let grad = g[i] + wd * p[i]
            m[i] = beta1 * m[i] + (1 - beta1) * grad
            v[i] = beta2 * v[i] + (1 - beta2) * grad * grad
            p[i] -= stepSize * m[i] / (v[i].squareRoot() / bc2Sqrt + epsilon)
        }
    }
}
