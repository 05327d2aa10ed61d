import CellviHDF5
import CellviKernels

/// Writes single anndata elements (each tagged with `encoding-type` / `encoding-version`).
/// `compression` applies to every non-scalar dataset.
struct H5ADElementWriter {
    let compression: HDF5Compression?

    func setEncoding(_ object: HDF5Object, _ type: String, _ version: String) throws {
        try object.setAttribute("encoding-type", .string(type))
        try object.setAttribute("encoding-version", .string(version))
    }

    /// A `dict` 0.1.0 group (also written empty, as anndata does for `varm`, `varp`, …).
    func createDict(named name: String, in parent: HDF5Group) throws -> HDF5Group {
        let group = try parent.createGroup(name)
        try setEncoding(group, "dict", "0.1.0")
        return group
    }

    /// `csr_matrix` 0.1.0: `data` float32, `indices` int32, `indptr` int32 (int64 once nnz exceeds
    /// int32, as scipy chooses), attribute `shape` int64 [rows, columns].
    func writeCSR(_ matrix: CSRMatrix, named name: String, in parent: HDF5Group) throws {
        let group = try parent.createGroup(name)
        try setEncoding(group, "csr_matrix", "0.1.0")
        try group.setAttribute("shape", .ints([Int64(matrix.rowCount), Int64(matrix.columnCount)]))
        let n = matrix.nonZeroCount
        try group.writeDataset("data", values: matrix.values, shape: [n], compression: compression)           // (nnz)
        try group.writeDataset("indices", values: matrix.columnIndices, shape: [n], compression: compression)  // (nnz)
        let offsetCount = matrix.rowOffsets.count                                                            // (rows + 1)
        if n <= Int(Int32.max) {
            try group.writeDataset("indptr", values: matrix.rowOffsets.map { Int32($0) }, shape: [offsetCount],
                                   compression: compression)
        } else {
            try group.writeDataset("indptr", values: matrix.rowOffsets.map { Int64($0) }, shape: [offsetCount],
                                   compression: compression)
        }
    }

    /// A dense float32 `array` 0.2.0 of shape (rows, columns).
    func writeDense(_ matrix: Matrix, named name: String, in parent: HDF5Group) throws {
        let dataset = try parent.writeDataset(name, values: matrix.values, shape: [matrix.rows, matrix.columns],
                                              compression: compression)
        try setEncoding(dataset, "array", "0.2.0")
    }

    /// `obsm` / `varm`: a dict of dense arrays, keys in sorted order.
    func writeDenseDict(_ entries: [String: Matrix], named name: String, in parent: HDF5Group) throws {
        let group = try createDict(named: name, in: parent)
        for key in entries.keys.sorted() { try writeDense(entries[key]!, named: key, in: group) }
    }

    /// `layers` / `obsp` / `varp`: a dict of CSR matrices, keys in sorted order.
    func writeSparseDict(_ entries: [String: CSRMatrix], named name: String, in parent: HDF5Group) throws {
        let group = try createDict(named: name, in: parent)
        for key in entries.keys.sorted() { try writeCSR(entries[key]!, named: key, in: group) }
    }

    /// `raw` 0.1.0: `X`, `var` and an empty `varm`.
    func writeRaw(_ raw: RawData, named name: String, in parent: HDF5Group) throws {
        let group = try parent.createGroup(name)
        try setEncoding(group, "raw", "0.1.0")
        try writeCSR(raw.x, named: "X", in: group)
        try writeDataFrame(raw.vars, named: "var", in: group)
        try writeDenseDict([:], named: "varm", in: group)
    }
}
