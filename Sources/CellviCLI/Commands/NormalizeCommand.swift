import ArgumentParser
import CellviIO
import CellviKernels
import Foundation

/// `cellvi normalize MODEL INPUT -o OUT.h5ad`: denoised expression as scvi-tools' get_normalized_expression.
struct NormalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize",
        abstract: "Denoised expression (scvi-tools' get_normalized_expression) of INPUT's cells, as X of an .h5ad.",
        discussion: """
            Each cell is decoded from posterior samples of its latent; --library-size 1 (default) gives frequencies \
            summing to 1 per cell, 10000 gives counts per 10k. --transform-batch decodes every cell as if it came from \
            the given batch(es) (several are averaged), removing the batch effect from the expression itself.
            """)

    @OptionGroup var source: ModelInputOptions

    @Option(name: .customLong("transform-batch"), parsing: .upToNextOption,
            help: ArgumentHelp("Decode as these batch categories (averaged); default each cell's own.", valueName: "batch"))
    var transformBatch: [String] = []

    @Option(name: .customLong("library-size"), help: "Scale of the decoded expression per cell.")
    var librarySize: Float = 1

    @Option(help: "Posterior samples averaged per cell.")
    var samples = 1

    @Option(help: "Random seed for the posterior samples.")
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: ArgumentHelp("Output .h5ad.", valueName: "file"))
    var output: String

    func validate() throws {
        var problems: [String] = []
        if !output.hasSuffix(".h5ad") { problems.append("-o must end in .h5ad (got '\(output)').") }
        if !(librarySize > 0) { problems.append("--library-size must be positive (got \(librarySize)).") }
        if samples < 1 { problems.append("--samples must be at least 1 (got \(samples)).") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() throws {
        let (checkpoint, data, counts, codes) = try source.load()
        var batches: [Int]? = nil
        if !transformBatch.isEmpty {
            batches = try transformBatch.map { name in
                guard let index = checkpoint.batchCategories.firstIndex(of: name) else {
                    throw ValidationError("--transform-batch \(name): not one of the model's batches (\(checkpoint.batchCategories.joined(separator: ", "))).")
                }
                return index
            }
        }
        let expression = try checkpoint.model.normalizedExpression(counts: counts, batchCodes: codes, transformBatches: batches,
                                                                    librarySize: librarySize, sampleCount: samples, seed: seed)
        var out = AnnData(obs: data.obs, vars: DataFrame(index: checkpoint.geneNames), x: CSRMatrix(dense: expression))
        out.uns["cellvi_normalize"] = .string("library_size=\(librarySize) samples=\(samples) transform_batch=\(transformBatch.joined(separator: ","))")
        try H5ADWriter.write(out, to: output, protecting: [source.input, source.model])
        Log.info("wrote denoised expression of \(expression.rows) cells × \(expression.columns) genes to \(output)")
    }
}
