import CellviKernels
import Foundation

/// One CSV column after the id column. Missing strings are written as empty fields.
public enum CSVColumn: Sendable {
    case floats([Float])
    case doubles([Double])
    case integers([Int64])
    case strings([String?])

    /// A dataframe column as pandas' `to_csv` would spell it (booleans `True`/`False`,
    /// categoricals as their labels, missing values empty).
    public init(_ values: ColumnValues) {
        switch values {
        case .doubles(let v): self = .doubles(v)
        case .integers(let v): self = .integers(v)
        case .booleans(let v): self = .strings(v.map { $0 ? "True" : "False" })
        case .nullableBooleans(let v): self = .strings(v.map { $0.map { $0 ? "True" : "False" } })
        default: self = .strings(values.labels)
        }
    }

    var count: Int {
        switch self {
        case .floats(let v): return v.count
        case .doubles(let v): return v.count
        case .integers(let v): return v.count
        case .strings(let v): return v.count
        }
    }
}

/// Writes comma-separated tables for R, pandas and spreadsheets: a header row, the row id
/// (cell barcode) in the first column, RFC 4180 quoting where a field needs it, and numbers
/// in the shortest form that reads back to the same Float/Double (`NaN`, `Inf`, `-Inf` for
/// non-finite values). The file is written beside `path` and renamed into place, so a
/// failed write never leaves a partial file. Lines end with `\n`.
public enum CSVWriter {
    /// `matrix` row r becomes the line for `rowIds[r]`; `columnNames` label its columns.
    public static func write(_ matrix: Matrix, rowIds: [String], columnNames: [String],
                             idColumnName: String = "cell", to path: String,
                             refusingToOverwrite inputs: [String] = []) throws {
        guard columnNames.count == matrix.columns else {
            throw invalidShape(path, "\(columnNames.count) column names for a matrix of \(matrix.columns) columns")
        }
        guard rowIds.count == matrix.rows else {
            throw invalidShape(path, "\(rowIds.count) row ids for a matrix of \(matrix.rows) rows")
        }
        try writeRows(header: [idColumnName] + columnNames, rowCount: rowIds.count, to: path, inputs: inputs) { r, line in
            appendField(rowIds[r], to: &line)
            for value in matrix.row(r) { line.append(UInt8(ascii: ",")); appendNumber(value, to: &line) }
        }
    }

    /// Named columns of any type, one line per entry of `rowIds`.
    public static func write(columns: [(name: String, values: CSVColumn)], rowIds: [String],
                             idColumnName: String = "cell", to path: String,
                             refusingToOverwrite inputs: [String] = []) throws {
        if let bad = columns.first(where: { $0.values.count != rowIds.count }) {
            throw invalidShape(path, "column \(bad.name) has \(bad.values.count) values for \(rowIds.count) rows")
        }
        try writeRows(header: [idColumnName] + columns.map(\.name), rowCount: rowIds.count, to: path, inputs: inputs) { r, line in
            appendField(rowIds[r], to: &line)
            for (_, values) in columns {
                line.append(UInt8(ascii: ","))
                switch values {
                case .floats(let v): appendNumber(v[r], to: &line)
                case .doubles(let v): appendNumber(v[r], to: &line)
                case .integers(let v): line.append(contentsOf: String(v[r]).utf8)
                case .strings(let v): if let s = v[r] { appendField(s, to: &line) }
                }
            }
        }
    }

    /// Streams the header and `rowCount` lines (each built by `appendRow`) into a temporary
    /// file, flushing about every megabyte, then renames it to `path`.
    private static func writeRows(header: [String], rowCount: Int, to path: String, inputs: [String],
                                  appendRow: (Int, inout [UInt8]) -> Void) throws {
        try OutputFileGuard.refuseOverwriting(inputs, with: path)
        try OutputFileGuard.writeAtomically(to: path) { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: nil),
                  let handle = FileHandle(forWritingAtPath: temporary) else {
                throw CellviIOError.invalid(file: path, key: "/", problem: "cannot create the file",
                                            fix: "Check that the output directory is writable.")
            }
            defer { try? handle.close() }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20 + 4096)
            for (i, name) in header.enumerated() {
                if i > 0 { buffer.append(UInt8(ascii: ",")) }
                appendField(name, to: &buffer)
            }
            buffer.append(UInt8(ascii: "\n"))
            for r in 0..<rowCount {
                appendRow(r, &buffer)
                buffer.append(UInt8(ascii: "\n"))
                if buffer.count >= 1 << 20 { try handle.write(contentsOf: buffer); buffer.removeAll(keepingCapacity: true) }
            }
            try handle.write(contentsOf: buffer)
        }
    }

    /// RFC 4180: a field holding a comma, quote, CR or LF is quoted, quotes doubled.
    static func appendField(_ field: String, to line: inout [UInt8]) {
        let needsQuotes = field.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
        guard needsQuotes else { line.append(contentsOf: field.utf8); return }
        line.append(UInt8(ascii: "\""))
        for byte in field.utf8 {
            if byte == UInt8(ascii: "\"") { line.append(byte) }
            line.append(byte)
        }
        line.append(UInt8(ascii: "\""))
    }

    /// Swift's `description` is the shortest decimal that parses back to the same value.
    static func appendNumber<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F, to line: inout [UInt8]) {
        if value.isNaN { line.append(contentsOf: "NaN".utf8) }
        else if value.isInfinite { line.append(contentsOf: (value < 0 ? "-Inf" : "Inf").utf8) }
        else { line.append(contentsOf: value.description.utf8) }
    }

    private static func invalidShape(_ path: String, _ problem: String) -> CellviIOError {
        CellviIOError.invalid(file: path, key: "columns", problem: problem,
                              fix: "Pass one name per column and one id per row.")
    }
}
