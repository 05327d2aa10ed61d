import CellviKernels
import CellviModel
import Foundation

/// The NB VAE (scVI on raw counts) as a perturbation model: latents from counts; a decoded point
/// becomes ρ (softmax of the decoder, under the source cell's batch) × the source cell's library size
/// (X, expected counts). The log-normalized readout is of one count vector drawn from the model's
/// likelihood per predicted cell (NB with the learnt θ; Poisson for gene-cell dispersion or a
/// Poisson model), because log1p of an expected count overstates the mean of log1p of counts
/// (Jensen) — by up to 0.8 for genes with mean log-expression 0.3–1 on Kang et al.
public struct SCVIPerturbationModel: LatentPerturbationModel {
    public let model: SCVIModel
    public let counts: CSRMatrix       // (N, G) raw counts of the input cells, model's genes
    public let batchCodes: [Int32]     // (N)

    public let seed: UInt64

    public init(model: SCVIModel, counts: CSRMatrix, batchCodes: [Int32], seed: UInt64 = 0) {
        self.model = model; self.counts = counts; self.batchCodes = batchCodes; self.seed = seed
    }

    public func latentMeans(of cells: [Int]) throws -> Matrix {
        try model.latentMeans(counts: counts.selectingRows(cells), batchCodes: cells.map { batchCodes[$0] })
    }

    public func decode(_ latent: Matrix, as cells: [Int]) throws -> PredictedExpression {
        var x = try model.decodedFrequencies(latent: latent, batchCodes: cells.map { batchCodes[$0] })  // (S, G) ρ
        let libraries = counts.selectingRows(cells).rowSums()
        let G = x.columns
        for r in 0..<x.rows { for g in 0..<G { x.values[r * G + g] *= Float(libraries[r]) } }
        return PredictedExpression(x: x, logNormalized: LogNormalization.apply(sampledCounts(x, cells: cells)))
    }

    /// One draw per entry of expected counts μ (S, G): Gamma–Poisson with θ of the cell's batch.
    func sampledCounts(_ mu: Matrix, cells: [Int]) -> Matrix {
        let G = mu.columns, c = model.configuration
        let logTheta = c.likelihood == .poisson || c.dispersion == .geneCell ? nil : model.tensor(named: "px_r")  // (G) or (G, K)
        var rng = RandomSource(seed: seed &+ 0xD1CE)
        var out = Matrix(zeros: mu.rows, G)
        for r in 0..<mu.rows {
            let k = c.dispersion == .geneBatch ? Int(batchCodes[cells[r]]) : 0
            for g in 0..<G {
                var rate = Double(mu.values[r * G + g])
                if let logTheta {
                    let theta = Foundation.exp(Double(c.dispersion == .geneBatch ? logTheta[g * c.batchCount + k] : logTheta[g]))
                    rate = min(rng.gamma(shape: theta) * rate / theta, 1e8)
                }
                out.values[r * G + g] = Float(rng.poisson(rate))
            }
        }
        return out
    }
}
