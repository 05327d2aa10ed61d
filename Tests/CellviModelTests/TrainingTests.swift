@testable import CellviModel
import CellviKernels
import XCTest

/// Synthetic counts with two cell types and a batch shift; tiny so tests stay fast.
func syntheticCounts(cells: Int, genes: Int, batches: Int, seed: UInt64) -> (CSRMatrix, [Int32]) {
    var rng = RandomSource(seed: seed)
    var dense = Matrix(zeros: cells, genes)
    var codes = [Int32]()
    for i in 0..<cells {
        let type = i % 2, batch = (i / 2) % batches
        codes.append(Int32(batch))
        let size = 0.5 + rng.uniform()
        for g in 0..<genes {
            let base = (g % 2 == type ? 6.0 : 0.7) * (g % 3 == batch % 3 ? 1.5 : 1.0)
            dense[i, g] = Float(rng.poisson(base * size))
        }
        dense[i, 0] += 1
    }
    return (CSRMatrix(dense: dense), codes)
}

final class TrainingTests: XCTestCase {
    let config = SCVIConfiguration(geneCount: 20, batchCount: 2, hiddenDimensions: 16, latentDimensions: 4, likelihood: .nb)

    func testEpochHeuristicSplitAndWarmup() {
        XCTAssertEqual(TrainingConfiguration.defaultEpochs(cellCount: 10_000), 400)
        XCTAssertEqual(TrainingConfiguration.defaultEpochs(cellCount: 100_000), 80)
        XCTAssertEqual(TrainingConfiguration.defaultEpochs(cellCount: 1_000_000), 8)
        XCTAssertEqual(TrainingConfiguration.defaultEpochs(cellCount: 100_000_000), 1)
        XCTAssertEqual(SCVIModel.splitSizes(cellCount: 1000, trainFraction: 0.9, batchSize: 128).train, 900)
        // 0.9 · 143 → 129 = 128 + 1: one cell moves to validation.
        XCTAssertTrue(SCVIModel.splitSizes(cellCount: 143, trainFraction: 0.9, batchSize: 128) == (128, 15))
        let t = TrainingConfiguration(klWarmupEpochs: 400, maxKLWeight: 2)
        XCTAssertEqual(t.klWeight(epoch: 0), 0); XCTAssertEqual(t.klWeight(epoch: 100), 0.5); XCTAssertEqual(t.klWeight(epoch: 900), 2)
    }

    func testTrainingDecreasesLossAndIsDeterministic() throws {
        let (counts, codes) = syntheticCounts(cells: 120, genes: 20, batches: 2, seed: 1)
        let t = TrainingConfiguration(epochs: 15, batchSize: 32, learningRate: 1e-2, seed: 7, klWarmupEpochs: 5)
        let a = try SCVIModel(configuration: config, seed: 3)
        var seen = 0
        let h = try a.train(counts: counts, batchCodes: codes, configuration: t) { _ in seen += 1 }
        XCTAssertEqual(seen, 15)
        XCTAssertEqual(h.trainingCells.count + h.validationCells.count, 120)
        let first = h.epochs.first!, last = h.epochs.last!
        print("elbo_train \(first.elboTrain) → \(last.elboTrain), validation \(first.elboValidation!) → \(last.elboValidation!)")
        XCTAssertLessThan(last.elboTrain, first.elboTrain)
        XCTAssertLessThan(last.elboValidation!, first.elboValidation!)
        let b = try SCVIModel(configuration: config, seed: 3)
        let h2 = try b.train(counts: counts, batchCodes: codes, configuration: t)
        XCTAssertEqual(h.epochs.map(\.trainLoss), h2.epochs.map(\.trainLoss))
        XCTAssertEqual(a.parameters.array, b.parameters.array)
        XCTAssertEqual(try a.latentMeans(counts: counts, batchCodes: codes), try b.latentMeans(counts: counts, batchCodes: codes))
    }

