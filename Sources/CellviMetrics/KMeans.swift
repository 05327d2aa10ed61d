import CellviKernels
import Foundation

/// The outcome of `kMeans`.
public struct KMeansResult: Sendable {
    public var labels: [Int32]      // (N)
    public var centroids: Matrix    // (K, D)
    public var inertia: Double
}

/// Lloyd's k-means with greedy k-means++ seeding (2 + ⌊ln K⌋ trials per centre), mirroring scib-metrics'
/// `utils.KMeans` (data centred first; an emptied cluster's centre falls back to the mean).
/// Runs until assignments stop changing or `maxIterations`; keeps the best of `initializations` by inertia.
public func kMeans(embedding: Matrix, clusterCount: Int, seed: UInt64 = 0,
                   initializations: Int = 1, maxIterations: Int = 300) -> KMeansResult {
    let n = embedding.rows, d = embedding.columns
    precondition(clusterCount >= 1 && clusterCount <= n, "kMeans: \(clusterCount) clusters for \(n) cells")
    var mean = [Float](repeating: 0, count: d)
    for r in 0..<n { for c in 0..<d { mean[c] += embedding[r, c] } }
    for c in 0..<d { mean[c] /= Float(n) }
    var x = embedding
    for r in 0..<n { for c in 0..<d { x[r, c] -= mean[c] } }
    var rng = SeededGenerator(seed: seed)
    var best: KMeansResult?
    for _ in 0..<max(1, initializations) {
        var centroids = kMeansPlusPlus(x, clusterCount: clusterCount, rng: &rng)
        var labels = [Int32](repeating: -1, count: n)
        var inertia = 0.0
        for _ in 0..<maxIterations {
            let (newLabels, newInertia) = assignNearest(x, centroids)
            inertia = newInertia
            if newLabels == labels { break }
            labels = newLabels
            centroids = Matrix(zeros: clusterCount, d)
            var counts = [Float](repeating: 0, count: clusterCount)
            for r in 0..<n {
                let l = Int(labels[r]); counts[l] += 1
                for c in 0..<d { centroids[l, c] += x[r, c] }
            }
            for l in 0..<clusterCount { for c in 0..<d { centroids[l, c] /= max(1, counts[l]) } }
        }
        (labels, inertia) = assignNearest(x, centroids)
        if best == nil || inertia < best!.inertia { best = KMeansResult(labels: labels, centroids: centroids, inertia: inertia) }
    }
    var result = best!
    for l in 0..<clusterCount { for c in 0..<d { result.centroids[l, c] += mean[c] } }
    return result
}

/// Greedy k-means++: each new centre is the best of a few candidates drawn ∝ squared distance.
func kMeansPlusPlus(_ x: Matrix, clusterCount: Int, rng: inout SeededGenerator) -> Matrix {
    let n = x.rows, d = x.columns
    let trials = 2 + Int(log(Double(clusterCount)))
    var chosen = [Int.random(in: 0..<n, using: &rng)]
    var minDist = (0..<n).map { squaredDistance(x, $0, x, chosen[0]) }
    for _ in 1..<clusterCount {
        let total = minDist.reduce(0, +)
        var bestPotential = Double.infinity, bestCandidate = 0, bestDist = minDist
        for _ in 0..<trials {
            var target = rng.nextUnit() * total, candidate = n - 1
            for i in 0..<n { target -= minDist[i]; if target < 0 { candidate = i; break } }
            var dist = minDist, potential = 0.0
            for i in 0..<n { dist[i] = min(dist[i], squaredDistance(x, i, x, candidate)); potential += dist[i] }
            if potential < bestPotential { bestPotential = potential; bestCandidate = candidate; bestDist = dist }
        }
        chosen.append(bestCandidate); minDist = bestDist
    }
    _ = d
    return x.selectingRows(chosen)
}

@inline(__always)
func squaredDistance(_ a: Matrix, _ i: Int, _ b: Matrix, _ j: Int) -> Double {
    var s: Float = 0
    for c in 0..<a.columns { let t = a[i, c] - b[j, c]; s += t * t }
    return Double(s)
}

/// Nearest centre of every row and the total squared distance (inertia).
func assignNearest(_ x: Matrix, _ centroids: Matrix) -> (labels: [Int32], inertia: Double) {
    let n = x.rows, k = centroids.rows, d = x.columns
    var tile = [Float](repeating: 0, count: n * k)  // (N, K)
    let xNorms = x.values.withUnsafeBufferPointer { PairwiseDistances.rowSquaredNorms($0.baseAddress!, rows: n, columns: d) }
    let cNorms = centroids.values.withUnsafeBufferPointer { PairwiseDistances.rowSquaredNorms($0.baseAddress!, rows: k, columns: d) }
    x.values.withUnsafeBufferPointer { xb in centroids.values.withUnsafeBufferPointer { cb in
        tile.withUnsafeMutableBufferPointer { tb in
            PairwiseDistances.squaredEuclideanDistances(tb.baseAddress!, queries: xb.baseAddress!, queryNorms: xNorms, queryCount: n,
                                      points: cb.baseAddress!, pointNorms: cNorms, pointCount: k, dimensions: d)
        }
    } }
    var labels = [Int32](repeating: 0, count: n), inertia = 0.0
    for i in 0..<n {
        var best = 0
        for l in 1..<max(1, k) where tile[i * k + l] < tile[i * k + best] { best = l }
        labels[i] = Int32(best); inertia += Double(tile[i * k + best])
    }
    return (labels, inertia)
}

/// scib-metrics' `nmi_ari_cluster_labels_kmeans`: k-means with k = number of labels, then NMI and ARI.
public func nmiARIKMeans(embedding: Matrix, labels: [String], seed: UInt64 = 0, initializations: Int = 1) -> (nmi: Double, ari: Double) {
    let codes = CategoricalCodes(labels)
    let clusters = kMeans(embedding: embedding, clusterCount: codes.categoryCount, seed: seed, initializations: initializations).labels
    return (normalizedMutualInformation(codes.codes, clusters), adjustedRandIndex(codes.codes, clusters))
}
