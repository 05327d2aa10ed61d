import CellviKernels
import Foundation

/// Per-cell evaluation of the variational bound, means over cells.
public struct EvidenceLowerBound: Codable, Equatable, Sendable {
    /// Mean over cells of reconstruction NLL + KL (lower is better, as scvi-tools logs it).
    public var elbo: Double
    /// Mean reconstruction NLL (scvi-tools `get_reconstruction_error`, sign flipped there).
    public var reconstruction: Double
    /// Mean KL (latent z plus library when latent).
    public var kl: Double
}

extension SCVIModel {
    /// Cells per inference chunk.
    static let inferenceChunk = 128

    /// Runs `body(ws, net, data, cells, B)` over chunks of all cells with codes set to each cell's batch.
    func forEachChunk(counts: CSRMatrix, batchCodes: [Int32],
                      _ body: (Workspace, Network, BoundData, Range<Int>) -> Void) throws {
        try validate(counts: counts, batchCodes: batchCodes)
        BLAS.setThreadCount(1)   // the layers split products across `threads` cores
        let ws = Workspace(arch, capacity: min(Self.inferenceChunk, max(counts.rowCount, 1)))
        let net = network(ws)
        BoundData.with(counts) { data in
            for s in stride(from: 0, to: counts.rowCount, by: ws.capacity) {
                let r = s..<min(s + ws.capacity, counts.rowCount)
                for (i, c) in r.enumerated() {
                    ws.rows[i] = c; ws.encoderCodes[i] = batchCodes[c]; ws.decoderCodes[i] = batchCodes[c]
                }
                body(ws, net, data, r)
            }
        }
    }

    /// Posterior mean of z in eval mode (scvi-tools `get_latent_representation`), (N, Z).
    public func latentMeans(counts: CSRMatrix, batchCodes: [Int32]) throws -> Matrix {
        let Z = configuration.latentDimensions
        var out = Matrix(zeros: counts.rowCount, Z)
        var rng = RandomSource(seed: 0)
        try forEachChunk(counts: counts, batchCodes: batchCodes) { ws, net, data, r in
            net.encode(ws, input: data.input(ws, r.count), B: r.count, training: false, rng: &rng)
            for i in 0..<(r.count * Z) { out.values[r.lowerBound * Z + i] = ws.qm[i] }
        }
        return out
    }

    /// scvi-tools `get_normalized_expression`: decode posterior samples (eval mode) as if each cell
    /// came from each batch in `transformBatches` (nil: its own batch), scale ρ by `librarySize`
    /// (1 → frequencies summing to 1), average over batches and `sampleCount` samples. (N, G)
    public func normalizedExpression(counts: CSRMatrix, batchCodes: [Int32], transformBatches: [Int]? = nil,
                                     librarySize: Float = 1, sampleCount: Int = 1, seed: UInt64 = 0) throws -> Matrix {
        let G = configuration.geneCount
        if let tb = transformBatches, let bad = tb.first(where: { $0 < 0 || $0 >= configuration.batchCount }) {
            throw CellviModelError.dataMismatch("transform batch \(bad) is outside 0..<\(configuration.batchCount).")
        }
        var out = Matrix(zeros: counts.rowCount, G)
        var rng = RandomSource(seed: seed)
        let targets: [Int?] = transformBatches.map { $0.map(Optional.some) } ?? [nil]
        let weight = librarySize / Float(max(sampleCount, 1) * targets.count)
        try forEachChunk(counts: counts, batchCodes: batchCodes) { ws, net, data, r in
            let B = r.count
            for _ in 0..<max(sampleCount, 1) {
                for t in targets {
                    for i in 0..<B { ws.decoderCodes[i] = t.map(Int32.init) ?? ws.encoderCodes[i] }
                    net.encode(ws, input: data.input(ws, B), B: B, training: false, rng: &rng)
                    net.sampleLatent(ws, counts: data.raw(ws, B), B: B, noise: .draw, rng: &rng)
                    net.decode(ws, B: B, training: false, rng: &rng)
                    net.scaleFrequencies(ws, B: B)
                    for i in 0..<(B * G) { out.values[r.lowerBound * G + i] += weight * ws.mu[i] }
                }
            }
        }
        return out
    }

