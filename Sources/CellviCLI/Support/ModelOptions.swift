import ArgumentParser
import CellviModel

extension GeneLikelihood: ExpressibleByArgument {}
extension Dispersion: ExpressibleByArgument {}

/// The scVI architecture flags (defaults as scvi-tools' `SCVI`, except the likelihood — see help).
struct ModelOptions: ParsableArguments {
    @Option(help: "Gene likelihood: nb, zinb or poisson.")
    var likelihood: GeneLikelihood = .zinb

    @Option(help: "Dispersion: gene (one θ per gene), gene-batch or gene-cell.")
    var dispersion: Dispersion = .gene

    @Option(name: .customLong("latent-dim"), help: "Latent dimensions.")
    var latentDimensions = 10

    @Option(name: .customLong("hidden-dim"), help: "Hidden units per layer.")
    var hiddenDimensions = 128

    @Option(name: .customLong("layers"), help: "Hidden layers in the encoder and the decoder (≥ 1).")
    var layerCount = 1

    @Option(help: "Dropout rate in the encoder (0 ≤ rate < 1).")
    var dropout: Float = 0.1

    @Flag(name: .customLong("latent-library"), help: "Learn the library size (per-batch log-normal prior) instead of using the observed total count.")
    var latentLibrary = false

    @Flag(name: .customLong("encode-batch"), help: "Also give the batch one-hot to the encoder (scvi-tools' encode_covariates).")
    var encodeBatch = false

    func validate() throws {
        var problems: [String] = []
        if latentDimensions < 1 { problems.append("--latent-dim must be at least 1 (got \(latentDimensions)).") }
        if hiddenDimensions < 1 { problems.append("--hidden-dim must be at least 1 (got \(hiddenDimensions)).") }
        if layerCount < 1 { problems.append("--layers must be at least 1 (got \(layerCount)).") }
        if !(0..<1).contains(dropout) { problems.append("--dropout must be in [0, 1) (got \(dropout)).") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func configuration(geneCount: Int, batchCount: Int) -> SCVIConfiguration {
        var c = SCVIConfiguration(geneCount: geneCount, batchCount: batchCount)
        c.hiddenDimensions = hiddenDimensions
        c.latentDimensions = latentDimensions
        c.layerCount = layerCount
        c.dropoutRate = dropout
        c.likelihood = likelihood
        c.dispersion = dispersion
        c.useObservedLibrarySize = !latentLibrary
        c.encodeCovariates = encodeBatch
        return c
    }
}

/// Optimisation flags (defaults as scvi-tools' `SCVI.train`).
struct TrainingOptions: ParsableArguments {
    @Option(help: "Epochs; default scvi-tools' heuristic min(round(20000 / cells · 400), 400).")
    var epochs: Int?

    @Option(name: .customLong("batch-size"), help: "Cells per minibatch.")
    var batchSize = 128

    @Option(name: .customLong("learning-rate"), help: "Adam learning rate.")
    var learningRate: Float = 1e-3

    @Flag(name: .customLong("early-stopping"), help: "Stop when the validation ELBO has not improved for 45 epochs.")
    var earlyStopping = false

    @Option(name: .customLong("max-kl-weight"), help: "Final KL weight β (β-VAE; scvi-tools' max_kl_weight).")
    var maxKLWeight: Float = 1

    @Option(name: .customLong("kl-warmup-epochs"), help: "Epochs over which the KL weight rises linearly from 0.")
    var klWarmupEpochs = 400

    @OptionGroup var reproducibility: ReproducibilityOptions
    var seed: UInt64 { reproducibility.seed }
    var threads: Int { reproducibility.threads }

    func validate() throws {
        var problems = optimisationProblems(epochs: epochs, batchSize: batchSize, learningRate: learningRate)
        if !(maxKLWeight >= 0) { problems.append("--max-kl-weight must be non-negative (got \(maxKLWeight)).") }
        if klWarmupEpochs < 0 { problems.append("--kl-warmup-epochs must be non-negative (got \(klWarmupEpochs)).") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    var configuration: TrainingConfiguration {
        var t = TrainingConfiguration()
        t.epochs = epochs
        t.batchSize = batchSize
        t.learningRate = learningRate
        t.earlyStopping = earlyStopping
        t.maxKLWeight = maxKLWeight
        t.klWarmupEpochs = klWarmupEpochs
        t.seed = seed
        t.threads = threads
        return t
    }
}

/// `--seed` and `--threads`: together they make a run bit-identical.
struct ReproducibilityOptions: ParsableArguments {
    @Option(help: "Random seed: the same seed and thread count give bit-identical results.")
    var seed: UInt64 = 0

    @Option(help: "Threads for BLAS and element-wise work.")
    var threads = 2

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads)).") }
    }
}

/// What is wrong with the optimisation flags shared by `train` and `predict`, one sentence each.
func optimisationProblems(epochs: Int?, batchSize: Int?, learningRate: Float) -> [String] {
    var problems: [String] = []
    if let epochs, epochs < 1 { problems.append("--epochs must be at least 1 (got \(epochs)).") }
    if let batchSize, batchSize < 3 { problems.append("--batch-size must be at least 3 (BatchNorm needs several cells; got \(batchSize)).") }
    if !(learningRate > 0) { problems.append("--learning-rate must be positive (got \(learningRate)).") }
    return problems
}
