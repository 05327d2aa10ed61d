import CellviKernels

/// Activations of one FCLayers layer, sized for `capacity` cells.
struct LayerBuffers {
    let pre: UnsafeMutablePointer<Float>      // (B, O) Linear output
    let xhat: UnsafeMutablePointer<Float>     // (B, O) normalised
    let y: UnsafeMutablePointer<Float>        // (B, O) after BN affine + ReLU
    let mask: UnsafeMutablePointer<Float>?    // (B, O) dropout mask (scaled), nil without dropout
    let out: UnsafeMutablePointer<Float>      // (B, O) layer output (y · mask, or y)
    let mean: UnsafeMutablePointer<Float>     // (O)
    let invstd: UnsafeMutablePointer<Float>   // (O)
    let dOut: UnsafeMutablePointer<Float>     // (B, O) gradient w.r.t. out
    let dPre: UnsafeMutablePointer<Float>     // (B, O) gradient w.r.t. pre

    init(_ spec: LayerSpec, capacity B: Int, arena: Arena) {
        let n = B * spec.outputs
        pre = arena.floats(n); xhat = arena.floats(n); y = arena.floats(n)
        mask = spec.dropout > 0 ? arena.floats(n) : nil
        out = spec.dropout > 0 ? arena.floats(n) : y
        mean = arena.floats(spec.outputs); invstd = arena.floats(spec.outputs)
        dOut = arena.floats(n); dPre = arena.floats(n)
    }
}

/// Every buffer one forward/backward pass needs, allocated once for `capacity` cells.
final class Workspace {
    let capacity: Int
    private let arena = Arena()
    let zEncoder: [LayerBuffers], lEncoder: [LayerBuffers], decoder: [LayerBuffers]
    let rows: UnsafeMutablePointer<Int>            // (B) selected rows of the CSR matrix
    let encoderCodes: UnsafeMutablePointer<Int32>  // (B) batch of each cell
    let decoderCodes: UnsafeMutablePointer<Int32>  // (B) batch the decoder conditions on
    let qm, qvExp, qv, epsZ, z, dz, dqm, dqv: UnsafeMutablePointer<Float>  // (B, Z)
    let lm, lvExp, lv, epsL: UnsafeMutablePointer<Float>                   // (B)
    let logLibrary, dLogLibrary, dlm, dlv: UnsafeMutablePointer<Float>     // (B)
    /// Row stride of `logits` and `gradLogits`: G rounded up to 16, so every row starts on a cache
    /// line (the kernels write rows another core reads with whole-line streaming stores).
    let geneStride: Int
    let logits: UnsafeMutablePointer<Float>        // (B, geneStride) scale logits, G used per row
    let mu: UnsafeMutablePointer<Float>            // (B, G) NB mean
    let theta: UnsafeMutablePointer<Float>?        // (B, G) gene-cell θ (head output, then exp)
    let piLogits: UnsafeMutablePointer<Float>?     // (B, G) zero-inflation logits
    let thetaTable: UnsafeMutablePointer<Float>    // (K', G) θ for gene / gene-batch
    let logThetaEpsTable: UnsafeMutablePointer<Float>     // (K', G) log(θ + ε)
    let dThetaConstantTable: UnsafeMutablePointer<Float>  // (K', G) log(θ + ε) + θ/(θ + ε)
    let likelihoodScratch: UnsafeMutablePointer<Float>    // (B, G) per thread chunk: row 1 the per-gene log p terms, row 2 the logits-gradient sums
    let denseInput: UnsafeMutablePointer<Float>           // (B, G) densified encoder input
    /// Column-major copy of a sparse minibatch for the first layer's weight gradient; sparse
    /// minibatches (< 1/8 filled, see `SparseProduct.prefersDense`) hold fewer than B·G/8 entries.
    let sparseColumns: SparseColumnScratch
    let gradLogits: UnsafeMutablePointer<Float>    // (B, geneStride), G used per row
    /// (inputGradientParts, B, H) partials of the scale head's input gradient: one per thread, and one
    /// private block per thread for partials published with streaming stores.
    let inputGradientPartials: UnsafeMutablePointer<Float>
    static let inputGradientParts = 32
    let gradPxR: UnsafeMutablePointer<Float>?      // (B, G) gradient w.r.t. log θ
    let gradPi: UnsafeMutablePointer<Float>?       // (B, G)
    let reconstruction, klZ, klL: UnsafeMutablePointer<Float>  // (B) per-cell loss parts
    let logProbabilities: UnsafeMutablePointer<Double>         // (B) per-cell log p(x|z,l)
    let dEncoderHidden, dLibraryHidden, dDecoderHidden: UnsafeMutablePointer<Float>  // (B, H)
    let bnScratch: UnsafeMutablePointer<Float>     // (2H)

    init(_ a: Architecture, capacity B: Int) {
        capacity = B
        let arena = self.arena
        let c = a.config, G = c.geneCount, Z = c.latentDimensions, H = c.hiddenDimensions
        zEncoder = a.zEncoder.map { LayerBuffers($0, capacity: B, arena: arena) }
        lEncoder = a.lEncoder.map { LayerBuffers($0, capacity: B, arena: arena) }
        decoder = a.decoder.map { LayerBuffers($0, capacity: B, arena: arena) }
        rows = .allocate(capacity: B); rows.initialize(repeating: 0, count: B)
        encoderCodes = arena.int32s(B); decoderCodes = arena.int32s(B)
        qm = arena.floats(B * Z); qvExp = arena.floats(B * Z); qv = arena.floats(B * Z); epsZ = arena.floats(B * Z)
        z = arena.floats(B * Z); dz = arena.floats(B * Z); dqm = arena.floats(B * Z); dqv = arena.floats(B * Z)
        lm = arena.floats(B); lvExp = arena.floats(B); lv = arena.floats(B); epsL = arena.floats(B)
        logLibrary = arena.floats(B); dLogLibrary = arena.floats(B); dlm = arena.floats(B); dlv = arena.floats(B)
        geneStride = (G + 15) / 16 * 16
        logits = arena.floats(B * geneStride); mu = arena.floats(B * G)
        theta = a.dispersionHead != nil ? arena.floats(B * G) : nil
        piLogits = a.dropoutHead != nil ? arena.floats(B * G) : nil
        thetaTable = arena.floats(c.dispersionRows * G)
        logThetaEpsTable = arena.floats(c.dispersionRows * G)
        dThetaConstantTable = arena.floats(c.dispersionRows * G)
        likelihoodScratch = arena.floats(B * G)
        denseInput = arena.floats(B * G)
        sparseColumns = SparseColumnScratch(columns: G, capacity: B * G / 8 + 1)
        gradLogits = arena.floats(B * geneStride)
        inputGradientPartials = arena.floats(Self.inputGradientParts * B * c.hiddenDimensions)
        gradPxR = c.likelihood != .poisson ? arena.floats(B * G) : nil
        gradPi = a.dropoutHead != nil ? arena.floats(B * G) : nil
        reconstruction = arena.floats(B); klZ = arena.floats(B); klL = arena.floats(B)
        logProbabilities = .allocate(capacity: B); logProbabilities.initialize(repeating: 0, count: B)
        dEncoderHidden = arena.floats(B * H); dLibraryHidden = arena.floats(B * H); dDecoderHidden = arena.floats(B * H)
        bnScratch = arena.floats(2 * H)
    }
    deinit { rows.deallocate(); logProbabilities.deallocate() }
}