    /// Mean ELBO, reconstruction NLL and KL over the given cells (eval mode, one sample of z).
    public func elbo(counts: CSRMatrix, batchCodes: [Int32], seed: UInt64 = 0) throws -> EvidenceLowerBound {
        var rec = 0.0, kl = 0.0
        var rng = RandomSource(seed: seed)
        try forEachChunk(counts: counts, batchCodes: batchCodes) { ws, net, data, r in
            net.forward(ws, input: data.input(ws, r.count), counts: data.raw(ws, r.count), B: r.count,
                        training: false, noise: .draw, gradientScale: nil, rng: &rng)
            for i in 0..<r.count { rec += Double(ws.reconstruction[i]); kl += Double(ws.klZ[i]) + Double(ws.klL[i]) }
        }
        let n = Double(max(counts.rowCount, 1))
        return EvidenceLowerBound(elbo: (rec + kl) / n, reconstruction: rec / n, kl: kl / n)
    }

    /// Importance-sampled log p(x) per cell with q as proposal (scvi-tools `marginal_ll`):
    /// logsumexp_k [log p(z_k) + log p(x|z_k,l_k) − log q(z_k|x) (+ log p(l_k) − log q(l_k|x))] − log K.
    /// scvi-tools' `get_marginal_ll` reports the negative of the mean of these.
    public func marginalLogLikelihood(counts: CSRMatrix, batchCodes: [Int32], sampleCount: Int = 1000,
                                      seed: UInt64 = 0) throws -> [Double] {
        let Z = configuration.latentDimensions, K = max(sampleCount, 1)
        let halfLog2Pi = 0.5 * Foundation.log(2 * Double.pi)
        var out = [Double](repeating: 0, count: counts.rowCount)
        var rng = RandomSource(seed: seed)
        let latentLibrary = !configuration.useObservedLibrarySize
        try forEachChunk(counts: counts, batchCodes: batchCodes) { ws, net, data, r in
            let B = r.count
            var running = [Double](repeating: -.infinity, count: B)   // log Σ exp so far
            net.encode(ws, input: data.input(ws, B), B: B, training: false, rng: &rng)
            for _ in 0..<K {
                net.sampleLatent(ws, counts: data.raw(ws, B), B: B, noise: .draw, rng: &rng)
                net.decode(ws, B: B, training: false, rng: &rng)
                net.likelihood(ws, counts: data.raw(ws, B), B: B, gradientScale: nil)
                for i in 0..<B {
                    var w = ws.logProbabilities[i]
                    for d in 0..<Z {
                        let k = i * Z + d, z = Double(ws.z[k]), e = Double(ws.epsZ[k])
                        w += -0.5 * z * z - halfLog2Pi                                     // log p(z)
                        w -= -0.5 * e * e - halfLog2Pi - 0.5 * Foundation.log(Double(ws.qv[k]))  // log q(z|x)
                    }
                    if latentLibrary {
                        let b = Int(ws.encoderCodes[i])
                        let l = Double(ws.logLibrary[i]), pm = Double(libraryLogMeans.pointer[b])
                        let pv = Double(libraryLogVariances.pointer[b]), e = Double(ws.epsL[i])
                        w += -0.5 * (l - pm) * (l - pm) / pv - 0.5 * Foundation.log(pv) - halfLog2Pi
                        w -= -0.5 * e * e - halfLog2Pi - 0.5 * Foundation.log(Double(ws.lv[i]))
                    }
                    let m = max(running[i], w)
                    running[i] = m + Foundation.log(Foundation.exp(running[i] - m) + Foundation.exp(w - m))
                }
            }
            for i in 0..<B { out[r.lowerBound + i] = running[i] - Foundation.log(Double(K)) }
        }
        return out
    }

    /// Samples counts from the posterior predictive of the given cells, decoded as `targetBatch`
    /// (nil: each cell's own batch). z ~ q(z|x) in eval mode; library observed or sampled. (N, G) sparse.
    public func samplePosterior(counts: CSRMatrix, batchCodes: [Int32], targetBatch: Int? = nil,
                                seed: UInt64 = 0) throws -> CSRMatrix {
        try checkBatch(targetBatch)
        var rng = RandomSource(seed: seed)
        var builder = CountRowsBuilder(columnCount: configuration.geneCount)
        try forEachChunk(counts: counts, batchCodes: batchCodes) { ws, net, data, r in
            let B = r.count
            for i in 0..<B { ws.decoderCodes[i] = targetBatch.map(Int32.init) ?? ws.encoderCodes[i] }
            net.encode(ws, input: data.input(ws, B), B: B, training: false, rng: &rng)
            net.sampleLatent(ws, counts: data.raw(ws, B), B: B, noise: .draw, rng: &rng)
            net.decode(ws, B: B, training: false, rng: &rng)
            net.expectedCounts(ws, B: B)
            sampleCounts(ws, net, B: B, rng: &rng, into: &builder)
        }
        return builder.matrix()
    }

