import CellviIO
import Foundation

/// The human-readable form of a `DatasetSummary`.
struct InspectReport {
    let summary: DatasetSummary
    init(_ summary: DatasetSummary) { self.summary = summary }

    var text: String {
        var lines: [String] = []
        lines.append("\(summary.file)")
        lines.append("  format      \(summary.format), \(summary.layout)")
        lines.append("  shape       \(summary.nObs) cells × \(summary.nVars) genes")
        lines.append("  counts      " + (summary.countsLocation.map { "\($0) looks like raw counts" }
            ?? "no matrix looks like raw counts (integer, non-negative); cellvi train needs them"))
        lines.append("")
        lines.append("matrices")
        var matrices: [(String, MatrixSummary)] = []
        if let x = summary.x { matrices.append(("X", x)) }
        matrices += summary.layers.keys.sorted().map { ("layers/\($0)", summary.layers[$0]!) }
        if let raw = summary.raw { matrices.append(("raw/X (\(summary.rawNVars ?? 0) genes)", raw)) }
        if matrices.isEmpty { lines.append("  (none)") }
        for (name, m) in matrices {
            let kind = m.looksLikeRawCounts ? "raw counts" : [
                m.integer ? nil : "non-integer", m.nonnegative ? nil : "negative values", m.finite ? nil : "non-finite values",
            ].compactMap { $0 }.joined(separator: ", ")
            lines.append("  \(name): \(m.encoding) \(m.dtype), nnz \(m.nnz) — \(kind)")
            let t = m.cellTotals
            lines.append("    per-cell total min \(fmt(t.min)), median \(fmt(t.median)), mean \(fmt(t.mean)), max \(fmt(t.max)); "
                + "all-zero cells \(m.zeroCells), all-zero genes \(m.zeroGenes)")
        }
        lines.append("")
        lines += columns("obs", summary.obs, order: summary.obsColumnOrder)
        lines.append("")
        lines += columns("var", summary.vars, order: summary.varColumnOrder)
        lines.append("")
        lines.append("obsm")
        if summary.obsm.isEmpty { lines.append("  (none)") }
        for key in summary.obsm.keys.sorted() {
            lines.append("  \(key): " + summary.obsm[key]!.map(String.init).joined(separator: " × "))
        }
        if !summary.uns.isEmpty {
            lines.append("")
            lines.append("uns")
            lines.append("  " + summary.uns.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func columns(_ title: String, _ columns: [String: ColumnSummary], order: [String]) -> [String] {
        var lines = [title]
        if order.isEmpty { lines.append("  (no columns)") }
        for name in order {
            guard let column = columns[name] else { continue }
            var line = "  \(name): \(column.type)"
            if column.missing > 0 { line += ", \(column.missing) missing" }
            if let categories = column.categories, let ordered = column.categoryOrder {
                let shown = ordered.prefix(12).map { "\($0) \(categories[$0] ?? 0)" }.joined(separator: ", ")
                line += " (\(ordered.count) categories: \(shown)\(ordered.count > 12 ? ", …" : ""))"
            }
            lines.append(line)
        }
        return lines
    }

    private func fmt(_ value: Double) -> String {
        value.rounded() == value ? String(Int64(value)) : String(format: "%.1f", value)
    }
}
