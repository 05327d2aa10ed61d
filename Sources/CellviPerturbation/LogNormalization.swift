import CellviKernels
import Foundation

/// scanpy's `normalize_total(target_sum=1e4)` followed by `log1p`: each cell scaled to 10 000
/// total counts, then log(1 + x). Cells with zero total stay zero.
public enum LogNormalization {
    public static let targetSum: Double = 1e4

    /// Sparse counts (N, G) → sparse log-normalized (N, G), same sparsity pattern.
    public static func apply(_ counts: CSRMatrix) -> CSRMatrix {
        var out = counts
        let totals = counts.rowSums()
        for r in 0..<counts.rowCount where totals[r] > 0 {
            let scale = targetSum / totals[r]
            for e in counts.rowOffsets[r]..<counts.rowOffsets[r + 1] {
                out.values[e] = Float(Foundation.log1p(Double(counts.values[e]) * scale))
            }
        }
        return out
    }

    /// Dense expression (N, G) (e.g. expected counts) → log-normalized (N, G).
    public static func apply(_ expression: Matrix) -> Matrix {
        var out = expression
        let G = expression.columns
        for r in 0..<expression.rows {
            var total = 0.0
            for g in 0..<G { total += Double(expression.values[r * G + g]) }
            guard total > 0 else { continue }
            let scale = targetSum / total
            for g in 0..<G { out.values[r * G + g] = Float(Foundation.log1p(Double(expression.values[r * G + g]) * scale)) }
        }
        return out
    }
}
