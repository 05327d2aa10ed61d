import CellviKernels
import Dispatch

/// The k nearest neighbours of every cell, self first, sorted by Euclidean distance — the layout of
/// scib-metrics' `NeighborsResults` (and of pynndescent's `neighbor_graph`).
public struct KNearestNeighbors: Sendable, Equatable {
    public var cellCount: Int
    public var neighborCount: Int
    public var indices: [Int32]    // (N, k)
    public var distances: [Float]  // (N, k)

    public init(cellCount: Int, neighborCount: Int, indices: [Int32], distances: [Float]) {
        precondition(indices.count == cellCount * neighborCount && distances.count == indices.count)
        self.cellCount = cellCount
        self.neighborCount = neighborCount
        self.indices = indices
        self.distances = distances
    }

    /// The first `k` neighbours of every cell — scib-metrics' `subset_neighbors(n=k)`.
    public func prefix(_ k: Int) -> KNearestNeighbors {
        precondition(k <= neighborCount, "prefix(\(k)) of a \(neighborCount)-neighbour result")
        var idx = [Int32](), dist = [Float]()
        idx.reserveCapacity(cellCount * k); dist.reserveCapacity(cellCount * k)
        for i in 0..<cellCount {
            idx.append(contentsOf: indices[(i * neighborCount)..<(i * neighborCount + k)])
            dist.append(contentsOf: distances[(i * neighborCount)..<(i * neighborCount + k)])
        }
        return KNearestNeighbors(cellCount: cellCount, neighborCount: k, indices: idx, distances: dist)
    }
}

/// How neighbours are searched.
public enum NeighborSearch: String, Codable, Sendable {
    /// Exact below `exactSearchLimit` cells, approximate (NN-descent) above.
    case automatic
    /// Brute force with BLAS distance tiles.
    case exact
    /// Random-projection forest + NN-descent, like pynndescent.
    case approximate
}

/// Above this many cells `.automatic` switches to the approximate index.
public let exactSearchLimit = 300_000

/// The `k` nearest neighbours (self included, first) of each row of `embedding`.
public func nearestNeighbors(
    embedding: Matrix, k: Int, seed: UInt64 = 0, search: NeighborSearch = .automatic
) -> KNearestNeighbors {
    let useExact: Bool
    switch search {
    case .exact: useExact = true
    case .approximate: useExact = false
    case .automatic: useExact = embedding.rows <= exactSearchLimit
    }
    return useExact
        ? exactNearestNeighbors(embedding: embedding, k: k)
        : approximateNearestNeighbors(embedding: embedding, k: k, seed: seed)
}

