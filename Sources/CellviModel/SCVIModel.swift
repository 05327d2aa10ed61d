import CellviKernels
import Foundation

/// A trained (or initialised) scVI model: architecture, parameters, BatchNorm running
/// statistics and the per-batch library prior. Training lives in `SCVIModel+Training`,
/// inference in `SCVIModel+Inference`, persistence in `SCVIModel+Checkpoint`.
public final class SCVIModel {
    public let configuration: SCVIConfiguration
    let arch: Architecture
    let parameters: FloatBuffer   // all weights, fixed order (see `parameterNames`)
    let gradients: FloatBuffer    // same layout as `parameters`
    let state: FloatBuffer        // BatchNorm running means and variances
    let libraryLogMeans: FloatBuffer      // (K) scvi `library_log_means`
    let libraryLogVariances: FloatBuffer  // (K) scvi `library_log_vars`
    /// History of the last `train` call.
    public internal(set) var history = TrainingHistory()
    /// Threads for BLAS and the model's own parallel loops.
    public var threads: Int = 1

    /// A freshly initialised model (PyTorch default initialisation from `seed`).
    public init(configuration: SCVIConfiguration, seed: UInt64 = 0) throws {
        try configuration.validate()
        self.configuration = configuration
        arch = Architecture(configuration)
        parameters = FloatBuffer(count: arch.parameters.count)
        gradients = FloatBuffer(count: arch.parameters.count)
        state = FloatBuffer(count: arch.state.count)
        libraryLogMeans = FloatBuffer(count: configuration.batchCount)
        libraryLogVariances = FloatBuffer(count: configuration.batchCount)
        for k in 0..<configuration.batchCount { libraryLogVariances.pointer[k] = 1 }
        var rng = RandomSource(seed: seed)
        arch.initialize(parameters: parameters.pointer, state: state.pointer, rng: &rng)
    }

    /// The network over `ws`, with the model's thread count unless `threads` is given.
    func network(_ ws: Workspace, threads: Int? = nil) -> Network {
        Network(arch: arch, params: parameters.pointer, grads: gradients.pointer, state: state.pointer,
                libraryLogMeans: libraryLogMeans.pointer, libraryLogVariances: libraryLogVariances.pointer,
                threads: threads ?? self.threads, scratch: ws.bnScratch, denseScratch: ws.denseInput,
                columnScratch: ws.sparseColumns)
    }

    // MARK: Named tensors (PyTorch layout, scvi-tools state_dict names)

    /// Trainable tensor names in slab order.
    public var parameterNames: [String] { arch.parameters.entries.map(\.name) }
    /// BatchNorm running-statistics names.
    public var stateNames: [String] { arch.state.entries.map(\.name) }
    /// Number of trainable scalars.
    public var parameterCount: Int { arch.parameters.count }

    /// PyTorch shape of a parameter or state tensor.
    public func shape(of name: String) -> [Int]? {
        (arch.parameters.entry(name) ?? arch.state.entry(name))?.shape
    }

    /// A parameter or running statistic in PyTorch layout (row-major over its shape).
    public func tensor(named name: String) -> [Float]? {
        if let e = arch.parameters.entry(name) { return read(e, parameters.pointer) }
        if let e = arch.state.entry(name) { return read(e, state.pointer) }
        return nil
    }

    /// The gradient of a parameter after the last step, PyTorch layout.
    public func gradient(named name: String) -> [Float]? {
        arch.parameters.entry(name).map { read($0, gradients.pointer) }
    }

    /// Sets a parameter or running statistic from PyTorch layout.
    public func setTensor(named name: String, _ values: [Float]) throws {
        let (e, base): (TensorLayout.Entry, UnsafeMutablePointer<Float>)
        if let p = arch.parameters.entry(name) { (e, base) = (p, parameters.pointer) }
        else if let s = arch.state.entry(name) { (e, base) = (s, state.pointer) }
        else { throw CellviModelError.dataMismatch("no tensor named \(name) in this model") }
        guard values.count == e.count else {
            throw CellviModelError.dataMismatch("tensor \(name) has \(e.count) values, got \(values.count)")
        }
        let t = base + e.offset
        if e.transposed {
            let (o, i) = (e.shape[0], e.shape[1])
            for r in 0..<o { for c in 0..<i { t[c * o + r] = values[r * i + c] } }
        } else {
            for k in 0..<e.count { t[k] = values[k] }
        }
    }

