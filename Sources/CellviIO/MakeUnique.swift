/// Names made unique as anndata's `utils.make_index_unique` (`var_names_make_unique`):
/// the first occurrence keeps its name; later ones get `<name><separator><k>` with the
/// smallest k ≥ 1 (counted per name) that is not already taken, e.g.
/// `["a", "a", "a-1", "a"]` → `["a", "a-2", "a-1", "a-3"]`.
public func makeUnique(_ names: [String], separator: String = "-") -> [String] {
    var seen = Set<String>(minimumCapacity: names.count)
    var isRepeat = [Bool](repeating: false, count: names.count)  // (n) — anndata's `duplicated(keep="first")`
    for (i, name) in names.enumerated() { isRepeat[i] = !seen.insert(name).inserted }
    guard isRepeat.contains(true) else { return names }

    var taken = seen                       // every original name, plus each name we hand out
    var lastSuffix: [String: Int] = [:]    // anndata's `Counter`, one per repeated name
    var unique = names
    for i in names.indices where isRepeat[i] {
        let name = names[i]
        var k = lastSuffix[name, default: 0]
        var candidate: String
        repeat {
            k += 1
            candidate = name + separator + String(k)
        } while taken.contains(candidate)
        lastSuffix[name] = k
        taken.insert(candidate)
        unique[i] = candidate
    }
    return unique
}
