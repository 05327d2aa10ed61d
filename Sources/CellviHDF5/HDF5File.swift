import CHDF5
import Foundation

/// An open HDF5 file. Closed when the last reference (including its groups and datasets) goes away.
public final class HDF5File {
    public let path: String
    let id: hid_t

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
    }

    deinit { H5Fclose(id) }

    /// Opens an existing file read-only.
    public static func open(path: String) throws -> HDF5File {
        HDF5Library.quiet
        guard FileManager.default.fileExists(atPath: path) else { throw HDF5Error.fileNotFound(file: path) }
        let isHDF5 = H5Fis_hdf5(path)
        if isHDF5 <= 0 {
            let stack = HDF5Library.takeErrorStack()
            throw HDF5Error.notHDF5(file: path, detail: isHDF5 == 0 ? "no HDF5 signature" : stack)
        }
        let id = H5Fopen(path, cellvi_H5F_ACC_RDONLY(), cellvi_H5P_DEFAULT())
        if id < 0 { throw HDF5Error.notHDF5(file: path, detail: HDF5Library.takeErrorStack()) }
        return HDF5File(path: path, id: id)
    }

    /// Creates (or truncates) a file for writing.
    public static func create(path: String) throws -> HDF5File {
        HDF5Library.quiet
        let id = H5Fcreate(path, cellvi_H5F_ACC_TRUNC(), cellvi_H5P_DEFAULT(), cellvi_H5P_DEFAULT())
        try check(id, file: path, object: "/", "creating the file")
        return HDF5File(path: path, id: id)
    }

    /// The root group `/`.
    public var root: HDF5Group {
        get throws { try HDF5Group(file: self, parent: id, name: "/", path: "/") }
    }

    /// Flushes buffered writes to disk.
    public func flush() throws {
        try check(H5Fflush(id, H5F_SCOPE_GLOBAL), file: path, object: "/", "flushing")
    }
}

/// Anything that owns an HDF5 object id and can carry attributes: groups and datasets.
public protocol HDF5Object: AnyObject {
    var file: HDF5File { get }
    /// Absolute path inside the file, e.g. `/obs/cell_type/codes`.
    var path: String { get }
    var id: hid_t { get }
}

extension HDF5Object {
    /// Joins a child name to this object's path.
    func childPath(_ name: String) -> String {
        path == "/" ? "/" + name : path + "/" + name
    }
}
