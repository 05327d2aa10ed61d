import CellviKernels
import Foundation

/// How the reparameterisation noise ε is obtained in a forward pass.
enum NoiseMode {
    /// Draw ε ~ N(0, 1) from the random source.
    case draw
    /// Use ε already in the workspace (tests, golden parity).
    case provided
    /// ε = 0: z is the posterior mean.
    case zero
}

/// The scVI computation over one minibatch: inference → generative → loss parts, and the
/// backward pass that reads as the forward script in reverse. Holds raw pointers into the
/// model's slabs; it owns nothing.
struct Network {
    let arch: Architecture
    let params: UnsafeMutablePointer<Float>
    let grads: UnsafeMutablePointer<Float>
    let state: UnsafeMutablePointer<Float>
    let libraryLogMeans: UnsafePointer<Float>      // (K) per-batch prior mean of log library
    let libraryLogVariances: UnsafePointer<Float>  // (K)
    let threads: Int

    var config: SCVIConfiguration { arch.config }

    // MARK: FCLayers

    /// Whether a training step writes activations that another core reads next (the decoder's output,
    /// the first encoder layer's input gradient) as streaming stores: when `StreamingStore` is on.
    func streams(channels C: Int) -> Bool { threads > 1 && C % 16 == 0 && StreamingStore.isEnabled }

    /// Runs a stack; returns its output (B, H). Layer 0 reads `sparse` or `dense` (B, inputs).
    /// `streamedOutput`: the last layer's output is read next by the other cores (`streams`).
    @discardableResult
    func stackForward(_ specs: [LayerSpec], _ bufs: [LayerBuffers], sparse: SparseRows?,
                      dense: UnsafePointer<Float>?, codes: UnsafePointer<Int32>, B: Int,
                      training: Bool, rng: inout RandomSource, streamedOutput: Bool = false) -> UnsafeMutablePointer<Float> {
        let P = params, S = state
        for (l, s) in specs.enumerated() {
            let b = bufs[l], O = s.outputs
            let cov: UnsafePointer<Int32>? = s.covariates > 0 ? UnsafePointer(codes) : nil
            if s.sparseInput {
                sparse_linear_forward(b.pre, sparse!, P + s.weight, P + s.bias, cov,
                                      I: s.inputs, K: s.covariates, O: O, threads: threads, denseScratch: denseScratch,
                                      columnScratch: columnScratch)
            } else {
                let inp = l == 0 ? dense! : UnsafePointer(bufs[l - 1].out)
                linear_forward(b.pre, inp, P + s.weight, P + s.bias, cov, B: B, I: s.inputs, K: s.covariates, O: O, threads: threads)
            }
            if training && streamedOutput && l == specs.count - 1 && b.mask == nil && streams(channels: O) {
                batchnorm_relu_forward_train_streamed(b.y, b.xhat, b.mean, b.invstd, b.pre, P + s.gamma, P + s.beta,
                                                      S + s.runningMean, S + s.runningVar, B: B, C: O,
                                                      momentum: Architecture.bnMomentum, eps: Architecture.bnEps)
                continue
            }
            if training {
                batchnorm_forward_train(b.y, b.xhat, b.mean, b.invstd, b.pre, P + s.gamma, P + s.beta,
                                        S + s.runningMean, S + s.runningVar, B: B, C: O,
                                        momentum: Architecture.bnMomentum, eps: Architecture.bnEps)
            } else {
                batchnorm_forward_eval(b.y, b.pre, P + s.gamma, P + s.beta, S + s.runningMean, S + s.runningVar,
                                       B: B, C: O, eps: Architecture.bnEps)
            }
            relu_forward(b.y, count: B * O)
            if let mask = b.mask {
                if training {
                    dropout_mask(mask, count: B * O, p: s.dropout, rng: &rng)
                    dropout_forward(b.out, b.y, mask, count: B * O)
                } else {
                    b.out.update(from: b.y, count: B * O)
                }
            }
        }
        return bufs[bufs.count - 1].out
    }

