import CHDF5
import Foundation

/// An open HDF5 dataset: shape, element type and typed reads.
public final class HDF5Dataset: HDF5Object {
    public let file: HDF5File
    public let path: String
    public let id: hid_t

    init(file: HDF5File, parent: hid_t, name: String, path: String) throws {
        self.file = file
        self.path = path
        let id = H5Dopen2(parent, name, cellvi_H5P_DEFAULT())
        try check(id, file: file.path, object: path, "opening the dataset")
        self.id = id
    }

    init(file: HDF5File, ownedID: hid_t, path: String) {
        self.file = file; self.id = ownedID; self.path = path
    }

    deinit { H5Dclose(id) }

    /// Dimensions; `[]` for a scalar dataset.
    public var shape: [Int] {
        get throws {
            let space = try check(H5Dget_space(id), file: file.path, object: path, "reading the dataspace")
            defer { H5Sclose(space) }
            return try dataspaceShape(space, file: file.path, object: path)
        }
    }

    /// Number of elements (1 for a scalar).
    public var elementCount: Int {
        get throws { try shape.reduce(1, *) }
    }

    /// What each element is.
    public var elementType: HDF5ElementType {
        get throws {
            let type = try check(H5Dget_type(id), file: file.path, object: path, "reading the type")
            defer { H5Tclose(type) }
            return HDF5ElementType(typeID: type)
        }
    }

    /// Names of the compression/transform filters on the dataset, e.g. `["deflate"]`.
    public func filterNames() throws -> [String] {
        try filters().map(\.name)
    }

    /// Throws `unavailableFilter` when a filter on this dataset cannot be decoded here.
    public func checkFiltersReadable() throws {
        for filter in try filters() where H5Zfilter_avail(filter.id) <= 0 {
            _ = HDF5Library.takeErrorStack()
            throw HDF5Error.unavailableFilter(file: file.path, object: path, filter: filter.name)
        }
    }

    /// The filter pipeline: each filter's id and name (h5py's `lzf`, id 32000, carries no name).
    private func filters() throws -> [(id: H5Z_filter_t, name: String)] {
        let plist = try check(H5Dget_create_plist(id), file: file.path, object: path, "reading creation properties")
        defer { H5Pclose(plist) }
        return (0..<max(0, H5Pget_nfilters(plist))).map { i in
            var flags: UInt32 = 0
            var elementCount = 0
            var config: UInt32 = 0
            var name = [CChar](repeating: 0, count: 256)
            let filter = H5Pget_filter2(plist, UInt32(i), &flags, &elementCount, nil, name.count, &name, &config)
            let label = filter == 32000 ? "lzf" : (String(cString: name).isEmpty ? "filter \(filter)" : String(cString: name))
            return (filter, label)
        }
    }

    /// All elements, converted to `T` (row-major).
    public func read<T: HDF5Scalar>(as type: T.Type) throws -> [T] {
        try read(as: type, range: nil)
    }

