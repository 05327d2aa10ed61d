import CellviKernels

/// δ = mean latent(stimulated sample) − mean latent(control sample), posterior means (scGen `predict`).
public struct LatentShift: Equatable, Sendable {
    /// (Z) the shift added to each control cell's latent point.
    public var delta: [Float]
    /// Cells (with repeats) whose latents were averaged, after balancing and equal sampling.
    public var controlSample: [Int]
    public var stimulatedSample: [Int]

    /// Balances the control and stimulated cells by type, draws equal samples and averages the
    /// latent rows. latent: (N, Z) posterior means of every cell; cells index its rows.
    public static func compute(latent: Matrix, controlCells: [Int], stimulatedCells: [Int], cellTypes: [String],
                               seed: UInt64) -> LatentShift {
        var rng = RandomSource(seed: seed)
        let balancedControl = ScGenSampling.balanced(controlCells, cellTypes: cellTypes, rng: &rng)
        let balancedStimulated = ScGenSampling.balanced(stimulatedCells, cellTypes: cellTypes, rng: &rng)
        let (c, s) = ScGenSampling.equalSamples(control: balancedControl, stimulated: balancedStimulated, rng: &rng)
        let meanControl = columnMeans(latent, rows: c), meanStimulated = columnMeans(latent, rows: s)
        return LatentShift(delta: zip(meanStimulated, meanControl).map { Float($0 - $1) }, controlSample: c, stimulatedSample: s)
    }

    /// Mean of the given rows (repeats counted), in Double. (Z)
    static func columnMeans(_ m: Matrix, rows: [Int]) -> [Double] {
        var sum = [Double](repeating: 0, count: m.columns)
        for r in rows { for d in 0..<m.columns { sum[d] += Double(m.values[r * m.columns + d]) } }
        return sum.map { $0 / Double(max(rows.count, 1)) }
    }

    /// latent (N, Z) with δ added to every row.
    public func shifted(_ latent: Matrix) -> Matrix {
        var out = latent
        for r in 0..<latent.rows { for d in 0..<latent.columns { out.values[r * latent.columns + d] += delta[d] } }
        return out
    }
}
