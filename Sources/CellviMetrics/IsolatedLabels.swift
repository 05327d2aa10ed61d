import CellviKernels

/// Labels present in no more batches than the least-spread label — scib-metrics' `_get_isolated_labels`
/// with `iso_threshold=None`. Sorted ascending.
public func isolatedLabelNames(labels: [String], batches: [String]) -> [String] {
    var batchSets = [String: Set<String>]()
    for (l, b) in zip(labels, batches) { batchSets[l, default: []].insert(b) }
    guard let threshold = batchSets.values.map(\.count).min() else { return [] }
    return batchSets.filter { $0.value.count <= threshold }.keys.sorted()
}

/// scib-metrics' `isolated_labels` (silhouette flavour, as Benchmarker uses): the mean rescaled label
/// silhouette (s + 1) / 2 of the cells of each isolated label, averaged over isolated labels.
/// `labelSilhouettes` are the un-rescaled `silhouette_samples` over cell-type labels.
public func isolatedLabelsScore(labelSilhouettes: [Float], labels: [String], batches: [String]) -> Double {
    let isolated = isolatedLabelNames(labels: labels, batches: batches)
    guard !isolated.isEmpty else { return .nan }
    var scores = [Double]()
    for name in isolated {
        var sum = 0.0, count = 0
        for (i, l) in labels.enumerated() where l == name { sum += (Double(labelSilhouettes[i]) + 1) / 2; count += 1 }
        scores.append(sum / Double(count))
    }
    return scores.reduce(0, +) / Double(scores.count)
}

/// `isolatedLabelsScore` computing the label silhouettes itself.
public func isolatedLabels(embedding: Matrix, labels: [String], batches: [String]) -> Double {
    let codes = CategoricalCodes(labels)
    let widths = silhouetteSamples(embedding: embedding, codes: codes.codes, categoryCount: codes.categoryCount)
    return isolatedLabelsScore(labelSilhouettes: widths, labels: labels, batches: batches)
}
