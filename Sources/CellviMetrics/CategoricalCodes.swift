/// String labels encoded as integer codes over the sorted distinct values, like `pd.Categorical(labels).codes`.
public struct CategoricalCodes: Sendable {
    public let categories: [String]   // (C) sorted ascending
    public let codes: [Int32]         // (N)

    public init(_ labels: [String]) {
        categories = Array(Set(labels)).sorted()
        var index = [String: Int32]()
        for (i, c) in categories.enumerated() { index[c] = Int32(i) }
        codes = labels.map { index[$0]! }
    }

    public var categoryCount: Int { categories.count }

    /// Number of cells per code.  // (C)
    public func counts() -> [Int] { codeCounts(codes, categoryCount: categoryCount) }
}

/// Number of occurrences of each code in `0..<categoryCount`.
func codeCounts(_ codes: [Int32], categoryCount: Int) -> [Int] {
    var counts = [Int](repeating: 0, count: categoryCount)
    for c in codes { counts[Int(c)] += 1 }
    return counts
}

/// Re-encodes arbitrary integer codes as 0..<C over their sorted distinct values.
func compactCodes(_ codes: [Int32]) -> (codes: [Int32], categoryCount: Int) {
    let distinct = Array(Set(codes)).sorted()
    var index = [Int32: Int32]()
    for (i, c) in distinct.enumerated() { index[c] = Int32(i) }
    return (codes.map { index[$0]! }, distinct.count)
}
