import Foundation
import CellviHDF5

/// Why a single-cell file could not be read or written. Every case names the file and the
/// object path or key concerned, and its message ends with what to do about it.
public enum CellviIOError: Error, CustomStringConvertible {
    /// A problem in the file's structure or values: `problem` says what, `fix` what to do.
    case invalid(file: String, key: String, problem: String, fix: String)
    /// An element whose `encoding-type` cellvi does not know.
    case unknownEncoding(file: String, key: String, encoding: String)
    /// Values that cannot be raw counts (negative, non-finite or non-integer).
    case notCounts(file: String, key: String, problem: String)
    /// A cell or gene name, column, layer or category that was asked for but is absent.
    case missingKey(file: String, key: String, available: [String], fix: String)
    /// Refused to write over an input file.
    case wouldOverwriteInput(file: String)
    /// An HDF5-level failure (missing object, unreadable filter, truncated file, …).
    case hdf5(HDF5Error)

    public var file: String {
        switch self {
        case .invalid(let f, _, _, _), .unknownEncoding(let f, _, _), .notCounts(let f, _, _),
             .missingKey(let f, _, _, _), .wouldOverwriteInput(let f):
            return f
        case .hdf5(let e): return e.file
        }
    }

    public var description: String {
        switch self {
        case .invalid(let file, let key, let problem, let fix):
            return "\(file): \(key): \(problem). \(fix)"
        case .unknownEncoding(let file, let key, let encoding):
            return "\(file): \(key): unknown encoding-type '\(encoding)'. "
                + "cellvi reads the encodings of anndata 0.6–0.12; re-save the file with a current anndata (`adata.write_h5ad(path)`)."
        case .notCounts(let file, let key, let problem):
            return "\(file): \(key): \(problem), so these are not raw counts. "
                + "Point cellvi at the raw counts: `--layer counts` (see `cellvi inspect` for the layers) or the file's raw/X."
        case .missingKey(let file, let key, let available, let fix):
            let list = available.prefix(12).joined(separator: ", ") + (available.count > 12 ? ", …" : "")
            return "\(file): \(key): not found" + (available.isEmpty ? "" : " (available: \(list))") + ". \(fix)"
        case .wouldOverwriteInput(let file):
            return "\(file): this is an input file; cellvi never overwrites its inputs. Choose another output path."
        case .hdf5(let error):
            return error.description
        }
    }
}

extension CellviIOError: LocalizedError {
    public var errorDescription: String? { description }
}

/// Runs `body`, turning wrapper errors into `CellviIOError.hdf5`.
func wrappingHDF5<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as HDF5Error { throw CellviIOError.hdf5(error) }
}
