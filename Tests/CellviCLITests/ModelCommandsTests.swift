import Foundation
import XCTest

/// End-to-end runs of train → embed / normalize / elbo / sample on a small real dataset.
final class ModelCommandsTests: XCTestCase {
    static let dataset = CLIRunner.datasets.appendingPathComponent("seurat_pbmc_small/seurat_pbmc_small.h5ad").path

    private func train(_ directory: URL, _ name: String, extra: [String] = []) throws -> URL {
        let out = directory.appendingPathComponent(name)
        let result = try CLIRunner.run(["train", Self.dataset, "--batch-key", "groups", "--labels-key", "letter.idents",
                                        "--likelihood", "nb", "--epochs", "3", "--hidden-dim", "16", "--latent-dim", "4",
                                        "--batch-size", "32", "--seed", "7", "--threads", "1", "-o", out.path] + extra)
        XCTAssertEqual(result.status, 0, result.stderr)
        return out
    }

    func testTrainWritesEveryOutputAndIsReproducible() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        let first = try train(directory, "a")
        let files = try FileManager.default.contentsOfDirectory(atPath: first.path).sorted()
        XCTAssertEqual(files, ["cellvi.h5ad", "history.csv", "latent.csv", "model.h5", "run_info.json"])

        let latent = try String(contentsOf: first.appendingPathComponent("latent.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(latent.first, "cell,latent_0,latent_1,latent_2,latent_3")
        XCTAssertEqual(latent.count, 81)
        let history = try String(contentsOf: first.appendingPathComponent("history.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(history.first, "epoch,kl_weight,train_loss,elbo_train,elbo_validation,reconstruction_validation,kl_validation,seconds,core_round_trip_ns")
        XCTAssertEqual(history.count, 4)

        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: first.appendingPathComponent("run_info.json"))) as! [String: Any]
        for key in ["command", "version", "seed", "settings", "data", "results", "seconds"] { XCTAssertNotNil(info[key], key) }
        XCTAssertEqual((info["data"] as! [String: Any])["cells"] as? Int, 80)
        XCTAssertNotNil((info["results"] as! [String: Any])["elbo_validation"])

        let inspect = try CLIRunner.run(["inspect", "--json", first.appendingPathComponent("cellvi.h5ad").path])
        let summary = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((summary["obsm"] as! [String: Any])["X_scVI"] as? [Int], [80, 4])
        XCTAssertEqual(summary["counts_location"] as? String, "X")

        let second = try train(directory, "b")
        XCTAssertEqual(try Data(contentsOf: first.appendingPathComponent("latent.csv")),
                       try Data(contentsOf: second.appendingPathComponent("latent.csv")), "same seed, same threads: bit-identical")
        let third = try train(directory, "c", extra: ["--seed", "8"])
        XCTAssertNotEqual(try Data(contentsOf: first.appendingPathComponent("latent.csv")),
                          try Data(contentsOf: third.appendingPathComponent("latent.csv")))
    }

    func testScanpyReadsTheTrainingOutput() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        let out = try train(directory, "run")
        let check = try CLIRunner.python("""
            import sys, anndata, numpy as np
            a = anndata.read_h5ad(sys.argv[1])
            assert a.obsm["X_scVI"].shape == (80, 4), a.obsm["X_scVI"].shape
            assert "groups" in a.obs and "letter.idents" in a.obs, a.obs.columns
            assert np.all(a.X.data == np.round(a.X.data)), "counts"
            """, arguments: [out.appendingPathComponent("cellvi.h5ad").path])
        XCTAssertEqual(check.status, 0, check.stderr)
    }

    func testEmbedNormalizeElboAndSampleUseTheModel() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        let out = try train(directory, "run")
        let model = out.appendingPathComponent("model.h5").path

