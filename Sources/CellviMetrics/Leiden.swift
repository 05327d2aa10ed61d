import CellviKernels
import Foundation

/// An undirected weighted graph with both directions of each edge stored; self-loops are kept but never
/// affect moves. `nodeWeights` are strengths in the original graph (sums over merged nodes after aggregation).
struct WeightedGraph {
    var offsets: [Int]       // (N + 1)
    var neighbors: [Int32]   // (E)
    var weights: [Double]    // (E)
    var nodeWeights: [Double]  // (N)
    var nodeCount: Int { nodeWeights.count }

    /// From a symmetric sparse adjacency (connectivities); entries (i, j) and (j, i) both expected.
    init(adjacency a: CSRMatrix) {
        offsets = a.rowOffsets
        neighbors = a.columnIndices
        weights = a.values.map(Double.init)
        nodeWeights = (0..<a.rowCount).map { r in (a.rowOffsets[r]..<a.rowOffsets[r + 1]).reduce(0.0) { $0 + Double(a.values[$1]) } }
    }

    init(offsets: [Int], neighbors: [Int32], weights: [Double], nodeWeights: [Double]) {
        self.offsets = offsets; self.neighbors = neighbors; self.weights = weights; self.nodeWeights = nodeWeights
    }

    /// The graph whose nodes are the clusters of `membership` (0..<clusterCount), edge weights summed.
    func aggregated(by membership: [Int32], clusterCount: Int) -> WeightedGraph {
        var members = [[Int]](repeating: [], count: clusterCount)
        for (v, c) in membership.enumerated() { members[Int(c)].append(v) }
        var newOffsets = [0], newNeighbors = [Int32](), newWeights = [Double]()
        var nodeWeights = [Double](repeating: 0, count: clusterCount)
        var accumulated = [Double](repeating: 0, count: clusterCount), touched = [Int32]()
        for c in 0..<clusterCount {
            for v in members[c] {
                nodeWeights[c] += self.nodeWeights[v]
                for e in offsets[v]..<offsets[v + 1] {
                    let d = membership[Int(neighbors[e])]
                    if accumulated[Int(d)] == 0 { touched.append(d) }
                    accumulated[Int(d)] += weights[e]
                }
            }
            touched.sort()
            for d in touched where accumulated[Int(d)] != 0 {
                newNeighbors.append(d); newWeights.append(accumulated[Int(d)]); accumulated[Int(d)] = 0
            }
            touched.removeAll(keepingCapacity: true)
            newOffsets.append(newNeighbors.count)
        }
        return WeightedGraph(offsets: newOffsets, neighbors: newNeighbors, weights: newWeights, nodeWeights: nodeWeights)
    }
}

/// Leiden community detection optimising modularity with a resolution parameter, with igraph's semantics
/// (`igraph.Graph.community_leiden(objective_function="modularity", weights=..., beta=0.01)`, which is what
/// `sc.tl.leiden(flavor="igraph", n_iterations=2)` runs): fast local moving, randomised refinement, aggregation.
/// `iterations` < 0 repeats until the partition stops changing. Returns cluster ids 0..<C, largest cluster first.
public func leiden(graph connectivities: CSRMatrix, resolution: Double = 1, iterations: Int = 2, seed: UInt64 = 0,
                   randomness: Double = 0.01) -> [Int32] {
    let base = WeightedGraph(adjacency: connectivities)
    let n = base.nodeCount
    guard n > 0 else { return [] }
    let totalWeight = base.nodeWeights.reduce(0, +)
    guard totalWeight > 0 else { return (0..<n).map { Int32($0) } }
    let scaledResolution = resolution / totalWeight
    var rng = SeededGenerator(seed: seed)
    var membership = (0..<n).map { Int32($0) }
    var iteration = 0
    while iterations < 0 || iteration < iterations {
        iteration += 1
        let before = membership
        membership = leidenPass(base, initial: membership, resolution: scaledResolution, randomness: randomness, rng: &rng)
        if iterations < 0 && relabelled(membership) == relabelled(before) { break }
    }
    return sortedBySize(membership)
}

