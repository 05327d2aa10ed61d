import CellviHDF5
import CellviKernels
import Foundation
import XCTest
@testable import CellviIO

final class H5ADWriterTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws { directory = try WriterTestSupport.temporaryDirectory("h5ad-writer") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func writeSample(_ name: String = "sample.h5ad", compression: Bool = true) throws -> (AnnData, HDF5Group) {
        let data = WriterTestSupport.everyFieldAnnData()
        try H5ADWriter.write(data, to: path(name), compression: compression)
        return (data, try HDF5File.open(path: path(name)).root)
    }

    private func encoding(_ object: HDF5Object) throws -> [String?] {
        [try object.attribute("encoding-type")?.stringValue, try object.attribute("encoding-version")?.stringValue]
    }

    // MARK: - Layout, read back through the HDF5 wrapper

    func testRootAndMatrixLayoutMatchAnndata() throws {
        let (data, root) = try writeSample()
        XCTAssertEqual(try encoding(root), ["anndata", "0.1.0"])
        let x = try root.group("X")
        XCTAssertEqual(try encoding(x), ["csr_matrix", "0.1.0"])
        XCTAssertEqual(try x.attribute("shape"), .ints([6, 4]))
        XCTAssertEqual(try x.dataset("data").elementType, .float(bytes: 4))
        XCTAssertEqual(try x.dataset("indices").elementType, .integer(bytes: 4, signed: true))
        XCTAssertEqual(try x.dataset("indptr").elementType, .integer(bytes: 4, signed: true))
        XCTAssertEqual(try x.dataset("indptr").read(as: Int64.self), data.x!.rowOffsets.map { Int64($0) })
        XCTAssertEqual(try x.dataset("indices").read(as: Int32.self), data.x!.columnIndices)
        XCTAssertEqual(try x.dataset("data").read(as: Float.self), data.x!.values)
        for name in ["obsm", "varm", "obsp", "varp", "layers", "uns"] {
            XCTAssertEqual(try encoding(try root.group(name)), ["dict", "0.1.0"], name)
        }
        XCTAssertEqual(try root.group("varm").childNames(), [])
        XCTAssertEqual(try root.group("layers").childNames(), ["counts", "spliced"])
        let pca = try root.dataset("obsm/X_pca")
        XCTAssertEqual(try encoding(pca), ["array", "0.2.0"])
        XCTAssertEqual(try pca.shape, [6, 3])
        XCTAssertEqual(try pca.read(as: Float.self), data.obsm["X_pca"]!.values)
        XCTAssertEqual(try encoding(try root.group("raw")), ["raw", "0.1.0"])
        XCTAssertEqual(try root.group("raw/X").attribute("shape"), .ints([6, 6]))
        XCTAssertEqual(try encoding(try root.group("raw/varm")), ["dict", "0.1.0"])
    }

    func testDataFrameLayout() throws {
        let (_, root) = try writeSample()
        let obs = try root.group("obs")
        XCTAssertEqual(try encoding(obs), ["dataframe", "0.2.0"])
        XCTAssertEqual(try obs.attribute("_index"), .string("_index"))
        XCTAssertEqual(try obs.attribute("column-order"), .strings(WriterTestSupport.everyFieldAnnData().obs.columnNames))
        XCTAssertEqual(try obs.dataset("_index").readStrings()[3], "細胞-3")
        XCTAssertEqual(try encoding(try obs.dataset("_index")), ["string-array", "0.2.0"])

        let cellType = try obs.group("cell_type")
        XCTAssertEqual(try encoding(cellType), ["categorical", "0.2.0"])
        XCTAssertEqual(try cellType.attribute("ordered"), .bool(false))
        XCTAssertEqual(try obs.group("stage").attribute("ordered"), .bool(true))
        XCTAssertEqual(try cellType.dataset("codes").elementType, .integer(bytes: 1, signed: true))
        XCTAssertEqual(try cellType.dataset("codes").read(as: Int32.self), [0, 1, 0, -1, 2, 1])
        XCTAssertEqual(try obs.dataset("fine_type/codes").elementType, .integer(bytes: 2, signed: true))  // 130 categories

        XCTAssertEqual(try encoding(try obs.dataset("n_counts")), ["array", "0.2.0"])
        XCTAssertEqual(try obs.dataset("n_genes").elementType, .integer(bytes: 8, signed: true))
        XCTAssertEqual(try obs.dataset("is_doublet").elementType, .enumeration(bytes: 1))
        XCTAssertEqual(try encoding(try obs.dataset("donor")), ["string-array", "0.2.0"])
        XCTAssertEqual(try encoding(try obs.group("batch_size")), ["nullable-integer", "0.1.0"])
        XCTAssertEqual(try obs.dataset("batch_size/mask").read(as: UInt8.self), [0, 1, 0, 0, 1, 0])
        XCTAssertEqual(try obs.dataset("batch_size/values").read(as: Int64.self), [1, 0, 3, -4, 0, 6])
        XCTAssertEqual(try encoding(try obs.group("passed_qc")), ["nullable-boolean", "0.1.0"])
        XCTAssertEqual(try encoding(try obs.group("note")), ["nullable-string-array", "0.1.0"])
        XCTAssertEqual(try obs.dataset("note/values").readStrings(), ["ok", "", "ünïcode", "", "", "x/y"])

        let vars = try root.group("var")
        XCTAssertEqual(try vars.attribute("_index"), .string("gene_symbol"))
        XCTAssertEqual(try vars.dataset("gene_symbol").readStrings(), ["CD3E", "LYZ", "NKG7", "MS4A1"])
        XCTAssertEqual(try root.group("raw/var").attribute("column-order"), .doubles([]))  // empty frame
    }

