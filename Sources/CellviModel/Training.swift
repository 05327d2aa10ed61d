import CellviKernels
import Foundation

/// One epoch of training, as scvi-tools logs it.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var klWeight: Float
    /// Mean minibatch loss (reconstruction + weighted KL), cell-weighted.
    public var trainLoss: Double
    /// Mean over training cells of reconstruction + unweighted KL.
    public var elboTrain: Double
    public var elboValidation: Double?
    public var reconstructionValidation: Double?
    public var klValidation: Double?
    public var seconds: Double
    /// Cache-line round trip between the two first threads measured at the start of the epoch (ns;
    /// nil with one thread): above `Parallel.sharedCacheRoundTripNanoseconds` the cores shared no
    /// cache and the epoch used streaming stores.
    public var coreRoundTripNanoseconds: Double? = nil
}

/// Per-epoch history of one training run.
public struct TrainingHistory: Codable, Equatable, Sendable {
    public var epochs: [EpochRecord] = []
    public var stoppedEarly = false
    public var trainingCells: [Int] = []
    public var validationCells: [Int] = []
    public init() {}
}

/// Adam with PyTorch semantics (coupled L2 weight decay, bias correction).
struct AdamState {
    let m: FloatBuffer, v: FloatBuffer
    var step = 0
    init(count: Int) { m = FloatBuffer(count: count); v = FloatBuffer(count: count) }

    /// One step; clears g for the next step's accumulation, except the `overwritten` tensors
    /// (gradients the backward pass writes), which are updated in their kernels' thread partition.
    mutating func update(_ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, count n: Int,
                         overwritten: [SlabPartition] = [], learningRate lr: Float, epsilon: Float, weightDecay wd: Float,
                         threads: Int, beta1: Float = 0.9, beta2: Float = 0.999) {
        step += 1
        let bc1 = 1 - powf(beta1, Float(step)), bc2Sqrt = (1 - powf(beta2, Float(step))).squareRoot()
        let stepSize = lr / bc1
        AdamKernel.stepClearingGradient(p, self.m.pointer, self.v.pointer, g, count: n, overwritten: overwritten, stepSize: stepSize,
                                        bc2Sqrt: bc2Sqrt, epsilon: epsilon, weightDecay: wd, beta1: beta1, beta2: beta2,
                                        threads: threads)
    }
}

extension SCVIModel {
    /// scvi-tools' split: n_train = ⌈f·N⌉, the rest validation; if n_train mod batch size is 1 or 2
    /// those cells leave training (and join validation when it is non-empty).
    public static func splitSizes(cellCount n: Int, trainFraction f: Double, batchSize: Int) -> (train: Int, validation: Int) {
        var nTrain = Int((f * Double(n)).rounded(.up))
        nTrain = min(nTrain, n)
        var nVal = n - nTrain
        let r = nTrain % batchSize
        if r > 0 && r < 3 {
            nTrain -= r
            if nVal > 0 { nVal += r }
        }
        return (nTrain, nVal)
    }

    /// Training steps between two measurements of the cores' round trip within an epoch (about half a
    /// second at 128 cells × 2,000 genes; an epoch also starts with one).
    static let coreDistanceSteps = 256

