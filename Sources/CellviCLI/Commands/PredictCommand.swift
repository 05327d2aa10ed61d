import ArgumentParser
import CellviIO
import CellviPerturbation
import Foundation

/// `cellvi predict INPUT --condition-key K --control C --stimulated S --cell-type-key T --target X -o OUTDIR`:
/// scGen-style perturbation prediction by latent arithmetic, with optional hold-out evaluation.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict how a cell type responds to a perturbation (scGen latent arithmetic) and evaluate it on held-out cells.",
        discussion: """
            A VAE is trained on every cell except the stimulated cells of --target (or --model is used). Control and \
            stimulated cells are each balanced across cell types (resampled with replacement to the largest type), equal-size \
            samples are drawn, and δ = mean latent(stimulated) − mean latent(control). The target's control cells are shifted \
            by δ and decoded. --save-model also writes the trained model (model.h5, reusable with --model). Writes predicted.h5ad (X = expected counts for --model-type nb, the decoder output for scgen; \
            layer log_normalized: for nb, one count draw from the model's NB per cell, normalized to 1e4 and log1p, so \
            that gene means are not inflated by log1p of expected counts), delta.csv, gene_means.csv and run_info.json; with --holdout also metrics.json (R² of \
            per-gene mean log-normalized expression on all genes and on the top-100 Wilcoxon DEGs, next to the control \
            baseline). --all-cell-types repeats the hold-out for every cell type and writes metrics.csv.
            """)

    @Argument(help: "An .h5ad file, a 10x .h5 file or a 10x MatrixMarket folder of raw counts.")
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Output directory.", valueName: "dir"))
    var output: String

    @OptionGroup var design: PerturbationDesignOptions

    @Option(help: ArgumentHelp("A model.h5 to use instead of training one: an NB VAE from `cellvi train` or a model saved by "
                               + "`cellvi predict --save-model` (NB or scGen; the file says which).", valueName: "model.h5"))
    var model: String?

    @Flag(name: .customLong("save-model"), help: "Also write the trained model to model.h5 in the output directory (one --target, no --model).")
    var saveModel = false

    @OptionGroup var genes: GeneSelectionOptions
    @OptionGroup var modelOptions: PredictModelOptions
    @OptionGroup var training: PredictTrainingOptions

    func validate() throws {
        var problems: [String] = []
        if model != nil && genes.nTopGenes != nil {
            problems.append("--n-top-genes cannot be combined with --model (the model fixes the genes); drop --n-top-genes.")
        }
        if saveModel && model != nil { problems.append("--save-model saves a trained model, but --model gives one; drop --save-model.") }
        if saveModel && design.allCellTypes {
            problems.append("--save-model saves the one model of a --target run; --all-cell-types trains one per cell type. Drop one of them.")
        }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() throws {
        let clock = Date()
        let outputs = try OutputDirectory(output, inputs: [input])
        let data = try PerturbationData.prepare(input: input, design: design, genes: genes, modelPath: model,
                                                requestedType: modelOptions.modelType)
        let modelType = data.modelType(requested: modelOptions.modelType)
        let runs = try PredictionPlan(command: self, data: data).execute()
        let evaluated = runs.filter { $0.metrics != nil }

        if design.allCellTypes {
            try PredictionOutputs.writeMetricsTable(evaluated, to: outputs.path("metrics.csv"))
        }
        if let first = runs.first, !design.allCellTypes {
            try PredictionOutputs.writePredicted(first, data: data, conditionKey: design.conditionKey,
                                                 to: outputs.path("predicted.h5ad"), protecting: [input])
            try PredictionOutputs.writeDelta(first, to: outputs.path("delta.csv"))
            try PredictionOutputs.writeGeneMeans(first, data: data, to: outputs.path("gene_means.csv"))
            if saveModel { try PredictionOutputs.writeModel(first, data: data, to: outputs.path("model.h5")) }
        }
        if !evaluated.isEmpty {
            let metrics = evaluated.map(\.metrics!)
            let json = design.allCellTypes ? try JSONOutput.string(metrics) : try JSONOutput.string(metrics[0])
            try TextOutput.write(json + "\n", to: outputs.path("metrics.json"))
        }
        var info = RunInfo(input: input, seed: training.seed, threads: training.threads)
        info.settings = [
            "condition_key": AnyEncodable(design.conditionKey), "control": AnyEncodable(design.control),
            "stimulated": AnyEncodable(design.stimulated), "cell_type_key": AnyEncodable(design.cellTypeKey),
            "target": AnyEncodable(design.target), "holdout": AnyEncodable(design.holdout),
            "all_cell_types": AnyEncodable(design.allCellTypes), "model": AnyEncodable(model),
            "model_type": AnyEncodable(modelType), "n_top_genes": AnyEncodable(genes.nTopGenes),
            "batch_key": AnyEncodable(genes.batch.batchKey), "layer": AnyEncodable(genes.counts.layer),
            "architecture": data.checkpoint.map { AnyEncodable($0.model.configuration) }
                ?? data.scgenCheckpoint.map { AnyEncodable($0.model.configuration) }
                ?? (modelType == .nb
                    ? AnyEncodable(modelOptions.scviConfiguration(geneCount: data.counts.columnCount, batchCount: data.batchCategories.count))
                    : AnyEncodable(modelOptions.scgenConfiguration(geneCount: data.counts.columnCount))),
            "training": model != nil ? AnyEncodable(nil as String?)
                : modelType == .nb ? AnyEncodable(training.scviConfiguration) : AnyEncodable(training.scgenConfiguration),
        ]
        info.data = data.shape
        info.results = [
            "runs": AnyEncodable(runs.map { run in
                ["cell_type": AnyEncodable(run.design.target), "predicted_cells": AnyEncodable(run.prediction.sourceCells.count),
                 "delta_norm": AnyEncodable(run.prediction.shift.delta.map { Double($0 * $0) }.reduce(0, +).squareRoot()),
                 "balanced_sample_size": AnyEncodable(run.prediction.shift.controlSample.count),
                 "epochs_run": AnyEncodable(run.epochsRun), "train_seconds": AnyEncodable(run.trainSeconds),
                 "seconds": AnyEncodable(run.seconds), "metrics": AnyEncodable(run.metrics)]
            }),
        ]
        info.seconds = Date().timeIntervalSince(clock)
        try info.write(to: outputs.path("run_info.json"))
        try outputs.commit()
        for run in runs { print(PredictionOutputs.summaryLine(run)) }
        Log.info("wrote \(output) in \(String(format: "%.1f", info.seconds)) s")
    }
}

