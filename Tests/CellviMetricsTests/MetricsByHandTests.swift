import CellviKernels
@testable import CellviMetrics
import XCTest

/// Each metric on an example small enough to check with pencil and paper.
final class MetricsByHandTests: XCTestCase {
    /// Clusters {0, 1} and {4, 5} on a line: s(0) = (4.5 − 1)/4.5, s(1) = (3.5 − 1)/3.5, symmetric.
    func testSilhouetteOnALine() {
        let x = Matrix(rows: 4, columns: 1, values: [0, 1, 4, 5])
        let s = silhouetteSamples(embedding: x, codes: [0, 0, 1, 1], categoryCount: 2)
        XCTAssertEqual(s[0], Float(3.5 / 4.5), accuracy: 1e-5)
        XCTAssertEqual(s[1], Float(2.5 / 3.5), accuracy: 1e-5)
        XCTAssertEqual(s[3], s[0], accuracy: 1e-5)
        let expected = ((3.5 / 4.5 + 1) / 2 + (2.5 / 3.5 + 1) / 2) / 2
        XCTAssertEqual(silhouetteLabel(embedding: x, labels: ["a", "a", "b", "b"]), expected, accuracy: 1e-5)
    }

    /// Singleton clusters score 0, as sklearn and scib-metrics (NaN → 0).
    func testSilhouetteSingletonIsZero() {
        let x = Matrix(rows: 3, columns: 1, values: [0, 1, 9])
        XCTAssertEqual(silhouetteSamples(embedding: x, codes: [0, 0, 1], categoryCount: 2)[2], 0)
    }

    /// The fast silhouette against a plain double loop, in every distance / between-cluster mode.
    func testSilhouetteMatchesPlainReference() {
        let x = syntheticEmbedding(cells: 157, dimensions: 5, clusters: 3, seed: 9)
        let codes = (0..<157).map { Int32(($0 * 7) % 4) }
        for distance in [SilhouetteDistance.euclidean, .cosine] {
            for between in [BetweenClusterDistance.nearest, .meanOther, .furthest] {
                let fast = silhouetteSamples(embedding: x, codes: codes, categoryCount: 4, distance: distance, between: between)
                let slow = plainSilhouette(x, codes, 4, distance, between)
                for i in 0..<x.rows { XCTAssertEqual(fast[i], slow[i], accuracy: 2e-4, "\(distance) \(between) cell \(i)") }
            }
        }
    }

    /// Past one 4096-column tile and several row blocks: sampled cells against the plain loop.
    func testSilhouetteAcrossTilesMatchesPlainReference() {
        let x = syntheticEmbedding(cells: 4500, dimensions: 6, clusters: 4, seed: 12)
        let codes = (0..<4500).map { Int32(($0 * 5) % 3) }
        let cells = Array(stride(from: 0, to: 4500, by: 97)) + [4499]
        for distance in [SilhouetteDistance.euclidean, .cosine] {
            let fast = silhouetteSamples(embedding: x, codes: codes, categoryCount: 3, distance: distance, between: .nearest)
            let slow = plainSilhouette(x, codes, 3, distance, .nearest, cells: cells)
            for (i, cell) in cells.enumerated() { XCTAssertEqual(fast[cell], slow[i], accuracy: 2e-4, "\(distance) cell \(cell)") }
        }
    }