    func testUnsScalarsArraysAndNestedDicts() throws {
        let (_, root) = try writeSample()
        let uns = try root.group("uns")
        XCTAssertEqual(try uns.childNames(), ["batches", "learning_rate", "log1p", "n_epochs", "scvi", "title", "weights"])
        XCTAssertEqual(try encoding(try uns.dataset("title")), ["string", "0.2.0"])
        XCTAssertEqual(try uns.dataset("title").shape, [])
        XCTAssertEqual(try encoding(try uns.dataset("log1p")), ["numeric-scalar", "0.2.0"])
        XCTAssertEqual(try uns.dataset("log1p").elementType, .enumeration(bytes: 1))
        XCTAssertEqual(try uns.dataset("n_epochs").read(as: Int64.self), [400])
        XCTAssertEqual(try encoding(try uns.group("scvi")), ["dict", "0.1.0"])
        XCTAssertEqual(try uns.dataset("scvi/setup/labels_key").readStrings(), ["cell_type"])
        XCTAssertEqual(try encoding(try uns.dataset("weights")), ["array", "0.2.0"])
    }

    func testCompressionIsOptional() throws {
        let (_, compressed) = try writeSample("gzip.h5ad", compression: true)
        XCTAssertEqual(try compressed.dataset("X/data").filterNames(), ["deflate"])
        XCTAssertEqual(try compressed.dataset("uns/n_epochs").filterNames(), [])  // scalars never chunked
        let (_, plain) = try writeSample("plain.h5ad", compression: false)
        XCTAssertEqual(try plain.dataset("X/data").filterNames(), [])
    }

    func testMinimalAndEmptyAnnData() throws {
        let empty = AnnData(obs: DataFrame(index: []), vars: DataFrame(index: []), x: nil)
        try H5ADWriter.write(empty, to: path("empty.h5ad"))
        let root = try HDF5File.open(path: path("empty.h5ad")).root
        XCTAssertFalse(root.contains("X"))
        XCTAssertFalse(root.contains("raw"))
        XCTAssertEqual(try root.group("obs").attribute("column-order"), .doubles([]))
        XCTAssertEqual(try root.dataset("obs/_index").shape, [0])
    }

    // MARK: - Round trip through the .h5ad reader

    func testRoundTripThroughH5ADReader() throws {
        let data = WriterTestSupport.everyFieldAnnData()
        try H5ADWriter.write(data, to: path("round.h5ad"))
        let back = try H5ADReader.read(path: path("round.h5ad"))
        assertFramesEqual(back.obs, data.obs, "obs")
        assertFramesEqual(back.vars, data.vars, "var")
        XCTAssertEqual(back.x, data.x)
        XCTAssertEqual(back.layers, data.layers)
        XCTAssertEqual(back.obsm, data.obsm)
        XCTAssertEqual(back.obsp, data.obsp)
        XCTAssertEqual(back.raw?.x, data.raw?.x)
        assertFramesEqual(back.raw!.vars, data.raw!.vars, "raw/var")
        XCTAssertEqual(back.uns.keys.sorted(), data.uns.keys.sorted())
        for (key, value) in data.uns {
            if case .doubles(let expected) = value, case .doubles(let found)? = back.uns[key] {
                XCTAssertTrue(sameDoubles(found, expected), "uns/\(key)")
            } else {
                XCTAssertEqual(back.uns[key], value, "uns/\(key)")
            }
        }
    }

