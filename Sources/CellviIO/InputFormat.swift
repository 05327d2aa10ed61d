import CellviHDF5
import Foundation

/// The single-cell input layouts cellvi reads.
public enum InputFormat: String, Sendable, CaseIterable {
    case h5ad
    case tenXHDF5
    case tenXMatrixMarket
}

/// Decides the layout of `path`: a directory is a 10x MatrixMarket folder; an HDF5 file with a
/// `matrix` group, or a top-level (genome) group holding `barcodes` and `indptr` datasets, is a
/// Cell Ranger `.h5`; any other HDF5 file (including one tagged `encoding-type: anndata`) is `.h5ad`.
public func detectInputFormat(path: String) throws -> InputFormat {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw CellviIOError.hdf5(.fileNotFound(file: path))
    }
    if isDirectory.boolValue { return .tenXMatrixMarket }
    return try wrappingHDF5 {
        let root = try HDF5File.open(path: path).root
        if try root.attribute("encoding-type")?.stringValue == "anndata" { return .h5ad }
        if root.kind(of: "matrix") == .group { return .tenXHDF5 }
        return try root.childNames().contains(where: { isLegacyGenomeGroup(root, $0) }) ? .tenXHDF5 : .h5ad
    }
}

/// A Cell Ranger ≤ 2 genome group (an `.h5ad` obs frame could have a `barcodes` column, never also `indptr`).
func isLegacyGenomeGroup(_ root: HDF5Group, _ name: String) -> Bool {
    root.kind(of: name) == .group && ["barcodes", "indptr", "shape"].allSatisfy { root.kind(of: "\(name)/\($0)") == .dataset }
}