    /// Elements `range` of a one-dimensional dataset (or all when `range` is nil), converted to `T`.
    public func read<T: HDF5Scalar>(as type: T.Type, range: Range<Int>?) throws -> [T] {
        try checkFiltersReadable()
        let elementType = try self.elementType
        guard elementType.isNumeric else {
            throw HDF5Error.unexpectedType(file: file.path, object: path, expected: "numbers", found: elementType.description)
        }
        let total = try elementCount
        let count = range?.count ?? total
        if let range, range.lowerBound < 0 || range.upperBound > total {
            throw HDF5Error.callFailed(file: file.path, object: path, operation: "reading elements \(range)",
                                       detail: "the dataset has only \(total) elements")
        }
        if count == 0 { return [] }
        if case .enumeration = elementType {
            // HDF5 does not convert enums to integers: read the enum's native form and widen.
            let stored = try readRawEnumeration(range: range, count: count)
            return stored.map { T.fromInt64($0) }
        }
        // Filled straight from HDF5 (a generic `[T](repeating:count:)` would copy element by element).
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let bytes = UnsafeMutableRawBufferPointer(buffer)
            if range == nil {
                try read(as: T.self, into: bytes)
            } else {
                try withSelection(range: range) { memSpace, fileSpace in
                    try check(H5Dread(id, T.nativeType, memSpace, fileSpace, cellvi_H5P_DEFAULT(), bytes.baseAddress),
                              file: file.path, object: path, "reading \(count) values")
                }
            }
            initialized = count
        }
    }

    /// Reads every element converted to `T` into `buffer` (exactly `elementCount` elements of `T`),
    /// e.g. to convert in place afterwards without a second array.
    public func read<T: HDF5Scalar>(as type: T.Type, into buffer: UnsafeMutableRawBufferPointer) throws {
        try checkFiltersReadable()
        let count = try elementCount
        precondition(buffer.count == count * MemoryLayout<T>.stride, "read(into:): buffer size does not match \(path)")
        if count == 0 { return }
        if try storesExactly(T.self),
           try HDF5ParallelChunkReader(dataset: self, threads: HDF5Dataset.decompressionThreads)
               .read(into: buffer, elementSize: MemoryLayout<T>.stride) {
            return
        }
        try check(H5Dread(id, T.nativeType, cellvi_H5S_ALL(), cellvi_H5S_ALL(), cellvi_H5P_DEFAULT(), buffer.baseAddress),
                  file: file.path, object: path, "reading \(count) values")
    }

    /// Cores used to inflate gzip chunks (see `HDF5ParallelChunkReader`).
    public static var decompressionThreads = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Whether the stored element type is exactly `T`'s native type (same size, sign and byte order),
    /// so stored bytes can be used as they are.
    public func storesExactly<T: HDF5Scalar>(_ type: T.Type) throws -> Bool {
        let fileType = try check(H5Dget_type(id), file: file.path, object: path, "reading the type")
        defer { H5Tclose(fileType) }
        return H5Tequal(fileType, T.nativeType) > 0
    }

    private func readRawEnumeration(range: Range<Int>?, count: Int) throws -> [Int64] {
        let fileType = try check(H5Dget_type(id), file: file.path, object: path, "reading the type")
        defer { H5Tclose(fileType) }
        let memType = try check(H5Tget_native_type(fileType, H5T_DIR_ASCEND), file: file.path, object: path, "reading the type")
        defer { H5Tclose(memType) }
        let size = H5Tget_size(memType)
        var bytes = [UInt8](repeating: 0, count: count * size)
        try withSelection(range: range) { memSpace, fileSpace in
            try check(H5Dread(id, memType, memSpace, fileSpace, cellvi_H5P_DEFAULT(), &bytes),
                      file: file.path, object: path, "reading \(count) values")
        }
        return littleEndianIntegers(bytes, size: size)
    }

    /// Rows `rows` (along the first axis) of a dataset of any rank, converted to `T`, row-major.
    public func read<T: HDF5Scalar>(as type: T.Type, rows: Range<Int>) throws -> [T] {
        try checkFiltersReadable()
        let shape = try self.shape
        guard let first = shape.first, rows.lowerBound >= 0, rows.upperBound <= first else {
            throw HDF5Error.callFailed(file: file.path, object: path, operation: "reading rows \(rows)",
                                       detail: "the dataset has shape \(try self.shape)")
        }
        let rowElements = shape.dropFirst().reduce(1, *)
        let total = rows.count * rowElements
        if total == 0 { return [] }
        let fileSpace = try check(H5Dget_space(id), file: file.path, object: path, "reading the dataspace")
        defer { H5Sclose(fileSpace) }
        var start = [hsize_t(rows.lowerBound)] + shape.dropFirst().map { _ in hsize_t(0) }
        var count = [hsize_t(rows.count)] + shape.dropFirst().map { hsize_t($0) }
        try check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil),
                  file: file.path, object: path, "selecting rows \(rows)")
        let memSpace = try check(H5Screate_simple(Int32(count.count), &count, nil), file: file.path, object: path, "creating a dataspace")
        defer { H5Sclose(memSpace) }
        return try [T](unsafeUninitializedCapacity: total) { buffer, initialized in
            try check(H5Dread(id, T.nativeType, memSpace, fileSpace, cellvi_H5P_DEFAULT(), buffer.baseAddress),
                      file: file.path, object: path, "reading rows \(rows)")
            initialized = total
        }
    }

    /// Runs `body` with memory and file dataspaces selecting `range` (or everything).
    private func withSelection(range: Range<Int>?, _ body: (hid_t, hid_t) throws -> Void) throws {
        guard let range else { return try body(cellvi_H5S_ALL(), cellvi_H5S_ALL()) }
        let fileSpace = try check(H5Dget_space(id), file: file.path, object: path, "reading the dataspace")
        defer { H5Sclose(fileSpace) }
        var start = [hsize_t(range.lowerBound)], count = [hsize_t(range.count)]
        try check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil),
                  file: file.path, object: path, "selecting elements \(range)")
        let memSpace = try check(H5Screate_simple(1, &count, nil), file: file.path, object: path, "creating a dataspace")
        defer { H5Sclose(memSpace) }
        try body(memSpace, fileSpace)
    }

    /// All elements as strings (variable- or fixed-length, any padding).
    public func readStrings() throws -> [String] {
        try checkFiltersReadable()
        let fileType = try check(H5Dget_type(id), file: file.path, object: path, "reading the type")
        defer { H5Tclose(fileType) }
        let space = try check(H5Dget_space(id), file: file.path, object: path, "reading the dataspace")
        defer { H5Sclose(space) }
        return try readStringElements(fileType: fileType, space: space, count: try elementCount,
                                      file: file.path, object: path) { memType, buffer in
            H5Dread(id, memType, cellvi_H5S_ALL(), cellvi_H5S_ALL(), cellvi_H5P_DEFAULT(), buffer)
        }
    }

    /// One field of a compound (record) dataset, converted to `T` — the pre-0.7 anndata obs/var layout.
    public func readCompoundField<T: HDF5Scalar>(_ field: String, as type: T.Type) throws -> [T] {
        let count = try elementCount
        var values = [T](repeating: T(), count: count)
        guard count > 0 else { return values }
        let memType = try compoundMemType(field: field, memberType: T.nativeType, size: MemoryLayout<T>.stride)
        defer { H5Tclose(memType) }
        _ = try values.withUnsafeMutableBytes { buffer in
            try check(H5Dread(id, memType, cellvi_H5S_ALL(), cellvi_H5S_ALL(), cellvi_H5P_DEFAULT(), buffer.baseAddress),
                      file: file.path, object: "\(path)[\(field)]", "reading the field")
        }
        return values
    }

    /// One string field of a compound (record) dataset.
    public func readCompoundStringField(_ field: String) throws -> [String] {
        let fileType = try check(H5Dget_type(id), file: file.path, object: path, "reading the type")
        defer { H5Tclose(fileType) }
        let index = H5Tget_member_index(fileType, field)
        if index < 0 { _ = HDF5Library.takeErrorStack(); throw HDF5Error.missingObject(file: file.path, object: "\(path)[\(field)]") }
        let memberType = try check(H5Tget_member_type(fileType, UInt32(index)), file: file.path, object: path, "reading a field type")
        defer { H5Tclose(memberType) }
        guard H5Tget_class(memberType) == H5T_STRING else {
            throw HDF5Error.unexpectedType(file: file.path, object: "\(path)[\(field)]", expected: "strings",
                                           found: HDF5ElementType(typeID: memberType).description)
        }
        let space = try check(H5Dget_space(id), file: file.path, object: path, "reading the dataspace")
        defer { H5Sclose(space) }
        let stringType = try check(H5Tcopy(memberType), file: file.path, object: path, "copying a type")
        defer { H5Tclose(stringType) }
        return try readStringElements(fileType: stringType, space: space, count: try elementCount,
                                      file: file.path, object: "\(path)[\(field)]") { memType, buffer in
            let size = H5Tget_size(memType)
            let wrapper = H5Tcreate(H5T_COMPOUND, size)
            defer { H5Tclose(wrapper) }
            H5Tinsert(wrapper, field, 0, memType)
            return H5Dread(id, wrapper, cellvi_H5S_ALL(), cellvi_H5S_ALL(), cellvi_H5P_DEFAULT(), buffer)
        }
    }

    /// Field names and element types of a compound (record) dataset, in stored order.
    public func compoundFields() throws -> [(name: String, type: HDF5ElementType)] {
        let fileType = try check(H5Dget_type(id), file: file.path, object: path, "reading the type")
        defer { H5Tclose(fileType) }
        guard H5Tget_class(fileType) == H5T_COMPOUND else { return [] }
        var fields: [(String, HDF5ElementType)] = []
        for i in 0..<max(0, Int(H5Tget_nmembers(fileType))) {
            guard let name = H5Tget_member_name(fileType, UInt32(i)) else { continue }
            let fieldName = String(cString: name)
            H5free_memory(name)
            let memberType = try check(H5Tget_member_type(fileType, UInt32(i)), file: file.path, object: path, "reading a field type")
            fields.append((fieldName, HDF5ElementType(typeID: memberType)))
            H5Tclose(memberType)
        }
        return fields
    }

    private func compoundMemType(field: String, memberType: hid_t, size: Int) throws -> hid_t {
        let fileType = try check(H5Dget_type(id), file: file.path, object: path, "reading the type")
        defer { H5Tclose(fileType) }
        if H5Tget_member_index(fileType, field) < 0 {
            _ = HDF5Library.takeErrorStack()
            throw HDF5Error.missingObject(file: file.path, object: "\(path)[\(field)]")
        }
        let memType = try check(H5Tcreate(H5T_COMPOUND, size), file: file.path, object: path, "creating a type")
        try check(H5Tinsert(memType, field, 0, memberType), file: file.path, object: path, "creating a type")
        return memType
    }
}

