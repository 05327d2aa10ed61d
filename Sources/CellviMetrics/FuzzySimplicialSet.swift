import CellviKernels
import Foundation

/// UMAP's `smooth_knn_dist`: per-cell `rho` (distance to the nearest non-identical neighbour) and `sigma`
/// such that Σ_{j≥1} exp(−max(0, d_j − rho)/sigma) = log2(k), found by 64-step bisection.
/// Column 0 (self) is skipped in the sum, as UMAP does.
func smoothKNNDistances(_ knn: KNearestNeighbors) -> (sigmas: [Double], rhos: [Double]) {
    let n = knn.cellCount, k = knn.neighborCount
    let target = log2(Double(k))
    let tolerance = 1e-5, minScale = 1e-3
    var sigmas = [Double](repeating: 0, count: n), rhos = [Double](repeating: 0, count: n)
    var total = 0.0
    for v in knn.distances { total += Double(v) }
    let meanDistance = total / Double(max(1, knn.distances.count))
    for i in 0..<n {
        let row = knn.distances[(i * k)..<((i + 1) * k)].map { Double($0) }
        if let firstNonZero = row.first(where: { $0 > 0 }) { rhos[i] = firstNonZero }
        var lo = 0.0, hi = Double.greatestFiniteMagnitude, mid = 1.0
        for _ in 0..<64 {
            var psum = 0.0
            for j in 1..<k {
                let dd = row[j] - rhos[i]
                psum += dd > 0 ? exp(-(dd / mid)) : 1
            }
            if abs(psum - target) < tolerance { break }
            if psum > target { hi = mid; mid = (lo + hi) / 2 } else {
                lo = mid
                mid = hi == Double.greatestFiniteMagnitude ? mid * 2 : (lo + hi) / 2
            }
        }
        sigmas[i] = Double(Float(mid))  // UMAP stores sigma as float32
        let meanRow = row.reduce(0, +) / Double(k)
        let floor = rhos[i] > 0 ? minScale * meanRow : minScale * meanDistance
        if sigmas[i] < floor { sigmas[i] = floor }
    }
    return (sigmas, rhos)
}

/// UMAP connectivities from a kNN result (self included): membership strengths
/// exp(−(d − rho)/sigma), then the fuzzy union A + Aᵀ − A∘Aᵀ — UMAP's `fuzzy_simplicial_set`
/// with `set_op_mix_ratio=1, local_connectivity=1`, which scanpy and scib-metrics use.
public func fuzzyConnectivities(_ knn: KNearestNeighbors) -> CSRMatrix {
    let n = knn.cellCount, k = knn.neighborCount
    let (sigmas, rhos) = smoothKNNDistances(knn)
    var entries = [[(Int32, Float)]](repeating: [], count: n)  // directed memberships a_ij, row i
    for i in 0..<n {
        for j in 0..<k {
            let idx = Int(knn.indices[i * k + j])
            if idx < 0 || idx == i { continue }
            let dd = Double(knn.distances[i * k + j]) - rhos[i]
            let value: Float = (dd <= 0 || sigmas[i] == 0) ? 1 : Float(exp(-(dd / sigmas[i])))
            if value != 0 { entries[i].append((Int32(idx), value)) }
        }
    }
    let directed = csrFromRows(entries, columnCount: n)
    return fuzzyUnion(directed)
}

/// A + Aᵀ − A∘Aᵀ for a square sparse A with sorted rows.
func fuzzyUnion(_ a: CSRMatrix) -> CSRMatrix {
    let t = a.transposed()
    var offsets = [0], cols = [Int32](), vals = [Float]()
    for r in 0..<a.rowCount {
        var p = a.rowOffsets[r], q = t.rowOffsets[r]
        let pe = a.rowOffsets[r + 1], qe = t.rowOffsets[r + 1]
        while p < pe || q < qe {
            let cp = p < pe ? a.columnIndices[p] : Int32.max
            let cq = q < qe ? t.columnIndices[q] : Int32.max
            var value: Float, column: Int32
            if cp == cq {
                let x = a.values[p], y = t.values[q]
                value = x + y - x * y; column = cp; p += 1; q += 1
            } else if cp < cq {
                value = a.values[p]; column = cp; p += 1
            } else {
                value = t.values[q]; column = cq; q += 1
            }
            if value != 0 { cols.append(column); vals.append(value) }
        }
        offsets.append(cols.count)
    }
    return CSRMatrix(rowCount: a.rowCount, columnCount: a.columnCount, rowOffsets: offsets, columnIndices: cols, values: vals)
}

/// Builds a CSR matrix from per-row (column, value) lists, sorting each row and summing duplicates.
func csrFromRows(_ rows: [[(Int32, Float)]], columnCount: Int) -> CSRMatrix {
    var offsets = [0], cols = [Int32](), vals = [Float]()
    for var row in rows {
        row.sort { $0.0 < $1.0 }
        for (c, v) in row {
            if let last = cols.last, cols.count > offsets.last!, last == c { vals[vals.count - 1] += v } else {
                cols.append(c); vals.append(v)
            }
        }
        offsets.append(cols.count)
    }
    return CSRMatrix(rowCount: rows.count, columnCount: columnCount, rowOffsets: offsets, columnIndices: cols, values: vals)
}
