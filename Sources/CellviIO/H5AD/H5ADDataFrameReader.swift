import CellviHDF5

/// Reads obs/var dataframes in all three layouts: group dataframes (anndata ≥ 0.7, with
/// categoricals as groups or as codes referencing `__categories`) and compound records (< 0.7).
struct H5ADDataFrameReader {
    let fileName: String

    func read(root: HDF5Group, name: String) throws -> DataFrame {
        switch root.kind(of: name) {
        case .group?: return try readGroup(try root.group(name), key: name)
        case .dataset?: return try readCompound(try root.dataset(name), root: root, key: name)
        default:
            throw CellviIOError.invalid(file: fileName, key: name, problem: "missing; every .h5ad has obs and var",
                                        fix: "The file is incomplete or not an AnnData file; re-export it with anndata.")
        }
    }

    // MARK: Group dataframes (anndata ≥ 0.7)

    private func readGroup(_ group: HDF5Group, key: String) throws -> DataFrame {
        if let encoding = try encodingType(of: group), encoding != "dataframe" {
            throw CellviIOError.unknownEncoding(file: fileName, key: key, encoding: encoding)
        }
        let indexName = try group.attribute("_index")?.stringValue ?? "_index"
        guard group.contains(indexName) else {
            throw CellviIOError.invalid(file: fileName, key: "\(key)/\(indexName)", problem: "the dataframe index is missing",
                                        fix: "Re-save the file with anndata.")
        }
        let index = try group.dataset(indexName).readStrings()
        var names: [String]
        if case .strings(let order)? = try group.attribute("column-order") {
            names = order
        } else if case .string(let one)? = try group.attribute("column-order") {
            names = [one]
        } else if try group.attribute("column-order") != nil {
            names = []  // an empty frame writes an empty float array
        } else {
            names = try group.childNames().filter { $0 != indexName && $0 != "__categories" }
        }
        var frame = DataFrame(index: index, indexName: indexName)
        for name in names {
            let columnKey = "\(key)/\(name)"
            guard group.contains(name) else {
                throw CellviIOError.invalid(file: fileName, key: columnKey, problem: "listed in column-order but absent",
                                            fix: "Re-save the file with anndata.")
            }
            let values = try readColumn(group, name: name, key: columnKey)
            guard values.count == index.count else {
                throw CellviIOError.invalid(file: fileName, key: columnKey,
                                            problem: "has \(values.count) rows, the index has \(index.count)",
                                            fix: "The dataframe is inconsistent; re-export it.")
            }
            frame[name] = values
        }
        return frame
    }

    private func readColumn(_ group: HDF5Group, name: String, key: String) throws -> ColumnValues {
        if group.kind(of: name) == .group {
            let column = try group.group(name)
            let encoding = try encodingType(of: column) ?? ""
            switch encoding {
            case "categorical":
                let codes = try column.dataset("codes").read(as: Int32.self)
                let categories = try readCategories(try column.dataset("categories"))
                let ordered: Bool
                switch try column.attribute("ordered") {
                case .bool(let b)?: ordered = b
                case .int(let i)?: ordered = i != 0
                default: ordered = false
                }
                return try checkedCategorical(codes: codes, categories: categories, ordered: ordered, key: key)
            case "nullable-integer":
                let values = try column.dataset("values").read(as: Int64.self)
                let mask = try readMask(column, count: values.count, key: key)
                return .nullableIntegers(zip(values, mask).map { $1 ? nil : $0 })
            case "nullable-boolean":
                let values = try column.dataset("values").read(as: Int8.self)
                let mask = try readMask(column, count: values.count, key: key)
                return .nullableBooleans(zip(values, mask).map { $1 ? nil : $0 != 0 })
            case "nullable-string-array":
                let values = try column.dataset("values").readStrings()
                let mask = try readMask(column, count: values.count, key: key)
                return .strings(zip(values, mask).map { $1 ? nil : $0 })
            default:
                throw CellviIOError.unknownEncoding(file: fileName, key: key, encoding: encoding.isEmpty ? "(none)" : encoding)
            }
        }
        let dataset = try group.dataset(name)
        if case .reference(let categoriesPath)? = try dataset.attribute("categories") {
            // anndata 0.7: codes with a reference to obs/__categories/<col>.
            let categories = try readCategories(try dataset.file.root.dataset(String(categoriesPath.dropFirst())))
            let codes = try dataset.read(as: Int32.self)
            let ordered = (try dataset.attribute("ordered")).map { $0 == .bool(true) || $0 == .int(1) } ?? false
            return try checkedCategorical(codes: codes, categories: categories, ordered: ordered, key: key)
        }
        if let encoding = try encodingType(of: dataset), !["array", "string-array"].contains(encoding) {
            throw CellviIOError.unknownEncoding(file: fileName, key: key, encoding: encoding)
        }
        return try readPlainColumn(dataset, key: key)
    }

