import CellviKernels
import Foundation

/// Which feature column becomes the var names of a 10x matrix (scanpy's `var_names`).
public enum TenXVarNames: String, Sendable {
    /// Gene symbols (`name` column) as var names, ids in var column `gene_ids`. scanpy's default.
    case geneSymbols = "gene_symbols"
    /// Ensembl ids as var names, symbols in var column `gene_symbols`.
    case geneIds = "gene_ids"
}

/// Reads a 10x Genomics MatrixMarket folder as `scanpy.read_10x_mtx` does.
/// Cell Ranger ≥ 3: `matrix.mtx.gz`, `barcodes.tsv.gz`, `features.tsv.gz` (id, name, type).
/// Cell Ranger ≤ 2: `matrix.mtx`, `barcodes.tsv`, `genes.tsv` (id, name); chosen when
/// `genes.tsv` exists. Uncompressed v3 files are accepted too.
public enum TenXMatrixMarket {
    /// Cells × genes counts (Float32 CSR) with obs = barcodes and var = features.
    /// - Parameters:
    ///   - geneExpressionOnly: keep only `Gene Expression` features (v3; scanpy's `gex_only`).
    ///   - makeUnique: make var names unique with `makeUnique` (`-1`, `-2`, …) before filtering, as scanpy does.
    ///   - prefix: a file-name prefix shared by the three files (scanpy's `prefix`).
    public static func read(directory: String, varNames: TenXVarNames = .geneSymbols,
                            geneExpressionOnly: Bool = true, makeUnique unique: Bool = true,
                            prefix: String = "") throws -> AnnData {
        let isLegacy = FileManager.default.fileExists(atPath: join(directory, prefix + "genes.tsv"))
        let matrixPath = try locate(directory, prefix + "matrix.mtx", gzipped: !isLegacy)
        let featuresPath = try locate(directory, prefix + (isLegacy ? "genes.tsv" : "features.tsv"), gzipped: !isLegacy)
        let barcodesPath = try locate(directory, prefix + "barcodes.tsv", gzipped: !isLegacy)

        let counts = try MatrixMarket.readTransposed(path: matrixPath)  // (cells, features)
        let features = try readFeatures(featuresPath, withTypes: !isLegacy)
        let barcodes = try readTable(barcodesPath).map { $0[0] }

        guard features.ids.count == counts.columnCount else {
            throw CellviIOError.invalid(
                file: featuresPath, key: "rows",
                problem: "\(features.ids.count) features but \(matrixPath) has \(counts.columnCount) rows",
                fix: "The files come from different runs; use the three files of one Cell Ranger output folder.")
        }
        guard barcodes.count == counts.rowCount else {
            throw CellviIOError.invalid(
                file: barcodesPath, key: "rows",
                problem: "\(barcodes.count) barcodes but \(matrixPath) has \(counts.rowCount) columns",
                fix: "The files come from different runs; use the three files of one Cell Ranger output folder.")
        }

        var names: [String], otherName: String, otherValues: [String]
        switch varNames {
        case .geneSymbols: names = features.names; otherName = "gene_ids"; otherValues = features.ids
        case .geneIds: names = features.ids; otherName = "gene_symbols"; otherValues = features.names
        }
        if unique && varNames == .geneSymbols { names = makeUnique(names) }  // scanpy uniquifies symbols only
        var vars = DataFrame(index: names, columns: [(otherName, .strings(otherValues.map { $0 }))])
        if let types = features.types { vars["feature_types"] = .strings(types.map { $0 }) }
        var data = AnnData(obs: DataFrame(index: barcodes), vars: vars, x: counts)

        if geneExpressionOnly, let types = features.types {
            let kept = types.indices.filter { types[$0] == "Gene Expression" }
            data.vars = data.vars.selectingRows(kept)
            data.x = counts.selectingColumns(kept)
        }
        return data
    }

    /// `features.tsv` / `genes.tsv`: columns id, name (falls back to id), type (v3).
    private static func readFeatures(_ path: String, withTypes: Bool) throws
        -> (ids: [String], names: [String], types: [String]?) {
        let rows = try readTable(path)
        if withTypes, let short = rows.firstIndex(where: { $0.count < 3 }) {
            throw CellviIOError.invalid(
                file: path, key: "row \(short + 1)",
                problem: "expected 3 tab-separated columns (id, name, feature type), found \(rows[short].count)",
                fix: "Cell Ranger ≥ 3 writes features.tsv.gz with three columns; a two-column list belongs in genes.tsv.")
        }
        return (rows.map { $0[0] }, rows.map { $0.count > 1 ? $0[1] : $0[0] },
                withTypes ? rows.map { $0[2] } : nil)
    }

    /// Tab-separated fields of each non-empty line (blank lines are skipped, as pandas does).
    private static func readTable(_ path: String) throws -> [[String]] {
        var rows: [[String]] = []
        try GzipLineReader.forEachLine(path: path) { line, _ in
            guard !line.isEmpty else { return }
            rows.append(String(decoding: line, as: UTF8.self)
                .split(separator: "\t", omittingEmptySubsequences: false).map(String.init))
        }
        return rows
    }

    /// `name.gz` (preferred when `gzipped`) or `name`; a clear error listing the folder otherwise.
    private static func locate(_ directory: String, _ name: String, gzipped: Bool) throws -> String {
        let candidates = gzipped ? [name + ".gz", name] : [name, name + ".gz"]
        for candidate in candidates where FileManager.default.fileExists(atPath: join(directory, candidate)) {
            return join(directory, candidate)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CellviIOError.invalid(file: directory, key: "folder", problem: "not a folder",
                                        fix: "Pass the Cell Ranger output folder holding matrix.mtx.gz, barcodes.tsv.gz and features.tsv.gz.")
        }
        let present = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        throw CellviIOError.missingKey(
            file: directory, key: candidates[0], available: present,
            fix: "A 10x folder holds matrix.mtx, barcodes.tsv and features.tsv (Cell Ranger ≥ 3, gzipped) or genes.tsv (≤ 2).")
    }

    private static func join(_ directory: String, _ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }
}
