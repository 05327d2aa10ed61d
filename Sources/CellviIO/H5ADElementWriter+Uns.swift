import CellviHDF5

extension H5ADElementWriter {
    /// `uns` as a `dict` 0.1.0 group; a key `a/b` is written as `b` inside a nested dict `a`.
    func writeUns(_ entries: [String: UnsValue], named name: String, in parent: HDF5Group) throws {
        let group = try createDict(named: name, in: parent)
        var nested: [String: [String: UnsValue]] = [:]
        for key in entries.keys.sorted() {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                nested[parts[0], default: [:]][parts[1]] = entries[key]!
            } else {
                try writeUnsValue(entries[key]!, named: key, in: group)
            }
        }
        for subgroup in nested.keys.sorted() { try writeUns(nested[subgroup]!, named: subgroup, in: group) }
    }

    /// One `uns` value: 0-d `string` / `numeric-scalar` 0.2.0, or a 1-d string or float64 array.
    func writeUnsValue(_ value: UnsValue, named name: String, in group: HDF5Group) throws {
        switch value {
        case .string(let s):
            try setEncoding(try group.writeStrings(name, [s], scalar: true), "string", "0.2.0")
        case .double(let v):
            try setEncoding(try group.writeDataset(name, values: [v], shape: []), "numeric-scalar", "0.2.0")
        case .integer(let v):
            try setEncoding(try group.writeDataset(name, values: [v], shape: []), "numeric-scalar", "0.2.0")
        case .boolean(let v):
            try setEncoding(try group.writeBoolean(name, v), "numeric-scalar", "0.2.0")
        case .strings(let v):
            try writeStringArray(v, named: name, in: group)
        case .doubles(let v):
            try setEncoding(try group.writeDataset(name, values: v, shape: [v.count], compression: compression), "array", "0.2.0")
        }
    }
}
