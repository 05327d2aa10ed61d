import CellviKernels
import Dispatch

/// Distance used by silhouettes (scib-metrics' `metric`).
public enum SilhouetteDistance: String, Codable, Sendable {
    case euclidean
    /// 1 − cos(x, y), clipped to [0, 2].
    case cosine
}

/// How the "other cluster" distance b(i) is formed (scib-metrics' `between_cluster_distances`).
public enum BetweenClusterDistance: String, Codable, Sendable {
    /// Standard silhouette: the nearest other cluster's mean distance.
    case nearest
    /// BRAS: mean distance to all cells outside the own cluster.
    case meanOther
    /// BRAS variant: the farthest other cluster's mean distance.
    case furthest
}

/// Per-cell silhouette widths — scib-metrics' `silhouette_samples` (sklearn semantics; NaN → 0,
/// so cells of singleton clusters score 0). `codes` must be 0..<categoryCount.  // returns (N)
public func silhouetteSamples(
    embedding x: Matrix, codes: [Int32], categoryCount: Int,
    distance: SilhouetteDistance = .euclidean, between: BetweenClusterDistance = .nearest
) -> [Float] {
    let n = x.rows, d = x.columns
    precondition(codes.count == n, "silhouetteSamples: \(codes.count) codes for \(n) cells")
    guard n > 1 else { return [Float](repeating: 0, count: n) }
    // Group rows by code so each cluster is a contiguous column range of a distance tile.
    let order = (0..<n).sorted { codes[$0] < codes[$1] || (codes[$0] == codes[$1] && $0 < $1) }
    var grouped = x.selectingRows(order)  // (N, D)
    if distance == .cosine { normalizeRows(&grouped) }
    let counts = codeCounts(codes, categoryCount: categoryCount)
    var starts = [Int](repeating: 0, count: categoryCount + 1)
    for c in 0..<categoryCount { starts[c + 1] = starts[c] + counts[c] }
    let norms = grouped.values.withUnsafeBufferPointer { PairwiseDistances.rowSquaredNorms($0.baseAddress!, rows: n, columns: d) }
    // Distances are symmetric: row block b only visits columns ≥ its first row. Its row sums cover those columns;
    // the columns right of the block also receive the block's rows as column sums, per category.
    let blockRows = 32, blockColumns = 4096  // a 512 KB tile stays in L2
    let blockCount = (n + blockRows - 1) / blockRows
    let workerCount = min(4, blockCount)
    var rowSums = [Double](repeating: 0, count: n * categoryCount)  // (N, C)
    var columnSums = [[Double]](repeating: [], count: workerCount)  // per worker (C, N)
    var codeOfGrouped = [Int](repeating: 0, count: n)
    for c in 0..<categoryCount { for g in starts[c]..<starts[c + 1] { codeOfGrouped[g] = c } }
    grouped.values.withUnsafeBufferPointer { gb in
    norms.withUnsafeBufferPointer { nb in
    rowSums.withUnsafeMutableBufferPointer { rsb in
    columnSums.withUnsafeMutableBufferPointer { csb in
        let gp = gb.baseAddress!, np = nb.baseAddress!, rowSumsP = rsb.baseAddress!, columnSumsP = csb.baseAddress!
        PairwiseDistances.withSingleThreadedBLAS {
        DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
            var columnAcc = [Double](repeating: 0, count: categoryCount * n)  // (C, N)
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * blockColumns)  // (rows, blockColumns)
            defer { tile.deallocate() }
            columnAcc.withUnsafeMutableBufferPointer { cab in
                let acc = cab.baseAddress!
                var block = worker
                while block < blockCount {
                    let r0 = block * blockRows, rows = min(blockRows, n - r0)
                    var c0 = r0
                    while c0 < n {
                        let cols = min(blockColumns, n - c0)
                        PairwiseDistances.multiplyByTranspose(tile, cStride: cols, gp + r0 * d, aStride: d, m: rows,
                                                              gp + c0 * d, bStride: d, n: cols, depth: d,
                                                              alpha: distance == .euclidean ? -2 : 1)
                        for r in 0..<rows {
                            let row = tile + r * cols
                            if distance == .euclidean {
                                PairwiseDistances.distancesFromProducts(row, offset: np[r0 + r], norms: np + c0, count: cols)
                            } else {
                                for t in 0..<cols { row[t] = min(2, max(0, 1 - row[t])) }
                            }
                            let selfColumn = r0 + r - c0
                            if selfColumn >= 0 && selfColumn < cols { row[selfColumn] = 0 }
                            for c in 0..<categoryCount {
                                let lo = max(starts[c], c0) - c0, hi = min(starts[c + 1], c0 + cols) - c0
                                guard hi > lo else { continue }
                                rowSumsP[(r0 + r) * categoryCount + c] += PairwiseDistances.sumOfValues(row + lo, count: hi - lo)
                            }
                        }
                        // Column sums for columns past this row block, one run of equal-category rows at a time.
                        let firstColumn = max(r0 + rows, c0) - c0
                        if firstColumn < cols {
                            var runStart = 0
                            while runStart < rows {
                                let category = codeOfGrouped[r0 + runStart]
                                var runEnd = runStart + 1
                                while runEnd < rows && codeOfGrouped[r0 + runEnd] == category { runEnd += 1 }
                                PairwiseDistances.addColumnSums(acc + category * n + c0 + firstColumn,
                                                                tile + runStart * cols + firstColumn,
                                                                rowCount: runEnd - runStart, stride: cols, count: cols - firstColumn)
                                runStart = runEnd
                            }
                        }
                        c0 += cols
                    }
                    block += workerCount
                }
            }
            columnSumsP[worker] = columnAcc
        }
        }
    }}}}
    var widths = [Float](repeating: 0, count: n)  // (N) in grouped order
    var sums = [Double](repeating: 0, count: categoryCount)
    for i in 0..<n {
        for c in 0..<categoryCount {
            var s = rowSums[i * categoryCount + c]
            for w in 0..<workerCount { s += columnSums[w][c * n + i] }
            sums[c] = s
        }
        widths[i] = silhouetteWidth(clusterSums: sums, counts: counts, own: codeOfGrouped[i], total: n, between: between)
    }
    var result = [Float](repeating: 0, count: n)
    for (g, i) in order.enumerated() { result[i] = widths[g] }
    return result
}

