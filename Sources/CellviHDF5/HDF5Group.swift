import CHDF5

/// What a link inside a group points to.
public enum HDF5ObjectKind: Equatable {
    case group, dataset, other
}

/// An open HDF5 group.
public final class HDF5Group: HDF5Object {
    public let file: HDF5File
    public let path: String
    public let id: hid_t

    init(file: HDF5File, parent: hid_t, name: String, path: String) throws {
        self.file = file
        self.path = path
        let id = H5Gopen2(parent, name, cellvi_H5P_DEFAULT())
        if id < 0 {
            _ = HDF5Library.takeErrorStack()
            throw HDF5Error.unexpectedType(file: file.path, object: path, expected: "a group", found: "something else")
        }
        self.id = id
    }

    init(file: HDF5File, ownedID: hid_t, path: String) {
        self.file = file; self.id = ownedID; self.path = path
    }

    deinit { H5Gclose(id) }

    /// Whether a link `name` (a relative path, may contain `/`) exists below this group.
    public func contains(_ name: String) -> Bool {
        var prefix = ""
        for component in name.split(separator: "/") {
            prefix += (prefix.isEmpty ? "" : "/") + component
            if H5Lexists(id, prefix, cellvi_H5P_DEFAULT()) <= 0 { _ = HDF5Library.takeErrorStack(); return false }
            if kind(of: prefix) == nil { return false }
        }
        return !prefix.isEmpty
    }

    /// The kind of object at `name`, or nil if it does not exist or cannot be resolved (e.g. a dangling link).
    public func kind(of name: String) -> HDF5ObjectKind? {
        let object = H5Oopen(id, name, cellvi_H5P_DEFAULT())
        if object < 0 { _ = HDF5Library.takeErrorStack(); return nil }
        defer { H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// Names of the links directly inside this group, in name order.
    public func childNames() throws -> [String] {
        var info = H5G_info_t()
        try check(H5Gget_info(id, &info), file: file.path, object: path, "listing the group")
        var names: [String] = []
        for i in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, cellvi_H5P_DEFAULT())
            try check(length, file: file.path, object: path, "reading a link name")
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            try check(H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, cellvi_H5P_DEFAULT()),
                      file: file.path, object: path, "reading a link name")
            names.append(String(cString: buffer))
        }
        return names
    }

    /// Opens the group at the relative path `name`.
    public func group(_ name: String) throws -> HDF5Group {
        try HDF5Group(file: file, parent: id, name: name, path: try existingChild(name, of: .group))
    }

    /// Opens the dataset at the relative path `name`.
    public func dataset(_ name: String) throws -> HDF5Dataset {
        try HDF5Dataset(file: file, parent: id, name: name, path: try existingChild(name, of: .dataset))
    }

    /// The absolute path of child `name`, after checking that it exists and is of `kind`.
    private func existingChild(_ name: String, of kind: HDF5ObjectKind) throws -> String {
        let target = childPath(name)
        guard contains(name) else { throw HDF5Error.missingObject(file: file.path, object: target) }
        guard self.kind(of: name) == kind else {
            throw HDF5Error.unexpectedType(file: file.path, object: target, expected: kind == .group ? "a group" : "a dataset",
                                           found: kind == .group ? "a dataset" : "a group")
        }
        return target
    }

    /// Creates a child group.
    @discardableResult
    public func createGroup(_ name: String) throws -> HDF5Group {
        let target = childPath(name)
        let gid = H5Gcreate2(id, name, cellvi_H5P_DEFAULT(), cellvi_H5P_DEFAULT(), cellvi_H5P_DEFAULT())
        try check(gid, file: file.path, object: target, "creating the group")
        return HDF5Group(file: file, ownedID: gid, path: target)
    }
}
