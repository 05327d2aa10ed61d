/// Distribution of counts given the latent state (scvi-tools `gene_likelihood`).
public enum GeneLikelihood: String, Codable, CaseIterable, Sendable { case nb, zinb, poisson }

/// How the NB/ZINB inverse dispersion θ is shared (scvi-tools `dispersion`).
public enum Dispersion: String, Codable, CaseIterable, Sendable {
    case gene
    case geneBatch = "gene-batch"
    case geneCell = "gene-cell"
}

/// Architecture of an scVI model. Defaults are scvi-tools' `SCVI` defaults.
public struct SCVIConfiguration: Codable, Equatable, Sendable {
    public var geneCount: Int
    /// Number of batch categories; 1 means no batch covariate (no one-hot anywhere).
    public var batchCount: Int
    public var hiddenDimensions: Int = 128
    public var latentDimensions: Int = 10
    public var layerCount: Int = 1
    /// Dropout in encoder layers (the decoder has none).
    public var dropoutRate: Float = 0.1
    public var likelihood: GeneLikelihood = .zinb
    public var dispersion: Dispersion = .gene
    /// Observed log total count as library (scvi `use_observed_lib_size`); else a latent library.
    public var useObservedLibrarySize: Bool = true
    /// Give the batch one-hot to the encoders too (scvi `encode_covariates`).
    public var encodeCovariates: Bool = false

    public init(geneCount: Int, batchCount: Int = 1, hiddenDimensions: Int = 128, latentDimensions: Int = 10,
                layerCount: Int = 1, dropoutRate: Float = 0.1, likelihood: GeneLikelihood = .zinb,
                dispersion: Dispersion = .gene, useObservedLibrarySize: Bool = true, encodeCovariates: Bool = false) {
        self.geneCount = geneCount; self.batchCount = batchCount
        self.hiddenDimensions = hiddenDimensions; self.latentDimensions = latentDimensions
        self.layerCount = layerCount; self.dropoutRate = dropoutRate
        self.likelihood = likelihood; self.dispersion = dispersion
        self.useObservedLibrarySize = useObservedLibrarySize; self.encodeCovariates = encodeCovariates
    }

    /// Checks the settings; throws a sentence naming the setting and the fix.
    public func validate() throws {
        func fail(_ s: String) throws { throw CellviModelError.invalidConfiguration(s) }
        if geneCount < 1 { try fail("geneCount is \(geneCount); the data must have at least one gene.") }
        if batchCount < 1 { try fail("batchCount is \(batchCount); use 1 when there is no batch covariate.") }
        if hiddenDimensions < 1 { try fail("hiddenDimensions is \(hiddenDimensions); use a positive width such as 128.") }
        if latentDimensions < 1 { try fail("latentDimensions is \(latentDimensions); use a positive width such as 10.") }
        if layerCount < 1 { try fail("layerCount is \(layerCount); use at least 1 hidden layer.") }
        if !(dropoutRate >= 0 && dropoutRate < 1) { try fail("dropoutRate is \(dropoutRate); use a value in [0, 1).") }
    }

    /// Width of the batch one-hot in the decoder (0 when a single category).
    var decoderCovariates: Int { batchCount > 1 ? batchCount : 0 }
    /// Width of the batch one-hot in the encoders.
    var encoderCovariates: Int { encodeCovariates && batchCount > 1 ? batchCount : 0 }
    /// Rows of the θ table for gene / gene-batch dispersion.
    var dispersionRows: Int { dispersion == .geneBatch ? batchCount : 1 }
}

/// Optimisation settings. Defaults are scvi-tools' `SCVI.train` defaults.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    /// nil → max(min(round(20000 / N · 400), 400), 1) as scvi-tools.
    public var epochs: Int? = nil
    public var batchSize: Int = 128
    public var learningRate: Float = 1e-3
    public var adamEpsilon: Float = 0.01
    public var weightDecay: Float = 1e-6
    public var earlyStopping: Bool = false
    public var earlyStoppingPatience: Int = 45
    public var earlyStoppingMinDelta: Double = 0
    public var seed: UInt64 = 0
    public var threads: Int = 1
    /// KL warm-up length in epochs (scvi `n_epochs_kl_warmup`).
    public var klWarmupEpochs: Int = 400
    /// β: multiplier on the warmed-up KL weight.
    public var maxKLWeight: Float = 1
    public var trainFraction: Double = 0.9

    public init(epochs: Int? = nil, batchSize: Int = 128, learningRate: Float = 1e-3, earlyStopping: Bool = false,
                seed: UInt64 = 0, threads: Int = 1, klWarmupEpochs: Int = 400, maxKLWeight: Float = 1,
                trainFraction: Double = 0.9) {
        self.epochs = epochs; self.batchSize = batchSize; self.learningRate = learningRate
        self.earlyStopping = earlyStopping; self.seed = seed; self.threads = threads
        self.klWarmupEpochs = klWarmupEpochs; self.maxKLWeight = maxKLWeight; self.trainFraction = trainFraction
    }

    /// scvi-tools' default epoch count for N cells.
    public static func defaultEpochs(cellCount n: Int) -> Int {
        let raw = (20000.0 / Double(max(n, 1)) * 400).rounded(.toNearestOrEven)
        return max(min(Int(raw), 400), 1)
    }

    /// KL weight for a 0-based epoch: β · min(epoch / n_warmup, 1).
    public func klWeight(epoch: Int) -> Float {
        let w: Float = klWarmupEpochs > 0 ? min(Float(epoch) / Float(klWarmupEpochs), 1) : 1
        return maxKLWeight * w
    }
}
