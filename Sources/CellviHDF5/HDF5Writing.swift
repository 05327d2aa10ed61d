import CHDF5

/// Chunked gzip compression for written datasets (anndata's `compression="gzip"`).
public struct HDF5Compression: Equatable {
    public var gzipLevel: Int
    public init(gzipLevel: Int = 4) { self.gzipLevel = gzipLevel }
}

extension HDF5Group {
    /// Writes a numeric dataset of `shape` (`[]` for a scalar) from row-major `values`.
    @discardableResult
    public func writeDataset<T: HDF5Scalar>(_ name: String, values: [T], shape: [Int],
                                            compression: HDF5Compression? = nil) throws -> HDF5Dataset {
        let target = childPath(name)
        precondition(values.count == shape.reduce(1, *), "writeDataset \(target): \(values.count) values for shape \(shape)")
        let dataset = try createDataset(name, type: T.nativeType, shape: shape, elementSize: MemoryLayout<T>.stride,
                                        compression: compression)
        if values.isEmpty { return dataset }
        _ = try values.withUnsafeBytes { buffer in
            try check(H5Dwrite(dataset.id, T.nativeType, cellvi_H5S_ALL(), cellvi_H5S_ALL(), cellvi_H5P_DEFAULT(), buffer.baseAddress),
                      file: file.path, object: target, "writing \(values.count) values")
        }
        return dataset
    }

    /// Writes booleans as h5py does (an int8 enum FALSE/TRUE).
    @discardableResult
    public func writeBooleans(_ name: String, _ values: [Bool], compression: HDF5Compression? = nil) throws -> HDF5Dataset {
        let target = childPath(name)
        let type = try makeBooleanType(file: file.path, object: target)
        defer { H5Tclose(type) }
        let dataset = try createDataset(name, type: type, shape: [values.count], elementSize: 1, compression: compression)
        if values.isEmpty { return dataset }
        let bytes = values.map { Int8($0 ? 1 : 0) }
        try check(H5Dwrite(dataset.id, type, cellvi_H5S_ALL(), cellvi_H5S_ALL(), cellvi_H5P_DEFAULT(), bytes),
                  file: file.path, object: target, "writing \(values.count) values")
        return dataset
    }

    /// Writes variable-length UTF-8 strings; `scalar` writes one 0-d string.
    @discardableResult
    public func writeStrings(_ name: String, _ values: [String], scalar: Bool = false,
                             compression: HDF5Compression? = nil) throws -> HDF5Dataset {
        let target = childPath(name)
        precondition(!scalar || values.count == 1, "writeStrings \(target): a scalar needs one string")
        let type = try makeVariableStringType(file: file.path, object: target)
        defer { H5Tclose(type) }
        let dataset = try createDataset(name, type: type, shape: scalar ? [] : [values.count],
                                        elementSize: MemoryLayout<UnsafePointer<CChar>>.stride, compression: compression)
        if values.isEmpty { return dataset }
        _ = try withCStringArray(values) { pointers in
            try check(H5Dwrite(dataset.id, type, cellvi_H5S_ALL(), cellvi_H5S_ALL(), cellvi_H5P_DEFAULT(), pointers),
                      file: file.path, object: target, "writing \(values.count) strings")
        }
        return dataset
    }

    private func createDataset(_ name: String, type: hid_t, shape: [Int], elementSize: Int,
                               compression: HDF5Compression?) throws -> HDF5Dataset {
        let target = childPath(name)
        var dims = shape.map { hsize_t($0) }
        let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), &dims, nil)
        try check(space, file: file.path, object: target, "creating a dataspace")
        defer { H5Sclose(space) }
        let plist = try check(H5Pcreate(cellvi_H5P_DATASET_CREATE()), file: file.path, object: target, "creating properties")
        defer { H5Pclose(plist) }
        let count = shape.reduce(1, *)
        if let compression, !shape.isEmpty, count > 0 {
            var chunk = chunkShape(shape, elementSize: elementSize).map { hsize_t($0) }
            try check(H5Pset_chunk(plist, Int32(chunk.count), &chunk), file: file.path, object: target, "setting chunks")
            try check(H5Pset_deflate(plist, UInt32(compression.gzipLevel)), file: file.path, object: target, "setting gzip")
        }
        let id = H5Dcreate2(self.id, name, type, space, cellvi_H5P_DEFAULT(), plist, cellvi_H5P_DEFAULT())
        try check(id, file: file.path, object: target, "creating the dataset")
        return HDF5Dataset(file: file, ownedID: id, path: target)
    }
}

/// Chunks of roughly 256 KiB: whole rows along the first axis.
func chunkShape(_ shape: [Int], elementSize: Int) -> [Int] {
    let rowElements = shape.dropFirst().reduce(1, *)
    let targetRows = max(1, (256 * 1024) / max(1, rowElements * elementSize))
    return [max(1, min(shape[0], targetRows))] + shape.dropFirst().map { max(1, $0) }
}
