import CellviKernels
import Foundation
import XCTest
@testable import CellviIO

/// The Cell Ranger `.h5` reader against fixtures whose expected values come from `scanpy.read_10x_h5`.
final class TenXHDF5ReaderTests: XCTestCase {
    private let tenX = WriterTestSupport.fixtures.appendingPathComponent("10x")

    private func fixture(_ name: String) -> String { tenX.appendingPathComponent(name).path }

    private func expected(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: tenX.appendingPathComponent("\(name).expected.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    private func dense(_ rows: Any?) -> [Float] {
        (rows as! [[Double]]).flatMap { $0.map { Float($0) } }
    }

    /// Compares one scanpy description (`gex_only` / `all_features`) with what we read.
    private func assertMatches(_ data: AnnData, _ scanpy: [String: Any], varNames: [String]? = nil, _ label: String) {
        let shape = scanpy["shape"] as! [Int]
        XCTAssertEqual([data.observationCount, data.variableCount], shape, label)
        XCTAssertEqual(data.obsNames, scanpy["obs_names"] as! [String], label)
        XCTAssertEqual(data.varNames, varNames ?? scanpy["var_names"] as! [String], label)
        let x = scanpy["X"] as! [String: Any]
        XCTAssertEqual(data.x?.densified().values, dense(x["dense"]), label)
        XCTAssertEqual(data.x?.nonZeroCount, x["nnz"] as? Int, label)
        let columns = (scanpy["var"] as! [String: Any])["columns"] as! [[String: Any]]
        XCTAssertEqual(data.vars.columnNames, columns.map { $0["name"] as! String }, label)
        for column in columns {
            let name = column["name"] as! String
            XCTAssertEqual(data.vars[name], .strings((column["values"] as! [String]).map { $0 }), "\(label) var[\(name)]")
        }
        XCTAssertEqual(data.obs.columnNames, [], label)
    }

    func testV3GeneExpressionOnlyAsScanpyReadsIt() throws {
        let scanpy = try expected("v3_filtered_feature_bc_matrix.h5")["gex_only"] as! [String: Any]
        let options = TenXHDF5ReadOptions(makeVarNamesUnique: false)
        let data = try TenXHDF5Reader.read(path: fixture("v3_filtered_feature_bc_matrix.h5"), options: options)
        assertMatches(data, scanpy, "gex_only")
    }

    func testV3VarNamesMadeUniqueByDefault() throws {
        let scanpy = try expected("v3_filtered_feature_bc_matrix.h5")["gex_only"] as! [String: Any]
        let unique = scanpy["var_names_make_unique"] as? [String] ?? makeUnique(scanpy["var_names"] as! [String])
        XCTAssertEqual(Array(unique[1...6]), ["TSPAN6", "CD3E", "TSPAN6-2", "LYZ", "TSPAN6-1", "TSPAN6-3"])
        let data = try TenXHDF5Reader.read(path: fixture("v3_filtered_feature_bc_matrix.h5"))
        assertMatches(data, scanpy, varNames: unique, "gex_only unique")
    }

    func testV3AllFeatures() throws {
        let scanpy = try expected("v3_filtered_feature_bc_matrix.h5")["all_features"] as! [String: Any]
        let options = TenXHDF5ReadOptions(geneExpressionOnly: false, makeVarNamesUnique: false)
        let data = try TenXHDF5Reader.read(path: fixture("v3_filtered_feature_bc_matrix.h5"), options: options)
        assertMatches(data, scanpy, "all_features")
    }

    func testV3GenomeFilterAndUnknownGenome() throws {
        let path = fixture("v3_filtered_feature_bc_matrix.h5")
        let human = try TenXHDF5Reader.read(path: path, options: TenXHDF5ReadOptions(geneExpressionOnly: false, genome: "GRCh38"))
        XCTAssertEqual(human.variableCount, 10)
        XCTAssertThrowsError(try TenXHDF5Reader.read(path: path, options: TenXHDF5ReadOptions(genome: "mm10"))) { error in
            guard case CellviIOError.missingKey(_, _, let available, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(available, ["GRCh38", ""])
        }
    }

    func testLegacySingleGenome() throws {
        let scanpy = try expected("v2_legacy_matrix.h5")["gex_only"] as! [String: Any]
        let data = try TenXHDF5Reader.read(path: fixture("v2_legacy_matrix.h5"), options: TenXHDF5ReadOptions(makeVarNamesUnique: false))
        assertMatches(data, scanpy, "legacy")
    }

    func testLegacyTwoGenomesNeedAChoice() throws {
        let path = fixture("legacy_two_genomes.h5")
        let expected = try expected("legacy_two_genomes.h5")
        XCTAssertThrowsError(try TenXHDF5Reader.read(path: path)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("GRCh38") && message.contains("mm10") && message.contains("--genome"), message)
        }
        XCTAssertThrowsError(try TenXHDF5Reader.read(path: path, options: TenXHDF5ReadOptions(genome: "hg19"))) { error in
            guard case CellviIOError.missingKey(_, _, let available, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(available, ["GRCh38", "mm10"])
        }
        for (genome, scanpy) in expected["by_genome"] as! [String: [String: Any]] {
            let data = try TenXHDF5Reader.read(path: path, options: TenXHDF5ReadOptions(genome: genome))
            XCTAssertEqual([data.observationCount, data.variableCount], scanpy["shape"] as! [Int], genome)
            XCTAssertEqual(data.obsNames, scanpy["obs_names"] as! [String], genome)
            XCTAssertEqual(data.varNames, scanpy["var_names"] as! [String], genome)
            XCTAssertEqual(data.vars["gene_ids"], .strings(scanpy["gene_ids"] as! [String]), genome)
            XCTAssertEqual(data.x?.densified().values, dense(scanpy["dense"]), genome)
        }
    }

    func testBrokenFilesAreClearErrorsNamingTheArray() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: tenX.path)
            .filter { $0.hasPrefix("bad_h5_") && $0.hasSuffix(".h5") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 5)
        for name in names {
            let error = try expected(name)["error"] as! [String: String]
            XCTAssertThrowsError(try TenXHDF5Reader.read(path: fixture(name)), name) { thrown in
                guard case CellviIOError.invalid(let file, let key, _, let fix) = thrown else { return XCTFail("\(name): \(thrown)") }
                XCTAssertEqual(file, self.fixture(name))
                XCTAssertEqual(key, error["key"], "\(name): \(thrown)")
                XCTAssertFalse(fix.isEmpty)
            }
        }
    }

