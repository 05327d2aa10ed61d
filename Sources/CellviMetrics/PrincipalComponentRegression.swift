import CellviKernels

/// scib-metrics' `principal_component_regression(X, batch, categorical=True)` with all components:
/// Σ_pc R²(pc ~ batch) · Var(pc) / Σ Var(pc). With every component kept this is rotation invariant and equals
/// the between-batch share of total variance, trace(S_between) / trace(S_total), which is what we compute.
public func principalComponentRegression(embedding x: Matrix, batches: [String]) -> Double {
    let codes = CategoricalCodes(batches)
    let n = x.rows, d = x.columns
    var mean = [Double](repeating: 0, count: d)
    var groupSums = [Double](repeating: 0, count: codes.categoryCount * d)  // (B, D)
    for r in 0..<n {
        let b = Int(codes.codes[r])
        for c in 0..<d { let v = Double(x[r, c]); mean[c] += v; groupSums[b * d + c] += v }
    }
    for c in 0..<d { mean[c] /= Double(n) }
    var total = 0.0
    for r in 0..<n { for c in 0..<d { let t = Double(x[r, c]) - mean[c]; total += t * t } }
    let counts = codes.counts()
    var between = 0.0
    for b in 0..<codes.categoryCount where counts[b] > 0 {
        for c in 0..<d {
            let t = groupSums[b * d + c] / Double(counts[b]) - mean[c]
            between += Double(counts[b]) * t * t
        }
    }
    return total > 0 ? between / total : 0
}

/// scib-metrics' `pcr_comparison` (scaled): (PCR_pre − PCR_post) / PCR_pre, floored at 0.
public func pcrComparison(preIntegration: Matrix, postIntegration: Matrix, batches: [String]) -> Double {
    let pre = principalComponentRegression(embedding: preIntegration, batches: batches)
    let post = principalComponentRegression(embedding: postIntegration, batches: batches)
    return max(0, (pre - post) / pre)
}
