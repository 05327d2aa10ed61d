import CellviKernels
@testable import CellviMetrics
import XCTest

final class ClusteringTests: XCTestCase {
    /// Four planted communities of 50 nodes (p_in 0.3, p_out 0.01) are recovered exactly.
    func testLeidenRecoversPlantedCommunities() {
        let (graph, truth) = plantedPartition(communities: 4, size: 50, pIn: 0.3, pOut: 0.01, seed: 5)
        let clusters = leiden(graph: graph, resolution: 1, seed: 0)
        XCTAssertEqual(adjustedRandIndex(clusters, truth), 1, accuracy: 1e-12)
        XCTAssertEqual(Set(clusters).count, 4)
    }

    func testLeidenIsDeterministicUnderSeed() {
        let (graph, _) = plantedPartition(communities: 6, size: 40, pIn: 0.15, pOut: 0.03, seed: 8)
        XCTAssertEqual(leiden(graph: graph, seed: 11), leiden(graph: graph, seed: 11))
        XCTAssertEqual(leiden(graph: graph, iterations: -1, seed: 3), leiden(graph: graph, iterations: -1, seed: 3))
    }

    /// Higher resolution gives at least as many clusters.
    func testLeidenResolution() {
        let (graph, _) = plantedPartition(communities: 4, size: 50, pIn: 0.3, pOut: 0.01, seed: 5)
        XCTAssertGreaterThanOrEqual(Set(leiden(graph: graph, resolution: 5, seed: 0)).count, 4)
        XCTAssertLessThanOrEqual(Set(leiden(graph: graph, resolution: 0.05, seed: 0)).count, 4)
    }

    /// Agreement with `sc.tl.leiden` on the fixture's scanpy graph (same embedding, our kNN + connectivities).
    func testLeidenAgreesWithScanpy() {
        let (fixture, embedding, _) = referenceFixture
        let graph = neighborGraph(embedding: embedding, neighborCount: 15)
        let ours = leiden(graph: graph.connectivities, resolution: 1, seed: 0)
        let ariIgraph = adjustedRandIndex(ours, fixture.leidenIgraph)
        let ariLeidenalg = adjustedRandIndex(ours, fixture.leidenLeidenalg)
        let scanpyFlavours = adjustedRandIndex(fixture.leidenIgraph, fixture.leidenLeidenalg)
        print("Leiden ARI vs scanpy: igraph flavour \(ariIgraph), leidenalg flavour \(ariLeidenalg) " +
              "(the two scanpy flavours agree at \(scanpyFlavours)); clusters \(Set(ours).count) vs \(Set(fixture.leidenIgraph).count)")
        XCTAssertGreaterThanOrEqual(ariIgraph, 0.9)
    }

    func testKMeansSeparatesBlobsAndIsDeterministic() {
        let x = syntheticEmbedding(cells: 600, dimensions: 4, clusters: 5, seed: 2)
        let truth = (0..<600).map { Int32($0 % 5) }
        let a = kMeans(embedding: x, clusterCount: 5, seed: 4, initializations: 3)
        XCTAssertEqual(adjustedRandIndex(a.labels, truth), 1, accuracy: 1e-12)
        XCTAssertEqual(kMeans(embedding: x, clusterCount: 5, seed: 4).labels, kMeans(embedding: x, clusterCount: 5, seed: 4).labels)
        // Inertia is the sum of squared distances to the returned centres.
        var inertia = 0.0
        for r in 0..<600 { inertia += squaredDistance(x, r, a.centroids, Int(a.labels[r])) }
        XCTAssertEqual(a.inertia, inertia, accuracy: inertia * 1e-4)
    }
}

/// A stochastic block model as a symmetric CSR adjacency with unit weights, and its planted labels.
func plantedPartition(communities: Int, size: Int, pIn: Double, pOut: Double, seed: UInt64) -> (CSRMatrix, [Int32]) {
    let n = communities * size
    var rng = SeededGenerator(seed: seed)
    var rows = [[(Int32, Float)]](repeating: [], count: n)
    for i in 0..<n {
        for j in (i + 1)..<max(i + 1, n) {
            let p = i / size == j / size ? pIn : pOut
            if rng.nextUnit() < p { rows[i].append((Int32(j), 1)); rows[j].append((Int32(i), 1)) }
        }
    }
    return (csrFromRows(rows, columnCount: n), (0..<n).map { Int32($0 / size) })
}