    /// Backward of a stack. Expects the top gradient in `bufs.last.dOut`; accumulates into
    /// `dInput` (B, inputs) for a dense layer 0 when given.
    func stackBackward(_ specs: [LayerSpec], _ bufs: [LayerBuffers], sparse: SparseRows?,
                       dense: UnsafePointer<Float>?, dInput: UnsafeMutablePointer<Float>?,
                       codes: UnsafePointer<Int32>, B: Int) {
        let P = params, D = grads
        for l in stride(from: specs.count - 1, through: 0, by: -1) {
            let s = specs[l], b = bufs[l], O = s.outputs
            let cov: UnsafePointer<Int32>? = s.covariates > 0 ? UnsafePointer(codes) : nil
            if let mask = b.mask { dropout_forward(b.dOut, b.dOut, mask, count: B * O) }
            relu_backward(b.dOut, b.y, count: B * O)
            // The sparse layer's weight gradient reads dPre on every core.
            batchnorm_backward(b.dPre, D + s.gamma, D + s.beta, b.dOut, b.xhat, b.invstd, P + s.gamma,
                               bnScratch, B: B, C: O, streamed: s.sparseInput && streams(channels: O))
            if s.sparseInput {
                sparse_linear_backward(D + s.weight, D + s.bias, b.dPre, sparse!, cov,
                                       I: s.inputs, K: s.covariates, O: O, threads: threads, denseScratch: denseScratch,
                                       columnScratch: columnScratch, overwriteWeights: true)
            } else {
                let inp = l == 0 ? dense! : UnsafePointer(bufs[l - 1].out)
                let dIn = l == 0 ? dInput : bufs[l - 1].dOut
                if l > 0 { Elementwise.zero(bufs[l - 1].dOut, count: B * s.inputs) }
                linear_backward(dIn, D + s.weight, D + s.bias, b.dPre, inp, P + s.weight, cov,
                                B: B, I: s.inputs, K: s.covariates, O: O, threads: threads)
            }
        }
    }

    /// (2H) BatchNorm backward scratch, owned by the workspace.
    let bnScratch: UnsafeMutablePointer<Float>
    /// (B, G) densified encoder input for dense-enough minibatches, owned by the workspace.
    let denseScratch: UnsafeMutablePointer<Float>
    /// Column-major minibatch copy for the sparse weight gradient, owned by the workspace.
    let columnScratch: SparseColumnScratch

    init(arch: Architecture, params: UnsafeMutablePointer<Float>, grads: UnsafeMutablePointer<Float>,
         state: UnsafeMutablePointer<Float>, libraryLogMeans: UnsafePointer<Float>,
         libraryLogVariances: UnsafePointer<Float>, threads: Int, scratch: UnsafeMutablePointer<Float>,
         denseScratch: UnsafeMutablePointer<Float>, columnScratch: SparseColumnScratch) {
        self.arch = arch; self.params = params; self.grads = grads; self.state = state
        self.libraryLogMeans = libraryLogMeans; self.libraryLogVariances = libraryLogVariances
        self.threads = threads; self.bnScratch = scratch; self.denseScratch = denseScratch
        self.columnScratch = columnScratch
    }

    // MARK: Inference (encoders)

    /// Encoders: fills qm, qv (B, Z) and, with a latent library, lm, lv (B).
    /// Expects ws.encoderCodes and the sparse log1p input.
    func encode(_ ws: Workspace, input: SparseRows, B: Int, training: Bool, rng: inout RandomSource) {
        let P = params, Z = config.latentDimensions, H = config.hiddenDimensions
        columnScratch.invalidate()
        let h = stackForward(arch.zEncoder, ws.zEncoder, sparse: input, dense: nil, codes: ws.encoderCodes,
                             B: B, training: training, rng: &rng)
        linear_forward(ws.qm, h, P + arch.zMean.weight, P + arch.zMean.bias, nil, B: B, I: H, K: 0, O: Z, threads: threads)
        linear_forward(ws.qvExp, h, P + arch.zVar.weight, P + arch.zVar.bias, nil, B: B, I: H, K: 0, O: Z, threads: threads)
        for i in 0..<(B * Z) { let e = expf(ws.qvExp[i]); ws.qvExp[i] = e; ws.qv[i] = e + Architecture.varianceEps }
        if let lMean = arch.lMean, let lVar = arch.lVar {
            let hl = stackForward(arch.lEncoder, ws.lEncoder, sparse: input, dense: nil, codes: ws.encoderCodes,
                                  B: B, training: training, rng: &rng)
            linear_forward(ws.lm, hl, P + lMean.weight, P + lMean.bias, nil, B: B, I: H, K: 0, O: 1, threads: threads)
            linear_forward(ws.lvExp, hl, P + lVar.weight, P + lVar.bias, nil, B: B, I: H, K: 0, O: 1, threads: threads)
            for i in 0..<B { let e = expf(ws.lvExp[i]); ws.lvExp[i] = e; ws.lv[i] = e + Architecture.varianceEps }
        }
    }