    /// One label, batches A = {0, 1}, B = {10, 11} in 1-D, Euclidean nearest: every |s| is as in the line test,
    /// so the score is 1 − mean |s|.
    func testBatchSilhouetteByHand() {
        let x = Matrix(rows: 4, columns: 1, values: [0, 1, 10, 11])
        let score = batchSilhouette(embedding: x, labels: ["t", "t", "t", "t"], batches: ["A", "A", "B", "B"],
                                    distance: .euclidean, between: .nearest)
        let s0 = (10.5 - 1) / 10.5, s1 = (9.5 - 1) / 9.5
        XCTAssertEqual(score, 1 - (s0 + s1) / 2, accuracy: 1e-5)
        // A label whose cells are all in one batch is skipped: only "u" is scored.
        let skipped = batchSilhouette(embedding: Matrix(rows: 6, columns: 1, values: [0, 1, 10, 11, 3, 4]),
                                      labels: ["u", "u", "u", "u", "v", "v"], batches: ["A", "A", "B", "B", "A", "A"],
                                      distance: .euclidean, between: .nearest)
        XCTAssertEqual(skipped, score, accuracy: 1e-6)
    }

    /// Neighbours all of one label give LISI 1; equidistant neighbours split evenly between two labels give 2.
    func testLISIByHand() {
        let knn = KNearestNeighbors(cellCount: 2, neighborCount: 5,
                                    indices: [0, 1, 2, 3, 4, 1, 0, 2, 3, 4],
                                    distances: [0, 1, 1, 1, 1, 0, 1, 1, 1, 1])
        // Cell 0 sees 1,2,3,4 (labels 1,0,1,0) → 2; cell 1 sees 0,2,3,4 (labels 0,0,1,0)… weights equal → 1/(0.75²+0.25²).
        let lisi = lisiPerCell(knn: knn, codes: [0, 1, 0, 1, 0], categoryCount: 2, perplexity: 2)
        XCTAssertEqual(lisi[0], 2, accuracy: 1e-9)
        XCTAssertEqual(lisi[1], 1 / (0.75 * 0.75 + 0.25 * 0.25), accuracy: 1e-9)
    }

    /// Q(1, x) = e^(−x) and Q(1/2, x) = erfc(√x): the χ² survival functions for 2 and 1 degrees of freedom.
    func testChiSquareSurvival() {
        for x in [0.01, 0.5, 1.0, 3.0, 10.0] {
            XCTAssertEqual(regularizedUpperGamma(1, x), exp(-x), accuracy: 1e-12)
            XCTAssertEqual(regularizedUpperGamma(0.5, x), erfc(x.squareRoot()), accuracy: 1e-12)
        }
    }

    /// Perfectly mixed neighbourhoods are accepted; single-batch neighbourhoods are rejected.
    func testKBETAcceptanceByHand() {
        // 4 cells, batches A A B B; neighbours (self + 3) cover both batches 2:2 → statistic 0 → accepted.
        let mixed = KNearestNeighbors(cellCount: 4, neighborCount: 4, indices: [0, 1, 2, 3, 1, 0, 2, 3, 2, 3, 0, 1, 3, 2, 0, 1],
                                      distances: [Float](repeating: 1, count: 16))
        XCTAssertEqual(kBETAcceptanceRate(knn: mixed, batches: [0, 0, 1, 1]), 1)
        // 20 cells, 10 per batch; each cell's 10 neighbours are its own batch → χ² = 10, p ≈ 0.0016 → rejected.
        var indices = [Int32]()
        for i in 0..<20 { let base = i < 10 ? 0 : 10; indices.append(Int32(i)); for j in 0..<10 where base + j != i { indices.append(Int32(base + j)) } }
        let separated = KNearestNeighbors(cellCount: 20, neighborCount: 10, indices: indices, distances: [Float](repeating: 1, count: 200))
        XCTAssertEqual(kBETAcceptanceRate(knn: separated, batches: (0..<20).map { $0 < 10 ? 0 : 1 }), 0)
    }

