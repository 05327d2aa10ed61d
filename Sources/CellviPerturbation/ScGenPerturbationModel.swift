import CellviKernels

/// scGen's own VAE as a perturbation model: latents from log-normalized expression; a decoded point
/// is the decoder output, already in log-normalized space (as pertpy's `predict` returns it).
public struct ScGenPerturbationModel: LatentPerturbationModel {
    public let model: ScGenVAE
    public let logNormalized: CSRMatrix   // (N, G) input cells

    public init(model: ScGenVAE, logNormalized: CSRMatrix) {
        self.model = model; self.logNormalized = logNormalized
    }

    public func latentMeans(of cells: [Int]) throws -> Matrix {
        try model.latentMeans(logNormalized, rows: cells)
    }

    public func decode(_ latent: Matrix, as cells: [Int]) throws -> PredictedExpression {
        let decoded = try model.decode(latent)   // (S, G)
        return PredictedExpression(x: decoded, logNormalized: decoded)
    }
}
