import CellviHDF5
import CellviKernels

/// The matrix arrays shared by both Cell Ranger layouts, validated: a features × barcodes CSC
/// matrix, which is the same arrays read as barcodes × features CSR.
struct TenXStoredMatrix {
    var featureCount: Int
    var barcodes: [String]          // (cells)
    var cellsByFeatures: CSRMatrix  // (cells, features)

    /// Reads and checks `data`, `indices`, `indptr`, `shape` and `barcodes` in `group`.
    static func read(_ group: HDF5Group, file: String) throws -> TenXStoredMatrix {
        func fail(_ name: String, _ problem: String) -> CellviIOError {
            .invalid(file: file, key: "\(group.path)/\(name)", problem: problem,
                     fix: "The file is damaged or not written by Cell Ranger; re-run `cellranger count` or re-download it.")
        }
        let shape = try group.dataset("shape").read(as: Int64.self)
        guard shape.count == 2, shape.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) }) else {
            throw fail("shape", "should be [features, barcodes], found \(shape)")
        }
        let features = Int(shape[0]), cells = Int(shape[1])
        let barcodes = try group.dataset("barcodes").readStrings()
        guard barcodes.count == cells else { throw fail("barcodes", "has \(barcodes.count) entries but shape says \(cells) barcodes") }

        let indptr = try group.dataset("indptr").read(as: Int64.self)          // (cells + 1)
        let indices = try group.dataset("indices").read(as: Int64.self)        // (nnz)
        let data = try group.dataset("data").read(as: Float.self)              // (nnz)
        guard indptr.count == cells + 1 else { throw fail("indptr", "has \(indptr.count) entries, expected barcodes + 1 = \(cells + 1)") }
        guard data.count == indices.count else {
            throw fail("data", "has \(data.count) entries but indices has \(indices.count)")
        }
        guard indptr.first == 0, indptr.last == Int64(data.count) else {
            throw fail("indptr", "should run from 0 to nnz = \(data.count), found \(indptr.first ?? 0) … \(indptr.last ?? 0)")
        }
        if let k = (0..<cells).first(where: { indptr[$0] > indptr[$0 + 1] }) {
            throw fail("indptr", "decreases at barcode \(k) (\(indptr[k]) > \(indptr[k + 1]))")
        }
        if let bad = indices.first(where: { $0 < 0 || $0 >= Int64(features) }) {
            throw fail("indices", "has feature index \(bad) outside 0..<\(features)")
        }
        var matrix = CSRMatrix(rowCount: cells, columnCount: features, rowOffsets: indptr.map { Int($0) },
                               columnIndices: indices.map { Int32($0) }, values: data)
        sortColumnsWithinRows(&matrix)
        return TenXStoredMatrix(featureCount: features, barcodes: barcodes, cellsByFeatures: matrix)
    }

    /// Cell Ranger writes sorted indices; sort any row that is not, so the matrix is canonical.
    private static func sortColumnsWithinRows(_ m: inout CSRMatrix) {
        for r in 0..<m.rowCount {
            let range = m.rowOffsets[r]..<m.rowOffsets[r + 1]
            guard zip(m.columnIndices[range], m.columnIndices[range].dropFirst()).contains(where: { $0 > $1 }) else { continue }
            let sorted = range.map { (m.columnIndices[$0], m.values[$0]) }.sorted { $0.0 < $1.0 }
            for (k, entry) in zip(range, sorted) { m.columnIndices[k] = entry.0; m.values[k] = entry.1 }
        }
    }
}
