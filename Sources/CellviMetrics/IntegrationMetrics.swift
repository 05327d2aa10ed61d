import CellviKernels
import Dispatch
import Foundation

/// scib-metrics' Benchmarker row for one embedding (unscaled, `get_results(min_max_scale=False)`).
public struct IntegrationMetrics: Codable, Sendable, Equatable {
    /// `silhouette_label` (rescaled (s + 1) / 2).
    public var silhouetteLabel: Double
    /// `bras` — batch removal adapted silhouette (Benchmarker 0.5's batch silhouette).
    public var silhouetteBatch: Double
    /// `ilisi_knn` (scaled), 90 neighbours, perplexity 30.
    public var ilisi: Double
    /// `clisi_knn` (scaled), 90 neighbours, perplexity 30.
    public var clisi: Double
    /// `kbet_per_label` on the 50-neighbour connectivities.
    public var kbet: Double
    /// `graph_connectivity` on the 15-neighbour graph.
    public var graphConnectivity: Double
    /// `isolated_labels` (silhouette flavour).
    public var isolatedLabels: Double
    /// `nmi_ari_cluster_labels_kmeans` NMI.
    public var nmi: Double
    /// `nmi_ari_cluster_labels_kmeans` ARI.
    public var ari: Double
    /// `pcr_comparison`; nil without a pre-integration embedding.
    public var pcrComparison: Double?
    /// Mean of isolated labels, NMI, ARI, silhouette label, cLISI.
    public var bioConservation: Double
    /// Mean of BRAS, iLISI, kBET, graph connectivity, PCR comparison (those available).
    public var batchCorrection: Double
    /// 0.6 · bio conservation + 0.4 · batch correction.
    public var total: Double
}

/// Knobs of `evaluateIntegration`; the defaults mirror scib-metrics' Benchmarker.
public struct EvaluationOptions: Codable, Sendable {
    public var neighborSearch: NeighborSearch = .automatic
    public var seed: UInt64 = 0
    /// k-means restarts for NMI/ARI (Benchmarker: 1).
    public var kMeansInitializations: Int = 1
    public init() {}
}

/// Computes every Benchmarker metric for an integrated `embedding` (N, D), as scib-metrics 0.5 does:
/// one 90-neighbour kNN (self included) whose 15- and 50-neighbour prefixes feed graph connectivity and kBET.
/// `preIntegration` is the unintegrated embedding for PCR comparison (Benchmarker: 50-PC PCA of X; see `pca(of:)`).
/// `progress` receives one line per finished step with its wall time.
public func evaluateIntegration(
    embedding: Matrix, batchLabels: [String], cellLabels: [String], preIntegration: Matrix? = nil,
    options: EvaluationOptions = EvaluationOptions(), progress: ((String) -> Void)? = nil
) throws -> IntegrationMetrics {
    let n = embedding.rows
    guard batchLabels.count == n else { throw MetricsError.lengthMismatch(what: "batch labels", expected: n, got: batchLabels.count) }
    guard cellLabels.count == n else { throw MetricsError.lengthMismatch(what: "cell labels", expected: n, got: cellLabels.count) }
    if let pre = preIntegration, pre.rows != n {
        throw MetricsError.lengthMismatch(what: "the pre-integration embedding", expected: n, got: pre.rows)
    }
    guard n > 90 else { throw MetricsError.tooFewCells(needed: 91, got: n) }
    var clock = DispatchTime.now(), cpuClock = processCPUSeconds()
    func step<T>(_ name: String, _ body: () -> T) -> T {
        let value = body()
        let now = DispatchTime.now(), cpuNow = processCPUSeconds()
        let wall = Double(now.uptimeNanoseconds - clock.uptimeNanoseconds) / 1e9
        progress?(String(format: "%@: %.2f s wall, %.2f s CPU", name, wall, cpuNow - cpuClock))
        clock = now; cpuClock = cpuNow
        return value
    }
    let knn90 = step("neighbours (90)") {
        nearestNeighbors(embedding: embedding, k: 90, seed: options.seed, search: options.neighborSearch)
    }
    let labelCodes = CategoricalCodes(cellLabels)
    let labelWidths = step("label silhouettes") {
        silhouetteSamples(embedding: embedding, codes: labelCodes.codes, categoryCount: labelCodes.categoryCount)
    }
    let silhouetteLabel = rescaledMean(labelWidths)
    let isolated = isolatedLabelsScore(labelSilhouettes: labelWidths, labels: cellLabels, batches: batchLabels)
    let (nmi, ari) = step("k-means NMI/ARI") {
        nmiARIKMeans(embedding: embedding, labels: cellLabels, seed: options.seed, initializations: options.kMeansInitializations)
    }
    let clisi = step("cLISI") { cellTypeLISI(knn: knn90, labels: cellLabels) }
    let silhouetteBatch = step("BRAS") { bras(embedding: embedding, labels: cellLabels, batches: batchLabels) }
    let ilisi = step("iLISI") { integrationLISI(knn: knn90, batches: batchLabels) }
    let kbet = step("kBET") {
        kBETPerLabel(connectivities: fuzzyConnectivities(knn90.prefix(50)), batches: batchLabels, labels: cellLabels)
    }
    let connectivity = step("graph connectivity") { graphConnectivity(knn: knn90.prefix(15), labels: cellLabels) }
    let pcr = preIntegration.map { pre in
        step("PCR comparison") { pcrComparison(preIntegration: pre, postIntegration: embedding, batches: batchLabels) }
    }
    let bio = nanMean([isolated, nmi, ari, silhouetteLabel, clisi])
    let batch = nanMean([silhouetteBatch, ilisi, kbet, connectivity] + (pcr.map { [$0] } ?? []))
    return IntegrationMetrics(
        silhouetteLabel: silhouetteLabel, silhouetteBatch: silhouetteBatch, ilisi: ilisi, clisi: clisi, kbet: kbet,
        graphConnectivity: connectivity, isolatedLabels: isolated, nmi: nmi, ari: ari, pcrComparison: pcr,
        bioConservation: bio, batchCorrection: batch, total: 0.6 * bio + 0.4 * batch)
}

/// CPU time used by the process so far, all threads.
func processCPUSeconds() -> Double { Double(clock()) / Double(CLOCKS_PER_SEC) }

/// Mean ignoring NaN (pandas' `mean` over a metric group).
func nanMean(_ values: [Double]) -> Double {
    let kept = values.filter { !$0.isNaN }
    return kept.isEmpty ? .nan : kept.reduce(0, +) / Double(kept.count)
}
