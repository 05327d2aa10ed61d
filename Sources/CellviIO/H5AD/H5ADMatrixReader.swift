import CellviHDF5
import CellviKernels

/// How a matrix is stored and whether its values look like raw counts.
public struct StoredMatrixSummary: Equatable, Sendable {
    /// `csr_matrix`, `csc_matrix` or `array` (dense).
    public var encoding: String
    /// The on-disk element type of the values, e.g. `int32`, `float32`.
    public var dtype: String
    public var shape: [Int]
    public var nonZeroCount: Int
    /// Every value is a whole number.
    public var isInteger: Bool
    public var isNonNegative: Bool
    public var isFinite: Bool

    public var looksLikeRawCounts: Bool { isInteger && isNonNegative && isFinite }
}

/// Reads one matrix element (X, a layer, raw/X) of an `.h5ad` into a cells × genes CSR matrix,
/// whatever its encoding, validating its structure on the way.
struct H5ADMatrixReader {
    let fileName: String

    func read(parent: HDF5Group, name: String) throws -> (CSRMatrix, StoredMatrixSummary) {
        let key = parent.path == "/" ? name : parent.path.dropFirst() + "/" + name
        switch parent.kind(of: name) {
        case .dataset?:
            return try readDense(try parent.dataset(name), key: String(key))
        case .group?:
            let group = try parent.group(name)
            return try readSparse(group, key: String(key))
        default:
            throw CellviIOError.missingKey(file: fileName, key: String(key), available: (try? parent.childNames()) ?? [],
                                           fix: "Run `cellvi inspect` to see where this file keeps its matrices.")
        }
    }

    /// The shape and encoding without reading the values.
    func peek(parent: HDF5Group, name: String) throws -> (encoding: String, shape: [Int], dtype: String, nnz: Int) {
        if parent.kind(of: name) == .dataset {
            let ds = try parent.dataset(name)
            let shape = try ds.shape
            return ("array", shape, try ds.elementType.description, shape.reduce(1, *))
        }
        let group = try parent.group(name)
        let (format, shape) = try sparseFormat(group, key: group.path)
        let data = try group.dataset("data")
        return (format == .csr ? "csr_matrix" : "csc_matrix", shape, try data.elementType.description, try data.elementCount)
    }

    private enum SparseFormat { case csr, csc }

    private func sparseFormat(_ group: HDF5Group, key: String) throws -> (SparseFormat, [Int]) {
        let encoding = try encodingType(of: group) ?? (try group.attribute("h5sparse_format")?.stringValue).map { $0 + "_matrix" }
        guard let encoding else {
            throw CellviIOError.invalid(file: fileName, key: key, problem: "a group without encoding-type or h5sparse_format, not a matrix",
                                        fix: "Re-save the file with anndata so the matrix carries its encoding.")
        }
        let format: SparseFormat
        switch encoding {
        case "csr_matrix": format = .csr
        case "csc_matrix": format = .csc
        default: throw CellviIOError.unknownEncoding(file: fileName, key: key, encoding: encoding)
        }
        let shapeValue = try group.attribute("shape") ?? group.attribute("h5sparse_shape")
        guard let shape = shapeValue?.integerValues?.map({ Int($0) }), shape.count == 2, shape.allSatisfy({ $0 >= 0 }) else {
            throw CellviIOError.invalid(file: fileName, key: key, problem: "the sparse matrix has no valid `shape` attribute",
                                        fix: "Re-save the file with anndata.")
        }
        return (format, shape)
    }