/// Brute-force kNN: BLAS tiles of squared distances, a bounded max-heap per query row,
/// then exact distances recomputed for the k survivors.
public func exactNearestNeighbors(embedding x: Matrix, k requested: Int) -> KNearestNeighbors {
    let n = x.rows, d = x.columns
    let k = min(requested, n)
    guard n > 0, k > 0 else { return KNearestNeighbors(cellCount: n, neighborCount: 0, indices: [], distances: []) }
    let norms = x.values.withUnsafeBufferPointer { PairwiseDistances.rowSquaredNorms($0.baseAddress!, rows: n, columns: d) }
    // Augmented rows so one product gives |y|² − 2x·y, which ranks neighbours like |x − y|².
    let width = d + 1
    var queries = [Float](repeating: 1, count: n * width)  // (N, D + 1) = [x, 1]
    var points = [Float](repeating: 0, count: n * width)   // (N, D + 1) = [−2y, |y|²]
    for r in 0..<n {
        for c in 0..<d { queries[r * width + c] = x.values[r * d + c]; points[r * width + c] = -2 * x.values[r * d + c] }
        points[r * width + d] = norms[r]
    }
    var indices = [Int32](repeating: 0, count: n * k)  // (N, k)
    var distances = [Float](repeating: 0, count: n * k)  // (N, k)
    // A 512 KB tile stays in L2; 128 query rows per tile so each packed block of points serves four times as many queries.
    let blockRows = 128, blockColumns = 1024
    let blockCount = (n + blockRows - 1) / blockRows
    x.values.withUnsafeBufferPointer { xb in
    queries.withUnsafeBufferPointer { qb in
    points.withUnsafeBufferPointer { pb in
    indices.withUnsafeMutableBufferPointer { ib in
    distances.withUnsafeMutableBufferPointer { db in
        let xp = xb.baseAddress!, qp = qb.baseAddress!, pp = pb.baseAddress!, ip = ib.baseAddress!, dp = db.baseAddress!
        PairwiseDistances.withSingleThreadedBLAS {
        DispatchQueue.concurrentPerform(iterations: blockCount) { block in
            let r0 = block * blockRows, rows = min(blockRows, n - r0)
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: rows * blockColumns)  // (rows, blockColumns)
            let selection = UnsafeMutablePointer<SmallestSelection>.allocate(capacity: rows)
            for r in 0..<rows { (selection + r).initialize(to: SmallestSelection(k: k)) }
            defer {
                tile.deallocate()
                for r in 0..<rows { selection[r].deallocate() }
                selection.deinitialize(count: rows); selection.deallocate()
            }
            var c0 = 0
            while c0 < n {
                let cols = min(blockColumns, n - c0)
                PairwiseDistances.multiplyByTranspose(tile, cStride: cols, qp + r0 * width, aStride: width, m: rows,
                                                      pp + c0 * width, bStride: width, n: cols, depth: width)
                for r in 0..<rows {
                    let row = tile + r * cols
                    let selfColumn = r0 + r - c0
                    if selfColumn >= 0 && selfColumn < cols { row[selfColumn] = -.greatestFiniteMagnitude }
                    selection[r].offer(row, count: cols, offset: c0)
                }
                c0 += cols
            }
            let heapI = UnsafeMutablePointer<Int32>.allocate(capacity: rows * k)  // (rows, k)
            defer { heapI.deallocate() }
            for r in 0..<rows { selection[r].finish(heapI + r * k) }
            for r in 0..<rows {
                let i = r0 + r
                finalizeRow(i, x: xp, dimensions: d, heapI: heapI + r * k, k: k,
                            outIndices: ip + i * k, outDistances: dp + i * k)
            }
        }
        }
    }}}}}
    return KNearestNeighbors(cellCount: n, neighborCount: k, indices: indices, distances: distances)
}

/// The k smallest candidates of one query row by (value, index), offered in increasing index order:
/// accepted candidates (value below the current k-th) go to a buffer of 4k keys, which a quickselect cuts
/// back to the k smallest when full. Keys pack an order-preserving image of the value above the index,
/// so equal values keep the lower index (the earlier candidate).
struct SmallestSelection {
    let k: Int, capacity: Int
    var keys: UnsafeMutablePointer<UInt64>  // (capacity)
    var count = 0
    var threshold = Float.infinity  // value of the k-th smallest once k were kept

    init(k: Int) {
        self.k = k; capacity = 4 * k
        keys = .allocate(capacity: capacity)
    }

    func deallocate() { keys.deallocate() }

    @inline(__always) static func key(_ value: Float, _ index: Int32) -> UInt64 {
        let bits = value.bitPattern
        let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(ordered) << 32 | UInt64(UInt32(bitPattern: index))
    }

    @inline(__always) static func value(_ key: UInt64) -> Float {
        let ordered = UInt32(truncatingIfNeeded: key >> 32)
        return Float(bitPattern: ordered & 0x8000_0000 != 0 ? ordered & 0x7FFF_FFFF : ~ordered)
    }

    mutating func offer(_ values: UnsafePointer<Float>, count n: Int, offset: Int) {
        let raw = UnsafeRawPointer(values)
        var p = 0
        while p + 8 <= n {
            let group = raw.loadUnaligned(fromByteOffset: p * 4, as: SIMD8<Float>.self)
            if any(group .< SIMD8<Float>(repeating: threshold)) {
                for q in p..<(p + 8) where values[q] < threshold { push(values[q], Int32(q + offset)) }
            }
            p += 8
        }
        for q in p..<n where values[q] < threshold { push(values[q], Int32(q + offset)) }
    }

