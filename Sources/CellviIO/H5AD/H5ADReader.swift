import CellviHDF5
import CellviKernels
import Foundation

/// What to load from an `.h5ad`. Metadata (obs, var, obsm, uns) is always read; matrices on request.
public struct H5ADReadOptions: Sendable {
    public var loadX = true
    public var loadLayers = true
    public var loadRaw = true
    public var loadObsm = true
    public var loadObsp = true
    public init() {}

    /// Only obs, var and X — what the model commands need.
    public static var countsOnly: H5ADReadOptions {
        var options = H5ADReadOptions()
        options.loadLayers = false; options.loadRaw = false; options.loadObsp = false
        return options
    }
}

/// Reads AnnData `.h5ad` files of every layout anndata has written (0.6 to 0.12).
public enum H5ADReader {
    /// Reads the file into memory; counts become cells × genes CSR without densifying.
    public static func read(path: String, options: H5ADReadOptions = H5ADReadOptions()) throws -> AnnData {
        try H5ADFile(path: path).read(options: options)
    }

    /// Reads one matrix (`X`, `layers/<name>` or `raw/X`) with its storage summary.
    public static func readMatrix(path: String, key: String) throws -> (CSRMatrix, StoredMatrixSummary) {
        try H5ADFile(path: path).readMatrix(key: key)
    }
}

/// An open `.h5ad` file: its layout and element-by-element access.
public final class H5ADFile {
    public let path: String
    public let layout: H5ADLayout
    let root: HDF5Group

    public init(path: String) throws {
        self.path = path
        (root, layout) = try wrappingHDF5 {
            let root = try HDF5File.open(path: path).root
            return (root, try H5ADLayout.detect(root: root))
        }
        for required in ["obs", "var"] where !root.contains(required) {
            throw CellviIOError.invalid(file: path, key: required, problem: "missing; every .h5ad has obs and var",
                                        fix: "The file is incomplete or not an AnnData file; re-export it with anndata.")
        }
    }

    private var matrixReader: H5ADMatrixReader { H5ADMatrixReader(fileName: path) }
    private var frameReader: H5ADDataFrameReader { H5ADDataFrameReader(fileName: path) }

    /// Where `raw` lives: a `raw` group, or the pre-0.7 `raw.X` / `raw.var` pair.
    private var rawKeys: (x: String, vars: String)? {
        if root.kind(of: "raw") == .group, root.contains("raw/X") { return ("raw/X", "raw/var") }
        if root.contains("raw.X") { return ("raw.X", "raw.var") }
        return nil
    }

    public func readObs() throws -> DataFrame { try wrappingHDF5 { try frameReader.read(root: root, name: "obs") } }
    public func readVar() throws -> DataFrame { try wrappingHDF5 { try frameReader.read(root: root, name: "var") } }

    /// Names of the layers.
    public func layerNames() throws -> [String] {
        try wrappingHDF5 { root.kind(of: "layers") == .group ? try root.group("layers").childNames() : [] }
    }

    /// Where the counts-like matrices are: `X`, `layers/<name>`, `raw/X`.
    public func matrixKeys() throws -> [String] {
        var keys: [String] = root.contains("X") ? ["X"] : []
        keys += try layerNames().map { "layers/\($0)" }
        if let raw = rawKeys { keys.append(raw.x) }
        return keys
    }

    /// Encoding, shape, dtype and stored-entry count of a matrix, without reading its values.
    public func peekMatrix(key: String) throws -> (encoding: String, shape: [Int], dtype: String, nnz: Int) {
        let (parent, name) = try locate(key)
        return try wrappingHDF5 { try matrixReader.peek(parent: parent, name: name) }
    }

    /// Reads a matrix (`X`, `layers/<name>`, `raw/X`) as cells × genes CSR and checks its shape.
    public func readMatrix(key: String) throws -> (CSRMatrix, StoredMatrixSummary) {
        let (parent, name) = try locate(key)
        let (matrix, summary) = try wrappingHDF5 { try matrixReader.read(parent: parent, name: name) }
        return (matrix, summary)
    }

    private func locate(_ key: String) throws -> (HDF5Group, String) {
        let resolvedKey = (key == "raw/X" ? rawKeys?.x : nil) ?? key
        guard root.contains(resolvedKey) else {
            throw CellviIOError.missingKey(file: path, key: key, available: (try? matrixKeys()) ?? [],
                                           fix: "Run `cellvi inspect \(path)` to see the matrices this file holds.")
        }
        return try wrappingHDF5 {
            guard let slash = resolvedKey.lastIndex(of: "/") else { return (root, resolvedKey) }
            return (try root.group(String(resolvedKey[..<slash])), String(resolvedKey[resolvedKey.index(after: slash)...]))
        }
    }

