import CellviKernels

/// scGen's evaluation of one held-out cell type: R² of per-gene mean log-normalized expression,
/// predicted vs real stimulated cells, on all genes and on the top DEGs (Wilcoxon, stimulated vs
/// control within the type), next to the baseline that predicts the control cells themselves.
public struct HoldoutMetrics: Codable, Equatable, Sendable {
    public var cellType: String
    public var r2AllGenes: Double
    public var r2TopGenes: Double
    public var baselineR2AllGenes: Double
    public var baselineR2TopGenes: Double
    public var topGeneCount: Int
    public var controlCells: Int
    public var stimulatedCells: Int
    /// The top DEGs by Wilcoxon score, best first (gene names).
    public var topGenes: [String]

    enum CodingKeys: String, CodingKey {
        case cellType = "cell_type", r2AllGenes = "r2_all_genes", r2TopGenes = "r2_top_degs"
        case baselineR2AllGenes = "baseline_r2_all_genes", baselineR2TopGenes = "baseline_r2_top_degs"
        case topGeneCount = "top_deg_count", controlCells = "control_cells", stimulatedCells = "stimulated_cells"
        case topGenes = "top_degs"
    }

    /// logNormalized: (N, G) of the input cells; control/stimulated: the target type's real cells;
    /// predictedMeans: (G) mean log-normalized prediction.
    public static func evaluate(cellType: String, logNormalized: CSRMatrix, control: [Int], stimulated: [Int],
                                predictedMeans: [Double], geneNames: [String], topGeneCount: Int = 100) -> HoldoutMetrics {
        let controlMeans = MeanExpressionR2.geneMeans(logNormalized, rows: control)
        let stimulatedMeans = MeanExpressionR2.geneMeans(logNormalized, rows: stimulated)
        let scores = WilcoxonRankSum.scores(logNormalized, group: stimulated, reference: control)
        let top = WilcoxonRankSum.topGenes(scores, count: min(topGeneCount, geneNames.count))
        func pick(_ v: [Double]) -> [Double] { top.map { v[$0] } }
        return HoldoutMetrics(
            cellType: cellType,
            r2AllGenes: MeanExpressionR2.squaredPearson(predictedMeans, stimulatedMeans),
            r2TopGenes: MeanExpressionR2.squaredPearson(pick(predictedMeans), pick(stimulatedMeans)),
            baselineR2AllGenes: MeanExpressionR2.squaredPearson(controlMeans, stimulatedMeans),
            baselineR2TopGenes: MeanExpressionR2.squaredPearson(pick(controlMeans), pick(stimulatedMeans)),
            topGeneCount: top.count, controlCells: control.count, stimulatedCells: stimulated.count,
            topGenes: top.map { geneNames[$0] })
    }
}
