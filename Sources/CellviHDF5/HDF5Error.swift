import CHDF5

/// A failure in an HDF5 call, naming the file and the object path it concerns.
public enum HDF5Error: Error, Equatable, CustomStringConvertible {
    /// The path does not exist.
    case fileNotFound(file: String)
    /// The file exists but is not HDF5 (or is truncated beyond recognition).
    case notHDF5(file: String, detail: String)
    /// An object (group, dataset or attribute) that was asked for is absent.
    case missingObject(file: String, object: String)
    /// The object exists but has another kind or element type than required.
    case unexpectedType(file: String, object: String, expected: String, found: String)
    /// The dataset is compressed with a filter this libhdf5 cannot decode (h5py's `lzf`, blosc, …).
    case unavailableFilter(file: String, object: String, filter: String)
    /// Any other failed call, with HDF5's own error stack.
    case callFailed(file: String, object: String, operation: String, detail: String)

    public var file: String {
        switch self {
        case .fileNotFound(let f), .notHDF5(let f, _), .missingObject(let f, _), .unexpectedType(let f, _, _, _),
             .unavailableFilter(let f, _, _), .callFailed(let f, _, _, _):
            return f
        }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let file):
            return "\(file): no such file. Check the path."
        case .notHDF5(let file, let detail):
            return "\(file): not a readable HDF5 file (\(detail)). Is it truncated, or another format? Re-export it with anndata's write_h5ad."
        case .missingObject(let file, let object):
            return "\(file): \(object): not found in the file."
        case .unexpectedType(let file, let object, let expected, let found):
            return "\(file): \(object): expected \(expected), found \(found)."
        case .unavailableFilter(let file, let object, let filter):
            return "\(file): \(object): compressed with the '\(filter)' filter, which libhdf5 cannot read. "
                + "Rewrite it with gzip: in Python `adata.write_h5ad(path, compression=\"gzip\")`, or `h5repack -f GZIP=4 in.h5ad out.h5ad`."
        case .callFailed(let file, let object, let operation, let detail):
            return "\(file): \(object): \(operation) failed" + (detail.isEmpty ? "." : ": \(detail)")
        }
    }
}

/// HDF5's automatic error printing is turned off once; failures are read from the error stack instead.
enum HDF5Library {
    static let quiet: Void = {
        H5Eset_auto2(cellvi_H5E_DEFAULT(), nil, nil)
    }()

    /// The messages on the current error stack, innermost last, then clears the stack.
    static func takeErrorStack() -> String {
        var messages: [String] = []
        withUnsafeMutablePointer(to: &messages) { pointer in
            _ = H5Ewalk2(cellvi_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, error, context in
                guard let error, let context else { return 0 }
                let list = context.assumingMemoryBound(to: [String].self)
                if let desc = error.pointee.desc { list.pointee.append(String(cString: desc)) }
                return 0
            }, pointer)
        }
        H5Eclear2(cellvi_H5E_DEFAULT())
        var unique: [String] = []
        for m in messages where !m.isEmpty && !unique.contains(m) { unique.append(m) }
        return unique.joined(separator: "; ")
    }
}

/// Checks an HDF5 status (negative = failure) in every build configuration.
@discardableResult
func check<T: BinaryInteger>(_ status: T, file: String, object: String, _ operation: @autoclosure () -> String) throws -> T {
    if status < 0 {
        throw HDF5Error.callFailed(file: file, object: object, operation: operation(), detail: HDF5Library.takeErrorStack())
    }
    return status
}
