@testable import CellviModel
import CellviKernels
import Foundation
import XCTest

/// Seconds per epoch on a real dataset; runs only when CELLVI_BENCH_DIR points to a folder with
/// indptr.bin (int64), indices.bin (int32), data.bin (float32), batch.bin (int32), shape.txt.
final class BenchmarkTests: XCTestCase {
    func testSecondsPerEpoch() throws {
        guard let dir = ProcessInfo.processInfo.environment["CELLVI_BENCH_DIR"] else { throw XCTSkip("set CELLVI_BENCH_DIR") }
        func read<T>(_ name: String, _: T.Type) throws -> [T] {
            let d = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(name))
            return d.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
        }
        let shape = try String(contentsOfFile: dir + "/shape.txt", encoding: .utf8).split(separator: " ").map { Int($0)! }
        let counts = CSRMatrix(rowCount: shape[0], columnCount: shape[1], rowOffsets: try read("indptr.bin", Int64.self).map(Int.init),
                               columnIndices: try read("indices.bin", Int32.self), values: try read("data.bin", Float.self))
        let codes = try read("batch.bin", Int32.self)
        let threads = Int(ProcessInfo.processInfo.environment["CELLVI_BENCH_THREADS"] ?? "2")!
        let epochs = Int(ProcessInfo.processInfo.environment["CELLVI_BENCH_EPOCHS"] ?? "5")!
        for likelihood in [GeneLikelihood.nb, .zinb] {
            let model = try SCVIModel(configuration: .init(geneCount: shape[1], batchCount: Int(codes.max()!) + 1, likelihood: likelihood))
            let h = try model.train(counts: counts, batchCodes: codes, configuration: .init(epochs: epochs, seed: 1, threads: threads))
            let secs = h.epochs.dropFirst().map(\.seconds)
            print(String(format: "BENCH %@ threads %d: %.3f s/epoch (first %.3f), elbo_train %.1f → %.1f, elbo_val %.1f",
                         likelihood.rawValue, threads, secs.reduce(0, +) / Double(max(secs.count, 1)), h.epochs[0].seconds,
                         h.epochs.first!.elboTrain, h.epochs.last!.elboTrain, h.epochs.last!.elboValidation ?? .nan))
        }
    }
}
