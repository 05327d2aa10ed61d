import ArgumentParser
import CellviIO
import CellviKernels
import CellviModel

/// `MODEL INPUT [--batch-key K] [--layer L] [--fill-missing-genes]`: a trained model and cells to apply it to.
struct ModelInputOptions: ParsableArguments {
    @Argument(help: "A model.h5 written by `cellvi train`.")
    var model: String

    @Argument(help: "Cells to apply the model to: .h5ad, 10x .h5 or 10x MatrixMarket folder of raw counts.")
    var input: String

    @OptionGroup var batch: BatchOptions
    @OptionGroup var counts: CountsOptions

    @Flag(name: .customLong("fill-missing-genes"), help: "Treat model genes absent from INPUT as zero counts instead of failing.")
    var fillMissingGenes = false

    /// The model and INPUT's counts arranged as the model's genes, with batch codes in the model's order.
    func load() throws -> (checkpoint: SCVIModel.Checkpoint, data: AnnData, counts: CSRMatrix, batchCodes: [Int32]) {
        let checkpoint = try SCVIModel.load(from: model)
        var options = counts.readOptions
        options.loadObsm = true
        let data = try SingleCellReader.read(path: input, options: options)
        let matrix = try data.matrix(counts.layer, file: input)
        try requireRawCounts(matrix, file: input, key: counts.layer)
        let varNames = counts.layer.hasPrefix("raw") ? (data.raw?.vars.index ?? data.varNames) : data.varNames
        let (aligned, missing) = try alignGenes(matrix, varNames: varNames, to: checkpoint.geneNames,
                                                fillMissing: fillMissingGenes, file: input)
        if !missing.isEmpty { Log.warning("\(missing.count) of the model's \(checkpoint.geneNames.count) genes are absent from \(input); filled with zeros") }
        let batches: [String]
        if let key = batch.batchKey {
            batches = try obsLabels(data, column: key, file: input, flag: "--batch-key")
        } else if checkpoint.batchCategories.count == 1 {
            batches = [String](repeating: checkpoint.batchCategories[0], count: data.observationCount)
        } else {
            throw ValidationError("the model was trained on \(checkpoint.batchCategories.count) batches "
                + "(\(checkpoint.batchCategories.prefix(6).joined(separator: ", "))); pass --batch-key with the obs column that holds them.")
        }
        let codes = try checkpoint.batchCodes(for: batches, geneNames: checkpoint.geneNames)
        return (checkpoint, data, aligned, codes)
    }
}
