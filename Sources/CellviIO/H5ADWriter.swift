import CellviHDF5
import CellviKernels
import Foundation

/// Writes an `AnnData` as an `.h5ad` file that anndata ≥ 0.8 reads without warnings
/// (the layout of anndata 0.12's `write_h5ad`, MODEL-SPEC §3).
public enum H5ADWriter {
    /// Writes `data` to `path`.
    ///
    /// The file is written beside `path` under a temporary name and renamed into place only
    /// once complete, so a failure never leaves a half-written `.h5ad` (nor destroys an old one).
    /// - Parameters:
    ///   - compression: gzip (level 4) on every non-scalar dataset, as `write_h5ad(compression="gzip")`.
    ///   - inputPaths: files this run read; writing over any of them is refused.
    public static func write(_ data: AnnData, to path: String, compression: Bool = true,
                             protecting inputPaths: [String] = []) throws {
        try validate(data, file: path)
        try OutputFileGuard.refuseOverwriting(inputPaths, with: path)
        try OutputFileGuard.writeAtomically(to: path) { temporaryPath in
            try writeContents(data, temporaryPath: temporaryPath, compression: compression ? HDF5Compression() : nil)
        }
    }

    /// Writes the whole file; every HDF5 handle is released when this returns.
    private static func writeContents(_ data: AnnData, temporaryPath: String, compression: HDF5Compression?) throws {
        try wrappingHDF5 {
            let file = try HDF5File.create(path: temporaryPath)
            let root = try file.root
            let writer = H5ADElementWriter(compression: compression)
            try writer.setEncoding(root, "anndata", "0.1.0")
            if let x = data.x { try writer.writeCSR(x, named: "X", in: root) }
            try writer.writeDataFrame(data.obs, named: "obs", in: root)
            try writer.writeDataFrame(data.vars, named: "var", in: root)
            try writer.writeDenseDict(data.obsm, named: "obsm", in: root)
            try writer.writeDenseDict([:], named: "varm", in: root)
            try writer.writeSparseDict(data.obsp, named: "obsp", in: root)
            try writer.writeSparseDict([:], named: "varp", in: root)
            try writer.writeSparseDict(data.layers, named: "layers", in: root)
            try writer.writeUns(data.uns, named: "uns", in: root)
            if let raw = data.raw { try writer.writeRaw(raw, named: "raw", in: root) }
            try file.flush()
        }
    }
}