        let csv = directory.appendingPathComponent("embed.csv").path
        XCTAssertEqual(try CLIRunner.run(["embed", model, Self.dataset, "--batch-key", "groups", "-o", csv]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: csv)), try Data(contentsOf: out.appendingPathComponent("latent.csv")),
                       "embed on the training data reproduces latent.csv")

        let normalized = directory.appendingPathComponent("norm.h5ad").path
        let norm = try CLIRunner.run(["normalize", model, Self.dataset, "--batch-key", "groups", "--library-size", "10000",
                                      "--transform-batch", "g1", "-o", normalized])
        XCTAssertEqual(norm.status, 0, norm.stderr)
        let normSummary = try JSONSerialization.jsonObject(with: Data(try CLIRunner.run(["inspect", "--json", normalized]).stdout.utf8)) as! [String: Any]
        let totals = (normSummary["x"] as! [String: Any])["cell_totals"] as! [String: Double]
        XCTAssertEqual(totals["min"]!, 10000, accuracy: 1); XCTAssertEqual(totals["max"]!, 10000, accuracy: 1)

        let elbo = try CLIRunner.run(["elbo", model, Self.dataset, "--batch-key", "groups", "--marginal-ll", "--samples", "20", "--json"])
        XCTAssertEqual(elbo.status, 0, elbo.stderr)
        let values = try JSONSerialization.jsonObject(with: Data(elbo.stdout.utf8)) as! [String: Double]
        XCTAssertEqual(values["elbo"]!, values["reconstruction_error"]! + values["kl"]!, accuracy: 1e-6 * abs(values["elbo"]!))
        XCTAssertLessThanOrEqual(values["marginal_ll"]!, values["elbo"]! * 1.001, "−log p(x) ≤ −ELBO up to sampling noise")

        let samples = directory.appendingPathComponent("samples.h5ad").path
        XCTAssertEqual(try CLIRunner.run(["sample", model, "--cells", "12", "--batch", "g2", "-o", samples]).status, 0)
        let sampleSummary = try JSONSerialization.jsonObject(with: Data(try CLIRunner.run(["inspect", "--json", samples]).stdout.utf8)) as! [String: Any]
        XCTAssertEqual(sampleSummary["n_obs"] as? Int, 12)
        XCTAssertEqual(sampleSummary["counts_location"] as? String, "X")
    }

    func testBadInputsFailClearlyAndWriteNothing() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        let normalizedFile = CLIRunner.fixtures.appendingPathComponent("h5ad/layers_obsm_uns.h5ad").path
        let notCounts = try CLIRunner.run(["train", normalizedFile, "--layer", "normalized", "--epochs", "1", "-o", directory.appendingPathComponent("x").path])
        XCTAssertNotEqual(notCounts.status, 0)
        XCTAssertTrue(notCounts.stderr.contains("layers/normalized") && notCounts.stderr.contains("--layer"), notCounts.stderr)

        let noBatch = try CLIRunner.run(["train", Self.dataset, "--batch-key", "nope", "--epochs", "1", "-o", directory.appendingPathComponent("y").path])
        XCTAssertNotEqual(noBatch.status, 0)
        XCTAssertTrue(noBatch.stderr.contains("obs/nope") && noBatch.stderr.contains("groups"), noBatch.stderr)

        let badFlag = try CLIRunner.run(["train", Self.dataset, "--dropout", "1.5", "--latent-dim", "0", "-o", directory.appendingPathComponent("z").path])
        XCTAssertNotEqual(badFlag.status, 0)
        XCTAssertTrue(badFlag.stderr.contains("--dropout") && badFlag.stderr.contains("--latent-dim"), "reports every problem at once: \(badFlag.stderr)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [], "no partial output")

        let out = try train(directory, "run")
        let model = out.appendingPathComponent("model.h5").path
        let otherGenes = CLIRunner.fixtures.appendingPathComponent("h5ad/csr_int32.h5ad").path
        let missing = try CLIRunner.run(["embed", model, otherGenes, "-o", directory.appendingPathComponent("e.csv").path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("--fill-missing-genes"), missing.stderr)
        let unknownBatch = try CLIRunner.run(["embed", model, Self.dataset, "--batch-key", "letter.idents", "-o", directory.appendingPathComponent("f.csv").path])
        XCTAssertNotEqual(unknownBatch.status, 0)
        XCTAssertTrue(unknownBatch.stderr.contains("batch"), unknownBatch.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("e.csv").path))
    }

    func testAllZeroCellsAreReportedAndRemoved() throws {
        let hagai = CLIRunner.repository.deletingLastPathComponent().appendingPathComponent("shared/datasets/hagai_lps_toy/hagai_lps_toy.h5ad").path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: hagai), "../shared/datasets is not beside the repository")
        let directory = try CLIRunner.temporaryDirectory(self)
        let out = directory.appendingPathComponent("run")
        let result = try CLIRunner.run(["train", hagai, "--batch-key", "replicate", "--epochs", "1", "--hidden-dim", "8",
                                        "--latent-dim", "2", "--threads", "1", "-o", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("removed 2 of 600 cells with zero total count"), result.stderr)
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run_info.json"))) as! [String: Any]
        XCTAssertEqual((info["data"] as! [String: Any])["zero_cells_removed"] as? Int, 2)
        XCTAssertEqual((info["data"] as! [String: Any])["cells"] as? Int, 598)
    }
}
