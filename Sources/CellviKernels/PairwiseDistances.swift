import COpenBLAS

// BLAS-backed products and distance tiles for neighbour search, silhouettes and PCA.
// Every buffer is row-major; shapes are given in the comments as (rows, columns).

/// Namespace for the BLAS products and distance tiles used by CellviMetrics.
public enum PairwiseDistances {
    /// Runs `body` with OpenBLAS limited to one thread (restoring the previous count), for loops that already
    /// split BLAS calls across cores: nested BLAS threads would only spin against ours.
    public static func withSingleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
        let previous = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(previous) }
        return try body()
    }

    /// `c = alpha · a · bᵀ + beta · c`.
    /// - a: (m, depth), row stride `aStride`; b: (n, depth), row stride `bStride`; c: (m, n), row stride `cStride`.
    public static func multiplyByTranspose(
        _ c: UnsafeMutablePointer<Float>, cStride: Int,
        _ a: UnsafePointer<Float>, aStride: Int, m: Int,
        _ b: UnsafePointer<Float>, bStride: Int, n: Int,
        depth: Int, alpha: Float = 1, beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(depth),
                    alpha, a, Int32(aStride), b, Int32(bStride), beta, c, Int32(cStride))
    }

    /// `c = alpha · op(a) · op(b) + beta · c` in Float64, row-major, for the small dense algebra of PCA and eigen solvers.
    /// op(a) is (m, depth), op(b) is (depth, n), c is (m, n).
    public static func multiplyDouble(
        _ c: UnsafeMutablePointer<Double>, cStride: Int,
        _ a: UnsafePointer<Double>, aStride: Int, transposeA: Bool,
        _ b: UnsafePointer<Double>, bStride: Int, transposeB: Bool,
        m: Int, n: Int, depth: Int, alpha: Double = 1, beta: Double = 0
    ) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(depth), alpha, a, Int32(aStride), b, Int32(bStride), beta, c, Int32(cStride))
    }

    /// `y = alpha · op(a) · x + beta · y` in Float64; a is (rows, columns) row-major.
    public static func multiplyVectorDouble(
        _ y: UnsafeMutablePointer<Double>, _ a: UnsafePointer<Double>, rows: Int, columns: Int, stride: Int,
        transpose: Bool, _ x: UnsafePointer<Double>, alpha: Double = 1, beta: Double = 0
    ) {
        guard rows > 0, columns > 0 else { return }
        cblas_dgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(rows), Int32(columns),
                    alpha, a, Int32(stride), x, 1, beta, y, 1)
    }

    /// Squared Euclidean norm of each row.  // (rows)
    public static func rowSquaredNorms(_ x: UnsafePointer<Float>, rows: Int, columns: Int) -> [Float] {
        var norms = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            var s: Float = 0
            let row = x + r * columns
            for c in 0..<columns { s += row[c] * row[c] }
            norms[r] = s
        }
        return norms
    }

    /// Squared Euclidean distances between `queryCount` query rows and `pointCount` point rows:
    /// `out[q, p] = |x_q|² + |y_p|² − 2 x_q·y_p`, clamped at 0.
    /// - queries: (queryCount, dimensions); points: (pointCount, dimensions);
    ///   queryNorms: (queryCount); pointNorms: (pointCount); out: (queryCount, pointCount).
    public static func squaredEuclideanDistances(
        _ out: UnsafeMutablePointer<Float>,
        queries: UnsafePointer<Float>, queryNorms: UnsafePointer<Float>, queryCount: Int,
        points: UnsafePointer<Float>, pointNorms: UnsafePointer<Float>, pointCount: Int,
        dimensions: Int
    ) {
        multiplyByTranspose(out, cStride: pointCount, queries, aStride: dimensions, m: queryCount,
                            points, bStride: dimensions, n: pointCount, depth: dimensions, alpha: -2)
        for q in 0..<queryCount {
            let row = out + q * pointCount
            let qn = queryNorms[q]
            for p in 0..<pointCount { row[p] = max(0, row[p] + qn + pointNorms[p]) }
        }
    }

    /// Sum of `sqrt(values[i])` over a contiguous range, eight lanes at a time.  // values: (count)
    public static func sumOfSquareRoots(_ values: UnsafePointer<Float>, count: Int) -> Double {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        let raw = UnsafeRawPointer(values)
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc += v.squareRoot()
            i += 8
        }
        var total = Double(acc.sum())
        while i < count { total += Double(values[i].squareRoot()); i += 1 }
        return total
    }

    /// Sum of `sqrt(max(0, values[i] + offset + norms[i]))` over a contiguous range: Euclidean distances from
    /// a raw `−2 x·y` product row, its query norm `offset` and the point norms.  // values, norms: (count)
    public static func sumOfDistances(_ values: UnsafePointer<Float>, offset: Float, norms: UnsafePointer<Float>, count: Int) -> Double {
        var acc = SIMD8<Float>(repeating: 0)
        let zero = SIMD8<Float>(repeating: 0), shift = SIMD8<Float>(repeating: offset)
        var i = 0
        let raw = UnsafeRawPointer(values), rawNorms = UnsafeRawPointer(norms)
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                + rawNorms.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + shift
            acc += pointwiseMax(v, zero).squareRoot()
            i += 8
        }
        var total = Double(acc.sum())
        while i < count { total += Double(max(0, values[i] + offset + norms[i]).squareRoot()); i += 1 }
        return total
    }

    /// In place: `values[i] = sqrt(max(0, values[i] + offset + norms[i]))`, turning a raw `−2 x·y` row into
    /// Euclidean distances.  // values, norms: (count)
    public static func distancesFromProducts(_ values: UnsafeMutablePointer<Float>, offset: Float, norms: UnsafePointer<Float>, count: Int) {
        let zero = SIMD8<Float>(repeating: 0), shift = SIMD8<Float>(repeating: offset)
        let raw = UnsafeMutableRawPointer(values), rawNorms = UnsafeRawPointer(norms)
        var i = 0
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                + rawNorms.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + shift
            raw.storeBytes(of: pointwiseMax(v, zero).squareRoot(), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { values[i] = max(0, values[i] + offset + norms[i]).squareRoot(); i += 1 }
    }

    /// `accumulator[i] += Σ_r rows[r][i]` for `rowCount` rows of stride `stride`.  // accumulator: (count)
    public static func addColumnSums(_ accumulator: UnsafeMutablePointer<Double>, _ rows: UnsafePointer<Float>,
                                     rowCount: Int, stride: Int, count: Int) {
        var i = 0
        let raw = UnsafeRawPointer(rows)
        while i + 8 <= count {
            var acc = SIMD8<Float>(repeating: 0)
            for r in 0..<rowCount { acc += raw.loadUnaligned(fromByteOffset: (r * stride + i) * 4, as: SIMD8<Float>.self) }
            for l in 0..<8 { accumulator[i + l] += Double(acc[l]) }
            i += 8
        }
        while i < count {
            var s: Float = 0
            for r in 0..<rowCount { s += rows[r * stride + i] }
            accumulator[i] += Double(s); i += 1
        }
    }

    /// Sum of `values[i]` over a contiguous range, eight lanes at a time.  // values: (count)
    public static func sumOfValues(_ values: UnsafePointer<Float>, count: Int) -> Double {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        let raw = UnsafeRawPointer(values)
        while i + 8 <= count {
            acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        var total = Double(acc.sum())
        while i < count { total += Double(values[i]); i += 1 }
        return total
    }
}