    private func readPlainColumn(_ dataset: HDF5Dataset, key: String) throws -> ColumnValues {
        switch try dataset.elementType {
        case .string: return .strings(try dataset.readStrings().map { Optional($0) })
        case .enumeration: return .booleans(try dataset.read(as: Int8.self).map { $0 != 0 })
        case .integer: return .integers(try dataset.read(as: Int64.self))
        case .float: return .doubles(try dataset.read(as: Double.self))
        case let other:
            throw CellviIOError.invalid(file: fileName, key: key, problem: "a column of \(other), which cellvi cannot read",
                                        fix: "Convert the column to strings, numbers or a categorical.")
        }
    }

    private func readMask(_ column: HDF5Group, count: Int, key: String) throws -> [Bool] {
        let mask = try column.dataset("mask").read(as: Int8.self).map { $0 != 0 }
        guard mask.count == count else {
            throw CellviIOError.invalid(file: fileName, key: key + "/mask", problem: "has \(mask.count) entries, values have \(count)",
                                        fix: "The column is inconsistent; re-export it.")
        }
        return mask
    }

    /// Category labels as text (numeric categories are formatted as pandas prints them).
    private func readCategories(_ dataset: HDF5Dataset) throws -> [String] {
        switch try dataset.elementType {
        case .string: return try dataset.readStrings()
        case .integer: return try dataset.read(as: Int64.self).map { String($0) }
        case .enumeration: return try dataset.read(as: Int8.self).map { $0 != 0 ? "True" : "False" }
        default: return try dataset.read(as: Double.self).map { formatNumber($0) }
        }
    }

    private func checkedCategorical(codes: [Int32], categories: [String], ordered: Bool, key: String) throws -> ColumnValues {
        if let bad = codes.first(where: { $0 < -1 || $0 >= Int32(categories.count) }) {
            throw CellviIOError.invalid(file: fileName, key: key + "/codes",
                                        problem: "code \(bad) is outside −1..<\(categories.count) categories",
                                        fix: "The categorical is corrupt; re-export it.")
        }
        return .categorical(codes: codes, categories: categories, ordered: ordered)
    }

    // MARK: Compound records (anndata < 0.7)

    private func readCompound(_ dataset: HDF5Dataset, root: HDF5Group, key: String) throws -> DataFrame {
        let fields = try dataset.compoundFields()
        guard let indexField = fields.first else {
            throw CellviIOError.invalid(file: fileName, key: key, problem: "a dataset that is not a compound record table",
                                        fix: "Re-save the file with anndata.")
        }
        let index = try dataset.readCompoundStringField(indexField.name)
        var frame = DataFrame(index: index, indexName: indexField.name)
        for field in fields.dropFirst() {
            let columnKey = "\(key)[\(field.name)]"
            let categoriesKey = "uns/\(field.name)_categories"
            if root.contains(categoriesKey) {
                let categories = try readCategories(try root.dataset(categoriesKey))
                let codes = try dataset.readCompoundField(field.name, as: Int32.self)
                frame[field.name] = try checkedCategorical(codes: codes, categories: categories, ordered: false, key: columnKey)
                continue
            }
            switch field.type {
            case .string: frame[field.name] = .strings(try dataset.readCompoundStringField(field.name).map { Optional($0) })
            case .integer: frame[field.name] = .integers(try dataset.readCompoundField(field.name, as: Int64.self))
            case .float: frame[field.name] = .doubles(try dataset.readCompoundField(field.name, as: Double.self))
            case .enumeration: frame[field.name] = .booleans(try dataset.readCompoundField(field.name, as: Int8.self).map { $0 != 0 })
            default: continue  // nested or opaque fields are not dataframe columns cellvi uses
            }
        }
        return frame
    }
}

/// A number as pandas shows a category label: integers without a decimal point.
func formatNumber(_ value: Double) -> String {
    if value.isFinite, value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
}
