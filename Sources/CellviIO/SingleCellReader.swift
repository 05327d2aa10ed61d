import Foundation

/// Reads any supported single-cell input into memory: `.h5ad`, 10x `.h5` or a 10x MatrixMarket folder.
public enum SingleCellReader {
    /// Reads the file; counts become cells × genes CSR. `options` apply to `.h5ad` inputs.
    public static func read(path: String, options: H5ADReadOptions = H5ADReadOptions()) throws -> AnnData {
        switch try detectInputFormat(path: path) {
        case .h5ad: return try H5ADReader.read(path: path, options: options)
        case .tenXHDF5: return try TenXHDF5Reader.read(path: path)
        case .tenXMatrixMarket: return try TenXMatrixMarket.read(directory: path)
        }
    }

    /// The `cellvi inspect` summary of any supported file.
    public static func summarize(path: String) throws -> DatasetSummary {
        switch try detectInputFormat(path: path) {
        case .h5ad:
            return try H5ADFile(path: path).summarize()
        case .tenXHDF5:
            let data = try TenXHDF5Reader.read(path: path)
            return DatasetSummary(file: path, format: "10x Cell Ranger .h5", layout: "CSC features × barcodes",
                                  data: data, stored: [:])
        case .tenXMatrixMarket:
            let data = try TenXMatrixMarket.read(directory: path)
            return DatasetSummary(file: path, format: "10x MatrixMarket folder", layout: "matrix.mtx genes × barcodes",
                                  data: data, stored: [:])
        }
    }
}