    /// Keys and shapes of `obsm` entries (dense arrays, sparse matrices or dataframes).
    public func obsmShapes() throws -> [(key: String, shape: [Int])] {
        try wrappingHDF5 {
            guard root.kind(of: "obsm") == .group else { return [] }
            let obsm = try root.group("obsm")
            return try obsm.childNames().compactMap { name in
                if obsm.kind(of: name) == .dataset { return (name, try obsm.dataset(name).shape) }
                let group = try obsm.group(name)
                if let shape = try (group.attribute("shape") ?? group.attribute("h5sparse_shape"))?.integerValues {
                    return (name, shape.map { Int($0) })
                }
                if try encodingType(of: group) == "dataframe" {
                    let index = try group.attribute("_index")?.stringValue ?? "_index"
                    let rows = try group.contains(index) ? group.dataset(index).elementCount : 0
                    let columns: Int
                    if case .strings(let order)? = try group.attribute("column-order") { columns = order.count } else { columns = 0 }
                    return (name, [rows, columns])
                }
                return nil
            }
        }
    }

    /// Dense `obsm` entries as Float32 matrices (sparse or dataframe entries are skipped).
    public func readObsm() throws -> [String: Matrix] {
        try wrappingHDF5 {
            guard root.kind(of: "obsm") == .group else { return [:] }
            let obsm = try root.group("obsm")
            var result: [String: Matrix] = [:]
            for name in try obsm.childNames() where obsm.kind(of: name) == .dataset {
                let dataset = try obsm.dataset(name)
                let shape = try dataset.shape
                guard try dataset.elementType.isNumeric, shape.count == 1 || shape.count == 2 else { continue }
                let columns = shape.count == 2 ? shape[1] : 1
                result[name] = Matrix(rows: shape[0], columns: columns, values: try dataset.read(as: Float.self))
            }
            return result
        }
    }

    /// Sparse `obsp` entries (e.g. neighbour graphs).
    public func readObsp() throws -> [String: CSRMatrix] {
        guard root.kind(of: "obsp") == .group else { return [:] }
        var result: [String: CSRMatrix] = [:]
        for name in try wrappingHDF5({ try root.group("obsp").childNames() }) {
            result[name] = try readMatrix(key: "obsp/\(name)").0
        }
        return result
    }

    /// Scalars, strings and 1-D arrays in `uns`; nested mappings are flattened as `a/b`.
    public func readUns() throws -> [String: UnsValue] {
        try wrappingHDF5 {
            guard root.kind(of: "uns") == .group else { return [:] }
            var result: [String: UnsValue] = [:]
            try collectUns(try root.group("uns"), prefix: "", into: &result)
            return result
        }
    }

    private func collectUns(_ group: HDF5Group, prefix: String, into result: inout [String: UnsValue]) throws {
        for name in try group.childNames() {
            let key = prefix + name
            if group.kind(of: name) == .group {
                let child = try group.group(name)
                let encoding = try encodingType(of: child)
                if encoding == nil || encoding == "dict" { try collectUns(child, prefix: key + "/", into: &result) }
                continue
            }
            let dataset = try group.dataset(name)
            let shape = try dataset.shape
            guard shape.count <= 1 else { continue }
            switch try dataset.elementType {
            case .string:
                let strings = try dataset.readStrings()
                result[key] = shape.isEmpty ? .string(strings.first ?? "") : .strings(strings)
            case .integer:
                let values = try dataset.read(as: Int64.self)
                result[key] = shape.isEmpty ? .integer(values[0]) : .doubles(values.map { Double($0) })
            case .float:
                let values = try dataset.read(as: Double.self)
                result[key] = shape.isEmpty ? .double(values[0]) : .doubles(values)
            case .enumeration where shape.isEmpty:
                result[key] = .boolean(try dataset.read(as: Int8.self)[0] != 0)
            default: continue
            }
        }
    }

    /// Reads the whole file (as `options` say) and checks that every part agrees on the shape.
    public func read(options: H5ADReadOptions = H5ADReadOptions()) throws -> AnnData {
        let obs = try readObs()
        let vars = try readVar()
        var data = AnnData(obs: obs, vars: vars, x: nil)
        if options.loadX, root.contains("X") {
            data.x = try readChecked("X", rows: obs.rowCount, columns: vars.rowCount)
        }
        if options.loadLayers {
            for name in try layerNames() {
                data.layers[name] = try readChecked("layers/\(name)", rows: obs.rowCount, columns: vars.rowCount)
            }
        }
        if options.loadRaw, let raw = rawKeys {
            let rawVars = try wrappingHDF5 { try frameReader.read(root: root, name: raw.vars) }
            data.raw = RawData(x: try readChecked(raw.x, rows: obs.rowCount, columns: rawVars.rowCount), vars: rawVars)
        }
        if options.loadObsm {
            data.obsm = try readObsm()
            for (key, matrix) in data.obsm where matrix.rows != obs.rowCount {
                throw CellviIOError.invalid(file: path, key: "obsm/\(key)", problem: "has \(matrix.rows) rows, obs has \(obs.rowCount)",
                                            fix: "The file is inconsistent; re-export it.")
            }
        }
        if options.loadObsp { data.obsp = try readObsp() }
        data.uns = try readUns()
        return data
    }

    private func readChecked(_ key: String, rows: Int, columns: Int) throws -> CSRMatrix {
        let (matrix, _) = try readMatrix(key: key)
        guard matrix.rowCount == rows, matrix.columnCount == columns else {
            throw CellviIOError.invalid(file: path, key: key,
                                        problem: "has shape (\(matrix.rowCount), \(matrix.columnCount)) but obs × var is (\(rows), \(columns))",
                                        fix: "The file is inconsistent; re-export it.")
        }
        return matrix
    }
}
