import CellviKernels

/// The two sampling steps of scGen's `predict` (theislab/scgen, pertpy `Scgen`), seeded.
public enum ScGenSampling {
    /// scGen `balancer`: every cell type among `cells` is resampled with replacement to the size of
    /// the largest type. Types are visited in sorted order (as `np.unique`), each contributing
    /// `max` draws. cells: indices into `cellTypes`. Returns indices into `cellTypes` (with repeats).
    public static func balanced(_ cells: [Int], cellTypes: [String], rng: inout RandomSource) -> [Int] {
        var byType: [String: [Int]] = [:]
        for c in cells { byType[cellTypes[c], default: []].append(c) }
        let largest = byType.values.map(\.count).max() ?? 0
        var out: [Int] = []
        out.reserveCapacity(largest * byType.count)
        for type in byType.keys.sorted() {
            let members = byType[type]!
            for _ in 0..<largest { out.append(members[rng.integer(below: members.count)]) }
        }
        return out
    }

    /// Equal-size samples without replacement from the balanced control and stimulated sets; the
    /// size is the smaller of the two (scGen's `eq = min(...)`). Positions are drawn, so repeated
    /// cells in a balanced set may be drawn more than once, as in scGen.
    public static func equalSamples(control: [Int], stimulated: [Int], rng: inout RandomSource)
        -> (control: [Int], stimulated: [Int]) {
        let size = min(control.count, stimulated.count)
        let c = rng.permutation(control.count).prefix(size).map { control[$0] }
        let s = rng.permutation(stimulated.count).prefix(size).map { stimulated[$0] }
        return (c, s)
    }
}
