import ArgumentParser
import CellviIO
import CellviKernels
import CellviModel
import Foundation

/// `cellvi train INPUT -o OUTDIR`: fit scVI and write the model, latent, history and an annotated `.h5ad`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an scVI model on raw counts and write model.h5, latent.csv, cellvi.h5ad, history.csv and run_info.json.",
        discussion: """
            The model is scvi-tools' SCVI (negative-binomial family VAE with the batch injected into every decoder layer) \
            with the same defaults. All-zero cells are removed (and reported). cellvi.h5ad holds the cells used, the genes \
            used, X = their counts and obsm["X_scVI"] = the latent posterior means, ready for scanpy.
            """)

    @Argument(help: "An .h5ad file, a 10x .h5 file or a 10x MatrixMarket folder of raw counts.")
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Output directory.", valueName: "dir"))
    var output: String

    @OptionGroup var genes: GeneSelectionOptions

    @Option(name: .customLong("labels-key"), help: ArgumentHelp("obs column of cell labels, copied into the outputs and recorded.", valueName: "column"))
    var labelsKey: String?

    @OptionGroup var model: ModelOptions
    @OptionGroup var training: TrainingOptions

    func run() throws {
        let clock = Date()
        let outputs = try OutputDirectory(output, inputs: [input])
        let prepared = try TrainingData.prepare(input: input, genes: genes, labelsKey: labelsKey)
        let configuration = model.configuration(geneCount: prepared.geneNames.count, batchCount: prepared.batchCategories.count)
        let trainingConfiguration = training.configuration
        let scvi = try SCVIModel(configuration: configuration, seed: training.seed)
        let epochs = trainingConfiguration.epochs ?? TrainingConfiguration.defaultEpochs(cellCount: prepared.counts.rowCount)
        Log.info("training scVI (\(configuration.likelihood.rawValue), \(epochs) epochs, \(prepared.counts.rowCount) cells × "
            + "\(prepared.geneNames.count) genes, \(prepared.batchCategories.count == 1 ? "1 batch" : "\(prepared.batchCategories.count) batches"), seed \(training.seed), \(training.threads) threads)")
        let progress = ProgressReporter(total: epochs)
        let history = try scvi.train(counts: prepared.counts, batchCodes: prepared.batchCodes, configuration: trainingConfiguration) { record in
            progress.update(done: record.epoch + 1, message: String(format: "loss %.1f elbo_val %@", record.trainLoss,
                                                                     record.elboValidation.map { String(format: "%.1f", $0) } ?? "–"))
        }
        let latent = try scvi.latentMeans(counts: prepared.counts, batchCodes: prepared.batchCodes)  // (N, Z)

        try scvi.save(to: outputs.path("model.h5"), geneNames: prepared.geneNames, batchCategories: prepared.batchCategories)
        try LatentOutput.writeCSV(latent, cells: prepared.data.obsNames, to: outputs.path("latent.csv"))
        var annotated = prepared.data
        annotated.x = prepared.counts
        annotated.layers = [:]
        annotated.obsm["X_scVI"] = latent
        try H5ADWriter.write(annotated, to: outputs.path("cellvi.h5ad"), protecting: [input])
        try HistoryOutput.writeCSV(history, to: outputs.path("history.csv"))

        var info = RunInfo(input: input, seed: training.seed, threads: training.threads)
        info.settings = prepared.settings.merging([
            "model": AnyEncodable(configuration), "training": AnyEncodable(trainingConfiguration), "epochs": AnyEncodable(epochs),
        ]) { $1 }
        info.data = prepared.shape
        info.results = HistoryOutput.finalLosses(history)
        info.seconds = Date().timeIntervalSince(clock)
        try info.write(to: outputs.path("run_info.json"))
        try outputs.commit()
        if let last = history.epochs.last {
            Log.info(String(format: "done in %.1f s: train ELBO %.2f, validation ELBO %@", info.seconds, last.elboTrain,
                            last.elboValidation.map { String(format: "%.2f", $0) } ?? "–"))
        }
        Log.info("wrote \(output)/{model.h5, latent.csv, cellvi.h5ad, history.csv, run_info.json}")
    }
}
