import CellviKernels

extension H5ADFile {
    /// Reads the whole file and summarises it for `cellvi inspect`, including obsm entries
    /// that are not dense arrays (listed with their shapes).
    public func summarize() throws -> DatasetSummary {
        var options = H5ADReadOptions()
        options.loadObsp = false
        let obs = try readObs()
        let vars = try readVar()
        var data = AnnData(obs: obs, vars: vars, x: nil)
        var stored: [String: StoredMatrixSummary] = [:]
        for key in try matrixKeys() {
            let (matrix, summary) = try readMatrix(key: key)
            stored[key == "raw.X" ? "raw/X" : key] = summary
            if key == "X" { data.x = matrix }
            else if key.hasPrefix("layers/") { data.layers[String(key.dropFirst("layers/".count))] = matrix }
            else { data.raw = RawData(x: matrix, vars: DataFrame(index: (0..<matrix.columnCount).map { String($0) })) }
        }
        data.uns = try readUns()
        var summary = DatasetSummary(file: path, format: "h5ad", layout: layout.description, data: data, stored: stored)
        summary.rawNVars = data.raw?.x.columnCount
        summary.obsm = Dictionary(uniqueKeysWithValues: try obsmShapes().map { ($0.key, $0.shape) })
        return summary
    }
}
