import CellviKernels
import Foundation

/// Wilcoxon rank-sum scores per gene, group vs reference, as scanpy's
/// `rank_genes_groups(method="wilcoxon", tie_correct=True)`: average ranks over the pooled cells,
/// z = (R₁ − n₁(n₁+n₂+1)/2) / √(n₁n₂(n₁+n₂+1)/12 · T), T = 1 − Σ(t³−t)/(n³−n); NaN scores become 0.
public enum WilcoxonRankSum {
    /// z-scores (G) of `group` rows against `reference` rows of `values` (N, G).
    public static func scores(_ values: CSRMatrix, group: [Int], reference: [Int]) -> [Double] {
        let G = values.columnCount, n1 = group.count, n2 = reference.count, n = n1 + n2
        // Dense column copies of the pooled cells, group first. (G, n)
        var columns = [Float](repeating: 0, count: G * n)
        for (i, r) in (group + reference).enumerated() {
            for e in values.rowOffsets[r]..<values.rowOffsets[r + 1] { columns[Int(values.columnIndices[e]) * n + i] = values.values[e] }
        }
        let expected = Double(n1) * Double(n + 1) / 2
        let variance = Double(n1) * Double(n2) * Double(n + 1) / 12
        var out = [Double](repeating: 0, count: G)
        var order = [Int](repeating: 0, count: n)
        for g in 0..<G {
            let column = columns[(g * n)..<((g + 1) * n)]
            let base = column.startIndex
            for i in 0..<n { order[i] = i }
            order.sort { column[base + $0] < column[base + $1] }
            var rankSum = 0.0, ties = 0.0
            var start = 0
            while start < n {
                var end = start + 1
                while end < n && column[base + order[end]] == column[base + order[start]] { end += 1 }
                let averageRank = Double(start + end + 1) / 2   // ranks start..<end are 1-based start+1 ... end
                for k in start..<end where order[k] < n1 { rankSum += averageRank }
                let t = Double(end - start)
                ties += t * t * t - t
                start = end
            }
            let nd = Double(n)
            let correction = n > 1 ? 1 - ties / (nd * nd * nd - nd) : 0
            let sd = (variance * correction).squareRoot()
            let z = (rankSum - expected) / sd
            out[g] = z.isFinite ? z : 0
        }
        return out
    }

    /// Indices of the `count` highest scores, best first (ties by gene index).
    public static func topGenes(_ scores: [Double], count: Int) -> [Int] {
        Array(scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(count))
    }
}