    /// z = qm + √qv·ε; library = observed log total count or lm + √lv·ε_l. KL terms per cell.
    /// counts: raw counts (for the observed library).
    func sampleLatent(_ ws: Workspace, counts: SparseRows, B: Int, noise: NoiseMode, rng: inout RandomSource) {
        let Z = config.latentDimensions
        switch noise {
        case .draw: rng.fillNormal(ws.epsZ, count: B * Z)
        case .zero: Elementwise.zero(ws.epsZ, count: B * Z)
        case .provided: break
        }
        for i in 0..<B {
            var kl: Float = 0
            for d in 0..<Z {
                let k = i * Z + d, m = ws.qm[k], v = ws.qv[k]
                ws.z[k] = m + v.squareRoot() * ws.epsZ[k]
                kl += v + m * m - 1 - logf(v)
            }
            ws.klZ[i] = 0.5 * kl
        }
        if config.useObservedLibrarySize {
            for i in 0..<B {
                var total: Float = 0
                for e in counts.range(i) { total += counts.values[e] }
                ws.logLibrary[i] = logf(total)
                ws.klL[i] = 0
            }
        } else {
            switch noise {
            case .draw: rng.fillNormal(ws.epsL, count: B)
            case .zero: Elementwise.zero(ws.epsL, count: B)
            case .provided: break
            }
            for i in 0..<B {
                let m = ws.lm[i], v = ws.lv[i]
                ws.logLibrary[i] = m + v.squareRoot() * ws.epsL[i]
                let b = Int(ws.encoderCodes[i])
                let pm = libraryLogMeans[b], pv = libraryLogVariances[b]
                ws.klL[i] = 0.5 * (logf(pv / v) + (v + (m - pm) * (m - pm)) / pv - 1)
            }
        }
    }

    // MARK: Generative (decoder) and likelihood

    /// Decoder from ws.z and ws.decoderCodes: scale logits, θ and zero-inflation logits.
    func decode(_ ws: Workspace, B: Int, training: Bool, rng: inout RandomSource) {
        let P = params, G = config.geneCount, H = config.hiddenDimensions
        let h = stackForward(arch.decoder, ws.decoder, sparse: nil, dense: ws.z, codes: ws.decoderCodes,
                             B: B, training: training, rng: &rng, streamedOutput: true)
        // The likelihood's thread chunk p reads the rows block p wrote on its core; the other rows are streamed.
        linear_forward(ws.logits, h, P + arch.scaleHead.weight, P + arch.scaleHead.bias, nil, B: B, I: H, K: 0, O: G,
                       threads: threads, ldOut: ws.geneStride) { part, parts in likelihoodCells(part, of: parts, B: B) }
        if let head = arch.dispersionHead, let theta = ws.theta {
            linear_forward(theta, h, P + head.weight, P + head.bias, nil, B: B, I: H, K: 0, O: G, threads: threads)
            for i in 0..<(B * G) { theta[i] = expf(theta[i]) }
        }
        if let head = arch.dropoutHead, let pi = ws.piLogits {
            linear_forward(pi, h, P + head.weight, P + head.bias, nil, B: B, I: H, K: 0, O: G, threads: threads)
        }
        if let pxR = arch.pxR {
            let rowsK = config.dispersionRows
            for k in 0..<rowsK {
                for g in 0..<G { ws.thetaTable[k * G + g] = expf(P[pxR + g * rowsK + k]) }
            }
            NegativeBinomialKernel.thetaConstants(ws.logThetaEpsTable, ws.dThetaConstantTable,
                                                  theta: ws.thetaTable, count: rowsK * G)
        }
    }

    /// θ row (G) the likelihood uses for cell i.
    @inline(__always)
    func thetaRow(_ ws: Workspace, _ i: Int) -> UnsafePointer<Float> {
        let G = config.geneCount
        if let theta = ws.theta { return UnsafePointer(theta + i * G) }
        if config.dispersion == .geneBatch { return UnsafePointer(ws.thetaTable + Int(ws.decoderCodes[i]) * G) }
        return UnsafePointer(ws.thetaTable)
    }

    /// Cells per thread chunk of the likelihood pass (at least).
    static let likelihoodCellsPerChunk = 4

