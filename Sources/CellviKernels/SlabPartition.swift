/// How threads split one tensor of a parameter slab, matching the kernels that read its weights
/// and write its gradient, so that Adam updates each part on the core whose cache already holds it
/// (on a virtual machine the two cores may not share a cache, and lines written by one core and
/// read by the other cross the memory fabric).
public struct SlabPartition: Sendable, Equatable {
    public enum Split: Sendable, Equatable {
        /// Blocks of rows cut as `BLAS.gemmBlock` cuts a product's rows (multiples of 16).
        case rowBlocks
        /// Rows in `Parallel.forEachChunk` chunks of at least this many rows (as the sparse weight
        /// gradient cuts its genes).
        case rowChunks(minimumRows: Int)
    }

    /// The tensor's elements in the slab, row-major with `rowLength` columns.
    public let range: Range<Int>
    public let rowLength: Int
    public let split: Split

    public init(range: Range<Int>, rowLength: Int, split: Split) {
        precondition(rowLength > 0 && range.count % rowLength == 0, "SlabPartition: range is not whole rows")
        self.range = range; self.rowLength = rowLength; self.split = split
    }

    var rows: Int { range.count / rowLength }

    /// How many parts the kernels cut this tensor into for `threads` threads.
    public func parts(threads: Int) -> Int {
        switch split {
        case .rowBlocks: return max(1, min(threads, rows / 16))
        case .rowChunks(let minimumRows): return Parallel.chunkCount(rows, threads: threads, minimumPerChunk: minimumRows)
        }
    }

    /// Calls `body` on the slab ranges of part p (of `parts`).
    @inline(__always)
    public func forEachRange(ofPart p: Int, parts: Int, _ body: (Range<Int>) -> Void) {
        switch split {
        case .rowBlocks:
            let block = BLAS.splitRange(p, of: parts, length: rows)
            if !block.isEmpty {
                body(range.lowerBound + block.lowerBound * rowLength..<range.lowerBound + block.upperBound * rowLength)
            }
        case .rowChunks:
            let chunk = Parallel.chunkRange(p, of: parts, count: rows)
            if !chunk.isEmpty { body(range.lowerBound + chunk.lowerBound * rowLength..<range.lowerBound + chunk.upperBound * rowLength) }
        }
    }
}