    /// Two threads split products, bias and θ sums, the sparse layer and the likelihood; runs with
    /// the same seed must still be bit-identical (with and without streaming stores, which only move
    /// data between cores differently), and close to the one-thread run.
    func testTwoThreadTrainingIsDeterministic() throws {
        try checkTwoThreadDeterminism(keepEvery: 1)    // dense-enough minibatches (BLAS first layer)
        try checkTwoThreadDeterminism(keepEvery: 12)   // sparse minibatches (column-major first layer)
    }

    func checkTwoThreadDeterminism(keepEvery: Int) throws {
        let (full, codes) = syntheticCounts(cells: 300, genes: 1100, batches: 3, seed: 2)
        var dense = Matrix(zeros: 300, 1100)
        for i in 0..<300 {
            for e in full.rowOffsets[i]..<full.rowOffsets[i + 1] {
                let g = Int(full.columnIndices[e])
                if g == 0 || (g + i) % keepEvery == 0 { dense[i, g] = full.values[e] }
            }
        }
        let counts = CSRMatrix(dense: dense)
        let cfg = SCVIConfiguration(geneCount: 1100, batchCount: 3, hiddenDimensions: 32, latentDimensions: 4, likelihood: .nb)
        func run(_ threads: Int, streaming: Bool) throws -> (SCVIModel, TrainingHistory) {
            StreamingStore.force(streaming)
            defer { StreamingStore.force(nil); StreamingStore.setEnabled(false) }
            let m = try SCVIModel(configuration: cfg, seed: 5)
            let h = try m.train(counts: counts, batchCodes: codes,
                                configuration: .init(epochs: 2, batchSize: 128, seed: 9, threads: threads))
            return (m, h)
        }
        let (a, ha) = try run(2, streaming: true), (b, hb) = try run(2, streaming: false), (c, hc) = try run(1, streaming: false)
        XCTAssertEqual(ha.epochs.map(\.trainLoss), hb.epochs.map(\.trainLoss))
        XCTAssertEqual(ha.epochs.map(\.elboValidation), hb.epochs.map(\.elboValidation))
        XCTAssertTrue(a.parameters.array == b.parameters.array, "2-thread parameters differ between runs")
        XCTAssertTrue(try a.latentMeans(counts: counts, batchCodes: codes) == b.latentMeans(counts: counts, batchCodes: codes))
        for (x, y) in zip(ha.epochs, hc.epochs) { XCTAssertEqual(x.trainLoss, y.trainLoss, accuracy: 1e-4 * abs(y.trainLoss)) }
        let maxDiff = zip(a.parameters.array, c.parameters.array).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(maxDiff, 1e-3, "1- and 2-thread parameters drift apart")
    }

    /// Validation split over two single-threaded passes (`ValidationPass`) consumes the same random
    /// numbers and gives the sequential pass's losses up to the one-thread kernels' rounding; with a
    /// latent library too (a second noise draw per minibatch).
    func testParallelValidationMatchesTheSequentialPass() throws {
        let (counts, codes) = syntheticCounts(cells: 150, genes: 40, batches: 2, seed: 4)
        for observed in [true, false] {
            let cfg = SCVIConfiguration(geneCount: 40, batchCount: 2, hiddenDimensions: 16, latentDimensions: 4,
                                        likelihood: .nb, useObservedLibrarySize: observed)
            let model = try SCVIModel(configuration: cfg, seed: 3)
            try model.train(counts: counts, batchCodes: codes, configuration: .init(epochs: 1, batchSize: 32, seed: 1, threads: 2))
            let cells = Array(stride(from: 0, to: 150, by: 2))   // 75 cells: three minibatches of 32
            let ws = Workspace(model.arch, capacity: 32)
            let pass = ValidationPass(workspaces: [ws, Workspace(model.arch, capacity: 32)], model: model)
            var rngA = RandomSource(seed: 77), rngB = rngA
            let (sequential, parallel) = BoundData.with(counts) { data in
                (model.evaluate(ws: ws, net: model.network(ws, threads: 1), data: data, cells: cells, batchCodes: codes, rng: &rngA),
                 pass.run(data: data, cells: cells, batchCodes: codes, rng: &rngB))
            }
            XCTAssertEqual(sequential.reconstruction, parallel.reconstruction, "observed library \(observed)")
            XCTAssertEqual(sequential.kl, parallel.kl, "observed library \(observed)")
            XCTAssertEqual(rngA.next(), rngB.next(), "the random stream continues at the same place")
        }
    }

