import CHDF5

/// A Swift number type with an HDF5 native memory type, so reads convert on the fly.
public protocol HDF5Scalar {
    static var nativeType: hid_t { get }
    init()
}

extension Float: HDF5Scalar { public static var nativeType: hid_t { cellvi_H5T_NATIVE_FLOAT() } }
extension Double: HDF5Scalar { public static var nativeType: hid_t { cellvi_H5T_NATIVE_DOUBLE() } }
extension Int8: HDF5Scalar { public static var nativeType: hid_t { cellvi_H5T_NATIVE_INT8() } }
extension UInt8: HDF5Scalar { public static var nativeType: hid_t { cellvi_H5T_NATIVE_UINT8() } }
extension Int16: HDF5Scalar { public static var nativeType: hid_t { cellvi_H5T_NATIVE_INT16() } }
extension Int32: HDF5Scalar { public static var nativeType: hid_t { cellvi_H5T_NATIVE_INT32() } }
extension UInt32: HDF5Scalar { public static var nativeType: hid_t { cellvi_H5T_NATIVE_UINT32() } }
extension Int64: HDF5Scalar { public static var nativeType: hid_t { cellvi_H5T_NATIVE_INT64() } }
extension UInt64: HDF5Scalar { public static var nativeType: hid_t { cellvi_H5T_NATIVE_UINT64() } }

/// What a dataset or attribute stores per element, as far as readers need to know.
public enum HDF5ElementType: Equatable, CustomStringConvertible {
    case integer(bytes: Int, signed: Bool)
    case float(bytes: Int)
    case string(variableLength: Bool)
    /// An HDF5 enum, as h5py stores `bool` (FALSE = 0, TRUE = 1).
    case enumeration(bytes: Int)
    case compound(memberNames: [String])
    case objectReference
    case other(String)

    public var description: String {
        switch self {
        case .integer(let b, let s): return "\(s ? "int" : "uint")\(b * 8)"
        case .float(let b): return "float\(b * 8)"
        case .string(let v): return v ? "variable-length string" : "fixed-length string"
        case .enumeration: return "bool"
        case .compound: return "compound"
        case .objectReference: return "object reference"
        case .other(let s): return s
        }
    }

    public var isNumeric: Bool {
        switch self {
        case .integer, .float, .enumeration: return true
        default: return false
        }
    }

    /// Describes an HDF5 type id (not closed here).
    init(typeID: hid_t) {
        let size = H5Tget_size(typeID)
        switch H5Tget_class(typeID) {
        case H5T_INTEGER: self = .integer(bytes: size, signed: H5Tget_sign(typeID) != H5T_SGN_NONE)
        case H5T_FLOAT: self = .float(bytes: size)
        case H5T_STRING: self = .string(variableLength: H5Tis_variable_str(typeID) > 0)
        case H5T_ENUM: self = .enumeration(bytes: size)
        case H5T_REFERENCE: self = .objectReference
        case H5T_COMPOUND:
            let count = max(0, Int(H5Tget_nmembers(typeID)))
            var names: [String] = []
            for i in 0..<count {
                if let name = H5Tget_member_name(typeID, UInt32(i)) {
                    names.append(String(cString: name)); H5free_memory(name)
                }
            }
            self = .compound(memberNames: names)
        case H5T_BITFIELD: self = .other("bitfield")
        case H5T_OPAQUE: self = .other("opaque")
        case H5T_ARRAY: self = .other("array")
        case H5T_VLEN: self = .other("variable-length sequence")
        default: self = .other("unknown type")
        }
    }
}
