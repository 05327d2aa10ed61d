/// Compressed sparse rows (cells × genes). Column indices within a row are sorted ascending
/// and unique once `isCanonical` holds; values are Float32 (raw counts are exact up to 2^24).
public struct CSRMatrix: Equatable, Sendable {
    public var rowCount: Int
    public var columnCount: Int
    public var rowOffsets: [Int]      // (rowCount + 1)  — `indptr`
    public var columnIndices: [Int32] // (nnz)           — `indices`
    public var values: [Float]        // (nnz)           — `data`

    public init(rowCount: Int, columnCount: Int, rowOffsets: [Int], columnIndices: [Int32], values: [Float]) {
        precondition(rowOffsets.count == rowCount + 1, "CSRMatrix: indptr has \(rowOffsets.count) entries for \(rowCount) rows")
        precondition(columnIndices.count == values.count, "CSRMatrix: indices and data differ in length")
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowOffsets = rowOffsets
        self.columnIndices = columnIndices
        self.values = values
    }

    public var nonZeroCount: Int { values.count }

    /// Builds a CSR matrix from a dense row-major one, keeping non-zero entries.
    public init(dense: Matrix) {
        var offsets = [0], indices = [Int32](), data = [Float]()
        for r in 0..<dense.rows {
            for c in 0..<dense.columns where dense[r, c] != 0 {
                indices.append(Int32(c)); data.append(dense[r, c])
            }
            offsets.append(indices.count)
        }
        self.init(rowCount: dense.rows, columnCount: dense.columns, rowOffsets: offsets, columnIndices: indices, values: data)
    }

    /// The dense form. Only for small matrices (tests, tiny fixtures).
    public func densified() -> Matrix {
        var m = Matrix(zeros: rowCount, columnCount)
        for r in 0..<rowCount {
            for k in rowOffsets[r]..<rowOffsets[r + 1] { m[r, Int(columnIndices[k])] += values[k] }
        }
        return m
    }

    /// Sum of each row.  // (rowCount)
    public func rowSums() -> [Double] {
        var sums = [Double](repeating: 0, count: rowCount)
        for r in 0..<rowCount {
            var s = 0.0
            for k in rowOffsets[r]..<rowOffsets[r + 1] { s += Double(values[k]) }
            sums[r] = s
        }
        return sums
    }

    /// Number of stored non-zero entries per column.  // (columnCount)
    public func columnNonZeroCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: columnCount)
        for (k, c) in columnIndices.enumerated() where values[k] != 0 { counts[Int(c)] += 1 }
        return counts
    }

    /// The rows at `indices`, in that order.
    public func selectingRows(_ indices: [Int]) -> CSRMatrix {
        var offsets = [Int](); offsets.reserveCapacity(indices.count + 1); offsets.append(0)
        var nnz = 0
        for r in indices { nnz += rowOffsets[r + 1] - rowOffsets[r]; offsets.append(nnz) }
        var cols = [Int32](); cols.reserveCapacity(nnz)
        var data = [Float](); data.reserveCapacity(nnz)
        for r in indices {
            cols.append(contentsOf: columnIndices[rowOffsets[r]..<rowOffsets[r + 1]])
            data.append(contentsOf: values[rowOffsets[r]..<rowOffsets[r + 1]])
        }
        return CSRMatrix(rowCount: indices.count, columnCount: columnCount, rowOffsets: offsets, columnIndices: cols, values: data)
    }

    /// The columns at `indices`, in that order (a column may not repeat).
    public func selectingColumns(_ indices: [Int]) -> CSRMatrix {
        var newIndex = [Int32](repeating: -1, count: columnCount)
        for (j, c) in indices.enumerated() { newIndex[c] = Int32(j) }
        var offsets = [0], cols = [Int32](), data = [Float]()
        var rowEntries: [(Int32, Float)] = []
        for r in 0..<rowCount {
            rowEntries.removeAll(keepingCapacity: true)
            for k in rowOffsets[r]..<rowOffsets[r + 1] {
                let j = newIndex[Int(columnIndices[k])]
                if j >= 0 { rowEntries.append((j, values[k])) }
            }
            rowEntries.sort { $0.0 < $1.0 }
            for (j, v) in rowEntries { cols.append(j); data.append(v) }
            offsets.append(cols.count)
        }
        return CSRMatrix(rowCount: rowCount, columnCount: indices.count, rowOffsets: offsets, columnIndices: cols, values: data)
    }

    /// The transpose, i.e. the same entries as compressed sparse columns read as rows.
    public func transposed() -> CSRMatrix {
        var counts = [Int](repeating: 0, count: columnCount + 1)
        for c in columnIndices { counts[Int(c) + 1] += 1 }
        for c in 0..<columnCount { counts[c + 1] += counts[c] }
        var next = counts
        var cols = [Int32](repeating: 0, count: nonZeroCount)
        var data = [Float](repeating: 0, count: nonZeroCount)
        for r in 0..<rowCount {
            for k in rowOffsets[r]..<rowOffsets[r + 1] {
                let c = Int(columnIndices[k])
                cols[next[c]] = Int32(r); data[next[c]] = values[k]; next[c] += 1
            }
        }
        return CSRMatrix(rowCount: columnCount, columnCount: rowCount, rowOffsets: counts, columnIndices: cols, values: data)
    }
}
