import CellviIO
import CellviKernels
import Foundation
import XCTest

/// `TenXMatrixMarket.read` against folders whose expected values scanpy wrote
/// (Tests/Fixtures/make_fixtures.py → Tests/Fixtures/10x/<name>.expected.json).
final class TenXMatrixMarketTests: XCTestCase {
    private static let tenXFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/10x")

    private func folder(_ name: String) -> String { Self.tenXFolder.appendingPathComponent(name).path }

    private func expected(_ name: String) throws -> [String: Any] {
        let url = Self.tenXFolder.appendingPathComponent(name + ".expected.json")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// Shape, names, every X entry and the string var columns match scanpy's reading.
    private func assertMatches(_ data: AnnData, _ scanpy: [String: Any], file: StaticString = #filePath, line: UInt = #line) throws {
        let shape = try XCTUnwrap(scanpy["shape"] as? [Int])
        XCTAssertEqual([data.observationCount, data.variableCount], shape, "shape", file: file, line: line)
        XCTAssertEqual(data.obsNames, scanpy["obs_names"] as? [String], "obs names", file: file, line: line)
        XCTAssertEqual(data.varNames, scanpy["var_names"] as? [String], "var names", file: file, line: line)

        let x = try XCTUnwrap(scanpy["X"] as? [String: Any])
        let dense = try XCTUnwrap(x["dense"] as? [[Double]])
        let ours = try XCTUnwrap(data.x).densified()
        for r in 0..<shape[0] {
            XCTAssertEqual(ours.row(r).map(Double.init), dense[r], "X row \(r)", file: file, line: line)
        }
        XCTAssertEqual(data.x?.nonZeroCount, x["nnz"] as? Int, "nnz", file: file, line: line)

        let vars = try XCTUnwrap(scanpy["var"] as? [String: Any])
        let columns = try XCTUnwrap(vars["columns"] as? [[String: Any]])
        XCTAssertEqual(data.vars.columnNames, columns.map { $0["name"] as! String }, "var columns", file: file, line: line)
        for column in columns {
            let name = column["name"] as! String
            XCTAssertEqual(data.vars[name], .strings(column["values"] as! [String]), "var[\(name)]", file: file, line: line)
        }
    }

    func testReadsCellRangerV3FolderKeepingGeneExpression() throws {
        let data = try TenXMatrixMarket.read(directory: folder("v3_mtx"))
        try assertMatches(data, try XCTUnwrap(expected("v3_mtx")["gex_only"] as? [String: Any]))
    }

    func testReadsCellRangerV3FolderWithAllFeatures() throws {
        let data = try TenXMatrixMarket.read(directory: folder("v3_mtx"), geneExpressionOnly: false)
        try assertMatches(data, try XCTUnwrap(expected("v3_mtx")["all_features"] as? [String: Any]))
    }

    func testReadsCellRangerV2Folder() throws {
        let data = try TenXMatrixMarket.read(directory: folder("v2_mtx"))
        try assertMatches(data, try XCTUnwrap(expected("v2_mtx")["gex_only"] as? [String: Any]))
    }

    func testGeneIdsAsVarNamesKeepSymbolsInAColumn() throws {
        let data = try TenXMatrixMarket.read(directory: folder("v2_mtx"), varNames: .geneIds)
        XCTAssertEqual(data.varNames.first, "ENSG00000000000")
        XCTAssertEqual(data.vars["gene_symbols"]?.labels[3], "TSPAN6")
    }

    func testMalformedFoldersThrowErrorsNamingFileAndProblem() throws {
        let cases: [(folder: String, mentions: [String])] = [
            ("bad_mtx_header", ["matrix.mtx", "line 1", "unsupported format 'array'"]),
            ("bad_mtx_out_of_range", ["matrix.mtx", "line 4", "row index 11 out of range 1...10"]),
            ("bad_mtx_count_mismatch", ["matrix.mtx", "announces", "entries"]),
            ("bad_mtx_missing_barcodes", ["bad_mtx_missing_barcodes", "barcodes.tsv", "not found"]),
            ("bad_mtx_barcode_count", ["barcodes.tsv", "3 barcodes", "4 columns"]),
        ]
        for (name, mentions) in cases {
            XCTAssertNotNil(try expected(name)["error"], name)
            XCTAssertThrowsError(try TenXMatrixMarket.read(directory: folder(name)), name) { error in
                let message = String(describing: error)
                XCTAssertTrue(error is CellviIOError, "\(name): \(type(of: error))")
                for fragment in mentions { XCTAssertTrue(message.contains(fragment), "\(name): '\(fragment)' not in: \(message)") }
            }
        }
    }

    func testTruncatedGzipIsReportedAsDamaged() throws {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("cellvi-truncated-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: folder("v3_mtx"), toPath: temp.path)
        defer { try? FileManager.default.removeItem(at: temp) }
        let matrix = temp.appendingPathComponent("matrix.mtx.gz")
        let bytes = try Data(contentsOf: matrix)
        try bytes.prefix(bytes.count / 2).write(to: matrix)
        XCTAssertThrowsError(try TenXMatrixMarket.read(directory: temp.path)) { error in
            XCTAssertTrue(String(describing: error).contains("matrix.mtx.gz"), "\(error)")
        }
    }

    func testNotAFolder() {
        XCTAssertThrowsError(try TenXMatrixMarket.read(directory: folder("does_not_exist"))) { error in
            XCTAssertTrue(String(describing: error).contains("not a folder"), "\(error)")
        }
    }
}