    /// Cells of the likelihood's thread chunk `part` when it has `parts` chunks (chunk p runs on the
    /// core that computes block p of a product split `parts` ways); all cells otherwise.
    func likelihoodCells(_ part: Int, of parts: Int, B: Int) -> Range<Int> {
        let chunks = Parallel.chunkCount(B, threads: threads, minimumPerChunk: Self.likelihoodCellsPerChunk)
        return chunks == parts ? Parallel.chunkRange(part, of: chunks, count: B) : 0..<B
    }

    /// Genes of the scale head's backward block that the core running likelihood chunk `chunk` (of
    /// `chunks`) computes, when the blocks match the chunks; all genes otherwise.
    func scaleHeadGenes(_ chunk: Int, of chunks: Int, B: Int) -> Range<Int> {
        let G = config.geneCount, H = config.hiddenDimensions
        let parts = BLAS.splitParts(m: G, n: H, k: B, threads: threads)
        return parts == chunks ? BLAS.splitRange(chunk, of: parts, length: G) : 0..<G
    }

    /// Whether the likelihood pass sums the log θ gradients of each thread chunk into the chunk's
    /// first row of gradPxR (NB with one shared θ row) instead of one row per cell.
    var thetaGradientInChunkRows: Bool {
        config.likelihood == .nb && arch.dispersionHead == nil && config.dispersionRows == 1
    }

    /// Per-cell log p(x | z, l) into ws.logProbabilities and ws.reconstruction (= −log p); with
    /// `gradientScale` also the gradients of gradientScale · Σ −log p w.r.t. logits, log θ, π, log library.
    func likelihood(_ ws: Workspace, counts: SparseRows, B: Int, gradientScale: Float?) {
        let G = config.geneCount, kind = config.likelihood
        let wantGrad = gradientScale != nil
        if kind == .nb && ws.theta == nil {
            // Shared θ rows: the vectorised kernel with per-gene constants.
            let sumThetaPerChunk = thetaGradientInChunkRows
            let chunks = Parallel.chunkCount(B, threads: threads, minimumPerChunk: Self.likelihoodCellsPerChunk)
            Parallel.forEachChunk(B, threads: threads, minimumPerChunk: Self.likelihoodCellsPerChunk) { chunk in
                // Per-gene terms live in one row-sized buffer per thread (the chunk's first row), so
                // they stay in cache instead of streaming a (B, G) array through memory.
                // With one θ row the log θ gradients of the chunk's cells are summed in the chunk's
                // first row of gradPxR (`backward` adds those rows in chunk order).
                let chunkScratch = ws.likelihoodScratch + chunk.lowerBound * G
                // The logits gradient is summed in the chunk's second scratch row and written once per
                // cell: the genes whose backward block runs on another core with streaming stores.
                let index = (0..<chunks).first { Parallel.chunkRange($0, of: chunks, count: B) == chunk } ?? 0
                let gradientScratch = chunk.count > 1 ? chunkScratch + G : nil
                let streaming = StreamingStore.isEnabled
                let cachedGenes = streaming ? scaleHeadGenes(index, of: chunks, B: B) : nil
                if wantGrad, sumThetaPerChunk, let gr = ws.gradPxR { Elementwise.zero(gr + chunk.lowerBound * G, count: G) }
                for i in chunk {
                    // The next cell's logits: partly streamed by the other core, so in memory.
                    if streaming, i + 1 < chunk.upperBound { StreamingStore.prefetch(ws.logits + (i + 1) * ws.geneStride, count: G) }
                    if wantGrad, !sumThetaPerChunk, let gr = ws.gradPxR { Elementwise.zero(gr + i * G, count: G) }
                    let k = config.dispersion == .geneBatch ? Int(ws.decoderCodes[i]) * G : 0
                    let (lp, dl) = NegativeBinomialKernel.row(
                        G: G, logits: ws.logits + i * ws.geneStride, logLibrary: ws.logLibrary[i],
                        theta: ws.thetaTable + k, logThetaEps: ws.logThetaEpsTable + k,
                        dThetaConstant: ws.dThetaConstantTable + k,
                        countIndices: counts.indices, countValues: counts.values, countRange: counts.range(i),
                        mu: ws.mu + i * G, scratch: chunkScratch,
                        gradLogits: wantGrad ? ws.gradLogits + i * ws.geneStride : nil,
                        gradLogTheta: wantGrad ? ws.gradPxR.map { $0 + (sumThetaPerChunk ? chunk.lowerBound : i) * G } : nil,
                        lossScale: gradientScale ?? 0, gradientScratch: gradientScratch, cachedGradientColumns: cachedGenes)
                    ws.logProbabilities[i] = lp
                    ws.reconstruction[i] = Float(-lp)
                    ws.dLogLibrary[i] = dl
                }
                if wantGrad && streaming { StreamingStore.fence() }
            }
            return
        }
        Parallel.forEachChunk(B, threads: threads, minimumPerChunk: 4) { chunk in
            for i in chunk {
                let (lp, dl) = Likelihood.fusedRow(
                    kind, G: G, logits: ws.logits + i * ws.geneStride, logLibrary: ws.logLibrary[i],
                    theta: thetaRow(ws, i), pi: ws.piLogits.map { UnsafePointer($0 + i * G) },
                    countIndices: counts.indices, countValues: counts.values, countRange: counts.range(i),
                    mu: ws.mu + i * G,
                    gradLogits: wantGrad ? ws.gradLogits + i * ws.geneStride : nil,
                    gradPxR: wantGrad ? ws.gradPxR.map { $0 + i * G } : nil,
                    gradPi: wantGrad ? ws.gradPi.map { $0 + i * G } : nil,
                    lossScale: gradientScale ?? 0)
                ws.logProbabilities[i] = lp
                ws.reconstruction[i] = Float(-lp)
                ws.dLogLibrary[i] = dl
            }
        }
    }

