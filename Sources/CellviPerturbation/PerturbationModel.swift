import CellviKernels

/// A model that maps cells to a latent space and decodes latent points back to expression, the
/// two operations scGen's latent arithmetic needs. Conformers: the NB VAE (scVI) and scGen's VAE.
public protocol LatentPerturbationModel {
    /// Posterior means (len(cells), Z) of the given cells of the input (eval mode).
    func latentMeans(of cells: [Int]) throws -> Matrix
    /// Decodes latent points (len(cells), Z), each standing for the matching input cell (its batch
    /// and library size), into predicted expression.
    func decode(_ latent: Matrix, as cells: [Int]) throws -> PredictedExpression
}

/// Decoded expression of predicted cells.
public struct PredictedExpression: Sendable {
    /// (N, G) as written to X: expected counts (NB VAE) or the decoder output (scGen VAE).
    public var x: Matrix
    /// (N, G) normalize_total(1e4) + log1p space, where means are compared.
    public var logNormalized: Matrix
}