    private func readSparse(_ group: HDF5Group, key: String) throws -> (CSRMatrix, StoredMatrixSummary) {
        let (format, shape) = try sparseFormat(group, key: key)
        for part in ["data", "indices", "indptr"] where !group.contains(part) {
            throw CellviIOError.invalid(file: fileName, key: key + "/" + part, problem: "missing from the sparse matrix",
                                        fix: "The file is incomplete; re-export it.")
        }
        let dataSet = try group.dataset("data")
        let dtype = try dataSet.elementType
        let indptr = try group.dataset("indptr").read(as: Int64.self)
        // Read as Int32 straight away (no transient Int64 copy: for 5e8 non-zeros that is 4 GB).
        // Any column count fits Int32; out-of-range stored values convert to values that the
        // bounds check below rejects.
        guard max(shape[0], shape[1]) <= Int(Int32.max) else {
            throw CellviIOError.invalid(file: fileName, key: key, problem: "has more than 2^31 − 1 rows or columns",
                                        fix: "Split the matrix.")
        }
        let indices = try group.dataset("indices").read(as: Int32.self)
        var summary = StoredMatrixSummary(encoding: format == .csr ? "csr_matrix" : "csc_matrix", dtype: dtype.description,
                                          shape: shape, nonZeroCount: indices.count, isInteger: true, isNonNegative: true, isFinite: true)
        let values = try readValues(dataSet, dtype: dtype, summary: &summary)
        let (majorCount, minorCount) = format == .csr ? (shape[0], shape[1]) : (shape[1], shape[0])
        try validate(indptr: indptr, indices: indices, valueCount: values.count, majorCount: majorCount, minorCount: minorCount, key: key)
        var matrix = CSRMatrix(rowCount: majorCount, columnCount: minorCount, rowOffsets: indptr.map { Int($0) },
                               columnIndices: indices, values: values)
        if format == .csc { matrix = matrix.transposed() } else { sortIndicesWithinRows(&matrix) }
        return (matrix, summary)
    }

    private func readDense(_ dataset: HDF5Dataset, key: String) throws -> (CSRMatrix, StoredMatrixSummary) {
        let shape = try dataset.shape
        guard shape.count == 2 else {
            throw CellviIOError.invalid(file: fileName, key: key, problem: "a dense matrix of rank \(shape.count), expected 2",
                                        fix: "Store the matrix as cells × genes.")
        }
        let dtype = try dataset.elementType
        guard dtype.isNumeric else {
            throw CellviIOError.invalid(file: fileName, key: key, problem: "holds \(dtype), not numbers", fix: "Store numeric values.")
        }
        var summary = StoredMatrixSummary(encoding: "array", dtype: dtype.description, shape: shape, nonZeroCount: 0,
                                          isInteger: true, isNonNegative: true, isFinite: true)
        var offsets = [0], columns = [Int32](), values = [Float]()
        let blockRows = max(1, (1 << 20) / max(1, shape[1]))
        var start = 0
        while start < shape[0] {
            let end = min(shape[0], start + blockRows)
            let block = try readBlock(dataset, rows: start..<end, dtype: dtype, summary: &summary)  // (rows, genes)
            for r in 0..<(end - start) {
                for c in 0..<shape[1] where block[r * shape[1] + c] != 0 {
                    columns.append(Int32(c)); values.append(block[r * shape[1] + c])
                }
                offsets.append(values.count)
            }
            start = end
        }
        summary.nonZeroCount = values.count
        return (CSRMatrix(rowCount: shape[0], columnCount: shape[1], rowOffsets: offsets, columnIndices: columns, values: values), summary)
    }

    private func readBlock(_ dataset: HDF5Dataset, rows: Range<Int>, dtype: HDF5ElementType,
                           summary: inout StoredMatrixSummary) throws -> [Float] {
        if case .float(8) = dtype {
            let doubles = try dataset.read(as: Double.self, rows: rows)
            summarize(doubles, into: &summary)
            return doubles.map { Float($0) }
        }
        let floats = try dataset.read(as: Float.self, rows: rows)
        summarize(floats, into: &summary)
        return floats
    }

