import CHDF5

extension HDF5Group {
    /// Writes one boolean as a 0-d dataset of h5py's bool type (an int8 enum FALSE/TRUE),
    /// as anndata stores a `numeric-scalar` bool in `uns`.
    @discardableResult
    public func writeBoolean(_ name: String, _ value: Bool) throws -> HDF5Dataset {
        let target = childPath(name)
        let type = try makeBooleanType(file: file.path, object: target)
        defer { H5Tclose(type) }
        let space = try check(H5Screate(H5S_SCALAR), file: file.path, object: target, "creating a dataspace")
        defer { H5Sclose(space) }
        let id = H5Dcreate2(self.id, name, type, space, cellvi_H5P_DEFAULT(), cellvi_H5P_DEFAULT(), cellvi_H5P_DEFAULT())
        try check(id, file: file.path, object: target, "creating the dataset")
        let dataset = HDF5Dataset(file: file, ownedID: id, path: target)
        var byte: Int8 = value ? 1 : 0
        try check(H5Dwrite(id, type, cellvi_H5S_ALL(), cellvi_H5S_ALL(), cellvi_H5P_DEFAULT(), &byte),
                  file: file.path, object: target, "writing")
        return dataset
    }
}
