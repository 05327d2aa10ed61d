import CellviKernels

extension H5ADWriter {
    /// Checks everything anndata would reject (or misread) before any byte is written.
    static func validate(_ data: AnnData, file: String) throws {
        let cells = data.observationCount, genes = data.variableCount
        try validateFrame(data.obs, key: "obs", file: file)
        try validateFrame(data.vars, key: "var", file: file)
        if let x = data.x { try validateCSR(x, key: "X", rows: cells, columns: genes, file: file) }
        for (name, layer) in data.layers {
            try validateKey(name, in: "layers", file: file)
            try validateCSR(layer, key: "layers/\(name)", rows: cells, columns: genes, file: file)
        }
        for (name, graph) in data.obsp {
            try validateKey(name, in: "obsp", file: file)
            try validateCSR(graph, key: "obsp/\(name)", rows: cells, columns: cells, file: file)
        }
        for (name, embedding) in data.obsm {
            try validateKey(name, in: "obsm", file: file)
            guard embedding.rows == cells else {
                throw invalid(file, "obsm/\(name)", "has \(embedding.rows) rows but there are \(cells) cells",
                              "Give it one row per cell, in obs order.")
            }
        }
        if let raw = data.raw {
            try validateFrame(raw.vars, key: "raw/var", file: file)
            try validateCSR(raw.x, key: "raw/X", rows: cells, columns: raw.vars.rowCount, file: file)
        }
        try validateUnsKeys(Array(data.uns.keys), file: file)
    }

    private static func invalid(_ file: String, _ key: String, _ problem: String, _ fix: String) -> CellviIOError {
        .invalid(file: file, key: key, problem: problem, fix: fix)
    }

    /// A key becomes an HDF5 link name: non-empty and without `/`.
    static func validateKey(_ name: String, in parent: String, file: String) throws {
        if name.isEmpty || name.contains("/") {
            throw invalid(file, "\(parent)/\(name)", "the name '\(name)' is empty or contains '/'",
                          "Rename it to a non-empty name without '/'.")
        }
    }

    static func validateFrame(_ frame: DataFrame, key: String, file: String) throws {
        let indexName = frame.indexName.isEmpty ? "_index" : frame.indexName
        try validateKey(indexName, in: key, file: file)
        for (name, values) in frame.columns {
            let columnKey = "\(key)/\(name)"
            try validateKey(name, in: key, file: file)
            if name == "_index" || name == indexName {
                throw invalid(file, columnKey, "the column name '\(name)' is taken by the index",
                              "Rename the column (anndata reserves '_index' and the index name).")
            }
            guard values.count == frame.rowCount else {
                throw invalid(file, columnKey, "has \(values.count) rows but the index has \(frame.rowCount)",
                              "Give the column one value per row.")
            }
            if case .categorical(let codes, let categories, _) = values {
                if Set(categories).count != categories.count {
                    throw invalid(file, columnKey, "has repeated categories", "Merge the repeated categories.")
                }
                if let bad = codes.first(where: { $0 < -1 || Int($0) >= categories.count }) {
                    throw invalid(file, columnKey, "has code \(bad) but only \(categories.count) categories",
                                  "Codes must be −1 (missing) or index a category.")
                }
            }
        }
    }

    /// Shape and structure: indptr starts at 0, never decreases, ends at nnz; indices in range.
    static func validateCSR(_ m: CSRMatrix, key: String, rows: Int, columns: Int, file: String) throws {
        guard m.rowCount == rows, m.columnCount == columns else {
            throw invalid(file, key, "is \(m.rowCount)×\(m.columnCount) but should be \(rows)×\(columns)",
                          "Build it with one row per cell and one column per gene, in obs/var order.")
        }
        guard m.rowOffsets.first == 0, m.rowOffsets.last == m.nonZeroCount,
              zip(m.rowOffsets, m.rowOffsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw invalid(file, key, "has row offsets that do not rise from 0 to nnz = \(m.nonZeroCount)",
                          "This is a bug in the code that built the matrix; please report it.")
        }
        if let bad = m.columnIndices.first(where: { $0 < 0 || Int($0) >= columns }) {
            throw invalid(file, key, "has column index \(bad) outside 0..<\(columns)",
                          "This is a bug in the code that built the matrix; please report it.")
        }
    }

    /// `uns` keys: path components non-empty, and no key both a value and a nested dict.
    static func validateUnsKeys(_ keys: [String], file: String) throws {
        let all = Set(keys)
        for key in keys {
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            if parts.contains(where: \.isEmpty) {
                throw invalid(file, "uns/\(key)", "the key has an empty path component", "Remove leading, trailing or doubled '/'.")
            }
            for end in 1..<parts.count where all.contains(parts[..<end].joined(separator: "/")) {
                throw invalid(file, "uns/\(key)", "'\(parts[..<end].joined(separator: "/"))' is both a value and a nested dict",
                              "Rename one of the two uns keys.")
            }
        }
    }
}
