import CellviKernels
import Foundation

/// scib-metrics' `diffusion_nn` embedding (scanpy's diffusion map): density-normalise the connectivities,
/// K = Q⁻¹ X Q⁻¹, symmetric transitions T = Z⁻¹ K Z⁻¹ with z = sqrt(rowsum K), the `componentCount`
/// eigenpairs of largest |λ| (sorted descending), and each eigenvector scaled by λ / (1 − λ)
/// (by 1 when λ rounds to 1 in float32, as scib-metrics does).  // returns (N, componentCount)
func diffusionEmbedding(connectivities x: CSRMatrix, componentCount: Int, seed: UInt64 = 0) -> Matrix {
    let n = x.rowCount
    var q = [Double](repeating: 0, count: n)  // column sums = degrees
    for e in 0..<x.nonZeroCount { q[Int(x.columnIndices[e])] += Double(x.values[e]) }
    var kernel = [Double](repeating: 0, count: x.nonZeroCount)  // K in x's pattern
    var zSquared = [Double](repeating: 0, count: n)
    for r in 0..<n {
        for e in x.rowOffsets[r]..<x.rowOffsets[r + 1] {
            let c = Int(x.columnIndices[e])
            kernel[e] = Double(x.values[e]) / (q[r] * q[c])
            zSquared[c] += kernel[e]
        }
    }
    let z = zSquared.map { $0.squareRoot() }
    var transitions = kernel  // T in x's pattern
    for r in 0..<n {
        for e in x.rowOffsets[r]..<x.rowOffsets[r + 1] { transitions[e] /= z[r] * z[Int(x.columnIndices[e])] }
    }
    let k = min(componentCount, n - 1)
    let pairs = symmetricEigen(dimension: n, count: k, which: .largestMagnitude, seed: seed) { input, output in
        for r in 0..<n {
            var s = 0.0
            for e in x.rowOffsets[r]..<x.rowOffsets[r + 1] { s += transitions[e] * input[Int(x.columnIndices[e])] }
            output[r] = s
        }
    }
    let scales: [Float] = pairs.values.map { value in
        let e = Float(value) + 1e-8
        return e == 1 ? e : e / (1 - e)
    }
    var embedding = Matrix(zeros: n, k)
    for r in 0..<n { for c in 0..<k { embedding[r, c] = Float(pairs.vectors[r * k + c]) * scales[c] } }
    return embedding
}