    /// Samples `cellCount` new cells from the prior z ~ N(0, I) decoded as `batch`; the log library
    /// is drawn from that batch's log-normal prior (mean/variance of log total counts in training).
    public func samplePrior(cellCount: Int, batch: Int = 0, seed: UInt64 = 0) throws -> CSRMatrix {
        try checkBatch(batch)
        BLAS.setThreadCount(1)   // the layers split products across `threads` cores
        var rng = RandomSource(seed: seed)
        let Z = configuration.latentDimensions
        let ws = Workspace(arch, capacity: min(Self.inferenceChunk, max(cellCount, 1)))
        let net = network(ws)
        var builder = CountRowsBuilder(columnCount: configuration.geneCount)
        let pm = libraryLogMeans.pointer[batch], psd = libraryLogVariances.pointer[batch].squareRoot()
        for s in stride(from: 0, to: cellCount, by: ws.capacity) {
            let B = min(ws.capacity, cellCount - s)
            for i in 0..<B {
                ws.decoderCodes[i] = Int32(batch); ws.encoderCodes[i] = Int32(batch)
                ws.logLibrary[i] = pm + psd * rng.normal()
            }
            rng.fillNormal(ws.z, count: B * Z)
            net.decode(ws, B: B, training: false, rng: &rng)
            net.expectedCounts(ws, B: B)
            sampleCounts(ws, net, B: B, rng: &rng, into: &builder)
        }
        return builder.matrix()
    }

    private func checkBatch(_ b: Int?) throws {
        if let b, b < 0 || b >= configuration.batchCount {
            throw CellviModelError.dataMismatch("batch \(b) is outside 0..<\(configuration.batchCount).")
        }
    }

    /// Draws counts from the likelihood with mean ws.mu: NB as Gamma–Poisson, ZINB with zeros of
    /// probability sigmoid(π), or Poisson.
    private func sampleCounts(_ ws: Workspace, _ net: Network, B: Int, rng: inout RandomSource,
                              into builder: inout CountRowsBuilder) {
        let G = configuration.geneCount
        for i in 0..<B {
            let theta = net.thetaRow(ws, i)
            builder.beginRow()
            for g in 0..<G {
                let mu = Double(ws.mu[i * G + g])
                var rate = mu
                if configuration.likelihood != .poisson {
                    let t = Double(theta[g])
                    rate = min(rng.gamma(shape: t) * mu / t, 1e8)
                }
                var x = rng.poisson(rate)
                if configuration.likelihood == .zinb, let pi = ws.piLogits,
                   rng.uniformFloat() <= Elementwise.sigmoid(pi[i * G + g]) { x = 0 }
                if x > 0 { builder.append(column: g, value: Float(x)) }
            }
        }
    }
}

/// Accumulates sampled rows into CSR form.
struct CountRowsBuilder {
    let columnCount: Int
    var offsets = [0], indices = [Int32](), values = [Float]()
    var started = false
    init(columnCount: Int) { self.columnCount = columnCount }
    mutating func beginRow() { if started { offsets.append(indices.count) }; started = true }
    mutating func append(column: Int, value: Float) { indices.append(Int32(column)); values.append(value) }
    func matrix() -> CSRMatrix {
        var o = offsets
        if started { o.append(indices.count) }
        return CSRMatrix(rowCount: o.count - 1, columnCount: columnCount, rowOffsets: o, columnIndices: indices, values: values)
    }
}

extension Network {
    /// ws.mu(B, G) = exp(logLibrary) · softmax(logits), no likelihood.
    func expectedCounts(_ ws: Workspace, B: Int) {
        let G = config.geneCount
        for i in 0..<B {
            let l = ws.logits + i * ws.geneStride, m = ws.mu + i * G
            let lse = Elementwise.logSoftmax(m, l, count: G)
            _ = lse
            let ll = ws.logLibrary[i]
            for g in 0..<G { m[g] = expf(m[g] + ll) }
        }
    }

    /// ws.mu(B, G) = softmax(logits) = ρ (scvi `px_scale`).
    func scaleFrequencies(_ ws: Workspace, B: Int) {
        let G = config.geneCount
        for i in 0..<B {
            let m = ws.mu + i * G
            Elementwise.logSoftmax(m, ws.logits + i * ws.geneStride, count: G)
            for g in 0..<G { m[g] = expf(m[g]) }
        }
    }
}
