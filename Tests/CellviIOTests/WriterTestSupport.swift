import CellviKernels
import Foundation
@testable import CellviIO

/// Paths and sample data shared by the writer, 10x and interop tests.
enum WriterTestSupport {
    /// `Tests/Fixtures`, found from this file's location.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// A fresh empty directory under the system temporary directory.
    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("cellvi-\(label)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// 6 cells × 4 genes covering every field cellvi writes: each column kind (with missing
    /// values, unicode, NaN, an ordered categorical and one with 130 categories), an empty cell,
    /// layers, obsm, obsp, raw with more genes than X, and every kind of uns value, nested too.
    static func everyFieldAnnData() -> AnnData {
        let cells = ["cell-0", "cell-1", "célula-2", "細胞-3", "cell 4", "cell-5"]
        let manyCategories = (0..<130).map { "type \($0)" }
        let obs = DataFrame(index: cells, columns: [
            ("cell_type", .categorical(codes: [0, 1, 0, -1, 2, 1], categories: ["B", "T", "NK"], ordered: false)),
            ("stage", .categorical(codes: [2, 0, 1, 1, 0, 2], categories: ["early", "mid", "late"], ordered: true)),
            ("fine_type", .categorical(codes: [0, 129, 64, 127, 128, -1], categories: manyCategories, ordered: false)),
            ("n_counts", .doubles([10.5, 0, .nan, 3, -.infinity, 1e-8])),
            ("n_genes", .integers([3, 0, 2, Int64.max, -7, 1])),
            ("is_doublet", .booleans([false, true, false, false, true, false])),
            ("donor", .strings(["d1", "d2", "d1", "dönör", "d3", ""])),
            ("batch_size", .nullableIntegers([1, nil, 3, -4, nil, 6])),
            ("passed_qc", .nullableBooleans([true, nil, false, true, nil, false])),
            ("note", .strings(["ok", nil, "ünïcode", nil, "", "x/y"])),
        ])
        let genes = ["CD3E", "LYZ", "NKG7", "MS4A1"]
        let vars = DataFrame(index: genes, indexName: "gene_symbol", columns: [
            ("gene_ids", .strings(["ENSG1", "ENSG2", "ENSG3", "ENSG4"])),
            ("highly_variable", .booleans([true, false, true, true])),
        ])
        let x = CSRMatrix(dense: Matrix(rows: 6, columns: 4, values: [
            1, 0, 2, 0,
            0, 0, 0, 0,
            3, 1, 0, 0,
            0, 0, 0, 7,
            0.5, 0, 0, 0,
            0, 4, 0, 1e6,
        ]))
        let rawGenes = genes + ["GAPDH", "ACTB"]
        let rawX = CSRMatrix(dense: Matrix(rows: 6, columns: 6, values: (0..<36).map { Float($0 % 5 == 0 ? 0 : $0) }))
        let graph = CSRMatrix(dense: Matrix(rows: 6, columns: 6, values: (0..<36).map { $0 % 7 == 0 ? 1 : 0 }))
        return AnnData(
            obs: obs, vars: vars, x: x,
            layers: ["counts": x, "spliced": CSRMatrix(dense: Matrix(zeros: 6, 4))],
            raw: RawData(x: rawX, vars: DataFrame(index: rawGenes)),
            obsm: ["X_pca": Matrix(rows: 6, columns: 3, values: (0..<18).map { Float($0) * 0.25 - 1 }),
                   "X_scVI": Matrix(rows: 6, columns: 2, values: (0..<12).map { Float($0) })],
            obsp: ["connectivities": graph],
            uns: [
                "title": .string("every field — ünïcode"),
                "learning_rate": .double(1e-3),
                "n_epochs": .integer(400),
                "log1p": .boolean(true),
                "batches": .strings(["b1", "b2"]),
                "weights": .doubles([0.5, .nan, 2]),
                "scvi/model": .string("SCVI"),
                "scvi/n_latent": .integer(10),
                "scvi/setup/labels_key": .string("cell_type"),
            ])
    }
}
