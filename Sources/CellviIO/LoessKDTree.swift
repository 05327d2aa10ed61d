/// The one-predictor k-d tree of netlib loess (`ehg126`, `ehg124`, `ehg128`): the bounding
/// interval, widened by 0.5 %, is split at the median point until a cell holds at most
/// `leafSize` points; fits at the cell boundaries (vertices) are interpolated by cubic Hermite
/// polynomials using their values and slopes.
struct LoessKDTree {
    private(set) var vertices: [Double] = []    // (vertices) positions
    private var cells: [Cell] = []              // breadth-first, root first

    private struct Cell {
        var lower: Int, upper: Int              // 1-based inclusive range into the sorted points
        var leftVertex: Int, rightVertex: Int   // indices into `vertices`
        var split: Double? = nil                // nil for a leaf
        var lowChild = 0, highChild = 0         // indices into `cells`
    }

    init(x: [Double], leafSize: Int) {
        let sorted = x.sorted()                 // (n) — the tree only needs order statistics
        let n = sorted.count
        let (low, high) = (sorted.first!, sorted.last!)
        let margin = 0.005 * max(high - low, 1e-10 * max(abs(low), abs(high)) + 1e-30)
        vertices = [low - margin, high + margin]
        cells = [Cell(lower: 1, upper: n, leftVertex: 0, rightVertex: 1)]
        let maxVertices = max(200, n), maxCells = maxVertices  // loess_workspace: nvmax = max(200, n)

        var p = 0
        while p < cells.count {
            let (l, u) = (cells[p].lower, cells[p].upper)
            let point = { (i: Int) in sorted[i - 1] }  // 1-based, as the Fortran
            let width = vertices[cells[p].rightVertex] - vertices[cells[p].leftVertex]
            var leaf = u - l + 1 <= leafSize || width <= 0
                || maxCells < cells.count + 2 || Double(maxVertices) < Double(vertices.count) + 1
            var m = (l + u) / 2
            if !leaf {
                // Move the split off a run of ties: try m, m+1, m−1, m+2, … (all ties go to the high son).
                var offset = 0
                while m + offset < u && m + offset >= l {
                    if point(m + offset) == point(m + offset + 1) {
                        offset = -offset
                        if offset >= 0 { offset += 1 }
                    } else {
                        m += offset
                        break
                    }
                }
                leaf = vertices[cells[p].leftVertex] == point(m) || vertices[cells[p].rightVertex] == point(m)
            }
            if !leaf {
                let split = point(m)
                let middle = vertices.firstIndex(of: split) ?? { vertices.append(split); return vertices.count - 1 }()
                cells[p].split = split
                cells[p].lowChild = cells.count
                cells.append(Cell(lower: l, upper: m, leftVertex: cells[p].leftVertex, rightVertex: middle))
                cells[p].highChild = cells.count
                cells.append(Cell(lower: m + 1, upper: u, leftVertex: middle, rightVertex: cells[p].rightVertex))
            }
            p += 1
        }
    }

    /// The Hermite interpolant at `z` of the fits at the enclosing leaf's two vertices.
    func interpolate(at z: Double, vertexFits: [LocalFitValue]) -> Double {
        var j = 0
        while let split = cells[j].split { j = z <= split ? cells[j].lowChild : cells[j].highChild }
        let (a, b) = (cells[j].leftVertex, cells[j].rightVertex)
        let width = vertices[b] - vertices[a]
        let h = (z - vertices[a]) / width
        let phi0 = (1 - h) * (1 - h) * (1 + 2 * h), phi1 = h * h * (3 - 2 * h)
        let psi0 = h * (1 - h) * (1 - h), psi1 = h * h * (h - 1)
        return phi0 * vertexFits[a].value + phi1 * vertexFits[b].value
            + (psi0 * vertexFits[a].slope + psi1 * vertexFits[b].slope) * width
    }
}
