import CellviKernels
import CellviModel
import CellviPerturbation
import Foundation

/// One prediction for one target type: the model (trained without the target's stimulated cells,
/// or given), the scGen shift, and — when real stimulated target cells exist — the evaluation.
struct PerturbationRun {
    var design: PerturbationDesign
    var prediction: PerturbationPrediction
    var metrics: HoldoutMetrics?
    var epochsRun: Int
    var trainSeconds: Double
    var seconds: Double
    /// The model trained for this run (nil when --model was given), for --save-model.
    var trained: TrainedModel?

    enum TrainedModel {
        case nb(SCVIModel)
        case scgen(ScGenVAE)
    }

    static func run(design: PerturbationDesign, data: PerturbationData, model: PredictModelOptions,
                    training: PredictTrainingOptions, evaluate: Bool) throws -> PerturbationRun {
        let clock = Date()
        let cells = design.trainingCells
        let perturbationModel: LatentPerturbationModel
        var epochsRun = 0
        var trained: TrainedModel?
        if let checkpoint = data.scgenCheckpoint {
            checkpoint.model.threads = training.threads
            perturbationModel = ScGenPerturbationModel(model: checkpoint.model, logNormalized: data.logNormalized)
            if !design.targetStimulatedCells.isEmpty {
                Log.warning("--model is used as given; if it was trained on the stimulated '\(design.target)' cells, the prediction has seen them.")
            }
        } else if let checkpoint = data.checkpoint {
            checkpoint.model.threads = training.threads
            perturbationModel = SCVIPerturbationModel(model: checkpoint.model, counts: data.counts, batchCodes: data.batchCodes,
                                                      seed: training.seed)
            if !design.targetStimulatedCells.isEmpty {
                Log.warning("--model is used as given; if it was trained on the stimulated '\(design.target)' cells, the prediction has seen them.")
            }
        } else {
            Log.info("training on \(cells.count) cells: all but the '\(design.stimulated)' cells of '\(design.target)' "
                + "(\(design.targetStimulatedCells.count) left out)")
            switch model.modelType {
            case .nb:
                let configuration = model.scviConfiguration(geneCount: data.counts.columnCount, batchCount: data.batchCategories.count)
                let scvi = try SCVIModel(configuration: configuration, seed: training.seed)
                let t = training.scviConfiguration
                let epochs = t.epochs ?? TrainingConfiguration.defaultEpochs(cellCount: cells.count)
                Log.info("NB VAE (scVI, \(configuration.likelihood.rawValue), latent \(configuration.latentDimensions), \(epochs) epochs)")
                let progress = ProgressReporter(total: epochs)
                let history = try scvi.train(counts: data.counts.selectingRows(cells), batchCodes: cells.map { data.batchCodes[$0] },
                                             configuration: t) { record in
                    progress.update(done: record.epoch + 1, message: String(format: "loss %.1f", record.trainLoss))
                }
                epochsRun = history.epochs.count
                perturbationModel = SCVIPerturbationModel(model: scvi, counts: data.counts, batchCodes: data.batchCodes, seed: training.seed)
                trained = .nb(scvi)
            case .scgen:
                let configuration = model.scgenConfiguration(geneCount: data.counts.columnCount)
                let vae = try ScGenVAE(configuration: configuration, seed: training.seed)
                let t = training.scgenConfiguration
                Log.info("scGen VAE (hidden \(configuration.hiddenDimensions)×\(configuration.layerCount), latent "
                    + "\(configuration.latentDimensions), up to \(t.epochs) epochs, batch \(t.batchSize))")
                let progress = ProgressReporter(total: t.epochs)
                let history = try vae.train(data.logNormalized, cells: cells, configuration: t) { record in
                    progress.update(done: record.epoch + 1, message: String(format: "loss %.2f val %@", record.trainLoss,
                                                                             record.validationLoss.map { String(format: "%.2f", $0) } ?? "–"))
                }
                epochsRun = history.count
                if history.count < t.epochs { Log.info("early stopping after \(history.count) epochs") }
                perturbationModel = ScGenPerturbationModel(model: vae, logNormalized: data.logNormalized)
                trained = .scgen(vae)
            }
        }
        let trainSeconds = Date().timeIntervalSince(clock)
        let prediction = try PerturbationPrediction.predict(model: perturbationModel, design: design, seed: training.seed)
        var metrics: HoldoutMetrics?
        if evaluate {
            metrics = HoldoutMetrics.evaluate(cellType: design.target, logNormalized: data.logNormalized,
                                              control: design.targetControlCells, stimulated: design.targetStimulatedCells,
                                              predictedMeans: MeanExpressionR2.geneMeans(prediction.expression.logNormalized),
                                              geneNames: data.geneNames)
        }
        return PerturbationRun(design: design, prediction: prediction, metrics: metrics, epochsRun: epochsRun,
                               trainSeconds: trainSeconds, seconds: Date().timeIntervalSince(clock), trained: trained)
    }
}
