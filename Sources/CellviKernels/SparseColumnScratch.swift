import Foundation

/// Column-major copy of a minibatch for the sparse products (`SparseProduct.forward`,
/// `SparseProduct.weightGradient`), allocated once and refilled each step.
///
/// The minibatch's cells are cut into `blockCount` contiguous blocks (one per thread while loading,
/// so each thread sorts only its own cells' entries). Block b's entries sit together, sorted by
/// column and, within a column, by cell. Reading a column block after block therefore visits its
/// entries in cell order, whatever the number of blocks: the products' sum orders do not change.
public final class SparseColumnScratch {
    let columnCapacity: Int
    let capacity: Int
    private(set) var blockCount = 0
    private var blockCapacity = 0
    /// (blockCapacity, columnCapacity + 1) absolute entry offsets: block b's column c is
    /// columnStarts[b·(columnCapacity+1) + c] ..< columnStarts[b·(columnCapacity+1) + c + 1].
    private var columnStarts: UnsafeMutablePointer<Int32>
    let rows: UnsafeMutablePointer<Int32>          // (capacity) cell of each entry
    let values: UnsafeMutablePointer<Float>        // (capacity) entry value (as `SparseRows.value`)
    // What is loaded: matrix arrays, transform and selected rows (columns −1: nothing).
    private var loadedColumns = -1
    private var loadedIndices: UnsafePointer<Int32>?, loadedValues: UnsafePointer<Float>?, loadedOffsets: UnsafePointer<Int>?
    private var loadedLog1p = false
    private var loadedRows: [Int] = []

    /// columns: k of the products; capacity: most entries of one minibatch.
    public init(columns: Int, capacity: Int) {
        columnCapacity = columns; self.capacity = capacity
        columnStarts = .allocate(capacity: 1)
        rows = .allocate(capacity: max(capacity, 1)); rows.initialize(repeating: 0, count: max(capacity, 1))
        values = .allocate(capacity: max(capacity, 1)); values.initialize(repeating: 0, count: max(capacity, 1))
    }
    deinit { columnStarts.deallocate(); rows.deallocate(); values.deallocate(); pieceStorage?.deallocate() }

    /// Entries of column c in cell block b (indices into `rows` and `values`).
    @inline(__always)
    func entries(column c: Int, block b: Int) -> Range<Int> {
        let s = columnStarts + b * (columnCapacity + 1) + c
        return Int(s[0])..<Int(s[1])
    }

    /// Whether any cell of the minibatch has column c.
    @inline(__always)
    func hasEntries(column c: Int) -> Bool {
        for b in 0..<blockCount where !entries(column: c, block: b).isEmpty { return true }
        return false
    }

    /// Fills the column-major copy from `x`; false (nothing loaded) when it does not fit. A copy of
    /// the same rows of the same arrays since the last `invalidate()` (say, forward then backward
    /// of one step) is kept as is.
    func load(_ x: SparseRows, columns k: Int, threads: Int = 1) -> Bool {
        let B = x.rowCount
        if loadedColumns == k && loadedIndices == x.indices && loadedValues == x.values && loadedOffsets == x.offsets
            && loadedLog1p == x.log1pOfValues && loadedRows.count == B
            && loadedRows.withUnsafeBufferPointer({ r in (0..<B).allSatisfy { r[$0] == x.rows[$0] } }) {
            return true
        }
        loadedColumns = -1
        var nnz = 0
        for i in 0..<B { nnz += x.range(i).count }
        guard nnz <= capacity, k <= columnCapacity else { return false }
        let blocks = Parallel.chunkCount(B, threads: nnz >= 4096 ? threads : 1, minimumPerChunk: 8)
        reserveBlocks(blocks)
        blockCount = blocks
        // Counting sort of each block's entries by column, stable in cell order, written after the
        // blocks before it. Block b is one thread's work.
        let stride = columnCapacity + 1, rows = self.rows, values = self.values, allStarts = columnStarts
        let table = Log1pTable.table, tableSize = Float(Log1pTable.size)
        Parallel.forEachChunk(blocks, threads: blocks) { blockRange in
            for b in blockRange {
                let cells = Parallel.chunkRange(b, of: blocks, count: B)
                var offset = 0
                for i in 0..<cells.lowerBound { offset += x.range(i).count }
                let starts = allStarts + b * stride
                starts.update(repeating: 0, count: k + 1)
                // starts[c + 1] = entries in column c; then running sums from the block's offset make
                // starts[c] the start of column c.
                for i in cells { for e in x.range(i) { starts[Int(x.indices[e]) + 1] += 1 } }
                var run = Int32(offset)
                for c in 0...k { run += starts[c]; starts[c] = run }
                // Fill, advancing starts[c] to the column's end.
                for i in cells {
                    for e in x.range(i) {
                        let c = Int(x.indices[e]), at = Int(starts[c])
                        var v = x.values[e]
                        if x.log1pOfValues {
                            let t = Int(v)
                            v = v >= 0 && v < tableSize && Float(t) == v ? table[t] : log1pf(v)
                        }
                        rows[at] = Int32(i); values[at] = v; starts[c] += 1
                    }
                }
                // starts[c] now ends column c; shift back so it starts it again.
                for c in Swift.stride(from: k, to: 0, by: -1) { starts[c] = starts[c - 1] }
                starts[0] = Int32(offset)
            }
        }
        loadedColumns = k; loadedIndices = x.indices; loadedValues = x.values; loadedOffsets = x.offsets
        loadedLog1p = x.log1pOfValues
        loadedRows.removeAll(keepingCapacity: true)
        loadedRows.append(contentsOf: UnsafeBufferPointer(start: x.rows, count: B))
        return true
    }

    /// Grows the column-start table to `blocks` blocks (reallocates only when more are needed).
    private func reserveBlocks(_ blocks: Int) {
        if blocks <= blockCapacity { return }
        columnStarts.deallocate()
        columnStarts = .allocate(capacity: blocks * (columnCapacity + 1))
        columnStarts.initialize(repeating: 0, count: blocks * (columnCapacity + 1))
        blockCapacity = blocks
    }

    /// A 64-byte-aligned buffer of at least `floats` floats for `SparseProduct.forward`'s per-piece
    /// sums; grows (reallocates) only when a larger product comes along.
    func pieceBlocks(floats: Int) -> UnsafeMutablePointer<Float> {
        if floats > pieceCapacity {
            pieceStorage?.deallocate()
            pieceStorage = UnsafeMutableRawPointer.allocate(byteCount: floats * 4, alignment: 64)
            pieceCapacity = floats
        }
        return pieceStorage!.assumingMemoryBound(to: Float.self)
    }
    private var pieceStorage: UnsafeMutableRawPointer?
    private var pieceCapacity = 0

    /// Forgets the loaded copy. Call when the matrix behind the views may have changed; the
    /// network calls it at the start of every forward pass.
    public func invalidate() { loadedColumns = -1 }
}
