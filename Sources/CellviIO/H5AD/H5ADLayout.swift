import CellviHDF5

/// Which generation of the AnnData on-disk format a file uses.
public enum H5ADLayout: Equatable, CustomStringConvertible {
    /// anndata ≥ 0.8: every element carries `encoding-type` / `encoding-version`.
    case current(version: String)
    /// anndata 0.7: dataframe 0.1.0, categoricals as codes with an object reference to their categories.
    case anndata07
    /// before anndata 0.7: obs/var as compound datasets, categories in `uns/<col>_categories`.
    case legacy

    public var description: String {
        switch self {
        case .current(let v): return "anndata ≥ 0.8 (encoding \(v))"
        case .anndata07: return "anndata 0.7 (dataframe 0.1.0)"
        case .legacy: return "anndata < 0.7 (compound obs/var)"
        }
    }

    static func detect(root: HDF5Group) throws -> H5ADLayout {
        if let type = try root.attribute("encoding-type")?.stringValue, type == "anndata" {
            return .current(version: try root.attribute("encoding-version")?.stringValue ?? "0.1.0")
        }
        if root.kind(of: "obs") == .dataset { return .legacy }
        return .anndata07
    }
}

/// The `encoding-type` of an element, or nil when it has none.
func encodingType(of object: HDF5Object) throws -> String? {
    try object.attribute("encoding-type")?.stringValue
}
