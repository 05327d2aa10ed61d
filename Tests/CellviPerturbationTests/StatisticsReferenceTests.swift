import CellviKernels
@testable import CellviPerturbation
import Foundation
import XCTest

/// Wilcoxon DEG scores, log-normalization and R² against scanpy/scipy (Reference/make_stats_reference.py).
final class StatisticsReferenceTests: XCTestCase {
    struct Reference: Decodable {
        struct Header: Decodable { var version: Int; var scanpy: String }
        var header: Header
        var counts: [[Float]]
        var log_normalized: [[Float]]
        var stimulated_rows: [Int]
        var control_rows: [Int]
        var wilcoxon_scores: [Double]
        var wilcoxon_top_genes: [String]
        var r2_x: [Double]
        var r2_y: [Double]
        var r2: Double
    }

    func reference() throws -> Reference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference/stats_reference.json")
        let r = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        XCTAssertEqual(r.header.version, 1)
        return r
    }

    func dense(_ rows: [[Float]]) -> Matrix { Matrix(rows: rows.count, columns: rows[0].count, values: rows.flatMap { $0 }) }

    func testLogNormalizationMatchesScanpy() throws {
        let r = try reference()
        let ours = LogNormalization.apply(CSRMatrix(dense: dense(r.counts))).densified()
        let maxDiff = zip(ours.values, dense(r.log_normalized).values).map { abs($0 - $1) }.max()!
        print("log_normalized max |diff| \(maxDiff)")
        XCTAssertLessThan(maxDiff, 1e-5)
    }

    func testWilcoxonScoresAndRankingMatchScanpy() throws {
        let r = try reference()
        let data = CSRMatrix(dense: dense(r.log_normalized))
        let scores = WilcoxonRankSum.scores(data, group: r.stimulated_rows, reference: r.control_rows)
        let maxDiff = zip(scores, r.wilcoxon_scores).map { abs($0 - $1) }.max()!
        print("wilcoxon scores max |diff| \(maxDiff)")
        XCTAssertLessThan(maxDiff, 1e-5)
        let top = WilcoxonRankSum.topGenes(scores, count: scores.count).map { "g\($0)" }
        XCTAssertEqual(top, r.wilcoxon_top_genes)
    }

    func testSquaredPearsonMatchesLinregress() throws {
        let r = try reference()
        let ours = MeanExpressionR2.squaredPearson(r.r2_x, r.r2_y)
        print("r2 |diff| \(abs(ours - r.r2))")
        XCTAssertEqual(ours, r.r2, accuracy: 1e-12)
        XCTAssertEqual(MeanExpressionR2.squaredPearson([1, 2, 3], [2, 4, 6]), 1, accuracy: 1e-12)
        XCTAssertEqual(MeanExpressionR2.squaredPearson([1, 1, 1], [2, 4, 6]), 0)
    }

    func testHoldoutMetricsPerfectPredictionScoresOne() throws {
        let r = try reference()
        let data = CSRMatrix(dense: dense(r.log_normalized))
        let stimulatedMeans = MeanExpressionR2.geneMeans(data, rows: r.stimulated_rows)
        let m = HoldoutMetrics.evaluate(cellType: "T", logNormalized: data, control: r.control_rows, stimulated: r.stimulated_rows,
                                        predictedMeans: stimulatedMeans, geneNames: (0..<9).map { "g\($0)" }, topGeneCount: 4)
        XCTAssertEqual(m.r2AllGenes, 1, accuracy: 1e-12)
        XCTAssertEqual(m.r2TopGenes, 1, accuracy: 1e-12)
        XCTAssertEqual(m.topGenes, Array(r.wilcoxon_top_genes.prefix(4)))
        XCTAssertLessThan(m.baselineR2AllGenes, 1)
    }
}