    /// The whole forward pass of a training or evaluation step. ws.rows, ws.encoderCodes and
    /// ws.decoderCodes must be set. With `gradientScale`, likelihood gradients are prepared.
    func forward(_ ws: Workspace, input: SparseRows, counts: SparseRows, B: Int, training: Bool,
                 noise: NoiseMode, gradientScale: Float?, rng: inout RandomSource) {
        encode(ws, input: input, B: B, training: training, rng: &rng)
        sampleLatent(ws, counts: counts, B: B, noise: noise, rng: &rng)
        decode(ws, B: B, training: training, rng: &rng)
        likelihood(ws, counts: counts, B: B, gradientScale: gradientScale)
    }

    // MARK: Backward

    /// Gradients `backward` writes instead of accumulating into: the scale head's weight and the
    /// feature rows of each sparse first layer, the two (G, H) matrices, each with the thread
    /// partition of the kernel that writes it (gene-row blocks of the GEMMs; gene-row chunks of the
    /// sparse weight gradient). The optimizer leaves them uncleared and updates each part on the
    /// thread that wrote it; every other gradient accumulates from zero.
    var overwrittenGradients: [SlabPartition] {
        let head = arch.scaleHead
        var tensors = [SlabPartition(range: head.weight..<head.weight + head.inputs * head.outputs,
                                     rowLength: head.inputs, split: .rowBlocks)]
        for s in [arch.zEncoder.first, arch.lEncoder.first].compactMap({ $0 }) where s.sparseInput {
            tensors.append(SlabPartition(range: s.weight..<s.weight + s.inputs * s.outputs, rowLength: s.outputs,
                                         split: .rowChunks(minimumRows: SparseProduct.weightGradientMinimumRows)))
        }
        return tensors.sorted { $0.range.lowerBound < $1.range.lowerBound }   // slab order, as Adam wants them
    }

