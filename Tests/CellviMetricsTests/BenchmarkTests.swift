import CellviKernels
@testable import CellviMetrics
import Foundation
import XCTest

/// `CELLVI_BENCH=1 swift test -c release --filter BenchmarkTests`: evaluate on 100,000 cells × 10 dims.
final class BenchmarkTests: XCTestCase {
    func testEvaluateHundredThousandCells() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["CELLVI_BENCH"] == "1", "set CELLVI_BENCH=1 to run")
        let n = 100_000
        let embedding = syntheticEmbedding(cells: n, dimensions: 10, clusters: 12, seed: 1)
        var rng = SeededGenerator(seed: 2)
        let labels = (0..<n).map { "type\($0 % 12)" }
        let batches = (0..<n).map { _ in "batch\(Int(rng.next() % 4))" }
        let pre = syntheticEmbedding(cells: n, dimensions: 50, clusters: 12, seed: 3)
        let start = Date()
        let metrics = try evaluateIntegration(embedding: embedding, batchLabels: batches, cellLabels: labels,
                                              preIntegration: pre, progress: { print("  \($0)") })
        let seconds = Date().timeIntervalSince(start)
        print("evaluateIntegration on \(n) × 10: \(String(format: "%.1f", seconds)) s\n\(metrics)")
        XCTAssertLessThan(seconds, 60)
    }
}
