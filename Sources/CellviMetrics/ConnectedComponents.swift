import CellviKernels

/// Strongly connected components of the directed graph with an edge i → j for every stored entry (i, j),
/// explicit zeros included (scipy's `connected_components(connection="strong")`). Iterative Tarjan.
/// Returns a component id per node.  // (N)
public func stronglyConnectedComponents(_ graph: CSRMatrix) -> (count: Int, labels: [Int32]) {
    let n = graph.rowCount
    var index = [Int32](repeating: -1, count: n), low = [Int32](repeating: 0, count: n)
    var onStack = [Bool](repeating: false, count: n)
    var labels = [Int32](repeating: -1, count: n)
    var stack = [Int32](), callStack = [(node: Int, edge: Int)]()
    var nextIndex: Int32 = 0, componentCount = 0
    for root in 0..<n where index[root] < 0 {
        callStack.append((root, graph.rowOffsets[root]))
        index[root] = nextIndex; low[root] = nextIndex; nextIndex += 1
        stack.append(Int32(root)); onStack[root] = true
        while let (v, e) = callStack.last {
            if e < graph.rowOffsets[v + 1] {
                callStack[callStack.count - 1].edge = e + 1
                let w = Int(graph.columnIndices[e])
                if index[w] < 0 {
                    index[w] = nextIndex; low[w] = nextIndex; nextIndex += 1
                    stack.append(Int32(w)); onStack[w] = true
                    callStack.append((w, graph.rowOffsets[w]))
                } else if onStack[w] {
                    low[v] = min(low[v], index[w])
                }
            } else {
                callStack.removeLast()
                if let parent = callStack.last { low[parent.node] = min(low[parent.node], low[v]) }
                if low[v] == index[v] {
                    while let w = stack.popLast() {
                        onStack[Int(w)] = false; labels[Int(w)] = Int32(componentCount)
                        if Int(w) == v { break }
                    }
                    componentCount += 1
                }
            }
        }
    }
    return (componentCount, labels)
}

/// The submatrix on `nodes` (rows and columns, in that order).
func inducedSubgraph(_ graph: CSRMatrix, nodes: [Int]) -> CSRMatrix {
    var newIndex = [Int32](repeating: -1, count: graph.columnCount)
    for (j, v) in nodes.enumerated() { newIndex[v] = Int32(j) }
    var offsets = [0], cols = [Int32](), vals = [Float]()
    for v in nodes {
        var row = [(Int32, Float)]()
        for e in graph.rowOffsets[v]..<graph.rowOffsets[v + 1] {
            let j = newIndex[Int(graph.columnIndices[e])]
            if j >= 0 { row.append((j, graph.values[e])) }
        }
        row.sort { $0.0 < $1.0 }
        for (c, x) in row { cols.append(c); vals.append(x) }
        offsets.append(cols.count)
    }
    return CSRMatrix(rowCount: nodes.count, columnCount: nodes.count, rowOffsets: offsets, columnIndices: cols, values: vals)
}