    /// Reads the stored values as Float, recording whether they are whole, non-negative and finite
    /// (checked at the stored precision for float64).
    private func readValues(_ dataset: HDF5Dataset, dtype: HDF5ElementType, summary: inout StoredMatrixSummary) throws -> [Float] {
        guard dtype.isNumeric else {
            throw CellviIOError.invalid(file: fileName, key: String(dataset.path.dropFirst()), problem: "holds \(dtype), not numbers",
                                        fix: "Store numeric values.")
        }
        if case .float(8) = dtype {
            let doubles = try dataset.read(as: Double.self)
            summarize(doubles, into: &summary)
            return doubles.map { Float($0) }
        }
        if case .integer(4, true) = dtype, try dataset.storesExactly(Int32.self) {
            return try readInt32AsFloat(dataset, summary: &summary)
        }
        let floats = try dataset.read(as: Float.self)
        summarize(floats, into: &summary)
        return floats
    }

    /// int32 counts (anndata's usual raw-count type): read the stored bytes (gzip inflated on all
    /// cores) into the Float array and convert in place — no second array of nnz values.
    private func readInt32AsFloat(_ dataset: HDF5Dataset, summary: inout StoredMatrixSummary) throws -> [Float] {
        var values = [Float](repeating: 0, count: try dataset.elementCount)
        var negative = false
        try values.withUnsafeMutableBytes { raw in
            try dataset.read(as: Int32.self, into: raw)
            for i in 0..<(raw.count / 4) {
                let count = raw.load(fromByteOffset: 4 * i, as: Int32.self)
                negative = negative || count < 0
                raw.storeBytes(of: Float(count), toByteOffset: 4 * i, as: Float.self)
            }
        }
        summary.isNonNegative = summary.isNonNegative && !negative
        return values
    }

    private func summarize<T: BinaryFloatingPoint>(_ values: [T], into summary: inout StoredMatrixSummary) {
        var integer = summary.isInteger, nonNegative = summary.isNonNegative, finite = summary.isFinite
        for v in values {
            if !v.isFinite { finite = false; integer = false; continue }
            if v < 0 { nonNegative = false }
            if integer && v.rounded(.towardZero) != v { integer = false }
        }
        summary.isInteger = integer; summary.isNonNegative = nonNegative; summary.isFinite = finite
    }

    private func validate(indptr: [Int64], indices: [Int32], valueCount: Int, majorCount: Int, minorCount: Int, key: String) throws {
        let fix = "The matrix is corrupt or inconsistent with its `shape`; re-export it."
        guard indptr.count == majorCount + 1 else {
            throw CellviIOError.invalid(file: fileName, key: key + "/indptr",
                                        problem: "has \(indptr.count) entries, expected \(majorCount + 1) for shape", fix: fix)
        }
        guard indices.count == valueCount else {
            throw CellviIOError.invalid(file: fileName, key: key + "/indices",
                                        problem: "has \(indices.count) entries but data has \(valueCount)", fix: fix)
        }
        guard indptr.first == 0, indptr.last == Int64(valueCount) else {
            throw CellviIOError.invalid(file: fileName, key: key + "/indptr",
                                        problem: "must start at 0 and end at nnz = \(valueCount)", fix: fix)
        }
        for i in 0..<majorCount where indptr[i] > indptr[i + 1] {
            throw CellviIOError.invalid(file: fileName, key: key + "/indptr", problem: "decreases at entry \(i)", fix: fix)
        }
        for (k, index) in indices.enumerated() where index < 0 || Int(index) >= minorCount {
            throw CellviIOError.invalid(file: fileName, key: key + "/indices",
                                        problem: "entry \(k) is \(index), outside 0..<\(minorCount)", fix: fix)
        }
    }

    private func sortIndicesWithinRows(_ matrix: inout CSRMatrix) {
        for r in 0..<matrix.rowCount {
            let range = matrix.rowOffsets[r]..<matrix.rowOffsets[r + 1]
            var sorted = true
            for k in range.dropFirst() where matrix.columnIndices[k - 1] > matrix.columnIndices[k] { sorted = false; break }
            if sorted { continue }
            let pairs = range.map { (matrix.columnIndices[$0], matrix.values[$0]) }.sorted { $0.0 < $1.0 }
            for (offset, pair) in pairs.enumerated() {
                matrix.columnIndices[range.lowerBound + offset] = pair.0
                matrix.values[range.lowerBound + offset] = pair.1
            }
        }
    }
}