    func testAnH5ADIsNotA10xFile() {
        let h5ad = WriterTestSupport.fixtures.appendingPathComponent("h5ad/csr_float32.h5ad").path
        XCTAssertThrowsError(try TenXHDF5Reader.read(path: h5ad)) { XCTAssertTrue("\($0)".contains("Cell Ranger"), "\($0)") }
    }

    func testDetectInputFormat() throws {
        XCTAssertEqual(try detectInputFormat(path: fixture("v3_filtered_feature_bc_matrix.h5")), .tenXHDF5)
        XCTAssertEqual(try detectInputFormat(path: fixture("v2_legacy_matrix.h5")), .tenXHDF5)
        XCTAssertEqual(try detectInputFormat(path: fixture("legacy_two_genomes.h5")), .tenXHDF5)
        XCTAssertEqual(try detectInputFormat(path: fixture("v3_mtx")), .tenXMatrixMarket)
        for name in ["csr_float32", "dense_float64", "csc_float32"] {
            let h5ad = WriterTestSupport.fixtures.appendingPathComponent("h5ad/\(name).h5ad").path
            XCTAssertEqual(try detectInputFormat(path: h5ad), .h5ad, name)
        }
        // An .h5ad whose obs has a `barcodes` column is still an .h5ad.
        let directory = try WriterTestSupport.temporaryDirectory("detect")
        defer { try? FileManager.default.removeItem(at: directory) }
        var data = AnnData(obs: DataFrame(index: ["c"]), vars: DataFrame(index: ["g"]), x: nil)
        data.obs["barcodes"] = .strings(["AAAC-1"])
        let written = directory.appendingPathComponent("barcodes.h5ad").path
        try H5ADWriter.write(data, to: written)
        XCTAssertEqual(try detectInputFormat(path: written), .h5ad)
        XCTAssertThrowsError(try detectInputFormat(path: directory.appendingPathComponent("missing.h5").path))
    }
}
