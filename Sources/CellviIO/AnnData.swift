import CellviKernels

/// An annotated data matrix in memory: the subset of AnnData that cellvi reads and writes.
/// Counts are always cells × genes CSR, whatever the on-disk encoding was.
public struct AnnData: Sendable {
    public var obs: DataFrame                 // (n_obs rows)
    public var vars: DataFrame                // (n_vars rows)  — anndata's `var`
    public var x: CSRMatrix?                  // (n_obs, n_vars)
    public var layers: [String: CSRMatrix]    // each (n_obs, n_vars)
    public var raw: RawData?
    public var obsm: [String: Matrix]         // each (n_obs, k)
    public var obsp: [String: CSRMatrix]      // each (n_obs, n_obs)
    public var uns: [String: UnsValue]

    public init(obs: DataFrame, vars: DataFrame, x: CSRMatrix?, layers: [String: CSRMatrix] = [:],
                raw: RawData? = nil, obsm: [String: Matrix] = [:], obsp: [String: CSRMatrix] = [:],
                uns: [String: UnsValue] = [:]) {
        self.obs = obs; self.vars = vars; self.x = x; self.layers = layers
        self.raw = raw; self.obsm = obsm; self.obsp = obsp; self.uns = uns
    }

    public var observationCount: Int { obs.rowCount }
    public var variableCount: Int { vars.rowCount }
    public var obsNames: [String] { obs.index }
    public var varNames: [String] { vars.index }
}

/// `raw`: the full gene set kept beside a filtered X.
public struct RawData: Sendable {
    public var x: CSRMatrix       // (n_obs, n_raw_vars)
    public var vars: DataFrame    // (n_raw_vars rows)
    public init(x: CSRMatrix, vars: DataFrame) { self.x = x; self.vars = vars }
}

/// A scalar or string stored in `uns` (nested dicts flattened as `a/b`).
public enum UnsValue: Equatable, Sendable {
    case string(String)
    case double(Double)
    case integer(Int64)
    case boolean(Bool)
    case strings([String])
    case doubles([Double])
}

/// A pandas-like dataframe: a string index and ordered, typed columns.
public struct DataFrame: Sendable {
    public var index: [String]
    public var indexName: String
    public private(set) var columns: [(name: String, values: ColumnValues)]

    public init(index: [String], indexName: String = "_index", columns: [(name: String, values: ColumnValues)] = []) {
        self.index = index; self.indexName = indexName; self.columns = []
        for (name, values) in columns { self[name] = values }
    }

    public var rowCount: Int { index.count }
    public var columnNames: [String] { columns.map(\.name) }

    /// Reads, adds (at the end) or replaces a column; `nil` removes it.
    public subscript(name: String) -> ColumnValues? {
        get { columns.first(where: { $0.name == name })?.values }
        set {
            if let i = columns.firstIndex(where: { $0.name == name }) {
                if let v = newValue { columns[i].values = v } else { columns.remove(at: i) }
            } else if let v = newValue {
                precondition(v.count == index.count, "DataFrame: column \(name) has \(v.count) rows, index has \(index.count)")
                columns.append((name, v))
            }
        }
    }

    /// The rows at `rows`, in that order.
    public func selectingRows(_ rows: [Int]) -> DataFrame {
        DataFrame(index: rows.map { index[$0] }, indexName: indexName,
                  columns: columns.map { ($0.name, $0.values.selecting(rows)) })
    }
}

/// One dataframe column. Missing values: `nil` for nullable kinds, code −1 for categoricals.
public enum ColumnValues: Equatable, Sendable {
    case strings([String?])
    case doubles([Double])
    case integers([Int64])
    case booleans([Bool])
    case nullableIntegers([Int64?])
    case nullableBooleans([Bool?])
    case categorical(codes: [Int32], categories: [String], ordered: Bool)

    public var count: Int {
        switch self {
        case .strings(let v): return v.count
        case .doubles(let v): return v.count
        case .integers(let v): return v.count
        case .booleans(let v): return v.count
        case .nullableIntegers(let v): return v.count
        case .nullableBooleans(let v): return v.count
        case .categorical(let codes, _, _): return codes.count
        }
    }

    /// A short type name as `inspect` shows it.
    public var typeName: String {
        switch self {
        case .strings: return "string"
        case .doubles: return "float"
        case .integers: return "int"
        case .booleans: return "bool"
        case .nullableIntegers: return "nullable-int"
        case .nullableBooleans: return "nullable-bool"
        case .categorical: return "categorical"
        }
    }

    /// Each row as text (missing values as `nil`), e.g. to use any column as labels.
    public var labels: [String?] {
        switch self {
        case .strings(let v): return v
        case .doubles(let v): return v.map { String($0) }
        case .integers(let v): return v.map { String($0) }
        case .booleans(let v): return v.map { String($0) }
        case .nullableIntegers(let v): return v.map { $0.map { String($0) } }
        case .nullableBooleans(let v): return v.map { $0.map { String($0) } }
        case .categorical(let codes, let categories, _): return codes.map { $0 < 0 ? nil : categories[Int($0)] }
        }
    }

    /// The rows at `rows`, in that order.
    public func selecting(_ rows: [Int]) -> ColumnValues {
        switch self {
        case .strings(let v): return .strings(rows.map { v[$0] })
        case .doubles(let v): return .doubles(rows.map { v[$0] })
        case .integers(let v): return .integers(rows.map { v[$0] })
        case .booleans(let v): return .booleans(rows.map { v[$0] })
        case .nullableIntegers(let v): return .nullableIntegers(rows.map { v[$0] })
        case .nullableBooleans(let v): return .nullableBooleans(rows.map { v[$0] })
        case .categorical(let codes, let categories, let ordered):
            return .categorical(codes: rows.map { codes[$0] }, categories: categories, ordered: ordered)
        }
    }
}
