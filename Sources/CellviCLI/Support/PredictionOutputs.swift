import CellviIO
import CellviKernels
import CellviModel
import CellviPerturbation
import Foundation

/// The files `cellvi predict` writes: predicted.h5ad, delta.csv, gene_means.csv, metrics.json / metrics.csv.
enum PredictionOutputs {
    /// One predicted stimulated cell per control cell of the target: X as predicted, layer
    /// `log_normalized`, obs copied from the control cells with the condition set to the stimulated label.
    static func writePredicted(_ run: PerturbationRun, data: PerturbationData, conditionKey: String, to path: String,
                               protecting inputs: [String]) throws {
        let source = run.prediction.sourceCells
        var obs = data.data.obs.selectingRows(source)
        let stimulated = run.design.stimulated
        switch obs[conditionKey] {
        case .categorical(let codes, let categories, let ordered)?:
            let code = Int32(categories.firstIndex(of: stimulated)!)
            obs[conditionKey] = .categorical(codes: codes.map { _ in code }, categories: categories, ordered: ordered)
        default:
            obs[conditionKey] = .strings(source.map { _ in stimulated })
        }
        var predicted = AnnData(obs: obs, vars: data.data.vars, x: CSRMatrix(dense: run.prediction.expression.x))
        predicted.layers["log_normalized"] = CSRMatrix(dense: run.prediction.expression.logNormalized)
        try H5ADWriter.write(predicted, to: path, protecting: inputs)
    }

    /// model.h5: the run's trained model (NB: `cellvi train`'s format; scGen: "cellvi-scgen").
    static func writeModel(_ run: PerturbationRun, data: PerturbationData, to path: String) throws {
        switch run.trained {
        case .nb(let model)?: try model.save(to: path, geneNames: data.geneNames, batchCategories: data.batchCategories)
        case .scgen(let model)?: try model.save(to: path, geneNames: data.geneNames)
        case nil: break
        }
    }

    /// delta.csv: one row per latent dimension.
    static func writeDelta(_ run: PerturbationRun, to path: String) throws {
        let delta = run.prediction.shift.delta
        try CSVWriter.write(columns: [("delta", .floats(delta))], rowIds: delta.indices.map { "latent_\($0)" },
                            idColumnName: "dimension", to: path)
    }

    /// gene_means.csv: per gene, mean log-normalized expression of the target's control cells, of the
    /// prediction and, when present, of the real stimulated target cells.
    static func writeGeneMeans(_ run: PerturbationRun, data: PerturbationData, to path: String) throws {
        var columns: [(name: String, values: CSVColumn)] = [
            ("control_mean", .doubles(MeanExpressionR2.geneMeans(data.logNormalized, rows: run.design.targetControlCells))),
            ("predicted_mean", .doubles(MeanExpressionR2.geneMeans(run.prediction.expression.logNormalized))),
        ]
        let real = run.design.targetStimulatedCells
        if !real.isEmpty {
            columns.append(("stimulated_mean", .doubles(MeanExpressionR2.geneMeans(data.logNormalized, rows: real))))
        }
        try CSVWriter.write(columns: columns, rowIds: data.geneNames, idColumnName: "gene", to: path)
    }

    /// metrics.csv: one row per evaluated cell type, with seconds.
    static func writeMetricsTable(_ runs: [PerturbationRun], to path: String) throws {
        let m = runs.map { $0.metrics! }
        try CSVWriter.write(columns: [
            ("r2_all_genes", .doubles(m.map(\.r2AllGenes))), ("r2_top_degs", .doubles(m.map(\.r2TopGenes))),
            ("baseline_r2_all_genes", .doubles(m.map(\.baselineR2AllGenes))), ("baseline_r2_top_degs", .doubles(m.map(\.baselineR2TopGenes))),
            ("control_cells", .integers(m.map { Int64($0.controlCells) })), ("stimulated_cells", .integers(m.map { Int64($0.stimulatedCells) })),
            ("epochs", .integers(runs.map { Int64($0.epochsRun) })), ("seconds", .doubles(runs.map(\.seconds))),
        ], rowIds: m.map(\.cellType), idColumnName: "cell_type", to: path)
    }

    /// One line of the printed summary.
    static func summaryLine(_ run: PerturbationRun) -> String {
        guard let m = run.metrics else { return "\(run.design.target): predicted \(run.prediction.sourceCells.count) cells" }
        return String(format: "%@: R² all genes %.3f, top-%d DEGs %.3f (control baseline %.3f / %.3f), %.0f s",
                      m.cellType, m.r2AllGenes, m.topGeneCount, m.r2TopGenes, m.baselineR2AllGenes, m.baselineR2TopGenes, run.seconds)
    }
}
