import CellviKernels
import Foundation

/// Approximate kNN for large embeddings: a random-projection forest seeds each cell's heap, then
/// NN-descent (Dong et al. 2011, as pynndescent) refines it by trying neighbours of neighbours.
/// Self is always returned first with distance 0, like pynndescent's `neighbor_graph`.
public func approximateNearestNeighbors(
    embedding x: Matrix, k requested: Int, seed: UInt64, treeCount: Int = 8, maxCandidates: Int = 30
) -> KNearestNeighbors {
    let n = x.rows, d = x.columns
    let k = min(requested, n)
    guard k > 1, n > k else { return exactNearestNeighbors(embedding: x, k: requested) }
    var rng = SeededGenerator(seed: seed)
    // Heap entries: squared distance and index; an index stored as -(j+1) marks an "old" (already joined) entry.
    var heapD = [Float](repeating: .infinity, count: n * k)  // (N, k)
    var heapI = [Int32](repeating: Int32.min, count: n * k)  // (N, k)
    x.values.withUnsafeBufferPointer { xb in
    heapD.withUnsafeMutableBufferPointer { hdb in
    heapI.withUnsafeMutableBufferPointer { hib in
        let xp = xb.baseAddress!, hd = hdb.baseAddress!, hi = hib.baseAddress!
        func distance(_ a: Int, _ b: Int) -> Float {
            let pa = xp + a * d, pb = xp + b * d
            var s: Float = 0
            for c in 0..<d { let t = pa[c] - pb[c]; s += t * t }
            return s
        }
        /// Inserts j into i's heap as a new entry unless it is there already or too far.
        func push(_ i: Int, _ j: Int, _ dist: Float) -> Bool {
            let rowD = hd + i * k, rowI = hi + i * k
            if dist >= rowD[0] { return false }
            let jj = Int32(j)
            for t in 0..<k where rowI[t] == jj || rowI[t] == -jj - 1 { return false }
            heapReplaceTop(rowD, rowI, k: k, value: dist, index: jj)
            return true
        }
        // 1. Random-projection forest: brute force inside each leaf.
        let leafSize = max(k, 30)
        for _ in 0..<treeCount {
            var stack: [[Int]] = [Array(0..<n)]
            while let node = stack.popLast() {
                if node.count <= leafSize {
                    for a in 0..<node.count { for b in (a + 1)..<max(a + 1, node.count) {
                        let dist = distance(node[a], node[b])
                        _ = push(node[a], node[b], dist); _ = push(node[b], node[a], dist)
                    } }
                    continue
                }
                let (left, right) = randomProjectionSplit(node, x: xp, dimensions: d, rng: &rng)
                stack.append(left); stack.append(right)
            }
        }
        // 2. NN-descent joins until few heap updates happen.
        let iterations = max(5, Int((log2(Double(n))).rounded()))
        for _ in 0..<iterations {
            var newLists = [[Int32]](repeating: [], count: n)
            var oldLists = [[Int32]](repeating: [], count: n)
            for i in 0..<n {
                let rowI = hi + i * k
                for t in 0..<k where rowI[t] != Int32.min {
                    if rowI[t] >= 0 {
                        let j = Int(rowI[t])
                        if newLists[i].count < maxCandidates { newLists[i].append(Int32(j)); rowI[t] = -rowI[t] - 1 }
                        if newLists[j].count < maxCandidates { newLists[j].append(Int32(i)) }
                    } else {
                        let j = Int(-rowI[t] - 1)
                        if oldLists[i].count < maxCandidates { oldLists[i].append(Int32(j)) }
                        if oldLists[j].count < maxCandidates { oldLists[j].append(Int32(i)) }
                    }
                }
            }
            var updates = 0
            for v in 0..<n {
                let fresh = newLists[v], old = oldLists[v]
                for a in 0..<fresh.count {
                    let p = Int(fresh[a])
                    for b in (a + 1)..<max(a + 1, fresh.count) {
                        let q = Int(fresh[b]); if p == q { continue }
                        let dist = distance(p, q)
                        if push(p, q, dist) { updates += 1 }
                        if push(q, p, dist) { updates += 1 }
                    }
                    for q32 in old {
                        let q = Int(q32); if p == q { continue }
                        let dist = distance(p, q)
                        if push(p, q, dist) { updates += 1 }
                        if push(q, p, dist) { updates += 1 }
                    }
                }
            }
            if Double(updates) < 0.001 * Double(k * n) { break }
        }
    }}}
    // 3. Decode, add self, sort.
    var indices = [Int32](repeating: 0, count: n * k)  // (N, k)
    var distances = [Float](repeating: 0, count: n * k)  // (N, k)
    x.values.withUnsafeBufferPointer { xb in
        for i in 0..<n {
            var row = [Int32]()
            for t in 0..<k {
                let raw = heapI[i * k + t]
                if raw == Int32.min { continue }
                let j = raw >= 0 ? raw : -raw - 1
                if Int(j) != i { row.append(j) }
            }
            // Drop the farthest so self fits in the k slots.
            row.sort { heapDistance(i, $0, xb.baseAddress!, d) < heapDistance(i, $1, xb.baseAddress!, d) }
            row = [Int32(i)] + row.prefix(k - 1)
            row.withUnsafeBufferPointer { rb in
                indices.withUnsafeMutableBufferPointer { ib in
                distances.withUnsafeMutableBufferPointer { db in
                    var padded = [Int32](rb); while padded.count < k { padded.append(-1) }
                    padded.withUnsafeBufferPointer { pb in
                        finalizeRow(i, x: xb.baseAddress!, dimensions: d, heapI: pb.baseAddress!, k: k,
                                    outIndices: ib.baseAddress! + i * k, outDistances: db.baseAddress! + i * k)
                    }
                }}
            }
        }
    }
    return KNearestNeighbors(cellCount: n, neighborCount: k, indices: indices, distances: distances)
}

@inline(__always)
private func heapDistance(_ a: Int, _ b: Int32, _ x: UnsafePointer<Float>, _ d: Int) -> Float {
    let pa = x + a * d, pb = x + Int(b) * d
    var s: Float = 0
    for c in 0..<d { let t = pa[c] - pb[c]; s += t * t }
    return s
}

/// Splits `points` by the hyperplane halfway between two random members; falls back to a random halving.
private func randomProjectionSplit(
    _ points: [Int], x: UnsafePointer<Float>, dimensions d: Int, rng: inout SeededGenerator
) -> ([Int], [Int]) {
    let a = points[Int.random(in: 0..<points.count, using: &rng)]
    var b = points[Int.random(in: 0..<points.count, using: &rng)]
    if a == b { b = points[(points.firstIndex(of: a)! + 1) % points.count] }
    let pa = x + a * d, pb = x + b * d
    var normal = [Float](repeating: 0, count: d), offset: Float = 0
    for c in 0..<d { normal[c] = pa[c] - pb[c]; offset += normal[c] * (pa[c] + pb[c]) / 2 }
    var left = [Int](), right = [Int]()
    for p in points {
        let pp = x + p * d
        var s: Float = 0
        for c in 0..<d { s += normal[c] * pp[c] }
        if s - offset > 0 { left.append(p) } else if s - offset < 0 { right.append(p) }
        else if rng.next() & 1 == 0 { left.append(p) } else { right.append(p) }
    }
    if left.isEmpty || right.isEmpty {
        let shuffled = points.shuffled(using: &rng)
        return (Array(shuffled[..<(points.count / 2)]), Array(shuffled[(points.count / 2)...]))
    }
    return (left, right)
}