    /// Trains on raw counts (cells × genes) with one batch code per cell. Sets the library prior,
    /// splits train/validation, runs Adam with KL warm-up and returns the per-epoch history.
    /// `progress` is called after every epoch. Bit-identical for the same seed and thread count.
    @discardableResult
    public func train(counts: CSRMatrix, batchCodes: [Int32], configuration t: TrainingConfiguration = .init(),
                      progress: ((EpochRecord) -> Void)? = nil) throws -> TrainingHistory {
        try validate(counts: counts, batchCodes: batchCodes)
        guard t.batchSize >= 3 else { throw CellviModelError.invalidConfiguration("batchSize is \(t.batchSize); use at least 3 (BatchNorm needs several cells).") }
        guard t.trainFraction > 0 && t.trainFraction <= 1 else { throw CellviModelError.invalidConfiguration("trainFraction is \(t.trainFraction); use a value in (0, 1].") }
        threads = max(1, t.threads)
        // Products are split across cores by the layers (`BLAS.gemmSplit`), not by OpenBLAS.
        BLAS.setThreadCount(1)
        setLibraryPrior(counts: counts, batchCodes: batchCodes)

        let n = counts.rowCount
        var rng = RandomSource(seed: t.seed &+ 0x5EED)
        let (nTrain, nVal) = Self.splitSizes(cellCount: n, trainFraction: t.trainFraction, batchSize: t.batchSize)
        guard nTrain > 0 else { throw CellviModelError.dataMismatch("only \(n) cells: too few to train; use at least 3 cells.") }
        // scvi-tools' DataSplitter: numpy RandomState(seed).permutation(n), validation first —
        // so a run with the same seed validates on the same cells as scvi-tools.
        let perm = numpyLegacyPermutation(n, seed: UInt32(truncatingIfNeeded: t.seed))
        let validationCells = Array(perm[0..<nVal]), trainCells = Array(perm[nVal..<(nVal + nTrain)])
        let epochs = t.epochs ?? TrainingConfiguration.defaultEpochs(cellCount: n)

        let ws = Workspace(arch, capacity: t.batchSize)
        let net = network(ws)
        // Validation runs two minibatches at a time, one per core: the training workspace and a second one.
        let validation = threads > 1 && nVal > t.batchSize
            ? ValidationPass(workspaces: [ws, Workspace(arch, capacity: t.batchSize)], model: self) : nil
        var adam = AdamState(count: arch.parameters.count)
        var hist = TrainingHistory()
        hist.trainingCells = trainCells; hist.validationCells = validationCells
        var best = Double.infinity, sinceBest = 0

        gradients.zero()   // then cleared by every Adam step, but for the ones backward overwrites
        let overwritten = net.overwrittenGradients
        try BoundData.with(counts) { data in
            for epoch in 0..<epochs {
                let start = Date()
                // Streaming stores for data crossing between cores, if the cores do not share a cache now.
                let roundTrip = Parallel.measureCoreDistance(threads: threads)
                let w = t.klWeight(epoch: epoch)
                let order = rng.permutation(nTrain)
                var lossSum = 0.0, elboSum = 0.0
                var step = 0
                for s in stride(from: 0, to: nTrain, by: t.batchSize) {
                    // Long epochs (large data) measure again now and then: the VM can move its vCPUs.
                    if step > 0 && step % Self.coreDistanceSteps == 0 { Parallel.measureCoreDistance(threads: threads) }
                    let B = min(t.batchSize, nTrain - s)
                    for i in 0..<B {
                        let cell = trainCells[order[s + i]]
                        ws.rows[i] = cell; ws.encoderCodes[i] = batchCodes[cell]; ws.decoderCodes[i] = batchCodes[cell]
                    }
                    net.forward(ws, input: data.input(ws, B), counts: data.raw(ws, B), B: B, training: true,
                                noise: .draw, gradientScale: 1 / Float(B), rng: &rng)
                    var loss = 0.0, elbo = 0.0
                    for i in 0..<B {
                        let rec = Double(ws.reconstruction[i]), kl = Double(ws.klZ[i]) + Double(ws.klL[i])
                        loss += rec + Double(w) * Double(ws.klZ[i]) + Double(ws.klL[i])
                        elbo += rec + kl
                    }
                    guard loss.isFinite else {
                        throw CellviModelError.nonFiniteLoss(epoch: epoch, step: step, detail: "minibatch loss \(loss / Double(B))")
                    }
                    net.backward(ws, input: data.input(ws, B), B: B, klWeight: w)
                    adam.update(parameters.pointer, gradients.pointer, count: arch.parameters.count,
                                overwritten: overwritten, learningRate: t.learningRate, epsilon: t.adamEpsilon, weightDecay: t.weightDecay,
                                threads: threads)
                    lossSum += loss; elboSum += elbo; step += 1
                }
                var record = EpochRecord(epoch: epoch, klWeight: w, trainLoss: lossSum / Double(nTrain),
                                         elboTrain: elboSum / Double(nTrain), elboValidation: nil,
                                         reconstructionValidation: nil, klValidation: nil, seconds: 0,
                                         coreRoundTripNanoseconds: roundTrip)
                if nVal > 0 {
                    let parts = validation?.run(data: data, cells: validationCells, batchCodes: batchCodes, rng: &rng)
                        ?? evaluate(ws: ws, net: net, data: data, cells: validationCells, batchCodes: batchCodes, rng: &rng)
                    record.reconstructionValidation = parts.reconstruction
                    record.klValidation = parts.kl
                    record.elboValidation = parts.reconstruction + parts.kl
                }
                record.seconds = Date().timeIntervalSince(start)
                hist.epochs.append(record)
                progress?(record)
                if t.earlyStopping, let v = record.elboValidation {
                    if v < best - t.earlyStoppingMinDelta { best = v; sinceBest = 0 } else { sinceBest += 1 }
                    if sinceBest >= t.earlyStoppingPatience { hist.stoppedEarly = true; break }
                }
            }
        }
        history = hist
        return hist
    }

