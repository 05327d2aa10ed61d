import Foundation

/// Contingency table of two labelings given as codes.  // (A, B)
private func contingency(_ a: [Int32], _ b: [Int32]) -> (table: [[Double]], rows: [Double], columns: [Double], total: Double) {
    let (ca, na) = compactCodes(a), (cb, nb) = compactCodes(b)
    var table = [[Double]](repeating: [Double](repeating: 0, count: nb), count: na)
    for (x, y) in zip(ca, cb) { table[Int(x)][Int(y)] += 1 }
    let rows = table.map { $0.reduce(0, +) }
    let columns = (0..<nb).map { j in table.reduce(0.0) { $0 + $1[j] } }
    return (table, rows, columns, Double(a.count))
}

/// Normalized mutual information with arithmetic-mean normalisation
/// (`sklearn.metrics.normalized_mutual_info_score(average_method="arithmetic")`).
public func normalizedMutualInformation(_ a: [Int32], _ b: [Int32]) -> Double {
    let (table, rows, columns, n) = contingency(a, b)
    if rows.count == 1 && columns.count == 1 { return 1 }
    if rows.count == 1 || columns.count == 1 { return 0 }
    var mi = 0.0
    for (i, row) in table.enumerated() {
        for (j, nij) in row.enumerated() where nij > 0 { mi += nij / n * log(nij * n / (rows[i] * columns[j])) }
    }
    func entropy(_ counts: [Double]) -> Double { counts.reduce(0.0) { $1 > 0 ? $0 - $1 / n * log($1 / n) : $0 } }
    let normaliser = (entropy(rows) + entropy(columns)) / 2
    return normaliser > 0 ? max(0, mi) / normaliser : 0
}

/// Adjusted Rand index (`sklearn.metrics.adjusted_rand_score`).
public func adjustedRandIndex(_ a: [Int32], _ b: [Int32]) -> Double {
    let (table, rows, columns, n) = contingency(a, b)
    func pairs(_ x: Double) -> Double { x * (x - 1) / 2 }
    let index = table.reduce(0.0) { $0 + $1.reduce(0.0) { $0 + pairs($1) } }
    let sumRows = rows.reduce(0.0) { $0 + pairs($1) }, sumColumns = columns.reduce(0.0) { $0 + pairs($1) }
    let expected = sumRows * sumColumns / pairs(n)
    let maximum = (sumRows + sumColumns) / 2
    if maximum == expected { return 1 }
    return (index - expected) / (maximum - expected)
}
