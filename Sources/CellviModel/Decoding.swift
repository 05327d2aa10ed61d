import CellviKernels

extension SCVIModel {
    /// Decodes given latent points as if they came from the given batches (eval mode, no noise):
    /// ρ = softmax(decoder(z, batch)), rows summing to 1 (scvi-tools `px_scale`). Used for latent
    /// arithmetic (scGen-style prediction), where z is not the encoding of an observed cell.
    /// latent: (N, Z); batchCodes: (N). Returns (N, G).
    public func decodedFrequencies(latent: Matrix, batchCodes: [Int32]) throws -> Matrix {
        let Z = configuration.latentDimensions, G = configuration.geneCount, n = latent.rows
        guard latent.columns == Z else {
            throw CellviModelError.dataMismatch("latent points have \(latent.columns) dimensions but the model has \(Z); "
                + "decode points from this model's latent space.")
        }
        guard batchCodes.count == n else {
            throw CellviModelError.dataMismatch("\(batchCodes.count) batch codes for \(n) latent points.")
        }
        if let bad = batchCodes.first(where: { $0 < 0 || Int($0) >= configuration.batchCount }) {
            throw CellviModelError.dataMismatch("batch code \(bad) is outside 0..<\(configuration.batchCount); map batches to the model's categories.")
        }
        BLAS.setThreadCount(1)   // the layers split products across `threads` cores
        var out = Matrix(zeros: n, G)   // (N, G)
        guard n > 0 else { return out }
        let ws = Workspace(arch, capacity: min(Self.inferenceChunk, n))
        let net = network(ws)
        var rng = RandomSource(seed: 0)   // unused in eval mode (no dropout, no sampling)
        for s in stride(from: 0, to: n, by: ws.capacity) {
            let B = min(ws.capacity, n - s)
            for i in 0..<B { ws.decoderCodes[i] = batchCodes[s + i]; ws.encoderCodes[i] = batchCodes[s + i] }
            for k in 0..<(B * Z) { ws.z[k] = latent.values[s * Z + k] }
            net.decode(ws, B: B, training: false, rng: &rng)
            net.scaleFrequencies(ws, B: B)
            for k in 0..<(B * G) { out.values[s * G + k] = ws.mu[k] }
        }
        return out
    }
}
