import CellviKernels
import CellviModel

/// The NB VAE (scVI on raw counts) as a perturbation model: latents from counts; a decoded point
/// becomes ρ (softmax of the decoder, under the source cell's batch) × the source cell's library size.
public struct SCVIPerturbationModel: LatentPerturbationModel {
    public let model: SCVIModel
    public let counts: CSRMatrix       // (N, G) raw counts of the input cells, model's genes
    public let batchCodes: [Int32]     // (N)

    public init(model: SCVIModel, counts: CSRMatrix, batchCodes: [Int32]) {
        self.model = model; self.counts = counts; self.batchCodes = batchCodes
    }

    public func latentMeans(of cells: [Int]) throws -> Matrix {
        try model.latentMeans(counts: counts.selectingRows(cells), batchCodes: cells.map { batchCodes[$0] })
    }

    public func decode(_ latent: Matrix, as cells: [Int]) throws -> PredictedExpression {
        var x = try model.decodedFrequencies(latent: latent, batchCodes: cells.map { batchCodes[$0] })  // (S, G) ρ
        let libraries = counts.selectingRows(cells).rowSums()
        let G = x.columns
        for r in 0..<x.rows { for g in 0..<G { x.values[r * G + g] *= Float(libraries[r]) } }
        return PredictedExpression(x: x, logNormalized: LogNormalization.apply(x))
    }
}
