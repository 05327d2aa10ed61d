import CellviKernels

/// Reads MatrixMarket `coordinate` files (`integer`, `real` or `pattern`; `general`), gzipped or not.
enum MatrixMarket {
    /// The file's transpose as CSR: row r of the result is column r of the file. 10x writes
    /// genes × cells, so this returns cells × genes. Repeated entries are summed (as scipy does
    /// on conversion to CSR); columns within a row come out sorted.
    static func readTransposed(path: String) throws -> CSRMatrix {
        var parser = Parser(path: path)
        try GzipLineReader.forEachLine(path: path) { line, number in try parser.consume(line, number) }
        try parser.finish()
        return parser.transposedCSR()
    }

    private enum Field { case integer, real, pattern }

    private struct Parser {
        let path: String
        var field: Field?
        var size: (rows: Int, columns: Int, entries: Int)?
        var fileRows: [Int32] = []     // (nnz) 0-based file row of each entry (gene)
        var fileColumns: [Int32] = []  // (nnz) 0-based file column of each entry (cell)
        var values: [Float] = []       // (nnz)

        init(path: String) { self.path = path }

        mutating func consume(_ line: UnsafeBufferPointer<UInt8>, _ number: Int) throws {
            if number == 1 { field = try parseHeader(line); return }
            if line.isEmpty || line[0] == UInt8(ascii: "%") || isBlank(line) { return }
            var cursor = 0
            guard let size else {
                guard let rows = nextInteger(line, &cursor), let columns = nextInteger(line, &cursor),
                      let entries = nextInteger(line, &cursor), rows >= 0, columns >= 0, entries >= 0 else {
                    throw invalid(number, "the size line must be three non-negative integers `rows columns entries`, found '\(text(line))'",
                                  fix: "Re-export the matrix; the file is damaged.")
                }
                guard rows <= Int(Int32.max), columns <= Int(Int32.max) else {
                    throw invalid(number, "\(rows) × \(columns) is too large for 32-bit indices", fix: "Split the matrix.")
                }
                self.size = (rows, columns, entries)
                fileRows.reserveCapacity(entries); fileColumns.reserveCapacity(entries); values.reserveCapacity(entries)
                return
            }
            guard values.count < size.entries else {
                throw invalid(number, "more entries than the \(size.entries) announced on the size line",
                              fix: "The size line is wrong or files were concatenated; re-export the matrix.")
            }
            guard let row = nextInteger(line, &cursor), let column = nextInteger(line, &cursor) else {
                throw invalid(number, "an entry must start with two integers `row column`, found '\(text(line))'",
                              fix: "Re-export the matrix; the file is damaged.")
            }
            guard (1...size.rows).contains(row) else {
                throw invalid(number, "row index \(row) out of range 1...\(size.rows)",
                              fix: "The file does not match its size line; re-export the matrix.")
            }
            guard (1...size.columns).contains(column) else {
                throw invalid(number, "column index \(column) out of range 1...\(size.columns)",
                              fix: "The file does not match its size line; re-export the matrix.")
            }
            let value: Float
            switch field! {
            case .pattern: value = 1
            case .integer, .real:
                guard let v = nextNumber(line, &cursor) else {
                    throw invalid(number, "missing or malformed value in '\(text(line))'",
                                  fix: "Re-export the matrix; the file is damaged.")
                }
                value = v
            }
            fileRows.append(Int32(row - 1)); fileColumns.append(Int32(column - 1)); values.append(value)
        }

        func finish() throws {
            guard let size else {
                throw CellviIOError.invalid(file: path, key: "size line", problem: "the file has no size line",
                                            fix: "The file is empty or truncated; re-export or download it again.")
            }
            guard values.count == size.entries else {
                throw CellviIOError.invalid(
                    file: path, key: "entries",
                    problem: "the size line announces \(size.entries) entries but the file holds \(values.count)",
                    fix: "The file is truncated or its size line is wrong; re-export or download it again.")
            }
        }

        /// Counting sort by file column, then each row's columns sorted with repeats summed.
        func transposedCSR() -> CSRMatrix {
            let (rows, columns, _) = size!
            var offsets = [Int](repeating: 0, count: columns + 1)  // (cells + 1)
            for c in fileColumns { offsets[Int(c) + 1] += 1 }
            for c in 0..<columns { offsets[c + 1] += offsets[c] }
            var next = offsets
            var indices = [Int32](repeating: 0, count: values.count)  // (nnz) gene of each entry
            var data = [Float](repeating: 0, count: values.count)     // (nnz)
            for k in values.indices {
                let c = Int(fileColumns[k])
                indices[next[c]] = fileRows[k]; data[next[c]] = values[k]; next[c] += 1
            }
            sortAndSumRepeats(offsets: &offsets, indices: &indices, data: &data)
            return CSRMatrix(rowCount: columns, columnCount: rows, rowOffsets: offsets, columnIndices: indices, values: data)
        }

