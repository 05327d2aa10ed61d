import CellviHDF5

extension H5ADElementWriter {
    /// `dataframe` 0.2.0: the index as a string array named by the `_index` attribute, then one
    /// element per column in `column-order` (an empty frame stores an empty float64 array there).
    func writeDataFrame(_ frame: DataFrame, named name: String, in parent: HDF5Group) throws {
        let group = try parent.createGroup(name)
        try setEncoding(group, "dataframe", "0.2.0")
        let indexName = frame.indexName.isEmpty ? "_index" : frame.indexName
        try group.setAttribute("_index", .string(indexName))
        try group.setAttribute("column-order", frame.columnNames.isEmpty ? .doubles([]) : .strings(frame.columnNames))
        try writeStringArray(frame.index, named: indexName, in: group)
        for (columnName, values) in frame.columns {
            try writeColumn(values, named: columnName, in: group)
        }
    }

    /// One dataframe column in the encoding pandas' dtype would get.
    func writeColumn(_ values: ColumnValues, named name: String, in group: HDF5Group) throws {
        switch values {
        case .strings(let strings):
            if strings.contains(where: { $0 == nil }) {
                try writeNullable(values: { try writeStringArray(strings.map { $0 ?? "" }, named: "values", in: $0) },
                                  mask: strings.map { $0 == nil }, encoding: "nullable-string-array", named: name, in: group)
            } else {
                try writeStringArray(strings.map { $0! }, named: name, in: group)
            }
        case .doubles(let v):
            try setEncoding(try group.writeDataset(name, values: v, shape: [v.count], compression: compression), "array", "0.2.0")
        case .integers(let v):
            try setEncoding(try group.writeDataset(name, values: v, shape: [v.count], compression: compression), "array", "0.2.0")
        case .booleans(let v):
            try setEncoding(try group.writeBooleans(name, v, compression: compression), "array", "0.2.0")
        case .nullableIntegers(let v):
            let filled = v.map { $0 ?? 0 }  // (rows) — pandas fills missing with 0
            try writeNullable(values: { try setEncoding(try $0.writeDataset("values", values: filled, shape: [filled.count],
                                                                                compression: compression), "array", "0.2.0") },
                              mask: v.map { $0 == nil }, encoding: "nullable-integer", named: name, in: group)
        case .nullableBooleans(let v):
            let filled = v.map { $0 ?? false }  // (rows)
            try writeNullable(values: { try setEncoding(try $0.writeBooleans("values", filled, compression: compression), "array", "0.2.0") },
                              mask: v.map { $0 == nil }, encoding: "nullable-boolean", named: name, in: group)
        case .categorical(let codes, let categories, let ordered):
            try writeCategorical(codes: codes, categories: categories, ordered: ordered, named: name, in: group)
        }
    }

    /// `string-array` 0.2.0: variable-length UTF-8.
    func writeStringArray(_ strings: [String], named name: String, in group: HDF5Group) throws {
        try setEncoding(try group.writeStrings(name, strings, compression: compression), "string-array", "0.2.0")
    }

    /// `categorical` 0.2.0: `codes` in the smallest integer type pandas would pick, −1 = missing.
    func writeCategorical(codes: [Int32], categories: [String], ordered: Bool, named name: String,
                          in parent: HDF5Group) throws {
        let group = try parent.createGroup(name)
        try setEncoding(group, "categorical", "0.2.0")
        try group.setAttribute("ordered", .bool(ordered))
        let shape = [codes.count]
        let dataset: HDF5Dataset
        switch categories.count {  // pandas' coerce_indexer_dtype
        case ..<Int(Int8.max):
            dataset = try group.writeDataset("codes", values: codes.map { Int8($0) }, shape: shape, compression: compression)
        case ..<Int(Int16.max):
            dataset = try group.writeDataset("codes", values: codes.map { Int16($0) }, shape: shape, compression: compression)
        default:
            dataset = try group.writeDataset("codes", values: codes, shape: shape, compression: compression)
        }
        try setEncoding(dataset, "array", "0.2.0")
        try writeStringArray(categories, named: "categories", in: group)
    }

    /// A nullable group: `values` written by `values`, `mask` (true = missing) as a bool array.
    private func writeNullable(values: (HDF5Group) throws -> Void, mask: [Bool], encoding: String,
                               named name: String, in parent: HDF5Group) throws {
        let group = try parent.createGroup(name)
        try setEncoding(group, encoding, "0.1.0")
        try values(group)
        try setEncoding(try group.writeBooleans("mask", mask, compression: compression), "array", "0.2.0")
    }
}