    private func read(_ e: TensorLayout.Entry, _ base: UnsafeMutablePointer<Float>) -> [Float] {
        let t = base + e.offset
        if e.transposed {
            let (o, i) = (e.shape[0], e.shape[1])
            var out = [Float](repeating: 0, count: e.count)
            for r in 0..<o { for c in 0..<i { out[r * i + c] = t[c * o + r] } }
            return out
        }
        return Array(UnsafeBufferPointer(start: t, count: e.count))
    }

    /// Per-batch prior of the log library (latent library mode).
    public var libraryPrior: (logMeans: [Float], logVariances: [Float]) {
        (libraryLogMeans.array, libraryLogVariances.array)
    }

    /// Sets the library prior as scvi-tools' `_init_library_size`: per batch, mean and (population)
    /// variance of log total counts; batches without cells get mean 0, variance 1.
    public func setLibraryPrior(counts: CSRMatrix, batchCodes: [Int32]) {
        let K = configuration.batchCount
        var sum = [Double](repeating: 0, count: K), sq = sum, n = sum
        let totals = counts.rowSums()
        for (r, t) in totals.enumerated() {
            let b = Int(batchCodes[r]), l = Foundation.log(t)
            sum[b] += l; sq[b] += l * l; n[b] += 1
        }
        for k in 0..<K {
            if n[k] > 0 {
                let m = sum[k] / n[k]
                libraryLogMeans.pointer[k] = Float(m)
                libraryLogVariances.pointer[k] = Float(max(sq[k] / n[k] - m * m, 0))
            } else {
                libraryLogMeans.pointer[k] = 0; libraryLogVariances.pointer[k] = 1
            }
        }
    }

    /// Throws unless counts and batch codes fit the model.
    func validate(counts: CSRMatrix, batchCodes: [Int32]) throws {
        let c = configuration
        guard counts.columnCount == c.geneCount else {
            throw CellviModelError.dataMismatch("the matrix has \(counts.columnCount) genes but the model expects \(c.geneCount); use the same genes in the same order as in training.")
        }
        guard batchCodes.count == counts.rowCount else {
            throw CellviModelError.dataMismatch("\(batchCodes.count) batch codes for \(counts.rowCount) cells.")
        }
        if let bad = batchCodes.first(where: { $0 < 0 || Int($0) >= c.batchCount }) {
            throw CellviModelError.dataMismatch("batch code \(bad) is outside 0..<\(c.batchCount); map batches to the model's categories.")
        }
        let zeroCells = counts.rowSums().filter { !($0 > 0) }.count
        if zeroCells > 0 {
            throw CellviModelError.dataMismatch("\(zeroCells) cells have zero total count (log library = −inf); filter them out first (e.g. keep cells with ≥ 1 count).")
        }
    }
}

/// Pointers into a pinned CSR matrix with the workspace's row list. The encoder reads the
/// counts as log1p through `SparseRows.log1pOfValues` (no transformed copy of the data).
struct BoundData {
    let offsets: UnsafePointer<Int>
    let indices: UnsafePointer<Int32>
    let counts: UnsafePointer<Float>

    func input(_ ws: Workspace, _ B: Int) -> SparseRows {
        SparseRows(offsets: offsets, indices: indices, values: counts, rows: ws.rows, rowCount: B, log1pOfValues: true)
    }
    func raw(_ ws: Workspace, _ B: Int) -> SparseRows {
        SparseRows(offsets: offsets, indices: indices, values: counts, rows: ws.rows, rowCount: B)
    }

    /// Pins `matrix` for the duration of `body`.
    static func with<R>(_ matrix: CSRMatrix, _ body: (BoundData) throws -> R) rethrows -> R {
        try matrix.rowOffsets.withUnsafeBufferPointer { o in
            try matrix.columnIndices.withUnsafeBufferPointer { i in
                try matrix.values.withUnsafeBufferPointer { v in
                    try body(BoundData(offsets: o.baseAddress!, indices: i.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                       counts: v.baseAddress ?? UnsafePointer(bitPattern: 8)!))
                }
            }
        }
    }
}