    private func assertFramesEqual(_ found: DataFrame, _ expected: DataFrame, _ label: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(found.index, expected.index, "\(label) index", file: file, line: line)
        XCTAssertEqual(found.indexName, expected.indexName, "\(label) index name", file: file, line: line)
        XCTAssertEqual(found.columnNames, expected.columnNames, "\(label) columns", file: file, line: line)
        for (name, values) in expected.columns {
            if case .doubles(let e) = values, case .doubles(let f)? = found[name] {
                XCTAssertTrue(sameDoubles(f, e), "\(label)/\(name): \(f) vs \(e)", file: file, line: line)
            } else {
                XCTAssertEqual(found[name], values, "\(label)/\(name)", file: file, line: line)
            }
        }
    }

    private func sameDoubles(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    // MARK: - Safety: temporary file, rename, inputs

    func testRefusesToOverwriteAnInputEvenThroughALinkOrAnotherSpelling() throws {
        let input = path("input.h5ad")
        let data = WriterTestSupport.everyFieldAnnData()
        try H5ADWriter.write(data, to: input)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        let link = path("link.h5ad")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: input)
        for target in [input, directory.path + "/./input.h5ad", link] {
            XCTAssertThrowsError(try H5ADWriter.write(data, to: target, protecting: [input])) { error in
                guard case CellviIOError.wouldOverwriteInput = error else { return XCTFail("\(error)") }
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), before)
        XCTAssertNoThrow(try H5ADWriter.write(data, to: path("output.h5ad"), protecting: [input]))
    }

    func testFailureLeavesNoTemporaryFileAndKeepsTheOldOutput() throws {
        let output = path("out.h5ad")
        try Data("old".utf8).write(to: URL(fileURLWithPath: output))
        struct Boom: Error {}
        XCTAssertThrowsError(try OutputFileGuard.writeAtomically(to: output) { temporary in
            XCTAssertTrue(temporary.hasPrefix(self.directory.path + "/.out.h5ad.tmp-"))
            try Data("partial".utf8).write(to: URL(fileURLWithPath: temporary))
            throw Boom()
        })
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["out.h5ad"])
        // A successful write replaces it, again without leftovers.
        try H5ADWriter.write(WriterTestSupport.everyFieldAnnData(), to: output)
        XCTAssertNoThrow(try HDF5File.open(path: output))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["out.h5ad"])
    }

    func testMissingDirectoryIsAClearError() {
        XCTAssertThrowsError(try H5ADWriter.write(WriterTestSupport.everyFieldAnnData(), to: path("no/such/dir/x.h5ad"))) {
            XCTAssertTrue("\($0)".contains("does not exist"), "\($0)")
        }
    }

    // MARK: - Validation before writing

    func testInconsistentDataIsRejectedWithTheKeyAndNothingIsWritten() {
        let cases: [(String, (inout AnnData) -> Void)] = [
            ("X", { $0.x = CSRMatrix(dense: Matrix(zeros: 6, 3)) }),
            ("layers/bad", { $0.layers["bad"] = CSRMatrix(dense: Matrix(zeros: 5, 4)) }),
            ("obsm/X_umap", { $0.obsm["X_umap"] = Matrix(zeros: 2, 2) }),
            ("obsp/knn", { $0.obsp["knn"] = CSRMatrix(dense: Matrix(zeros: 6, 4)) }),
            ("obs/cell_type", { $0.obs["cell_type"] = .categorical(codes: [0, 0, 0, 0, 0, 3], categories: ["a"], ordered: false) }),
            ("obs/dup", { $0.obs["dup"] = .categorical(codes: [0, 0, 0, 0, 0, 0], categories: ["a", "a"], ordered: false) }),
            ("obs/_index", { $0.obs["_index"] = .integers([1, 2, 3, 4, 5, 6]) }),
            ("obsm/a/b", { $0.obsm["a/b"] = Matrix(zeros: 6, 1) }),
            ("uns/scvi", { $0.uns["scvi"] = .string("clash with scvi/model") }),
            ("obs/cell_type", { $0.obs.index.removeLast() }),  // first column now longer than the index
            ("raw/X", { $0.raw = RawData(x: CSRMatrix(dense: Matrix(zeros: 6, 2)), vars: DataFrame(index: ["a"])) }),
        ]
        for (key, corrupt) in cases {
            var data = WriterTestSupport.everyFieldAnnData()
            corrupt(&data)
            XCTAssertThrowsError(try H5ADWriter.write(data, to: path("bad.h5ad")), key) { error in
                guard case CellviIOError.invalid(_, let found, _, _) = error else { return XCTFail("\(key): \(error)") }
                XCTAssertTrue(found.hasPrefix(key) || key.hasPrefix(found), "\(key): reported \(found)")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }
}