/// One run of the Leiden loop (move, refine, aggregate) from `initial`, returning the membership of base nodes.
private func leidenPass(_ base: WeightedGraph, initial: [Int32], resolution: Double, randomness: Double,
                        rng: inout SeededGenerator) -> [Int32] {
    var graph = base
    var partition = relabelled(initial)               // level node → cluster
    var baseToLevel = (0..<base.nodeCount).map { Int32($0) }  // base node → level node
    while true {
        let clusterCount = moveNodesFast(graph, partition: &partition, resolution: resolution, rng: &rng)
        if clusterCount >= graph.nodeCount { break }
        var refined = refinePartition(graph, partition: partition, resolution: resolution, randomness: randomness, rng: &rng)
        if Set(refined).count >= graph.nodeCount { refined = partition }  // refinement merged nothing: aggregate clusters
        let (refinedCodes, refinedCount) = compactCodes(refined)
        var aggregatedPartition = [Int32](repeating: 0, count: refinedCount)
        for v in 0..<graph.nodeCount { aggregatedPartition[Int(refinedCodes[v])] = partition[v] }
        graph = graph.aggregated(by: refinedCodes, clusterCount: refinedCount)
        for i in 0..<baseToLevel.count { baseToLevel[i] = refinedCodes[Int(baseToLevel[i])] }
        partition = aggregatedPartition
    }
    return relabelled(baseToLevel.map { partition[Int($0)] })
}

/// Leiden's queue-based local moving; returns the number of non-empty clusters. `partition` holds 0..<N ids.
private func moveNodesFast(_ g: WeightedGraph, partition: inout [Int32], resolution: Double,
                           rng: inout SeededGenerator) -> Int {
    let n = g.nodeCount
    var clusterWeights = [Double](repeating: 0, count: n), clusterSizes = [Int](repeating: 0, count: n)
    for v in 0..<n { clusterWeights[Int(partition[v])] += g.nodeWeights[v]; clusterSizes[Int(partition[v])] += 1 }
    var emptyClusters = (0..<n).filter { clusterSizes[$0] == 0 }.reversed().map { Int32($0) }
    var queue = Array(0..<n).shuffled(using: &rng)
    var inQueue = [Bool](repeating: true, count: n)
    var head = 0
    var edgeWeightTo = [Double](repeating: 0, count: n), neighborClusters = [Int32]()
    while head < queue.count {
        let v = queue[head]; head += 1; inQueue[v] = false
        let current = partition[v]
        clusterWeights[Int(current)] -= g.nodeWeights[v]; clusterSizes[Int(current)] -= 1
        if clusterSizes[Int(current)] == 0 { emptyClusters.append(current) }
        let empty = emptyClusters.last!
        neighborClusters.removeAll(keepingCapacity: true)
        neighborClusters.append(empty); edgeWeightTo[Int(empty)] = 0
        for e in g.offsets[v]..<g.offsets[v + 1] {
            let u = Int(g.neighbors[e]); if u == v { continue }
            let c = partition[u]
            if edgeWeightTo[Int(c)] == 0 && !neighborClusters.contains(c) { neighborClusters.append(c) }
            edgeWeightTo[Int(c)] += g.weights[e]
        }
        let kv = g.nodeWeights[v]
        var best = current
        var bestGain = edgeWeightTo[Int(current)] - kv * clusterWeights[Int(current)] * resolution
        for c in neighborClusters {
            let gain = edgeWeightTo[Int(c)] - kv * clusterWeights[Int(c)] * resolution
            if gain > bestGain { bestGain = gain; best = c }
        }
        for c in neighborClusters { edgeWeightTo[Int(c)] = 0 }
        edgeWeightTo[Int(current)] = 0
        clusterWeights[Int(best)] += kv; clusterSizes[Int(best)] += 1
        if best == emptyClusters.last! { emptyClusters.removeLast() }
        if best == current && clusterSizes[Int(current)] == 1, let i = emptyClusters.lastIndex(of: current) {
            emptyClusters.remove(at: i)
        }
        if best != current {
            partition[v] = best
            for e in g.offsets[v]..<g.offsets[v + 1] {
                let u = Int(g.neighbors[e])
                if !inQueue[u] && partition[u] != best { queue.append(u); inQueue[u] = true }
            }
        }
    }
    let (codes, count) = compactCodes(partition)
    partition = codes
    return count
}

