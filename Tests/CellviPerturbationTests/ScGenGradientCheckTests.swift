import CellviKernels
@testable import CellviPerturbation
import XCTest

/// Finite-difference gradient check of scGen's VAE (training mode: BatchNorm batch statistics,
/// dropout masks and ε fixed by the seed) on tiny shapes; per-tensor max relative difference.
final class ScGenGradientCheckTests: XCTestCase {
    func tinyData(cells: Int, genes: Int) -> CSRMatrix {
        var rng = RandomSource(seed: 11)
        let values = (0..<(cells * genes)).map { _ in rng.uniformFloat() < 0.3 ? 0 : 2 * rng.uniformFloat() }
        return CSRMatrix(dense: Matrix(rows: cells, columns: genes, values: values))
    }

    func testGradientsMatchFiniteDifferences() throws {
        var c = ScGenConfiguration(geneCount: 5, hiddenDimensions: 4, latentDimensions: 3, layerCount: 2, dropoutRate: 0.2)
        c.klWeight = 1   // exercise the KL path with a visible weight
        let vae = try ScGenVAE(configuration: c, seed: 2)
        let data = tinyData(cells: 6, genes: 5), rows = Array(0..<6)
        let (_, analytic) = try vae.lossAndGradient(data, rows: rows, seed: 5)
        let a = vae.arch
        var tensors: [(String, Int, Int)] = []
        for (l, s) in a.encoder.enumerated() {
            tensors += [("encoder.\(l).weight", s.weight, s.outputs * s.inputs), ("encoder.\(l).bias", s.bias, s.outputs),
                        ("encoder.\(l).gamma", s.gamma, s.outputs), ("encoder.\(l).beta", s.beta, s.outputs)]
        }
        tensors += [("mean.weight", a.meanHead.weight, 12), ("mean.bias", a.meanHead.bias, 3),
                    ("log_variance.weight", a.logVarianceHead.weight, 12), ("log_variance.bias", a.logVarianceHead.bias, 3)]
        for (l, s) in a.decoder.enumerated() {
            tensors += [("decoder.\(l).weight", s.weight, s.outputs * s.inputs), ("decoder.\(l).bias", s.bias, s.outputs),
                        ("decoder.\(l).gamma", s.gamma, s.outputs), ("decoder.\(l).beta", s.beta, s.outputs)]
        }
        tensors += [("output.weight", a.outputHead.weight, 20), ("output.bias", a.outputHead.bias, 5)]
        XCTAssertEqual(tensors.map(\.2).reduce(0, +), vae.parameterCount)
        let h: Float = 1e-2
        var failures: [String] = []
        for (name, offset, count) in tensors {
            var worst: Float = 0
            for k in offset..<(offset + count) {
                let saved = vae.parameter(k)
                vae.setParameter(k, saved + h)
                let plus = try vae.lossAndGradient(data, rows: rows, seed: 5).loss
                vae.setParameter(k, saved - h)
                let minus = try vae.lossAndGradient(data, rows: rows, seed: 5).loss
                vae.setParameter(k, saved)
                let numeric = Float((plus - minus) / Double(2 * h))
                let diff = abs(numeric - analytic[k]) / max(1e-2, abs(numeric) + abs(analytic[k]))
                worst = max(worst, diff)
            }
            print(String(format: "%-22@ max rel diff %.2e", name as NSString, worst))
            if worst > 2e-2 { failures.append(name) }
        }
        XCTAssertTrue(failures.isEmpty, "gradient mismatch in \(failures)")
    }

    func testTrainingLowersTheLossAndIsDeterministic() throws {
        let c = ScGenConfiguration(geneCount: 12, hiddenDimensions: 16, latentDimensions: 4)
        let data = tinyData(cells: 64, genes: 12)
        func run() throws -> [ScGenEpochRecord] {
            let vae = try ScGenVAE(configuration: c, seed: 1)
            return try vae.train(data, cells: Array(0..<64), configuration: ScGenTrainingConfiguration(epochs: 15, batchSize: 16, seed: 3))
        }
        let first = try run(), second = try run()
        XCTAssertLessThan(first.last!.trainLoss, first.first!.trainLoss)
        XCTAssertEqual(first.map(\.trainLoss), second.map(\.trainLoss))
    }
}
