import Foundation
import XCTest

/// `cellvi evaluate` and `cellvi cluster` on the embedding that `cellvi train` wrote.
final class EvaluateAndClusterTests: XCTestCase {
    static let mouseES = CLIRunner.datasets.appendingPathComponent("scmerge_mesc_2batch/scmerge_mesc_2batch.h5ad").path

    private func trainedOutput(_ directory: URL, dataset: String = ModelCommandsTests.dataset, batchKey: String = "groups") throws -> String {
        let out = directory.appendingPathComponent("train")
        let result = try CLIRunner.run(["train", dataset, "--batch-key", batchKey, "--likelihood", "nb",
                                        "--epochs", "3", "--hidden-dim", "16", "--latent-dim", "4", "--batch-size", "32",
                                        "--threads", "1", "-o", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        return out.appendingPathComponent("cellvi.h5ad").path
    }

    func testEvaluatePrintsEveryMetric() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        let file = try trainedOutput(directory, dataset: Self.mouseES, batchKey: "batch")
        let result = try CLIRunner.run(["evaluate", file, "--embedding", "X_scVI", "--batch-key", "batch",
                                        "--labels-key", "cell_type", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Double]
        let keys = ["silhouette_label", "silhouette_batch", "ilisi", "clisi", "kbet", "graph_connectivity", "isolated_labels",
                    "nmi", "ari", "pcr_comparison", "bio_conservation", "batch_correction", "total"]
        XCTAssertEqual(Set(json.keys), Set(keys))
        for key in keys where key != "ari" { XCTAssertTrue((0...1).contains(json[key]!), "\(key) = \(json[key]!)") }
        XCTAssertEqual(json["total"]!, 0.6 * json["bio_conservation"]! + 0.4 * json["batch_correction"]!, accuracy: 1e-9)
        let bio = ["silhouette_label", "clisi", "isolated_labels", "nmi", "ari"].map { json[$0]! }.reduce(0, +) / 5
        XCTAssertEqual(json["bio_conservation"]!, bio, accuracy: 1e-9)

        let table = try CLIRunner.run(["evaluate", file, "--batch-key", "batch", "--labels-key", "cell_type"])
        XCTAssertTrue(table.stdout.contains("Total") && table.stdout.contains("iLISI"), table.stdout)

        let missing = try CLIRunner.run(["evaluate", file, "--embedding", "X_nope", "--batch-key", "batch", "--labels-key", "cell_type"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("obsm/X_nope") && missing.stderr.contains("X_scVI"), missing.stderr)
    }

    func testClusterWritesScanpyNeighborsAndLeiden() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        let file = try trainedOutput(directory)
        let output = directory.appendingPathComponent("clusters.h5ad").path
        let csv = directory.appendingPathComponent("clusters.csv").path
        let result = try CLIRunner.run(["cluster", file, "--embedding", "X_scVI", "--n-neighbors", "10", "--resolution", "0.8",
                                        "--seed", "1", "-o", output, "--csv", csv])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "cell,leiden")
        XCTAssertEqual(lines.count, 81)
        let summary = try JSONSerialization.jsonObject(with: Data(try CLIRunner.run(["inspect", "--json", output]).stdout.utf8)) as! [String: Any]
        let leiden = (summary["obs"] as! [String: Any])["leiden"] as! [String: Any]
        XCTAssertEqual(leiden["type"] as? String, "categorical")
        XCTAssertEqual((leiden["categories"] as! [String: Int]).values.reduce(0, +), 80)

        let again = directory.appendingPathComponent("again.h5ad").path
        XCTAssertEqual(try CLIRunner.run(["cluster", file, "--n-neighbors", "10", "--resolution", "0.8", "--seed", "1", "-o", again]).status, 0)
        let check = try CLIRunner.python("""
            import sys, anndata, scanpy as sc, numpy as np
            a, b = anndata.read_h5ad(sys.argv[1]), anndata.read_h5ad(sys.argv[2])
            assert (a.obs["leiden"] == b.obs["leiden"]).all(), "same seed, same clusters"
            assert a.obsp["distances"].shape == (80, 80) and a.obsp["distances"].getnnz(axis=1).max() == 9
            c = a.obsp["connectivities"]; assert abs(c - c.T).max() < 1e-6, "connectivities are symmetric"
            assert a.uns["neighbors"]["params"]["n_neighbors"] == 10
            sc.tl.umap(a)
            assert a.obsm["X_umap"].shape == (80, 2)
            """, arguments: [output, again])
        XCTAssertEqual(check.status, 0, check.stderr)
    }
}
