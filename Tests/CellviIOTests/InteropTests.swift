import CellviKernels
import Foundation
import XCTest
@testable import CellviIO

/// Writes an AnnData covering every field type, then has Python's anndata read it (warnings are
/// errors) and compare every field with a JSON of expected values written beside it.
/// Skipped when python3/anndata is missing, unless CELLVI_REQUIRE_PYTHON=1 (CI), where it fails.
final class InteropTests: XCTestCase {
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Interop/check_anndata_reads.py")

    func testAnndataReadsEveryFieldWeWrite() throws {
        try requireAnndata()
        let data = WriterTestSupport.everyFieldAnnData()
        try checkWithAnndata(data, label: "every-field", compression: true)
    }

    func testAnndataReadsUncompressedMinimalFile() throws {
        try requireAnndata()
        let data = AnnData(obs: DataFrame(index: ["c1", "c2"]), vars: DataFrame(index: ["g1"]),
                           x: CSRMatrix(dense: Matrix(rows: 2, columns: 1, values: [0, 5])))
        try checkWithAnndata(data, label: "minimal", compression: false)
    }

    func testAnndataReadsFileWithoutX() throws {
        try requireAnndata()
        var data = WriterTestSupport.everyFieldAnnData()
        data.x = nil; data.layers = [:]; data.raw = nil
        try checkWithAnndata(data, label: "no-x", compression: true)
    }

    /// The checker is not vacuous: expectations that differ from the file make it exit non-zero.
    func testCheckerReportsEveryMismatch() throws {
        try requireAnndata()
        let written = WriterTestSupport.everyFieldAnnData()
        var claimed = written
        claimed.obs["cell_type"] = .categorical(codes: [1, 1, 0, -1, 2, 1], categories: ["B", "T", "NK"], ordered: false)
        claimed.obsm["X_pca"]![0, 0] += 1
        claimed.uns["n_epochs"] = .integer(401)
        claimed.uns["log1p"] = .integer(1)
        let (status, output) = try runChecker(written: written, expected: claimed, label: "mismatch", compression: true)
        XCTAssertEqual(status, 1, output)
        for key in ["obs[cell_type]", "obsm/X_pca", "uns/n_epochs", "uns/log1p"] {
            XCTAssertTrue(output.contains("MISMATCH \(key)"), "no mismatch reported for \(key):\n\(output)")
        }
    }

    // MARK: - Running the checker

    private func checkWithAnndata(_ data: AnnData, label: String, compression: Bool) throws {
        let (status, output) = try runChecker(written: data, expected: data, label: label, compression: compression)
        XCTAssertEqual(status, 0, "anndata disagrees with the writer on \(label):\n\(output)")
    }

    /// Writes `written`, describes `expected` in JSON beside it, runs the checker under `python3 -W error`.
    private func runChecker(written: AnnData, expected: AnnData, label: String,
                            compression: Bool) throws -> (status: Int32, output: String) {
        let directory = try WriterTestSupport.temporaryDirectory("interop-\(label)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("\(label).h5ad").path
        let json = directory.appendingPathComponent("\(label).expected.json")
        try H5ADWriter.write(written, to: file, compression: compression)
        try JSONSerialization.data(withJSONObject: ExpectedJSON.describe(expected), options: [.prettyPrinted, .sortedKeys])
            .write(to: json)
        return try run(["python3", "-W", "error", Self.checker.path, file, json.path])
    }

    /// Skips (or fails under CELLVI_REQUIRE_PYTHON=1) when `python3 -c "import anndata"` fails.
    private func requireAnndata() throws {
        let available = (try? run(["python3", "-c", "import anndata, h5py, scipy"]))?.status == 0
        if available { return }
        if ProcessInfo.processInfo.environment["CELLVI_REQUIRE_PYTHON"] == "1" {
            throw MissingPython()  // a thrown error fails the test
        }
        throw XCTSkip("python3 with anndata is not available; set CELLVI_REQUIRE_PYTHON=1 to make this a failure.")
    }

    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

struct MissingPython: Error, CustomStringConvertible {
    var description: String {
        "CELLVI_REQUIRE_PYTHON=1 but python3 with anndata, h5py and scipy is not available; `pip install anndata scipy h5py`."
    }
}

/// The expected-values JSON read by `Interop/check_anndata_reads.py` (schema in its docstring).
enum ExpectedJSON {
    static func describe(_ data: AnnData) -> [String: Any] {
        [
            "shape": [data.observationCount, data.variableCount],
            "obs": frame(data.obs),
            "var": frame(data.vars),
            "X": data.x.map { csr($0) } ?? NSNull(),
            "layers": data.layers.mapValues { csr($0) },
            "obsp": data.obsp.mapValues { csr($0) },
            "obsm": data.obsm.mapValues { ["dense": rows($0)] },
            "raw": data.raw.map { ["X": csr($0.x), "var": frame($0.vars)] as [String: Any] } ?? NSNull(),
            "uns": data.uns.mapValues(uns),
        ]
    }

    static func number(_ value: Double) -> Any {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return value
    }

    static func rows(_ m: Matrix) -> [[Any]] {
        (0..<m.rows).map { r in m.row(r).map { number(Double($0)) } }
    }

    static func csr(_ m: CSRMatrix) -> [String: Any] { ["format": "csr", "dense": rows(m.densified())] }

    static func frame(_ f: DataFrame) -> [String: Any] {
        [
            "index_name": f.indexName == "_index" || f.indexName.isEmpty ? NSNull() : f.indexName as Any,
            "index": f.index,
            "columns": f.columns.map { column($0.name, $0.values) },
        ]
    }

    static func column(_ name: String, _ values: ColumnValues) -> [String: Any] {
        let missing: Any = NSNull()
        switch values {
        case .doubles(let v): return ["name": name, "kind": "float", "values": v.map(number)]
        case .integers(let v): return ["name": name, "kind": "int", "values": v]
        case .booleans(let v): return ["name": name, "kind": "bool", "values": v]
        case .strings(let v):
            let kind = v.contains(where: { $0 == nil }) ? "nullable-string" : "string"
            return ["name": name, "kind": kind, "values": v.map { $0 ?? missing }]
        case .nullableIntegers(let v): return ["name": name, "kind": "nullable-int", "values": v.map { $0 ?? missing }]
        case .nullableBooleans(let v): return ["name": name, "kind": "nullable-bool", "values": v.map { $0 ?? missing }]
        case .categorical(_, let categories, let ordered):
            return ["name": name, "kind": "categorical", "categories": categories, "ordered": ordered,
                    "values": values.labels.map { $0 ?? missing }]
        }
    }

    static func uns(_ value: UnsValue) -> [String: Any] {
        switch value {
        case .string(let v): return ["kind": "string", "value": v]
        case .double(let v): return ["kind": "float", "value": number(v)]
        case .integer(let v): return ["kind": "int", "value": v]
        case .boolean(let v): return ["kind": "bool", "value": v]
        case .strings(let v): return ["kind": "strings", "value": v]
        case .doubles(let v): return ["kind": "floats", "value": v.map(number)]
        }
    }
}
