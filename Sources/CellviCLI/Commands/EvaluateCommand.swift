import ArgumentParser
import CellviIO
import CellviKernels
import CellviMetrics
import Foundation

/// `cellvi evaluate INPUT.h5ad --embedding KEY --batch-key B --labels-key L`: scib-metrics' integration benchmark.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Batch-correction and bio-conservation metrics of an embedding, computed as scib-metrics 0.5 computes them.",
        discussion: """
            Metrics (unscaled, as scib-metrics' Benchmarker): silhouette label, batch silhouette (BRAS), iLISI, cLISI, kBET, \
            graph connectivity, isolated labels, NMI and ARI of k-means clusters vs labels, PCR comparison (against \
            --pre-embedding, else a 50-component PCA of X as stored), bio conservation, batch correction and \
            total = 0.6 · bio + 0.4 · batch.
            """)

    @Argument(help: "An .h5ad with the embedding in obsm.")
    var input: String

    @Option(help: ArgumentHelp("obsm key of the embedding to evaluate.", valueName: "key"))
    var embedding = "X_scVI"

    @Option(name: .customLong("batch-key"), help: ArgumentHelp("obs column of batches.", valueName: "column"))
    var batchKey: String

    @Option(name: .customLong("labels-key"), help: ArgumentHelp("obs column of cell-type labels.", valueName: "column"))
    var labelsKey: String

    @Option(name: .customLong("pre-embedding"), help: ArgumentHelp("obsm key of the unintegrated embedding for PCR comparison (default: PCA of X).", valueName: "key"))
    var preEmbedding: String?

    @Option(help: "Seed for k-means and approximate neighbours.")
    var seed: UInt64 = 0

    @Option(name: .customLong("kmeans-inits"), help: ArgumentHelp(
        "k-means restarts for NMI/ARI; the lowest-inertia clustering is kept (scib-metrics runs 1, which makes NMI/ARI depend on its seed).",
        valueName: "n"))
    var kMeansInitializations = 10

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        if kMeansInitializations < 1 { throw ValidationError("--kmeans-inits must be at least 1 (got \(kMeansInitializations)).") }
    }

    func run() throws {
        var options = H5ADReadOptions()
        options.loadLayers = false; options.loadRaw = false; options.loadObsp = false
        options.loadX = preEmbedding == nil
        let readStart = Date()
        let data = try SingleCellReader.read(path: input, options: options)
        Log.info(String(format: "read: %.2f s wall", Date().timeIntervalSince(readStart)))
        let latent = try obsmMatrix(data, key: embedding, flag: "--embedding")
        let batches = try obsLabels(data, column: batchKey, file: input, flag: "--batch-key")
        let cellTypes = try obsLabels(data, column: labelsKey, file: input, flag: "--labels-key")
        let pre: Matrix
        if let preEmbedding {
            pre = try obsmMatrix(data, key: preEmbedding, flag: "--pre-embedding")
        } else {
            guard let x = data.x else {
                throw CellviIOError.missingKey(file: input, key: "X", available: data.obsm.keys.sorted().map { "obsm/\($0)" },
                                               fix: "Pass --pre-embedding with an unintegrated embedding, or store X.")
            }
            Log.info("pre-integration embedding: 50-component PCA of X as stored (as scib-metrics' Benchmarker)")
            let pcaStart = Date()
            pre = pca(of: x, components: min(50, x.columnCount, x.rowCount - 1), seed: seed).coordinates
            Log.info(String(format: "PCA of X (%d × %d, %d stored values): %.2f s wall",
                            x.rowCount, x.columnCount, x.nonZeroCount, Date().timeIntervalSince(pcaStart)))
        }
        var evaluation = EvaluationOptions()
        evaluation.seed = seed
        evaluation.kMeansInitializations = kMeansInitializations
        let metrics: IntegrationMetrics
        do {
            metrics = try evaluateIntegration(embedding: latent, batchLabels: batches, cellLabels: cellTypes,
                                              preIntegration: pre, options: evaluation) { Log.info($0) }
        } catch let error as MetricsError {
            throw CLIError.usage("\(input): obsm/\(embedding): \(error)")
        }
        if json {
            print(try JSONOutput.string(MetricsReport(metrics)))
        } else {
            print(MetricsReport(metrics).table, terminator: "")
        }
    }

    private func obsmMatrix(_ data: AnnData, key: String, flag: String) throws -> Matrix {
        guard let matrix = data.obsm[key] else {
            throw CellviIOError.missingKey(file: input, key: "obsm/\(key)", available: data.obsm.keys.sorted(),
                                           fix: "Pass one of the obsm keys to \(flag) (cellvi train writes X_scVI).")
        }
        return matrix
    }

}

/// The metrics with scib-metrics' names, as JSON keys and as a table.
struct MetricsReport: Encodable {
    let values: [(key: String, label: String, value: Double?)]

    init(_ m: IntegrationMetrics) {
        values = [
            ("silhouette_label", "Silhouette label", m.silhouetteLabel), ("clisi", "cLISI", m.clisi),
            ("isolated_labels", "Isolated labels", m.isolatedLabels), ("nmi", "KMeans NMI", m.nmi), ("ari", "KMeans ARI", m.ari),
            ("silhouette_batch", "BRAS (batch silhouette)", m.silhouetteBatch), ("ilisi", "iLISI", m.ilisi), ("kbet", "kBET", m.kbet),
            ("graph_connectivity", "Graph connectivity", m.graphConnectivity), ("pcr_comparison", "PCR comparison", m.pcrComparison),
            ("bio_conservation", "Bio conservation", m.bioConservation), ("batch_correction", "Batch correction", m.batchCorrection),
            ("total", "Total", m.total),
        ]
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (key, _, value) in values { try container.encode(value, forKey: Key(stringValue: key)!) }
    }

    private struct Key: CodingKey {
        var stringValue: String
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    var table: String {
        values.map { row in
            let label = row.label.padding(toLength: 26, withPad: " ", startingAt: 0)
            let separator = row.key == "bio_conservation" ? String(repeating: "-", count: 34) + "\n" : ""
            return separator + label + (row.value.map { String(format: "%.4f", $0) } ?? "–") + "\n"
        }.joined()
    }
}
