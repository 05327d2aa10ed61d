import CellviKernels
import CellviModel
import Foundation

/// One epoch of scGen training.
public struct ScGenEpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    /// Mean minibatch loss over training cells.
    public var trainLoss: Double
    /// Mean loss over validation cells (eval mode, z sampled).
    public var validationLoss: Double?
    public var seconds: Double
}

/// Adam with coupled L2 weight decay and bias correction, as scvi-tools' training plans; one
/// vectorised pass over the parameter slab that also clears the gradients for the next step.
struct ScGenAdam {
    let m: ScGenSlab, v: ScGenSlab
    var step = 0
    init(count: Int) { m = ScGenSlab(count: count); v = ScGenSlab(count: count) }

    /// Updates p (n) from g (n), then sets g to zero.
    mutating func update(_ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, count n: Int, learningRate lr: Float,
                         epsilon: Float, weightDecay wd: Float, threads: Int, beta1: Float = 0.9, beta2: Float = 0.999) {
        step += 1
        let bc1 = 1 - powf(beta1, Float(step)), bc2Sqrt = (1 - powf(beta2, Float(step))).squareRoot()
        AdamKernel.stepClearingGradient(p, m.pointer, v.pointer, g, count: n, stepSize: lr / bc1, bc2Sqrt: bc2Sqrt,
                                        epsilon: epsilon, weightDecay: wd, beta1: beta1, beta2: beta2, threads: threads)
    }
}

extension ScGenVAE {
    /// Trains on rows `cells` of log-normalized data (N, G): 90/10 split, shuffled minibatches,
    /// Adam, early stopping on the validation loss. Deterministic for a seed and thread count.
    @discardableResult
    public func train(_ data: CSRMatrix, cells: [Int], configuration t: ScGenTrainingConfiguration,
                      progress: ((ScGenEpochRecord) -> Void)? = nil) throws -> [ScGenEpochRecord] {
        try checkGenes(data)
        guard t.batchSize >= 3 else { throw PerturbationError.invalidConfiguration("--batch-size is \(t.batchSize); use at least 3 (BatchNorm needs several cells).") }
        guard t.epochs >= 1 else { throw PerturbationError.invalidConfiguration("--epochs is \(t.epochs); use at least 1.") }
        threads = max(1, t.threads)
        BLAS.setThreadCount(1)   // products are split across threads by gemmSplit
        var rng = RandomSource(seed: t.seed &+ 0x5C6E)
        let (nTrain, nValidation) = SCVIModel.splitSizes(cellCount: cells.count, trainFraction: t.trainFraction, batchSize: t.batchSize)
        guard nTrain >= 3 else { throw PerturbationError.invalidDesign("only \(cells.count) training cells; scGen needs at least 3.") }
        let perm = rng.permutation(cells.count)
        let validation = perm[0..<nValidation].map { cells[$0] }, training = perm[nValidation..<(nValidation + nTrain)].map { cells[$0] }
        let ws = ScGenWorkspace(arch, capacity: t.batchSize)
        let net = network()
        var adam = ScGenAdam(count: arch.parameterCount)
        var records: [ScGenEpochRecord] = []
        var best = Double.infinity, sinceBest = 0
        gradients.zero()   // then cleared by every Adam step
        try Self.withInput(data, ws) { x in
            for epoch in 0..<t.epochs {
                let start = Date()
                let order = rng.permutation(nTrain).map { training[$0] }
                var lossSum = 0.0
                for s in stride(from: 0, to: nTrain, by: t.batchSize) {
                    Self.select(&x, ws, rows: order[s..<min(s + t.batchSize, nTrain)])
                    let loss = net.forward(ws, x: x, training: true, sample: true, rng: &rng)
                    guard loss.isFinite else { throw PerturbationError.nonFiniteLoss(epoch: epoch, detail: "minibatch loss \(loss)") }
                    net.backward(ws, x: x)
                    adam.update(parameters.pointer, gradients.pointer, count: arch.parameterCount, learningRate: t.learningRate,
                                epsilon: t.adamEpsilon, weightDecay: t.weightDecay, threads: threads)
                    lossSum += loss * Double(x.rowCount)
                }
                var record = ScGenEpochRecord(epoch: epoch, trainLoss: lossSum / Double(nTrain), validationLoss: nil, seconds: 0)
                if !validation.isEmpty {
                    // Eval mode, in minibatch-sized chunks (training's workspace; BatchNorm uses running statistics).
                    var sum = 0.0
                    for s in stride(from: 0, to: validation.count, by: ws.capacity) {
                        Self.select(&x, ws, rows: validation[s..<min(s + ws.capacity, validation.count)])
                        sum += net.forward(ws, x: x, training: false, sample: true, rng: &rng) * Double(x.rowCount)
                    }
                    record.validationLoss = sum / Double(validation.count)
                }
                record.seconds = Date().timeIntervalSince(start)
                records.append(record)
                progress?(record)
                if t.earlyStopping, let v = record.validationLoss {
                    if v < best { best = v; sinceBest = 0 } else { sinceBest += 1 }
                    if sinceBest >= t.earlyStoppingPatience { break }
                }
            }
        }
        history = records
        return records
    }
}
