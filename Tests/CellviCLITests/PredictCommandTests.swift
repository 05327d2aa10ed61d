import Foundation
import XCTest

/// `cellvi predict` on a small real subset of Kang et al. (Tests/Fixtures/h5ad/kang_subset.h5ad, written by
/// Tests/Fixtures/make_kang_subset.py): 364 cells × 400 genes; CD4T, CD14+Mono, B and NK in both conditions,
/// Dendritic only stimulated, "other" with 4 control and 2 stimulated cells. Help, bad inputs (clear error,
/// nothing written), hold-out end-to-end per model type, determinism and --all-cell-types.
final class PredictCommandTests: XCTestCase {
    static let kang = CLIRunner.fixtures.appendingPathComponent("h5ad/kang_subset.h5ad").path
    static let design = ["--condition-key", "condition", "--control", "ctrl", "--stimulated", "stim", "--cell-type-key", "cell_type"]
    /// Few epochs, one thread; scGen with a narrow net.
    static let fast = ["--epochs", "2", "--threads", "1"]
    static let narrowScGen = ["--model-type", "scgen", "--hidden-dim", "32", "--latent-dim", "8", "--batch-size", "64"]

    func testHelpListsTheFlags() throws {
        let help = try CLIRunner.run(["predict", "--help"])
        XCTAssertEqual(help.status, 0)
        for flag in ["--condition-key", "--control", "--stimulated", "--cell-type-key", "--target", "--holdout", "--all-cell-types",
                     "--model", "--model-type", "--save-model", "--seed", "--epochs", "--n-top-genes", "--batch-key"] {
            XCTAssertTrue(help.stdout.contains(flag), "predict help lacks \(flag)")
        }
        XCTAssertTrue(try CLIRunner.run(["--help"]).stdout.contains("predict"))
    }

