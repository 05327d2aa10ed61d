import ArgumentParser
import CellviIO
import CellviKernels

/// `--layer`: where the raw counts are.
struct CountsOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Matrix holding the raw counts: X (default), a layer name, or raw/X.", valueName: "name"))
    var layer: String = "X"

    /// What to read from an `.h5ad` to get these counts (obs, var and the one matrix).
    var readOptions: H5ADReadOptions {
        var options = H5ADReadOptions.countsOnly
        options.loadLayers = layer != "X" && !layer.hasPrefix("raw")
        options.loadRaw = layer.hasPrefix("raw")
        options.loadObsm = false
        return options
    }

    /// The raw-count matrix of `data`, checked to be non-negative integers.
    func counts(in data: AnnData, file: String) throws -> CSRMatrix {
        let matrix = try data.matrix(layer, file: file)
        guard matrix.columnCount == data.variableCount else {
            throw ValidationError("--layer \(layer): raw/X has \(matrix.columnCount) genes but var has \(data.variableCount); "
                + "convert the file first so raw becomes X, or use a layer.")
        }
        try requireRawCounts(matrix, file: file, key: layer == "X" || layer.hasPrefix("raw") ? layer : "layers/\(layer)")
        return matrix
    }
}

/// `--batch-key`: the obs column of technical batches.
struct BatchOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("obs column with the batch of each cell (categories are sorted, as scvi-tools does).", valueName: "column"))
    var batchKey: String?

    /// Batch code per cell and the sorted category names; one batch when no key is given.
    func batches(in data: AnnData, file: String) throws -> (codes: [Int32], categories: [String]) {
        guard let batchKey else { return ([Int32](repeating: 0, count: data.observationCount), ["0"]) }
        return try categoryCodes(data, column: batchKey, file: file, flag: "--batch-key")
    }
}

/// Every cell's label in an obs column (any column type); a missing column or value is an error naming the flag.
func obsLabels(_ data: AnnData, column: String, file: String, flag: String) throws -> [String] {
    guard let values = data.obs[column] else {
        throw CellviIOError.missingKey(file: file, key: "obs/\(column)", available: data.obs.columnNames,
                                       fix: "Pass one of the obs columns to \(flag).")
    }
    let labels = values.labels
    if let missing = labels.firstIndex(where: { $0 == nil }) {
        throw CellviIOError.invalid(file: file, key: "obs/\(column)", problem: "cell \(data.obsNames[missing]) has no value",
                                    fix: "Fill the missing values or drop those cells before using \(flag).")
    }
    return labels.map { $0! }
}

/// Codes of an obs column with its categories sorted, as scvi-tools' setup_anndata encodes them.
func categoryCodes(_ data: AnnData, column: String, file: String, flag: String) throws -> (codes: [Int32], categories: [String]) {
    let labels = try obsLabels(data, column: column, file: file, flag: flag)
    let categories = Array(Set(labels)).sorted()
    let position = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, Int32($0)) })
    return (labels.map { position[$0]! }, categories)
}
