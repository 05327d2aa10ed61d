/// A dense row-major Float32 matrix. `values[row * columns + column]`.
public struct Matrix: Equatable, Sendable {
    public var rows: Int
    public var columns: Int
    public var values: [Float]  // (rows, columns)

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "Matrix: \(values.count) values for \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(zeros rows: Int, _ columns: Int) {
        self.init(rows: rows, columns: columns, values: [Float](repeating: 0, count: rows * columns))
    }

    public subscript(row: Int, column: Int) -> Float {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// A copy of one row.
    public func row(_ row: Int) -> ArraySlice<Float> {
        values[(row * columns)..<((row + 1) * columns)]
    }

    /// The rows at `indices`, in that order.
    public func selectingRows(_ indices: [Int]) -> Matrix {
        var out = [Float](); out.reserveCapacity(indices.count * columns)
        for r in indices { out.append(contentsOf: row(r)) }
        return Matrix(rows: indices.count, columns: columns, values: out)
    }
}
