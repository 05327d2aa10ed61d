import CellviKernels

/// The counts of `matrix` (cells × `varNames`) rearranged to the columns `genes`, matched by name.
/// Genes absent from `varNames` are an error naming them, unless `fillMissing`, which leaves them zero.
public func alignGenes(_ matrix: CSRMatrix, varNames: [String], to genes: [String], fillMissing: Bool,
                       file: String) throws -> (counts: CSRMatrix, missing: [String]) {
    var position: [String: Int] = [:]
    for (i, name) in varNames.enumerated() where position[name] == nil { position[name] = i }
    let missing = genes.filter { position[$0] == nil }
    if !missing.isEmpty && !fillMissing {
        throw CellviIOError.missingKey(
            file: file, key: "var: \(missing.count) of the model's \(genes.count) genes (\(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : ""))",
            available: [], fix: "Use data with the model's genes, or pass --fill-missing-genes to treat them as zero counts.")
    }
    if missing.isEmpty, varNames == genes { return (matrix, []) }
    // New column of each input column, −1 when the model does not use it.
    var newColumn = [Int32](repeating: -1, count: varNames.count)
    for (j, gene) in genes.enumerated() { if let i = position[gene] { newColumn[i] = Int32(j) } }
    var offsets = [0], columns = [Int32](), values = [Float]()
    offsets.reserveCapacity(matrix.rowCount + 1)
    var row: [(Int32, Float)] = []
    for r in 0..<matrix.rowCount {
        row.removeAll(keepingCapacity: true)
        for k in matrix.rowOffsets[r]..<matrix.rowOffsets[r + 1] {
            let j = newColumn[Int(matrix.columnIndices[k])]
            if j >= 0 { row.append((j, matrix.values[k])) }
        }
        row.sort { $0.0 < $1.0 }
        for (j, v) in row { columns.append(j); values.append(v) }
        offsets.append(columns.count)
    }
    return (CSRMatrix(rowCount: matrix.rowCount, columnCount: genes.count, rowOffsets: offsets, columnIndices: columns, values: values), missing)
}
