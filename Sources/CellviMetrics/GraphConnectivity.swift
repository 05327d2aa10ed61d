import CellviKernels

/// scib-metrics' `graph_connectivity` on the 15-neighbour graph: for each label, the share of its cells in the
/// largest strongly connected component of the directed kNN graph restricted to that label; mean over labels.
public func graphConnectivity(knn: KNearestNeighbors, labels: [String]) -> Double {
    let graph = distanceMatrix(knn, includingSelf: true)
    let codes = CategoricalCodes(labels)
    var members = [[Int]](repeating: [], count: codes.categoryCount)
    for (i, c) in codes.codes.enumerated() { members[Int(c)].append(i) }
    var scores = [Double]()
    for cells in members {
        let (count, comps) = stronglyConnectedComponents(inducedSubgraph(graph, nodes: cells))
        let sizes = codeCounts(comps, categoryCount: count)
        scores.append(Double(sizes.max() ?? 0) / Double(cells.count))
    }
    return scores.reduce(0, +) / Double(scores.count)
}
