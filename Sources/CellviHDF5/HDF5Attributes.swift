import CHDF5
import Foundation

/// The value of an attribute, in the shapes anndata and 10x use.
public enum HDF5AttributeValue: Equatable, CustomStringConvertible {
    case string(String)
    case strings([String])
    case int(Int64)
    case ints([Int64])
    case double(Double)
    case doubles([Double])
    case bool(Bool)
    /// An object reference, resolved to the absolute path of the object it points to.
    case reference(String)

    /// The value as a single string, if it is one (a one-element string array counts).
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .strings(let s) where s.count == 1: return s[0]
        default: return nil
        }
    }

    /// The value as integers, if it is numeric (e.g. `shape`).
    public var integerValues: [Int64]? {
        switch self {
        case .int(let v): return [v]
        case .ints(let v): return v
        case .double(let v): return [Int64(v)]
        case .doubles(let v): return v.allSatisfy { $0.isFinite } ? v.map { Int64($0) } : nil
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .strings(let s): return "\(s)"
        case .int(let v): return "\(v)"
        case .ints(let v): return "\(v)"
        case .double(let v): return "\(v)"
        case .doubles(let v): return "\(v)"
        case .bool(let v): return "\(v)"
        case .reference(let p): return "<reference \(p)>"
        }
    }
}

extension HDF5Object {
    /// Whether the attribute exists.
    public func hasAttribute(_ name: String) -> Bool {
        let exists = H5Aexists(id, name)
        if exists < 0 { _ = HDF5Library.takeErrorStack() }
        return exists > 0
    }

