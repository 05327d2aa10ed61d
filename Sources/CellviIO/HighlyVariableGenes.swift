import CellviKernels
import Foundation

/// Highly variable genes chosen from raw counts as
/// `scanpy.pp.highly_variable_genes(adata, flavor="seurat_v3", n_top_genes:, batch_key:)` does:
/// per batch, a loess trend of log10 variance on log10 mean (span 0.3, degree 2) gives each
/// gene an expected standard deviation σ; counts are clipped at `mean + σ·√n` and the variance
/// of the standardized, clipped counts is the gene's normalized variance. Genes are ranked per
/// batch; the rank of a gene is its median rank over the batches where it is in the top N.
public struct HighlyVariableGenes: Sendable {
    /// How genes ranked in several batches are ordered (scanpy's `flavor`).
    public enum Flavor: String, Sendable {
        /// scanpy `seurat_v3`: by median rank, then by the number of batches (more first).
        case seuratV3 = "seurat_v3"
        /// scanpy `seurat_v3_paper`: by the number of batches (more first), then by median rank.
        case seuratV3Paper = "seurat_v3_paper"
    }

    /// The chosen genes, best first (at most `topGeneCount`).
    public var selected: [Int]
    public var isHighlyVariable: [Bool]    // (genes) scanpy var `highly_variable`
    public var means: [Double]             // (genes) over all cells, var `means`
    public var variances: [Double]         // (genes) over all cells, ddof 1, var `variances`
    public var variancesNorm: [Double]     // (genes) mean over batches, var `variances_norm`
    public var rank: [Double]              // (genes) median rank where in a batch's top N, else NaN; var `highly_variable_rank`
    public var batchCount: [Int]           // (genes) batches with the gene in their top N; var `highly_variable_nbatches`

    /// - Parameters:
    ///   - counts: raw counts, cells × genes.
    ///   - batchLabels: one label per cell (scanpy's `adata.obs[batch_key]`), or nil for one batch.
    ///   - span: the loess span (scanpy's `span`).
    public static func seuratV3(counts: CSRMatrix, topGeneCount: Int, batchLabels: [String]? = nil,
                                span: Double = 0.3, flavor: Flavor = .seuratV3) throws -> HighlyVariableGenes {
        let genes = counts.columnCount
        guard topGeneCount > 0 else { throw invalid("n_top_genes", "n_top_genes is \(topGeneCount)", fix: "Ask for at least one gene.") }
        if let labels = batchLabels, labels.count != counts.rowCount {
            throw invalid("batch_key", "\(labels.count) batch labels for \(counts.rowCount) cells", fix: "Pass one batch label per cell.")
        }
        let overall = GeneMoments(counts: counts, rows: Array(0..<counts.rowCount))
        let batches = batchRows(labels: batchLabels, cellCount: counts.rowCount)  // sorted like np.unique

        if let (label, rows) = batches.first(where: { $0.1.count < 2 }) {
            throw invalid("batch \(label)", "the batch has \(rows.count) cell", fix: "Drop batches with fewer than 2 cells or merge them.")
        }
        var normalizedVariances: [[Double]] = []  // (batches, genes)
        for (label, rows) in batches {
            normalizedVariances.append(try normalizedVariance(counts: counts, rows: rows, span: span, batch: label))
        }

        // Rank per batch (0 = most variable); keep ranks inside the top N only.
        var batchCount = [Int](repeating: 0, count: genes)
        var topRanks = [[Float]](repeating: [], count: genes)  // per gene, its ranks < N
        for variances in normalizedVariances {
            let order = (0..<genes).sorted { variances[$0] > variances[$1] || (variances[$0] == variances[$1] && $0 < $1) }
            for (position, gene) in order.enumerated() where position < topGeneCount {
                batchCount[gene] += 1
                topRanks[gene].append(Float(position))
            }
        }
        let rank = topRanks.map(median)
        let variancesNorm = (0..<genes).map { g in normalizedVariances.reduce(0) { $0 + $1[g] } / Double(normalizedVariances.count) }

        let order = (0..<genes).sorted { a, b in
            let byRank = compareRanks(rank[a], rank[b]), byBatches = batchCount[b] - batchCount[a]
            let (first, second) = flavor == .seuratV3 ? (byRank, byBatches) : (byBatches, byRank)
            if first != 0 { return first < 0 }
            if second != 0 { return second < 0 }
            return a < b  // pandas' multi-column sort is stable
        }
        let selected = Array(order.prefix(topGeneCount))
        var isHighlyVariable = [Bool](repeating: false, count: genes)
        for g in selected { isHighlyVariable[g] = true }
        return HighlyVariableGenes(selected: selected, isHighlyVariable: isHighlyVariable, means: overall.means,
                                   variances: overall.variances, variancesNorm: variancesNorm, rank: rank,
                                   batchCount: batchCount)
    }