/// Leiden's refinement: inside each cluster, well-connected singletons merge into well-connected refined
/// clusters chosen at random ∝ exp(gain / randomness) among non-negative gains.  // returns (N) refined ids
private func refinePartition(_ g: WeightedGraph, partition: [Int32], resolution: Double, randomness: Double,
                             rng: inout SeededGenerator) -> [Int32] {
    let n = g.nodeCount
    var refined = (0..<n).map { Int32($0) }
    var refinedWeights = g.nodeWeights, refinedSizes = [Int](repeating: 1, count: n)
    // external[c]: weight from refined cluster c to the rest of its parent cluster.
    var external = [Double](repeating: 0, count: n)
    var clusterTotal = [Double](repeating: 0, count: n)
    var members = [[Int]](repeating: [], count: n)
    for v in 0..<n {
        clusterTotal[Int(partition[v])] += g.nodeWeights[v]
        members[Int(partition[v])].append(v)
        for e in g.offsets[v]..<g.offsets[v + 1] where Int(g.neighbors[e]) != v && partition[Int(g.neighbors[e])] == partition[v] {
            external[v] += g.weights[e]
        }
    }
    var edgeWeightTo = [Double](repeating: 0, count: n), candidates = [Int32](), seen = [Bool](repeating: false, count: n)
    for cluster in members where cluster.count > 1 {
        let total = clusterTotal[Int(partition[cluster[0]])]
        for v in cluster.shuffled(using: &rng) {
            let own = refined[v]
            guard refinedSizes[Int(own)] == 1 else { continue }
            let kv = g.nodeWeights[v]
            guard external[Int(own)] >= kv * (total - kv) * resolution else { continue }
            refinedWeights[Int(own)] = 0; refinedSizes[Int(own)] = 0
            candidates.removeAll(keepingCapacity: true)
            candidates.append(own); seen[Int(own)] = true
            for e in g.offsets[v]..<g.offsets[v + 1] {
                let u = Int(g.neighbors[e])
                if u == v || partition[u] != partition[v] { continue }
                let c = refined[u]
                if !seen[Int(c)] { seen[Int(c)] = true; candidates.append(c) }
                edgeWeightTo[Int(c)] += g.weights[e]
            }
            var gains = [Double](), options = [Int32](), maxGain = -Double.infinity
            for c in candidates {
                let wc = refinedWeights[Int(c)]
                let wellConnected = c == own || external[Int(c)] >= wc * (total - wc) * resolution
                if !wellConnected { continue }
                let gain = edgeWeightTo[Int(c)] - kv * wc * resolution
                if gain >= 0 { gains.append(gain); options.append(c); maxGain = max(maxGain, gain) }
            }
            var chosen = own
            if !options.isEmpty {
                let probabilities = gains.map { exp(($0 - maxGain) / randomness) }
                var target = rng.nextUnit() * probabilities.reduce(0, +)
                chosen = options.last!
                for (i, p) in probabilities.enumerated() { target -= p; if target < 0 { chosen = options[i]; break } }
            }
            if chosen != own { external[Int(chosen)] += external[Int(own)] - 2 * edgeWeightTo[Int(chosen)] }
            refinedWeights[Int(chosen)] += kv; refinedSizes[Int(chosen)] += 1
            refined[v] = chosen
            for c in candidates { edgeWeightTo[Int(c)] = 0; seen[Int(c)] = false }
        }
    }
    return refined
}

/// Renumbers ids in order of first appearance.
private func relabelled(_ membership: [Int32]) -> [Int32] {
    var map = [Int32: Int32]()
    return membership.map { c in
        if let m = map[c] { return m }
        let m = Int32(map.count); map[c] = m; return m
    }
}

/// Renumbers ids so cluster 0 is the largest (ties by first appearance), as scanpy presents Leiden output.
private func sortedBySize(_ membership: [Int32]) -> [Int32] {
    let first = relabelled(membership)
    let count = Int(first.max() ?? -1) + 1
    let sizes = codeCounts(first, categoryCount: count)
    let order = (0..<count).sorted { sizes[$0] > sizes[$1] || (sizes[$0] == sizes[$1] && $0 < $1) }
    var rank = [Int32](repeating: 0, count: count)
    for (r, c) in order.enumerated() { rank[c] = Int32(r) }
    return first.map { rank[Int($0)] }
}

/// Newman–Girvan modularity with resolution γ of `membership` on a symmetric weighted adjacency
/// (igraph's `Graph.modularity(membership, weights="weight", resolution=γ)`).
public func modularity(graph a: CSRMatrix, membership: [Int32], resolution: Double = 1) -> Double {
    let (codes, count) = compactCodes(membership)
    var internalWeight = 0.0, total = 0.0
    var clusterStrength = [Double](repeating: 0, count: count)
    for r in 0..<a.rowCount {
        for e in a.rowOffsets[r]..<a.rowOffsets[r + 1] {
            let w = Double(a.values[e])
            total += w
            clusterStrength[Int(codes[r])] += w
            if codes[r] == codes[Int(a.columnIndices[e])] { internalWeight += w }
        }
    }
    guard total > 0 else { return .nan }
    return internalWeight / total - resolution * clusterStrength.reduce(0.0) { $0 + $1 * $1 } / (total * total)
}
