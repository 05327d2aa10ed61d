import Foundation
import XCTest

final class InspectAndConvertTests: XCTestCase {
    func testHelpListsEverySubcommandAndFlags() throws {
        let root = try CLIRunner.run(["--help"])
        XCTAssertEqual(root.status, 0)
        let verbs = ["inspect", "convert", "train", "embed", "normalize", "elbo", "sample", "predict", "evaluate", "cluster"]
        for verb in verbs {
            XCTAssertTrue(root.stdout.contains(verb), "help lacks \(verb)")
            let help = try CLIRunner.run([verb, "--help"])
            XCTAssertEqual(help.status, 0, verb)
            XCTAssertTrue(help.stdout.contains("USAGE: cellvi \(verb)"), "\(verb) help: \(help.stdout)")
        }
        let version = try CLIRunner.run(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertFalse(version.stdout.isEmpty)
        let inspect = try CLIRunner.run(["inspect", "--help"])
        XCTAssertTrue(inspect.stdout.contains("--json"))
        let convert = try CLIRunner.run(["convert", "--help"])
        for flag in ["--n-top-genes", "--batch-key", "--layer"] { XCTAssertTrue(convert.stdout.contains(flag), "convert help lacks \(flag)") }
    }

    func testInspectJSONHasTheDocumentedKeys() throws {
        let file = CLIRunner.fixtures.appendingPathComponent("h5ad/obs_columns.h5ad").path
        let result = try CLIRunner.run(["inspect", "--json", file])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["n_obs"] as? Int, 8)
        XCTAssertEqual(json["n_vars"] as? Int, 6)
        let x = json["x"] as! [String: Any]
        XCTAssertEqual(x["encoding"] as? String, "csr_matrix")
        XCTAssertEqual(x["dtype"] as? String, "int32")
        XCTAssertEqual(x["nnz"] as? Int, 22)
        XCTAssertEqual(x["integer"] as? Bool, true)
        XCTAssertEqual(x["nonnegative"] as? Bool, true)
        let batch = (json["obs"] as! [String: Any])["batch"] as! [String: Any]
        XCTAssertEqual(batch["type"] as? String, "categorical")
        XCTAssertEqual(batch["categories"] as? [String: Int], ["b1": 3, "b2": 2, "b3": 1])
        XCTAssertNotNil(json["var"] as? [String: Any])
        XCTAssertNotNil(json["layers"] as? [String: Any])
        XCTAssertNotNil(json["obsm"] as? [String: Any])
        let layers = try CLIRunner.run(["inspect", "--json", CLIRunner.fixtures.appendingPathComponent("h5ad/layers_obsm_uns.h5ad").path])
        let layersJSON = try JSONSerialization.jsonObject(with: Data(layers.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(((layersJSON["layers"] as! [String: Any])["counts"] as! [String: Any])["nnz"] as? Int, 21)
        XCTAssertEqual((layersJSON["obsm"] as! [String: Any])["X_pca"] as? [Int], [8, 3])
    }

    func testInspectReadsEveryInputFormat() throws {
        for path in ["h5ad/legacy_pre07.h5ad", "h5ad/legacy_v07.h5ad", "10x/v3_filtered_feature_bc_matrix.h5", "10x/v2_legacy_matrix.h5",
                     "10x/v3_mtx", "10x/v2_mtx"] {
            let result = try CLIRunner.run(["inspect", CLIRunner.fixtures.appendingPathComponent(path).path])
            XCTAssertEqual(result.status, 0, "\(path): \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("looks like raw counts"), path)
        }
    }

    func testBadInputsExitNonZeroNamingTheFile() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        for name in ["bad_not_hdf5.h5ad", "bad_truncated.h5ad", "bad_lzf.h5ad", "bad_unknown_encoding.h5ad", "bad_missing_obs.h5ad",
                     "bad_indptr_length.h5ad", "bad_index_out_of_range.h5ad"] {
            let path = CLIRunner.fixtures.appendingPathComponent("h5ad/\(name)").path
            let inspect = try CLIRunner.run(["inspect", path])
            XCTAssertNotEqual(inspect.status, 0, name)
            XCTAssertTrue(inspect.stderr.contains(path), "\(name): \(inspect.stderr)")
            let output = directory.appendingPathComponent("out.h5ad").path
            let convert = try CLIRunner.run(["convert", path, output])
            XCTAssertNotEqual(convert.status, 0, name)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(name): partial output written")
        }
        let missing = try CLIRunner.run(["inspect", "/no/such/file.h5ad"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("no such file"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    func testConvertRefusesToOverwriteItsInput() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        let input = directory.appendingPathComponent("in.h5ad")
        try FileManager.default.copyItem(at: CLIRunner.fixtures.appendingPathComponent("h5ad/csr_int32.h5ad"), to: input)
        let before = try Data(contentsOf: input)
        let result = try CLIRunner.run(["convert", input.path, input.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(try Data(contentsOf: input), before)
    }

    func testConvertLegacyAnd10xToCurrentH5ADReadableByAnndata() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        var outputs: [String] = []
        for (index, input) in ["h5ad/legacy_pre07.h5ad", "h5ad/legacy_v07.h5ad", "10x/v3_filtered_feature_bc_matrix.h5", "10x/v3_mtx"].enumerated() {
            let output = directory.appendingPathComponent("converted\(index).h5ad").path
            let result = try CLIRunner.run(["convert", CLIRunner.fixtures.appendingPathComponent(input).path, output])
            XCTAssertEqual(result.status, 0, "\(input): \(result.stderr)")
            let inspect = try CLIRunner.run(["inspect", "--json", output])
            let json = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
            XCTAssertTrue((json["layout"] as? String ?? "").contains("0.8"), input)
            outputs.append(output)
        }
        let check = try CLIRunner.python("""
            import sys, anndata
            for p in sys.argv[1:]:
                a = anndata.read_h5ad(p)
                assert a.n_obs > 0 and a.n_vars > 0, p
                assert a.X.format == "csr", p
            a = anndata.read_h5ad(sys.argv[1])
            assert list(a.obs["louvain"].cat.categories) == ["0", "1"], a.obs
            t = anndata.read_h5ad(sys.argv[3])
            assert "gene_ids" in t.var.columns, t.var
            """, arguments: outputs)
        XCTAssertEqual(check.status, 0, check.stderr)
    }

    func testConvertWithHighlyVariableGenesWritesTheSubset() throws {
        let directory = try CLIRunner.temporaryDirectory(self)
        let output = directory.appendingPathComponent("hvg.h5ad").path
        let input = CLIRunner.datasets.appendingPathComponent("scmerge_mesc_2batch/scmerge_mesc_2batch.h5ad").path
        let result = try CLIRunner.run(["convert", input, output, "--n-top-genes", "300", "--batch-key", "batch"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let inspect = try CLIRunner.run(["inspect", "--json", output])
        let json = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["n_vars"] as? Int, 300)
        XCTAssertEqual(json["n_obs"] as? Int, 300)
        let bad = try CLIRunner.run(["convert", input, directory.appendingPathComponent("x.h5ad").path, "--n-top-genes", "10", "--batch-key", "nope"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("obs/nope"), bad.stderr)
    }
}
