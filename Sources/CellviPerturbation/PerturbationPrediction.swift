import CellviKernels

/// scGen's prediction for one target type: δ from balanced, equal-size control and stimulated
/// samples of the training cells, added to the target's control cells, decoded.
public struct PerturbationPrediction: Sendable {
    public var shift: LatentShift
    /// The target's control cells (input indices), one predicted cell each, in this order.
    public var sourceCells: [Int]
    public var expression: PredictedExpression

    /// Runs the prediction. `latentCells` must hold every training control and stimulated cell and
    /// the target's control cells; latents are computed once for all of them.
    public static func predict(model: LatentPerturbationModel, design: PerturbationDesign, seed: UInt64) throws -> PerturbationPrediction {
        let control = design.trainingControlCells, stimulated = design.trainingStimulatedCells
        let source = design.targetControlCells
        let cells = Array(Set(control + stimulated + source)).sorted()
        let latent = try model.latentMeans(of: cells)                   // (len(cells), Z)
        let row = Dictionary(uniqueKeysWithValues: cells.enumerated().map { ($1, $0) })
        // Indices into `latent`; cell types looked up through the same map.
        let types = cells.map { design.cellTypes[$0] }
        let shift = LatentShift.compute(latent: latent, controlCells: control.map { row[$0]! },
                                        stimulatedCells: stimulated.map { row[$0]! }, cellTypes: types, seed: seed)
        let sourceLatent = latent.selectingRows(source.map { row[$0]! })   // (S, Z)
        let expression = try model.decode(shift.shifted(sourceLatent), as: source)
        let toInput = { (rows: [Int]) in rows.map { cells[$0] } }
        return PerturbationPrediction(
            shift: LatentShift(delta: shift.delta, controlSample: toInput(shift.controlSample),
                               stimulatedSample: toInput(shift.stimulatedSample)),
            sourceCells: source, expression: expression)
    }
}
