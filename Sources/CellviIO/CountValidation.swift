import CellviKernels

/// Checks that a matrix holds raw counts: finite, non-negative whole numbers.
/// Throws `CellviIOError.notCounts` naming the first offending entry.
public func requireRawCounts(_ matrix: CSRMatrix, file: String, key: String) throws {
    for (k, v) in matrix.values.enumerated() {
        if v.isNaN { throw CellviIOError.notCounts(file: file, key: key + "/data", problem: "NaN count (entry \(k))") }
        if !v.isFinite { throw CellviIOError.notCounts(file: file, key: key + "/data", problem: "infinite count (entry \(k))") }
        if v < 0 { throw CellviIOError.notCounts(file: file, key: key + "/data", problem: "negative count \(formatNumber(Double(v))) (entry \(k))") }
        if v.rounded(.towardZero) != v {
            throw CellviIOError.notCounts(file: file, key: key + "/data", problem: "non-integer value \(v) (entry \(k)); it looks normalized or log-transformed")
        }
    }
}
