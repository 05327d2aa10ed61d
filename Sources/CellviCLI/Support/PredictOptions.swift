import ArgumentParser
import CellviModel
import CellviPerturbation

/// Which VAE `cellvi predict` trains.
enum PerturbationModelType: String, ExpressibleByArgument, Codable, CaseIterable {
    /// scVI's negative-binomial VAE on raw counts (cellvi's default).
    case nb
    /// scGen's Gaussian VAE on log-normalized expression (the paper's model).
    case scgen
}

/// `--condition-key --control --stimulated --cell-type-key --target [--all-cell-types] [--holdout]`.
struct PerturbationDesignOptions: ParsableArguments {
    @Option(name: .customLong("condition-key"), help: ArgumentHelp("obs column with the condition of each cell.", valueName: "column"))
    var conditionKey: String

    @Option(help: ArgumentHelp("Condition label of the control (unperturbed) cells.", valueName: "label"))
    var control: String

    @Option(help: ArgumentHelp("Condition label of the stimulated (perturbed) cells.", valueName: "label"))
    var stimulated: String

    @Option(name: .customLong("cell-type-key"), help: ArgumentHelp("obs column with the cell type of each cell.", valueName: "column"))
    var cellTypeKey: String

    @Option(help: ArgumentHelp("Cell type to predict: its control cells are shifted to the stimulated condition.", valueName: "cell-type"))
    var target: String?

    @Flag(help: "Leave the real stimulated target cells out of training, predict them and report R² against them (metrics.json).")
    var holdout = false

    @Flag(name: .customLong("all-cell-types"), help: "Hold out and evaluate every cell type in turn (one model each); writes metrics.csv.")
    var allCellTypes = false

    func validate() throws {
        if target == nil && !allCellTypes {
            throw ValidationError("--target is missing; name the cell type to predict, or pass --all-cell-types to evaluate every type.")
        }
    }
}

/// Architecture flags of `cellvi predict`, with defaults depending on `--model-type`.
struct PredictModelOptions: ParsableArguments {
    @Option(name: .customLong("model-type"), help: "nb: scVI's NB VAE on raw counts; scgen: scGen's Gaussian VAE on log-normalized data.")
    var modelType: PerturbationModelType = .nb

    @Option(help: "Gene likelihood of the nb model: nb, zinb or poisson.")
    var likelihood: GeneLikelihood = .nb

    @Option(help: "Dispersion of the nb model: gene, gene-batch or gene-cell.")
    var dispersion: Dispersion = .gene

    @Option(name: .customLong("latent-dim"), help: "Latent dimensions (default nb 10, scgen 100).")
    var latentDimensions: Int?

    @Option(name: .customLong("hidden-dim"), help: "Hidden units per layer (default nb 128, scgen 800).")
    var hiddenDimensions: Int?

    @Option(name: .customLong("layers"), help: "Hidden layers in the encoder and the decoder (default nb 1, scgen 2).")
    var layerCount: Int?

    @Option(help: "Dropout rate (default nb 0.1 in the encoder, scgen 0.2 in every hidden layer).")
    var dropout: Float?

    func validate() throws {
        var problems: [String] = []
        if let v = latentDimensions, v < 1 { problems.append("--latent-dim must be at least 1 (got \(v)).") }
        if let v = hiddenDimensions, v < 1 { problems.append("--hidden-dim must be at least 1 (got \(v)).") }
        if let v = layerCount, v < 1 { problems.append("--layers must be at least 1 (got \(v)).") }
        if let v = dropout, !(0..<1).contains(v) { problems.append("--dropout must be in [0, 1) (got \(v)).") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func scviConfiguration(geneCount: Int, batchCount: Int) -> SCVIConfiguration {
        SCVIConfiguration(geneCount: geneCount, batchCount: batchCount, hiddenDimensions: hiddenDimensions ?? 128,
                          latentDimensions: latentDimensions ?? 10, layerCount: layerCount ?? 1, dropoutRate: dropout ?? 0.1,
                          likelihood: likelihood, dispersion: dispersion)
    }

    func scgenConfiguration(geneCount: Int) -> ScGenConfiguration {
        ScGenConfiguration(geneCount: geneCount, hiddenDimensions: hiddenDimensions ?? 800, latentDimensions: latentDimensions ?? 100,
                           layerCount: layerCount ?? 2, dropoutRate: dropout ?? 0.2)
    }
}

/// Optimisation flags of `cellvi predict` (defaults: nb as scvi-tools' SCVI.train, scgen as pertpy's Scgen).
struct PredictTrainingOptions: ParsableArguments {
    @Option(help: "Epochs (default nb: scvi-tools' heuristic min(round(20000 / cells · 400), 400); scgen: 100).")
    var epochs: Int?

    @Option(name: .customLong("batch-size"), help: "Cells per minibatch (default nb 128, scgen 32).")
    var batchSize: Int?

    @Option(name: .customLong("learning-rate"), help: "Adam learning rate.")
    var learningRate: Float = 1e-3

    @Flag(name: .customLong("early-stopping"), inversion: .prefixedNo,
          help: "Stop when the validation loss stops improving (default nb off, patience 45; scgen on, patience 25).")
    var earlyStopping: Bool?

    @OptionGroup var reproducibility: ReproducibilityOptions
    var seed: UInt64 { reproducibility.seed }
    var threads: Int { reproducibility.threads }

    func validate() throws {
        let problems = optimisationProblems(epochs: epochs, batchSize: batchSize, learningRate: learningRate)
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    var scviConfiguration: TrainingConfiguration {
        var t = TrainingConfiguration(epochs: epochs, batchSize: batchSize ?? 128, learningRate: learningRate,
                                      earlyStopping: earlyStopping ?? false, seed: seed, threads: threads)
        t.epochs = epochs
        return t
    }

    var scgenConfiguration: ScGenTrainingConfiguration {
        ScGenTrainingConfiguration(epochs: epochs ?? 100, batchSize: batchSize ?? 32, learningRate: learningRate,
                                   earlyStopping: earlyStopping ?? true, seed: seed, threads: threads)
    }
}
