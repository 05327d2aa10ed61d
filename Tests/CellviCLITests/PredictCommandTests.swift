import Foundation
import XCTest

/// `cellvi predict`: help, bad-input errors (nothing written) and a small end-to-end run per model type.
final class PredictCommandTests: XCTestCase {
    static let kang = CLIRunner.datasets.appendingPathComponent("kang_combined_ifnb_scgen_3737/kang_combined_ifnb_scgen_3737.h5ad").path
    static let design = ["--condition-key", "condition", "--control", "ctrl", "--stimulated", "stim", "--cell-type-key", "cell_type"]
    /// Small and fast: 100 HVGs, two epochs, a narrow scGen net.
    static let small = ["--n-top-genes", "100", "--epochs", "2", "--threads", "1"]

    func testHelpListsTheFlags() throws {
        let help = try CLIRunner.run(["predict", "--help"])
        XCTAssertEqual(help.status, 0)
        for flag in ["--condition-key", "--control", "--stimulated", "--cell-type-key", "--target", "--holdout", "--all-cell-types",
                     "--model", "--model-type", "--seed", "--epochs", "--n-top-genes", "--batch-key"] {
            XCTAssertTrue(help.stdout.contains(flag), "predict help lacks \(flag)")
        }
        XCTAssertTrue(try CLIRunner.run(["--help"]).stdout.contains("predict"))
    }

    func testBadLabelsFailNamingTheFlagAndWriteNothing() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        let cases: [([String], String)] = [
            (["--condition-key", "condition", "--control", "control", "--stimulated", "stim", "--cell-type-key", "cell_type", "--target", "CD4T"], "--control 'control'"),
            (["--condition-key", "condition", "--control", "ctrl", "--stimulated", "IFN", "--cell-type-key", "cell_type", "--target", "CD4T"], "--stimulated 'IFN'"),
            (Self.design + ["--target", "Neuron"], "--target 'Neuron'"),
            (["--condition-key", "treatment", "--control", "ctrl", "--stimulated", "stim", "--cell-type-key", "cell_type", "--target", "CD4T"], "--condition-key"),
            (Self.design, "--target is missing"),
        ]
        for (index, (arguments, expected)) in cases.enumerated() {
            let output = directory.appendingPathComponent("out\(index)").path
            let result = try CLIRunner.run(["predict", Self.kang] + arguments + Self.small + ["-o", output])
            XCTAssertNotEqual(result.status, 0, expected)
            XCTAssertTrue(result.stderr.contains(expected), "expected '\(expected)' in: \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(expected): output written")
        }
    }

    func testHoldoutRunWritesEveryOutput() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        for modelType in ["nb", "scgen"] {
            let output = directory.appendingPathComponent(modelType).path
            let extra = modelType == "scgen" ? ["--hidden-dim", "32", "--latent-dim", "8"] : []
            let result = try CLIRunner.run(["predict", Self.kang] + Self.design + ["--target", "CD4T", "--holdout", "--model-type", modelType]
                                           + Self.small + extra + ["-o", output])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stderr.contains("all but the 'stim' cells of 'CD4T'"), result.stderr)
            XCTAssertTrue(result.stdout.contains("CD4T: R² all genes"), result.stdout)
            for name in ["predicted.h5ad", "delta.csv", "gene_means.csv", "metrics.json", "run_info.json"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: "\(output)/\(name)"), "\(modelType): missing \(name)")
            }
            let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(output)/metrics.json"))) as! [String: Any]
            XCTAssertEqual(metrics["cell_type"] as? String, "CD4T")
            XCTAssertEqual((metrics["top_degs"] as? [String])?.count, 100)
            XCTAssertNotNil(metrics["r2_all_genes"] as? Double)
            let means = try String(contentsOfFile: "\(output)/gene_means.csv", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(means.first, "gene,control_mean,predicted_mean,stimulated_mean")
            XCTAssertEqual(means.count, 101)
            let delta = try String(contentsOfFile: "\(output)/delta.csv", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(delta.count, 1 + (modelType == "scgen" ? 8 : 10))
            let inspect = try CLIRunner.run(["inspect", "--json", "\(output)/predicted.h5ad"])
            let json = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
            XCTAssertEqual(json["n_vars"] as? Int, 100)
            XCTAssertNotNil((json["layers"] as? [String: Any])?["log_normalized"])
            let condition = (json["obs"] as! [String: Any])["condition"] as! [String: Any]
            XCTAssertEqual((condition["categories"] as? [String: Int])?["ctrl"] ?? 0, 0, "predicted cells must carry the stimulated label")
        }
    }

    func testSameSeedGivesTheSameDelta() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        var deltas: [String] = []
        for run in 0..<2 {
            let output = directory.appendingPathComponent("run\(run)").path
            let result = try CLIRunner.run(["predict", Self.kang] + Self.design + ["--target", "B", "--seed", "7"] + Self.small + ["-o", output])
            XCTAssertEqual(result.status, 0, result.stderr)
            deltas.append(try String(contentsOfFile: "\(output)/delta.csv", encoding: .utf8))
        }
        XCTAssertEqual(deltas[0], deltas[1])
    }

    func testAllCellTypesWritesOneRowPerEvaluableType() throws {
        let output = try CLIRunner.temporaryDirectory(self).appendingPathComponent("all").path
        let result = try CLIRunner.run(["predict", Self.kang] + Self.design + ["--all-cell-types", "--epochs", "1", "--n-top-genes", "50", "-o", output])
        XCTAssertEqual(result.status, 0, result.stderr)
        let table = try String(contentsOfFile: "\(output)/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(table.first, "cell_type,r2_all_genes,r2_top_degs,baseline_r2_all_genes,baseline_r2_top_degs,control_cells,stimulated_cells,epochs,seconds")
        XCTAssertEqual(table.count, 1 + 8)   // 8 types, including "other", have ≥ 3 cells per condition
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(output)/predicted.h5ad"))
    }
}