/// s(i) = (b − a) / max(a, b) from per-cluster distance sums; NaN and singleton clusters give 0.
func silhouetteWidth(clusterSums: [Double], counts: [Int], own: Int, total: Int, between: BetweenClusterDistance) -> Float {
    guard counts[own] > 1 else { return 0 }
    let a = clusterSums[own] / Double(counts[own] - 1)
    var b: Double
    switch between {
    case .nearest:
        b = .infinity
        for c in 0..<counts.count where c != own && counts[c] > 0 { b = min(b, clusterSums[c] / Double(counts[c])) }
    case .furthest:
        b = -.infinity
        for c in 0..<counts.count where c != own && counts[c] > 0 { b = max(b, clusterSums[c] / Double(counts[c])) }
    case .meanOther:
        var sum = 0.0
        for c in 0..<counts.count where c != own { sum += clusterSums[c] }
        b = sum / Double(total - counts[own])
    }
    let denominator = max(a, b)
    let s = (b - a) / denominator
    return s.isFinite ? Float(s) : 0
}

/// Scales each row to unit length (zero rows stay zero).
func normalizeRows(_ m: inout Matrix) {
    for r in 0..<m.rows {
        var s: Float = 0
        for c in 0..<m.columns { s += m[r, c] * m[r, c] }
        let inv = s > 0 ? 1 / s.squareRoot() : 0
        for c in 0..<m.columns { m[r, c] *= inv }
    }
}

/// scib-metrics' `silhouette_label`: mean silhouette of cell-type labels, rescaled to (s + 1) / 2.
public func silhouetteLabel(embedding: Matrix, labels: [String]) -> Double {
    let codes = CategoricalCodes(labels)
    let widths = silhouetteSamples(embedding: embedding, codes: codes.codes, categoryCount: codes.categoryCount)
    return rescaledMean(widths)
}

func rescaledMean(_ widths: [Float]) -> Double {
    guard !widths.isEmpty else { return .nan }
    return widths.reduce(0.0) { $0 + (Double($1) + 1) / 2 } / Double(widths.count)
}

/// scib-metrics' `silhouette_batch` / `bras`: within each label, batch silhouettes s, scored 1 − |s|,
/// averaged per label and then over labels. Labels with one batch, or one cell per batch, are skipped.
/// `bras` (scib-metrics 0.5 default) is `distance: .cosine, between: .meanOther`.
public func batchSilhouette(
    embedding: Matrix, labels: [String], batches: [String],
    distance: SilhouetteDistance = .cosine, between: BetweenClusterDistance = .meanOther
) -> Double {
    let labelCodes = CategoricalCodes(labels)
    var members = [[Int]](repeating: [], count: labelCodes.categoryCount)
    for (i, c) in labelCodes.codes.enumerated() { members[Int(c)].append(i) }
    var perLabel = [Double]()
    for cells in members {
        let batchCodes = CategoricalCodes(cells.map { batches[$0] })
        if batchCodes.categoryCount == 1 || batchCodes.categoryCount == cells.count { continue }
        let widths = silhouetteSamples(embedding: embedding.selectingRows(cells), codes: batchCodes.codes,
                                       categoryCount: batchCodes.categoryCount, distance: distance, between: between)
        perLabel.append(widths.reduce(0.0) { $0 + 1 - abs(Double($1)) } / Double(widths.count))
    }
    return perLabel.isEmpty ? .nan : perLabel.reduce(0, +) / Double(perLabel.count)
}

/// scib-metrics' `bras`: batch removal adapted silhouette (cosine distance, mean over other batches).
public func bras(embedding: Matrix, labels: [String], batches: [String]) -> Double {
    batchSilhouette(embedding: embedding, labels: labels, batches: batches, distance: .cosine, between: .meanOther)
}