    /// Names of all attributes on this object.
    public func attributeNames() throws -> [String] {
        var names: [String] = []
        var index: hsize_t = 0
        _ = try withUnsafeMutablePointer(to: &names) { pointer in
            try check(H5Aiterate2(id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                guard let name, let context else { return 0 }
                context.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
                return 0
            }, pointer), file: file.path, object: path, "listing attributes")
        }
        return names
    }

    /// The attribute's value, or nil when it is absent.
    public func attribute(_ name: String) throws -> HDF5AttributeValue? {
        guard hasAttribute(name) else { return nil }
        let object = "\(path) attribute '\(name)'"
        let attribute = try check(H5Aopen(id, name, cellvi_H5P_DEFAULT()), file: file.path, object: object, "opening")
        defer { H5Aclose(attribute) }
        let type = try check(H5Aget_type(attribute), file: file.path, object: object, "reading the type")
        defer { H5Tclose(type) }
        let space = try check(H5Aget_space(attribute), file: file.path, object: object, "reading the dataspace")
        defer { H5Sclose(space) }
        let shape = try dataspaceShape(space, file: file.path, object: object)
        let count = shape.reduce(1, *)
        let isScalar = shape.isEmpty

        switch HDF5ElementType(typeID: type) {
        case .string:
            let strings = try readStringElements(fileType: type, space: space, count: count, file: file.path, object: object) {
                H5Aread(attribute, $0, $1)
            }
            return isScalar ? .string(strings.first ?? "") : .strings(strings)
        case .integer:
            var values = [Int64](repeating: 0, count: count)
            if count > 0 {
                try check(H5Aread(attribute, Int64.nativeType, &values), file: file.path, object: object, "reading")
            }
            return isScalar ? .int(values[0]) : .ints(values)
        case .float:
            var values = [Double](repeating: 0, count: count)
            if count > 0 {
                try check(H5Aread(attribute, Double.nativeType, &values), file: file.path, object: object, "reading")
            }
            return isScalar ? .double(values[0]) : .doubles(values)
        case .enumeration:
            let memType = try check(H5Tget_native_type(type, H5T_DIR_ASCEND), file: file.path, object: object, "reading the type")
            defer { H5Tclose(memType) }
            var bytes = [UInt8](repeating: 0, count: max(1, count) * H5Tget_size(memType))
            try check(H5Aread(attribute, memType, &bytes), file: file.path, object: object, "reading")
            let values = littleEndianIntegers(bytes, size: H5Tget_size(memType))
            return .bool(values.first.map { $0 != 0 } ?? false)
        case .objectReference:
            var reference = [UInt64](repeating: 0, count: max(1, count))
            try check(H5Aread(attribute, cellvi_H5T_STD_REF_OBJ(), &reference), file: file.path, object: object, "reading")
            let target = cellvi_dereference_object(id, &reference)
            try check(target, file: file.path, object: object, "following the object reference")
            defer { H5Oclose(target) }
            let length = H5Iget_name(target, nil, 0)
            var buffer = [CChar](repeating: 0, count: max(0, length) + 1)
            _ = H5Iget_name(target, &buffer, buffer.count)
            return .reference(String(cString: buffer))
        case let other:
            throw HDF5Error.unexpectedType(file: file.path, object: object, expected: "a string or number", found: other.description)
        }
    }

    /// Writes (or replaces) an attribute. Strings are variable-length UTF-8, as anndata writes them.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue) throws {
        let object = "\(path) attribute '\(name)'"
        if hasAttribute(name) { try check(H5Adelete(id, name), file: file.path, object: object, "replacing") }
        switch value {
        case .string(let s):
            try writeAttributeStrings(name, [s], scalar: true, object: object)
        case .strings(let s):
            try writeAttributeStrings(name, s, scalar: false, object: object)
        case .int(let v):
            try writeAttributeNumbers(name, [v], scalar: true, object: object)
        case .ints(let v):
            try writeAttributeNumbers(name, v, scalar: false, object: object)
        case .double(let v):
            try writeAttributeNumbers(name, [v], scalar: true, object: object)
        case .doubles(let v):
            try writeAttributeNumbers(name, v, scalar: false, object: object)
        case .bool(let v):
            let type = try makeBooleanType(file: file.path, object: object)
            defer { H5Tclose(type) }
            let space = try check(H5Screate(H5S_SCALAR), file: file.path, object: object, "creating a dataspace")
            defer { H5Sclose(space) }
            let attribute = try check(H5Acreate2(id, name, type, space, cellvi_H5P_DEFAULT(), cellvi_H5P_DEFAULT()),
                                      file: file.path, object: object, "creating")
            defer { H5Aclose(attribute) }
            var byte: Int8 = v ? 1 : 0
            try check(H5Awrite(attribute, type, &byte), file: file.path, object: object, "writing")
        case .reference:
            throw HDF5Error.unexpectedType(file: file.path, object: object, expected: "a writable value", found: "a reference")
        }
    }

    private func writeAttributeNumbers<T: HDF5Scalar>(_ name: String, _ values: [T], scalar: Bool, object: String) throws {
        var dims = [hsize_t(values.count)]
        let space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil)
        try check(space, file: file.path, object: object, "creating a dataspace")
        defer { H5Sclose(space) }
        let attribute = try check(H5Acreate2(id, name, T.nativeType, space, cellvi_H5P_DEFAULT(), cellvi_H5P_DEFAULT()),
                                  file: file.path, object: object, "creating")
        defer { H5Aclose(attribute) }
        if values.isEmpty { return }
        _ = try values.withUnsafeBytes { buffer in
            try check(H5Awrite(attribute, T.nativeType, buffer.baseAddress), file: file.path, object: object, "writing")
        }
    }

    private func writeAttributeStrings(_ name: String, _ values: [String], scalar: Bool, object: String) throws {
        let type = try makeVariableStringType(file: file.path, object: object)
        defer { H5Tclose(type) }
        var dims = [hsize_t(values.count)]
        let space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil)
        try check(space, file: file.path, object: object, "creating a dataspace")
        defer { H5Sclose(space) }
        let attribute = try check(H5Acreate2(id, name, type, space, cellvi_H5P_DEFAULT(), cellvi_H5P_DEFAULT()),
                                  file: file.path, object: object, "creating")
        defer { H5Aclose(attribute) }
        if values.isEmpty { return }
        _ = try withCStringArray(values) { pointers in
            try check(H5Awrite(attribute, type, pointers), file: file.path, object: object, "writing")
        }
    }
}

/// A variable-length UTF-8 string type (caller closes).
func makeVariableStringType(file: String, object: String) throws -> hid_t {
    let type = try check(H5Tcopy(cellvi_H5T_C_S1()), file: file, object: object, "creating a string type")
    try check(H5Tset_size(type, cellvi_H5T_VARIABLE()), file: file, object: object, "creating a string type")
    try check(H5Tset_cset(type, H5T_CSET_UTF8), file: file, object: object, "creating a string type")
    return type
}

/// h5py's boolean type: an int8 enum with FALSE = 0 and TRUE = 1 (caller closes).
func makeBooleanType(file: String, object: String) throws -> hid_t {
    let type = try check(H5Tenum_create(cellvi_H5T_NATIVE_INT8()), file: file, object: object, "creating a bool type")
    var no: Int8 = 0, yes: Int8 = 1
    try check(H5Tenum_insert(type, "FALSE", &no), file: file, object: object, "creating a bool type")
    try check(H5Tenum_insert(type, "TRUE", &yes), file: file, object: object, "creating a bool type")
    return type
}

/// Calls `body` with a C array of NUL-terminated copies of `strings`, valid for the call.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafeRawPointer) throws -> R) rethrows -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return try copies.withUnsafeBytes { try body($0.baseAddress!) }
}