    func testBadInputsFailNamingTheFlagAndWriteNothing() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        let cases: [([String], String)] = [
            (["--condition-key", "condition", "--control", "control", "--stimulated", "stim", "--cell-type-key", "cell_type", "--target", "CD4T"], "--control 'control'"),
            (["--condition-key", "condition", "--control", "ctrl", "--stimulated", "IFN", "--cell-type-key", "cell_type", "--target", "CD4T"], "--stimulated 'IFN'"),
            (["--condition-key", "condition", "--control", "ctrl", "--stimulated", "ctrl", "--cell-type-key", "cell_type", "--target", "CD4T"], "both 'ctrl'"),
            (Self.design + ["--target", "Neuron"], "--target 'Neuron'"),
            (["--condition-key", "treatment", "--control", "ctrl", "--stimulated", "stim", "--cell-type-key", "cell_type", "--target", "CD4T"], "--condition-key"),
            (["--condition-key", "condition", "--control", "ctrl", "--stimulated", "stim", "--cell-type-key", "celltype", "--target", "CD4T"], "--cell-type-key"),
            (Self.design, "--target is missing"),
            (Self.design + ["--target", "Dendritic"], "--target 'Dendritic' has no 'ctrl' cells"),
            (Self.design + ["--target", "other", "--holdout"], "--holdout needs at least 3 'ctrl' and 3 'stim' cells of --target 'other' (found 4 and 2)"),
            (Self.design + ["--all-cell-types", "--control", "x"], "--control"),
            (Self.design + ["--target", "CD4T", "--model", "model.h5", "--save-model"], "drop --save-model"),
            (Self.design + ["--all-cell-types", "--save-model"], "--save-model saves the one model of a --target run"),
            (Self.design + ["--target", "CD4T", "--model", "/nonexistent/model.h5"], "/nonexistent/model.h5"),
        ]
        for (index, (arguments, expected)) in cases.enumerated() {
            let output = directory.appendingPathComponent("out\(index)").path
            let result = try CLIRunner.run(["predict", Self.kang] + arguments + Self.fast + ["-o", output])
            XCTAssertNotEqual(result.status, 0, expected)
            XCTAssertTrue(result.stderr.contains(expected), "expected '\(expected)' in: \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(expected): output written")
        }
    }

    func testHoldoutRunWritesEveryOutput() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        for modelType in ["nb", "scgen"] {
            let output = directory.appendingPathComponent(modelType).path
            // nb also selects genes (seurat_v3 on the 400), scgen uses them all.
            let extra = modelType == "scgen" ? Self.narrowScGen : ["--n-top-genes", "200"]
            let genes = modelType == "scgen" ? 400 : 200
            let result = try CLIRunner.run(["predict", Self.kang] + Self.design + ["--target", "CD4T", "--holdout"]
                                           + Self.fast + extra + ["-o", output])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stderr.contains("all but the 'stim' cells of 'CD4T' (60 left out)"), result.stderr)
            XCTAssertTrue(result.stdout.contains("CD4T: R² all genes"), result.stdout)
            for name in ["predicted.h5ad", "delta.csv", "gene_means.csv", "metrics.json", "run_info.json"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: "\(output)/\(name)"), "\(modelType): missing \(name)")
            }
            let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(output)/metrics.json"))) as! [String: Any]
            XCTAssertEqual(metrics["cell_type"] as? String, "CD4T")
            XCTAssertEqual((metrics["top_degs"] as? [String])?.count, 100)
            let r2 = try XCTUnwrap(metrics["r2_all_genes"] as? Double)
            XCTAssertTrue((0...1).contains(r2), "\(modelType): R² \(r2)")
            let means = try String(contentsOfFile: "\(output)/gene_means.csv", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(means.first, "gene,control_mean,predicted_mean,stimulated_mean")
            XCTAssertEqual(means.count, 1 + genes)
            let delta = try String(contentsOfFile: "\(output)/delta.csv", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(delta.count, 1 + (modelType == "scgen" ? 8 : 10))
            let inspect = try CLIRunner.run(["inspect", "--json", "\(output)/predicted.h5ad"])
            let json = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
            XCTAssertEqual(json["n_obs"] as? Int, 60, "one predicted cell per CD4T control cell")
            XCTAssertEqual(json["n_vars"] as? Int, genes)
            XCTAssertNotNil((json["layers"] as? [String: Any])?["log_normalized"])
            let condition = (json["obs"] as! [String: Any])["condition"] as! [String: Any]
            XCTAssertEqual((condition["categories"] as? [String: Int])?["ctrl"] ?? 0, 0, "predicted cells must carry the stimulated label")
            let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(output)/run_info.json"))) as! [String: Any]
            XCTAssertEqual((info["settings"] as? [String: Any])?["model_type"] as? String, modelType)
        }
    }

    func testSameSeedGivesTheSameOutputs() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        for (name, model) in [("nb", [String]()), ("scgen", Self.narrowScGen)] {
            var outputs: [[String]] = []
            for run in 0..<2 {
                let output = directory.appendingPathComponent("\(name)\(run)").path
                let result = try CLIRunner.run(["predict", Self.kang] + Self.design + ["--target", "B", "--seed", "7"]
                                               + model + Self.fast + ["--threads", "2", "-o", output])
                XCTAssertEqual(result.status, 0, result.stderr)
                outputs.append(try ["delta.csv", "gene_means.csv"].map { try String(contentsOfFile: "\(output)/\($0)", encoding: .utf8) })
            }
            XCTAssertEqual(outputs[0], outputs[1], "\(name): same seed, different results")
        }
    }

    func testAllCellTypesWritesOneRowPerEvaluableType() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        for (name, model) in [("nb", [String]()), ("scgen", Self.narrowScGen)] {
            let output = directory.appendingPathComponent(name).path
            let result = try CLIRunner.run(["predict", Self.kang] + Self.design + ["--all-cell-types", "--epochs", "1", "--threads", "1"]
                                           + model + ["-o", output])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stderr.contains("skipping cell types with fewer than 3 'ctrl' or 'stim' cells: Dendritic, other"), result.stderr)
            let table = try String(contentsOfFile: "\(output)/metrics.csv", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(table.first, "cell_type,r2_all_genes,r2_top_degs,baseline_r2_all_genes,baseline_r2_top_degs,control_cells,stimulated_cells,epochs,seconds")
            XCTAssertEqual(table.dropFirst().map { String($0.prefix { $0 != "," }) }, ["B", "CD14+Mono", "CD4T", "NK"])
            let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(output)/metrics.json"))) as! [[String: Any]]
            XCTAssertEqual(metrics.count, 4)
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(output)/predicted.h5ad"))
        }
    }

    /// --save-model writes model.h5; --model with it gives the same prediction (the file says which VAE).
    func testSavedModelsPredictTheSameAndKeepTheirType() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        for (name, model) in [("nb", [String]()), ("scgen", Self.narrowScGen)] {
            let trained = directory.appendingPathComponent("\(name)-trained").path, reused = directory.appendingPathComponent("\(name)-reused").path
            let first = try CLIRunner.run(["predict", Self.kang] + Self.design + ["--target", "CD4T", "--holdout", "--seed", "3", "--save-model"]
                                          + model + Self.fast + ["-o", trained])
            XCTAssertEqual(first.status, 0, first.stderr)
            let second = try CLIRunner.run(["predict", Self.kang] + Self.design + ["--target", "CD4T", "--holdout", "--seed", "3",
                                                                                   "--model", "\(trained)/model.h5", "--threads", "1", "-o", reused])
            XCTAssertEqual(second.status, 0, second.stderr)
            for file in ["delta.csv", "gene_means.csv"] {
                XCTAssertEqual(try String(contentsOfFile: "\(trained)/\(file)", encoding: .utf8),
                               try String(contentsOfFile: "\(reused)/\(file)", encoding: .utf8), "\(name): \(file)")
            }
            let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(reused)/run_info.json"))) as! [String: Any]
            XCTAssertEqual((info["settings"] as? [String: Any])?["model_type"] as? String, name)
        }
        let wrongType = directory.appendingPathComponent("wrong").path
        let result = try CLIRunner.run(["predict", Self.kang] + Self.design + ["--target", "CD4T", "--model-type", "scgen",
                                       "--model", directory.appendingPathComponent("nb-trained/model.h5").path, "-o", wrongType])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--model-type scgen, but") && result.stderr.contains("is an NB VAE"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: wrongType))
    }

    /// Enough training on the fixture that the NB VAE's prediction beats the control-cells baseline.
    func testTrainedPredictionBeatsTheControlBaseline() throws {
        let output = try CLIRunner.temporaryDirectory(self).appendingPathComponent("trained").path
        let result = try CLIRunner.run(["predict", Self.kang] + Self.design + ["--target", "CD4T", "--holdout", "--epochs", "60", "--threads", "2", "-o", output])
        XCTAssertEqual(result.status, 0, result.stderr)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(output)/metrics.json"))) as! [String: Any]
        let r2 = try XCTUnwrap(metrics["r2_top_degs"] as? Double), baseline = try XCTUnwrap(metrics["baseline_r2_top_degs"] as? Double)
        XCTAssertGreaterThan(r2, baseline + 0.2, "top-100 DEGs: R² \(r2) vs control baseline \(baseline)")
    }
}