        private func parseHeader(_ line: UnsafeBufferPointer<UInt8>) throws -> Field {
            let words = text(line).lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" })
            let fix = "cellvi reads 10x-style coordinate files (`%%MatrixMarket matrix coordinate integer general`); "
                + "write one with scipy.io.mmwrite of a sparse matrix or Matrix::writeMM in R."
            guard words.count >= 5, words[0] == "%%matrixmarket", words[1] == "matrix" else {
                throw invalid(1, "the first line must be a `%%MatrixMarket matrix …` header, found '\(text(line))'", fix: fix)
            }
            guard words[2] == "coordinate" else { throw invalid(1, "unsupported format '\(words[2])' (only coordinate)", fix: fix) }
            guard words[4] == "general" else { throw invalid(1, "unsupported symmetry '\(words[4])' (only general)", fix: fix) }
            switch words[3] {
            case "integer": return .integer
            case "real", "double": return .real
            case "pattern": return .pattern
            default: throw invalid(1, "unsupported field '\(words[3])' (integer, real or pattern)", fix: fix)
            }
        }

        private func invalid(_ line: Int, _ problem: String, fix: String) -> CellviIOError {
            CellviIOError.invalid(file: path, key: "line \(line)", problem: problem, fix: fix)
        }
    }
}

/// Sorts the column indices within each row and sums entries that repeat a column.
private func sortAndSumRepeats(offsets: inout [Int], indices: inout [Int32], data: inout [Float]) {
    var needsWork = false
    for r in 0..<(offsets.count - 1) where offsets[r + 1] - offsets[r] > 1 {
        for k in (offsets[r] + 1)..<offsets[r + 1] where indices[k] <= indices[k - 1] { needsWork = true; break }
        if needsWork { break }
    }
    guard needsWork else { return }
    var newOffsets = [0], newIndices = [Int32](), newData = [Float]()
    newIndices.reserveCapacity(indices.count); newData.reserveCapacity(data.count)
    var row: [(Int32, Float)] = []
    for r in 0..<(offsets.count - 1) {
        row.removeAll(keepingCapacity: true)
        for k in offsets[r]..<offsets[r + 1] { row.append((indices[k], data[k])) }
        row.sort { $0.0 < $1.0 }
        for (c, v) in row {
            if newIndices.count > newOffsets[r], newIndices.last == c { newData[newData.count - 1] += v }
            else { newIndices.append(c); newData.append(v) }
        }
        newOffsets.append(newIndices.count)
    }
    offsets = newOffsets; indices = newIndices; data = newData
}

// MARK: - Token scanning on raw bytes

private func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    line.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
}

private func text(_ line: UnsafeBufferPointer<UInt8>) -> String {
    String(decoding: line.prefix(120), as: UTF8.self)
}

/// The next whitespace-separated token's byte range, advancing `cursor` past it.
private func nextToken(_ line: UnsafeBufferPointer<UInt8>, _ cursor: inout Int) -> Range<Int>? {
    while cursor < line.count, line[cursor] == UInt8(ascii: " ") || line[cursor] == UInt8(ascii: "\t") { cursor += 1 }
    let start = cursor
    while cursor < line.count, line[cursor] != UInt8(ascii: " "), line[cursor] != UInt8(ascii: "\t") { cursor += 1 }
    return start < cursor ? start..<cursor : nil
}

private func nextInteger(_ line: UnsafeBufferPointer<UInt8>, _ cursor: inout Int) -> Int? {
    guard let range = nextToken(line, &cursor) else { return nil }
    return parseInteger(line, range)
}

private func parseInteger(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
    var i = range.lowerBound
    var negative = false
    if line[i] == UInt8(ascii: "-") || line[i] == UInt8(ascii: "+") { negative = line[i] == UInt8(ascii: "-"); i += 1 }
    guard i < range.upperBound, range.upperBound - i <= 18 else { return nil }
    var value = 0
    while i < range.upperBound {
        let digit = Int(line[i]) - 48
        guard (0...9).contains(digit) else { return nil }
        value = value * 10 + digit
        i += 1
    }
    return negative ? -value : value
}

/// A value token: integers on a fast path, anything else through Swift's Double parser.
private func nextNumber(_ line: UnsafeBufferPointer<UInt8>, _ cursor: inout Int) -> Float? {
    guard let range = nextToken(line, &cursor) else { return nil }
    if let v = parseInteger(line, range) { return Float(v) }
    return Double(String(decoding: UnsafeBufferPointer(rebasing: line[range]), as: UTF8.self)).map(Float.init)
}
