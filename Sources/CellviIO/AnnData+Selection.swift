import CellviKernels

/// Which cells or genes to keep: by position, by name or by a boolean mask.
public enum AxisSelection: Sendable {
    case indices([Int])
    case names([String])
    case mask([Bool])

    /// Positions into `names` (in the selection's order for names and indices).
    public func resolve(against names: [String], file: String, axis: String) throws -> [Int] {
        switch self {
        case .indices(let indices):
            if let bad = indices.first(where: { $0 < 0 || $0 >= names.count }) {
                throw CellviIOError.invalid(file: file, key: axis, problem: "position \(bad) is outside 0..<\(names.count)",
                                            fix: "Select positions within the \(axis) axis.")
            }
            return indices
        case .mask(let mask):
            guard mask.count == names.count else {
                throw CellviIOError.invalid(file: file, key: axis, problem: "a mask of \(mask.count) entries for \(names.count) names",
                                            fix: "Give one true/false per \(axis) entry.")
            }
            return mask.indices.filter { mask[$0] }
        case .names(let wanted):
            var position: [String: Int] = [:]
            for (i, n) in names.enumerated() where position[n] == nil { position[n] = i }
            let missing = wanted.filter { position[$0] == nil }
            guard missing.isEmpty else {
                throw CellviIOError.missingKey(file: file, key: "\(axis) names \(missing.prefix(5).joined(separator: ", "))"
                                               + (missing.count > 5 ? " and \(missing.count - 5) more" : ""),
                                               available: [], fix: "Check the names with `cellvi inspect`.")
            }
            return wanted.map { position[$0]! }
        }
    }
}

extension AnnData {
    /// The cells at `rows` (in that order) with everything indexed by cells: X, layers, obs, obsm, raw/X.
    public func selectingCells(_ rows: [Int]) -> AnnData {
        var out = AnnData(obs: obs.selectingRows(rows), vars: vars, x: x?.selectingRows(rows),
                          layers: layers.mapValues { $0.selectingRows(rows) },
                          raw: raw.map { RawData(x: $0.x.selectingRows(rows), vars: $0.vars) },
                          obsm: obsm.mapValues { $0.selectingRows(rows) }, uns: uns)
        out.obsp = obsp.mapValues { $0.selectingRows(rows).selectingColumns(rows) }
        return out
    }

    /// The genes at `columns` (in that order) in X, layers and var; raw keeps every gene.
    public func selectingGenes(_ columns: [Int]) -> AnnData {
        AnnData(obs: obs, vars: vars.selectingRows(columns), x: x?.selectingColumns(columns),
                layers: layers.mapValues { $0.selectingColumns(columns) }, raw: raw, obsm: obsm, obsp: obsp, uns: uns)
    }

    /// Selects cells and genes by position, name or mask.
    public func selecting(cells: AxisSelection? = nil, genes: AxisSelection? = nil, file: String = "") throws -> AnnData {
        var out = self
        if let cells { out = out.selectingCells(try cells.resolve(against: obsNames, file: file, axis: "obs")) }
        if let genes { out = out.selectingGenes(try genes.resolve(against: varNames, file: file, axis: "var")) }
        return out
    }

    /// The matrix at `key` (`X`, `layers/<name>`, a bare layer name, or `raw/X`).
    public func matrix(_ key: String, file: String) throws -> CSRMatrix {
        if key == "X", let x { return x }
        if key == "raw/X" || key == "raw", let raw { return raw.x }
        let layer = key.hasPrefix("layers/") ? String(key.dropFirst("layers/".count)) : key
        if let matrix = layers[layer] { return matrix }
        throw CellviIOError.missingKey(file: file, key: key == "X" ? "X" : "layers/\(layer)",
                                       available: (x == nil ? [] : ["X"]) + layers.keys.sorted().map { "layers/\($0)" } + (raw == nil ? [] : ["raw/X"]),
                                       fix: "Choose one of the matrices this file holds (`cellvi inspect` lists them).")
    }
}
