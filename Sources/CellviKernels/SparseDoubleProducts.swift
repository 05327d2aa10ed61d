// CSR × dense Float64 products for the randomized PCA of CellviMetrics (X is cells × genes, CSR, Float32 values).
// Every product sums each output element in the CSR entry order, exactly as the plain loops
// `out[c] += Double(v) · b[c]` do, so results are bit-identical to the reference loops beside them;
// only the lanes (columns of the dense operand) are processed four at a time.

/// A CSR matrix's three arrays, pinned by the caller for the duration of a call.
public struct CSRPointers {
    public let rowOffsets: UnsafePointer<Int>        // (rows + 1)
    public let columnIndices: UnsafePointer<Int32>   // (nnz)
    public let values: UnsafePointer<Float>          // (nnz)
    public init(rowOffsets: UnsafePointer<Int>, columnIndices: UnsafePointer<Int32>, values: UnsafePointer<Float>) {
        self.rowOffsets = rowOffsets; self.columnIndices = columnIndices; self.values = values
    }
}

public enum SparseDoubleProducts {
    /// For each row r in `rows`: out[r, c] = −shift[c] + Σ_e Double(v_e) · b[col_e, c], summed in entry order.
    /// - out: (N, width) row-major; b: (G, width); shift: (width).
    /// Columns are handled 16 at a time with the partial sums held in registers across the row's entries.
    public static func timesRows(_ out: UnsafeMutablePointer<Double>, _ x: CSRPointers, rows: Range<Int>,
                                 _ b: UnsafePointer<Double>, width l: Int, shift: UnsafePointer<Double>) {
        let raw = UnsafeRawPointer(b)
        for r in rows {
            let row = out + r * l
            let lo = x.rowOffsets[r], hi = x.rowOffsets[r + 1]
            var c0 = 0
            while c0 + 16 <= l {
                let s = UnsafeRawPointer(shift + c0)
                var a0 = -s.loadUnaligned(fromByteOffset: 0, as: SIMD4<Double>.self)
                var a1 = -s.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self)
                var a2 = -s.loadUnaligned(fromByteOffset: 64, as: SIMD4<Double>.self)
                var a3 = -s.loadUnaligned(fromByteOffset: 96, as: SIMD4<Double>.self)
                for e in lo..<hi {
                    let v = SIMD4<Double>(repeating: Double(x.values[e]))
                    let base = (Int(x.columnIndices[e]) * l + c0) * 8
                    a0 += v * raw.loadUnaligned(fromByteOffset: base, as: SIMD4<Double>.self)
                    a1 += v * raw.loadUnaligned(fromByteOffset: base + 32, as: SIMD4<Double>.self)
                    a2 += v * raw.loadUnaligned(fromByteOffset: base + 64, as: SIMD4<Double>.self)
                    a3 += v * raw.loadUnaligned(fromByteOffset: base + 96, as: SIMD4<Double>.self)
                }
                let o = UnsafeMutableRawPointer(row + c0)
                o.storeBytes(of: a0, toByteOffset: 0, as: SIMD4<Double>.self)
                o.storeBytes(of: a1, toByteOffset: 32, as: SIMD4<Double>.self)
                o.storeBytes(of: a2, toByteOffset: 64, as: SIMD4<Double>.self)
                o.storeBytes(of: a3, toByteOffset: 96, as: SIMD4<Double>.self)
                c0 += 16
            }
            while c0 + 4 <= l {
                var a0 = -UnsafeRawPointer(shift + c0).loadUnaligned(as: SIMD4<Double>.self)
                for e in lo..<hi {
                    let v = SIMD4<Double>(repeating: Double(x.values[e]))
                    a0 += v * raw.loadUnaligned(fromByteOffset: (Int(x.columnIndices[e]) * l + c0) * 8, as: SIMD4<Double>.self)
                }
                UnsafeMutableRawPointer(row + c0).storeBytes(of: a0, as: SIMD4<Double>.self)
                c0 += 4
            }
            while c0 < l {
                var a = -shift[c0]
                for e in lo..<hi { a += Double(x.values[e]) * b[Int(x.columnIndices[e]) * l + c0] }
                row[c0] = a
                c0 += 1
            }
        }
    }

    /// acc(G, width) += X[rows]ᵀ · y[rows]: for each row r in order and each entry e of it,
    /// acc[col_e, c] += Double(v_e) · y[r, c].  y: (N, width) row-major.
    public static func accumulateTransposeTimes(_ acc: UnsafeMutablePointer<Double>, _ x: CSRPointers, rows: Range<Int>,
                                                _ y: UnsafePointer<Double>, width l: Int) {
        let rawAcc = UnsafeMutableRawPointer(acc)
        for r in rows {
            let lo = x.rowOffsets[r], hi = x.rowOffsets[r + 1]
            let yr = UnsafeRawPointer(y + r * l)
            var c0 = 0
            while c0 + 16 <= l {
                let y0 = yr.loadUnaligned(fromByteOffset: c0 * 8, as: SIMD4<Double>.self)
                let y1 = yr.loadUnaligned(fromByteOffset: c0 * 8 + 32, as: SIMD4<Double>.self)
                let y2 = yr.loadUnaligned(fromByteOffset: c0 * 8 + 64, as: SIMD4<Double>.self)
                let y3 = yr.loadUnaligned(fromByteOffset: c0 * 8 + 96, as: SIMD4<Double>.self)
                for e in lo..<hi {
                    let v = SIMD4<Double>(repeating: Double(x.values[e]))
                    let base = (Int(x.columnIndices[e]) * l + c0) * 8
                    rawAcc.storeBytes(of: rawAcc.loadUnaligned(fromByteOffset: base, as: SIMD4<Double>.self) + v * y0,
                                      toByteOffset: base, as: SIMD4<Double>.self)
                    rawAcc.storeBytes(of: rawAcc.loadUnaligned(fromByteOffset: base + 32, as: SIMD4<Double>.self) + v * y1,
                                      toByteOffset: base + 32, as: SIMD4<Double>.self)
                    rawAcc.storeBytes(of: rawAcc.loadUnaligned(fromByteOffset: base + 64, as: SIMD4<Double>.self) + v * y2,
                                      toByteOffset: base + 64, as: SIMD4<Double>.self)
                    rawAcc.storeBytes(of: rawAcc.loadUnaligned(fromByteOffset: base + 96, as: SIMD4<Double>.self) + v * y3,
                                      toByteOffset: base + 96, as: SIMD4<Double>.self)
                }
                c0 += 16
            }
            while c0 + 4 <= l {
                let y0 = yr.loadUnaligned(fromByteOffset: c0 * 8, as: SIMD4<Double>.self)
                for e in lo..<hi {
                    let v = SIMD4<Double>(repeating: Double(x.values[e]))
                    let base = (Int(x.columnIndices[e]) * l + c0) * 8
                    rawAcc.storeBytes(of: rawAcc.loadUnaligned(fromByteOffset: base, as: SIMD4<Double>.self) + v * y0,
                                      toByteOffset: base, as: SIMD4<Double>.self)
                }
                c0 += 4
            }
            while c0 < l {
                let yc = y[r * l + c0]
                for e in lo..<hi { acc[Int(x.columnIndices[e]) * l + c0] += Double(x.values[e]) * yc }
                c0 += 1
            }
        }
    }

    /// Modified Gram–Schmidt, twice, on `l` columns stored contiguously (L, rows): column j loses its components
    /// along columns 0..<j, then is scaled to unit length, or zeroed when it keeps less than 1e-12 of its norm.
    /// Dot products and updates run in index order, as the plain loops did.
    public static func orthonormalizeColumns(_ columns: UnsafeMutablePointer<Double>, rows: Int, count l: Int) {
        for j in 0..<l {
            let cj = columns + j * rows
            var originalNorm = 0.0
            for r in 0..<rows { originalNorm += cj[r] * cj[r] }
            for _ in 0..<2 {
                for i in 0..<j {
                    let ci = columns + i * rows
                    var dot = 0.0
                    for r in 0..<rows { dot += ci[r] * cj[r] }
                    for r in 0..<rows { cj[r] -= dot * ci[r] }
                }
            }
            var norm = 0.0
            for r in 0..<rows { norm += cj[r] * cj[r] }
            let scale = norm > originalNorm * 1e-24 && norm > 0 ? 1 / norm.squareRoot() : 0
            for r in 0..<rows { cj[r] *= scale }
        }
    }
}
