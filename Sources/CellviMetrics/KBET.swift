import CellviKernels
import Dispatch
import Foundation

/// kBET acceptance rate on a kNN result (self included among the neighbours) — scib-metrics' `kbet`:
/// per cell a χ² test of neighbour batch counts against the global batch frequencies, accepted at p ≥ alpha.
public func kBETAcceptanceRate(knn: KNearestNeighbors, batches: [Int32], alpha: Double = 0.05) -> Double {
    let (codes, batchCount) = compactCodes(batches)
    let k = knn.neighborCount
    let frequencies = codeCounts(codes, categoryCount: batchCount).map { Double($0) / Double(codes.count) }
    let expected = frequencies.map { $0 * Double(k) }
    let dof = Double(batchCount - 1)
    var accepted = 0
    var observed = [Double](repeating: 0, count: batchCount)
    for i in 0..<knn.cellCount {
        for b in 0..<batchCount { observed[b] = 0 }
        for j in 0..<k { observed[Int(codes[Int(knn.indices[i * k + j])])] += 1 }
        var statistic = 0.0
        for b in 0..<batchCount { let t = observed[b] - expected[b]; statistic += t * t / expected[b] }
        let p = Float(regularizedUpperGamma(dof / 2, statistic / 2))
        if Double(p) >= alpha { accepted += 1 }
    }
    return Double(accepted) / Double(knn.cellCount)
}

/// scib-metrics' `kbet_per_label` on the 50-neighbour connectivities: per label, a diffusion-map embedding of the
/// label's connectivity subgraph (largest components if it is split), k0 = clamp(mean batch size / 4, 10, 70)
/// neighbours + self, kBET acceptance; labels with one batch or < 10 cells are skipped; mean over labels.
/// Mirrors scib-metrics' quirk that `diffusion_n_comps` shrinks for all later labels once a small label lowers it.
public func kBETPerLabel(connectivities: CSRMatrix, batches: [String], labels: [String],
                         alpha: Double = 0.05, diffusionComponents: Int = 100) -> Double {
    let batchCodes = CategoricalCodes(batches).codes
    let labelCodes = CategoricalCodes(labels)
    var members = [[Int]](repeating: [], count: labelCodes.categoryCount)
    for (i, c) in labelCodes.codes.enumerated() { members[Int(c)].append(i) }
    // Plan in label order (the component count carries over), then run the diffusion maps concurrently.
    var components = diffusionComponents
    var scores = [Double?](repeating: nil, count: members.count)  // nil: skipped (NaN)
    var tasks = [(label: Int, graph: CSRMatrix, batches: [Int32], k0: Int, components: Int)]()
    for (label, cells) in members.enumerated() {
        let subBatches = cells.map { batchCodes[$0] }
        let (subCodes, subBatchCount) = compactCodes(subBatches)
        if cells.count < 10 || subBatchCount == 1 { continue }
        let batchSizes = codeCounts(subCodes, categoryCount: subBatchCount)
        let quarterMean = Int(floor(Double(batchSizes.reduce(0, +)) / Double(subBatchCount) / 4))
        let k0 = min(70, max(10, quarterMean))
        let graph = inducedSubgraph(connectivities, nodes: cells)
        let (componentCount, componentLabels) = stronglyConnectedComponents(graph)
        var keep = Array(0..<cells.count)
        if componentCount > 1 {
            let sizes = codeCounts(componentLabels, categoryCount: componentCount)
            keep = (0..<cells.count).filter { sizes[Int(componentLabels[$0])] >= 3 * k0 }
            if Double(keep.count) / Double(cells.count) < 0.75 { scores[label] = 0; continue }
        }
        let sub = componentCount > 1 ? inducedSubgraph(graph, nodes: keep) : graph
        components = min(components, sub.rowCount - 1)
        guard k0 + 1 <= sub.rowCount, components >= 1 else { scores[label] = 0; continue }
        tasks.append((label, sub, keep.map { subBatches[$0] }, k0, components))
    }
    // Diffusion maps one label per core; then each label's neighbour search splits its rows across all cores
    // (a label per core would leave one core idle for the last of an odd number of labels).
    var embeddings = [Matrix?](repeating: nil, count: tasks.count)
    embeddings.withUnsafeMutableBufferPointer { eb in
        let out = eb.baseAddress!
        PairwiseDistances.withSingleThreadedBLAS {
            DispatchQueue.concurrentPerform(iterations: tasks.count) { t in
                out[t] = diffusionEmbedding(connectivities: tasks[t].graph, componentCount: tasks[t].components)
            }
        }
    }
    let results = tasks.indices.map { t in
        let knn = exactNearestNeighbors(embedding: embeddings[t]!, k: tasks[t].k0 + 1)
        return kBETAcceptanceRate(knn: knn, batches: tasks[t].batches, alpha: alpha)
    }
    for (t, task) in tasks.enumerated() { scores[task.label] = results[t] }
    let kept = scores.compactMap { $0 }
    return kept.isEmpty ? .nan : kept.reduce(0, +) / Double(kept.count)
}

/// Q(a, x) = Γ(a, x) / Γ(a), the χ² survival function's core: series for x < a + 1, continued fraction otherwise.
func regularizedUpperGamma(_ a: Double, _ x: Double) -> Double {
    if x <= 0 { return 1 }
    let logPrefix = a * log(x) - x - lgamma(a)
    if x < a + 1 {
        var term = 1 / a, sum = term, ap = a
        for _ in 0..<1000 {
            ap += 1; term *= x / ap; sum += term
            if abs(term) < abs(sum) * 1e-15 { break }
        }
        return max(0, 1 - sum * exp(logPrefix))
    }
    let tiny = 1e-300
    var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
    for i in 1..<1000 {
        let an = -Double(i) * (Double(i) - a)
        b += 2
        d = an * d + b; if abs(d) < tiny { d = tiny }
        c = b + an / c; if abs(c) < tiny { c = tiny }
        d = 1 / d
        let delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15 { break }
    }
    return exp(logPrefix) * h
}
