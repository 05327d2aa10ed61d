import Foundation

/// Local polynomial regression of y on one predictor, as netlib's `loess` (used by R's
/// `loess` and Python's `skmisc.loess.loess`) fits it with family "gaussian":
/// each local fit uses the `floor(n · span)` nearest points, tricube weights
/// `(1 − (d/ρ)³)³` with ρ the distance to the farthest of them, and a degree-`degree`
/// polynomial centred on the evaluation point, solved by least squares with a pseudo-inverse.
public enum Loess {
    /// How fitted values are obtained (skmisc's `surface`).
    public enum Surface: Sendable {
        /// skmisc's default: exact local fits (value and slope) at the vertices of a k-d tree
        /// whose cells hold at most `floor(n · span · cell)` points, cubic Hermite interpolation between.
        case interpolate
        /// An exact local fit at every point.
        case direct
    }

    /// The fitted value at each `x[i]`  // (n)
    /// - Parameters: `span` (fraction of points in each neighbourhood, ≤ 1), `degree` 0…2,
    ///   `cell` (skmisc `cell`, only for `.interpolate`).
    public static func fittedValues(x: [Double], y: [Double], span: Double = 0.75, degree: Int = 2,
                                    surface: Surface = .interpolate, cell: Double = 0.2) -> [Double] {
        precondition(x.count == y.count, "Loess: x has \(x.count) values, y \(y.count)")
        precondition((0...2).contains(degree), "Loess: degree must be 0, 1 or 2")
        let n = x.count
        let neighbours = min(n, Int((Double(n) * span).rounded(.down)))  // lowesd: nf = min(n, floor(n·f))
        precondition(neighbours > degree + 1, "Loess: span \(span) leaves \(neighbours) points per fit for \(n) points")
        let fitter = LocalPolynomialFit(x: x, y: y, neighbours: neighbours, degree: degree, span: span)
        switch surface {
        case .direct:
            return x.map { fitter.fit(at: $0).value }
        case .interpolate:
            let leafSize = Int((Double(n) * (span * cell)).rounded(.down))  // lowesb: fc = floor(n · span·cell)
            let tree = LoessKDTree(x: x, leafSize: leafSize)
            let vertexFits = tree.vertices.map { fitter.fit(at: $0) }  // (vertices)
            return x.map { tree.interpolate(at: $0, vertexFits: vertexFits) }
        }
    }
}

/// One local fit: the polynomial's value and first derivative at the evaluation point.
struct LocalFitValue {
    var value: Double
    var slope: Double
}

/// The least-squares local fit of netlib loess's `ehg127` (one predictor).
struct LocalPolynomialFit {
    let x: [Double]        // (n)
    let y: [Double]        // (n)
    let neighbours: Int    // q = floor(n · span)
    let degree: Int
    let span: Double

    func fit(at q: Double) -> LocalFitValue {
        let n = x.count
        var squaredDistances = [Double](repeating: 0, count: n)  // (n)
        for i in 0..<n { let d = x[i] - q; squaredDistances[i] = d * d }
        var sortedDistances = squaredDistances
        sortedDistances.sort()
        let rho = sortedDistances[neighbours - 1] * max(1, span)  // squared radius
        precondition(rho > 0, "Loess: all \(neighbours) nearest points of \(q) coincide; increase span")

        // Weighted normal equations G c = b for columns (x−q)^j, j = 0…degree (k ≤ 3):
        // G[a][b] = Σ w·d^(a+b), b[a] = Σ w·d^a·y, with d = x − q and w the tricube weight.
        let k = degree + 1
        var moments = [Double](repeating: 0, count: 5)      // Σ w·d^j, j = 0…4
        var rhs = [Double](repeating: 0, count: k)          // (k)
        for i in 0..<n where squaredDistances[i] < rho {
            let r = (squaredDistances[i] / rho).squareRoot()
            let t = 1 - r * r * r
            let w = t * t * t
            let d = x[i] - q
            let wd = w * d, wd2 = wd * d
            moments[0] += w; moments[1] += wd; moments[2] += wd2; moments[3] += wd2 * d; moments[4] += wd2 * d * d
            rhs[0] += w * y[i]
            if k > 1 { rhs[1] += wd * y[i] }
            if k > 2 { rhs[2] += wd2 * y[i] }
        }
        var gram = [Double](repeating: 0, count: k * k)     // (k, k)
        for a in 0..<k { for b in 0..<k { gram[a * k + b] = moments[a + b] } }
        let c = pseudoInverseSolve(gram: gram, rhs: rhs, k: k)
        return LocalFitValue(value: c[0], slope: k > 1 ? c[1] : 0)
    }
}

/// Solves G c = b for symmetric positive semi-definite G (k × k) as loess does: columns
/// equilibrated to unit norm, singular values below `σ₁ · 100 · ε` dropped (minimum-norm solution).
func pseudoInverseSolve(gram: [Double], rhs: [Double], k: Int) -> [Double] {
    var scale = [Double](repeating: 1, count: k)  // (k) column norms
    for j in 0..<k where gram[j * k + j] > 0 { scale[j] = gram[j * k + j].squareRoot() }
    var a = gram
    for i in 0..<k { for j in 0..<k { a[i * k + j] /= scale[i] * scale[j] } }
    let b = (0..<k).map { rhs[$0] / scale[$0] }

    let (eigenvalues, eigenvectors) = symmetricEigen(a, k: k)  // eigenvalues = σ²
    let largest = eigenvalues.max() ?? 0
    let tolerance = largest.squareRoot() * 100 * Double.ulpOfOne
    var c = [Double](repeating: 0, count: k)
    for m in 0..<k where eigenvalues[m] > 0 && eigenvalues[m].squareRoot() > tolerance {
        var projection = 0.0
        for i in 0..<k { projection += eigenvectors[i * k + m] * b[i] }
        projection /= eigenvalues[m]
        for i in 0..<k { c[i] += eigenvectors[i * k + m] * projection }
    }
    return (0..<k).map { c[$0] / scale[$0] }
}

/// Cyclic Jacobi eigen-decomposition of a small symmetric matrix: eigenvalues and the
/// eigenvectors as columns of a row-major (k, k) matrix.
func symmetricEigen(_ matrix: [Double], k: Int) -> ([Double], [Double]) {
    var a = matrix
    var v = [Double](repeating: 0, count: k * k)
    for i in 0..<k { v[i * k + i] = 1 }
    for _ in 0..<64 {
        var offDiagonal = 0.0
        for p in 0..<k { for q in (p + 1)..<max(p + 1, k) { offDiagonal += a[p * k + q] * a[p * k + q] } }
        if offDiagonal < 1e-300 { break }
        for p in 0..<k {
            for q in (p + 1)..<max(p + 1, k) where a[p * k + q] != 0 {
                let theta = (a[q * k + q] - a[p * k + p]) / (2 * a[p * k + q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for r in 0..<k {  // A ← A·J
                    let arp = a[r * k + p], arq = a[r * k + q]
                    a[r * k + p] = c * arp - s * arq; a[r * k + q] = s * arp + c * arq
                }
                for r in 0..<k {  // A ← Jᵀ·A
                    let apr = a[p * k + r], aqr = a[q * k + r]
                    a[p * k + r] = c * apr - s * aqr; a[q * k + r] = s * apr + c * aqr
                }
                for r in 0..<k {  // V ← V·J
                    let vrp = v[r * k + p], vrq = v[r * k + q]
                    v[r * k + p] = c * vrp - s * vrq; v[r * k + q] = s * vrp + c * vrq
                }
            }
        }
    }
    return ((0..<k).map { a[$0 * k + $0] }, v)
}
