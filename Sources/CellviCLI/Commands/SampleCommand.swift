import ArgumentParser
import CellviIO
import CellviModel
import Foundation

/// `cellvi sample MODEL [--batch B] [--cells N | --like INPUT] -o OUT.h5ad`: conditional generation.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate count profiles decoded under a chosen batch: from the prior (--cells N) or from the posterior of real cells (--like INPUT).")

    @Argument(help: "A model.h5 written by `cellvi train`.")
    var model: String

    @Option(help: ArgumentHelp("Batch category to decode under (default: the first; with --like, each cell's own).", valueName: "category"))
    var batch: String?

    @Option(help: "Cells to draw from the prior.")
    var cells: Int?

    @Option(help: ArgumentHelp("Draw from the posterior of these cells instead (.h5ad / 10x).", valueName: "file"))
    var like: String?

    @Option(name: .customLong("batch-key"), help: ArgumentHelp("With --like: obs column holding the batches.", valueName: "column"))
    var batchKey: String?

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: ArgumentHelp("Output .h5ad.", valueName: "file"))
    var output: String

    func validate() throws {
        var problems: [String] = []
        if (cells == nil) == (like == nil) { problems.append("give exactly one of --cells N or --like INPUT.") }
        if let cells, cells < 1 { problems.append("--cells must be at least 1 (got \(cells)).") }
        if !output.hasSuffix(".h5ad") { problems.append("-o must end in .h5ad (got '\(output)').") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() throws {
        var out: AnnData
        let checkpoint: SCVIModel.Checkpoint
        if let like {
            var source = try ModelInputOptions.parse([model, like] + (batchKey.map { ["--batch-key", $0] } ?? []))
            source.fillMissingGenes = false
            let loaded = try source.load()
            checkpoint = loaded.checkpoint
            let target = try batch.map { try batchIndex($0, in: checkpoint) }
            let sampled = try checkpoint.model.samplePosterior(counts: loaded.counts, batchCodes: loaded.batchCodes, targetBatch: target, seed: seed)
            out = AnnData(obs: loaded.data.obs, vars: DataFrame(index: checkpoint.geneNames), x: sampled)
        } else {
            checkpoint = try SCVIModel.load(from: model)
            let target = try batch.map { try batchIndex($0, in: checkpoint) } ?? 0
            let sampled = try checkpoint.model.samplePrior(cellCount: cells!, batch: target, seed: seed)
            let names = (0..<cells!).map { "sample_\($0)" }
            out = AnnData(obs: DataFrame(index: names, columns: [("batch", .categorical(codes: [Int32](repeating: 0, count: cells!),
                                                                                            categories: [checkpoint.batchCategories[target]], ordered: false))]),
                          vars: DataFrame(index: checkpoint.geneNames), x: sampled)
        }
        try H5ADWriter.write(out, to: output, protecting: [model] + (like.map { [$0] } ?? []))
        Log.info("wrote \(out.observationCount) sampled cells to \(output)")
    }

    private func batchIndex(_ name: String, in checkpoint: SCVIModel.Checkpoint) throws -> Int {
        guard let index = checkpoint.batchCategories.firstIndex(of: name) else {
            throw ValidationError("--batch \(name): not one of the model's batches (\(checkpoint.batchCategories.joined(separator: ", "))).")
        }
        return index
    }
}
