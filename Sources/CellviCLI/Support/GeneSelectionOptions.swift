import ArgumentParser
import CellviIO
import CellviKernels

/// `--n-top-genes N [--batch-key K] [--layer L]`: keep only highly variable genes (seurat_v3 on raw counts).
struct GeneSelectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Keep the N most highly variable genes (scanpy's seurat_v3 flavour on raw counts).", valueName: "N"))
    var nTopGenes: Int?

    @OptionGroup var batch: BatchOptions
    @OptionGroup var counts: CountsOptions

    func validate() throws {
        if let nTopGenes, nTopGenes < 1 {
            throw ValidationError("--n-top-genes must be at least 1 (got \(nTopGenes)).")
        }
    }

    /// The chosen genes of `data`, or nil when `--n-top-genes` is not given.
    func selectHighlyVariableGenes(in data: AnnData, file: String) throws -> GeneSubset? {
        guard let nTopGenes else { return nil }
        let matrix = try counts.counts(in: data, file: file)
        let labels = try batch.batchKey.map { try obsLabels(data, column: $0, file: file, flag: "--batch-key") }
        let hvg = try HighlyVariableGenes.seuratV3(counts: matrix, topGeneCount: min(nTopGenes, data.variableCount), batchLabels: labels)
        return GeneSubset(genes: hvg.selected.sorted(), statistics: hvg, batchAware: labels != nil)
    }
}

/// The genes kept by HVG selection, in their original order, with scanpy's var statistics.
struct GeneSubset {
    var genes: [Int]
    var statistics: HighlyVariableGenes
    var batchAware: Bool

    /// `data` restricted to the genes, with var columns as scanpy's `highly_variable_genes(subset=True)` writes them.
    func applied(to data: AnnData) -> AnnData {
        var annotated = data
        annotated.vars["highly_variable"] = .booleans(statistics.isHighlyVariable)
        annotated.vars["means"] = .doubles(statistics.means)
        annotated.vars["variances"] = .doubles(statistics.variances)
        annotated.vars["variances_norm"] = .doubles(statistics.variancesNorm)
        annotated.vars["highly_variable_rank"] = .doubles(statistics.rank)
        if batchAware { annotated.vars["highly_variable_nbatches"] = .integers(statistics.batchCount.map { Int64($0) }) }
        return annotated.selectingGenes(genes)
    }
}