    /// One batch: loess trend, clipping and the variance of standardized counts.  // (genes)
    private static func normalizedVariance(counts: CSRMatrix, rows: [Int], span: Double, batch: String) throws -> [Double] {
        let n = rows.count
        let moments = GeneMoments(counts: counts, rows: rows)
        let varying = moments.variances.indices.filter { moments.variances[$0] > 0 }
        guard Int((Double(varying.count) * span).rounded(.down)) > 3 else {
            throw invalid("batch \(batch)", "only \(varying.count) genes vary in this batch, too few for a loess trend",
                          fix: "Use more genes or merge small batches.")
        }
        let fitted = Loess.fittedValues(x: varying.map { log10(moments.means[$0]) },
                                        y: varying.map { log10(moments.variances[$0]) }, span: span, degree: 2)
        var expectedLog10Variance = [Double](repeating: 0, count: counts.columnCount)  // (genes)
        for (i, g) in varying.enumerated() { expectedLog10Variance[g] = fitted[i] }
        let expectedSD = expectedLog10Variance.map { pow(10, $0).squareRoot() }       // reg_std
        let limit = expectedSD.indices.map { expectedSD[$0] * Double(n).squareRoot() + moments.means[$0] }  // clip_val

        var clippedSum = [Double](repeating: 0, count: counts.columnCount)         // (genes)
        var clippedSquareSum = [Double](repeating: 0, count: counts.columnCount)   // (genes)
        for r in rows {
            for k in counts.rowOffsets[r]..<counts.rowOffsets[r + 1] {
                let g = Int(counts.columnIndices[k])
                let value = min(Double(counts.values[k]), limit[g])
                clippedSquareSum[g] += value * value
                clippedSum[g] += value
            }
        }
        let nd = Double(n)
        return (0..<counts.columnCount).map { g in
            let mean = moments.means[g]
            return (1 / (Double(n - 1) * (expectedSD[g] * expectedSD[g])))
                * ((nd * (mean * mean)) + clippedSquareSum[g] - 2 * clippedSum[g] * mean)
        }
    }

    /// Row indices of each batch, batches in sorted label order (np.unique).
    private static func batchRows(labels: [String]?, cellCount: Int) -> [(String, [Int])] {
        guard let labels else { return [("all cells", Array(0..<cellCount))] }
        var rows: [String: [Int]] = [:]
        for (i, label) in labels.enumerated() { rows[label, default: []].append(i) }
        return rows.keys.sorted().map { ($0, rows[$0]!) }
    }

    /// Negative when `a` sorts first: ascending, NaN last.
    private static func compareRanks(_ a: Double, _ b: Double) -> Int {
        switch (a.isNaN, b.isNaN) {
        case (true, true): return 0
        case (true, false): return 1
        case (false, true): return -1
        default: return a < b ? -1 : (a > b ? 1 : 0)
        }
    }

    /// np.ma.median of float32 ranks; NaN when there are none.
    private static func median(_ values: [Float]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted(), mid = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[mid]) : Double((sorted[mid - 1] + sorted[mid]) / 2)
    }

    private static func invalid(_ key: String, _ problem: String, fix: String) -> CellviIOError {
        CellviIOError.invalid(file: "highly-variable-genes (seurat_v3)", key: key, problem: problem, fix: fix)
    }
}

/// Per-gene mean and variance (ddof 1) over some rows, as scanpy's `_get_mean_var`.
struct GeneMoments {
    var means: [Double]      // (genes)
    var variances: [Double]  // (genes)

    init(counts: CSRMatrix, rows: [Int]) {
        var sums = [Double](repeating: 0, count: counts.columnCount)        // (genes)
        var squareSums = [Double](repeating: 0, count: counts.columnCount)  // (genes)
        for r in rows {
            for k in counts.rowOffsets[r]..<counts.rowOffsets[r + 1] {
                let g = Int(counts.columnIndices[k]), v = Double(counts.values[k])
                sums[g] += v; squareSums[g] += v * v
            }
        }
        let n = Double(rows.count)
        let unbiased = rows.count > 1 ? n / (n - 1) : 1
        means = sums.map { $0 / n }
        variances = sums.indices.map { g in (squareSums[g] / n - (sums[g] / n) * (sums[g] / n)) * unbiased }
    }
}
