import CellviKernels
@testable import CellviPerturbation
import XCTest

/// scGen model files: a round trip keeps every tensor (the transposed first layer included) and so
/// the latents and decoded points; other formats and versions give clear errors.
final class ScGenCheckpointTests: XCTestCase {
    func tinyData() -> CSRMatrix {
        var rng = RandomSource(seed: 4)
        let values = (0..<(30 * 12)).map { _ in rng.uniformFloat() < 0.5 ? 0 : 3 * rng.uniformFloat() }
        return CSRMatrix(dense: Matrix(rows: 30, columns: 12, values: values))
    }

    func temporaryPath(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cellvi-scgen-\(UUID().uuidString)-\(name)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testRoundTripKeepsEveryTensorAndPrediction() throws {
        let data = tinyData()
        let vae = try ScGenVAE(configuration: ScGenConfiguration(geneCount: 12, hiddenDimensions: 16, latentDimensions: 4), seed: 1)
        try vae.train(data, cells: Array(0..<30), configuration: ScGenTrainingConfiguration(epochs: 3, batchSize: 8, seed: 2))
        let genes = (0..<12).map { "g\($0)" }
        let path = temporaryPath("model.h5")
        try vae.save(to: path, geneNames: genes)
        XCTAssertEqual(try ScGenVAE.modelFormat(at: path), "cellvi-scgen")
        let loaded = try ScGenVAE.load(from: path)
        XCTAssertEqual(loaded.geneNames, genes)
        XCTAssertEqual(loaded.model.configuration, vae.configuration)
        XCTAssertEqual(loaded.model.history, vae.history)
        for k in 0..<vae.parameterCount { XCTAssertEqual(loaded.model.parameter(k), vae.parameter(k), "parameter \(k)") }
        let rows = Array(0..<30)
        let latent = try vae.latentMeans(data, rows: rows)
        XCTAssertEqual(try loaded.model.latentMeans(data, rows: rows), latent)
        XCTAssertEqual(try loaded.model.decode(latent), try vae.decode(latent))
    }

    func testOtherFilesGiveClearErrors() throws {
        let vae = try ScGenVAE(configuration: ScGenConfiguration(geneCount: 3, hiddenDimensions: 4, latentDimensions: 2))
        XCTAssertThrowsError(try vae.save(to: temporaryPath("bad.h5"), geneNames: ["a"])) { error in
            XCTAssertTrue("\(error)".contains("1 gene names for a model of 3 genes"), "\(error)")
        }
        let notAModel = CellviIOFixture.h5ad
        XCTAssertThrowsError(try ScGenVAE.load(from: notAModel)) { error in
            XCTAssertTrue("\(error)".contains("not a cellvi scGen model") && "\(error)".contains(notAModel), "\(error)")
        }
        XCTAssertThrowsError(try ScGenVAE.load(from: "/nonexistent/model.h5")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/model.h5"), "\(error)")
        }
    }
}

/// Any anndata file: an HDF5 file that is not a model.
enum CellviIOFixture {
    static let h5ad = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/h5ad/kang_subset.h5ad").path
}