extension HDF5Scalar {
    static func fromInt64(_ value: Int64) -> Self {
        switch Self.self {
        case is Float.Type: return Float(value) as! Self
        case is Double.Type: return Double(value) as! Self
        case is Int8.Type: return Int8(truncatingIfNeeded: value) as! Self
        case is UInt8.Type: return UInt8(truncatingIfNeeded: value) as! Self
        case is Int16.Type: return Int16(truncatingIfNeeded: value) as! Self
        case is Int32.Type: return Int32(truncatingIfNeeded: value) as! Self
        case is UInt32.Type: return UInt32(truncatingIfNeeded: value) as! Self
        case is UInt64.Type: return UInt64(truncatingIfNeeded: value) as! Self
        default: return value as! Self
        }
    }
}

/// Little-endian signed integers of `size` bytes each.
func littleEndianIntegers(_ bytes: [UInt8], size: Int) -> [Int64] {
    stride(from: 0, to: bytes.count, by: size).map { start in
        var value: Int64 = 0
        for b in (0..<size).reversed() { value = (value << 8) | Int64(bytes[start + b]) }
        let shift = 64 - 8 * size
        return shift > 0 ? (value << shift) >> shift : value
    }
}

/// Dimensions of a dataspace.
func dataspaceShape(_ space: hid_t, file: String, object: String) throws -> [Int] {
    let rank = try check(H5Sget_simple_extent_ndims(space), file: file, object: object, "reading the rank")
    if rank == 0 { return H5Sget_simple_extent_type(space) == H5S_NULL ? [0] : [] }
    var dims = [hsize_t](repeating: 0, count: Int(rank))
    try check(H5Sget_simple_extent_dims(space, &dims, nil), file: file, object: object, "reading the dimensions")
    return dims.map { Int($0) }
}