    /// Label "a" split into two cliques that never point at each other → largest component holds half its cells.
    func testGraphConnectivityByHand() {
        // cells 0,1 | 2,3 all "a"; 4,5 "b". Neighbour lists (self first, k = 2).
        let knn = KNearestNeighbors(cellCount: 6, neighborCount: 2, indices: [0, 1, 1, 0, 2, 3, 3, 2, 4, 5, 5, 4],
                                    distances: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
        XCTAssertEqual(graphConnectivity(knn: knn, labels: ["a", "a", "a", "a", "b", "b"]), (0.5 + 1) / 2, accuracy: 1e-12)
        // One-way edges do not make a strongly connected component: 0 → 1 only.
        let oneWay = KNearestNeighbors(cellCount: 2, neighborCount: 2, indices: [0, 1, 1, 1], distances: [0, 1, 0, 0])
        XCTAssertEqual(graphConnectivity(knn: oneWay, labels: ["a", "a"]), 0.5, accuracy: 1e-12)
    }

    /// sklearn's documented examples.
    func testNMIAndARIByHand() {
        XCTAssertEqual(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2]), 0.5714285714285715, accuracy: 1e-12)
        XCTAssertEqual(normalizedMutualInformation([0, 0, 1, 1], [0, 0, 1, 2]), 0.8, accuracy: 1e-12)
        XCTAssertEqual(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]), 1)
        XCTAssertEqual(normalizedMutualInformation([0, 0, 1, 1], [1, 1, 0, 0]), 1, accuracy: 1e-12)
        XCTAssertEqual(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3]), 0)
    }

    /// Batch A at x = 0, 2 and batch B at x = 4, 6 (y = 0): between-batch SS = 4·2² = 16, total = 4+... = 20.
    func testPCRByHand() {
        let x = Matrix(rows: 4, columns: 2, values: [0, 0, 2, 0, 4, 0, 6, 0])
        XCTAssertEqual(principalComponentRegression(embedding: x, batches: ["A", "A", "B", "B"]), 16.0 / 20.0, accuracy: 1e-9)
        let post = Matrix(rows: 4, columns: 2, values: [0, 0, 2, 0, 0, 0, 2, 0])
        XCTAssertEqual(pcrComparison(preIntegration: x, postIntegration: post, batches: ["A", "A", "B", "B"]), 1, accuracy: 1e-9)
    }

    /// Isolated labels: "c" is the only label seen in one batch; its cells' rescaled silhouettes are averaged.
    func testIsolatedLabelsByHand() {
        let labels = ["a", "a", "b", "b", "c", "c"], batches = ["1", "2", "1", "2", "1", "1"]
        XCTAssertEqual(isolatedLabelNames(labels: labels, batches: batches), ["c"])
        let widths: [Float] = [0, 0, 0, 0, 0.5, 0.1]
        XCTAssertEqual(isolatedLabelsScore(labelSilhouettes: widths, labels: labels, batches: batches), (0.75 + 0.55) / 2, accuracy: 1e-6)
    }
}

/// Plain O(N²) silhouette straight from the definition (reference kernel for the tiled one).
func plainSilhouette(_ x: Matrix, _ codes: [Int32], _ categoryCount: Int,
                     _ distance: SilhouetteDistance, _ between: BetweenClusterDistance, cells: [Int]? = nil) -> [Float] {
    func dist(_ i: Int, _ j: Int) -> Double {
        if distance == .euclidean {
            var s = 0.0; for c in 0..<x.columns { let t = Double(x[i, c] - x[j, c]); s += t * t }; return s.squareRoot()
        }
        var xy = 0.0, xx = 0.0, yy = 0.0
        for c in 0..<x.columns { xy += Double(x[i, c] * x[j, c]); xx += Double(x[i, c] * x[i, c]); yy += Double(x[j, c] * x[j, c]) }
        return min(2, max(0, 1 - xy / (xx * yy).squareRoot()))
    }
    let counts = codeCounts(codes, categoryCount: categoryCount)
    return (cells ?? Array(0..<x.rows)).map { i in
        var sums = [Double](repeating: 0, count: categoryCount)
        for j in 0..<x.rows where j != i { sums[Int(codes[j])] += dist(i, j) }
        return silhouetteWidth(clusterSums: sums, counts: counts, own: Int(codes[i]), total: x.rows, between: between)
    }
}