    /// Mean over `cells` of reconstruction NLL and unweighted KL, in eval mode with sampled z.
    func evaluate(ws: Workspace, net: Network, data: BoundData, cells: [Int], batchCodes: [Int32],
                  rng: inout RandomSource) -> (reconstruction: Double, kl: Double) {
        var rec = 0.0, kl = 0.0
        for s in stride(from: 0, to: cells.count, by: ws.capacity) {
            let B = min(ws.capacity, cells.count - s)
            for i in 0..<B {
                let c = cells[s + i]
                ws.rows[i] = c; ws.encoderCodes[i] = batchCodes[c]; ws.decoderCodes[i] = batchCodes[c]
            }
            net.forward(ws, input: data.input(ws, B), counts: data.raw(ws, B), B: B, training: false,
                        noise: .draw, gradientScale: nil, rng: &rng)
            for i in 0..<B {
                rec += Double(ws.reconstruction[i]); kl += Double(ws.klZ[i]) + Double(ws.klL[i])
            }
        }
        let n = Double(max(cells.count, 1))
        return (rec / n, kl / n)
    }
}

/// `SCVIModel.evaluate` with its minibatches split between two single-threaded forward passes that
/// run at the same time, one per core (a forward pass alone leaves the second core mostly idle).
/// The noise is drawn first, minibatch after minibatch, exactly as the sequential pass draws it, so
/// the random stream and the training that follows are unchanged; the per-cell losses are summed in
/// cell order. Values differ from the sequential pass's only by the one-thread kernels' sum orders.
struct ValidationPass {
    let workspaces: [Workspace]
    let networks: [Network]
    let model: SCVIModel

    init(workspaces: [Workspace], model: SCVIModel) {
        self.workspaces = workspaces; self.model = model
        networks = workspaces.map { model.network($0, threads: 1) }
    }

    func run(data: BoundData, cells: [Int], batchCodes: [Int32], rng: inout RandomSource) -> (reconstruction: Double, kl: Double) {
        let capacity = workspaces[0].capacity, Z = model.configuration.latentDimensions
        let latentLibrary = !model.configuration.useObservedLibrarySize
        let minibatches = (cells.count + capacity - 1) / capacity
        // (cells, Z) and (cells) noise, drawn in the sequential pass's order.
        var noiseZ = [Float](repeating: 0, count: cells.count * Z), noiseL = [Float](repeating: 0, count: cells.count)
        for s in stride(from: 0, to: cells.count, by: capacity) {
            let B = min(capacity, cells.count - s)
            noiseZ.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress! + s * Z, count: B * Z) }
            if latentLibrary { noiseL.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress! + s, count: B) } }
        }
        var reconstruction = [Float](repeating: 0, count: cells.count), kl = [Double](repeating: 0, count: cells.count)
        reconstruction.withUnsafeMutableBufferPointer { recOut in kl.withUnsafeMutableBufferPointer { klOut in
            Parallel.forEachChunk(minibatches, threads: workspaces.count) { chunk in
                // Chunk c always uses workspace c, whichever thread runs it.
                let c = chunk.lowerBound == 0 ? 0 : 1
                let ws = workspaces[c], net = networks[c]
                var unused = RandomSource(seed: 0)
                for mb in chunk {
                    let s = mb * capacity, B = min(capacity, cells.count - s)
                    for i in 0..<B {
                        let cell = cells[s + i]
                        ws.rows[i] = cell; ws.encoderCodes[i] = batchCodes[cell]; ws.decoderCodes[i] = batchCodes[cell]
                    }
                    ws.epsZ.update(from: noiseZ.withUnsafeBufferPointer { $0.baseAddress! + s * Z }, count: B * Z)
                    if latentLibrary { ws.epsL.update(from: noiseL.withUnsafeBufferPointer { $0.baseAddress! + s }, count: B) }
                    net.forward(ws, input: data.input(ws, B), counts: data.raw(ws, B), B: B, training: false,
                                noise: .provided, gradientScale: nil, rng: &unused)
                    for i in 0..<B {
                        recOut[s + i] = ws.reconstruction[i]
                        klOut[s + i] = Double(ws.klZ[i]) + Double(ws.klL[i])
                    }
                }
            }
        } }
        var rec = 0.0, klSum = 0.0
        for i in 0..<cells.count { rec += Double(reconstruction[i]); klSum += kl[i] }
        let n = Double(max(cells.count, 1))
        return (rec / n, klSum / n)
    }
}
