import CellviKernels

/// A kNN graph as `scanpy.pp.neighbors` stores it.
public struct NeighborGraph: Sendable, Equatable {
    /// `obsp["distances"]`: the k − 1 nearest neighbours of each cell, self excluded, Euclidean.  // (N, N)
    public var distances: CSRMatrix
    /// `obsp["connectivities"]`: UMAP fuzzy-union weights, symmetric.  // (N, N)
    public var connectivities: CSRMatrix
}

/// `scanpy.pp.neighbors(adata, n_neighbors=neighborCount, use_rep=...)` on an embedding:
/// kNN with self counted among the `neighborCount`, distances without self, UMAP connectivities.
public func neighborGraph(
    embedding: Matrix, neighborCount: Int = 15, seed: UInt64 = 0, search: NeighborSearch = .automatic
) -> NeighborGraph {
    let knn = nearestNeighbors(embedding: embedding, k: neighborCount, seed: seed, search: search)
    return neighborGraph(knn: knn)
}

/// The scanpy-style graph of an existing kNN result (self first in each row).
public func neighborGraph(knn: KNearestNeighbors) -> NeighborGraph {
    NeighborGraph(distances: distanceMatrix(knn, includingSelf: false), connectivities: fuzzyConnectivities(knn))
}

/// The kNN distances as a sparse matrix; with `includingSelf` the self entries are kept as explicit zeros
/// (scib-metrics' `knn_graph_distances`), otherwise dropped (scanpy's `obsp["distances"]`).
public func distanceMatrix(_ knn: KNearestNeighbors, includingSelf: Bool) -> CSRMatrix {
    let n = knn.cellCount, k = knn.neighborCount
    var rows = [[(Int32, Float)]](repeating: [], count: n)
    for i in 0..<n {
        for j in 0..<k {
            let idx = knn.indices[i * k + j]
            if idx < 0 || (!includingSelf && Int(idx) == i) { continue }
            rows[i].append((idx, knn.distances[i * k + j]))
        }
    }
    return csrFromRows(rows, columnCount: n)
}