    func testInferenceOutputs() throws {
        let (counts, codes) = syntheticCounts(cells: 40, genes: 20, batches: 2, seed: 2)
        for c in [config, SCVIConfiguration(geneCount: 20, batchCount: 2, hiddenDimensions: 8, latentDimensions: 3,
                                            likelihood: .zinb, dispersion: .geneBatch, useObservedLibrarySize: false)] {
            let model = try SCVIModel(configuration: c, seed: 1)
            try model.train(counts: counts, batchCodes: codes, configuration: .init(epochs: 2, batchSize: 16))
            let z = try model.latentMeans(counts: counts, batchCodes: codes)
            XCTAssertEqual(z.rows, 40); XCTAssertEqual(z.columns, c.latentDimensions)
            let rho = try model.normalizedExpression(counts: counts, batchCodes: codes, transformBatches: [0, 1], sampleCount: 2)
            for i in 0..<40 { XCTAssertEqual(rho.row(i).reduce(0, +), 1, accuracy: 1e-4) }
            let scaled = try model.normalizedExpression(counts: counts, batchCodes: codes, librarySize: 1e4)
            XCTAssertEqual(scaled.row(3).reduce(0, +), 1e4, accuracy: 1)
            let e = try model.elbo(counts: counts, batchCodes: codes)
            XCTAssertEqual(e.elbo, e.reconstruction + e.kl, accuracy: 1e-6)
            let ll = try model.marginalLogLikelihood(counts: counts, batchCodes: codes, sampleCount: 20)
            XCTAssertEqual(ll.count, 40)
            XCTAssertTrue(ll.allSatisfy { $0.isFinite && $0 < 0 })
            // Importance sampling bound: the mean log p(x) should not be below −ELBO by much.
            XCTAssertGreaterThan(ll.reduce(0, +) / 40, -e.elbo - 5)
            let post = try model.samplePosterior(counts: counts, batchCodes: codes, targetBatch: 1, seed: 3)
            XCTAssertEqual(post.rowCount, 40); XCTAssertEqual(post.columnCount, 20)
            let prior = try model.samplePrior(cellCount: 7, batch: 0, seed: 3)
            XCTAssertEqual(prior.rowCount, 7)
            XCTAssertTrue(prior.values.allSatisfy { $0 > 0 && $0 == $0.rounded() })
        }
    }

    func testBadDataGivesClearErrors() throws {
        let model = try SCVIModel(configuration: config)
        let (counts, codes) = syntheticCounts(cells: 10, genes: 20, batches: 2, seed: 2)
        XCTAssertThrowsError(try model.latentMeans(counts: counts.selectingColumns(Array(0..<19)), batchCodes: codes))
        XCTAssertThrowsError(try model.latentMeans(counts: counts, batchCodes: codes.map { $0 + 5 }))
        var empty = counts.densified(); for g in 0..<20 { empty[2, g] = 0 }
        XCTAssertThrowsError(try model.train(counts: CSRMatrix(dense: empty), batchCodes: codes)) { e in
            XCTAssertTrue("\(e)".contains("zero total count"))
        }
        XCTAssertThrowsError(try SCVIModel(configuration: SCVIConfiguration(geneCount: 5, layerCount: 0)))
    }

    func testNonFiniteLossNamesEpochAndStep() throws {
        let (counts, codes) = syntheticCounts(cells: 40, genes: 20, batches: 2, seed: 5)
        let model = try SCVIModel(configuration: config)
        XCTAssertThrowsError(try model.train(counts: counts, batchCodes: codes,
                                             configuration: .init(epochs: 3, batchSize: 16, learningRate: .infinity))) { e in
            guard case CellviModelError.nonFiniteLoss(let epoch, _, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(epoch, 0)
            XCTAssertTrue("\(e)".contains("raw counts"))
        }
    }
}
