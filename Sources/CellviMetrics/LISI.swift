import Dispatch
import Foundation

/// Per-cell LISI (inverse Simpson index of label mixing) on a kNN result — scib-metrics' `lisi_knn`.
/// Gaussian kernel on raw distances with beta bisected to reach `perplexity` (default k / 3, floored);
/// self entries are masked out. A cell whose kernel vanishes gets −1, as scib-metrics does.  // returns (N)
public func lisiPerCell(knn: KNearestNeighbors, codes: [Int32], categoryCount: Int, perplexity: Double? = nil) -> [Double] {
    let n = knn.cellCount, k = knn.neighborCount
    let perplexity = perplexity ?? floor(Double(k) / 3)
    let logPerplexity = log(perplexity)
    var result = [Double](repeating: 0, count: n)
    let chunkCount = min(n, 16)
    result.withUnsafeMutableBufferPointer { rb in
        let out = rb.baseAddress!
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            var p = [Double](repeating: 0, count: k)
            var labelMass = [Double](repeating: 0, count: categoryCount)
            for i in (n * chunk / chunkCount)..<(n * (chunk + 1) / chunkCount) {
                out[i] = simpsonInverse(cell: i, knn: knn, codes: codes, categoryCount: categoryCount,
                                        logPerplexity: logPerplexity, p: &p, labelMass: &labelMass)
            }
        }
    }
    return result
}

/// 1 / Simpson index of one cell's kernel-weighted neighbour labels (−1 when the kernel vanishes).
private func simpsonInverse(cell i: Int, knn: KNearestNeighbors, codes: [Int32], categoryCount: Int,
                            logPerplexity: Double, p: inout [Double], labelMass: inout [Double]) -> Double {
    let k = knn.neighborCount, tolerance = 1e-5
    let dist = knn.distances[(i * k)..<((i + 1) * k)].map { Double($0) }
    let mask = (0..<k).map { Int(knn.indices[i * k + $0]) != i }
    func entropy(_ beta: Double) -> Double {
        var sumP = 0.0, weighted = 0.0
        for j in 0..<k {
            p[j] = mask[j] ? exp(-dist[j] * beta) : 0
            sumP += p[j]; weighted += dist[j] * p[j]
        }
        if sumP == 0 { for j in 0..<k { p[j] = 0 }; return 0 }
        for j in 0..<k { p[j] /= sumP }
        return log(sumP) + beta * weighted / sumP
    }
    var beta = 1.0, betaMin = -Double.infinity, betaMax = Double.infinity
    var h = entropy(beta)
    var hDiff = h - logPerplexity
    var tries = 0
    while abs(hDiff) >= tolerance && tries < 50 {
        if hDiff > 0 {
            betaMin = beta
            beta = betaMax == .infinity ? beta * 2 : (beta + betaMax) / 2
        } else {
            betaMax = beta
            beta = betaMin == -.infinity ? beta / 2 : (beta + betaMin) / 2
        }
        h = entropy(beta); hDiff = h - logPerplexity; tries += 1
    }
    if h == 0 { return -1 }
    for c in 0..<categoryCount { labelMass[c] = 0 }
    for j in 0..<k { labelMass[Int(codes[Int(knn.indices[i * k + j])])] += p[j] }
    var simpson = 0.0
    for c in 0..<categoryCount { simpson += labelMass[c] * labelMass[c] }
    return 1 / simpson
}

/// scib-metrics' `ilisi_knn` (scaled): (median iLISI − 1) / (batches − 1).
public func integrationLISI(knn: KNearestNeighbors, batches: [String], perplexity: Double? = nil) -> Double {
    let codes = CategoricalCodes(batches)
    let lisi = lisiPerCell(knn: knn, codes: codes.codes, categoryCount: codes.categoryCount, perplexity: perplexity)
    return (nanMedian(lisi) - 1) / Double(codes.categoryCount - 1)
}

/// scib-metrics' `clisi_knn` (scaled): (labels − median cLISI) / (labels − 1).
public func cellTypeLISI(knn: KNearestNeighbors, labels: [String], perplexity: Double? = nil) -> Double {
    let codes = CategoricalCodes(labels)
    let lisi = lisiPerCell(knn: knn, codes: codes.codes, categoryCount: codes.categoryCount, perplexity: perplexity)
    let c = Double(codes.categoryCount)
    return (c - nanMedian(lisi)) / (c - 1)
}

/// Median ignoring NaN, averaging the two middle values (`np.nanmedian`).
func nanMedian(_ values: [Double]) -> Double {
    let sorted = values.filter { !$0.isNaN }.sorted()
    guard !sorted.isEmpty else { return .nan }
    let m = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2
}
