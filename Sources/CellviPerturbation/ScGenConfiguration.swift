/// scGen's Gaussian VAE on log-normalized expression (pertpy `Scgen` / theislab scgen defaults).
public struct ScGenConfiguration: Codable, Equatable, Sendable {
    public var geneCount: Int
    public var hiddenDimensions: Int = 800
    public var latentDimensions: Int = 100
    public var layerCount: Int = 2
    /// Dropout after every hidden layer, encoder and decoder.
    public var dropoutRate: Float = 0.2
    /// KL weight inside the loss mean(0.5·SSE + 0.5·klWeight·KL) (scgen `kl_weight`).
    public var klWeight: Float = 5e-5
    /// LeakyReLU negative slope (flax / PyTorch default).
    public var leakySlope: Float = 0.01

    public init(geneCount: Int, hiddenDimensions: Int = 800, latentDimensions: Int = 100, layerCount: Int = 2,
                dropoutRate: Float = 0.2, klWeight: Float = 5e-5) {
        self.geneCount = geneCount; self.hiddenDimensions = hiddenDimensions; self.latentDimensions = latentDimensions
        self.layerCount = layerCount; self.dropoutRate = dropoutRate; self.klWeight = klWeight
    }

    public func validate() throws {
        func fail(_ s: String) throws { throw PerturbationError.invalidConfiguration(s) }
        if geneCount < 1 { try fail("geneCount is \(geneCount); the data must have at least one gene.") }
        if hiddenDimensions < 1 { try fail("--hidden-dim is \(hiddenDimensions); use a positive width such as 800.") }
        if latentDimensions < 1 { try fail("--latent-dim is \(latentDimensions); use a positive width such as 100.") }
        if layerCount < 1 { try fail("--layers is \(layerCount); use at least 1.") }
        if !(dropoutRate >= 0 && dropoutRate < 1) { try fail("--dropout is \(dropoutRate); use a value in [0, 1).") }
    }
}

/// Optimisation of scGen's VAE; defaults as pertpy's Scgen tutorial run (max_epochs 100, batch 32,
/// early stopping with patience 25) and scvi-tools' JAX training plan (Adam lr 1e-3, eps 0.01,
/// weight decay 1e-6 added to the gradient, 90 % train / 10 % validation).
public struct ScGenTrainingConfiguration: Codable, Equatable, Sendable {
    public var epochs: Int = 100
    public var batchSize: Int = 32
    public var learningRate: Float = 1e-3
    public var adamEpsilon: Float = 0.01
    public var weightDecay: Float = 1e-6
    public var earlyStopping: Bool = true
    public var earlyStoppingPatience: Int = 25
    public var trainFraction: Double = 0.9
    public var seed: UInt64 = 0
    public var threads: Int = 1

    public init(epochs: Int = 100, batchSize: Int = 32, learningRate: Float = 1e-3, earlyStopping: Bool = true,
                earlyStoppingPatience: Int = 25, seed: UInt64 = 0, threads: Int = 1) {
        self.epochs = epochs; self.batchSize = batchSize; self.learningRate = learningRate
        self.earlyStopping = earlyStopping; self.earlyStoppingPatience = earlyStoppingPatience
        self.seed = seed; self.threads = threads
    }
}
