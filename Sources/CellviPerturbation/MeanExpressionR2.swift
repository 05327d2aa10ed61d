import CellviKernels
import Foundation

/// Per-gene means and the R² scGen reports: the squared Pearson correlation of two mean vectors
/// (`scipy.stats.linregress(x, y).rvalue ** 2`).
public enum MeanExpressionR2 {
    /// Squared Pearson correlation of x and y; 0 when either is constant.
    public static func squaredPearson(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "squaredPearson: \(x.count) vs \(y.count) values")
        let n = Double(x.count)
        guard n > 1 else { return 0 }
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for i in x.indices {
            let dx = x[i] - mx, dy = y[i] - my
            sxx += dx * dx; syy += dy * dy; sxy += dx * dy
        }
        guard sxx > 0, syy > 0 else { return 0 }
        let r = sxy / (sxx * syy).squareRoot()
        return min(r * r, 1)
    }

    /// Column means over the given rows of a sparse matrix (all rows when nil). (G)
    public static func geneMeans(_ m: CSRMatrix, rows: [Int]? = nil) -> [Double] {
        var sum = [Double](repeating: 0, count: m.columnCount)
        let chosen = rows ?? Array(0..<m.rowCount)
        for r in chosen {
            for e in m.rowOffsets[r]..<m.rowOffsets[r + 1] { sum[Int(m.columnIndices[e])] += Double(m.values[e]) }
        }
        return sum.map { $0 / Double(max(chosen.count, 1)) }
    }

    /// Column means of a dense matrix. (G)
    public static func geneMeans(_ m: Matrix) -> [Double] {
        var sum = [Double](repeating: 0, count: m.columns)
        for r in 0..<m.rows { for g in 0..<m.columns { sum[g] += Double(m.values[r * m.columns + g]) } }
        return sum.map { $0 / Double(max(m.rows, 1)) }
    }
}