    /// Gradients of mean_i [reconstruction_i + klWeight·KL_z,i + KL_l,i] accumulated into `grads`
    /// (`overwrittenGradients` are written).
    /// Call after `forward(..., gradientScale: 1/B)` in training mode.
    func backward(_ ws: Workspace, input: SparseRows, B: Int, klWeight: Float) {
        let P = params, D = grads
        let G = config.geneCount, H = config.hiddenDimensions, Z = config.latentDimensions
        let inv = 1 / Float(B)

        // Decoder heads → decoder hidden.
        let top = ws.decoder[ws.decoder.count - 1]
        Elementwise.zero(top.dOut, count: B * H)
        // Gene dispersion: Σ over cells of the log θ gradients, in gene blocks within the scale head's
        // backward region (each gene sums its cells, or the likelihood's chunk sums, in order, so the
        // blocks never change the result).
        let thetaSum = arch.pxR != nil && ws.gradPxR != nil
        let rowsK = config.dispersionRows, perBatch = config.dispersion == .geneBatch
        linear_backward(top.dOut, D + arch.scaleHead.weight, D + arch.scaleHead.bias, ws.gradLogits, top.out,
                        P + arch.scaleHead.weight, nil, B: B, I: H, K: 0, O: G, threads: threads,
                        ldDout: ws.geneStride, overwriteWeightGradient: true, depthSplitScratch: ws.inputGradientPartials,
                        depthSplitCapacity: Workspace.inputGradientParts * ws.capacity * H,
                        extraSplits: thetaSum) { part, parts in
            guard let pxR = arch.pxR, let gr = ws.gradPxR else { return }
            let d = D + pxR, genes = BLAS.splitRange(part, of: parts, length: G)
            if thetaGradientInChunkRows {
                let chunks = Parallel.chunkCount(B, threads: threads, minimumPerChunk: Self.likelihoodCellsPerChunk)
                for c in 0..<chunks {
                    let row = gr + Parallel.chunkRange(c, of: chunks, count: B).lowerBound * G
                    for g in genes { d[g] += row[g] }
                }
                return
            }
            for i in 0..<B {
                let row = gr + i * G
                if rowsK == 1 {
                    for g in genes { d[g] += row[g] }   // contiguous: vectorises
                } else {
                    let k = perBatch ? Int(ws.decoderCodes[i]) : 0
                    for g in genes { d[g * rowsK + k] += row[g] }
                }
            }
        }
        if let head = arch.dispersionHead, let gr = ws.gradPxR {
            linear_backward(top.dOut, D + head.weight, D + head.bias, gr, top.out, P + head.weight, nil,
                            B: B, I: H, K: 0, O: G, threads: threads)
        }
        if let head = arch.dropoutHead, let gp = ws.gradPi {
            linear_backward(top.dOut, D + head.weight, D + head.bias, gp, top.out, P + head.weight, nil,
                            B: B, I: H, K: 0, O: G, threads: threads)
        }
        Elementwise.zero(ws.dz, count: B * Z)
        stackBackward(arch.decoder, ws.decoder, sparse: nil, dense: ws.z, dInput: ws.dz, codes: ws.decoderCodes, B: B)

        // z = qm + √qv·ε and the KL to N(0, I) (weighted).
        let w = klWeight * inv
        for k in 0..<(B * Z) {
            let m = ws.qm[k], v = ws.qv[k], sd = v.squareRoot()
            ws.dqm[k] = ws.dz[k] + w * m
            let dv = ws.dz[k] * ws.epsZ[k] / (2 * sd) + w * 0.5 * (1 - 1 / v)
            ws.dqv[k] = dv * ws.qvExp[k]   // through qv = exp(raw) + 1e-4
        }
        let zTop = ws.zEncoder[ws.zEncoder.count - 1]
        Elementwise.zero(zTop.dOut, count: B * H)
        linear_backward(zTop.dOut, D + arch.zMean.weight, D + arch.zMean.bias, ws.dqm, zTop.out,
                        P + arch.zMean.weight, nil, B: B, I: H, K: 0, O: Z, threads: threads)
        linear_backward(zTop.dOut, D + arch.zVar.weight, D + arch.zVar.bias, ws.dqv, zTop.out,
                        P + arch.zVar.weight, nil, B: B, I: H, K: 0, O: Z, threads: threads)
        stackBackward(arch.zEncoder, ws.zEncoder, sparse: input, dense: nil, dInput: nil, codes: ws.encoderCodes, B: B)

        // Latent library: library = lm + √lv·ε_l, KL to the batch's log-normal prior (unweighted).
        if let lMean = arch.lMean, let lVar = arch.lVar {
            for i in 0..<B {
                let m = ws.lm[i], v = ws.lv[i], sd = v.squareRoot()
                let b = Int(ws.encoderCodes[i])
                let pm = libraryLogMeans[b], pv = libraryLogVariances[b]
                ws.dlm[i] = ws.dLogLibrary[i] + inv * (m - pm) / pv
                let dv = ws.dLogLibrary[i] * ws.epsL[i] / (2 * sd) + inv * 0.5 * (1 / pv - 1 / v)
                ws.dlv[i] = dv * ws.lvExp[i]
            }
            let lTop = ws.lEncoder[ws.lEncoder.count - 1]
            Elementwise.zero(lTop.dOut, count: B * H)
            linear_backward(lTop.dOut, D + lMean.weight, D + lMean.bias, ws.dlm, lTop.out, P + lMean.weight, nil,
                            B: B, I: H, K: 0, O: 1, threads: threads)
            linear_backward(lTop.dOut, D + lVar.weight, D + lVar.bias, ws.dlv, lTop.out, P + lVar.weight, nil,
                            B: B, I: H, K: 0, O: 1, threads: threads)
            stackBackward(arch.lEncoder, ws.lEncoder, sparse: input, dense: nil, dInput: nil,
                          codes: ws.encoderCodes, B: B)
        }
    }
}