/// Reads `count` string elements of `fileType` through `read(memType, buffer)`, handling both
/// variable-length strings (HDF5 allocates, we reclaim) and fixed-length ones (NUL/space padded).
func readStringElements(fileType: hid_t, space: hid_t, count: Int, file: String, object: String,
                        read: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String] {
    guard H5Tget_class(fileType) == H5T_STRING else {
        throw HDF5Error.unexpectedType(file: file, object: object, expected: "strings",
                                       found: HDF5ElementType(typeID: fileType).description)
    }
    if count == 0 { return [] }
    let memType = try check(H5Tcopy(fileType), file: file, object: object, "copying a type")
    defer { H5Tclose(memType) }
    if H5Tis_variable_str(fileType) > 0 {
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        _ = try pointers.withUnsafeMutableBytes { buffer in
            try check(read(memType, buffer.baseAddress!), file: file, object: object, "reading \(count) strings")
        }
        let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
        pointers.withUnsafeMutableBytes { buffer in _ = cellvi_reclaim_vlen(memType, space, buffer.baseAddress) }
        return strings
    }
    let size = H5Tget_size(fileType)
    let padding = H5Tget_strpad(fileType)
    var bytes = [UInt8](repeating: 0, count: count * size)
    _ = try bytes.withUnsafeMutableBytes { buffer in
        try check(read(memType, buffer.baseAddress!), file: file, object: object, "reading \(count) strings")
    }
    return (0..<count).map { i in
        var slice = bytes[(i * size)..<((i + 1) * size)]
        if let nul = slice.firstIndex(of: 0) { slice = slice[slice.startIndex..<nul] }
        if padding == H5T_STR_SPACEPAD { while slice.last == 0x20 { slice = slice.dropLast() } }
        return String(decoding: slice, as: UTF8.self)
    }
}
