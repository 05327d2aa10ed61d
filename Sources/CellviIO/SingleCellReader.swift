import Foundation

/// Reads any supported single-cell file into memory: `.h5ad`, 10x `.h5` or a 10x MatrixMarket folder.
public enum SingleCellReader {
    /// Reads the file; counts become cells × genes CSR.
    public static func read(path: String, options: H5ADReadOptions = H5ADReadOptions()) throws -> AnnData {
        try H5ADReader.read(path: path, options: options)
    }

    /// The `cellvi inspect` summary of any supported file.
    public static func summarize(path: String) throws -> DatasetSummary {
        try H5ADFile(path: path).summarize()
    }
}
