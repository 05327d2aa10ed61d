import CellviIO
import CellviKernels
import Foundation
import XCTest

/// Reads every `.h5ad` fixture written by anndata / h5py and compares each field with the
/// expected values the generator stored beside it (Tests/Fixtures/make_fixtures.py).
final class H5ADReaderFixtureTests: XCTestCase {
    func testEveryGoodFixtureMatchesItsSidecar() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: FixturePaths.h5ad.path)
            .filter { $0.hasSuffix(".h5ad") && !$0.hasPrefix("bad_") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 13)
        for name in files {
            let url = FixturePaths.h5ad.appendingPathComponent(name)
            let expected = try FixturePaths.expected(url)
            let data = try H5ADReader.read(path: url.path)
            check(data, against: expected, fixture: name)
        }
    }

    func testLayoutDetection() throws {
        XCTAssertEqual(try H5ADFile(path: FixturePaths.h5ad.appendingPathComponent("legacy_pre07.h5ad").path).layout, .legacy)
        XCTAssertEqual(try H5ADFile(path: FixturePaths.h5ad.appendingPathComponent("legacy_v07.h5ad").path).layout, .anndata07)
        XCTAssertEqual(try H5ADFile(path: FixturePaths.h5ad.appendingPathComponent("csr_int32.h5ad").path).layout,
                       .current(version: "0.1.0"))
    }

    func testStoredMatrixSummaries() throws {
        let file = try H5ADFile(path: FixturePaths.h5ad.appendingPathComponent("layers_obsm_uns.h5ad").path)
        let (_, counts) = try file.readMatrix(key: "layers/counts")
        XCTAssertEqual(counts.encoding, "csr_matrix"); XCTAssertEqual(counts.dtype, "int32"); XCTAssertTrue(counts.looksLikeRawCounts)
        let (_, normalized) = try file.readMatrix(key: "layers/normalized")
        XCTAssertFalse(normalized.isInteger)
        let (_, dense) = try file.readMatrix(key: "layers/dense_layer")
        XCTAssertEqual(dense.encoding, "array")
        let csc = try H5ADFile(path: FixturePaths.h5ad.appendingPathComponent("csc_float32.h5ad").path).readMatrix(key: "X").1
        XCTAssertEqual(csc.encoding, "csc_matrix")
    }

    func testBadFilesGiveOneClearError() throws {
        let cases: [(String, String)] = [
            ("bad_index_out_of_range.h5ad", "X/indices"),
            ("bad_indptr_length.h5ad", "X/indptr"),
            ("bad_missing_obs.h5ad", "obs"),
            ("bad_not_hdf5.h5ad", "not a readable HDF5 file"),
            ("bad_truncated.h5ad", "not a readable HDF5 file"),
            ("bad_unknown_encoding.h5ad", "coo_matrix"),
            ("bad_lzf.h5ad", "lzf"),
        ]
        for (name, mention) in cases {
            let path = FixturePaths.h5ad.appendingPathComponent(name).path
            XCTAssertThrowsError(try H5ADReader.read(path: path), name) { error in
                let message = String(describing: error)
                XCTAssertTrue(message.contains(path), "\(name): message does not name the file: \(message)")
                XCTAssertTrue(message.contains(mention), "\(name): message does not mention \(mention): \(message)")
            }
        }
        XCTAssertThrowsError(try H5ADReader.read(path: "/nonexistent/file.h5ad")) { error in
            XCTAssertTrue(String(describing: error).contains("no such file"))
        }
    }

    func testCountValidationNamesTheEntry() throws {
        for (name, problem) in [("bad_negative_counts.h5ad", "negative count -2 (entry 4)"), ("bad_nan_counts.h5ad", "NaN count (entry 1)")] {
            let path = FixturePaths.h5ad.appendingPathComponent(name).path
            let data = try H5ADReader.read(path: path)
            XCTAssertThrowsError(try requireRawCounts(data.x!, file: path, key: "X")) { error in
                let message = String(describing: error)
                XCTAssertTrue(message.contains("X/data") && message.contains(problem) && message.contains("--layer"), message)
            }
        }
        let good = try H5ADReader.read(path: FixturePaths.h5ad.appendingPathComponent("csr_int32.h5ad").path)
        XCTAssertNoThrow(try requireRawCounts(good.x!, file: "f", key: "X"))
    }

    func testEveryBundledAndSharedDatasetReads() throws {
        var checked = 0
        for directory in [FixturePaths.bundledDatasets, FixturePaths.sharedDatasets] {
            guard let folders = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { continue }
            for folder in folders.sorted() {
                let path = directory.appendingPathComponent(folder).appendingPathComponent(folder + ".h5ad").path
                guard FileManager.default.fileExists(atPath: path) else { continue }
                let data = try H5ADReader.read(path: path, options: .countsOnly)
                XCTAssertEqual(data.x?.rowCount, data.observationCount, path)
                XCTAssertEqual(data.x?.columnCount, data.variableCount, path)
                XCTAssertNoThrow(try requireRawCounts(data.x!, file: path, key: "X"), path)
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0)
    }

    // MARK: Comparison with the sidecar

    private func check(_ data: AnnData, against expected: [String: Any], fixture: String) {
        let shape = expected["shape"] as! [Int]
        XCTAssertEqual([data.observationCount, data.variableCount], shape, fixture)
        XCTAssertEqual(data.obsNames, expected["obs_names"] as? [String], fixture)
        XCTAssertEqual(data.varNames, expected["var_names"] as? [String], fixture)
        if let x = expected["X"] as? [String: Any] {
            checkMatrix(data.x, x, "\(fixture) X")
        }
        if let obs = expected["obs"] as? [String: Any] { checkFrame(data.obs, obs, "\(fixture) obs") }
        if let vars = expected["var"] as? [String: Any] { checkFrame(data.vars, vars, "\(fixture) var") }
        for (name, layer) in expected["layers"] as? [String: Any] ?? [:] {
            checkMatrix(data.layers[name], layer as! [String: Any], "\(fixture) layers/\(name)")
        }
        for (name, value) in expected["obsm"] as? [String: Any] ?? [:] {
            let matrix = data.obsm[name]
            let dense = (value as! [String: Any])["dense"] as! [[Double]]
            XCTAssertEqual(matrix?.rows, dense.count, "\(fixture) obsm/\(name)")
            for (r, row) in dense.enumerated() {
                for (c, v) in row.enumerated() { XCTAssertEqual(Double(matrix?[r, c] ?? .nan), v, accuracy: 1e-6, "\(fixture) obsm/\(name)") }
            }
        }
        for (key, value) in expected["uns"] as? [String: Any] ?? [:] {
            let entry = value as! [String: Any]
            let actual = data.uns[key]
            switch entry["type"] as! String {
            case "string": XCTAssertEqual(actual, .string(entry["value"] as! String), "\(fixture) uns/\(key)")
            case "strings": XCTAssertEqual(actual, .strings(entry["value"] as! [String]), "\(fixture) uns/\(key)")
            case "integer": XCTAssertEqual(actual, .integer(Int64(entry["value"] as! Int)), "\(fixture) uns/\(key)")
            case "double": XCTAssertEqual(actual, .double(entry["value"] as! Double), "\(fixture) uns/\(key)")
            case "doubles": XCTAssertEqual(actual, .doubles(entry["value"] as! [Double]), "\(fixture) uns/\(key)")
            case "boolean": XCTAssertEqual(actual, .boolean(entry["value"] as! Bool), "\(fixture) uns/\(key)")
            case let other: XCTFail("\(fixture): unknown uns type \(other)")
            }
        }
        if let raw = expected["raw"] as? [String: Any] {
            XCTAssertNotNil(data.raw, "\(fixture) raw")
            XCTAssertEqual(data.raw?.vars.index, raw["var_names"] as? [String], "\(fixture) raw var")
            if let x = raw["X"] as? [String: Any] { checkMatrix(data.raw?.x, x, "\(fixture) raw/X") }
            if let vars = raw["var"] as? [String: Any], let rawVars = data.raw?.vars { checkFrame(rawVars, vars, "\(fixture) raw/var") }
        } else {
            XCTAssertNil(data.raw, "\(fixture) raw")
        }
    }

    private func checkMatrix(_ matrix: CSRMatrix?, _ expected: [String: Any], _ label: String) {
        guard let matrix else { return XCTFail("\(label): missing") }
        let dense = (expected["dense"] as! [[Any]]).map { $0.map { ($0 as? Double) ?? Double($0 as? Int ?? 0) } }
        XCTAssertEqual(matrix.rowCount, dense.count, label)
        let actual = matrix.densified()
        for (r, row) in dense.enumerated() {
            XCTAssertEqual(actual.columns, row.count, label)
            for (c, v) in row.enumerated() where c < actual.columns {
                XCTAssertEqual(Double(actual[r, c]), v, accuracy: 1e-5 * max(1, abs(v)), "\(label)[\(r), \(c)]")
            }
        }
    }

    private func checkFrame(_ frame: DataFrame, _ expected: [String: Any], _ label: String) {
        XCTAssertEqual(frame.index, expected["index"] as? [String], label)
        let columns = expected["columns"] as! [[String: Any]]
        XCTAssertEqual(frame.columnNames, columns.map { $0["name"] as! String }, label)
        for column in columns {
            let name = column["name"] as! String
            guard let actual = frame[name] else { XCTFail("\(label)/\(name) missing"); continue }
            XCTAssertEqual(actual.typeName, column["type"] as? String, "\(label)/\(name)")
            let values = column["values"] as! [Any]
            switch actual {
            case .categorical(let codes, let categories, let ordered):
                XCTAssertEqual(categories, column["categories"] as? [String], "\(label)/\(name)")
                XCTAssertEqual(codes.map { Int($0) }, column["codes"] as? [Int], "\(label)/\(name)")
                XCTAssertEqual(ordered, column["ordered"] as? Bool, "\(label)/\(name)")
            case .doubles(let v):
                for (a, e) in zip(v, values) {
                    if let e = e as? Double { XCTAssertEqual(a, e, accuracy: 1e-12, "\(label)/\(name)") }
                    else if let e = e as? Int { XCTAssertEqual(a, Double(e), "\(label)/\(name)") }
                    else { XCTAssertTrue(a.isNaN, "\(label)/\(name)") }
                }
            default:
                let isBoolean = actual.typeName.hasSuffix("bool")
                let expectedLabels = values.map { v -> String? in
                    if v is NSNull { return nil }
                    if isBoolean { return (v as? Bool).map { String($0) } }
                    if let i = v as? Int { return String(i) }
                    return v as? String
                }
                XCTAssertEqual(actual.labels, expectedLabels, "\(label)/\(name)")
            }
        }
    }
}
