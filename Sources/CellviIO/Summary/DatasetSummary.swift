import CellviKernels

/// What `cellvi inspect` reports about a file: shape, where the counts are and whether they
/// look like raw counts, every obs/var column, layers, obsm and the on-disk layout.
public struct DatasetSummary: Codable, Sendable {
    public var file: String
    public var format: String
    public var layout: String
    public var nObs: Int
    public var nVars: Int
    public var x: MatrixSummary?
    public var layers: [String: MatrixSummary]
    public var raw: MatrixSummary?
    public var rawNVars: Int?
    public var obs: [String: ColumnSummary]
    public var obsColumnOrder: [String]
    public var vars: [String: ColumnSummary]
    public var varColumnOrder: [String]
    public var obsm: [String: [Int]]
    public var uns: [String]
    /// The first matrix that looks like raw counts (`X`, `layers/<name>` or `raw/X`), if any.
    public var countsLocation: String?

    enum CodingKeys: String, CodingKey {
        case file, format, layout, x, layers, raw, obs, obsm, uns
        case nObs = "n_obs", nVars = "n_vars", rawNVars = "raw_n_vars", vars = "var"
        case obsColumnOrder = "obs_column_order", varColumnOrder = "var_column_order", countsLocation = "counts_location"
    }
}

/// One matrix: storage and the raw-count checks.
public struct MatrixSummary: Codable, Sendable {
    public var encoding: String
    public var dtype: String
    public var nnz: Int
    public var integer: Bool
    public var nonnegative: Bool
    public var finite: Bool
    public var cellTotals: Distribution
    public var zeroCells: Int
    public var zeroGenes: Int

    enum CodingKeys: String, CodingKey {
        case encoding, dtype, nnz, integer, nonnegative, finite
        case cellTotals = "cell_totals", zeroCells = "zero_cells", zeroGenes = "zero_genes"
    }

    public var looksLikeRawCounts: Bool { integer && nonnegative && finite }

    public init(matrix: CSRMatrix, stored: StoredMatrixSummary) {
        encoding = stored.encoding
        dtype = stored.dtype
        nnz = stored.nonZeroCount
        integer = stored.isInteger
        nonnegative = stored.isNonNegative
        finite = stored.isFinite
        let totals = matrix.rowSums()
        cellTotals = Distribution(totals)
        zeroCells = totals.filter { $0 == 0 }.count
        zeroGenes = matrix.columnNonZeroCounts().filter { $0 == 0 }.count
    }
}

/// Minimum, median, mean and maximum of a list of numbers.
public struct Distribution: Codable, Sendable {
    public var min: Double
    public var median: Double
    public var mean: Double
    public var max: Double

    public init(_ values: [Double]) {
        guard !values.isEmpty else { self.init(min: 0, median: 0, mean: 0, max: 0); return }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        self.init(min: sorted[0], median: sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
                  mean: values.reduce(0, +) / Double(values.count), max: sorted[sorted.count - 1])
    }

    public init(min: Double, median: Double, mean: Double, max: Double) {
        self.min = min; self.median = median; self.mean = mean; self.max = max
    }
}

/// One dataframe column: its type, missing values and, for categoricals, counts per category.
public struct ColumnSummary: Codable, Sendable {
    public var type: String
    public var missing: Int
    public var categories: [String: Int]?
    public var categoryOrder: [String]?
    public var ordered: Bool?

    enum CodingKeys: String, CodingKey {
        case type, missing, categories, ordered
        case categoryOrder = "category_order"
    }

    public init(_ values: ColumnValues) {
        type = values.typeName
        missing = values.labels.filter { $0 == nil }.count
        if case .categorical(let codes, let names, let isOrdered) = values {
            var counts = [Int](repeating: 0, count: names.count)
            for code in codes where code >= 0 { counts[Int(code)] += 1 }
            categories = Dictionary(uniqueKeysWithValues: zip(names, counts))
            categoryOrder = names
            ordered = isOrdered
        }
    }
}

extension DatasetSummary {
    /// Summarises an in-memory dataset (10x inputs, or an `.h5ad` read whole).
    public init(file: String, format: String, layout: String, data: AnnData,
                stored: [String: StoredMatrixSummary]) {
        self.file = file
        self.format = format
        self.layout = layout
        nObs = data.observationCount
        nVars = data.variableCount
        func summary(_ key: String, _ matrix: CSRMatrix?) -> MatrixSummary? {
            guard let matrix else { return nil }
            let storedSummary = stored[key] ?? StoredMatrixSummary(matrix: matrix)
            return MatrixSummary(matrix: matrix, stored: storedSummary)
        }
        x = summary("X", data.x)
        layers = Dictionary(uniqueKeysWithValues: data.layers.compactMap { key, m in summary("layers/\(key)", m).map { (key, $0) } })
        raw = summary("raw/X", data.raw?.x)
        rawNVars = data.raw?.vars.rowCount
        obs = Dictionary(uniqueKeysWithValues: data.obs.columns.map { ($0.name, ColumnSummary($0.values)) })
        obsColumnOrder = data.obs.columnNames
        vars = Dictionary(uniqueKeysWithValues: data.vars.columns.map { ($0.name, ColumnSummary($0.values)) })
        varColumnOrder = data.vars.columnNames
        obsm = data.obsm.mapValues { [$0.rows, $0.columns] }
        uns = data.uns.keys.sorted()
        let candidates = [("X", x)] + layers.keys.sorted().map { ("layers/\($0)", layers[$0]) } + [("raw/X", raw)]
        countsLocation = candidates.first(where: { $0.1?.looksLikeRawCounts == true })?.0
    }
}

extension StoredMatrixSummary {
    /// The summary of a matrix built in memory (stored as float32 CSR).
    public init(matrix: CSRMatrix) {
        var integer = true, nonNegative = true, finite = true
        for v in matrix.values {
            if !v.isFinite { finite = false; integer = false } else {
                if v < 0 { nonNegative = false }
                if v.rounded(.towardZero) != v { integer = false }
            }
        }
        self.init(encoding: "csr_matrix", dtype: "float32", shape: [matrix.rowCount, matrix.columnCount],
                  nonZeroCount: matrix.nonZeroCount, isInteger: integer, isNonNegative: nonNegative, isFinite: finite)
    }
}