/// Which targets to run and how: one target, or every evaluable cell type.
struct PredictionPlan {
    let command: PredictCommand
    let data: PerturbationData

    func execute() throws -> [PerturbationRun] {
        let d = command.design
        let target = d.allCellTypes ? try firstValidTarget() : d.target!
        let base = try PerturbationDesign(conditions: data.conditions, cellTypes: data.cellTypes, control: d.control,
                                          stimulated: d.stimulated, target: target)
        if !d.allCellTypes {
            if d.holdout { try base.requireEvaluable() }
            let evaluate = d.holdout || !base.targetStimulatedCells.isEmpty
            return [try PerturbationRun.run(design: base, data: data, model: command.modelOptions, training: command.training,
                                            evaluate: evaluate)]
        }
        let types = base.evaluableCellTypes
        let skipped = Set(data.cellTypes).subtracting(types).sorted()
        if !skipped.isEmpty {
            Log.warning("skipping cell types with fewer than \(PerturbationDesign.minimumEvaluationCells) '\(d.control)' or "
                + "'\(d.stimulated)' cells: \(skipped.joined(separator: ", "))")
        }
        var runs: [PerturbationRun] = []
        for (k, type) in types.enumerated() {
            Log.info("[\(k + 1)/\(types.count)] holding out '\(type)'")
            let run = try PerturbationRun.run(design: try base.retargeted(type), data: data, model: command.modelOptions,
                                              training: command.training, evaluate: true)
            Log.info(PredictionOutputs.summaryLine(run))
            runs.append(run)
        }
        return runs
    }

    /// Some cell type that passes validation, so flag errors surface before looping.
    private func firstValidTarget() throws -> String {
        let d = command.design
        let probe = try PerturbationDesign.evaluable(conditions: data.conditions, cellTypes: data.cellTypes,
                                                     control: d.control, stimulated: d.stimulated)
        guard let first = probe.first else {
            throw CLIError.usage("--all-cell-types: no cell type has at least \(PerturbationDesign.minimumEvaluationCells) '\(d.control)' "
                + "and '\(d.stimulated)' cells; check --condition-key, --control, --stimulated and --cell-type-key.")
        }
        return first
    }
}