    @inline(__always) mutating func push(_ value: Float, _ index: Int32) {
        keys[count] = Self.key(value, index)
        count += 1
        if count == capacity { shrink() }
    }

    /// Keeps the k smallest keys in keys[0..<k] (unordered) and sets the threshold to the k-th value.
    mutating func shrink() {
        guard count > k else { return }
        var lo = 0, hi = count - 1
        let target = k - 1
        while lo < hi {
            let pivot = keys[(lo + hi) / 2]
            var i = lo, j = hi
            while i <= j {
                while keys[i] < pivot { i += 1 }
                while keys[j] > pivot { j -= 1 }
                if i <= j { let t = keys[i]; keys[i] = keys[j]; keys[j] = t; i += 1; j -= 1 }
            }
            if target <= j { hi = j } else if target >= i { lo = i } else { break }
        }
        count = k
        threshold = Self.value(keys[target])
    }

    /// Writes the k chosen indices (any order; −1 pads when fewer than k were offered).
    mutating func finish(_ out: UnsafeMutablePointer<Int32>) {
        shrink()
        for j in 0..<k { out[j] = j < count ? Int32(bitPattern: UInt32(truncatingIfNeeded: keys[j])) : -1 }
    }
}

/// Offers `count` candidate squared distances to a max-heap holding the k smallest seen so far.
@inline(__always)
func pushSmallest(_ values: UnsafePointer<Float>, count: Int, offset: Int,
                  heapD: UnsafeMutablePointer<Float>, heapI: UnsafeMutablePointer<Int32>, k: Int) {
    var top = heapD[0]
    // Most candidates lose to the heap's root: test eight at a time, and only walk a group (in order) when one wins.
    let raw = UnsafeRawPointer(values)
    var p = 0
    while p + 8 <= count {
        let group = raw.loadUnaligned(fromByteOffset: p * 4, as: SIMD8<Float>.self)
        if any(group .< SIMD8<Float>(repeating: top)) {
            for q in p..<(p + 8) where values[q] < top {
                heapReplaceTop(heapD, heapI, k: k, value: values[q], index: Int32(q + offset))
                top = heapD[0]
            }
        }
        p += 8
    }
    for q in p..<count where values[q] < top {
        heapReplaceTop(heapD, heapI, k: k, value: values[q], index: Int32(q + offset))
        top = heapD[0]
    }
}

/// Replaces the root of a max-heap of size k and sifts it down.
@inline(__always)
func heapReplaceTop(_ heapD: UnsafeMutablePointer<Float>, _ heapI: UnsafeMutablePointer<Int32>,
                    k: Int, value: Float, index: Int32) {
    var i = 0
    while true {
        let left = 2 * i + 1
        if left >= k { break }
        var child = left
        if left + 1 < k && heapD[left + 1] > heapD[left] { child = left + 1 }
        if heapD[child] <= value { break }
        heapD[i] = heapD[child]; heapI[i] = heapI[child]
        i = child
    }
    heapD[i] = value; heapI[i] = index
}

/// Recomputes exact distances of the surviving candidates and writes them sorted, self first.
func finalizeRow(_ i: Int, x: UnsafePointer<Float>, dimensions d: Int, heapI: UnsafePointer<Int32>, k: Int,
                 outIndices: UnsafeMutablePointer<Int32>, outDistances: UnsafeMutablePointer<Float>) {
    var pairs = [(Float, Int32)](); pairs.reserveCapacity(k)
    let xi = x + i * d
    for j in 0..<k {
        let idx = heapI[j]
        guard idx >= 0 else { continue }
        if Int(idx) == i { pairs.append((-1, idx)); continue }
        let xj = x + Int(idx) * d
        var s: Float = 0
        for c in 0..<d { let t = xi[c] - xj[c]; s += t * t }
        pairs.append((s.squareRoot(), idx))
    }
    pairs.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
    for j in 0..<k {
        if j < pairs.count {
            outIndices[j] = pairs[j].1
            outDistances[j] = max(0, pairs[j].0)
        } else {
            outIndices[j] = -1; outDistances[j] = .infinity
        }
    }
}
