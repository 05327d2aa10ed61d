@testable import CellviModel
import CellviHDF5
import CellviKernels
import XCTest

final class CheckpointTests: XCTestCase {
    func testRoundTripAndMismatchErrors() throws {
        let (counts, codes) = syntheticCounts(cells: 40, genes: 20, batches: 2, seed: 9)
        let config = SCVIConfiguration(geneCount: 20, batchCount: 2, hiddenDimensions: 8, latentDimensions: 3,
                                       layerCount: 2, likelihood: .zinb, dispersion: .geneBatch,
                                       useObservedLibrarySize: false, encodeCovariates: true)
        let model = try SCVIModel(configuration: config, seed: 2)
        try model.train(counts: counts, batchCodes: codes, configuration: .init(epochs: 2, batchSize: 16))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cellvi-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("model.h5").path
        let genes = (0..<20).map { "gene\($0)" }
        try model.save(to: path, geneNames: genes, batchCategories: ["a", "b"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["model.h5"])

        let loaded = try SCVIModel.load(from: path)
        XCTAssertEqual(loaded.model.configuration, config)
        XCTAssertEqual(loaded.geneNames, genes); XCTAssertEqual(loaded.batchCategories, ["a", "b"])
        XCTAssertEqual(loaded.model.parameters.array, model.parameters.array)
        XCTAssertEqual(loaded.model.state.array, model.state.array)
        XCTAssertEqual(loaded.model.history.epochs.count, 2)
        XCTAssertEqual(try loaded.model.latentMeans(counts: counts, batchCodes: codes),
                       try model.latentMeans(counts: counts, batchCodes: codes))
        // Stored in PyTorch layout: the sparse first layer is [out, in].
        XCTAssertEqual(try HDF5File.open(path: path).root.group("parameters")
            .dataset("z_encoder.encoder.fc_layers.Layer 0.0.weight").shape, [8, 22])

        XCTAssertEqual(try loaded.batchCodes(for: ["b", "a"], geneNames: genes), [1, 0])
        XCTAssertThrowsError(try loaded.batchCodes(for: ["c"], geneNames: genes)) { XCTAssertTrue("\($0)".contains("\"c\"")) }
        XCTAssertThrowsError(try loaded.batchCodes(for: ["a"], geneNames: Array(genes.reversed())))

        // Another format version.
        let other = dir.appendingPathComponent("v2.h5").path
        try FileManager.default.copyItem(atPath: path, toPath: other)
        do {
            let f = try HDF5File.createForTest(copyOf: other)
            try f.root.setAttribute("format_version", .int(2))
        }
        XCTAssertThrowsError(try SCVIModel.load(from: other)) { XCTAssertTrue("\($0)".contains("format version 2")) }
    }
}

extension HDF5File {
    /// Rewrites a checkpoint with a different version by creating a fresh file with the same attrs.
    static func createForTest(copyOf path: String) throws -> HDF5File {
        let f = try HDF5File.create(path: path)
        try f.root.setAttribute("format", .string(SCVIModel.checkpointFormat))
        return f
    }
}
