import CellviKernels
import Foundation

/// A heap slab of Floats, zero-initialised, freed in deinit.
final class ScGenSlab {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1)); pointer.initialize(repeating: 0, count: max(count, 1))
    }
    deinit { pointer.deallocate() }
    func zero() { pointer.update(repeating: 0, count: count) }
}

/// scGen's Gaussian VAE on log-normalized expression: parameters, gradients and BatchNorm running
/// statistics in one slab each. Training in `ScGenVAE+Training`.
public final class ScGenVAE {
    public let configuration: ScGenConfiguration
    let arch: ScGenArchitecture
    let parameters: ScGenSlab   // all weights, fixed order (see ScGenArchitecture)
    let gradients: ScGenSlab    // same layout
    let state: ScGenSlab        // running means and variances
    public internal(set) var history: [ScGenEpochRecord] = []
    public var threads = 1

    /// Cells per inference chunk.
    static let inferenceChunk = 256

    public init(configuration: ScGenConfiguration, seed: UInt64 = 0) throws {
        try configuration.validate()
        self.configuration = configuration
        arch = ScGenArchitecture(configuration)
        parameters = ScGenSlab(count: arch.parameterCount)
        gradients = ScGenSlab(count: arch.parameterCount)
        state = ScGenSlab(count: arch.stateCount)
        var rng = RandomSource(seed: seed)
        arch.initialize(parameters: parameters.pointer, state: state.pointer, rng: &rng)
    }

    func network() -> ScGenNetwork {
        ScGenNetwork(arch: arch, params: parameters.pointer, grads: gradients.pointer, state: state.pointer, threads: threads)
    }

    /// Number of trainable scalars.
    public var parameterCount: Int { arch.parameterCount }

    /// Calls `body` with a sparse view of `data` (N, G) whose selected rows are `ws.rows`; the arrays
    /// stay pinned for the call. Fill the rows with `select`.
    static func withInput<R>(_ data: CSRMatrix, _ ws: ScGenWorkspace, _ body: (inout SparseRows) throws -> R) rethrows -> R {
        try data.rowOffsets.withUnsafeBufferPointer { offsets in
            try data.columnIndices.withUnsafeBufferPointer { indices in
                try data.values.withUnsafeBufferPointer { values in
                    try withUnsafePointer(to: (Int32(0), Float(0))) { empty in
                        // An all-zero matrix may have no entry storage; its rows are empty ranges anyway.
                        let raw = UnsafeRawPointer(empty)
                        var x = SparseRows(offsets: offsets.baseAddress!,
                                           indices: indices.baseAddress ?? raw.assumingMemoryBound(to: Int32.self),
                                           values: values.baseAddress ?? (raw + 4).assumingMemoryBound(to: Float.self),
                                           rows: ws.rows, rowCount: 0)
                        return try body(&x)
                    }
                }
            }
        }
    }

    /// Points the view `x` at `rows` of the input (copied into ws.rows; no allocation).
    @inline(__always)
    static func select<C: Collection>(_ x: inout SparseRows, _ ws: ScGenWorkspace, rows: C) where C.Element == Int {
        var i = 0
        for r in rows { ws.rows[i] = r; i += 1 }
        x.rowCount = i
    }

    /// Posterior means (len(rows), Z) in eval mode (scGen `get_latent_representation`).
    public func latentMeans(_ data: CSRMatrix, rows: [Int]) throws -> Matrix {
        try checkGenes(data)
        BLAS.setThreadCount(1)   // products are split across threads by gemmSplit
        let Z = configuration.latentDimensions
        var out = Matrix(zeros: rows.count, Z)
        guard !rows.isEmpty else { return out }
        let ws = ScGenWorkspace(arch, capacity: min(Self.inferenceChunk, rows.count))
        let net = network()
        var rng = RandomSource(seed: 0)
        Self.withInput(data, ws) { x in
            for s in stride(from: 0, to: rows.count, by: ws.capacity) {
                Self.select(&x, ws, rows: rows[s..<min(s + ws.capacity, rows.count)])
                net.encode(ws, x: x, training: false, rng: &rng)
                for k in 0..<(x.rowCount * Z) { out.values[s * Z + k] = ws.qm[k] }
            }
        }
        return out
    }

    /// Decoder output (N, G) for latent points (N, Z) in eval mode (scGen `generative(z)["px"]`).
    public func decode(_ latent: Matrix) throws -> Matrix {
        let Z = configuration.latentDimensions, G = configuration.geneCount
        guard latent.columns == Z else {
            throw PerturbationError.invalidConfiguration("latent points have \(latent.columns) dimensions, the model \(Z).")
        }
        BLAS.setThreadCount(1)   // products are split across threads by gemmSplit
        var out = Matrix(zeros: latent.rows, G)
        guard latent.rows > 0 else { return out }
        let ws = ScGenWorkspace(arch, capacity: min(Self.inferenceChunk, latent.rows))
        let net = network()
        var rng = RandomSource(seed: 0)
        for s in stride(from: 0, to: latent.rows, by: ws.capacity) {
            let B = min(ws.capacity, latent.rows - s)
            for k in 0..<(B * Z) { ws.z[k] = latent.values[s * Z + k] }
            net.decode(ws, B: B, training: false, rng: &rng)
            for k in 0..<(B * G) { out.values[s * G + k] = ws.output[k] }
        }
        return out
    }

    /// Mean training-mode loss of `rows` and its gradient w.r.t. every parameter (slab order), with
    /// dropout masks and ε drawn from `seed` — the same seed gives the same masks (gradient checks).
    public func lossAndGradient(_ data: CSRMatrix, rows: [Int], seed: UInt64) throws -> (loss: Double, gradient: [Float]) {
        try checkGenes(data)
        let ws = ScGenWorkspace(arch, capacity: rows.count)
        let net = network()
        var rng = RandomSource(seed: seed)
        gradients.zero()
        let loss = Self.withInput(data, ws) { x in
            Self.select(&x, ws, rows: rows)
            let loss = net.forward(ws, x: x, training: true, sample: true, rng: &rng)
            net.backward(ws, x: x)
            return loss
        }
        return (loss, Array(UnsafeBufferPointer(start: gradients.pointer, count: gradients.count)))
    }

    /// Parameter k (slab order), for gradient checks.
    public func parameter(_ k: Int) -> Float { parameters.pointer[k] }
    public func setParameter(_ k: Int, _ value: Float) { parameters.pointer[k] = value }

    func checkGenes(_ data: CSRMatrix) throws {
        guard data.columnCount == configuration.geneCount else {
            throw PerturbationError.invalidConfiguration("the matrix has \(data.columnCount) genes but the scGen model \(configuration.geneCount); "
                + "use the genes the model was trained on.")
        }
    }
}
