import CellviKernels
@testable import CellviMetrics
import XCTest

final class NeighborsTests: XCTestCase {
    /// Five points on a line: neighbours and distances by hand.
    func testExactNeighborsOnALine() {
        let x = Matrix(rows: 5, columns: 1, values: [0, 1, 3, 6, 10])
        let knn = exactNearestNeighbors(embedding: x, k: 3)
        XCTAssertEqual(Array(knn.indices[0..<3]), [0, 1, 2])
        XCTAssertEqual(Array(knn.distances[0..<3]), [0, 1, 3])
        XCTAssertEqual(Array(knn.indices[6..<9]), [2, 1, 0])   // 3 → 1 (d 2), then 0 (d 3) beats 6 (d 3) by index
        XCTAssertEqual(Array(knn.distances[6..<9]), [0, 2, 3])
        XCTAssertEqual(knn.prefix(2).indices, [0, 1, 1, 0, 2, 1, 3, 2, 4, 3])
    }

    func testApproximateMatchesExactOnClusteredData() {
        let x = syntheticEmbedding(cells: 3000, dimensions: 8, clusters: 6, seed: 3)
        let exact = exactNearestNeighbors(embedding: x, k: 15)
        let approximate = approximateNearestNeighbors(embedding: x, k: 15, seed: 1)
        var hits = 0
        for i in 0..<x.rows {
            let truth = Set(exact.indices[(i * 15)..<((i + 1) * 15)])
            hits += approximate.indices[(i * 15)..<((i + 1) * 15)].filter { truth.contains($0) }.count
        }
        let recall = Double(hits) / Double(x.rows * 15)
        XCTAssertGreaterThan(recall, 0.97, "NN-descent recall \(recall)")
        XCTAssertEqual(approximate.indices[0], 0)
    }

    /// Two points at distance 1 plus a far one, k = 2: rho is the first non-zero distance, so every
    /// membership is exp(0) = 1 and the union stays 1.
    func testFuzzyConnectivitiesByHand() {
        let x = Matrix(rows: 3, columns: 1, values: [0, 1, 5])
        let graph = neighborGraph(embedding: x, neighborCount: 2)
        let c = graph.connectivities.densified()
        XCTAssertEqual(c[0, 1], 1); XCTAssertEqual(c[1, 0], 1)
        XCTAssertEqual(c[2, 1], 1); XCTAssertEqual(c[1, 2], 1)
        XCTAssertEqual(c[0, 2], 0)
        let d = graph.distances.densified()
        XCTAssertEqual(d[2, 1], 4); XCTAssertEqual(d[0, 0], 0)
        XCTAssertEqual(graph.distances.nonZeroCount, 3)
    }

    /// The fuzzy union a + b − ab on an asymmetric pair.
    func testFuzzyUnion() {
        let a = CSRMatrix(dense: Matrix(rows: 2, columns: 2, values: [0, 0.5, 0.25, 0]))
        let u = fuzzyUnion(a).densified()
        XCTAssertEqual(u[0, 1], 0.5 + 0.25 - 0.125, accuracy: 1e-7)
        XCTAssertEqual(u[1, 0], u[0, 1])
    }

    /// scanpy's `pp.neighbors(n_neighbors=15)` on the fixture embedding.
    func testMatchesScanpyNeighborGraph() {
        let (fixture, embedding, _) = referenceFixture
        let graph = neighborGraph(embedding: embedding, neighborCount: 15)
        let reference = fixture.scanpyNeighbors
        XCTAssertEqual(graph.distances.nonZeroCount, reference.distancesNonZero)
        XCTAssertLessThanOrEqual(abs(graph.connectivities.nonZeroCount - reference.connectivitiesNonZero), 10)
        let ours = graph.connectivities.rowSums(), oursDistances = graph.distances.rowSums()
        var worst = 0.0, worstDistance = 0.0
        for i in 0..<fixture.cellCount {
            worst = max(worst, abs(ours[i] - reference.connectivitiesRowSums[i]))
            worstDistance = max(worstDistance, abs(oursDistances[i] - reference.distancesRowSums[i]))
        }
        print("scanpy neighbours: max |Δ connectivity row sum| = \(worst), max |Δ distance row sum| = \(worstDistance)")
        XCTAssertLessThan(worst, 1e-3)
        XCTAssertLessThan(worstDistance, 1e-2)
    }
}

/// Gaussian blobs: `clusters` centres spread 6 apart, unit noise.  // (cells, dimensions)
func syntheticEmbedding(cells: Int, dimensions: Int, clusters: Int, seed: UInt64) -> Matrix {
    var rng = SeededGenerator(seed: seed)
    var centres = [Float](repeating: 0, count: clusters * dimensions)
    for i in 0..<centres.count { centres[i] = Float(gaussian(&rng) * 6) }
    var values = [Float](repeating: 0, count: cells * dimensions)
    for r in 0..<cells {
        let c = r % clusters
        for d in 0..<dimensions { values[r * dimensions + d] = centres[c * dimensions + d] + Float(gaussian(&rng)) }
    }
    return Matrix(rows: cells, columns: dimensions, values: values)
}
