import ArgumentParser
import CellviIO
import CellviKernels
import CellviMetrics
import Foundation

/// `cellvi cluster INPUT.h5ad --embedding KEY -o OUT.h5ad`: neighbours and Leiden, written as scanpy writes them.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "kNN graph and Leiden clusters on an embedding, written like scanpy's neighbors + leiden.",
        discussion: """
            OUT.h5ad is INPUT with obs["leiden"] (categorical), obsp["distances"] and obsp["connectivities"] (UMAP \
            weights) and uns["neighbors"], so scanpy's sc.tl.umap and sc.pl functions work on it directly.
            """)

    @Argument(help: "An .h5ad with the embedding in obsm.")
    var input: String

    @Option(help: ArgumentHelp("obsm key of the embedding.", valueName: "key"))
    var embedding = "X_scVI"

    @Option(name: .customLong("n-neighbors"), help: "Neighbours per cell, counting the cell itself (scanpy's n_neighbors).")
    var neighborCount = 15

    @Option(help: "Leiden resolution (higher: more clusters).")
    var resolution = 1.0

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: ArgumentHelp("Output .h5ad.", valueName: "file"))
    var output: String

    @Option(help: ArgumentHelp("Also write the cluster of each cell to this CSV (cell, leiden).", valueName: "file"))
    var csv: String?

    func validate() throws {
        var problems: [String] = []
        if neighborCount < 2 { problems.append("--n-neighbors must be at least 2 (got \(neighborCount)).") }
        if !(resolution > 0) { problems.append("--resolution must be positive (got \(resolution)).") }
        if !output.hasSuffix(".h5ad") { problems.append("-o must end in .h5ad (got '\(output)').") }
        if let csv, !csv.hasSuffix(".csv") { problems.append("--csv must end in .csv (got '\(csv)').") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() throws {
        var data = try SingleCellReader.read(path: input)
        guard let latent = data.obsm[embedding] else {
            throw CellviIOError.missingKey(file: input, key: "obsm/\(embedding)", available: data.obsm.keys.sorted(),
                                           fix: "Pass one of the obsm keys to --embedding (cellvi train writes X_scVI).")
        }
        guard latent.rows > neighborCount else {
            throw ValidationError("--n-neighbors \(neighborCount) needs more than \(neighborCount) cells; \(input) has \(latent.rows).")
        }
        let graph = neighborGraph(embedding: latent, neighborCount: neighborCount, seed: seed)
        let clusters = leiden(graph: graph.connectivities, resolution: resolution, seed: seed)
        let clusterCount = Int(clusters.max() ?? -1) + 1
        Log.info("\(clusterCount) Leiden clusters at resolution \(resolution) on \(embedding) (\(neighborCount) neighbours)")

        data.obs["leiden"] = .categorical(codes: clusters, categories: (0..<clusterCount).map(String.init), ordered: false)
        data.obsp["distances"] = graph.distances
        data.obsp["connectivities"] = graph.connectivities
        data.uns["neighbors/connectivities_key"] = .string("connectivities")
        data.uns["neighbors/distances_key"] = .string("distances")
        data.uns["neighbors/params/n_neighbors"] = .integer(Int64(neighborCount))
        data.uns["neighbors/params/method"] = .string("umap")
        data.uns["neighbors/params/metric"] = .string("euclidean")
        data.uns["neighbors/params/use_rep"] = .string(embedding)
        data.uns["neighbors/params/random_state"] = .integer(Int64(seed))
        data.uns["leiden/params/resolution"] = .double(resolution)
        data.uns["leiden/params/random_state"] = .integer(Int64(seed))
        data.uns["leiden/params/n_iterations"] = .integer(2)

        if let csv {
            try CSVWriter.write(columns: [("leiden", .strings(clusters.map { String($0) }))], rowIds: data.obsNames,
                                idColumnName: "cell", to: csv, refusingToOverwrite: [input])
        }
        try H5ADWriter.write(data, to: output, protecting: [input] + (csv.map { [$0] } ?? []))
        Log.info("wrote \(output)" + (csv.map { " and \($0)" } ?? ""))
    }
}
